//! Cuts a byte stream (such as a serial console) into lines, dropping `\r` line endings.

/// Accumulates bytes and hands out each complete line.
#[derive(Debug, Default)]
pub struct LineSplitter {
    partial: Vec<u8>,
}

impl LineSplitter {
    /// Adds `bytes`, calling `line` for every line completed by them.
    pub fn push(&mut self, bytes: &[u8], line: &mut dyn FnMut(&str)) {
        for &byte in bytes {
            if byte == b'\n' {
                emit(&self.partial, line);
                self.partial.clear();
            } else {
                self.partial.push(byte);
            }
        }
    }

    /// Hands out the last line if it had no line ending.
    pub fn finish(&mut self, line: &mut dyn FnMut(&str)) {
        if !self.partial.is_empty() {
            emit(&self.partial, line);
            self.partial.clear();
        }
    }
}

fn emit(bytes: &[u8], line: &mut dyn FnMut(&str)) {
    let text = String::from_utf8_lossy(bytes);
    line(text.trim_end_matches('\r'));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_across_chunks_and_strips_carriage_returns() {
        let mut splitter = LineSplitter::default();
        let mut lines = Vec::new();
        let mut collect = |line: &str| lines.push(line.to_string());
        splitter.push(b"first\r\nsec", &mut collect);
        splitter.push(b"ond\n\nthi", &mut collect);
        splitter.push(b"rd", &mut collect);
        splitter.finish(&mut collect);
        assert_eq!(lines, ["first", "second", "", "third"]);
    }
}
