//! `struct statx` (256 bytes) and its `STATX_*` mask and attribute bits.

/// Want/got `stx_mode & S_IFMT`.
pub const STATX_TYPE: u32 = 0x0000_0001;
/// Want/got `stx_mode & !S_IFMT`.
pub const STATX_MODE: u32 = 0x0000_0002;
/// Want/got `stx_nlink`.
pub const STATX_NLINK: u32 = 0x0000_0004;
/// Want/got `stx_uid`.
pub const STATX_UID: u32 = 0x0000_0008;
/// Want/got `stx_gid`.
pub const STATX_GID: u32 = 0x0000_0010;
/// Want/got `stx_atime`.
pub const STATX_ATIME: u32 = 0x0000_0020;
/// Want/got `stx_mtime`.
pub const STATX_MTIME: u32 = 0x0000_0040;
/// Want/got `stx_ctime`.
pub const STATX_CTIME: u32 = 0x0000_0080;
/// Want/got `stx_ino`.
pub const STATX_INO: u32 = 0x0000_0100;
/// Want/got `stx_size`.
pub const STATX_SIZE: u32 = 0x0000_0200;
/// Want/got `stx_blocks`.
pub const STATX_BLOCKS: u32 = 0x0000_0400;
/// Everything `struct stat` has.
pub const STATX_BASIC_STATS: u32 = 0x0000_07ff;
/// Want/got `stx_btime`.
pub const STATX_BTIME: u32 = 0x0000_0800;
/// Want/got `stx_mnt_id`.
pub const STATX_MNT_ID: u32 = 0x0000_1000;
/// Want/got direct-I/O alignment.
pub const STATX_DIOALIGN: u32 = 0x0000_2000;
/// Want/got the unique 64-bit `stx_mnt_id`.
pub const STATX_MNT_ID_UNIQUE: u32 = 0x0000_4000;
/// Want/got `stx_subvol`.
pub const STATX_SUBVOL: u32 = 0x0000_8000;
/// Want/got atomic-write limits.
pub const STATX_WRITE_ATOMIC: u32 = 0x0001_0000;
/// Want/got `stx_dio_read_offset_align`.
pub const STATX_DIO_READ_ALIGN: u32 = 0x0002_0000;
/// The basic statistics plus `stx_btime` (deprecated by the kernel, still accepted).
pub const STATX_ALL: u32 = 0x0000_0fff;

/// Attribute: the file is compressed by the file system.
pub const STATX_ATTR_COMPRESSED: u64 = 0x0000_0004;
/// Attribute: the file cannot be modified.
pub const STATX_ATTR_IMMUTABLE: u64 = 0x0000_0010;
/// Attribute: the file can only be appended to.
pub const STATX_ATTR_APPEND: u64 = 0x0000_0020;
/// Attribute: the file is not backed up.
pub const STATX_ATTR_NODUMP: u64 = 0x0000_0040;
/// Attribute: the file needs a key to be read or written.
pub const STATX_ATTR_ENCRYPTED: u64 = 0x0000_0800;
/// Attribute: the directory is an automount trigger.
pub const STATX_ATTR_AUTOMOUNT: u64 = 0x0000_1000;
/// Attribute: the path is the root of a mount.
pub const STATX_ATTR_MOUNT_ROOT: u64 = 0x0000_2000;
/// Attribute: the file has fs-verity enabled.
pub const STATX_ATTR_VERITY: u64 = 0x0010_0000;
/// Attribute: the file is in DAX (direct access) state.
pub const STATX_ATTR_DAX: u64 = 0x0020_0000;
/// Attribute: the file supports atomic writes.
pub const STATX_ATTR_WRITE_ATOMIC: u64 = 0x0040_0000;

/// A timestamp in `statx` (`struct statx_timestamp`).
#[doc(alias = "statx_timestamp")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StatxTimestamp {
    /// Seconds since the epoch.
    pub tv_sec: i64,
    /// Nanoseconds.
    pub tv_nsec: u32,
    /// Reserved; always 0.
    pub __reserved: i32,
}

/// Extended file status (`struct statx`, Linux 6.16 layout).
#[doc(alias = "statx")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Statx {
    /// Which fields are filled in (`STATX_*`).
    pub stx_mask: u32,
    /// The preferred I/O block size.
    pub stx_blksize: u32,
    /// `STATX_ATTR_*` flags.
    pub stx_attributes: u64,
    /// The number of hard links.
    pub stx_nlink: u32,
    /// The owner's user ID.
    pub stx_uid: u32,
    /// The owner's group ID.
    pub stx_gid: u32,
    /// File type and permission bits.
    pub stx_mode: u16,
    /// Reserved.
    pub __spare0: [u16; 1],
    /// The inode number.
    pub stx_ino: u64,
    /// Size in bytes.
    pub stx_size: u64,
    /// Number of 512-byte blocks allocated.
    pub stx_blocks: u64,
    /// Which `STATX_ATTR_*` flags the file system supports.
    pub stx_attributes_mask: u64,
    /// Last access.
    pub stx_atime: StatxTimestamp,
    /// Creation.
    pub stx_btime: StatxTimestamp,
    /// Last status change.
    pub stx_ctime: StatxTimestamp,
    /// Last modification.
    pub stx_mtime: StatxTimestamp,
    /// Major number of the device this special file stands for.
    pub stx_rdev_major: u32,
    /// Minor number of the device this special file stands for.
    pub stx_rdev_minor: u32,
    /// Major number of the device containing the file.
    pub stx_dev_major: u32,
    /// Minor number of the device containing the file.
    pub stx_dev_minor: u32,
    /// The mount ID.
    pub stx_mnt_id: u64,
    /// Memory buffer alignment for direct I/O.
    pub stx_dio_mem_align: u32,
    /// File offset alignment for direct I/O.
    pub stx_dio_offset_align: u32,
    /// The subvolume ID.
    pub stx_subvol: u64,
    /// Minimum size of an atomic write.
    pub stx_atomic_write_unit_min: u32,
    /// Maximum size of an atomic write.
    pub stx_atomic_write_unit_max: u32,
    /// Maximum number of segments in an atomic write.
    pub stx_atomic_write_segments_max: u32,
    /// File offset alignment for direct-I/O reads.
    pub stx_dio_read_offset_align: u32,
    /// Optimised maximum size of an atomic write.
    pub stx_atomic_write_unit_max_opt: u32,
    /// Reserved.
    pub __spare2: [u32; 1],
    /// Reserved for future fields.
    pub __spare3: [u64; 8],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let mask = check_constants!(
            STATX_TYPE,
            STATX_MODE,
            STATX_NLINK,
            STATX_UID,
            STATX_GID,
            STATX_ATIME,
            STATX_MTIME,
            STATX_CTIME,
            STATX_INO,
            STATX_SIZE,
            STATX_BLOCKS,
            STATX_BASIC_STATS,
            STATX_BTIME,
            STATX_MNT_ID,
            STATX_DIOALIGN,
            STATX_ALL,
            // uapi linux/stat.h (Linux 6.8 to 6.16)
            STATX_MNT_ID_UNIQUE = 0x4000,
            STATX_SUBVOL = 0x8000,
            STATX_WRITE_ATOMIC = 0x1_0000,
            STATX_DIO_READ_ALIGN = 0x2_0000,
        );
        let attributes = check_constants!(
            STATX_ATTR_COMPRESSED,
            STATX_ATTR_IMMUTABLE,
            STATX_ATTR_APPEND,
            STATX_ATTR_NODUMP,
            STATX_ATTR_ENCRYPTED,
            STATX_ATTR_AUTOMOUNT,
            STATX_ATTR_MOUNT_ROOT,
            STATX_ATTR_VERITY,
            STATX_ATTR_DAX,
            // uapi linux/stat.h (Linux 6.11)
            STATX_ATTR_WRITE_ATOMIC = 0x40_0000,
        );
        assert_every_constant_checked(include_str!("statx.rs"), &[mask, attributes]);
    }

    #[test]
    fn layouts_match_libc() {
        check_layout!(StatxTimestamp, libc::statx_timestamp, { tv_sec, tv_nsec, __reserved = _ });
        check_layout!(Statx, libc::statx, {
            stx_mask, stx_blksize, stx_attributes, stx_nlink, stx_uid, stx_gid, stx_mode,
            __spare0 = _, stx_ino, stx_size, stx_blocks, stx_attributes_mask, stx_atime, stx_btime,
            stx_ctime, stx_mtime, stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor,
            stx_mnt_id, stx_dio_mem_align, stx_dio_offset_align, stx_subvol,
            stx_atomic_write_unit_min, stx_atomic_write_unit_max, stx_atomic_write_segments_max,
            stx_dio_read_offset_align, stx_atomic_write_unit_max_opt, __spare2 = _, __spare3 = _,
        });
        assert_eq!(core::mem::size_of::<Statx>(), 256);
    }
}
