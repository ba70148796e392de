//! `grep`'s patterns: fixed strings (`-F`), POSIX basic (default) and extended (`-E`) regular
//! expressions, translated to regex-syntax's dialect and matched on bytes by regex-automata
//! (Unicode off: a byte is a character, as in the POSIX locale); `-i` folds ASCII case.

use alloc::string::String;
use alloc::vec::Vec;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

/// How patterns are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `-F`: each pattern is a string.
    Fixed,
    /// Basic regular expressions.
    Basic,
    /// `-E`: extended regular expressions.
    Extended,
}

/// Why a pattern was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// A back-reference (`\1`): regex-automata has none.
    BackReference,
    /// A bracket expression without its `]`.
    UnclosedBracket,
    /// The translated expression was refused (its message).
    Invalid(String),
}

impl core::fmt::Display for PatternError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BackReference => formatter.write_str("back-references are not supported"),
            Self::UnclosedBracket => formatter.write_str("Unmatched [, [^, [:, [., or [="),
            Self::Invalid(message) => formatter.write_str(message),
        }
    }
}

/// Copies the bracket expression starting at `bytes[index] == b'['`; returns the index after.
fn translate_bracket(
    bytes: &[u8],
    mut index: usize,
    output: &mut String,
) -> Result<usize, PatternError> {
    output.push('[');
    index += 1;
    if bytes.get(index) == Some(&b'^') {
        output.push('^');
        index += 1;
    }
    let mut first = true;
    loop {
        let &byte = bytes.get(index).ok_or(PatternError::UnclosedBracket)?;
        if byte == b']' && !first {
            output.push(']');
            return Ok(index + 1);
        }
        first = false;
        if byte == b'['
            && let Some(&kind @ (b':' | b'=' | b'.')) = bytes.get(index + 1)
        {
            let close = [kind, b']'];
            let end = bytes[index + 2..]
                .windows(2)
                .position(|pair| pair == close)
                .ok_or(PatternError::UnclosedBracket)?;
            let inner = &bytes[index + 2..index + 2 + end];
            if kind == b':' {
                output.push_str("[:");
                output.push_str(
                    core::str::from_utf8(inner).map_err(|_| PatternError::UnclosedBracket)?,
                );
                output.push_str(":]");
            } else {
                // `[=c=]` and `[.c.]` of a single character are that character.
                for &character in inner {
                    push_escaped(character, output);
                }
            }
            index += end + 4;
            continue;
        }
        if byte == b'-' {
            output.push('-');
        } else {
            push_escaped(byte, output);
        }
        index += 1;
    }
}

/// Appends `byte` as a literal.
fn push_escaped(byte: u8, output: &mut String) {
    if byte.is_ascii_alphanumeric() || byte == b' ' || byte == b'_' {
        output.push(char::from(byte));
    } else if byte.is_ascii_punctuation() {
        output.push('\\');
        output.push(char::from(byte));
    } else {
        output.push_str(&alloc::format!("\\x{byte:02X}"));
    }
}

/// Translates a POSIX regular expression into regex-syntax's dialect.
///
/// # Errors
/// [`PatternError`].
pub fn translate(pattern: &[u8], extended: bool) -> Result<String, PatternError> {
    let mut output = String::new();
    let mut index = 0;
    // Where `*` is literal in a BRE: at the start, after `\(`, after a leading `^`.
    let mut at_start = true;
    while index < pattern.len() {
        let byte = pattern[index];
        let was_start = at_start;
        at_start = false;
        match byte {
            b'[' => {
                index = translate_bracket(pattern, index, &mut output)?;
                continue;
            }
            b'\\' => {
                let Some(&next) = pattern.get(index + 1) else {
                    return Err(PatternError::Invalid(String::from("trailing backslash")));
                };
                index += 2;
                if next.is_ascii_digit() && next != b'0' {
                    return Err(PatternError::BackReference);
                }
                if extended {
                    push_escaped(next, &mut output);
                    continue;
                }
                match next {
                    b'(' => {
                        output.push('(');
                        at_start = true;
                    }
                    b')' | b'{' | b'}' | b'|' | b'+' | b'?' => output.push(char::from(next)),
                    _ => push_escaped(next, &mut output),
                }
                continue;
            }
            b'*' if was_start && !extended => output.push_str("\\*"),
            b'^' => {
                if extended || was_start {
                    output.push('^');
                    at_start = !extended;
                } else {
                    output.push_str("\\^");
                }
            }
            b'$' => {
                let at_end = index + 1 == pattern.len()
                    || (!extended && pattern[index + 1..].starts_with(b"\\)"));
                if extended || at_end {
                    output.push('$');
                } else {
                    output.push_str("\\$");
                }
            }
            b'(' | b')' | b'|' | b'+' | b'?' | b'{' | b'}' if !extended => {
                push_escaped(byte, &mut output);
            }
            b'(' if extended => {
                output.push('(');
                at_start = true;
            }
            b'.' | b'*' | b'(' | b')' | b'|' | b'+' | b'?' | b'{' | b'}' => {
                output.push(char::from(byte));
            }
            _ => push_escaped(byte, &mut output),
        }
        index += 1;
    }
    Ok(output)
}

/// A compiled set of patterns: a line matches when any pattern does.
#[derive(Debug)]
pub enum Matcher {
    /// Fixed strings (lower-cased when folding).
    Fixed {
        /// The strings.
        strings: Vec<Vec<u8>>,
        /// `-i`.
        fold_case: bool,
    },
    /// One automaton for every expression.
    Expression(Regex),
}

impl Matcher {
    /// Compiles `patterns` (each a line of `-e` operands).
    ///
    /// # Errors
    /// [`PatternError`].
    pub fn new(
        patterns: &[Vec<u8>],
        dialect: Dialect,
        fold_case: bool,
    ) -> Result<Self, PatternError> {
        if dialect == Dialect::Fixed {
            let strings = patterns
                .iter()
                .map(|pattern| {
                    if fold_case {
                        pattern.to_ascii_lowercase()
                    } else {
                        pattern.clone()
                    }
                })
                .collect();
            return Ok(Self::Fixed { strings, fold_case });
        }
        let translated = patterns
            .iter()
            .map(|pattern| translate(pattern, dialect == Dialect::Extended))
            .collect::<Result<Vec<String>, PatternError>>()?;
        let regex = Regex::builder()
            .syntax(
                syntax::Config::new()
                    .unicode(false)
                    .utf8(false)
                    .case_insensitive(fold_case),
            )
            .configure(Regex::config().utf8_empty(false))
            .build_many(&translated)
            .map_err(|error| PatternError::Invalid(alloc::format!("{error}")))?;
        Ok(Self::Expression(regex))
    }

    /// Whether `line` (without its newline) matches.
    #[must_use]
    pub fn is_match(&self, line: &[u8]) -> bool {
        match self {
            Self::Fixed { strings, fold_case } => {
                let folded;
                let line = if *fold_case {
                    folded = line.to_ascii_lowercase();
                    &folded[..]
                } else {
                    line
                };
                strings.iter().any(|string| {
                    string.is_empty()
                        || line
                            .windows(string.len())
                            .any(|window| window == &string[..])
                })
            }
            Self::Expression(regex) => regex.is_match(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, dialect: Dialect, fold_case: bool, line: &str) -> bool {
        Matcher::new(&[pattern.as_bytes().to_vec()], dialect, fold_case)
            .unwrap()
            .is_match(line.as_bytes())
    }

    #[test]
    fn basic_expressions() {
        let basic = |pattern, line| matches(pattern, Dialect::Basic, false, line);
        assert!(basic("h.llo", "say hello"));
        assert!(basic("^say", "say hello"));
        assert!(!basic("^hello", "say hello"));
        assert!(basic("lo$", "hello"));
        assert!(basic("a*b", "b"));
        assert!(basic("*a", "x*a"));
        assert!(!basic("*a", "xa"));
        assert!(basic("a+", "a+"));
        assert!(!basic("a+", "aa"));
        assert!(basic("a\\+", "aa"));
        assert!(basic("\\(ab\\)\\{2\\}", "xababx"));
        assert!(!basic("\\(ab\\)\\{2\\}", "xabx"));
        assert!(basic("a|b", "a|b"));
        assert!(basic("[[:digit:]][]x]", "1]"));
        assert!(basic("[^a-c]", "abcd"));
        assert!(!basic("[^a-c]", "abc"));
        assert!(basic("a^b$c", "a^b$c"));
        assert!(basic("[\\]", "\\"));
        assert!(basic("x.y", "x\u{7f}y"));
        assert_eq!(translate(b"\\1", false), Err(PatternError::BackReference));
        assert_eq!(translate(b"[ab", false), Err(PatternError::UnclosedBracket));
    }

    #[test]
    fn extended_fixed_and_folded() {
        let extended = |pattern, line| matches(pattern, Dialect::Extended, false, line);
        assert!(extended("ab+c", "abbbc"));
        assert!(extended("colou?r", "color"));
        assert!(extended("cat|dog", "hotdog"));
        assert!(extended("(ab){2}", "abab"));
        assert!(!extended("^(ab){2}$", "ababab"));
        assert!(extended("a\\.b", "a.b"));
        assert!(!extended("a\\.b", "axb"));
        assert!(matches("A.C", Dialect::Fixed, false, "xA.Cx"));
        assert!(!matches("A.C", Dialect::Fixed, false, "xABCx"));
        assert!(matches("hello", Dialect::Fixed, true, "HeLLo"));
        assert!(matches("h[a-z]llo", Dialect::Basic, true, "HELLO"));
        let several =
            Matcher::new(&[b"one".to_vec(), b"two".to_vec()], Dialect::Basic, false).unwrap();
        assert!(several.is_match(b"two") && !several.is_match(b"three"));
        assert!(matches!(
            Matcher::new(&[b"a{2".to_vec()], Dialect::Extended, false),
            Err(PatternError::Invalid(_))
        ));
    }
}
