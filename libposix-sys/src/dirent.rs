//! Directory entries as `getdents64` returns them (`struct linux_dirent64`) and the `DT_*` types.
//!
//! A `getdents64` buffer holds variable-length records: the fixed header
//! (`d_ino`, `d_off`, `d_reclen`, `d_type`), then the name and a NUL at byte
//! 19, padded so that the next record starts 8-byte aligned. [`encode`] and
//! [`decode`] write and read one record in a byte buffer.

/// Type unknown; call `stat` to find it.
pub const DT_UNKNOWN: u8 = 0;
/// FIFO.
pub const DT_FIFO: u8 = 1;
/// Character device.
pub const DT_CHR: u8 = 2;
/// Directory.
pub const DT_DIR: u8 = 4;
/// Block device.
pub const DT_BLK: u8 = 6;
/// Regular file.
pub const DT_REG: u8 = 8;
/// Symbolic link.
pub const DT_LNK: u8 = 10;
/// Socket.
pub const DT_SOCK: u8 = 12;
/// Whiteout (union and overlay file systems).
pub const DT_WHT: u8 = 14;

/// Where the name starts in a record: right after the header fields, not at `size_of` the header.
pub const DIRENT64_NAME_OFFSET: usize = 19;

/// The `d_type` for a mode's file type (`(mode & S_IFMT) >> 12`, as Linux computes it).
pub const fn type_from_mode(mode: u32) -> u8 {
    ((mode & crate::mode::S_IFMT) >> 12) as u8
}

/// The fixed part of a `getdents64` record (`struct linux_dirent64` without `d_name`).
#[doc(alias = "linux_dirent64", alias = "dirent64")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LinuxDirent64 {
    /// The inode number.
    pub d_ino: u64,
    /// An opaque cookie: `lseek` to it to continue after this entry.
    pub d_off: i64,
    /// The length of this whole record, name and padding included.
    pub d_reclen: u16,
    /// `DT_*` file type.
    pub d_type: u8,
}

/// The record length for a name of `name_length` bytes: header, name, NUL, aligned to 8.
pub const fn record_length(name_length: usize) -> usize {
    (DIRENT64_NAME_OFFSET + name_length + 1).next_multiple_of(8)
}

/// Writes one record at the start of `buffer` and returns its length.
///
/// Returns `None`, writing nothing, if the record does not fit, if `name` contains a
/// NUL, or if the record would be longer than `d_reclen` can say (the header's
/// `d_reclen` is set from the name, not taken from `entry`).
pub fn encode(buffer: &mut [u8], entry: &LinuxDirent64, name: &[u8]) -> Option<usize> {
    let length = record_length(name.len());
    let record_length_field = u16::try_from(length).ok()?;
    if length > buffer.len() || name.contains(&0) {
        return None;
    }
    let record = &mut buffer[..length];
    record[0..8].copy_from_slice(&entry.d_ino.to_ne_bytes());
    record[8..16].copy_from_slice(&entry.d_off.to_ne_bytes());
    record[16..18].copy_from_slice(&record_length_field.to_ne_bytes());
    record[18] = entry.d_type;
    let name_end = DIRENT64_NAME_OFFSET + name.len();
    record[DIRENT64_NAME_OFFSET..name_end].copy_from_slice(name);
    record[name_end..].fill(0);
    Some(length)
}

/// Reads the record at the start of `buffer`: its header, its name (without the NUL).
///
/// The record's length is the header's `d_reclen`. Returns `None` if the buffer is
/// shorter than the record, `d_reclen` is too small, or the name has no NUL.
pub fn decode(buffer: &[u8]) -> Option<(LinuxDirent64, &[u8])> {
    let header = buffer.get(..DIRENT64_NAME_OFFSET)?;
    let mut field = [0; 8];
    field.copy_from_slice(&header[0..8]);
    let d_ino = u64::from_ne_bytes(field);
    field.copy_from_slice(&header[8..16]);
    let d_off = i64::from_ne_bytes(field);
    let d_reclen = u16::from_ne_bytes([header[16], header[17]]);
    let d_type = header[18];
    let record = buffer.get(..usize::from(d_reclen))?;
    let name_and_padding = record.get(DIRENT64_NAME_OFFSET..)?;
    let name_length = name_and_padding.iter().position(|byte| *byte == 0)?;
    let entry = LinuxDirent64 {
        d_ino,
        d_off,
        d_reclen,
        d_type,
    };
    Some((entry, &name_and_padding[..name_length]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};
    use core::mem::offset_of;

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            DT_UNKNOWN,
            DT_FIFO,
            DT_CHR,
            DT_DIR,
            DT_BLK,
            DT_REG,
            DT_LNK,
            DT_SOCK,
            // linux/fs_types.h and glibc dirent.h
            DT_WHT = 14,
            DIRENT64_NAME_OFFSET = offset_of!(libc::dirent64, d_name),
        );
        assert_every_constant_checked(include_str!("dirent.rs"), &[checked]);
    }

    #[test]
    fn header_offsets_match_libc() {
        assert_eq!(
            offset_of!(LinuxDirent64, d_ino),
            offset_of!(libc::dirent64, d_ino)
        );
        assert_eq!(
            offset_of!(LinuxDirent64, d_off),
            offset_of!(libc::dirent64, d_off)
        );
        assert_eq!(
            offset_of!(LinuxDirent64, d_reclen),
            offset_of!(libc::dirent64, d_reclen)
        );
        assert_eq!(
            offset_of!(LinuxDirent64, d_type),
            offset_of!(libc::dirent64, d_type)
        );
        assert_eq!(
            core::mem::align_of::<LinuxDirent64>(),
            core::mem::align_of::<libc::dirent64>()
        );
    }

    #[test]
    fn types_follow_the_mode() {
        use crate::mode::*;
        assert_eq!(type_from_mode(S_IFREG | 0o644), DT_REG);
        assert_eq!(type_from_mode(S_IFDIR), DT_DIR);
        assert_eq!(type_from_mode(S_IFLNK), DT_LNK);
        assert_eq!(type_from_mode(S_IFCHR), DT_CHR);
        assert_eq!(type_from_mode(S_IFBLK), DT_BLK);
        assert_eq!(type_from_mode(S_IFIFO), DT_FIFO);
        assert_eq!(type_from_mode(S_IFSOCK), DT_SOCK);
    }

    #[test]
    fn records_round_trip() {
        assert_eq!(record_length(0), 24);
        assert_eq!(record_length(4), 24);
        assert_eq!(record_length(5), 32);
        let mut buffer = [0xaa_u8; 64];
        let entry = LinuxDirent64 {
            d_ino: 7,
            d_off: 42,
            d_reclen: 0,
            d_type: DT_REG,
        };
        let length = encode(&mut buffer, &entry, b"hello").unwrap();
        assert_eq!(length, 32);
        let (decoded, name) = decode(&buffer).unwrap();
        assert_eq!(name, b"hello");
        assert_eq!(
            decoded,
            LinuxDirent64 {
                d_reclen: 32,
                ..entry
            }
        );
        assert_eq!(buffer[length], 0xaa, "nothing is written past the record");
        assert_eq!(encode(&mut buffer[..31], &entry, b"hello"), None);
        assert_eq!(encode(&mut buffer, &entry, b"a\0b"), None);
        assert_eq!(decode(&buffer[..20]), None);
    }
}
