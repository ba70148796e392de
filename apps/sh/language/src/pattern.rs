//! Pattern matching notation (POSIX XCU 2.13): `*`, `?` and bracket expressions, for `case`,
//! `${name%pattern}` and pathname expansion, which this module also does over any directory
//! lister. A pattern is a sequence of characters each marked quoted or not: only unquoted
//! characters are special.

use alloc::string::String;
use alloc::vec::Vec;

/// One character of a pattern and whether it was quoted (then it only matches itself).
pub type PatternCharacter = (char, bool);

/// A pattern in which every character is quoted: matches exactly `text`.
#[must_use]
pub fn literal(text: &str) -> Vec<PatternCharacter> {
    text.chars().map(|character| (character, true)).collect()
}

/// A pattern in which no character is quoted.
#[must_use]
pub fn unquoted(text: &str) -> Vec<PatternCharacter> {
    text.chars().map(|character| (character, false)).collect()
}

/// Whether the pattern has an unquoted `*`, `?` or a complete bracket expression.
#[must_use]
pub fn has_special(pattern: &[PatternCharacter]) -> bool {
    pattern
        .iter()
        .enumerate()
        .any(|(index, &(character, quoted))| {
            !quoted
                && (character == '*'
                    || character == '?'
                    || (character == '[' && bracket(pattern, index).is_some()))
        })
}

/// Whether `text` as a whole matches `pattern`.
#[must_use]
pub fn matches(pattern: &[PatternCharacter], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    matches_characters(pattern, &text)
}

fn matches_characters(pattern: &[PatternCharacter], text: &[char]) -> bool {
    // Iterative matching with one backtracking point: the latest `*`.
    let (mut pattern_index, mut text_index) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while text_index < text.len() {
        if let Some(&(character, quoted)) = pattern.get(pattern_index) {
            if !quoted && character == '*' {
                star = Some((pattern_index, text_index));
                pattern_index += 1;
                continue;
            }
            let (matched, width) = match_one(pattern, pattern_index, text[text_index]);
            if matched {
                pattern_index += width;
                text_index += 1;
                continue;
            }
        }
        match star {
            Some((star_pattern, star_text)) => {
                pattern_index = star_pattern + 1;
                text_index = star_text + 1;
                star = Some((star_pattern, star_text + 1));
            }
            None => return false,
        }
    }
    pattern[pattern_index..]
        .iter()
        .all(|&(character, quoted)| !quoted && character == '*')
}

/// Whether the single-character element at `index` matches `character`, and its width.
fn match_one(pattern: &[PatternCharacter], index: usize, character: char) -> (bool, usize) {
    let (pattern_character, quoted) = pattern[index];
    if quoted {
        return (pattern_character == character, 1);
    }
    match pattern_character {
        '?' => (true, 1),
        '[' => match bracket(pattern, index) {
            Some(end) => (
                bracket_matches(&pattern[index + 1..end], character),
                end + 1 - index,
            ),
            None => (character == '[', 1),
        },
        other => (other == character, 1),
    }
}

/// The index of the `]` closing the bracket expression opening at `start`, if any.
fn bracket(pattern: &[PatternCharacter], start: usize) -> Option<usize> {
    let mut index = start + 1;
    if matches!(pattern.get(index), Some(&('!' | '^', false))) {
        index += 1;
    }
    // A `]` first is an ordinary member.
    if matches!(pattern.get(index), Some(&(']', _))) {
        index += 1;
    }
    while let Some(&(character, quoted)) = pattern.get(index) {
        if !quoted && character == '[' && matches!(pattern.get(index + 1), Some(&(':', false))) {
            // A character class `[:name:]`: skip to its `:]`.
            let mut end = index + 2;
            while end + 1 < pattern.len() && !(pattern[end].0 == ':' && pattern[end + 1].0 == ']') {
                end += 1;
            }
            if end + 1 < pattern.len() {
                index = end + 2;
                continue;
            }
        }
        if !quoted && character == ']' {
            return Some(index);
        }
        index += 1;
    }
    None
}

/// Whether `character` is in the bracket expression whose inside is `members`.
fn bracket_matches(members: &[PatternCharacter], character: char) -> bool {
    let (negated, members) = match members.first() {
        Some(&('!' | '^', false)) => (true, &members[1..]),
        _ => (false, members),
    };
    let mut found = false;
    let mut index = 0;
    while index < members.len() {
        let (member, quoted) = members[index];
        if !quoted && member == '[' && matches!(members.get(index + 1), Some(&(':', false))) {
            let name_start = index + 2;
            let mut end = name_start;
            while end + 1 < members.len() && !(members[end].0 == ':' && members[end + 1].0 == ']') {
                end += 1;
            }
            let name: String = members[name_start..end].iter().map(|&(c, _)| c).collect();
            found |= in_class(&name, character);
            index = end + 2;
            continue;
        }
        if let (Some(&('-', false)), Some(&(last, _))) =
            (members.get(index + 1), members.get(index + 2))
        {
            found |= (member..=last).contains(&character);
            index += 3;
            continue;
        }
        found |= member == character;
        index += 1;
    }
    found != negated
}

fn in_class(name: &str, character: char) -> bool {
    match name {
        "alpha" => character.is_ascii_alphabetic(),
        "digit" => character.is_ascii_digit(),
        "alnum" => character.is_ascii_alphanumeric(),
        "upper" => character.is_ascii_uppercase(),
        "lower" => character.is_ascii_lowercase(),
        "space" => character.is_ascii_whitespace(),
        "blank" => character == ' ' || character == '\t',
        "punct" => character.is_ascii_punctuation(),
        "xdigit" => character.is_ascii_hexdigit(),
        "cntrl" => character.is_ascii_control(),
        "print" => !character.is_ascii_control(),
        "graph" => character.is_ascii_graphic(),
        _ => false,
    }
}

/// Pathname expansion (XCU 2.6.6): the existing paths `pattern` matches, sorted; empty when
/// none does (the caller then keeps the word). `list` answers the names in a directory (`None`
/// when it is not one). A name starting with `.` is matched only by a pattern component starting
/// with a `.`; `.` and `..` are never listed.
pub fn expand_pathname(
    pattern: &[PatternCharacter],
    list: &mut dyn FnMut(&str) -> Option<Vec<String>>,
) -> Vec<String> {
    if !has_special(pattern) {
        return Vec::new();
    }
    let absolute = pattern
        .first()
        .is_some_and(|&(character, _)| character == '/');
    let components: Vec<&[PatternCharacter]> = pattern
        .split(|&(character, _)| character == '/')
        .filter(|component| !component.is_empty())
        .collect();
    // Each candidate: the path so far (as the result prints it).
    let mut candidates = alloc::vec![String::from(if absolute { "/" } else { "" })];
    for component in components {
        let mut next = Vec::new();
        if has_special(component) {
            for prefix in &candidates {
                let directory = if prefix.is_empty() { "." } else { prefix };
                let Some(mut names) = list(directory) else {
                    continue;
                };
                names.sort();
                let explicit_dot = component.first().is_some_and(|&(c, _)| c == '.');
                for name in names {
                    if name == "." || name == ".." || (name.starts_with('.') && !explicit_dot) {
                        continue;
                    }
                    if matches(component, &name) {
                        next.push(join(prefix, &name));
                    }
                }
            }
        } else {
            let name: String = component.iter().map(|&(character, _)| character).collect();
            for prefix in &candidates {
                // A literal component must name something that exists.
                if !(prefix.is_empty() || prefix == "/") {
                    let directory = prefix.as_str();
                    match list(directory) {
                        Some(names) if names.contains(&name) => {}
                        _ => continue,
                    }
                }
                next.push(join(prefix, &name));
            }
        }
        candidates = next;
        if candidates.is_empty() {
            break;
        }
    }
    let trailing_slash = pattern
        .last()
        .is_some_and(|&(character, _)| character == '/');
    if trailing_slash {
        candidates.retain(|path| list(path).is_some());
        for path in &mut candidates {
            path.push('/');
        }
    }
    candidates
}

fn join(prefix: &str, name: &str) -> String {
    let mut path = String::from(prefix);
    if !path.is_empty() && !path.ends_with('/') {
        path.push('/');
    }
    path.push_str(name);
    path
}

/// The length in bytes of the shortest (or longest) prefix of `text` that `pattern` matches.
#[must_use]
pub fn matching_prefix(pattern: &[PatternCharacter], text: &str, longest: bool) -> Option<usize> {
    let characters: Vec<char> = text.chars().collect();
    let count = characters.len();
    let found = if longest {
        (0..=count)
            .rev()
            .find(|&length| matches_characters(pattern, &characters[..length]))
    } else {
        (0..=count).find(|&length| matches_characters(pattern, &characters[..length]))
    };
    found.map(|length| characters[..length].iter().map(|c| c.len_utf8()).sum())
}

/// The length in bytes of the shortest (or longest) suffix of `text` that `pattern` matches.
#[must_use]
pub fn matching_suffix(pattern: &[PatternCharacter], text: &str, longest: bool) -> Option<usize> {
    let characters: Vec<char> = text.chars().collect();
    let count = characters.len();
    let found = if longest {
        (0..=count).find(|&start| matches_characters(pattern, &characters[start..]))
    } else {
        (0..=count)
            .rev()
            .find(|&start| matches_characters(pattern, &characters[start..]))
    };
    found.map(|start| characters[start..].iter().map(|c| c.len_utf8()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn stars_questions_and_brackets() {
        assert!(matches(&unquoted("*"), ""));
        assert!(matches(&unquoted("a*c"), "abbbc"));
        assert!(!matches(&unquoted("a*c"), "abbb"));
        assert!(matches(&unquoted("?b"), "ab"));
        assert!(!matches(&unquoted("?"), ""));
        assert!(matches(&unquoted("[a-c]x"), "bx"));
        assert!(!matches(&unquoted("[!a-c]x"), "bx"));
        assert!(matches(&unquoted("[]]"), "]"));
        assert!(matches(&unquoted("[[:digit:]]*"), "7up"));
        assert!(matches(&unquoted("[abc"), "[abc"));
        assert!(matches(&unquoted("*.rs"), "main.rs"));
    }

    #[test]
    fn quoted_characters_are_not_special() {
        assert!(matches(&literal("*"), "*"));
        assert!(!matches(&literal("*"), "x"));
        assert!(!has_special(&literal("a*[b]?")));
        assert!(has_special(&unquoted("a*")));
        assert!(!has_special(&unquoted("a[b")));
    }

    #[test]
    fn prefixes_and_suffixes() {
        assert_eq!(matching_suffix(&unquoted(".*"), "a.b.c", false), Some(2));
        assert_eq!(matching_suffix(&unquoted(".*"), "a.b.c", true), Some(4));
        assert_eq!(matching_prefix(&unquoted("*/"), "/usr/bin", false), Some(1));
        assert_eq!(matching_prefix(&unquoted("*/"), "/usr/bin", true), Some(5));
        assert_eq!(matching_prefix(&unquoted("x"), "abc", true), None);
    }

    fn tree(path: &str) -> Option<Vec<String>> {
        let names: &[&str] = match path {
            "/" => &["bin", "tmp", ".hidden"],
            "/bin" => &["sh", "sleep", "seq", "cat"],
            "/tmp" => &["d"],
            "/tmp/d" => &["f"],
            "." => &["a.rs", "b.rs", "c.txt", ".dot.rs"],
            _ => return None,
        };
        Some(names.iter().map(|name| String::from(*name)).collect())
    }

    #[test]
    fn pathnames_expand_sorted_and_skip_dot_files() {
        assert_eq!(
            expand_pathname(&unquoted("/bin/s*"), &mut tree),
            vec!["/bin/seq", "/bin/sh", "/bin/sleep"]
        );
        assert_eq!(
            expand_pathname(&unquoted("*.rs"), &mut tree),
            vec!["a.rs", "b.rs"]
        );
        assert_eq!(
            expand_pathname(&unquoted(".*.rs"), &mut tree),
            vec![".dot.rs"]
        );
        assert_eq!(
            expand_pathname(&unquoted("/*"), &mut tree),
            vec!["/bin", "/tmp"]
        );
        assert_eq!(
            expand_pathname(&unquoted("/t*/d/f"), &mut tree),
            vec!["/tmp/d/f"]
        );
        assert!(expand_pathname(&unquoted("/t*/d/g"), &mut tree).is_empty());
        assert!(expand_pathname(&unquoted("/nothing/*"), &mut tree).is_empty());
        assert_eq!(
            expand_pathname(&unquoted("/*/"), &mut tree),
            vec!["/bin/", "/tmp/"]
        );
    }
}
