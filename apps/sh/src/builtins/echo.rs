//! `echo`: its arguments separated by spaces and a newline (none after `-n`).

use alloc::string::String;

/// `echo [-n] [string…]`.
pub fn echo(arguments: &[&str]) -> i32 {
    let (newline, words) = match arguments.first() {
        Some(&"-n") => (false, &arguments[1..]),
        _ => (true, arguments),
    };
    let mut text = String::new();
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            text.push(' ');
        }
        text.push_str(word);
    }
    if newline {
        text.push('\n');
    }
    if crate::output::write_all(1, text.as_bytes()) {
        0
    } else {
        1
    }
}
