//! Reading the initramfs: a cpio `newc` archive, as packed by `cargo xtask build`.
//!
//! The kernel uses it to find `/sbin/init`; the LibOS uses it to find every other program.
//! The archive comes from the boot loader, so every length is checked: a malformed archive
//! ends the iteration with an error, never a panic or an out-of-bounds read.
//!
//! Hard links: entries that share an inode number and have a link count above one are names of
//! one file, whose bytes are stored once, with one of the entries (`cargo xtask build` puts them
//! with the first; GNU cpio with the last); the others have size 0. [`Archive::find`] and
//! [`Archive::contents`] give every name the stored bytes.
#![no_std]
#![forbid(unsafe_code)]

/// What an archive entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link (its data is the target).
    SymbolicLink,
    /// Anything else (devices, FIFOs): listed, not interpreted.
    Other,
}

/// One file of the archive, borrowing its name and contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'archive> {
    /// The path as stored (no leading `/`, e.g. `bin/sh`).
    pub name: &'archive str,
    /// The mode bits (`S_IFMT` type and permissions).
    pub mode: u32,
    /// The inode number: entries sharing it (with `links` above one) are hard links.
    pub inode: u32,
    /// The link count as stored.
    pub links: u32,
    /// The contents.
    pub data: &'archive [u8],
}

impl Entry<'_> {
    /// The kind, from the mode's type bits.
    #[must_use]
    pub fn kind(&self) -> EntryKind {
        match self.mode & 0o170_000 {
            0o100_000 => EntryKind::File,
            0o040_000 => EntryKind::Directory,
            0o120_000 => EntryKind::SymbolicLink,
            _ => EntryKind::Other,
        }
    }
}

/// Why the archive could not be read past some point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// A header does not start with `070701`.
    BadMagic {
        /// Byte offset of the header.
        offset: usize,
    },
    /// A header field is not hexadecimal.
    BadNumber {
        /// Byte offset of the header.
        offset: usize,
    },
    /// A name or the data runs past the end of the archive.
    Truncated {
        /// Byte offset of the header.
        offset: usize,
    },
    /// A name is not UTF-8.
    BadName {
        /// Byte offset of the header.
        offset: usize,
    },
}

const HEADER_LENGTH: usize = 110;
const TRAILER: &str = "TRAILER!!!";

/// Iterates over an archive's entries, ending at the trailer or the first format error.
#[derive(Clone, Debug)]
pub struct Archive<'archive> {
    bytes: &'archive [u8],
    offset: usize,
    finished: bool,
}

impl<'archive> Archive<'archive> {
    /// Reads `bytes` as a cpio newc archive.
    #[must_use]
    pub fn new(bytes: &'archive [u8]) -> Self {
        Self {
            bytes,
            offset: 0,
            finished: false,
        }
    }

    /// Finds the entry whose name is `path` (a leading `/` is ignored), with the contents of
    /// the file it names (see [`Archive::contents`]).
    ///
    /// # Errors
    /// The [`FormatError`] met before the entry was found.
    pub fn find(&self, path: &str) -> Result<Option<Entry<'archive>>, FormatError> {
        let wanted = path.trim_start_matches('/');
        for entry in self.clone() {
            let entry = entry?;
            if entry.name.trim_start_matches("./") == wanted {
                let data = self.contents(&entry)?;
                return Ok(Some(Entry { data, ..entry }));
            }
        }
        Ok(None)
    }

    /// The bytes of the file `entry` names: its own data, or, for a hard link stored without
    /// data, the data of the entry with the same inode that holds it (empty if none does).
    ///
    /// # Errors
    /// The [`FormatError`] met while looking for the linked entry.
    pub fn contents(&self, entry: &Entry<'archive>) -> Result<&'archive [u8], FormatError> {
        if !entry.data.is_empty() || entry.links < 2 || entry.kind() != EntryKind::File {
            return Ok(entry.data);
        }
        for other in self.clone() {
            let other = other?;
            if other.inode == entry.inode
                && other.links > 1
                && other.kind() == EntryKind::File
                && !other.data.is_empty()
            {
                return Ok(other.data);
            }
        }
        Ok(entry.data)
    }

    fn parse_next(&mut self) -> Result<Option<Entry<'archive>>, FormatError> {
        let offset = self.offset;
        let header = self
            .bytes
            .get(
                offset
                    ..offset
                        .checked_add(HEADER_LENGTH)
                        .ok_or(FormatError::Truncated { offset })?,
            )
            .ok_or(FormatError::Truncated { offset })?;
        if &header[..6] != b"070701" {
            return Err(FormatError::BadMagic { offset });
        }
        let field = |index: usize| -> Result<usize, FormatError> {
            let text = &header[6 + index * 8..6 + (index + 1) * 8];
            let text = core::str::from_utf8(text).map_err(|_| FormatError::BadNumber { offset })?;
            usize::from_str_radix(text, 16).map_err(|_| FormatError::BadNumber { offset })
        };
        let inode = field(0)? as u32;
        let mode = field(1)? as u32;
        let links = field(4)? as u32;
        let data_length = field(6)?;
        let name_length = field(11)?;
        let name_start = offset + HEADER_LENGTH;
        let name_end = name_start
            .checked_add(name_length)
            .ok_or(FormatError::Truncated { offset })?;
        let name_bytes = self
            .bytes
            .get(name_start..name_end)
            .ok_or(FormatError::Truncated { offset })?;
        // The stored name ends with a NUL.
        let name_bytes = name_bytes.strip_suffix(&[0]).unwrap_or(name_bytes);
        let name = core::str::from_utf8(name_bytes).map_err(|_| FormatError::BadName { offset })?;
        let data_start = name_end.next_multiple_of(4);
        let data_end = data_start
            .checked_add(data_length)
            .ok_or(FormatError::Truncated { offset })?;
        let data = self
            .bytes
            .get(data_start..data_end)
            .ok_or(FormatError::Truncated { offset })?;
        self.offset = data_end.next_multiple_of(4);
        if name == TRAILER {
            return Ok(None);
        }
        Ok(Some(Entry {
            name,
            mode,
            inode,
            links,
            data,
        }))
    }
}

impl<'archive> Iterator for Archive<'archive> {
    type Item = Result<Entry<'archive>, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.parse_next() {
            Ok(Some(entry)) => Some(Ok(entry)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(error) => {
                self.finished = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;

    fn entry(name: &str, mode: u32, data: &[u8]) -> Vec<u8> {
        linked_entry(name, mode, 1, 1, data)
    }

    fn linked_entry(name: &str, mode: u32, inode: usize, links: usize, data: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        let fields = [
            inode,
            mode as usize,
            0,
            0,
            links,
            0,
            data.len(),
            0,
            0,
            0,
            0,
            name.len() + 1,
            0,
        ];
        bytes.extend_from_slice(b"070701");
        for value in fields {
            bytes.extend_from_slice(std::format!("{value:08x}").as_bytes());
        }
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        while bytes.len() % 4 != 0 {
            bytes.push(0);
        }
        bytes.extend_from_slice(data);
        while bytes.len() % 4 != 0 {
            bytes.push(0);
        }
        bytes
    }

    fn archive() -> Vec<u8> {
        let mut bytes = entry("bin", 0o040_755, b"");
        bytes.extend(entry("bin/hello", 0o100_755, b"\x7fELF..."));
        bytes.extend(entry("bin/sh", 0o120_777, b"hello"));
        bytes.extend(entry(TRAILER, 0, b""));
        bytes
    }

    #[test]
    fn lists_and_finds_entries() {
        let bytes = archive();
        let entries: Vec<_> = Archive::new(&bytes).map(Result::unwrap).collect();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].kind(), EntryKind::Directory);
        assert_eq!(entries[1].kind(), EntryKind::File);
        assert_eq!(entries[2].kind(), EntryKind::SymbolicLink);
        let hello = Archive::new(&bytes).find("/bin/hello").unwrap().unwrap();
        assert_eq!(hello.data, b"\x7fELF...");
        assert_eq!(Archive::new(&bytes).find("/bin/missing").unwrap(), None);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = archive();
        for length in 0..bytes.len() {
            let result: Vec<_> = Archive::new(&bytes[..length]).collect();
            assert!(
                result.iter().any(Result::is_err),
                "length {length} parsed without error"
            );
        }
    }

    #[test]
    fn garbage_is_rejected() {
        let mut bytes = archive();
        bytes[0] = b'X';
        assert_eq!(
            Archive::new(&bytes).next(),
            Some(Err(FormatError::BadMagic { offset: 0 }))
        );
        let mut bytes = archive();
        bytes[6 + 6 * 8] = b'z';
        assert_eq!(
            Archive::new(&bytes).next(),
            Some(Err(FormatError::BadNumber { offset: 0 }))
        );
    }

    #[test]
    fn hard_links_share_the_stored_bytes_wherever_they_are() {
        // Data with the first name (as cargo xtask writes it) and with the last (as GNU cpio).
        for data_first in [true, false] {
            let (first, last): (&[u8], &[u8]) = if data_first {
                (b"program", b"")
            } else {
                (b"", b"program")
            };
            let mut bytes = entry("bin", 0o040_755, b"");
            bytes.extend(linked_entry("bin/ls", 0o100_755, 7, 3, first));
            bytes.extend(linked_entry("bin/cat", 0o100_755, 7, 3, b""));
            bytes.extend(entry("bin/other", 0o100_644, b""));
            bytes.extend(linked_entry("bin/utils", 0o100_755, 7, 3, last));
            bytes.extend(entry(TRAILER, 0, b""));
            let archive = Archive::new(&bytes);
            for name in ["/bin/ls", "bin/cat", "/bin/utils"] {
                let found = archive.find(name).unwrap().unwrap();
                assert_eq!(found.data, b"program", "{name}");
                assert_eq!((found.inode, found.links), (7, 3));
            }
            // An empty file with one link stays empty; it is not another file's link.
            assert_eq!(archive.find("bin/other").unwrap().unwrap().data, b"");
        }
    }
}
