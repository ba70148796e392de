//! Files against the host kernel: `open` flags, `fcntl`, `lseek`, `stat`, `statx` and `getdents64` records.

mod common;

use common::{ScratchDirectory, c_path, mutable_address_of, system_call};
use libposix_sys::dirent::{self, DT_DIR, DT_REG};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::*;
use libposix_sys::mode::{S_IFMT, S_ISDIR, S_ISLNK, S_ISREG};
use libposix_sys::seek::{SEEK_END, SEEK_SET};
use libposix_sys::stat::Stat;
use libposix_sys::statx::{STATX_BASIC_STATS, STATX_BTIME, STATX_INO, STATX_SIZE, Statx};
use libposix_sys::syscall_numbers::SystemCall;
use std::os::unix::fs::MetadataExt;

fn open_at(path: &std::ffi::CStr, flags: i32, mode: u32) -> Result<u64, Errno> {
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    unsafe {
        system_call(
            SystemCall::Openat,
            &[
                AT_FDCWD as u64,
                path.as_ptr() as u64,
                flags as u64,
                u64::from(mode),
            ],
        )
    }
}

fn close(descriptor: u64) -> Result<u64, Errno> {
    // SAFETY: closing a descriptor this test opened.
    unsafe { system_call(SystemCall::Close, &[descriptor]) }
}

#[test]
fn open_flags_fcntl_and_lseek_behave_as_linux_defines_them() {
    let scratch = ScratchDirectory::new("open");
    let path = c_path(&scratch.path.join("file"));
    let flags = O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC;
    let descriptor = open_at(&path, flags, 0o640).expect("create the file");
    assert_eq!(open_at(&path, flags, 0o640), Err(Errno::EEXIST));
    let with_slash = c_path(&scratch.path.join("file/"));
    assert_eq!(open_at(&with_slash, O_RDONLY, 0), Err(Errno::ENOTDIR));
    let directory_flag = open_at(&path, O_RDONLY | O_DIRECTORY, 0);
    assert_eq!(directory_flag, Err(Errno::ENOTDIR));

    // SAFETY: F_GETFD and F_GETFL take no pointer.
    let descriptor_flags = unsafe { system_call(SystemCall::Fcntl, &[descriptor, F_GETFD as u64]) };
    assert_eq!(descriptor_flags, Ok(FD_CLOEXEC as u64));
    // SAFETY: as above.
    let status_flags = unsafe { system_call(SystemCall::Fcntl, &[descriptor, F_GETFL as u64]) };
    let status_flags = status_flags.expect("F_GETFL") as i32;
    assert_eq!(status_flags & O_ACCMODE, O_WRONLY);
    assert_ne!(
        status_flags & O_LARGEFILE,
        0,
        "the kernel sets O_LARGEFILE on x86_64"
    );

    let data = b"hello, kernel";
    // SAFETY: `data` is readable for its length.
    let written = unsafe {
        system_call(
            SystemCall::Write,
            &[descriptor, data.as_ptr() as u64, data.len() as u64],
        )
    };
    assert_eq!(written, Ok(data.len() as u64));
    // SAFETY: lseek takes no pointer.
    let end = unsafe { system_call(SystemCall::Lseek, &[descriptor, 0, SEEK_END as u64]) };
    assert_eq!(end, Ok(data.len() as u64));
    // SAFETY: as above.
    let start = unsafe { system_call(SystemCall::Lseek, &[descriptor, 0, SEEK_SET as u64]) };
    assert_eq!(start, Ok(0));

    let mut lock = Flock {
        l_type: F_WRLCK,
        l_whence: SEEK_SET as i16,
        ..Flock::default()
    };
    // SAFETY: `lock` is a valid `struct flock` for the kernel to read and write.
    let probe = unsafe {
        system_call(
            SystemCall::Fcntl,
            &[
                descriptor,
                F_OFD_GETLK as u64,
                mutable_address_of(&mut lock),
            ],
        )
    };
    assert_eq!(probe, Ok(0));
    assert_eq!(lock.l_type, F_UNLCK, "no conflicting lock exists");

    assert_eq!(close(descriptor), Ok(0));
    assert_eq!(close(descriptor), Err(Errno::EBADF));
}

#[test]
fn fstat_and_newfstatat_fill_stat_like_the_c_library() {
    let scratch = ScratchDirectory::new("stat");
    let file_path = scratch.path.join("file");
    std::fs::write(&file_path, vec![7_u8; 5000]).expect("write the file");
    std::os::unix::fs::symlink(&file_path, scratch.path.join("link")).expect("create the link");
    let metadata = std::fs::metadata(&file_path).expect("metadata");

    let descriptor = open_at(&c_path(&file_path), O_RDONLY | O_CLOEXEC, 0).expect("open");
    let mut status = Stat::default();
    // SAFETY: `status` is a `struct stat` the kernel may write.
    let result = unsafe {
        system_call(
            SystemCall::Fstat,
            &[descriptor, mutable_address_of(&mut status)],
        )
    };
    assert_eq!(result, Ok(0));
    close(descriptor).expect("close");

    assert_eq!(status.st_dev, metadata.dev());
    assert_eq!(status.st_ino, metadata.ino());
    assert_eq!(status.st_mode, metadata.mode());
    assert!(S_ISREG(status.st_mode));
    assert_eq!(status.st_nlink, metadata.nlink());
    assert_eq!(status.st_uid, metadata.uid());
    assert_eq!(status.st_gid, metadata.gid());
    assert_eq!(status.st_size, 5000);
    assert_eq!(status.st_blksize, metadata.blksize() as i64);
    assert_eq!(status.st_blocks, metadata.blocks() as i64);
    assert_eq!(status.st_atime, metadata.atime());
    assert_eq!(status.st_atime_nsec, metadata.atime_nsec());
    assert_eq!(status.st_mtime, metadata.mtime());
    assert_eq!(status.st_mtime_nsec, metadata.mtime_nsec());
    assert_eq!(status.st_ctime, metadata.ctime());
    assert_eq!(status.st_ctime_nsec, metadata.ctime_nsec());
    assert_eq!(status.__unused, [0; 3]);

    let link = c_path(&scratch.path.join("link"));
    let mut link_status = Stat::default();
    // SAFETY: `link` is NUL-terminated and `link_status` writable.
    let result = unsafe {
        system_call(
            SystemCall::Newfstatat,
            &[
                AT_FDCWD as u64,
                link.as_ptr() as u64,
                mutable_address_of(&mut link_status),
                AT_SYMLINK_NOFOLLOW as u64,
            ],
        )
    };
    assert_eq!(result, Ok(0));
    assert!(S_ISLNK(link_status.st_mode));
    assert_ne!(link_status.st_ino, status.st_ino);

    let directory = c_path(&scratch.path);
    let mut directory_status = Stat::default();
    // SAFETY: as above.
    let result = unsafe {
        system_call(
            SystemCall::Newfstatat,
            &[
                AT_FDCWD as u64,
                directory.as_ptr() as u64,
                mutable_address_of(&mut directory_status),
                0,
            ],
        )
    };
    assert_eq!(result, Ok(0));
    assert!(S_ISDIR(directory_status.st_mode));
}

#[test]
fn statx_fills_statx_like_the_c_library() {
    let scratch = ScratchDirectory::new("statx");
    let file_path = scratch.path.join("file");
    std::fs::write(&file_path, b"0123456789").expect("write the file");
    let metadata = std::fs::metadata(&file_path).expect("metadata");
    let path = c_path(&file_path);
    let mut extended = Statx::default();
    // SAFETY: `path` is NUL-terminated and `extended` is a writable `struct statx`.
    let result = unsafe {
        system_call(
            SystemCall::Statx,
            &[
                AT_FDCWD as u64,
                path.as_ptr() as u64,
                AT_STATX_SYNC_AS_STAT as u64,
                u64::from(STATX_BASIC_STATS | STATX_BTIME),
                mutable_address_of(&mut extended),
            ],
        )
    };
    assert_eq!(result, Ok(0));
    assert_eq!(
        extended.stx_mask & (STATX_INO | STATX_SIZE),
        STATX_INO | STATX_SIZE
    );
    assert_eq!(extended.stx_ino, metadata.ino());
    assert_eq!(extended.stx_size, 10);
    assert_eq!(u32::from(extended.stx_mode), metadata.mode());
    assert_eq!(u32::from(extended.stx_mode) & S_IFMT, libc::S_IFREG);
    assert_eq!(extended.stx_nlink, 1);
    assert_eq!(extended.stx_uid, metadata.uid());
    assert_eq!(extended.stx_mtime.tv_sec, metadata.mtime());
    assert_eq!(i64::from(extended.stx_mtime.tv_nsec), metadata.mtime_nsec());
    assert_eq!(
        libposix_sys::stat::makedev(extended.stx_dev_major, extended.stx_dev_minor),
        metadata.dev()
    );
}

#[test]
fn getdents64_records_decode_to_the_directory_listing() {
    let scratch = ScratchDirectory::new("dirent");
    let names = ["alpha", "a-much-longer-name-than-the-others.txt", "z"];
    for name in names {
        std::fs::write(scratch.path.join(name), b"").expect("create a file");
    }
    std::fs::create_dir(scratch.path.join("subdirectory")).expect("create a directory");

    let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    let descriptor = open_at(&c_path(&scratch.path), flags, 0).expect("open the directory");
    let mut buffer = vec![0_u8; 4096];
    // SAFETY: `buffer` is writable for its length.
    let length = unsafe {
        system_call(
            SystemCall::Getdents64,
            &[descriptor, buffer.as_mut_ptr() as u64, buffer.len() as u64],
        )
    }
    .expect("getdents64") as usize;
    close(descriptor).expect("close");

    let mut found = Vec::new();
    let mut offset = 0;
    while offset < length {
        let (entry, name) = dirent::decode(&buffer[offset..length]).expect("a well-formed record");
        assert_eq!(
            usize::from(entry.d_reclen) % 8,
            0,
            "records are 8-byte aligned"
        );
        assert_eq!(
            usize::from(entry.d_reclen),
            dirent::record_length(name.len())
        );
        let name = String::from_utf8(name.to_vec()).expect("UTF-8 name");
        let expected_type = if names.contains(&name.as_str()) {
            DT_REG
        } else {
            DT_DIR
        };
        assert_eq!(entry.d_type, expected_type, "type of {name}");
        found.push(name);
        offset += usize::from(entry.d_reclen);
    }
    found.sort();
    let mut expected: Vec<String> = [".", "..", "subdirectory"]
        .iter()
        .chain(names.iter())
        .map(|name| name.to_string())
        .collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn encoded_records_are_what_the_kernel_would_write() {
    let scratch = ScratchDirectory::new("dirent-encode");
    std::fs::write(scratch.path.join("entry"), b"").expect("create a file");
    let descriptor = open_at(
        &c_path(&scratch.path),
        O_RDONLY | O_DIRECTORY | O_CLOEXEC,
        0,
    )
    .expect("open");
    let mut kernel = vec![0_u8; 1024];
    // SAFETY: `kernel` is writable for its length.
    let length = unsafe {
        system_call(
            SystemCall::Getdents64,
            &[descriptor, kernel.as_mut_ptr() as u64, 1024],
        )
    }
    .expect("getdents64") as usize;
    close(descriptor).expect("close");

    let mut offset = 0;
    while offset < length {
        let (entry, name) = dirent::decode(&kernel[offset..length]).expect("a record");
        let record = usize::from(entry.d_reclen);
        let mut ours = vec![0_u8; record];
        assert_eq!(dirent::encode(&mut ours, &entry, name), Some(record));
        // The kernel leaves the padding after the NUL unspecified; compare up to the NUL.
        let meaningful = dirent::DIRENT64_NAME_OFFSET + name.len() + 1;
        assert_eq!(ours[..meaningful], kernel[offset..offset + meaningful]);
        offset += record;
    }
}
