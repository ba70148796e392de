//! `test` and `[`: file tests, string and integer comparisons, `!`, `-a`, `-o` and parentheses.
//! Status 0 true, 1 false, 2 for a malformed expression.

use libos::fs;
use libposix_sys::mode::{S_ISBLK, S_ISCHR, S_ISDIR, S_ISFIFO, S_ISLNK, S_ISREG, S_ISSOCK};

use crate::complain;

/// `test expression`.
pub fn test(arguments: &[&str]) -> i32 {
    if arguments.is_empty() {
        return 1;
    }
    let mut parser = Parser {
        words: arguments,
        position: 0,
    };
    match parser.or() {
        Ok(value) if parser.position == arguments.len() => i32::from(!value),
        Ok(_) => {
            complain!("test: {}: unexpected argument", arguments[parser.position]);
            2
        }
        Err(message) => {
            complain!("test: {message}");
            2
        }
    }
}

struct Parser<'a> {
    words: &'a [&'a str],
    position: usize,
}

const BINARY: &[&str] = &["=", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"];
const UNARY: &[&str] = &[
    "-n", "-z", "-e", "-f", "-d", "-r", "-w", "-x", "-s", "-L", "-h", "-p", "-c", "-b", "-S", "-t",
];

impl<'a> Parser<'a> {
    fn peek(&self, offset: usize) -> Option<&'a str> {
        self.words.get(self.position + offset).copied()
    }

    fn or(&mut self) -> Result<bool, &'static str> {
        let mut value = self.and()?;
        while self.peek(0) == Some("-o") {
            self.position += 1;
            value |= self.and()?;
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<bool, &'static str> {
        let mut value = self.not()?;
        while self.peek(0) == Some("-a") {
            self.position += 1;
            value &= self.not()?;
        }
        Ok(value)
    }

    fn not(&mut self) -> Result<bool, &'static str> {
        // `! x` negates, unless the `!` is itself the left operand of a binary operator.
        if self.peek(0) == Some("!") && !self.peek(1).is_some_and(|next| BINARY.contains(&next)) {
            self.position += 1;
            if self.peek(0).is_none() {
                // `test !` is the one-argument test of the string "!".
                return Ok(true);
            }
            return Ok(!self.not()?);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, &'static str> {
        let Some(first) = self.peek(0) else {
            return Err("argument expected");
        };
        if let Some(operator) = self.peek(1)
            && BINARY.contains(&operator)
            && self.peek(2).is_some()
        {
            let right = self.peek(2).unwrap_or_default();
            self.position += 3;
            return binary(first, operator, right);
        }
        if first == "(" && self.peek(1).is_some() {
            self.position += 1;
            let value = self.or()?;
            if self.peek(0) != Some(")") {
                return Err("missing )");
            }
            self.position += 1;
            return Ok(value);
        }
        if UNARY.contains(&first)
            && let Some(operand) = self.peek(1)
        {
            self.position += 2;
            return Ok(unary(first, operand));
        }
        self.position += 1;
        Ok(!first.is_empty())
    }
}

fn integer(text: &str) -> Result<i64, &'static str> {
    text.trim()
        .parse()
        .map_err(|_| "integer expression expected")
}

fn binary(left: &str, operator: &str, right: &str) -> Result<bool, &'static str> {
    Ok(match operator {
        "=" => left == right,
        "!=" => left != right,
        "-eq" => integer(left)? == integer(right)?,
        "-ne" => integer(left)? != integer(right)?,
        "-lt" => integer(left)? < integer(right)?,
        "-le" => integer(left)? <= integer(right)?,
        "-gt" => integer(left)? > integer(right)?,
        "-ge" => integer(left)? >= integer(right)?,
        _ => return Err("unknown operator"),
    })
}

fn unary(operator: &str, operand: &str) -> bool {
    use libposix_sys::fcntl::{R_OK, W_OK, X_OK};
    let status = || fs::stat(operand).ok();
    match operator {
        "-n" => !operand.is_empty(),
        "-z" => operand.is_empty(),
        "-e" => status().is_some(),
        "-f" => status().is_some_and(|s| S_ISREG(s.st_mode)),
        "-d" => status().is_some_and(|s| S_ISDIR(s.st_mode)),
        "-p" => status().is_some_and(|s| S_ISFIFO(s.st_mode)),
        "-c" => status().is_some_and(|s| S_ISCHR(s.st_mode)),
        "-b" => status().is_some_and(|s| S_ISBLK(s.st_mode)),
        "-S" => status().is_some_and(|s| S_ISSOCK(s.st_mode)),
        "-s" => status().is_some_and(|s| s.st_size > 0),
        "-L" | "-h" => fs::lstat(operand).is_ok_and(|s| S_ISLNK(s.st_mode)),
        "-r" => fs::access(operand, R_OK).is_ok(),
        "-w" => fs::access(operand, W_OK).is_ok(),
        "-x" => fs::access(operand, X_OK).is_ok(),
        "-t" => operand
            .parse::<i32>()
            .ok()
            .and_then(|fd| fs::fstat(fd).ok())
            .is_some_and(|s| S_ISCHR(s.st_mode)),
        _ => false,
    }
}
