//! `chmod`'s modes: octal (`755`) and symbolic (`u+x,go-w`, `a=rX`, `u=g`, `+t`).

use alloc::vec::Vec;

/// Why a mode was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidMode;

/// `+`, `-` or `=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Add,
    Remove,
    Set,
}

/// What a clause's operator applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permissions {
    /// `r`, `w`, `x`, `X`, `s`, `t` letters as bits (`X` separately).
    Letters {
        bits: u32,
        conditional_execute: bool,
    },
    /// `u`, `g` or `o`: copy that class's current bits.
    Copy(u32),
}

/// One comma-separated clause of a symbolic mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    /// Who: a mask of the classes' bits (0 = as `a`, but filtered by the umask).
    who: u32,
    actions: Vec<(Operation, Permissions)>,
}

/// A parsed mode operand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModeChange {
    /// An absolute octal mode.
    Absolute(u32),
    /// Symbolic clauses.
    Symbolic(Vec<Clause>),
}

const USER: u32 = 0o4700;
const GROUP: u32 = 0o2070;
const OTHER: u32 = 0o1007;

/// Parses a mode operand.
///
/// # Errors
/// [`InvalidMode`].
pub fn parse_mode(text: &str) -> Result<ModeChange, InvalidMode> {
    if !text.is_empty() && text.bytes().all(|byte| (b'0'..=b'7').contains(&byte)) {
        let value = u32::from_str_radix(text, 8).map_err(|_| InvalidMode)?;
        if value > 0o7777 {
            return Err(InvalidMode);
        }
        return Ok(ModeChange::Absolute(value));
    }
    let mut clauses = Vec::new();
    for clause_text in text.split(',') {
        let bytes = clause_text.as_bytes();
        let mut index = 0;
        let mut who = 0;
        while let Some(&letter) = bytes.get(index) {
            who |= match letter {
                b'u' => USER,
                b'g' => GROUP,
                b'o' => OTHER,
                b'a' => USER | GROUP | OTHER,
                _ => break,
            };
            index += 1;
        }
        let mut actions = Vec::new();
        while let Some(&operator) = bytes.get(index) {
            let operation = match operator {
                b'+' => Operation::Add,
                b'-' => Operation::Remove,
                b'=' => Operation::Set,
                _ => return Err(InvalidMode),
            };
            index += 1;
            let permissions = match bytes.get(index) {
                Some(b'u') => {
                    index += 1;
                    Permissions::Copy(USER)
                }
                Some(b'g') => {
                    index += 1;
                    Permissions::Copy(GROUP)
                }
                Some(b'o') => {
                    index += 1;
                    Permissions::Copy(OTHER)
                }
                _ => {
                    let mut bits = 0;
                    let mut conditional_execute = false;
                    while let Some(&letter) = bytes.get(index) {
                        bits |= match letter {
                            b'r' => 0o444,
                            b'w' => 0o222,
                            b'x' => 0o111,
                            b's' => 0o6000,
                            b't' => 0o1000,
                            b'X' => {
                                conditional_execute = true;
                                0
                            }
                            _ => break,
                        };
                        index += 1;
                    }
                    Permissions::Letters {
                        bits,
                        conditional_execute,
                    }
                }
            };
            actions.push((operation, permissions));
        }
        if actions.is_empty() {
            return Err(InvalidMode);
        }
        clauses.push(Clause { who, actions });
    }
    Ok(ModeChange::Symbolic(clauses))
}

impl ModeChange {
    /// The new permission bits for a file with `mode` (a directory when `directory`), with the
    /// process's `umask` filtering clauses that name no class.
    #[must_use]
    pub fn apply(&self, mode: u32, directory: bool, umask: u32) -> u32 {
        let clauses = match self {
            Self::Absolute(value) => return *value,
            Self::Symbolic(clauses) => clauses,
        };
        let mut mode = mode & 0o7777;
        for clause in clauses {
            let (who, mask) = if clause.who == 0 {
                (USER | GROUP | OTHER, !umask & 0o7777)
            } else {
                (clause.who, 0o7777)
            };
            for (operation, permissions) in &clause.actions {
                let bits = match *permissions {
                    Permissions::Letters {
                        bits,
                        conditional_execute,
                    } => {
                        let execute = conditional_execute && (directory || mode & 0o111 != 0);
                        bits | if execute { 0o111 } else { 0 }
                    }
                    Permissions::Copy(class) => {
                        let value = mode & class & 0o777;
                        let three = match class {
                            USER => value >> 6,
                            GROUP => value >> 3,
                            _ => value,
                        };
                        three * 0o111
                    }
                };
                let bits = bits & who & mask;
                mode = match operation {
                    Operation::Add => mode | bits,
                    Operation::Remove => mode & !bits,
                    // `=` clears the named classes' bits (a directory keeps its set-id bits).
                    Operation::Set => {
                        let cleared = who & if directory { 0o777 } else { 0o7777 };
                        (mode & !cleared) | bits
                    }
                };
            }
        }
        mode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, mode: u32) -> u32 {
        parse_mode(text).unwrap().apply(mode, false, 0o022)
    }

    #[test]
    fn octal_and_symbolic() {
        assert_eq!(apply("755", 0o600), 0o755);
        assert_eq!(apply("4755", 0o600), 0o4755);
        assert_eq!(apply("u+x", 0o644), 0o744);
        assert_eq!(apply("go-r", 0o644), 0o600);
        assert_eq!(apply("a=r", 0o777), 0o444);
        assert_eq!(apply("u=rw,g=r,o=", 0o777), 0o640);
        assert_eq!(apply("+x", 0o644), 0o755);
        // Without a class the umask (022) filters: group and other keep their write bits.
        assert_eq!(apply("-w", 0o666), 0o466);
        assert_eq!(apply("a-w", 0o666), 0o444);
        assert_eq!(apply("u+s", 0o755), 0o4755);
        assert_eq!(apply("+t", 0o777), 0o1777);
        assert_eq!(apply("g=u", 0o750), 0o770);
        assert_eq!(apply("a+X", 0o644), 0o644);
        assert_eq!(apply("a+X", 0o744), 0o755);
        assert_eq!(parse_mode("a+X").unwrap().apply(0o600, true, 0), 0o711);
        assert_eq!(apply("u+x,o-r", 0o644), 0o740);
        for bad in ["", "8", "17777", "u", "z+x", "u+x,", "u!x"] {
            assert_eq!(parse_mode(bad), Err(InvalidMode), "{bad}");
        }
    }
}
