//! File mode bits (`st_mode`): the file type (`S_IF*`) and the permission bits, with the `S_IS*` tests.
#![allow(non_snake_case)]

/// Mask of the file-type bits.
pub const S_IFMT: u32 = 0o170000;
/// File type: socket.
pub const S_IFSOCK: u32 = 0o140000;
/// File type: symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// File type: regular file.
pub const S_IFREG: u32 = 0o100000;
/// File type: block device.
pub const S_IFBLK: u32 = 0o060000;
/// File type: directory.
pub const S_IFDIR: u32 = 0o040000;
/// File type: character device.
pub const S_IFCHR: u32 = 0o020000;
/// File type: FIFO (named pipe).
pub const S_IFIFO: u32 = 0o010000;

/// Set the user ID on execution.
pub const S_ISUID: u32 = 0o4000;
/// Set the group ID on execution (or mandatory locking / group inheritance).
pub const S_ISGID: u32 = 0o2000;
/// Sticky bit: in a directory, only the owner may remove or rename entries.
pub const S_ISVTX: u32 = 0o1000;

/// Owner: read, write and execute.
pub const S_IRWXU: u32 = 0o700;
/// Owner: read.
pub const S_IRUSR: u32 = 0o400;
/// Owner: write.
pub const S_IWUSR: u32 = 0o200;
/// Owner: execute (search, for a directory).
pub const S_IXUSR: u32 = 0o100;
/// Group: read, write and execute.
pub const S_IRWXG: u32 = 0o070;
/// Group: read.
pub const S_IRGRP: u32 = 0o040;
/// Group: write.
pub const S_IWGRP: u32 = 0o020;
/// Group: execute.
pub const S_IXGRP: u32 = 0o010;
/// Others: read, write and execute.
pub const S_IRWXO: u32 = 0o007;
/// Others: read.
pub const S_IROTH: u32 = 0o004;
/// Others: write.
pub const S_IWOTH: u32 = 0o002;
/// Others: execute.
pub const S_IXOTH: u32 = 0o001;

/// Whether the mode is a regular file's.
pub const fn S_ISREG(mode: u32) -> bool {
    mode & S_IFMT == S_IFREG
}

/// Whether the mode is a directory's.
pub const fn S_ISDIR(mode: u32) -> bool {
    mode & S_IFMT == S_IFDIR
}

/// Whether the mode is a character device's.
pub const fn S_ISCHR(mode: u32) -> bool {
    mode & S_IFMT == S_IFCHR
}

/// Whether the mode is a block device's.
pub const fn S_ISBLK(mode: u32) -> bool {
    mode & S_IFMT == S_IFBLK
}

/// Whether the mode is a FIFO's.
pub const fn S_ISFIFO(mode: u32) -> bool {
    mode & S_IFMT == S_IFIFO
}

/// Whether the mode is a symbolic link's.
pub const fn S_ISLNK(mode: u32) -> bool {
    mode & S_IFMT == S_IFLNK
}

/// Whether the mode is a socket's.
pub const fn S_ISSOCK(mode: u32) -> bool {
    mode & S_IFMT == S_IFSOCK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO, S_ISUID,
            S_ISGID, S_ISVTX, S_IRWXU, S_IRUSR, S_IWUSR, S_IXUSR, S_IRWXG, S_IRGRP, S_IWGRP,
            S_IXGRP, S_IRWXO, S_IROTH, S_IWOTH, S_IXOTH,
        );
        assert_every_constant_checked(include_str!("mode.rs"), &[checked]);
    }

    #[test]
    fn type_tests_recognise_exactly_their_type() {
        let types = [
            S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO,
        ];
        let tests: [fn(u32) -> bool; 7] = [
            S_ISSOCK, S_ISLNK, S_ISREG, S_ISBLK, S_ISDIR, S_ISCHR, S_ISFIFO,
        ];
        for (type_index, file_type) in types.iter().enumerate() {
            for (test_index, test) in tests.iter().enumerate() {
                let mode = file_type | S_ISUID | S_ISVTX | 0o755;
                assert_eq!(test(mode), type_index == test_index);
            }
        }
    }
}
