//! What a worker does with one file: its CRC-32 and size, or the lines of it that match.

use alloc::vec::Vec;

use libos::io::{close, read};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::O_RDONLY;
use utility_logic::pattern::Matcher;

/// Bytes read per call.
const CHUNK: usize = 64 * 1024;

/// Reads the file at `path` in pieces, giving each to `take`.
fn read_pieces(path: &str, take: &mut dyn FnMut(&[u8])) -> Result<(), Errno> {
    let fd = libos::fs::open(path, O_RDONLY, 0)?;
    let mut buffer = alloc::vec![0u8; CHUNK];
    let result = loop {
        match read(fd, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(length) => take(&buffer[..length]),
            Err(Errno::EINTR) => {}
            Err(error) => break Err(error),
        }
    };
    let _ = close(fd);
    result
}

/// A file's checksum: the CRC-32 state (kept whole, so the tree's total can be combined from
/// the files' without reading them again) and its length.
pub struct Checksum {
    /// The CRC-32 of the file's bytes so far.
    pub crc: crc32fast::Hasher,
    /// Its length in bytes.
    pub length: u64,
}

/// The CRC-32 and length of the file at `path`.
///
/// # Errors
/// The error of the open or read that failed.
pub fn checksum(path: &str) -> Result<Checksum, Errno> {
    let mut crc = crc32fast::Hasher::new();
    let mut length = 0u64;
    read_pieces(path, &mut |piece| {
        crc.update(piece);
        length += piece.len() as u64;
    })?;
    Ok(Checksum { crc, length })
}

/// The lines of the file at `path` that `matcher` matches: their numbers (from 1) and text
/// without the newline.
///
/// # Errors
/// The error of the open or read that failed.
pub fn matching_lines(path: &str, matcher: &Matcher) -> Result<Vec<(u64, Vec<u8>)>, Errno> {
    let mut matches = Vec::new();
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut finish_line = |line: &mut Vec<u8>, number: &mut u64| {
        *number += 1;
        if matcher.is_match(line) {
            matches.push((*number, core::mem::take(line)));
        } else {
            line.clear();
        }
    };
    read_pieces(path, &mut |piece| {
        for part in piece.split_inclusive(|&byte| byte == b'\n') {
            match part.split_last() {
                Some((b'\n', text)) => {
                    line.extend_from_slice(text);
                    finish_line(&mut line, &mut number);
                }
                _ => line.extend_from_slice(part),
            }
        }
    })?;
    if !line.is_empty() {
        finish_line(&mut line, &mut number);
    }
    Ok(matches)
}
