//! `struct stat` as `fstat`, `newfstatat` and friends fill it on x86_64 (144 bytes).

/// File status (`struct stat`, the x86_64 kernel's `struct stat` from `asm/stat.h`).
///
/// The timestamps are split into seconds and nanoseconds fields as in the
/// kernel header; glibc and musl name the same bytes `st_atim` (a `timespec`).
#[doc(alias = "stat")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stat {
    /// The device containing the file.
    pub st_dev: u64,
    /// The inode number.
    pub st_ino: u64,
    /// The number of hard links.
    pub st_nlink: u64,
    /// File type and permission bits (`S_IF*`, `S_I*`).
    pub st_mode: u32,
    /// The owner's user ID.
    pub st_uid: u32,
    /// The owner's group ID.
    pub st_gid: u32,
    /// Padding; always 0.
    pub __pad0: i32,
    /// The device this special file stands for.
    pub st_rdev: u64,
    /// Size in bytes.
    pub st_size: i64,
    /// The preferred I/O block size.
    pub st_blksize: i64,
    /// Number of 512-byte blocks allocated.
    pub st_blocks: i64,
    /// Last access, seconds.
    pub st_atime: i64,
    /// Last access, nanoseconds.
    pub st_atime_nsec: i64,
    /// Last modification, seconds.
    pub st_mtime: i64,
    /// Last modification, nanoseconds.
    pub st_mtime_nsec: i64,
    /// Last status change, seconds.
    pub st_ctime: i64,
    /// Last status change, nanoseconds.
    pub st_ctime_nsec: i64,
    /// Reserved; always 0.
    pub __unused: [i64; 3],
}

/// The `st_dev`/`st_rdev` encoding glibc and the kernel use for `makedev(major, minor)`.
pub const fn makedev(major: u32, minor: u32) -> u64 {
    let major = major as u64;
    let minor = minor as u64;
    ((major & 0xffff_f000) << 32)
        | ((major & 0x0000_0fff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0x0000_00ff)
}

/// The major number of an `st_dev`/`st_rdev` value.
pub const fn major(device: u64) -> u32 {
    (((device >> 32) & 0xffff_f000) | ((device >> 8) & 0x0000_0fff)) as u32
}

/// The minor number of an `st_dev`/`st_rdev` value.
pub const fn minor(device: u64) -> u32 {
    (((device >> 12) & 0xffff_ff00) | (device & 0x0000_00ff)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::check_layout;

    #[test]
    fn layout_matches_libc() {
        check_layout!(Stat, libc::stat, {
            st_dev, st_ino, st_nlink, st_mode, st_uid, st_gid, __pad0 = _, st_rdev, st_size,
            st_blksize, st_blocks, st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime,
            st_ctime_nsec, __unused = _,
        });
        assert_eq!(core::mem::size_of::<Stat>(), 144);
    }

    #[test]
    fn device_numbers_match_libc() {
        for (major_number, minor_number) in
            [(0, 0), (8, 1), (259, 65536), (0xfff_ffff, 0xffff_ffff)]
        {
            let device = makedev(major_number, minor_number);
            assert_eq!(device, libc::makedev(major_number, minor_number));
            assert_eq!(major(device), libc::major(device));
            assert_eq!(minor(device), libc::minor(device));
            assert_eq!((major(device), minor(device)), (major_number, minor_number));
        }
    }
}
