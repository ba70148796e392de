//! `struct statfs` as `statfs` and `fstatfs` fill it on x86_64 (120 bytes), and the file-system
//! magic numbers this system reports.

/// `f_type` of an in-memory file system (`TMPFS_MAGIC`): the shared root and devfs.
pub const TMPFS_MAGIC: i64 = 0x0102_1994;

/// File-system status (`struct statfs`, the x86_64 kernel's `struct statfs` from
/// `asm-generic/statfs.h`).
#[doc(alias = "statfs")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Statfs {
    /// The file system's type (a magic number).
    pub f_type: i64,
    /// The optimal transfer block size.
    pub f_bsize: i64,
    /// Total data blocks (of `f_frsize` bytes).
    pub f_blocks: u64,
    /// Free blocks.
    pub f_bfree: u64,
    /// Free blocks an unprivileged user may use.
    pub f_bavail: u64,
    /// Total file nodes.
    pub f_files: u64,
    /// Free file nodes.
    pub f_ffree: u64,
    /// The file-system ID.
    pub f_fsid: [i32; 2],
    /// The longest file name.
    pub f_namelen: i64,
    /// The fragment size.
    pub f_frsize: i64,
    /// Mount flags (`ST_*`).
    pub f_flags: i64,
    /// Reserved; always 0.
    pub f_spare: [i64; 4],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::check_layout;

    #[test]
    fn layout_matches_libc() {
        check_layout!(Statfs, libc::statfs, {
            f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid = _,
            f_namelen, f_frsize, f_flags = _, f_spare = _,
        });
        assert_eq!(core::mem::size_of::<Statfs>(), 120);
    }
}
