//! `sort`'s orders: bytes, numbers (`-n`, compared as decimal text so that no precision is
//! lost), reversed (`-r`), unique (`-u`: one line of each run of equal keys), folded (`-f`),
//! leading blanks ignored (`-b`), and keys (`-k FIELD[.CHARACTER][bfnr][,FIELD[.CHARACTER][bfnr]]`)
//! over fields split at blanks or at `-t`'s character.

use alloc::vec::Vec;
use core::cmp::Ordering;

/// How lines are ordered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SortOrder {
    /// Compare the leading numbers (`-n`).
    pub numeric: bool,
    /// Reverse the order (`-r`).
    pub reverse: bool,
    /// Keep one line of each set of equal keys (`-u`).
    pub unique: bool,
    /// Compare letters without case (`-f`).
    pub fold_case: bool,
    /// Ignore leading blanks of keys (`-b`).
    pub skip_blanks: bool,
    /// The field separator (`-t`); fields are blank-separated without it.
    pub separator: Option<u8>,
    /// The keys (`-k`), compared in order; the whole line when there are none.
    pub keys: Vec<Key>,
}

/// A position in a line: a field and a character in it, counted from 1 (character 0 in a
/// key's end: the end of the field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// The field.
    pub field: usize,
    /// The character.
    pub character: usize,
}

/// How one key compares (a key without modifiers takes the global ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyModifiers {
    /// `n`.
    pub numeric: bool,
    /// `r`.
    pub reverse: bool,
    /// `f`.
    pub fold_case: bool,
    /// `b` on the start position.
    pub skip_blanks_start: bool,
    /// `b` on the end position.
    pub skip_blanks_end: bool,
}

/// A `-k` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// Where it starts.
    pub start: Position,
    /// Where it ends (the end of the line when absent).
    pub end: Option<Position>,
    /// Its modifiers.
    pub modifiers: KeyModifiers,
}

/// Why a `-k` operand was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidKey;

/// Parses `-k`'s `FIELD[.CHARACTER][bfnr][,FIELD[.CHARACTER][bfnr]]`.
///
/// # Errors
/// [`InvalidKey`] for a zero field or start character, a non-number, an unknown modifier.
pub fn parse_key(text: &str) -> Result<Key, InvalidKey> {
    let parse_position = |text: &str, is_end: bool, modifiers: &mut KeyModifiers| {
        let split = text
            .find(|character: char| !character.is_ascii_digit() && character != '.')
            .unwrap_or(text.len());
        let (position, letters) = text.split_at(split);
        let (field, character) = position.split_once('.').unwrap_or((position, ""));
        let field: usize = field.parse().map_err(|_| InvalidKey)?;
        let character: usize = if character.is_empty() {
            usize::from(!is_end)
        } else {
            character.parse().map_err(|_| InvalidKey)?
        };
        if field == 0 || (!is_end && character == 0) {
            return Err(InvalidKey);
        }
        for letter in letters.chars() {
            match letter {
                'n' => modifiers.numeric = true,
                'r' => modifiers.reverse = true,
                'f' => modifiers.fold_case = true,
                'b' if is_end => modifiers.skip_blanks_end = true,
                'b' => modifiers.skip_blanks_start = true,
                _ => return Err(InvalidKey),
            }
        }
        Ok(Position { field, character })
    };
    let mut modifiers = KeyModifiers::default();
    let (start, end) = text
        .split_once(',')
        .map_or((text, None), |(start, end)| (start, Some(end)));
    let start = parse_position(start, false, &mut modifiers)?;
    let end = end
        .map(|end| parse_position(end, true, &mut modifiers))
        .transpose()?;
    Ok(Key {
        start,
        end,
        modifiers,
    })
}

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

/// The byte ranges of `line`'s fields: split at `separator`, or (without one) each field is
/// its leading blanks and the non-blanks after them.
fn fields(line: &[u8], separator: Option<u8>) -> Vec<(usize, usize)> {
    let mut ranges = Vec::new();
    match separator {
        Some(separator) => {
            let mut start = 0;
            for (index, &byte) in line.iter().enumerate() {
                if byte == separator {
                    ranges.push((start, index));
                    start = index + 1;
                }
            }
            ranges.push((start, line.len()));
        }
        None => {
            let mut index = 0;
            while index < line.len() {
                let start = index;
                while index < line.len() && is_blank(line[index]) {
                    index += 1;
                }
                while index < line.len() && !is_blank(line[index]) {
                    index += 1;
                }
                ranges.push((start, index));
            }
        }
    }
    ranges
}

/// The part of `line` that `key` selects.
#[must_use]
pub fn key_part<'a>(line: &'a [u8], key: &Key, order: &SortOrder) -> &'a [u8] {
    let ranges = fields(line, order.separator);
    let inherit = key.modifiers == KeyModifiers::default();
    let skip_start = key.modifiers.skip_blanks_start || (inherit && order.skip_blanks);
    let skip_end = key.modifiers.skip_blanks_end || (inherit && order.skip_blanks);
    let skip = |mut position: usize, end: usize| {
        while position < end && is_blank(line[position]) {
            position += 1;
        }
        position
    };
    let start = match ranges.get(key.start.field - 1) {
        None => line.len(),
        Some(&(first, last)) => {
            let first = if skip_start { skip(first, last) } else { first };
            first.saturating_add(key.start.character - 1).min(last)
        }
    };
    let end = match key.end {
        None => line.len(),
        Some(position) => match ranges.get(position.field - 1) {
            None => line.len(),
            Some(&(_, last)) if position.character == 0 => last,
            Some(&(first, last)) => {
                let first = if skip_end { skip(first, last) } else { first };
                first.saturating_add(position.character).min(last)
            }
        },
    };
    &line[start..end.max(start)]
}

/// A leading number: sign, integer digits without leading zeros, fraction digits without
/// trailing zeros.
fn number_parts(line: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut index = 0;
    while index < line.len() && (line[index] == b' ' || line[index] == b'\t') {
        index += 1;
    }
    let negative = line.get(index) == Some(&b'-');
    if negative {
        index += 1;
    }
    let start = index;
    while index < line.len() && line[index].is_ascii_digit() {
        index += 1;
    }
    let mut integer = &line[start..index];
    while integer.first() == Some(&b'0') {
        integer = &integer[1..];
    }
    let mut fraction: &[u8] = &[];
    if line.get(index) == Some(&b'.') {
        let fraction_start = index + 1;
        let mut end = fraction_start;
        while end < line.len() && line[end].is_ascii_digit() {
            end += 1;
        }
        fraction = &line[fraction_start..end];
        while fraction.last() == Some(&b'0') {
            fraction = &fraction[..fraction.len() - 1];
        }
    }
    // Zero has no sign.
    let negative = negative && !(integer.is_empty() && fraction.is_empty());
    (negative, integer, fraction)
}

/// Compares the leading numbers of two lines (a line without one counts as zero).
#[must_use]
pub fn compare_numbers(left: &[u8], right: &[u8]) -> Ordering {
    let (left_negative, left_integer, left_fraction) = number_parts(left);
    let (right_negative, right_integer, right_fraction) = number_parts(right);
    let magnitude = left_integer
        .len()
        .cmp(&right_integer.len())
        .then_with(|| left_integer.cmp(right_integer))
        .then_with(|| left_fraction.cmp(right_fraction));
    match (left_negative, right_negative) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

fn compare_folded(left: &[u8], right: &[u8]) -> Ordering {
    left.iter()
        .map(u8::to_ascii_uppercase)
        .cmp(right.iter().map(u8::to_ascii_uppercase))
}

fn compare_with(left: &[u8], right: &[u8], numeric: bool, fold_case: bool) -> Ordering {
    if numeric {
        compare_numbers(left, right)
    } else if fold_case {
        compare_folded(left, right)
    } else {
        left.cmp(right)
    }
}

fn skip_leading_blanks(mut bytes: &[u8]) -> &[u8] {
    while bytes.first().copied().is_some_and(is_blank) {
        bytes = &bytes[1..];
    }
    bytes
}

/// Compares the keys of two lines (equal keys are what `-u` merges), each key reversed by its
/// own `r` (or the global `-r` when it has no modifiers).
#[must_use]
pub fn compare_keys(left: &[u8], right: &[u8], order: &SortOrder) -> Ordering {
    if order.keys.is_empty() {
        let (left, right) = if order.skip_blanks {
            (skip_leading_blanks(left), skip_leading_blanks(right))
        } else {
            (left, right)
        };
        let ordering = compare_with(left, right, order.numeric, order.fold_case);
        return if order.reverse {
            ordering.reverse()
        } else {
            ordering
        };
    }
    for key in &order.keys {
        let modifiers = if key.modifiers == KeyModifiers::default() {
            KeyModifiers {
                numeric: order.numeric,
                reverse: order.reverse,
                fold_case: order.fold_case,
                ..KeyModifiers::default()
            }
        } else {
            key.modifiers
        };
        let ordering = compare_with(
            key_part(left, key, order),
            key_part(right, key, order),
            modifiers.numeric,
            modifiers.fold_case,
        );
        let ordering = if modifiers.reverse {
            ordering.reverse()
        } else {
            ordering
        };
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// The full order: keys, then (unless `-u`) the whole lines' bytes as a last resort (reversed
/// with `-r`).
#[must_use]
pub fn compare(left: &[u8], right: &[u8], order: &SortOrder) -> Ordering {
    let ordering = compare_keys(left, right, order);
    if ordering != Ordering::Equal || order.unique {
        return ordering;
    }
    let last_resort = left.cmp(right);
    if order.reverse {
        last_resort.reverse()
    } else {
        last_resort
    }
}

/// The store is full: memory ran out, or it holds 4 GiB (offsets are 32 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

/// Every input line in one buffer, with a 32-bit end offset per line: 4 bytes of overhead a
/// line instead of a separate allocation each, so 100,000 lines fit in a small process.
/// Growth uses `try_reserve`, so running out of memory is an error the utility reports.
#[derive(Clone, Debug, Default)]
pub struct LineStore {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl LineStore {
    /// Appends one line (without its newline).
    ///
    /// # Errors
    /// [`OutOfMemory`].
    pub fn push(&mut self, line: &[u8]) -> Result<(), OutOfMemory> {
        let end = u32::try_from(self.bytes.len() + line.len()).map_err(|_| OutOfMemory)?;
        self.bytes
            .try_reserve(line.len())
            .map_err(|_| OutOfMemory)?;
        self.ends.try_reserve(1).map_err(|_| OutOfMemory)?;
        self.bytes.extend_from_slice(line);
        self.ends.push(end);
        Ok(())
    }

    /// How many lines it holds.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds no line.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Line `index`.
    #[must_use]
    pub fn line(&self, index: u32) -> &[u8] {
        let index = index as usize;
        let start = if index == 0 {
            0
        } else {
            self.ends[index - 1] as usize
        };
        &self.bytes[start..self.ends[index] as usize]
    }

    /// The lines' indices in `sort`'s output order (one per key with `-u`).
    ///
    /// # Errors
    /// [`OutOfMemory`].
    pub fn sorted(&self, order: &SortOrder) -> Result<Vec<u32>, OutOfMemory> {
        let mut indices: Vec<u32> = Vec::new();
        indices
            .try_reserve_exact(self.len())
            .map_err(|_| OutOfMemory)?;
        indices.extend(0..self.len() as u32);
        indices.sort_by(|&left, &right| compare(self.line(left), self.line(right), order));
        if order.unique {
            indices.dedup_by(|later, earlier| {
                compare_keys(self.line(*earlier), self.line(*later), order) == Ordering::Equal
            });
        }
        Ok(indices)
    }
}

/// Sorts `lines` in place as `sort` would print them.
pub fn sort_lines(lines: &mut Vec<Vec<u8>>, order: &SortOrder) {
    lines.sort_by(|left, right| compare(left, right, order));
    if order.unique {
        lines.dedup_by(|later, earlier| compare_keys(earlier, later, order) == Ordering::Equal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;
    use proptest::prelude::*;

    fn sorted(lines: &[&str], order: SortOrder) -> Vec<String> {
        let mut lines: Vec<Vec<u8>> = lines.iter().map(|line| line.as_bytes().to_vec()).collect();
        sort_lines(&mut lines, &order);
        lines
            .into_iter()
            .map(|line| String::from_utf8(line).unwrap())
            .collect()
    }

    #[test]
    fn numbers_sort_by_value() {
        let order = SortOrder {
            numeric: true,
            ..SortOrder::default()
        };
        assert_eq!(
            sorted(
                &["10", "9", "-3", "0.5", "abc", "-0", " 2", "100"],
                order.clone()
            ),
            vec!["-3", "-0", "abc", "0.5", " 2", "9", "10", "100"]
        );
        let reverse = SortOrder {
            reverse: true,
            ..order
        };
        assert_eq!(sorted(&["1", "3", "2"], reverse), vec!["3", "2", "1"]);
    }

    #[test]
    fn unique_keeps_one_of_each_key() {
        let order = SortOrder {
            unique: true,
            ..SortOrder::default()
        };
        assert_eq!(sorted(&["b", "a", "b", "a"], order.clone()), vec!["a", "b"]);
        let numeric = SortOrder {
            numeric: true,
            ..order
        };
        assert_eq!(sorted(&["01", "1", "2"], numeric), vec!["01", "2"]);
        let folded = SortOrder {
            fold_case: true,
            ..SortOrder::default()
        };
        assert_eq!(sorted(&["b", "B", "a"], folded), vec!["a", "B", "b"]);
    }

    #[test]
    fn keys_parse_and_select() {
        assert_eq!(
            parse_key("2,2").unwrap(),
            Key {
                start: Position {
                    field: 2,
                    character: 1
                },
                end: Some(Position {
                    field: 2,
                    character: 0
                }),
                modifiers: KeyModifiers::default(),
            }
        );
        let key = parse_key("1.2nr,1.4b").unwrap();
        assert_eq!(
            key.start,
            Position {
                field: 1,
                character: 2
            }
        );
        assert_eq!(
            key.end,
            Some(Position {
                field: 1,
                character: 4
            })
        );
        assert!(key.modifiers.numeric && key.modifiers.reverse && key.modifiers.skip_blanks_end);
        for bad in ["0", "1.0", "x", "1q", "1,", ""] {
            assert_eq!(parse_key(bad), Err(InvalidKey), "{bad}");
        }
        let blanks = SortOrder::default();
        let part = |line: &str, key: &str, order: &SortOrder| {
            String::from_utf8(key_part(line.as_bytes(), &parse_key(key).unwrap(), order).to_vec())
                .unwrap()
        };
        assert_eq!(part("a  bc d", "2,2", &blanks), "  bc");
        assert_eq!(part("a  bc d", "2b,2", &blanks), "bc");
        assert_eq!(part("a  bc d", "2", &blanks), "  bc d");
        assert_eq!(part("a  bc d", "2.2b,2.3b", &blanks), "c");
        assert_eq!(part("a", "3", &blanks), "");
        let colon = SortOrder {
            separator: Some(b':'),
            ..SortOrder::default()
        };
        assert_eq!(part("root:x:0:0", "3,3", &colon), "0");
        assert_eq!(part("a::c", "2,2", &colon), "");
        assert_eq!(part("a::c", "3", &colon), "c");
    }

    #[test]
    fn keys_order_lines() {
        let by_second_number = SortOrder {
            separator: Some(b':'),
            keys: vec![parse_key("2,2n").unwrap()],
            ..SortOrder::default()
        };
        assert_eq!(
            sorted(&["b:10", "a:9", "c:9"], by_second_number.clone()),
            vec!["a:9", "c:9", "b:10"]
        );
        let reversed_key_then_first = SortOrder {
            keys: vec![parse_key("2r").unwrap(), parse_key("1,1").unwrap()],
            ..SortOrder::default()
        };
        assert_eq!(
            sorted(&["x a", "y b", "w b"], reversed_key_then_first),
            vec!["w b", "y b", "x a"]
        );
        let unique_by_key = SortOrder {
            unique: true,
            keys: vec![parse_key("2").unwrap()],
            ..SortOrder::default()
        };
        assert_eq!(
            sorted(&["1 same", "2 same", "0 other"], unique_by_key),
            vec!["0 other", "1 same"]
        );
        let global_reverse_numeric = SortOrder {
            reverse: true,
            numeric: true,
            keys: vec![parse_key("2").unwrap()],
            ..SortOrder::default()
        };
        assert_eq!(
            sorted(&["a 1", "b 3", "c 2"], global_reverse_numeric),
            vec!["b 3", "c 2", "a 1"]
        );
        let blanks = SortOrder {
            skip_blanks: true,
            ..SortOrder::default()
        };
        assert_eq!(sorted(&["  b", "a", " c"], blanks), vec!["a", "  b", " c"]);
    }

    #[test]
    fn the_store_sorts_like_the_vectors() {
        let lines = ["b", "", "10", "a", "9", "b"];
        let mut store = LineStore::default();
        for line in lines {
            store.push(line.as_bytes()).unwrap();
        }
        assert_eq!(store.len(), 6);
        for order in [
            SortOrder::default(),
            SortOrder {
                numeric: true,
                reverse: true,
                ..SortOrder::default()
            },
            SortOrder {
                unique: true,
                ..SortOrder::default()
            },
        ] {
            let from_store: Vec<String> = store
                .sorted(&order)
                .unwrap()
                .into_iter()
                .map(|index| String::from_utf8(store.line(index).to_vec()).unwrap())
                .collect();
            assert_eq!(from_store, sorted(&lines, order.clone()), "{order:?}");
        }
    }

    proptest! {
        #[test]
        fn numeric_order_matches_the_integers(values in proptest::collection::vec(-100_000i64..100_000, 0..60), reverse: bool) {
            let order = SortOrder { numeric: true, reverse, ..SortOrder::default() };
            let mut lines: Vec<Vec<u8>> = values.iter().map(|value| alloc::format!("{value}").into_bytes()).collect();
            sort_lines(&mut lines, &order);
            let mut model = values.clone();
            model.sort_unstable();
            if reverse {
                model.reverse();
            }
            let expected: Vec<Vec<u8>> = model.iter().map(|value| alloc::format!("{value}").into_bytes()).collect();
            prop_assert_eq!(lines, expected);
        }

        #[test]
        fn byte_order_is_sorted_and_a_permutation(lines in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..6), 0..40)) {
            let mut sorted_lines = lines.clone();
            sort_lines(&mut sorted_lines, &SortOrder::default());
            let mut model = lines;
            model.sort();
            prop_assert_eq!(sorted_lines, model);
        }
    }
}
