//! `uniq`, streaming: each run of equal adjacent lines becomes one output line (`-c` counts,
//! `-d` only repeated runs, `-u` only single lines).

use alloc::vec::Vec;

/// What `uniq` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UniqOptions {
    /// Prefix each line with its run's length (`-c`).
    pub count: bool,
    /// Only lines that were repeated (`-d`).
    pub repeated_only: bool,
    /// Only lines that were not repeated (`-u`).
    pub unique_only: bool,
}

/// The state between lines: the current run.
#[derive(Clone, Debug, Default)]
pub struct Uniq {
    options: UniqOptions,
    current: Option<Vec<u8>>,
    run: u64,
}

impl Uniq {
    /// A filter with `options`.
    #[must_use]
    pub fn new(options: UniqOptions) -> Self {
        Self {
            options,
            current: None,
            run: 0,
        }
    }

    /// Takes one line (without its newline); appends to `output` what it completes.
    pub fn feed(&mut self, line: &[u8], output: &mut Vec<u8>) {
        if self.current.as_deref() == Some(line) {
            self.run += 1;
            return;
        }
        self.flush(output);
        self.current = Some(line.to_vec());
        self.run = 1;
    }

    /// Ends the input; appends the last run.
    pub fn finish(&mut self, output: &mut Vec<u8>) {
        self.flush(output);
        self.current = None;
    }

    fn flush(&self, output: &mut Vec<u8>) {
        let Some(line) = &self.current else {
            return;
        };
        if (self.options.repeated_only && self.run < 2)
            || (self.options.unique_only && self.run > 1)
        {
            return;
        }
        if self.options.count {
            output.extend_from_slice(alloc::format!("{:>7} ", self.run).as_bytes());
        }
        output.extend_from_slice(line);
        output.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str], options: UniqOptions) -> alloc::string::String {
        let mut uniq = Uniq::new(options);
        let mut output = Vec::new();
        for line in lines {
            uniq.feed(line.as_bytes(), &mut output);
        }
        uniq.finish(&mut output);
        alloc::string::String::from_utf8(output).unwrap()
    }

    #[test]
    fn runs_counts_and_filters() {
        let lines = ["a", "a", "b", "c", "c", "c", "a"];
        assert_eq!(run(&lines, UniqOptions::default()), "a\nb\nc\na\n");
        let count = UniqOptions {
            count: true,
            ..UniqOptions::default()
        };
        assert_eq!(
            run(&lines, count),
            "      2 a\n      1 b\n      3 c\n      1 a\n"
        );
        let repeated = UniqOptions {
            repeated_only: true,
            ..UniqOptions::default()
        };
        assert_eq!(run(&lines, repeated), "a\nc\n");
        let unique = UniqOptions {
            unique_only: true,
            ..UniqOptions::default()
        };
        assert_eq!(run(&lines, unique), "b\na\n");
        assert_eq!(run(&[], UniqOptions::default()), "");
    }
}
