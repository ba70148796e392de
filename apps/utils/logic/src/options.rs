//! POSIX `getopt`-style option parsing (the utility syntax guidelines): `-abc` groups flags,
//! `-n 5` and `-n5` give a value, `--` ends the options, `-` alone is an operand, and the first
//! operand ends the options.

use alloc::string::String;
use alloc::vec::Vec;

/// What the command line asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Each option in order, with its value if it takes one.
    pub options: Vec<(char, Option<String>)>,
    /// The operands after the options.
    pub operands: Vec<String>,
}

impl Parsed {
    /// Whether option `letter` was given.
    #[must_use]
    pub fn has(&self, letter: char) -> bool {
        self.options.iter().any(|(option, _)| *option == letter)
    }

    /// The value of the last `letter` option given.
    #[must_use]
    pub fn value(&self, letter: char) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(option, _)| *option == letter)
            .and_then(|(_, value)| value.as_deref())
    }
}

/// Why a command line was refused (the utility prints it and its usage, and exits 2 or 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionError {
    /// An option letter the utility does not know.
    Unknown(char),
    /// An option that takes a value came last.
    MissingValue(char),
}

impl core::fmt::Display for OptionError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Unknown(letter) => write!(formatter, "invalid option -- '{letter}'"),
            Self::MissingValue(letter) => {
                write!(formatter, "option requires an argument -- '{letter}'")
            }
        }
    }
}

/// Parses `arguments` (without the utility's name): `flags` lists the letters that stand
/// alone, `valued` those that take a value.
///
/// # Errors
/// [`OptionError`] for an unknown letter or a missing value.
pub fn parse(arguments: &[String], flags: &str, valued: &str) -> Result<Parsed, OptionError> {
    let mut parsed = Parsed::default();
    let mut index = 0;
    while index < arguments.len() {
        let argument = &arguments[index];
        index += 1;
        if argument == "--" {
            break;
        }
        if !argument.starts_with('-') || argument == "-" {
            index -= 1;
            break;
        }
        let letters: Vec<char> = argument.chars().skip(1).collect();
        let mut position = 0;
        while position < letters.len() {
            let letter = letters[position];
            position += 1;
            if valued.contains(letter) {
                let value: String = if position < letters.len() {
                    letters[position..].iter().collect()
                } else if index < arguments.len() {
                    index += 1;
                    arguments[index - 1].clone()
                } else {
                    return Err(OptionError::MissingValue(letter));
                };
                parsed.options.push((letter, Some(value)));
                break;
            } else if flags.contains(letter) {
                parsed.options.push((letter, None));
            } else {
                return Err(OptionError::Unknown(letter));
            }
        }
    }
    parsed.operands = arguments[index..].to_vec();
    Ok(parsed)
}

/// The operands of a utility that takes no options: POSIX has such a utility discard a first
/// argument `--` (XCU 1.4, "Utility Description Defaults", OPTIONS) and only that one, so
/// `sleep -- 1` sleeps and `basename -- --` names `--`. (`echo` and `test` are the exceptions
/// that take `--` as an operand; they do not use this.)
#[must_use]
pub fn without_end_of_options(arguments: &[String]) -> &[String] {
    match arguments.first() {
        Some(first) if first == "--" => &arguments[1..],
        _ => arguments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn groups_values_and_the_end_of_options() {
        assert_eq!(
            parse(&words("-la -n5 -c 7"), "la", "n"),
            Err(OptionError::Unknown('c'))
        );
        let parsed = parse(&words("-la -n5 -m 7 -- -x y"), "la", "nm").unwrap();
        assert!(parsed.has('l') && parsed.has('a') && !parsed.has('x'));
        assert_eq!(parsed.value('n'), Some("5"));
        assert_eq!(parsed.value('m'), Some("7"));
        assert_eq!(parsed.operands, vec!["-x", "y"]);
    }

    #[test]
    fn the_first_operand_and_a_lone_dash_end_the_options() {
        let parsed = parse(&words("-r file -l"), "rl", "").unwrap();
        assert_eq!(parsed.operands, vec!["file", "-l"]);
        assert!(!parsed.has('l'));
        let parsed = parse(&words("- -r"), "r", "").unwrap();
        assert_eq!(parsed.operands, vec!["-", "-r"]);
        assert_eq!(
            parse(&words("-n"), "", "n"),
            Err(OptionError::MissingValue('n'))
        );
    }

    #[test]
    fn only_a_first_double_dash_is_discarded_without_options() {
        assert_eq!(without_end_of_options(&words("-- 1")), &words("1")[..]);
        assert!(without_end_of_options(&words("--")).is_empty());
        assert_eq!(without_end_of_options(&words("-- --")), &words("--")[..]);
        assert_eq!(without_end_of_options(&words("1 --")), &words("1 --")[..]);
        assert!(without_end_of_options(&[]).is_empty());
    }
}
