//! `cut`: lists like `1,3-5,7-` and the selection of bytes or fields of a line.

use alloc::vec::Vec;

/// One inclusive range of positions, counted from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// The first position.
    pub first: usize,
    /// The last position (`usize::MAX` for "to the end").
    pub last: usize,
}

/// Why a list was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListError {
    /// Empty, a zero position, a non-number, or a decreasing range.
    Invalid,
}

/// Parses a list (`1,3-5,-2,7-`, also separated by blanks).
///
/// # Errors
/// [`ListError::Invalid`].
pub fn parse_list(text: &str) -> Result<Vec<Range>, ListError> {
    let mut ranges = Vec::new();
    for part in text.split([',', ' ', '\t']).filter(|part| !part.is_empty()) {
        let number = |text: &str| -> Result<usize, ListError> {
            match text.parse::<usize>() {
                Ok(0) | Err(_) => Err(ListError::Invalid),
                Ok(value) => Ok(value),
            }
        };
        let range = match part.split_once('-') {
            None => {
                let value = number(part)?;
                Range {
                    first: value,
                    last: value,
                }
            }
            Some(("", "")) => return Err(ListError::Invalid),
            Some(("", last)) => Range {
                first: 1,
                last: number(last)?,
            },
            Some((first, "")) => Range {
                first: number(first)?,
                last: usize::MAX,
            },
            Some((first, last)) => Range {
                first: number(first)?,
                last: number(last)?,
            },
        };
        if range.first > range.last {
            return Err(ListError::Invalid);
        }
        ranges.push(range);
    }
    if ranges.is_empty() {
        return Err(ListError::Invalid);
    }
    Ok(ranges)
}

fn selected(ranges: &[Range], position: usize) -> bool {
    ranges
        .iter()
        .any(|range| range.first <= position && position <= range.last)
}

/// The bytes of `line` at the listed positions, in order (`-b`, and `-c` for single-byte
/// characters).
#[must_use]
pub fn select_bytes(line: &[u8], ranges: &[Range]) -> Vec<u8> {
    line.iter()
        .enumerate()
        .filter(|(index, _)| selected(ranges, index + 1))
        .map(|(_, byte)| *byte)
        .collect()
}

/// The listed fields of `line` joined by `delimiter` (`-f`); a line without the delimiter is
/// kept whole, or dropped (`None`) with `-s`.
#[must_use]
pub fn select_fields(
    line: &[u8],
    delimiter: u8,
    ranges: &[Range],
    only_delimited: bool,
) -> Option<Vec<u8>> {
    if !line.contains(&delimiter) {
        return if only_delimited {
            None
        } else {
            Some(line.to_vec())
        };
    }
    let mut output = Vec::new();
    let mut first = true;
    for (index, field) in line.split(|byte| *byte == delimiter).enumerate() {
        if selected(ranges, index + 1) {
            if !first {
                output.push(delimiter);
            }
            output.extend_from_slice(field);
            first = false;
        }
    }
    Some(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn lists_parse_and_refuse() {
        assert_eq!(
            parse_list("1,3-4,6-").unwrap(),
            vec![
                Range { first: 1, last: 1 },
                Range { first: 3, last: 4 },
                Range {
                    first: 6,
                    last: usize::MAX
                }
            ]
        );
        assert_eq!(parse_list("-2").unwrap(), vec![Range { first: 1, last: 2 }]);
        for bad in ["", "0", "a", "3-1", "-", "1,,x"] {
            assert_eq!(parse_list(bad), Err(ListError::Invalid), "{bad}");
        }
    }

    #[test]
    fn fields_and_bytes() {
        let list = parse_list("1,3").unwrap();
        assert_eq!(
            select_fields(b"a:b:c:d", b':', &list, false).unwrap(),
            b"a:c"
        );
        assert_eq!(select_fields(b"abc", b':', &list, false).unwrap(), b"abc");
        assert_eq!(select_fields(b"abc", b':', &list, true), None);
        assert_eq!(
            select_bytes(b"hello", &parse_list("2-3,5").unwrap()),
            b"elo"
        );
        assert_eq!(select_bytes(b"hello", &parse_list("4-").unwrap()), b"lo");
    }
}
