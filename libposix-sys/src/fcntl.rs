//! File-descriptor flags: `open` flags (`O_*`), `*at` flags (`AT_*`), `fcntl` commands (`F_*`) and locks.
//!
//! The values are the x86_64 kernel's. One differs from glibc's header:
//! `O_LARGEFILE`, which glibc defines as 0 on 64-bit targets because the kernel
//! sets it on every open there; the kernel (and musl) value is kept here.

/// Open for reading only.
pub const O_RDONLY: i32 = 0;
/// Open for writing only.
pub const O_WRONLY: i32 = 1;
/// Open for reading and writing.
pub const O_RDWR: i32 = 2;
/// Mask of the access mode (`O_RDONLY`, `O_WRONLY`, `O_RDWR`).
pub const O_ACCMODE: i32 = 0o3;
/// Create the file if it does not exist.
pub const O_CREAT: i32 = 0o100;
/// With `O_CREAT`, fail with `EEXIST` if the file exists.
pub const O_EXCL: i32 = 0o200;
/// Do not make the opened terminal the controlling terminal.
pub const O_NOCTTY: i32 = 0o400;
/// Truncate a regular file to length 0.
pub const O_TRUNC: i32 = 0o1000;
/// Every write appends at the end of the file.
pub const O_APPEND: i32 = 0o2000;
/// Non-blocking mode.
pub const O_NONBLOCK: i32 = 0o4000;
/// Old name of `O_NONBLOCK`.
pub const O_NDELAY: i32 = O_NONBLOCK;
/// Writes complete when the data (not all metadata) is on stable storage.
pub const O_DSYNC: i32 = 0o10000;
/// Signal-driven I/O (`SIGIO`) on this descriptor.
pub const O_ASYNC: i32 = 0o20000;
/// BSD name of `O_ASYNC`.
pub const FASYNC: i32 = O_ASYNC;
/// Bypass the page cache.
pub const O_DIRECT: i32 = 0o40000;
/// Allow files whose size does not fit in 31 bits; implied on x86_64.
pub const O_LARGEFILE: i32 = 0o100000;
/// Fail with `ENOTDIR` unless the path names a directory.
pub const O_DIRECTORY: i32 = 0o200000;
/// Fail with `ELOOP` if the final path component is a symbolic link.
pub const O_NOFOLLOW: i32 = 0o400000;
/// Do not update the access time.
pub const O_NOATIME: i32 = 0o1000000;
/// Close the descriptor on `execve`.
pub const O_CLOEXEC: i32 = 0o2000000;
/// Writes complete when data and metadata are on stable storage.
pub const O_SYNC: i32 = 0o4010000;
/// Reads complete as `O_SYNC` writes would; Linux treats it as `O_SYNC`.
pub const O_RSYNC: i32 = O_SYNC;
/// A descriptor that only names a location in the file tree.
pub const O_PATH: i32 = 0o10000000;
/// Create an unnamed temporary regular file in the given directory.
pub const O_TMPFILE: i32 = 0o20200000;

/// The "current working directory" descriptor for the `*at` calls.
pub const AT_FDCWD: i32 = -100;
/// Do not follow a final symbolic link.
pub const AT_SYMLINK_NOFOLLOW: i32 = 0x100;
/// `unlinkat`: remove a directory, as `rmdir` does.
pub const AT_REMOVEDIR: i32 = 0x200;
/// `faccessat`: check with the effective rather than the real IDs.
pub const AT_EACCESS: i32 = 0x200;
/// `access`: may read.
pub const R_OK: i32 = 4;
/// `access`: may write.
pub const W_OK: i32 = 2;
/// `access`: may execute (search, for a directory).
pub const X_OK: i32 = 1;
/// `access`: exists.
pub const F_OK: i32 = 0;
/// `linkat`: follow a final symbolic link.
pub const AT_SYMLINK_FOLLOW: i32 = 0x400;
/// Do not trigger an automount at the final component.
pub const AT_NO_AUTOMOUNT: i32 = 0x800;
/// An empty path means the descriptor itself.
pub const AT_EMPTY_PATH: i32 = 0x1000;
/// `statx`: mask of the synchronisation mode.
pub const AT_STATX_SYNC_TYPE: i32 = 0x6000;
/// `statx`: do what `stat` does.
pub const AT_STATX_SYNC_AS_STAT: i32 = 0x0000;
/// `statx`: force the attributes to be synchronised with the server.
pub const AT_STATX_FORCE_SYNC: i32 = 0x2000;
/// `statx`: do not synchronise; cached attributes are good enough.
pub const AT_STATX_DONT_SYNC: i32 = 0x4000;
/// Apply to the whole subtree (`open_tree`, `mount_setattr`).
pub const AT_RECURSIVE: i32 = 0x8000;

/// `renameat2`: fail with `EEXIST` rather than replace the target.
pub const RENAME_NOREPLACE: u32 = 1 << 0;
/// `renameat2`: atomically exchange the two paths.
pub const RENAME_EXCHANGE: u32 = 1 << 1;
/// `renameat2`: leave a whiteout object at the source (overlay file systems).
pub const RENAME_WHITEOUT: u32 = 1 << 2;

/// Duplicate to the lowest free descriptor at or above the argument.
pub const F_DUPFD: i32 = 0;
/// Read the descriptor flags (`FD_CLOEXEC`).
pub const F_GETFD: i32 = 1;
/// Set the descriptor flags (`FD_CLOEXEC`).
pub const F_SETFD: i32 = 2;
/// Read the file status flags (`O_*`).
pub const F_GETFL: i32 = 3;
/// Set the file status flags (`O_APPEND`, `O_NONBLOCK`, …).
pub const F_SETFL: i32 = 4;
/// Test for a conflicting record lock.
pub const F_GETLK: i32 = 5;
/// Acquire or release a record lock without waiting.
pub const F_SETLK: i32 = 6;
/// Acquire or release a record lock, waiting for a conflicting one.
pub const F_SETLKW: i32 = 7;
/// Set the process (or negated group) that receives `SIGIO`/`SIGURG`.
pub const F_SETOWN: i32 = 8;
/// Read the process (or negated group) that receives `SIGIO`/`SIGURG`.
pub const F_GETOWN: i32 = 9;
/// Set the signal sent when I/O is possible.
pub const F_SETSIG: i32 = 10;
/// Read the signal sent when I/O is possible.
pub const F_GETSIG: i32 = 11;
/// Set the owner with a `struct f_owner_ex`.
pub const F_SETOWN_EX: i32 = 15;
/// Read the owner as a `struct f_owner_ex`.
pub const F_GETOWN_EX: i32 = 16;
/// Test for a conflicting open-file-description lock.
pub const F_OFD_GETLK: i32 = 36;
/// Acquire or release an open-file-description lock without waiting.
pub const F_OFD_SETLK: i32 = 37;
/// Acquire or release an open-file-description lock, waiting.
pub const F_OFD_SETLKW: i32 = 38;
/// Set a lease.
pub const F_SETLEASE: i32 = 1024;
/// Read the lease.
pub const F_GETLEASE: i32 = 1025;
/// Ask for directory change notifications (dnotify).
pub const F_NOTIFY: i32 = 1026;
/// `F_DUPFD` that also sets `FD_CLOEXEC` on the new descriptor.
pub const F_DUPFD_CLOEXEC: i32 = 1030;
/// Set the capacity of a pipe.
pub const F_SETPIPE_SZ: i32 = 1031;
/// Read the capacity of a pipe.
pub const F_GETPIPE_SZ: i32 = 1032;
/// Add seals to a memfd.
pub const F_ADD_SEALS: i32 = 1033;
/// Read the seals of a memfd.
pub const F_GET_SEALS: i32 = 1034;

/// Seal: no further seals may be added.
pub const F_SEAL_SEAL: i32 = 0x0001;
/// Seal: the file may not shrink.
pub const F_SEAL_SHRINK: i32 = 0x0002;
/// Seal: the file may not grow.
pub const F_SEAL_GROW: i32 = 0x0004;
/// Seal: the contents may not be written.
pub const F_SEAL_WRITE: i32 = 0x0008;
/// Seal: no new writable mappings or writes, existing ones continue.
pub const F_SEAL_FUTURE_WRITE: i32 = 0x0010;

/// Record lock type: shared (read) lock.
pub const F_RDLCK: i16 = 0;
/// Record lock type: exclusive (write) lock.
pub const F_WRLCK: i16 = 1;
/// Record lock type: unlock.
pub const F_UNLCK: i16 = 2;

/// Descriptor flag: close on `execve`.
pub const FD_CLOEXEC: i32 = 1;

/// `flock`: shared lock.
pub const LOCK_SH: i32 = 1;
/// `flock`: exclusive lock.
pub const LOCK_EX: i32 = 2;
/// `flock`: do not block (or'ed with `LOCK_SH`/`LOCK_EX`).
pub const LOCK_NB: i32 = 4;
/// `flock`: release the lock.
pub const LOCK_UN: i32 = 8;

/// A POSIX record lock (`struct flock`) for `F_GETLK`, `F_SETLK`, `F_SETLKW` and the OFD variants.
#[doc(alias = "flock")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flock {
    /// `F_RDLCK`, `F_WRLCK` or `F_UNLCK`.
    pub l_type: i16,
    /// Where `l_start` counts from: `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
    pub l_whence: i16,
    /// Offset of the first byte locked.
    pub l_start: i64,
    /// Number of bytes locked; 0 means "to the end of the file, however long".
    pub l_len: i64,
    /// The process holding a conflicting lock (`F_GETLK`); -1 for OFD locks.
    pub l_pid: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let open = check_constants!(
            O_RDONLY,
            O_WRONLY,
            O_RDWR,
            O_ACCMODE,
            O_CREAT,
            O_EXCL,
            O_NOCTTY,
            O_TRUNC,
            O_APPEND,
            O_NONBLOCK,
            O_NDELAY,
            O_DSYNC,
            O_ASYNC,
            O_DIRECT,
            O_DIRECTORY,
            O_NOFOLLOW,
            O_NOATIME,
            O_CLOEXEC,
            O_SYNC,
            O_RSYNC,
            O_PATH,
            O_TMPFILE,
            // glibc says 0 on 64-bit targets; the kernel's value is in its uapi `fcntl.h`.
            O_LARGEFILE = 0o100000,
            FASYNC = libc::O_ASYNC,
        );
        let at = check_constants!(
            AT_FDCWD,
            AT_SYMLINK_NOFOLLOW,
            AT_REMOVEDIR,
            AT_EACCESS,
            AT_SYMLINK_FOLLOW,
            AT_NO_AUTOMOUNT,
            AT_EMPTY_PATH,
            AT_STATX_SYNC_TYPE,
            AT_STATX_SYNC_AS_STAT,
            AT_STATX_FORCE_SYNC,
            AT_STATX_DONT_SYNC,
            AT_RECURSIVE,
            RENAME_NOREPLACE,
            RENAME_EXCHANGE,
            RENAME_WHITEOUT,
        );
        let commands = check_constants!(
            F_DUPFD,
            F_GETFD,
            F_SETFD,
            F_GETFL,
            F_SETFL,
            F_GETLK,
            F_SETLK,
            F_SETLKW,
            F_SETOWN,
            F_GETOWN,
            F_OFD_GETLK,
            F_OFD_SETLK,
            F_OFD_SETLKW,
            F_SETLEASE,
            F_GETLEASE,
            F_NOTIFY,
            F_DUPFD_CLOEXEC,
            F_SETPIPE_SZ,
            F_GETPIPE_SZ,
            F_ADD_SEALS,
            F_GET_SEALS,
            F_SEAL_SEAL,
            F_SEAL_SHRINK,
            F_SEAL_GROW,
            F_SEAL_WRITE,
            F_SEAL_FUTURE_WRITE,
            F_RDLCK,
            F_WRLCK,
            F_UNLCK,
            FD_CLOEXEC,
            LOCK_SH,
            LOCK_EX,
            LOCK_NB,
            LOCK_UN,
            // uapi asm-generic/fcntl.h
            F_SETSIG = 10,
            F_GETSIG = 11,
            F_SETOWN_EX = 15,
            F_GETOWN_EX = 16,
        );
        let access = check_constants!(R_OK, W_OK, X_OK, F_OK);
        assert_every_constant_checked(include_str!("fcntl.rs"), &[open, at, commands, access]);
    }

    #[test]
    fn flock_layout_matches_libc() {
        check_layout!(Flock, libc::flock, { l_type, l_whence, l_start, l_len, l_pid });
        assert_eq!(core::mem::size_of::<Flock>(), 32);
    }
}
