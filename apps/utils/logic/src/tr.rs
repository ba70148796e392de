//! `tr`: sets with escapes (`\n`, `\\`, `\NNN`), ranges (`a-z`), classes (`[:digit:]`) and
//! repeats (`[x*]`, `[x*n]`); translation, `-d`, `-s` and `-c`, streaming.

use alloc::vec::Vec;

/// Why a set was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetError {
    /// A range whose end is before its start.
    DecreasingRange,
    /// `[:name:]` with an unknown name.
    UnknownClass,
    /// A repeat `[x*n]` with a bad count.
    BadRepeat,
}

impl core::fmt::Display for SetError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter.write_str(match self {
            Self::DecreasingRange => "range-endpoints are in reverse collating sequence order",
            Self::UnknownClass => "invalid character class",
            Self::BadRepeat => "invalid repeat count",
        })
    }
}

fn class(name: &[u8]) -> Option<fn(u8) -> bool> {
    Some(match name {
        b"alpha" => |byte: u8| byte.is_ascii_alphabetic(),
        b"digit" => |byte: u8| byte.is_ascii_digit(),
        b"alnum" => |byte: u8| byte.is_ascii_alphanumeric(),
        b"lower" => |byte: u8| byte.is_ascii_lowercase(),
        b"upper" => |byte: u8| byte.is_ascii_uppercase(),
        b"space" => |byte: u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        b"blank" => |byte: u8| byte == b' ' || byte == b'\t',
        b"punct" => |byte: u8| byte.is_ascii_punctuation(),
        b"cntrl" => |byte: u8| byte.is_ascii_control(),
        b"print" => |byte: u8| (0x20..0x7f).contains(&byte),
        b"graph" => |byte: u8| byte.is_ascii_graphic(),
        b"xdigit" => |byte: u8| byte.is_ascii_hexdigit(),
        _ => return None,
    })
}

/// Reads one possibly escaped byte at `index`; returns it and the index after it.
fn escaped_byte(text: &[u8], index: usize) -> (u8, usize) {
    if text[index] != b'\\' || index + 1 >= text.len() {
        return (text[index], index + 1);
    }
    let next = text[index + 1];
    if (b'0'..=b'7').contains(&next) {
        let mut value: u32 = 0;
        let mut end = index + 1;
        while end < text.len() && end < index + 4 && (b'0'..=b'7').contains(&text[end]) {
            value = value * 8 + u32::from(text[end] - b'0');
            end += 1;
        }
        return ((value & 0xff) as u8, end);
    }
    let byte = match next {
        b'n' => b'\n',
        b't' => b'\t',
        b'r' => b'\r',
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'v' => 0x0b,
        other => other,
    };
    (byte, index + 2)
}

/// The longest repeat `[x*n]` expands to (more than any set of byte values can use).
const MAXIMUM_REPEAT: usize = 4096;

/// One element of a parsed set: a byte, or a byte repeated (`None` count: to fill set 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Element {
    Byte(u8),
    Repeat(u8, Option<usize>),
}

fn parse_elements(text: &[u8]) -> Result<Vec<Element>, SetError> {
    let mut elements = Vec::new();
    let mut index = 0;
    while index < text.len() {
        if text[index] == b'['
            && text.get(index + 1) == Some(&b':')
            && let Some(end) = text[index + 2..].windows(2).position(|pair| pair == b":]")
        {
            let name = &text[index + 2..index + 2 + end];
            let test = class(name).ok_or(SetError::UnknownClass)?;
            elements.extend((0..=255u8).filter(|&byte| test(byte)).map(Element::Byte));
            index += end + 4;
            continue;
        }
        if text[index] == b'[' && index + 2 < text.len() {
            let (byte, after) = escaped_byte(text, index + 1);
            if text.get(after) == Some(&b'*')
                && let Some(close) = text[after..].iter().position(|&byte| byte == b']')
            {
                let count_text = &text[after + 1..after + close];
                let count = if count_text.is_empty() {
                    None
                } else {
                    let radix = if count_text[0] == b'0' { 8 } else { 10 };
                    let count = core::str::from_utf8(count_text)
                        .ok()
                        .and_then(|text| usize::from_str_radix(text, radix).ok())
                        .ok_or(SetError::BadRepeat)?;
                    // Beyond every byte value a repeat changes nothing; a huge count must not
                    // exhaust memory.
                    (count > 0).then_some(count.min(MAXIMUM_REPEAT))
                };
                elements.push(Element::Repeat(byte, count));
                index = after + close + 1;
                continue;
            }
        }
        let (byte, after) = escaped_byte(text, index);
        if text.get(after) == Some(&b'-') && after + 1 < text.len() {
            let (last, end) = escaped_byte(text, after + 1);
            if last < byte {
                return Err(SetError::DecreasingRange);
            }
            elements.extend((byte..=last).map(Element::Byte));
            index = end;
            continue;
        }
        elements.push(Element::Byte(byte));
        index = after;
    }
    Ok(elements)
}

/// Expands a set to its bytes in order (`[x*]` repeats count once here).
///
/// # Errors
/// [`SetError`].
pub fn parse_set(text: &[u8]) -> Result<Vec<u8>, SetError> {
    Ok(parse_elements(text)?
        .into_iter()
        .flat_map(|element| match element {
            Element::Byte(byte) => core::iter::repeat_n(byte, 1),
            Element::Repeat(byte, count) => core::iter::repeat_n(byte, count.unwrap_or(1)),
        })
        .collect())
}

/// Expands set 2 to `length` bytes: `[x*]` fills, and the last byte pads.
fn parse_second_set(text: &[u8], length: usize) -> Result<Vec<u8>, SetError> {
    let elements = parse_elements(text)?;
    let fixed: usize = elements
        .iter()
        .map(|element| match element {
            Element::Byte(_) => 1,
            Element::Repeat(_, Some(count)) => *count,
            Element::Repeat(_, None) => 0,
        })
        .sum();
    let mut fill = length.saturating_sub(fixed);
    let mut bytes = Vec::new();
    for element in elements {
        match element {
            Element::Byte(byte) => bytes.push(byte),
            Element::Repeat(byte, Some(count)) => bytes.extend(core::iter::repeat_n(byte, count)),
            Element::Repeat(byte, None) => {
                bytes.extend(core::iter::repeat_n(byte, fill));
                fill = 0;
            }
        }
    }
    if let Some(&last) = bytes.last() {
        while bytes.len() < length {
            bytes.push(last);
        }
    }
    Ok(bytes)
}

/// What `tr` was asked to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrOptions {
    /// Use the complement of set 1 (`-c`).
    pub complement: bool,
    /// Delete set 1's bytes (`-d`).
    pub delete: bool,
    /// Squeeze runs of the last set's bytes (`-s`).
    pub squeeze: bool,
}

/// Why `tr` cannot run with these operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrError {
    /// A set is malformed.
    Set(SetError),
    /// Translation needs a non-empty set 2.
    MissingSecondSet,
    /// `-d` without `-s` takes one set only.
    ExtraSet,
}

impl From<SetError> for TrError {
    fn from(error: SetError) -> Self {
        Self::Set(error)
    }
}

/// A translator, with the last byte written kept for squeezing across pieces.
#[derive(Clone, Debug)]
pub struct Translator {
    map: [u8; 256],
    delete: [bool; 256],
    squeeze: [bool; 256],
    last: Option<u8>,
}

impl Translator {
    /// Builds the tables from the options and sets.
    ///
    /// # Errors
    /// [`TrError`].
    pub fn new(options: TrOptions, first: &[u8], second: Option<&[u8]>) -> Result<Self, TrError> {
        let mut set1 = parse_set(first)?;
        if options.complement {
            let mut member = [false; 256];
            for &byte in &set1 {
                member[usize::from(byte)] = true;
            }
            set1 = (0..=255u8)
                .filter(|&byte| !member[usize::from(byte)])
                .collect();
        }
        let mut translator = Self {
            map: core::array::from_fn(|index| index as u8),
            delete: [false; 256],
            squeeze: [false; 256],
            last: None,
        };
        if options.delete {
            if second.is_some() && !options.squeeze {
                return Err(TrError::ExtraSet);
            }
            for &byte in &set1 {
                translator.delete[usize::from(byte)] = true;
            }
            if let Some(second) = second {
                for byte in parse_set(second)? {
                    translator.squeeze[usize::from(byte)] = true;
                }
            }
            return Ok(translator);
        }
        match second {
            Some(second) => {
                let set2 = parse_second_set(second, set1.len())?;
                if set2.is_empty() && !set1.is_empty() {
                    return Err(TrError::MissingSecondSet);
                }
                for (&from, &to) in set1.iter().zip(&set2) {
                    translator.map[usize::from(from)] = to;
                }
                if options.squeeze {
                    for &byte in &set2 {
                        translator.squeeze[usize::from(byte)] = true;
                    }
                }
            }
            None if options.squeeze => {
                for &byte in &set1 {
                    translator.squeeze[usize::from(byte)] = true;
                }
            }
            None => return Err(TrError::MissingSecondSet),
        }
        Ok(translator)
    }

    /// Translates `input`, appending to `output`.
    pub fn apply(&mut self, input: &[u8], output: &mut Vec<u8>) {
        for &byte in input {
            if self.delete[usize::from(byte)] {
                continue;
            }
            let byte = self.map[usize::from(byte)];
            if self.squeeze[usize::from(byte)] && self.last == Some(byte) {
                continue;
            }
            self.last = Some(byte);
            output.push(byte);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(
        options: TrOptions,
        first: &str,
        second: Option<&str>,
        input: &str,
    ) -> alloc::string::String {
        let mut translator =
            Translator::new(options, first.as_bytes(), second.map(str::as_bytes)).unwrap();
        let mut output = Vec::new();
        translator.apply(input.as_bytes(), &mut output);
        alloc::string::String::from_utf8(output).unwrap()
    }

    #[test]
    fn sets_expand() {
        assert_eq!(parse_set(b"a-d").unwrap(), b"abcd");
        assert_eq!(parse_set(b"\\n\\t\\101\\\\").unwrap(), b"\n\tA\\");
        assert_eq!(parse_set(b"[:digit:]").unwrap(), b"0123456789");
        assert_eq!(parse_set(b"[x*3]y").unwrap(), b"xxxy");
        assert_eq!(parse_set(b"z-a"), Err(SetError::DecreasingRange));
        assert_eq!(parse_set(b"[:nope:]"), Err(SetError::UnknownClass));
        assert_eq!(parse_second_set(b"a[b*]c", 5).unwrap(), b"abbbc");
        assert_eq!(parse_second_set(b"xy", 4).unwrap(), b"xyyy");
        assert_eq!(
            parse_set(b"[x*99999999999999]").unwrap().len(),
            MAXIMUM_REPEAT
        );
        assert_eq!(
            parse_set(b"[x*999999999999999999999999]"),
            Err(SetError::BadRepeat)
        );
    }

    #[test]
    fn translates_deletes_and_squeezes() {
        let plain = TrOptions::default();
        assert_eq!(
            run(plain, "a-z", Some("A-Z"), "hello, world"),
            "HELLO, WORLD"
        );
        assert_eq!(run(plain, "[:lower:]", Some("[:upper:]"), "abc"), "ABC");
        let delete = TrOptions {
            delete: true,
            ..plain
        };
        assert_eq!(run(delete, "l", None, "hello"), "heo");
        let complement_delete = TrOptions {
            complement: true,
            ..delete
        };
        assert_eq!(run(complement_delete, "a-z", None, "a1b2\n"), "ab");
        let squeeze = TrOptions {
            squeeze: true,
            ..plain
        };
        assert_eq!(run(squeeze, " ", None, "a   b  c"), "a b c");
        assert_eq!(run(squeeze, "a-z", Some("x"), "hello"), "x");
        let delete_squeeze = TrOptions {
            delete: true,
            squeeze: true,
            ..plain
        };
        assert_eq!(run(delete_squeeze, "0-9", Some(" "), "a1  2 b"), "a b");
        assert!(matches!(
            Translator::new(plain, b"a", None),
            Err(TrError::MissingSecondSet)
        ));
        assert!(matches!(
            Translator::new(delete, b"a", Some(b"b")),
            Err(TrError::ExtraSet)
        ));
    }

    proptest! {
        #[test]
        fn a_range_maps_like_its_offsets(low in 0u8..200, span in 0u8..50, shift in 0u8..5, input in proptest::collection::vec(any::<u8>(), 0..64)) {
            let high = low + span;
            let first = alloc::format!("\\{:03o}-\\{:03o}", low, high);
            let second = alloc::format!("\\{:03o}-\\{:03o}", low + shift, high + shift);
            let mut translator = Translator::new(TrOptions::default(), first.as_bytes(), Some(second.as_bytes())).unwrap();
            let mut output = Vec::new();
            translator.apply(&input, &mut output);
            let model: Vec<u8> = input.iter().map(|&byte| if (low..=high).contains(&byte) { byte + shift } else { byte }).collect();
            prop_assert_eq!(output, model);
        }
    }
}
