//! A writer for the cpio `newc` archive format, the format the kernel unpacks as its initial file system.
//!
//! Each entry is a 110-byte ASCII header (`070701` then thirteen 8-digit hexadecimal fields), the
//! NUL-terminated name padded to a multiple of 4 bytes, then the data padded to a multiple of 4.
//! The archive ends with an entry named `TRAILER!!!`. Names are stored relative (`bin/init`, not
//! `/bin/init`), as Linux's tools write them. Timestamps, owners and device numbers are zero so the
//! archive is reproducible.

use std::io::{self, Write};

/// The magic number that starts every `newc` header.
pub const MAGIC: &[u8; 6] = b"070701";
/// The name of the entry that ends the archive.
pub const TRAILER_NAME: &str = "TRAILER!!!";
/// The length of an entry header.
pub const HEADER_LENGTH: usize = 110;

/// File-type bits of the `mode` field, as in `stat`.
pub const MODE_DIRECTORY: u32 = 0o040000;
/// Mode bits of a regular file.
pub const MODE_REGULAR_FILE: u32 = 0o100000;
/// Mode bits of a symbolic link.
pub const MODE_SYMBOLIC_LINK: u32 = 0o120000;
/// The permission bits (including set-user-ID, set-group-ID and sticky) that entries keep.
pub const PERMISSION_BITS: u32 = 0o7777;

/// `name` without its leading `/`, or an error if it cannot be stored.
fn checked_name(name: &str) -> io::Result<&str> {
    let name = name.trim_start_matches('/');
    if name.is_empty() || name.contains('\0') || name == TRAILER_NAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} cannot be stored as a cpio entry name"),
        ));
    }
    Ok(name)
}

/// Writes entries one by one, then the trailer on [`CpioWriter::finish`].
pub struct CpioWriter<W: Write> {
    output: W,
    next_inode: u32,
    written: u64,
}

impl<W: Write> CpioWriter<W> {
    /// A writer that appends an archive to `output`.
    pub fn new(output: W) -> Self {
        Self {
            output,
            next_inode: 1,
            written: 0,
        }
    }

    /// Adds a directory with the given permission bits.
    ///
    /// # Errors
    /// Fails if the name is invalid or `output` fails.
    pub fn directory(&mut self, name: &str, permissions: u32) -> io::Result<()> {
        let mode = MODE_DIRECTORY | (permissions & PERMISSION_BITS);
        self.entry(name, mode, 2, &[])
    }

    /// Adds a regular file with the given permission bits and contents.
    ///
    /// # Errors
    /// Fails if the name is invalid, the file is 4 GiB or larger, or `output` fails.
    pub fn file(&mut self, name: &str, permissions: u32, contents: &[u8]) -> io::Result<()> {
        let mode = MODE_REGULAR_FILE | (permissions & PERMISSION_BITS);
        self.entry(name, mode, 1, contents)
    }

    /// Adds one regular file under several `names` (hard links): one inode, a link count of
    /// `names.len()`, the bytes stored once with the first name and size 0 for the others (the
    /// readers, `boot/initramfs` and Linux's, give every name the stored bytes).
    ///
    /// # Errors
    /// Fails if `names` is empty, a name is invalid, the file is 4 GiB or larger, or `output`
    /// fails.
    pub fn linked_file(
        &mut self,
        names: &[&str],
        permissions: u32,
        contents: &[u8],
    ) -> io::Result<()> {
        let links = u32::try_from(names.len())
            .ok()
            .filter(|&links| links > 0)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "a file needs a name"))?;
        let mode = MODE_REGULAR_FILE | (permissions & PERMISSION_BITS);
        let inode = self.next_inode;
        self.next_inode += 1;
        for (index, name) in names.iter().enumerate() {
            let name = checked_name(name)?;
            let data = if index == 0 { contents } else { &[] };
            self.write_record(inode, name, mode, links, data)?;
        }
        Ok(())
    }

    /// Adds a symbolic link pointing at `target`.
    ///
    /// # Errors
    /// Fails if the name is invalid or `output` fails.
    pub fn symbolic_link(&mut self, name: &str, target: &str) -> io::Result<()> {
        self.entry(name, MODE_SYMBOLIC_LINK | 0o777, 1, target.as_bytes())
    }

    /// Writes the trailer and returns the output.
    ///
    /// # Errors
    /// Fails if `output` fails.
    pub fn finish(mut self) -> io::Result<W> {
        self.write_record(0, TRAILER_NAME, 0, 1, &[])?;
        self.output.flush()?;
        Ok(self.output)
    }

    fn entry(&mut self, name: &str, mode: u32, links: u32, data: &[u8]) -> io::Result<()> {
        let name = checked_name(name)?;
        let inode = self.next_inode;
        self.next_inode += 1;
        self.write_record(inode, name, mode, links, data)
    }

    fn write_record(
        &mut self,
        inode: u32,
        name: &str,
        mode: u32,
        links: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let too_large = |what: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{what} of {name:?} does not fit in a cpio newc header"),
            )
        };
        let file_size = u32::try_from(data.len()).map_err(|_| too_large("the size"))?;
        let name_size = u32::try_from(name.len() + 1).map_err(|_| too_large("the name"))?;
        let fields = [
            inode, mode, 0, // owner
            0, // group
            links, 0, // modification time
            file_size, 0, 0, 0, 0, // device and represented-device numbers
            name_size, 0, // checksum (unused by newc)
        ];
        let mut header = Vec::with_capacity(HEADER_LENGTH);
        header.extend_from_slice(MAGIC);
        for field in fields {
            header.extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.put(&header)?;
        self.put(name.as_bytes())?;
        self.put(&[0])?;
        self.pad()?;
        self.put(data)?;
        self.pad()
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.output.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn pad(&mut self) -> io::Result<()> {
        let padding = (4 - (self.written % 4) as usize) % 4;
        self.put(&[0; 3][..padding])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry read back from an archive.
    #[derive(Debug, PartialEq, Eq)]
    struct ReadEntry {
        name: String,
        mode: u32,
        links: u32,
        data: Vec<u8>,
    }

    /// A strict newc reader: checks magic, alignment and the trailer.
    fn read_archive(archive: &[u8]) -> Vec<ReadEntry> {
        let mut entries = Vec::new();
        let mut offset = 0;
        loop {
            assert_eq!(offset % 4, 0, "entry not aligned");
            let header = &archive[offset..offset + HEADER_LENGTH];
            assert_eq!(&header[..6], MAGIC);
            let field = |index: usize| {
                let start = 6 + index * 8;
                let text = std::str::from_utf8(&header[start..start + 8]).unwrap();
                u32::from_str_radix(text, 16).unwrap()
            };
            let (mode, links, file_size, name_size) =
                (field(1), field(4), field(6) as usize, field(11) as usize);
            let name_start = offset + HEADER_LENGTH;
            let name_bytes = &archive[name_start..name_start + name_size];
            assert_eq!(name_bytes.last(), Some(&0), "name not NUL-terminated");
            let name = String::from_utf8(name_bytes[..name_size - 1].to_vec()).unwrap();
            let data_start = (name_start + name_size).next_multiple_of(4);
            let data = archive[data_start..data_start + file_size].to_vec();
            offset = (data_start + file_size).next_multiple_of(4);
            if name == TRAILER_NAME {
                assert_eq!(offset, archive.len(), "bytes after the trailer");
                return entries;
            }
            entries.push(ReadEntry {
                name,
                mode,
                links,
                data,
            });
        }
    }

    #[test]
    fn round_trips_directories_files_and_links() {
        let mut writer = CpioWriter::new(Vec::new());
        writer.directory("/bin", 0o755).unwrap();
        writer.directory("sbin", 0o700).unwrap();
        writer.file("/sbin/init", 0o755, b"\x7fELF binary").unwrap();
        writer.file("bin/empty", 0o644, b"").unwrap();
        writer.file("bin/abc", 0o4755, b"abc").unwrap();
        writer.symbolic_link("bin/sh", "/sbin/init").unwrap();
        let archive = writer.finish().unwrap();
        assert_eq!(archive.len() % 4, 0);

        let entry = |name: &str, mode: u32, links: u32, data: &[u8]| ReadEntry {
            name: name.to_string(),
            mode,
            links,
            data: data.to_vec(),
        };
        assert_eq!(
            read_archive(&archive),
            [
                entry("bin", 0o040755, 2, b""),
                entry("sbin", 0o040700, 2, b""),
                entry("sbin/init", 0o100755, 1, b"\x7fELF binary"),
                entry("bin/empty", 0o100644, 1, b""),
                entry("bin/abc", 0o104755, 1, b"abc"),
                entry("bin/sh", 0o120777, 1, b"/sbin/init"),
            ]
        );
    }

    #[test]
    fn hard_links_share_one_inode_and_store_the_bytes_once() {
        let mut writer = CpioWriter::new(Vec::new());
        writer.file("bin/before", 0o755, b"x").unwrap();
        writer
            .linked_file(&["bin/utils", "bin/ls", "bin/cat"], 0o755, b"program")
            .unwrap();
        writer.file("bin/after", 0o755, b"y").unwrap();
        let archive = writer.finish().unwrap();
        let entries = read_archive(&archive);
        let names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(
            names,
            ["bin/before", "bin/utils", "bin/ls", "bin/cat", "bin/after"]
        );
        assert_eq!(entries[1].data, b"program");
        assert!(entries[2].data.is_empty() && entries[3].data.is_empty());
        assert!(entries[1..4].iter().all(|entry| entry.links == 3));
        assert_eq!(
            archive
                .windows(7)
                .filter(|window| window == b"program")
                .count(),
            1
        );
        // The inode field is shared by the three names and by no other entry.
        let inode = |index: usize| {
            let offsets: Vec<usize> = (0..archive.len() - 6)
                .filter(|&offset| &archive[offset..offset + 6] == MAGIC)
                .collect();
            String::from_utf8(archive[offsets[index] + 6..offsets[index] + 14].to_vec()).unwrap()
        };
        assert_eq!(inode(1), inode(2));
        assert_eq!(inode(1), inode(3));
        assert_ne!(inode(0), inode(1));
        assert_ne!(inode(4), inode(1));
        assert!(
            CpioWriter::new(Vec::new())
                .linked_file(&[], 0o755, b"")
                .is_err()
        );
    }

    #[test]
    fn every_name_length_is_padded_correctly() {
        let mut writer = CpioWriter::new(Vec::new());
        let names: Vec<String> = (1..=9).map(|length| "n".repeat(length)).collect();
        for (index, name) in names.iter().enumerate() {
            writer.file(name, 0o644, &vec![7; index]).unwrap();
        }
        let entries = read_archive(&writer.finish().unwrap());
        let read_names: Vec<&str> = entries.iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(read_names, names);
        for (index, entry) in entries.iter().enumerate() {
            assert_eq!(entry.data, vec![7; index]);
        }
    }

    #[test]
    fn header_fields_are_uppercase_hexadecimal() {
        let mut writer = CpioWriter::new(Vec::new());
        writer.file("f", 0o644, &[0; 0xAB]).unwrap();
        let archive = writer.finish().unwrap();
        let header = std::str::from_utf8(&archive[..HEADER_LENGTH]).unwrap();
        let expected = [
            "070701", "00000001", "000081A4", "00000000", "00000000", "00000001", "00000000",
            "000000AB", "00000000", "00000000", "00000000", "00000000", "00000002", "00000000",
        ]
        .concat();
        assert_eq!(header, expected);
        assert_eq!(&archive[HEADER_LENGTH..HEADER_LENGTH + 2], b"f\0");
    }

    #[test]
    fn an_empty_archive_is_just_the_trailer() {
        let archive = CpioWriter::new(Vec::new()).finish().unwrap();
        assert!(read_archive(&archive).is_empty());
        assert_eq!(
            archive.len(),
            (HEADER_LENGTH + TRAILER_NAME.len() + 1).next_multiple_of(4)
        );
    }

    #[test]
    fn rejects_empty_and_reserved_names() {
        let mut writer = CpioWriter::new(Vec::new());
        assert!(writer.file("/", 0o644, b"").is_err());
        assert!(writer.file("TRAILER!!!", 0o644, b"").is_err());
        assert!(writer.file("a\0b", 0o644, b"").is_err());
    }
}
