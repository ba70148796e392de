//! `ls`'s formatting: mode strings (`drwxr-xr-x`), long lines, name order.

use alloc::string::String;

/// `ls -l`'s ten-character mode: type letter, then `rwx` triples with set-id and sticky bits.
#[must_use]
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170_000 {
        0o040_000 => 'd',
        0o120_000 => 'l',
        0o020_000 => 'c',
        0o060_000 => 'b',
        0o010_000 => 'p',
        0o140_000 => 's',
        _ => '-',
    };
    let mut text = String::new();
    text.push(kind);
    let special = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
    for (class, (bit, set, unset)) in special.iter().enumerate() {
        let shift = 6 - 3 * class;
        let bits = (mode >> shift) & 7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        let execute = bits & 1 != 0;
        text.push(match (mode & bit != 0, execute) {
            (true, true) => *set,
            (true, false) => *unset,
            (false, true) => 'x',
            (false, false) => '-',
        });
    }
    text
}

/// What one `ls -l` line shows.
#[derive(Clone, Debug)]
pub struct LongEntry<'a> {
    /// `st_mode`.
    pub mode: u32,
    /// `st_nlink`.
    pub links: u64,
    /// The owner's name or number.
    pub owner: &'a str,
    /// The group's name or number.
    pub group: &'a str,
    /// `st_size`.
    pub size: u64,
    /// The time column (see [`crate::calendar::listing_time`]).
    pub time: &'a str,
    /// The name, with ` -> target` for a symbolic link.
    pub name: &'a str,
}

/// Column widths for a listing's numbers and names.
#[derive(Clone, Copy, Debug, Default)]
pub struct Widths {
    /// Of the link counts.
    pub links: usize,
    /// Of the owners.
    pub owner: usize,
    /// Of the groups.
    pub group: usize,
    /// Of the sizes.
    pub size: usize,
}

impl Widths {
    /// Widens to fit `entry`.
    pub fn fit(&mut self, entry: &LongEntry<'_>) {
        self.links = self.links.max(alloc::format!("{}", entry.links).len());
        self.owner = self.owner.max(entry.owner.len());
        self.group = self.group.max(entry.group.len());
        self.size = self.size.max(alloc::format!("{}", entry.size).len());
    }
}

/// One `ls -l` line (with its newline); `-g` leaves out the owner, `-o` the group.
#[must_use]
pub fn long_line(entry: &LongEntry<'_>, widths: &Widths, owner: bool, group: bool) -> String {
    let mut line = alloc::format!(
        "{} {:>links$} ",
        mode_string(entry.mode),
        entry.links,
        links = widths.links
    );
    if owner {
        line.push_str(&alloc::format!(
            "{:<owner$} ",
            entry.owner,
            owner = widths.owner
        ));
    }
    if group {
        line.push_str(&alloc::format!(
            "{:<group$} ",
            entry.group,
            group = widths.group
        ));
    }
    line.push_str(&alloc::format!(
        "{:>size$} {} {}\n",
        entry.size,
        entry.time,
        entry.name,
        size = widths.size
    ));
    line
}

/// Whether `ls` without `-a` hides `name`.
#[must_use]
pub fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
}

/// The order of a listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ListOrder {
    /// By name, as bytes.
    #[default]
    Name,
    /// Newest first (`-t`), then by name.
    Time,
    /// Largest first (`-S`), then by name.
    Size,
}

/// What the order of two entries depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryFacts<'a> {
    /// The name.
    pub name: &'a [u8],
    /// `st_size`.
    pub size: i64,
    /// The time `-t` sorts by (seconds, nanoseconds).
    pub time: (i64, i64),
}

/// Compares two entries in `order`, reversed with `-r`.
#[must_use]
pub fn compare_entries(
    left: &EntryFacts<'_>,
    right: &EntryFacts<'_>,
    order: ListOrder,
    reverse: bool,
) -> core::cmp::Ordering {
    let by_name = left.name.cmp(right.name);
    let ordering = match order {
        ListOrder::Name => by_name,
        ListOrder::Time => right.time.cmp(&left.time).then(by_name),
        ListOrder::Size => right.size.cmp(&left.size).then(by_name),
    };
    if reverse {
        ordering.reverse()
    } else {
        ordering
    }
}

/// The character `-F` (`classify`) or `-p` appends to a name of this mode.
#[must_use]
pub fn indicator(mode: u32, classify: bool) -> Option<char> {
    match mode & 0o170_000 {
        0o040_000 => Some('/'),
        _ if !classify => None,
        0o120_000 => Some('@'),
        0o010_000 => Some('|'),
        0o140_000 => Some('='),
        0o100_000 if mode & 0o111 != 0 => Some('*'),
        _ => None,
    }
}

/// `-q`: each non-printable byte of `name` as `?`.
#[must_use]
pub fn printable(name: &str) -> String {
    name.bytes()
        .map(|byte| {
            if (0x20..0x7f).contains(&byte) {
                char::from(byte)
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(mode_string(0o040_755), "drwxr-xr-x");
        assert_eq!(mode_string(0o100_644), "-rw-r--r--");
        assert_eq!(mode_string(0o041_777), "drwxrwxrwt");
        assert_eq!(mode_string(0o104_755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o102_644), "-rw-r-Sr--");
        assert_eq!(mode_string(0o120_777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o020_620), "crw--w----");
    }

    #[test]
    fn long_lines_align() {
        let entry = LongEntry {
            mode: 0o100_755,
            links: 2,
            owner: "0",
            group: "0",
            size: 1234,
            time: "Jan  1 00:00",
            name: "ls",
        };
        let mut widths = Widths::default();
        widths.fit(&entry);
        widths.size = 6;
        assert_eq!(
            long_line(&entry, &widths, true, true),
            "-rwxr-xr-x 2 0 0   1234 Jan  1 00:00 ls\n"
        );
        assert_eq!(
            long_line(&entry, &widths, false, true),
            "-rwxr-xr-x 2 0   1234 Jan  1 00:00 ls\n"
        );
        assert_eq!(
            long_line(&entry, &widths, false, false),
            "-rwxr-xr-x 2   1234 Jan  1 00:00 ls\n"
        );
        assert!(is_hidden(".profile") && !is_hidden("a.b"));
    }

    #[test]
    fn orders_indicators_and_printable_names() {
        let facts = |name: &'static str, size: i64, time: i64| EntryFacts {
            name: name.as_bytes(),
            size,
            time: (time, 0),
        };
        let (a, b, c) = (facts("a", 5, 30), facts("b", 9, 10), facts("c", 9, 20));
        let sort = |order: ListOrder, reverse: bool| {
            let mut entries = [a, b, c];
            entries.sort_by(|left, right| compare_entries(left, right, order, reverse));
            entries.map(|entry| entry.name[0] as char)
        };
        assert_eq!(sort(ListOrder::Name, false), ['a', 'b', 'c']);
        assert_eq!(sort(ListOrder::Name, true), ['c', 'b', 'a']);
        assert_eq!(sort(ListOrder::Time, false), ['a', 'c', 'b']);
        assert_eq!(sort(ListOrder::Size, false), ['b', 'c', 'a']);
        assert_eq!(sort(ListOrder::Size, true), ['a', 'c', 'b']);
        assert_eq!(indicator(0o040_755, false), Some('/'));
        assert_eq!(indicator(0o100_755, false), None);
        assert_eq!(indicator(0o100_755, true), Some('*'));
        assert_eq!(indicator(0o100_644, true), None);
        assert_eq!(indicator(0o120_777, true), Some('@'));
        assert_eq!(indicator(0o010_644, true), Some('|'));
        assert_eq!(printable("a\tb\u{7f}"), "a?b?");
    }
}
