//! `test` and `[`: POSIX's rules by argument count (0–4 arguments), and a precedence parser
//! (`!` over `-a` over `-o`, parentheses) beyond; file questions go through [`FileQuery`].

use alloc::string::String;

/// What `test` needs to know about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileFacts {
    /// `st_mode`.
    pub mode: u32,
    /// `st_size`.
    pub size: u64,
}

/// Access to the file system (the utility asks the LibOS; tests use a table).
pub trait FileQuery {
    /// The file's facts, following a final symbolic link or not; `None` if it does not exist.
    fn facts(&self, path: &str, follow: bool) -> Option<FileFacts>;
    /// Whether the caller may access the file (`R_OK` 4, `W_OK` 2, `X_OK` 1).
    fn may(&self, path: &str, access: u32) -> bool;
    /// Whether descriptor `fd` is a terminal.
    fn is_terminal(&self, fd: i32) -> bool;
}

/// Why an expression could not be evaluated (`test` exits 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestError {
    /// A word where an operator or operand was wanted.
    Unexpected(String),
    /// An integer operand that is not one.
    NotInteger(String),
    /// The expression ended early.
    Missing,
}

impl core::fmt::Display for TestError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Unexpected(word) => write!(formatter, "{word}: unexpected operator"),
            Self::NotInteger(word) => write!(formatter, "{word}: integer expression expected"),
            Self::Missing => write!(formatter, "argument expected"),
        }
    }
}

const S_IFMT: u32 = 0o170_000;

fn is_unary(word: &str) -> bool {
    matches!(
        word,
        "-b" | "-c"
            | "-d"
            | "-e"
            | "-f"
            | "-g"
            | "-h"
            | "-L"
            | "-n"
            | "-p"
            | "-r"
            | "-S"
            | "-s"
            | "-t"
            | "-u"
            | "-w"
            | "-x"
            | "-z"
            | "-k"
    )
}

fn is_binary(word: &str) -> bool {
    matches!(
        word,
        "=" | "!=" | "-eq" | "-ne" | "-gt" | "-ge" | "-lt" | "-le" | "<" | ">"
    )
}

fn integer(word: &str) -> Result<i64, TestError> {
    word.trim()
        .parse()
        .map_err(|_| TestError::NotInteger(String::from(word)))
}

fn unary(operator: &str, operand: &str, query: &dyn FileQuery) -> Result<bool, TestError> {
    let kind = |follow: bool| {
        query
            .facts(operand, follow)
            .map(|facts| facts.mode & S_IFMT)
    };
    Ok(match operator {
        "-n" => !operand.is_empty(),
        "-z" => operand.is_empty(),
        "-e" => query.facts(operand, true).is_some(),
        "-f" => kind(true) == Some(0o100_000),
        "-d" => kind(true) == Some(0o040_000),
        "-b" => kind(true) == Some(0o060_000),
        "-c" => kind(true) == Some(0o020_000),
        "-p" => kind(true) == Some(0o010_000),
        "-S" => kind(true) == Some(0o140_000),
        "-h" | "-L" => kind(false) == Some(0o120_000),
        "-s" => query
            .facts(operand, true)
            .is_some_and(|facts| facts.size > 0),
        "-u" => query
            .facts(operand, true)
            .is_some_and(|facts| facts.mode & 0o4000 != 0),
        "-g" => query
            .facts(operand, true)
            .is_some_and(|facts| facts.mode & 0o2000 != 0),
        "-k" => query
            .facts(operand, true)
            .is_some_and(|facts| facts.mode & 0o1000 != 0),
        "-r" => query.may(operand, 4),
        "-w" => query.may(operand, 2),
        "-x" => query.may(operand, 1),
        "-t" => query.is_terminal(integer(operand)? as i32),
        _ => return Err(TestError::Unexpected(String::from(operator))),
    })
}

fn binary(left: &str, operator: &str, right: &str) -> Result<bool, TestError> {
    Ok(match operator {
        "=" => left == right,
        "!=" => left != right,
        "<" => left < right,
        ">" => left > right,
        _ => {
            let (left, right) = (integer(left)?, integer(right)?);
            match operator {
                "-eq" => left == right,
                "-ne" => left != right,
                "-gt" => left > right,
                "-ge" => left >= right,
                "-lt" => left < right,
                "-le" => left <= right,
                _ => return Err(TestError::Unexpected(String::from(operator))),
            }
        }
    })
}

/// Evaluates `test`'s arguments (for `[`, without the closing `]`).
///
/// # Errors
/// [`TestError`] for a malformed expression.
pub fn evaluate(words: &[&str], query: &dyn FileQuery) -> Result<bool, TestError> {
    match words {
        [] => Ok(false),
        [word] => Ok(!word.is_empty()),
        ["!", word] => Ok(word.is_empty()),
        [operator, operand] if is_unary(operator) => unary(operator, operand, query),
        [word, _] => Err(TestError::Unexpected(String::from(*word))),
        [left, operator, right] if is_binary(operator) => binary(left, operator, right),
        [left, "-a", right] => Ok(!left.is_empty() && !right.is_empty()),
        [left, "-o", right] => Ok(!left.is_empty() || !right.is_empty()),
        ["!", rest @ ..] if rest.len() == 2 => Ok(!evaluate(rest, query)?),
        ["(", inner, ")"] => Ok(!inner.is_empty()),
        ["!", rest @ ..] if rest.len() == 3 => Ok(!evaluate(rest, query)?),
        ["(", inner @ .., ")"] if inner.len() == 2 => evaluate(inner, query),
        _ => {
            let mut parser = Parser {
                words,
                position: 0,
                query,
            };
            let value = parser.or()?;
            match parser.words.get(parser.position) {
                None => Ok(value),
                Some(word) => Err(TestError::Unexpected(String::from(*word))),
            }
        }
    }
}

struct Parser<'a> {
    words: &'a [&'a str],
    position: usize,
    query: &'a dyn FileQuery,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.words.get(self.position).copied()
    }

    fn take(&mut self) -> Result<&'a str, TestError> {
        let word = self
            .words
            .get(self.position)
            .copied()
            .ok_or(TestError::Missing)?;
        self.position += 1;
        Ok(word)
    }

    fn or(&mut self) -> Result<bool, TestError> {
        let mut value = self.and()?;
        while self.peek() == Some("-o") {
            self.position += 1;
            let right = self.and()?;
            value = value || right;
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<bool, TestError> {
        let mut value = self.not()?;
        while self.peek() == Some("-a") {
            self.position += 1;
            let right = self.not()?;
            value = value && right;
        }
        Ok(value)
    }

    fn not(&mut self) -> Result<bool, TestError> {
        if self.peek() == Some("!") {
            self.position += 1;
            return Ok(!self.not()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, TestError> {
        let word = self.take()?;
        if word == "(" {
            let value = self.or()?;
            return match self.take()? {
                ")" => Ok(value),
                other => Err(TestError::Unexpected(String::from(other))),
            };
        }
        if let Some(operator) = self.peek()
            && is_binary(operator)
        {
            self.position += 1;
            let right = self.take()?;
            return binary(word, operator, right);
        }
        if is_unary(word) && self.peek().is_some() {
            let operand = self.take()?;
            return unary(word, operand, self.query);
        }
        Ok(!word.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Table;

    impl FileQuery for Table {
        fn facts(&self, path: &str, follow: bool) -> Option<FileFacts> {
            match (path, follow) {
                ("/file", _) => Some(FileFacts {
                    mode: 0o100_644,
                    size: 3,
                }),
                ("/empty", _) => Some(FileFacts {
                    mode: 0o100_600,
                    size: 0,
                }),
                ("/dir", _) => Some(FileFacts {
                    mode: 0o041_777,
                    size: 0,
                }),
                ("/link", false) => Some(FileFacts {
                    mode: 0o120_777,
                    size: 5,
                }),
                ("/link", true) => Some(FileFacts {
                    mode: 0o100_644,
                    size: 3,
                }),
                _ => None,
            }
        }

        fn may(&self, path: &str, access: u32) -> bool {
            path == "/file" && access != 1
        }

        fn is_terminal(&self, fd: i32) -> bool {
            fd == 0
        }
    }

    fn test(expression: &str) -> Result<bool, TestError> {
        let words: alloc::vec::Vec<&str> = expression
            .split(' ')
            .filter(|word| !word.is_empty())
            .collect();
        evaluate(&words, &Table)
    }

    #[test]
    fn by_argument_count() {
        assert_eq!(test(""), Ok(false));
        assert_eq!(test("x"), Ok(true));
        assert_eq!(test("! x"), Ok(false));
        assert_eq!(test("-z x"), Ok(false));
        assert_eq!(test("-n x"), Ok(true));
        assert_eq!(test("a = a"), Ok(true));
        assert_eq!(test("a != a"), Ok(false));
        assert_eq!(test("3 -lt 10"), Ok(true));
        assert_eq!(test("3 -ge 10"), Ok(false));
        assert_eq!(test("! 3 -ge 10"), Ok(true));
        assert_eq!(test("( x )"), Ok(true));
        assert!(matches!(test("x -eq 1"), Err(TestError::NotInteger(_))));
        assert!(matches!(test("-q x"), Err(TestError::Unexpected(_))));
    }

    #[test]
    fn files() {
        assert_eq!(test("-e /file"), Ok(true));
        assert_eq!(test("-e /missing"), Ok(false));
        assert_eq!(test("-f /file"), Ok(true));
        assert_eq!(test("-f /dir"), Ok(false));
        assert_eq!(test("-d /dir"), Ok(true));
        assert_eq!(test("-k /dir"), Ok(true));
        assert_eq!(test("-s /file"), Ok(true));
        assert_eq!(test("-s /empty"), Ok(false));
        assert_eq!(test("-h /link"), Ok(true));
        assert_eq!(test("-L /file"), Ok(false));
        assert_eq!(test("-r /file"), Ok(true));
        assert_eq!(test("-x /file"), Ok(false));
        assert_eq!(test("-t 0"), Ok(true));
    }

    #[test]
    fn connectives_and_precedence() {
        assert_eq!(test("-f /file -a -d /dir"), Ok(true));
        assert_eq!(test("-f /dir -o -d /dir"), Ok(true));
        assert_eq!(test("x -o y -a ''"), Ok(true));
        assert_eq!(test("( -f /dir -o -d /dir ) -a ! -e /missing"), Ok(true));
        assert_eq!(test("! ( a = a ) -o 1 -eq 2"), Ok(false));
        assert!(test("( a = a").is_err());
        assert!(test("a = a b c").is_err());
    }
}
