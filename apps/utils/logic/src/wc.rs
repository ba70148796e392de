//! `wc`'s counts, fed in pieces of any size (a word may span two pieces).

/// Lines, words and bytes seen so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Newlines.
    pub lines: u64,
    /// Maximal runs of non-blank bytes.
    pub words: u64,
    /// Bytes.
    pub bytes: u64,
    in_word: bool,
}

impl Counts {
    /// Counts `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len() as u64;
        for &byte in bytes {
            if byte == b'\n' {
                self.lines += 1;
            }
            let blank = matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
            if blank {
                self.in_word = false;
            } else if !self.in_word {
                self.in_word = true;
                self.words += 1;
            }
        }
    }

    /// Adds another input's counts (for the `total` line).
    pub fn add(&mut self, other: &Self) {
        self.lines += other.lines;
        self.words += other.words;
        self.bytes += other.bytes;
    }
}

/// Which counts `wc` prints (all three when none is asked for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    /// `-l`.
    pub lines: bool,
    /// `-w`.
    pub words: bool,
    /// `-c`.
    pub bytes: bool,
}

/// One output line: the selected counts in the order lines, words, bytes, then the name.
/// A single count of standard input is printed bare (`echo hello | wc -c` prints `6`); several
/// are right-aligned in columns of 7.
#[must_use]
pub fn format_line(
    counts: &Counts,
    selection: Selection,
    name: Option<&str>,
) -> alloc::string::String {
    let values: alloc::vec::Vec<u64> = [
        (selection.lines, counts.lines),
        (selection.words, counts.words),
        (selection.bytes, counts.bytes),
    ]
    .iter()
    .filter(|(chosen, _)| *chosen)
    .map(|(_, value)| *value)
    .collect();
    let mut line = alloc::string::String::new();
    let bare = values.len() == 1 && name.is_none();
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            line.push(' ');
        }
        if bare {
            line.push_str(&alloc::format!("{value}"));
        } else {
            line.push_str(&alloc::format!("{value:>7}"));
        }
    }
    if let Some(name) = name {
        line.push(' ');
        line.push_str(name);
    }
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_across_pieces() {
        let mut counts = Counts::default();
        counts.feed(b"hello wo");
        counts.feed(b"rld\n  two\tthree\n");
        assert_eq!((counts.lines, counts.words, counts.bytes), (2, 4, 24));
        let all = Selection {
            lines: true,
            words: true,
            bytes: true,
        };
        assert_eq!(
            format_line(&counts, all, Some("f")),
            "      2       4      24 f\n"
        );
        let bytes = Selection {
            lines: false,
            words: false,
            bytes: true,
        };
        let mut hello = Counts::default();
        hello.feed(b"hello\n");
        assert_eq!(format_line(&hello, bytes, None), "6\n");
    }
}
