//! `sort`'s orders: bytes, numbers (`-n`, compared as decimal text so that no precision is
//! lost), reversed (`-r`), unique (`-u`: one line of each run of equal keys), folded (`-f`).

use alloc::vec::Vec;
use core::cmp::Ordering;

/// How lines are ordered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SortOrder {
    /// Compare the leading numbers (`-n`).
    pub numeric: bool,
    /// Reverse the order (`-r`).
    pub reverse: bool,
    /// Keep one line of each set of equal keys (`-u`).
    pub unique: bool,
    /// Compare letters without case (`-f`).
    pub fold_case: bool,
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

/// Compares the keys of two lines (equal keys are what `-u` merges).
#[must_use]
pub fn compare_keys(left: &[u8], right: &[u8], order: &SortOrder) -> Ordering {
    if order.numeric {
        compare_numbers(left, right)
    } else if order.fold_case {
        compare_folded(left, right)
    } else {
        left.cmp(right)
    }
}

/// The full order: keys, then (unless `-u`) the whole lines' bytes as a last resort, reversed
/// with `-r`.
#[must_use]
pub fn compare(left: &[u8], right: &[u8], order: &SortOrder) -> Ordering {
    let mut ordering = compare_keys(left, right, order);
    if ordering == Ordering::Equal && !order.unique {
        ordering = left.cmp(right);
    }
    if order.reverse {
        ordering.reverse()
    } else {
        ordering
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
            sorted(&["10", "9", "-3", "0.5", "abc", "-0", " 2", "100"], order),
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
        assert_eq!(sorted(&["b", "a", "b", "a"], order), vec!["a", "b"]);
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
