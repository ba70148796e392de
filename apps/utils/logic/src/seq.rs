//! `seq`: decimal numbers as scaled integers (as many fraction digits as the widest operand),
//! so `seq 0 0.1 1` prints exact steps; `-s` separator, `-w` equal width.

use alloc::string::String;

/// A decimal operand as an integer count of `10^-scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Decimal {
    units: i128,
    scale: u32,
}

fn parse_decimal(text: &str) -> Option<Decimal> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (integer, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if integer.is_empty() && fraction.is_empty()
        || !integer
            .bytes()
            .chain(fraction.bytes())
            .all(|byte| byte.is_ascii_digit())
        || integer.len() + fraction.len() > 30
    {
        return None;
    }
    let mut units: i128 = 0;
    for byte in integer.bytes().chain(fraction.bytes()) {
        units = units * 10 + i128::from(byte - b'0');
    }
    Some(Decimal {
        units: if negative { -units } else { units },
        scale: fraction.len() as u32,
    })
}

/// `value` in units of `10^-scale` (at least its own scale); `None` if that overflows.
fn rescale(value: Decimal, scale: u32) -> Option<i128> {
    10i128
        .checked_pow(scale - value.scale)
        .and_then(|factor| value.units.checked_mul(factor))
}

/// Why `seq` refused its operands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeqError {
    /// Not a decimal number (the operand).
    InvalidNumber(String),
    /// A zero increment.
    ZeroIncrement,
    /// None or more than three operands.
    Operands,
}

/// The numbers to print.
#[derive(Clone, Debug)]
pub struct Sequence {
    next: i128,
    increment: i128,
    last: i128,
    scale: u32,
    width: usize,
}

fn format_units(units: i128, scale: u32) -> String {
    let magnitude = units.unsigned_abs();
    let divisor = 10u128.pow(scale);
    let mut text = String::new();
    if units < 0 {
        text.push('-');
    }
    text.push_str(&alloc::format!("{}", magnitude / divisor));
    if scale > 0 {
        text.push_str(&alloc::format!(
            ".{:0width$}",
            magnitude % divisor,
            width = scale as usize
        ));
    }
    text
}

impl Sequence {
    /// From `seq`'s operands: `LAST`, `FIRST LAST` or `FIRST INCREMENT LAST`.
    ///
    /// # Errors
    /// [`SeqError`].
    pub fn new(operands: &[&str], equal_width: bool) -> Result<Self, SeqError> {
        let parse = |text: &str| {
            parse_decimal(text).ok_or_else(|| SeqError::InvalidNumber(String::from(text)))
        };
        let one = Decimal { units: 1, scale: 0 };
        let (first, increment, last) = match operands {
            [last] => (one, one, parse(last)?),
            [first, last] => (parse(first)?, one, parse(last)?),
            [first, increment, last] => (parse(first)?, parse(increment)?, parse(last)?),
            _ => return Err(SeqError::Operands),
        };
        let scale = first.scale.max(increment.scale).max(last.scale);
        if increment.units == 0 {
            return Err(SeqError::ZeroIncrement);
        }
        let scaled = |value: Decimal, text: &str| {
            rescale(value, scale).ok_or_else(|| SeqError::InvalidNumber(String::from(text)))
        };
        let texts = match operands {
            [last] => ["1", "1", *last],
            [first, last] => [*first, "1", *last],
            [first, increment, last] => [*first, *increment, *last],
            _ => return Err(SeqError::Operands),
        };
        let mut sequence = Self {
            next: scaled(first, texts[0])?,
            increment: scaled(increment, texts[1])?,
            last: scaled(last, texts[2])?,
            scale,
            width: 0,
        };
        if equal_width {
            sequence.width = format_units(sequence.next, scale)
                .len()
                .max(format_units(sequence.last, scale).len());
        }
        Ok(sequence)
    }
}

impl Iterator for Sequence {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        let done = if self.increment > 0 {
            self.next > self.last
        } else {
            self.next < self.last
        };
        if done {
            return None;
        }
        let text = format_units(self.next, self.scale);
        self.next = self.next.checked_add(self.increment)?;
        if text.len() < self.width {
            let (sign, digits) = match text.strip_prefix('-') {
                Some(digits) => ("-", digits),
                None => ("", text.as_str()),
            };
            let zeros = self.width - text.len();
            return Some(alloc::format!("{sign}{}{digits}", "0".repeat(zeros)));
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn run(operands: &[&str], equal_width: bool) -> Vec<String> {
        Sequence::new(operands, equal_width).unwrap().collect()
    }

    #[test]
    fn counts_up_down_and_in_decimals() {
        assert_eq!(run(&["3"], false), ["1", "2", "3"]);
        assert_eq!(run(&["5", "-2", "1"], false), ["5", "3", "1"]);
        assert_eq!(
            run(&["0", "0.5", "2"], false),
            ["0.0", "0.5", "1.0", "1.5", "2.0"]
        );
        assert_eq!(run(&["8", "10"], true), ["08", "09", "10"]);
        assert!(run(&["3", "1"], false).is_empty());
        assert_eq!(run(&["-1", "1"], false), ["-1", "0", "1"]);
        assert_eq!(
            Sequence::new(&["1", "0", "3"], false).unwrap_err(),
            SeqError::ZeroIncrement
        );
        assert_eq!(
            Sequence::new(&["x"], false).unwrap_err(),
            SeqError::InvalidNumber(String::from("x"))
        );
        assert_eq!(Sequence::new(&[], false).unwrap_err(), SeqError::Operands);
        assert_eq!(run(&["100000"], false).len(), 100_000);
        // 30 digits in one operand and 30 fraction digits in another overflow: refused.
        let huge = "9".repeat(30);
        let tiny = alloc::format!("0.{}1", "0".repeat(28));
        assert!(matches!(
            Sequence::new(&[&huge, &tiny, &huge], false),
            Err(SeqError::InvalidNumber(_))
        ));
    }
}
