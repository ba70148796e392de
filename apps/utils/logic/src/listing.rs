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

/// One `ls -l` line (with its newline).
#[must_use]
pub fn long_line(entry: &LongEntry<'_>, widths: &Widths) -> String {
    alloc::format!(
        "{} {:>links$} {:<owner$} {:<group$} {:>size$} {} {}\n",
        mode_string(entry.mode),
        entry.links,
        entry.owner,
        entry.group,
        entry.size,
        entry.time,
        entry.name,
        links = widths.links,
        owner = widths.owner,
        group = widths.group,
        size = widths.size,
    )
}

/// Whether `ls` without `-a` hides `name`.
#[must_use]
pub fn is_hidden(name: &str) -> bool {
    name.starts_with('.')
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
            long_line(&entry, &widths),
            "-rwxr-xr-x 2 0 0   1234 Jan  1 00:00 ls\n"
        );
        assert!(is_hidden(".profile") && !is_hidden("a.b"));
    }
}
