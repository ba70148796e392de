//! Quoting text so that the shell reads it back as one word with exactly that text (`set`,
//! `export -p` and `trap` output).

use alloc::string::String;

/// `text` unchanged when it has no special characters, else in single quotes (a `'` inside
/// becomes `'\''`).
#[must_use]
pub fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text.chars().all(|character| {
            character.is_ascii_alphanumeric()
                || matches!(
                    character,
                    '_' | '-' | '.' | '/' | ',' | ':' | '+' | '@' | '%'
                )
        });
    if plain {
        return String::from(text);
    }
    let mut quoted = String::from("'");
    for character in text.chars() {
        if character == '\'' {
            quoted.push_str("'\\''");
        } else {
            quoted.push(character);
        }
    }
    quoted.push('\'');
    quoted
}
