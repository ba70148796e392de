//! Arithmetic expansion (POSIX XCU 2.6.4): `$((expression))` evaluated in signed 64-bit integers
//! with C's operators and precedence — unary `+ - ! ~`, `* / %`, `+ -`, `<< >>`, `< <= > >=`,
//! `== !=`, `&`, `^`, `|`, `&&`, `||`, `?:`, and the assignments `= *= /= %= += -= <<= >>= &= ^=
//! |=` — over variables read and written through closures.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// How deeply parentheses and unary operators may nest (each level costs stack; a program's
/// stack is small).
const MAXIMUM_DEPTH: u32 = 32;

/// Why an expression could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArithmeticError(pub String);

/// The variables an expression reads and assigns.
pub trait Variables {
    /// A variable's value (unset is `None`).
    fn get(&self, name: &str) -> Option<String>;
    /// Sets a variable.
    fn set(&mut self, name: &str, value: &str);
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Number(i64),
    Name(String),
    Operator(&'static str),
}

const OPERATORS: &[&str] = &[
    "<<=", ">>=", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=", "+=", "-=",
    "&=", "^=", "|=", "+", "-", "*", "/", "%", "<", ">", "&", "^", "|", "!", "~", "?", ":", "=",
    "(", ")",
];

fn tokenize(text: &str) -> Result<Vec<Token>, ArithmeticError> {
    let characters: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < characters.len() {
        let character = characters[index];
        if character.is_whitespace() {
            index += 1;
        } else if character.is_ascii_digit() {
            let start = index;
            while index < characters.len() && characters[index].is_ascii_alphanumeric() {
                index += 1;
            }
            let literal: String = characters[start..index].iter().collect();
            tokens.push(Token::Number(parse_number(&literal)?));
        } else if character.is_ascii_alphabetic() || character == '_' {
            let start = index;
            while index < characters.len()
                && (characters[index].is_ascii_alphanumeric() || characters[index] == '_')
            {
                index += 1;
            }
            tokens.push(Token::Name(characters[start..index].iter().collect()));
        } else {
            let rest: String = characters[index..characters.len().min(index + 3)]
                .iter()
                .collect();
            let Some(operator) = OPERATORS
                .iter()
                .find(|operator| rest.starts_with(*operator))
            else {
                return Err(ArithmeticError(format!("unexpected `{character}`")));
            };
            tokens.push(Token::Operator(operator));
            index += operator.len();
        }
    }
    Ok(tokens)
}

/// A decimal, octal (leading 0) or hexadecimal (0x) constant.
fn parse_number(literal: &str) -> Result<i64, ArithmeticError> {
    let parsed = if let Some(hex) = literal
        .strip_prefix("0x")
        .or_else(|| literal.strip_prefix("0X"))
    {
        i64::from_str_radix(hex, 16)
    } else if literal.len() > 1 && literal.starts_with('0') {
        i64::from_str_radix(&literal[1..], 8)
    } else {
        literal.parse()
    };
    parsed.map_err(|_| ArithmeticError(format!("bad number `{literal}`")))
}

/// Evaluates `text`.
///
/// # Errors
/// [`ArithmeticError`] for a malformed expression, a division by zero, or a variable whose
/// value is not a number.
pub fn evaluate(text: &str, variables: &mut dyn Variables) -> Result<i64, ArithmeticError> {
    let tokens = tokenize(text)?;
    if tokens.is_empty() {
        return Ok(0);
    }
    let mut evaluator = Evaluator {
        tokens,
        position: 0,
        variables,
        depth: 0,
    };
    let value = evaluator.assignment(true)?;
    match evaluator.tokens.get(evaluator.position) {
        None => Ok(value),
        Some(token) => Err(ArithmeticError(format!("unexpected {token:?}"))),
    }
}

struct Evaluator<'a> {
    tokens: Vec<Token>,
    position: usize,
    variables: &'a mut dyn Variables,
    depth: u32,
}

/// Binary operators by precedence level, lowest first (below the conditional).
const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", "<=", ">", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl Evaluator<'_> {
    fn peek_operator(&self) -> Option<&'static str> {
        match self.tokens.get(self.position) {
            Some(Token::Operator(operator)) => Some(operator),
            _ => None,
        }
    }

    fn variable(&self, name: &str) -> Result<i64, ArithmeticError> {
        match self.variables.get(name) {
            None => Ok(0),
            Some(value) if value.trim().is_empty() => Ok(0),
            Some(value) => {
                let value = value.trim();
                let (negative, digits) = match value.strip_prefix('-') {
                    Some(digits) => (true, digits),
                    None => (false, value.strip_prefix('+').unwrap_or(value)),
                };
                let number = parse_number(digits)
                    .map_err(|_| ArithmeticError(format!("{name}: `{value}` is not a number")))?;
                Ok(if negative {
                    number.wrapping_neg()
                } else {
                    number
                })
            }
        }
    }

    /// `name op= expression`, or a conditional expression. `live`: evaluated for its effects
    /// (false in the branch `&&`, `||` or `?:` skips).
    fn assignment(&mut self, live: bool) -> Result<i64, ArithmeticError> {
        self.depth += 1;
        if self.depth > MAXIMUM_DEPTH {
            return Err(ArithmeticError(String::from(
                "expression nested too deeply",
            )));
        }
        let result = self.assignment_inner(live);
        self.depth -= 1;
        result
    }

    fn assignment_inner(&mut self, live: bool) -> Result<i64, ArithmeticError> {
        if let (Some(Token::Name(name)), Some(Token::Operator(operator))) = (
            self.tokens.get(self.position).cloned(),
            self.tokens.get(self.position + 1).cloned(),
        ) && operator.ends_with('=')
            && !matches!(operator, "==" | "!=" | "<=" | ">=")
        {
            self.position += 2;
            let right = self.assignment(live)?;
            let value = if operator == "=" {
                right
            } else {
                let left = self.variable(&name)?;
                apply(&operator[..operator.len() - 1], left, right)?
            };
            if live {
                self.variables.set(&name, &format!("{value}"));
            }
            return Ok(value);
        }
        self.conditional(live)
    }

    fn conditional(&mut self, live: bool) -> Result<i64, ArithmeticError> {
        let condition = self.binary(0, live)?;
        if self.peek_operator() != Some("?") {
            return Ok(condition);
        }
        self.position += 1;
        let chosen = self.assignment(live && condition != 0)?;
        if self.peek_operator() != Some(":") {
            return Err(ArithmeticError(String::from("`?` without `:`")));
        }
        self.position += 1;
        let other = self.conditional(live && condition == 0)?;
        Ok(if condition != 0 { chosen } else { other })
    }

    fn binary(&mut self, level: usize, live: bool) -> Result<i64, ArithmeticError> {
        if level == LEVELS.len() {
            return self.unary(live);
        }
        let mut left = self.binary(level + 1, live)?;
        while let Some(operator) = self.peek_operator().filter(|op| LEVELS[level].contains(op)) {
            self.position += 1;
            left = match operator {
                "&&" => {
                    let right = self.binary(level + 1, live && left != 0)?;
                    i64::from(left != 0 && right != 0)
                }
                "||" => {
                    let right = self.binary(level + 1, live && left == 0)?;
                    i64::from(left != 0 || right != 0)
                }
                _ => {
                    let right = self.binary(level + 1, live)?;
                    if live {
                        apply(operator, left, right)?
                    } else {
                        apply(operator, left, right).unwrap_or(0)
                    }
                }
            };
        }
        Ok(left)
    }

    fn unary(&mut self, live: bool) -> Result<i64, ArithmeticError> {
        match self.tokens.get(self.position).cloned() {
            Some(Token::Operator(operator @ ("+" | "-" | "!" | "~"))) => {
                self.position += 1;
                self.depth += 1;
                if self.depth > MAXIMUM_DEPTH {
                    return Err(ArithmeticError(String::from(
                        "expression nested too deeply",
                    )));
                }
                let value = self.unary(live);
                self.depth -= 1;
                let value = value?;
                Ok(match operator {
                    "+" => value,
                    "-" => value.wrapping_neg(),
                    "!" => i64::from(value == 0),
                    _ => !value,
                })
            }
            Some(Token::Operator("(")) => {
                self.position += 1;
                let value = self.assignment(live)?;
                if self.peek_operator() != Some(")") {
                    return Err(ArithmeticError(String::from("missing `)`")));
                }
                self.position += 1;
                Ok(value)
            }
            Some(Token::Number(number)) => {
                self.position += 1;
                Ok(number)
            }
            Some(Token::Name(name)) => {
                self.position += 1;
                self.variable(&name)
            }
            Some(token) => Err(ArithmeticError(format!("unexpected {token:?}"))),
            None => Err(ArithmeticError(String::from("missing operand"))),
        }
    }
}

fn apply(operator: &str, left: i64, right: i64) -> Result<i64, ArithmeticError> {
    let division_by_zero = || ArithmeticError(String::from("division by zero"));
    Ok(match operator {
        "*" => left.wrapping_mul(right),
        "/" => left.checked_div(right).ok_or_else(division_by_zero)?,
        "%" => left.checked_rem(right).ok_or_else(division_by_zero)?,
        "+" => left.wrapping_add(right),
        "-" => left.wrapping_sub(right),
        "<<" => left.wrapping_shl(right as u32),
        ">>" => left.wrapping_shr(right as u32),
        "<" => i64::from(left < right),
        "<=" => i64::from(left <= right),
        ">" => i64::from(left > right),
        ">=" => i64::from(left >= right),
        "==" => i64::from(left == right),
        "!=" => i64::from(left != right),
        "&" => left & right,
        "^" => left ^ right,
        "|" => left | right,
        _ => return Err(ArithmeticError(format!("unknown operator `{operator}`"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;

    #[derive(Default)]
    struct Map(BTreeMap<String, String>);

    impl Variables for Map {
        fn get(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
        fn set(&mut self, name: &str, value: &str) {
            self.0.insert(String::from(name), String::from(value));
        }
    }

    fn eval(text: &str) -> Result<i64, ArithmeticError> {
        evaluate(text, &mut Map::default())
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(eval("1 + 2 * 3"), Ok(7));
        assert_eq!(eval("(1 + 2) * 3"), Ok(9));
        assert_eq!(eval("10 - 3 - 2"), Ok(5));
        assert_eq!(eval("-2 * -3"), Ok(6));
        assert_eq!(eval("7 / 2 + 7 % 2"), Ok(4));
        assert_eq!(eval("1 << 4 | 1"), Ok(17));
        assert_eq!(eval("3 > 2 && 2 > 3 || !0"), Ok(1));
        assert_eq!(eval("1 ? 2 : 3"), Ok(2));
        assert_eq!(eval("0 ? 2 : 0 ? 3 : 4"), Ok(4));
        assert_eq!(eval("0x10 + 010 + ~0"), Ok(23));
        assert_eq!(eval(""), Ok(0));
    }

    #[test]
    fn variables_and_assignments() {
        let mut variables = Map::default();
        variables.set("i", "4");
        assert_eq!(evaluate("i + 1", &mut variables), Ok(5));
        assert_eq!(evaluate("i += 2", &mut variables), Ok(6));
        assert_eq!(variables.get("i").as_deref(), Some("6"));
        assert!(evaluate("j = i * 2, 0", &mut variables).is_err());
        assert_eq!(evaluate("unset_is_zero", &mut variables), Ok(0));
        // The branch not taken has no effect.
        assert_eq!(evaluate("0 && (k = 1)", &mut variables), Ok(0));
        assert_eq!(variables.get("k"), None);
    }

    #[test]
    fn errors() {
        assert!(eval("1 / 0").is_err());
        assert!(eval("1 +").is_err());
        assert!(eval("(1").is_err());
        assert!(eval("1 2").is_err());
        assert!(eval("08").is_err());
        assert!(eval("i64::MIN").is_err());
        let mut variables = Map::default();
        variables.set("word", "abc");
        assert!(evaluate("word + 1", &mut variables).is_err());
        let deep = "(".repeat(500) + "1" + &")".repeat(500);
        assert!(eval(&deep).is_err());
    }
}
