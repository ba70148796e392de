//! `printf`: the format's escapes and conversions (`%d %i %u %o %x %X %c %s %b %f %e %%` with
//! flags, width and precision), reused while arguments remain; numeric arguments in decimal,
//! `0x` hexadecimal, `0` octal or `'c` (the character's value).

use alloc::string::String;
use alloc::vec::Vec;

/// The output and the complaints (`printf` prints each to standard error and exits 1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Formatted {
    /// The bytes to write.
    pub output: Vec<u8>,
    /// One message per bad argument or conversion.
    pub errors: Vec<String>,
}

/// Appends the escape at `format[index..]` (after the backslash); returns the bytes consumed
/// and whether `\c` asked to stop. `in_argument` is `%b`'s variant (octal as `\0NNN`).
fn escape(format: &[u8], index: usize, in_argument: bool, output: &mut Vec<u8>) -> (usize, bool) {
    let Some(&letter) = format.get(index) else {
        output.push(b'\\');
        return (0, false);
    };
    let simple = match letter {
        b'\\' => Some(b'\\'),
        b'a' => Some(0x07),
        b'b' => Some(0x08),
        b'f' => Some(0x0c),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(0x0b),
        b'"' => Some(b'"'),
        b'\'' => Some(b'\''),
        _ => None,
    };
    if let Some(byte) = simple {
        output.push(byte);
        return (1, false);
    }
    if letter == b'c' && in_argument {
        return (1, true);
    }
    if letter.is_ascii_digit() && letter < b'8' {
        let (start, most) = if in_argument && letter == b'0' {
            (index + 1, 3)
        } else {
            (index, 3)
        };
        let mut value: u32 = 0;
        let mut end = start;
        while end < format.len() && end < start + most && (b'0'..=b'7').contains(&format[end]) {
            value = value * 8 + u32::from(format[end] - b'0');
            end += 1;
        }
        output.push((value & 0xff) as u8);
        return (end - index, false);
    }
    output.push(b'\\');
    output.push(letter);
    (1, false)
}

/// Parses a numeric argument as `printf` does; a bad one is reported and counts as what parsed.
fn integer_argument(text: &str, errors: &mut Vec<String>) -> i128 {
    let bytes = text.as_bytes();
    if let Some(&quote) = bytes.first()
        && (quote == b'\'' || quote == b'"')
    {
        return text[1..]
            .chars()
            .next()
            .map_or(0, |character| i128::from(u32::from(character)));
    }
    let trimmed = text.trim_start();
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    let (radix, digits) = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, hex)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    let valid = digits
        .bytes()
        .take_while(|byte| char::from(*byte).is_digit(radix))
        .count();
    let parsed = if valid == 0 {
        Ok(0)
    } else {
        i128::from_str_radix(&digits[..valid], radix)
    };
    let Ok(value) = parsed else {
        errors.push(alloc::format!("{text}: Numerical result out of range"));
        return if negative { i128::MIN } else { i128::MAX };
    };
    if valid == 0 || valid != digits.len() {
        let message = if valid == 0 {
            alloc::format!("{text}: expected a numeric value")
        } else {
            alloc::format!("{text}: value not completely converted")
        };
        if !text.is_empty() {
            errors.push(message);
        }
    }
    if negative { -value } else { value }
}

fn float_argument(text: &str, errors: &mut Vec<String>) -> f64 {
    if let Ok(value) = text.trim().parse::<f64>() {
        return value;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "printf's %f of an integer argument"
    )]
    let value = integer_argument(text, errors) as f64;
    value
}

/// The widest field or longest precision honoured: a hostile `%999999999d` is refused rather
/// than exhausting memory.
pub const MAXIMUM_FIELD: usize = 1 << 16;

/// A conversion's flags, width and precision.
#[derive(Clone, Copy, Debug, Default)]
struct Specification {
    left: bool,
    plus: bool,
    space: bool,
    alternate: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

fn pad(body: String, sign: &str, specification: &Specification, numeric: bool) -> String {
    let length = body.chars().count() + sign.len();
    if length >= specification.width {
        return alloc::format!("{sign}{body}");
    }
    let fill = specification.width - length;
    if specification.left {
        alloc::format!("{sign}{body}{}", " ".repeat(fill))
    } else if specification.zero && numeric {
        alloc::format!("{sign}{}{body}", "0".repeat(fill))
    } else {
        alloc::format!("{}{sign}{body}", " ".repeat(fill))
    }
}

fn exponent_form(value: f64, precision: usize, upper: bool) -> String {
    let text = alloc::format!("{value:.precision$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let sign = if exponent < 0 { '-' } else { '+' };
    let letter = if upper { 'E' } else { 'e' };
    alloc::format!("{mantissa}{letter}{sign}{:02}", exponent.unsigned_abs())
}

/// Formats `format` with `arguments` as `printf FORMAT ARGUMENTS…` does.
#[must_use]
pub fn format(format: &[u8], arguments: &[String]) -> Formatted {
    let mut result = Formatted::default();
    let mut next_argument = 0;
    loop {
        let used_before = next_argument;
        let stop = format_once(format, arguments, &mut next_argument, &mut result);
        if stop || next_argument >= arguments.len() || next_argument == used_before {
            return result;
        }
    }
}

/// One pass over the format; returns whether `\c` stopped all output.
fn format_once(
    format: &[u8],
    arguments: &[String],
    next_argument: &mut usize,
    result: &mut Formatted,
) -> bool {
    let mut index = 0;
    while index < format.len() {
        let byte = format[index];
        if byte == b'\\' {
            let (used, _) = escape(format, index + 1, false, &mut result.output);
            index += 1 + used;
            continue;
        }
        if byte != b'%' {
            result.output.push(byte);
            index += 1;
            continue;
        }
        index += 1;
        let mut specification = Specification::default();
        while let Some(&flag) = format.get(index) {
            match flag {
                b'-' => specification.left = true,
                b'+' => specification.plus = true,
                b' ' => specification.space = true,
                b'#' => specification.alternate = true,
                b'0' => specification.zero = true,
                _ => break,
            }
            index += 1;
        }
        while let Some(&digit) = format.get(index).filter(|byte| byte.is_ascii_digit()) {
            specification.width = specification
                .width
                .saturating_mul(10)
                .saturating_add(usize::from(digit - b'0'));
            index += 1;
        }
        if format.get(index) == Some(&b'.') {
            index += 1;
            let mut precision = 0;
            while let Some(&digit) = format.get(index).filter(|byte| byte.is_ascii_digit()) {
                precision = usize::saturating_add(
                    usize::saturating_mul(precision, 10),
                    usize::from(digit - b'0'),
                );
                index += 1;
            }
            specification.precision = Some(precision);
        }
        if specification.width > MAXIMUM_FIELD
            || specification
                .precision
                .is_some_and(|precision| precision > MAXIMUM_FIELD)
        {
            result.errors.push(alloc::format!(
                "field width or precision over {MAXIMUM_FIELD}"
            ));
            return true;
        }
        let Some(&conversion) = format.get(index) else {
            result
                .errors
                .push(String::from("%: missing conversion specifier"));
            return false;
        };
        index += 1;
        if conversion == b'%' {
            result.output.push(b'%');
            continue;
        }
        let argument = arguments.get(*next_argument).map_or("", String::as_str);
        if matches!(
            conversion,
            b'd' | b'i'
                | b'u'
                | b'o'
                | b'x'
                | b'X'
                | b'c'
                | b's'
                | b'b'
                | b'f'
                | b'F'
                | b'e'
                | b'E'
        ) {
            *next_argument += 1;
        }
        let text = match conversion {
            b'd' | b'i' => {
                let value = integer_argument(argument, &mut result.errors);
                let mut digits = alloc::format!("{}", value.unsigned_abs());
                if let Some(precision) = specification.precision {
                    while digits.len() < precision {
                        digits.insert(0, '0');
                    }
                    specification.zero = false;
                }
                let sign = if value < 0 {
                    "-"
                } else if specification.plus {
                    "+"
                } else if specification.space {
                    " "
                } else {
                    ""
                };
                pad(digits, sign, &specification, true)
            }
            b'u' | b'o' | b'x' | b'X' => {
                let value = integer_argument(argument, &mut result.errors);
                // Negative values wrap as in C's unsigned conversion of a 64-bit integer.
                let value = value as i64 as u64;
                let mut digits = match conversion {
                    b'u' => alloc::format!("{value}"),
                    b'o' => alloc::format!("{value:o}"),
                    b'x' => alloc::format!("{value:x}"),
                    _ => alloc::format!("{value:X}"),
                };
                if let Some(precision) = specification.precision {
                    while digits.len() < precision {
                        digits.insert(0, '0');
                    }
                    specification.zero = false;
                }
                let prefix = match conversion {
                    b'o' if specification.alternate && !digits.starts_with('0') => "0",
                    b'x' if specification.alternate && value != 0 => "0x",
                    b'X' if specification.alternate && value != 0 => "0X",
                    _ => "",
                };
                pad(digits, prefix, &specification, true)
            }
            b'f' | b'F' | b'e' | b'E' => {
                let value = float_argument(argument, &mut result.errors);
                let precision = specification.precision.unwrap_or(6);
                let magnitude = if value < 0.0 { -value } else { value };
                let body = if matches!(conversion, b'f' | b'F') {
                    alloc::format!("{magnitude:.precision$}")
                } else {
                    exponent_form(magnitude, precision, conversion == b'E')
                };
                let sign = if value < 0.0 {
                    "-"
                } else if specification.plus {
                    "+"
                } else if specification.space {
                    " "
                } else {
                    ""
                };
                pad(body, sign, &specification, true)
            }
            b'c' => pad(
                argument
                    .chars()
                    .next()
                    .map(String::from)
                    .unwrap_or_default(),
                "",
                &specification,
                false,
            ),
            b's' => {
                let mut text = String::from(argument);
                if let Some(precision) = specification.precision {
                    text = text.chars().take(precision).collect();
                }
                pad(text, "", &specification, false)
            }
            b'b' => {
                let mut expanded = Vec::new();
                let bytes = argument.as_bytes();
                let mut position = 0;
                let mut stop = false;
                while position < bytes.len() {
                    if bytes[position] == b'\\' {
                        let (used, stopped) = escape(bytes, position + 1, true, &mut expanded);
                        position += 1 + used;
                        if stopped {
                            stop = true;
                            break;
                        }
                    } else {
                        expanded.push(bytes[position]);
                        position += 1;
                    }
                }
                let text = String::from_utf8_lossy(&expanded).into_owned();
                let text = pad(text, "", &specification, false);
                result.output.extend_from_slice(text.as_bytes());
                if stop {
                    return true;
                }
                continue;
            }
            other => {
                result.errors.push(alloc::format!(
                    "%{}: invalid conversion specification",
                    char::from(other)
                ));
                return true;
            }
        };
        result.output.extend_from_slice(text.as_bytes());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(format_text: &str, arguments: &[&str]) -> (String, usize) {
        let arguments: Vec<String> = arguments.iter().map(|text| String::from(*text)).collect();
        let formatted = format(format_text.as_bytes(), &arguments);
        (
            String::from_utf8(formatted.output).unwrap(),
            formatted.errors.len(),
        )
    }

    #[test]
    fn conversions() {
        assert_eq!(
            run("%d|%5d|%-5d|%05d|%+d\n", &["1", "2", "3", "-4", "5"]).0,
            "1|    2|3    |-0004|+5\n"
        );
        assert_eq!(
            run(
                "%x %X %o %#x %#o %u",
                &["255", "255", "8", "255", "8", "-1"]
            )
            .0,
            "ff FF 10 0xff 010 18446744073709551615"
        );
        assert_eq!(
            run("%s-%.2s-%5s-%c", &["abc", "abc", "ab", "xyz"]).0,
            "abc-ab-   ab-x"
        );
        assert_eq!(
            run("%.3f %e %%", &["3.14159", "1234.5"]).0,
            "3.142 1.234500e+03 %"
        );
        assert_eq!(run("%d %d", &["0x10", "'A"]).0, "16 65");
        assert_eq!(run("%.3d", &["7"]).0, "007");
        assert_eq!(run("a\\tb\\101\\n", &[]).0, "a\tbA\n");
        assert_eq!(run("%b", &["x\\ny\\0101"]).0, "x\nyA");
        assert_eq!(run("%b|%s", &["a\\cb", "z"]).0, "a");
    }

    #[test]
    fn the_format_is_reused_and_bad_numbers_are_reported() {
        assert_eq!(run("%s,", &["a", "b", "c"]).0, "a,b,c,");
        assert_eq!(run("%s %s\n", &["a", "b", "c"]).0, "a b\nc \n");
        assert_eq!(run("plain\n", &["ignored"]).0, "plain\n");
        let (output, errors) = run("%d\n", &["12abc"]);
        assert_eq!((output.as_str(), errors), ("12\n", 1));
        let (output, errors) = run("%d\n", &["abc"]);
        assert_eq!((output.as_str(), errors), ("0\n", 1));
        assert_eq!(run("%q", &[]).1, 1);
        assert_eq!(run("%d", &[&"9".repeat(60)]).1, 1);
        assert_eq!(run("%99999999999999999999999d", &["1"]), (String::new(), 1));
        assert_eq!(run("%.999999999s", &["1"]), (String::new(), 1));
    }
}
