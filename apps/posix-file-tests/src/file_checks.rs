//! Checks of the shared root file system (served by `/bin/file-server`, started by `init`):
//! create, read, write, offsets, `O_TRUNC`, `O_APPEND`, `stat`, `getdents64`, directories.

use alloc::string::String;
use alloc::vec::Vec;

use libos::fs::{
    chdir, creat, fstat, getdents64, mkdir, mkdirat, newfstatat, open, openat, rmdir, stat, unlink,
    unlinkat,
};
use libos::io::{close, lseek, pread64, pwrite64, read, write};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY,
    O_RDWR, O_TRUNC, O_WRONLY,
};
use libposix_sys::mode::{S_IFDIR, S_IFMT, S_IFREG};
use libposix_sys::seek::{SEEK_CUR, SEEK_END, SEEK_SET};

use crate::ensure;

fn failed(what: &str, error: Errno) -> String {
    alloc::format!("{what}: {error}")
}

fn create_write_read() -> CheckOutcome {
    let _ = unlink("/tmp/created");
    let fd = open("/tmp/created", O_CREAT | O_EXCL | O_RDWR, 0o644)
        .map_err(|error| failed("create", error))?;
    let outcome = (|| {
        ensure!(write(fd, b"hello, file") == Ok(11), "write failed");
        ensure!(lseek(fd, 0, SEEK_SET) == Ok(0), "lseek to 0 failed");
        let mut buffer = [0u8; 32];
        let count = read(fd, &mut buffer).map_err(|error| failed("read", error))?;
        ensure!(
            &buffer[..count] == b"hello, file",
            "read back {:?}",
            &buffer[..count]
        );
        ensure!(
            read(fd, &mut buffer) == Ok(0),
            "read at the end did not give 0"
        );
        let status = fstat(fd).map_err(|error| failed("fstat", error))?;
        ensure!(status.st_size == 11, "size {}", status.st_size);
        ensure!(
            status.st_mode == S_IFREG | 0o644,
            "mode {:o}",
            status.st_mode
        );
        ensure!(
            status.st_nlink == 1 && status.st_blocks == 8,
            "nlink {} blocks {}",
            status.st_nlink,
            status.st_blocks
        );
        let again = open("/tmp/created", O_CREAT | O_EXCL | O_RDWR, 0o644);
        ensure!(
            again == Err(Errno::EEXIST),
            "O_CREAT|O_EXCL on an existing file gave {again:?}"
        );
        let umasked = open("/tmp/created-umask", O_CREAT | O_WRONLY, 0o777)
            .map_err(|error| failed("create with 0777", error))?;
        let mode = fstat(umasked).map(|status| status.st_mode & 0o777);
        let _ = close(umasked);
        let _ = unlink("/tmp/created-umask");
        ensure!(mode == Ok(0o755), "0777 under umask 022 gave {mode:?}");
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink("/tmp/created");
    outcome
}

/// Create, write, seek, read back, `fstat` size/mode/links/blocks, `O_EXCL`, the umask.
pub const CREATE_WRITE_READ: Check = Check {
    name: "file-create-write-read",
    covers: &[
        "open:O_CREAT",
        "open:O_EXCL",
        "read:file",
        "write:file",
        "lseek:SEEK_SET",
        "fstat:size-mode-nlink",
    ],
    run: create_write_read,
};

fn truncate_and_append() -> CheckOutcome {
    let fd = open("/tmp/appended", O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        .map_err(|error| failed("create", error))?;
    let _ = write(fd, b"0123456789");
    let _ = close(fd);
    let fd =
        open("/tmp/appended", O_WRONLY | O_APPEND, 0).map_err(|error| failed("open", error))?;
    let _ = lseek(fd, 0, SEEK_SET);
    let appended = write(fd, b"ab");
    let offset = lseek(fd, 0, SEEK_CUR);
    let _ = close(fd);
    let size = stat("/tmp/appended").map(|status| status.st_size);
    let fd = open("/tmp/appended", O_RDWR | O_TRUNC, 0).map_err(|error| failed("open", error))?;
    let truncated = fstat(fd).map(|status| status.st_size);
    let _ = close(fd);
    let _ = unlink("/tmp/appended");
    ensure!(
        appended == Ok(2) && size == Ok(12),
        "O_APPEND write after lseek 0 gave {appended:?}, size {size:?}"
    );
    ensure!(
        offset == Ok(12),
        "the offset after an O_APPEND write is {offset:?}, not the end"
    );
    ensure!(truncated == Ok(0), "O_TRUNC left size {truncated:?}");
    Ok(())
}

/// `O_APPEND` writes go to the end whatever the offset; `O_TRUNC` empties.
pub const TRUNCATE_AND_APPEND: Check = Check {
    name: "file-trunc-append",
    covers: &["open:O_TRUNC", "open:O_APPEND"],
    run: truncate_and_append,
};

fn creat_creates_write_only_and_truncates() -> CheckOutcome {
    let _ = unlink("/tmp/creat-made");
    let fd = creat("/tmp/creat-made", 0o666).map_err(|error| failed("creat", error))?;
    let written = write(fd, b"first contents");
    let mut buffer = [0u8; 8];
    let read_back = read(fd, &mut buffer);
    let mode = fstat(fd).map(|status| status.st_mode);
    let _ = close(fd);
    // A second `creat` of the same name truncates it (O_TRUNC, not O_EXCL).
    let again = creat("/tmp/creat-made", 0o600).map_err(|error| failed("creat again", error))?;
    let size = fstat(again).map(|status| status.st_size);
    let mode_after = fstat(again).map(|status| status.st_mode);
    let _ = close(again);
    let missing_directory = creat("/tmp/no-such-directory/file", 0o644);
    let _ = unlink("/tmp/creat-made");
    ensure!(
        written == Ok(14),
        "write to a creat descriptor gave {written:?}"
    );
    ensure!(
        read_back == Err(Errno::EBADF),
        "read from a creat descriptor (O_WRONLY) gave {read_back:?}"
    );
    ensure!(
        mode == Ok(S_IFREG | 0o644),
        "creat 0666 under umask 022 made mode {mode:?}"
    );
    ensure!(
        size == Ok(0),
        "creat of an existing file left size {size:?}"
    );
    ensure!(
        mode_after == Ok(S_IFREG | 0o644),
        "creat of an existing file changed its mode to {mode_after:?}"
    );
    ensure!(
        missing_directory == Err(Errno::ENOENT),
        "creat under a missing directory gave {missing_directory:?}"
    );
    Ok(())
}

/// `creat`: `open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)`.
pub const CREAT: Check = Check {
    name: "creat-creates-write-only-and-truncates",
    covers: &["creat"],
    run: creat_creates_write_only_and_truncates,
};

fn positioned() -> CheckOutcome {
    let fd = open("/tmp/positioned", O_CREAT | O_TRUNC | O_RDWR, 0o644)
        .map_err(|error| failed("create", error))?;
    let outcome = (|| {
        ensure!(write(fd, b"abc") == Ok(3), "write failed");
        ensure!(
            pwrite64(fd, b"XY", 6) == Ok(2),
            "pwrite64 past the end failed"
        );
        ensure!(lseek(fd, 0, SEEK_CUR) == Ok(3), "pwrite64 moved the offset");
        let mut buffer = [9u8; 16];
        let count = pread64(fd, &mut buffer, 0);
        ensure!(
            count == Ok(8) && buffer[..8] == *b"abc\0\0\0XY",
            "pread64 gave {count:?} {:?}",
            &buffer[..8]
        );
        ensure!(
            pread64(fd, &mut buffer, -1) == Err(Errno::EINVAL),
            "pread64 at -1 is not EINVAL"
        );
        ensure!(lseek(fd, -2, SEEK_END) == Ok(6), "SEEK_END -2 failed");
        ensure!(lseek(fd, 1, SEEK_CUR) == Ok(7), "SEEK_CUR +1 failed");
        ensure!(
            lseek(fd, -100, SEEK_CUR) == Err(Errno::EINVAL),
            "a negative offset is not EINVAL"
        );
        ensure!(
            lseek(fd, 100, SEEK_SET) == Ok(100),
            "seeking past the end failed"
        );
        ensure!(
            read(fd, &mut buffer) == Ok(0),
            "reading past the end did not give 0"
        );
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink("/tmp/positioned");
    outcome
}

/// `pread64`/`pwrite64` leave the offset, a gap reads as zeros; `lseek` SEEK_END/SEEK_CUR, past
/// the end, `EINVAL` for a negative result.
pub const POSITIONED: Check = Check {
    name: "file-pread-pwrite-lseek",
    covers: &[
        "pread64:file",
        "pwrite64:file",
        "lseek:SEEK_END",
        "lseek:SEEK_CUR",
        "lseek:past-end",
    ],
    run: positioned,
};

fn statuses() -> CheckOutcome {
    let program = stat("/bin/posix-file-tests")
        .map_err(|error| failed("stat /bin/posix-file-tests", error))?;
    ensure!(
        program.st_mode & S_IFMT == S_IFREG && program.st_size > 4096,
        "the program: mode {:o} size {}",
        program.st_mode,
        program.st_size
    );
    let root = stat("/").map_err(|error| failed("stat /", error))?;
    ensure!(
        root.st_mode & S_IFMT == S_IFDIR && root.st_nlink >= 3,
        "/: mode {:o} nlink {}",
        root.st_mode,
        root.st_nlink
    );
    let _ = rmdir("/tmp/status-directory");
    mkdir("/tmp/status-directory", 0o755).map_err(|error| failed("mkdir", error))?;
    let directory = open("/tmp/status-directory", O_RDONLY | O_DIRECTORY, 0)
        .map_err(|error| failed("open", error))?;
    let outcome = (|| {
        let by_path = stat("/tmp/status-directory").map_err(|error| failed("stat", error))?;
        let by_fd = fstat(directory).map_err(|error| failed("fstat", error))?;
        let empty_path = newfstatat(directory, "", AT_EMPTY_PATH)
            .map_err(|error| failed("AT_EMPTY_PATH", error))?;
        ensure!(
            by_path.st_ino == by_fd.st_ino && by_fd.st_ino == empty_path.st_ino,
            "inode numbers differ"
        );
        ensure!(
            by_path.st_ino != root.st_ino && by_path.st_ino != program.st_ino,
            "inode numbers are not distinct"
        );
        ensure!(
            by_path.st_nlink == 2 && by_path.st_mode == S_IFDIR | 0o755,
            "new directory: nlink {} mode {:o}",
            by_path.st_nlink,
            by_path.st_mode
        );
        let file = openat(directory, "inner", O_CREAT | O_WRONLY, 0o640)
            .map_err(|error| failed("openat", error))?;
        let _ = write(file, b"1234567");
        let _ = close(file);
        let inner =
            newfstatat(directory, "inner", 0).map_err(|error| failed("newfstatat", error))?;
        ensure!(
            inner.st_size == 7 && inner.st_mode == S_IFREG | 0o640,
            "inner: size {} mode {:o}",
            inner.st_size,
            inner.st_mode
        );
        let missing = newfstatat(directory, "missing", 0);
        ensure!(
            missing.map(|_| ()) == Err(Errno::ENOENT),
            "newfstatat of a missing name gave {:?}",
            missing.map(|_| ())
        );
        let through_file = stat("/tmp/status-directory/inner/x");
        ensure!(
            through_file.map(|_| ()) == Err(Errno::ENOTDIR),
            "a file used as a directory gave {:?}",
            through_file.map(|_| ())
        );
        Ok(())
    })();
    let _ = close(directory);
    let _ = unlink("/tmp/status-directory/inner");
    let _ = rmdir("/tmp/status-directory");
    outcome
}

/// `stat`, `fstat`, `newfstatat` (with `dirfd` and `AT_EMPTY_PATH`): types, modes, sizes, link
/// counts and inode numbers (times are not kept yet).
pub const STATUSES: Check = Check {
    name: "file-stat-newfstatat",
    covers: &[
        "stat:size-mode-nlink-ino",
        "fstat:ino",
        "newfstatat:dirfd",
        "newfstatat:AT_EMPTY_PATH",
        "openat:dirfd-server",
    ],
    run: statuses,
};

/// The names of the `linux_dirent64` records in `bytes`.
fn names_in(bytes: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let mut offset = 0;
    while offset + 19 < bytes.len() {
        let length = usize::from(u16::from_ne_bytes([bytes[offset + 16], bytes[offset + 17]]));
        if length == 0 || offset + length > bytes.len() {
            break;
        }
        let name = &bytes[offset + 19..offset + length];
        let end = name
            .iter()
            .position(|&byte| byte == 0)
            .unwrap_or(name.len());
        names.push(String::from_utf8_lossy(&name[..end]).into_owned());
        offset += length;
    }
    names
}

fn list(path: &str, buffer_size: usize) -> Result<Vec<String>, String> {
    let fd = open(path, O_RDONLY | O_DIRECTORY, 0).map_err(|error| failed(path, error))?;
    let mut names = Vec::new();
    let mut buffer = alloc::vec![0u8; buffer_size];
    let outcome = loop {
        match getdents64(fd, &mut buffer) {
            Ok(0) => break Ok(names),
            Ok(count) => names.extend(names_in(&buffer[..count])),
            Err(error) => break Err(failed("getdents64", error)),
        }
    };
    let _ = close(fd);
    outcome
}

fn directory_listing() -> CheckOutcome {
    let _ = mkdir("/tmp/listed", 0o755);
    for name in ["b-file", "a-file"] {
        let fd = open(
            &alloc::format!("/tmp/listed/{name}"),
            O_CREAT | O_WRONLY,
            0o644,
        )
        .map_err(|error| failed(name, error))?;
        let _ = close(fd);
    }
    let _ = mkdir("/tmp/listed/c-directory", 0o755);
    let names = list("/tmp/listed", 4096);
    // A small buffer takes several calls.
    let small = list("/tmp/listed", 40);
    let devices = list("/dev", 4096);
    let root = list("/", 4096);
    let _ = unlink("/tmp/listed/a-file");
    let _ = unlink("/tmp/listed/b-file");
    let _ = rmdir("/tmp/listed/c-directory");
    let _ = rmdir("/tmp/listed");
    let names = names?;
    ensure!(
        names == [".", "..", "a-file", "b-file", "c-directory"],
        "listing {names:?}"
    );
    ensure!(
        small.as_ref() == Ok(&names),
        "with a 40-byte buffer: {small:?}"
    );
    let devices = devices?;
    ensure!(
        devices.iter().any(|name| name == "null") && devices.iter().any(|name| name == "zero"),
        "/dev lists {devices:?}"
    );
    let root = root?;
    for expected in ["bin", "dev", "tmp"] {
        ensure!(
            root.iter().any(|name| name == expected),
            "/ lists {root:?}, without {expected}"
        );
    }
    let fd = open("/tmp", O_RDONLY | O_DIRECTORY, 0).map_err(|error| failed("/tmp", error))?;
    let tiny = getdents64(fd, &mut [0u8; 8]);
    let _ = close(fd);
    ensure!(
        tiny == Err(Errno::EINVAL),
        "getdents64 into 8 bytes gave {tiny:?}, not EINVAL"
    );
    let fd = open("/dev/null", O_RDONLY, 0).map_err(|error| failed("/dev/null", error))?;
    let not_directory = getdents64(fd, &mut [0u8; 256]);
    let _ = close(fd);
    ensure!(
        not_directory == Err(Errno::ENOTDIR),
        "getdents64 of a device gave {not_directory:?}"
    );
    Ok(())
}

/// `getdents64`: every entry with `.` and `..`, across calls with a small buffer, `EINVAL` for a
/// buffer too small, `ENOTDIR`; `/`, `/dev` listed.
pub const DIRECTORY_LISTING: Check = Check {
    name: "getdents64-listing",
    covers: &["getdents64"],
    run: directory_listing,
};

fn directories() -> CheckOutcome {
    let _ = rmdir("/tmp/made/inner");
    let _ = rmdir("/tmp/made");
    mkdir("/tmp/made", 0o755).map_err(|error| failed("mkdir", error))?;
    let outcome = (|| {
        ensure!(
            mkdir("/tmp/made", 0o755) == Err(Errno::EEXIST),
            "mkdir of an existing name is not EEXIST"
        );
        ensure!(
            mkdir("/tmp/missing/x", 0o755) == Err(Errno::ENOENT),
            "mkdir under a missing directory is not ENOENT"
        );
        let directory =
            open("/tmp/made", O_RDONLY | O_DIRECTORY, 0).map_err(|error| failed("open", error))?;
        let made = mkdirat(directory, "inner", 0o700);
        let file = openat(directory, "file", O_CREAT | O_WRONLY, 0o644);
        if let Ok(file) = file {
            let _ = close(file);
        }
        ensure!(
            made == Ok(()) && file.is_ok(),
            "mkdirat/openat with a dirfd gave {made:?}, {file:?}"
        );
        ensure!(
            rmdir("/tmp/made") == Err(Errno::ENOTEMPTY),
            "rmdir of a non-empty directory is not ENOTEMPTY"
        );
        ensure!(
            unlink("/tmp/made/inner") == Err(Errno::EISDIR),
            "unlink of a directory is not EISDIR"
        );
        ensure!(
            rmdir("/tmp/made/file") == Err(Errno::ENOTDIR),
            "rmdir of a file is not ENOTDIR"
        );
        ensure!(unlinkat(directory, "file", 0) == Ok(()), "unlinkat failed");
        ensure!(
            open("/tmp/made/file", O_RDONLY, 0) == Err(Errno::ENOENT),
            "the unlinked file is still there"
        );
        ensure!(
            unlink("/tmp/made/file") == Err(Errno::ENOENT),
            "unlinking twice is not ENOENT"
        );
        ensure!(
            unlinkat(directory, "inner", AT_REMOVEDIR) == Ok(()),
            "unlinkat AT_REMOVEDIR failed"
        );
        ensure!(
            unlinkat(directory, "x", 0x4000) == Err(Errno::EINVAL),
            "unlinkat with an unknown flag is not EINVAL"
        );
        let _ = close(directory);
        ensure!(
            rmdir("/tmp/made/.") == Err(Errno::EINVAL),
            "rmdir of . is not EINVAL"
        );
        ensure!(rmdir("/tmp/made") == Ok(()), "rmdir failed");
        ensure!(
            stat("/tmp/made").map(|_| ()) == Err(Errno::ENOENT),
            "the removed directory is still there"
        );
        ensure!(
            mkdir("/dev/x", 0o755) == Err(Errno::EROFS),
            "mkdir in devfs is not EROFS"
        );
        Ok(())
    })();
    let _ = rmdir("/tmp/made/inner");
    let _ = unlink("/tmp/made/file");
    let _ = rmdir("/tmp/made");
    outcome
}

/// `mkdir`, `mkdirat`, `rmdir`, `unlink`, `unlinkat` with their error cases.
pub const DIRECTORIES: Check = Check {
    name: "mkdir-rmdir-unlink",
    covers: &[
        "mkdir:errors",
        "mkdirat:dirfd",
        "rmdir:errors",
        "unlink:errors",
        "unlinkat:AT_REMOVEDIR",
        "unlinkat:dirfd",
    ],
    run: directories,
};

fn working_directory_in_tmp() -> CheckOutcome {
    chdir("/tmp").map_err(|error| failed("chdir /tmp", error))?;
    let created = open("relative", O_CREAT | O_WRONLY, 0o644);
    let absolute = stat("/tmp/relative").map(|status| status.st_size);
    let cwd = libos::fs::getcwd(64);
    let _ = unlink("relative");
    let gone = stat("/tmp/relative").map(|_| ());
    let _ = chdir("/");
    if let Ok(fd) = created {
        let _ = close(fd);
    }
    ensure!(
        created.is_ok() && absolute == Ok(0),
        "a relative create in /tmp gave {created:?}, {absolute:?}"
    );
    ensure!(
        cwd.as_deref() == Ok(b"/tmp\0".as_slice()),
        "getcwd gave {cwd:?}"
    );
    ensure!(
        gone == Err(Errno::ENOENT),
        "a relative unlink left {gone:?}"
    );
    let at_cwd = openat(AT_FDCWD, "tmp", O_RDONLY | O_DIRECTORY, 0);
    if let Ok(fd) = at_cwd {
        let _ = close(fd);
    }
    ensure!(
        at_cwd.is_ok(),
        "openat(AT_FDCWD, \"tmp\") from / gave {at_cwd:?}"
    );
    Ok(())
}

/// The working directory in the shared root: relative create, stat and unlink.
pub const WORKING_DIRECTORY: Check = Check {
    name: "cwd-in-shared-root",
    covers: &["chdir:shared-root", "getcwd"],
    run: working_directory_in_tmp,
};

fn unlinked_while_open() -> CheckOutcome {
    let fd = open("/tmp/unlinked", O_CREAT | O_TRUNC | O_RDWR, 0o644)
        .map_err(|error| failed("create", error))?;
    let outcome = (|| {
        ensure!(write(fd, b"kept") == Ok(4), "write failed");
        unlink("/tmp/unlinked").map_err(|error| failed("unlink", error))?;
        let gone = open("/tmp/unlinked", O_RDONLY, 0);
        ensure!(
            gone == Err(Errno::ENOENT),
            "the name is still there: {gone:?}"
        );
        let mut buffer = [0u8; 8];
        let count = pread64(fd, &mut buffer, 0);
        ensure!(
            count == Ok(4) && buffer[..4] == *b"kept",
            "reading the unlinked file gave {count:?}"
        );
        let links = fstat(fd).map(|status| status.st_nlink);
        ensure!(
            links == Ok(0),
            "an unlinked open file has {links:?} links, not 0"
        );
        Ok(())
    })();
    let _ = close(fd);
    outcome
}

/// A file unlinked while open stays readable through its descriptor, with 0 links.
pub const UNLINKED_WHILE_OPEN: Check = Check {
    name: "file-unlinked-while-open",
    covers: &["unlink:open-file-survives"],
    run: unlinked_while_open,
};

fn symbolic_links() -> CheckOutcome {
    use libos::fs::{lstat, readlink, readlinkat, symlink, symlinkat};
    use libposix_sys::fcntl::O_NOFOLLOW;
    use libposix_sys::mode::S_IFLNK;
    let _ = mkdir("/tmp/links", 0o755);
    let fd = open("/tmp/links/target", O_CREAT | O_TRUNC | O_WRONLY, 0o644)
        .map_err(|error| failed("create", error))?;
    let _ = write(fd, b"pointed at");
    let _ = close(fd);
    let outcome = (|| {
        symlink("target", "/tmp/links/relative").map_err(|error| failed("symlink", error))?;
        symlink("/tmp/links", "/tmp/links/to-directory")
            .map_err(|error| failed("symlink", error))?;
        symlink("loop-b", "/tmp/links/loop-a").map_err(|error| failed("symlink", error))?;
        symlink("loop-a", "/tmp/links/loop-b").map_err(|error| failed("symlink", error))?;
        let directory =
            open("/tmp/links", O_RDONLY | O_DIRECTORY, 0).map_err(|error| failed("open", error))?;
        let at = symlinkat("target", directory, "by-dirfd");
        let mut buffer = [0u8; 64];
        let through_dirfd =
            readlinkat(directory, "by-dirfd", &mut buffer).map(|count| buffer[..count].to_vec());
        let _ = close(directory);
        ensure!(
            at == Ok(()) && through_dirfd.as_deref() == Ok(b"target".as_slice()),
            "symlinkat/readlinkat with a dirfd gave {at:?}, {through_dirfd:?}"
        );
        let followed =
            stat("/tmp/links/relative").map(|status| (status.st_mode & S_IFMT, status.st_size));
        ensure!(
            followed == Ok((S_IFREG, 10)),
            "stat through the link gave {followed:?}"
        );
        let link =
            lstat("/tmp/links/relative").map(|status| (status.st_mode & S_IFMT, status.st_size));
        ensure!(link == Ok((S_IFLNK, 6)), "lstat of the link gave {link:?}");
        let count = readlink("/tmp/links/relative", &mut buffer);
        ensure!(
            count == Ok(6) && &buffer[..6] == b"target",
            "readlink gave {count:?}"
        );
        let mut short = [0u8; 3];
        ensure!(
            readlink("/tmp/links/relative", &mut short) == Ok(3) && short == *b"tar",
            "readlink into 3 bytes did not truncate"
        );
        ensure!(
            readlink("/tmp/links/target", &mut buffer) == Err(Errno::EINVAL),
            "readlink of a file is not EINVAL"
        );
        let fd = open("/tmp/links/to-directory/to-directory/relative", O_RDONLY, 0);
        let read_through = fd.and_then(|fd| {
            let count = read(fd, &mut buffer);
            let _ = close(fd);
            count
        });
        ensure!(
            read_through == Ok(10),
            "reading through two directory links gave {read_through:?}"
        );
        let looped = open("/tmp/links/loop-a", O_RDONLY, 0);
        ensure!(
            looped == Err(Errno::ELOOP),
            "a link loop gave {looped:?}, not ELOOP"
        );
        let nofollow = open("/tmp/links/relative", O_RDONLY | O_NOFOLLOW, 0);
        ensure!(
            nofollow == Err(Errno::ELOOP),
            "O_NOFOLLOW on a link gave {nofollow:?}, not ELOOP"
        );
        let exists = symlink("x", "/tmp/links/relative");
        ensure!(
            exists == Err(Errno::EEXIST),
            "symlink over an existing name gave {exists:?}"
        );
        let empty = symlink("", "/tmp/links/empty");
        ensure!(
            empty == Err(Errno::ENOENT),
            "an empty target gave {empty:?}"
        );
        Ok(())
    })();
    for name in [
        "relative",
        "to-directory",
        "loop-a",
        "loop-b",
        "by-dirfd",
        "target",
    ] {
        let _ = unlink(&alloc::format!("/tmp/links/{name}"));
    }
    let _ = rmdir("/tmp/links");
    outcome
}

/// Symbolic links: relative and absolute targets, `stat` follows and `lstat` does not,
/// `readlink`(`at`) truncating, `ELOOP` for loops and `O_NOFOLLOW`.
pub const SYMBOLIC_LINKS: Check = Check {
    name: "symbolic-links",
    covers: &[
        "symlink:create-and-errors",
        "symlinkat:dirfd",
        "readlink:truncating-and-EINVAL",
        "readlinkat:dirfd",
        "lstat:symlink",
        "open:ELOOP",
        "open:O_NOFOLLOW",
    ],
    run: symbolic_links,
};

fn truncation() -> CheckOutcome {
    use libos::fs::{ftruncate, truncate};
    let fd = open("/tmp/truncated", O_CREAT | O_TRUNC | O_RDWR, 0o644)
        .map_err(|error| failed("create", error))?;
    let outcome = (|| {
        let _ = write(fd, b"0123456789");
        ensure!(ftruncate(fd, 4) == Ok(()), "ftruncate to 4 failed");
        ensure!(
            fstat(fd).map(|status| status.st_size) == Ok(4),
            "size after ftruncate is not 4"
        );
        ensure!(
            truncate("/tmp/truncated", 8) == Ok(()),
            "truncate to 8 failed"
        );
        let mut buffer = [9u8; 16];
        let count = pread64(fd, &mut buffer, 0);
        ensure!(
            count == Ok(8) && buffer[..8] == *b"0123\0\0\0\0",
            "after growing: {count:?} {:?}",
            &buffer[..8]
        );
        ensure!(
            ftruncate(fd, -1) == Err(Errno::EINVAL),
            "ftruncate -1 is not EINVAL"
        );
        let reader = open("/tmp/truncated", O_RDONLY, 0).map_err(|error| failed("open", error))?;
        let refused = ftruncate(reader, 0);
        let _ = close(reader);
        ensure!(
            refused == Err(Errno::EINVAL),
            "ftruncate of a read-only descriptor gave {refused:?}"
        );
        ensure!(
            truncate("/tmp", 0) == Err(Errno::EISDIR),
            "truncate of a directory is not EISDIR"
        );
        ensure!(
            truncate("/tmp/none", 0) == Err(Errno::ENOENT),
            "truncate of a missing file is not ENOENT"
        );
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink("/tmp/truncated");
    outcome
}

/// `truncate`/`ftruncate`: shrink, grow with zeros, `EINVAL`, `EISDIR`, `ENOENT` (times are not
/// kept yet, so not the whole interface).
pub const TRUNCATION: Check = Check {
    name: "truncate-ftruncate",
    covers: &["truncate:size-and-errors", "ftruncate:size-and-errors"],
    run: truncation,
};

fn modes_and_links() -> CheckOutcome {
    use libos::fs::{chmod, fchmod, fchmodat, link, linkat};
    let fd = open("/tmp/linked", O_CREAT | O_TRUNC | O_RDWR, 0o644)
        .map_err(|error| failed("create", error))?;
    let outcome = (|| {
        let _ = write(fd, b"one file");
        ensure!(chmod("/tmp/linked", 0o600) == Ok(()), "chmod failed");
        let mode = stat("/tmp/linked").map(|status| status.st_mode);
        ensure!(
            mode == Ok(S_IFREG | 0o600),
            "mode after chmod 600 is {mode:?}"
        );
        ensure!(fchmod(fd, 0o640) == Ok(()), "fchmod failed");
        let mode = fstat(fd).map(|status| status.st_mode);
        ensure!(
            mode == Ok(S_IFREG | 0o640),
            "mode after fchmod 640 is {mode:?}"
        );
        let at = fchmodat(AT_FDCWD, "/tmp/linked", 0o4755, 0);
        let mode = fstat(fd).map(|status| status.st_mode);
        ensure!(
            at == Ok(()) && mode == Ok(S_IFREG | 0o4755),
            "fchmodat 4755 gave {at:?}, mode {mode:?}"
        );
        ensure!(
            chmod("/tmp/none", 0o600) == Err(Errno::ENOENT),
            "chmod of a missing file is not ENOENT"
        );
        let nofollow = fchmodat(
            AT_FDCWD,
            "/tmp/linked",
            0o600,
            libposix_sys::fcntl::AT_SYMLINK_NOFOLLOW,
        );
        ensure!(
            nofollow == Err(Errno::EOPNOTSUPP),
            "fchmodat AT_SYMLINK_NOFOLLOW gave {nofollow:?}"
        );
        ensure!(
            link("/tmp/linked", "/tmp/linked-too") == Ok(()),
            "link failed"
        );
        let both = (stat("/tmp/linked"), stat("/tmp/linked-too"));
        let (Ok(first), Ok(second)) = both else {
            return Err(alloc::format!("stat after link: {both:?}"));
        };
        ensure!(
            first.st_ino == second.st_ino && first.st_nlink == 2,
            "link: inodes {} {} nlink {}",
            first.st_ino,
            second.st_ino,
            first.st_nlink
        );
        ensure!(
            link("/tmp/linked", "/tmp/linked-too") == Err(Errno::EEXIST),
            "link over an existing name is not EEXIST"
        );
        ensure!(
            link("/tmp", "/tmp/directory-link") == Err(Errno::EPERM),
            "link of a directory is not EPERM"
        );
        ensure!(
            linkat(AT_FDCWD, "/dev/null", AT_FDCWD, "/tmp/null-link", 0) == Err(Errno::EXDEV),
            "link across devfs is not EXDEV"
        );
        ensure!(
            unlink("/tmp/linked") == Ok(()),
            "unlink of the first name failed"
        );
        let mut buffer = [0u8; 16];
        let other = open("/tmp/linked-too", O_RDONLY, 0).and_then(|other| {
            let count = read(other, &mut buffer);
            let _ = close(other);
            count
        });
        ensure!(
            other == Ok(8) && &buffer[..8] == b"one file",
            "the second name after unlinking the first gave {other:?}"
        );
        let links = fstat(fd).map(|status| status.st_nlink);
        ensure!(
            links == Ok(1),
            "nlink after unlinking one name is {links:?}"
        );
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink("/tmp/linked");
    let _ = unlink("/tmp/linked-too");
    outcome
}

/// `chmod`, `fchmod`, `fchmodat` (setuid bit kept, `EOPNOTSUPP` for `AT_SYMLINK_NOFOLLOW`);
/// `link`/`linkat`: one inode, two names, `nlink`, `EEXIST`, `EPERM` for directories, `EXDEV`.
pub const MODES_AND_LINKS: Check = Check {
    name: "chmod-and-link",
    covers: &[
        "chmod:owner",
        "fchmod:owner",
        "fchmodat:AT_SYMLINK_NOFOLLOW",
        "link:errors",
        "linkat:EXDEV",
    ],
    run: modes_and_links,
};

fn access_and_umask() -> CheckOutcome {
    use libos::fs::{access, faccessat, faccessat2, umask};
    let old = umask(0o077);
    let fd = open("/tmp/masked", O_CREAT | O_TRUNC | O_WRONLY, 0o666);
    let restored = umask(old);
    let fd = fd.map_err(|error| failed("create", error))?;
    let mode = fstat(fd).map(|status| status.st_mode & 0o777);
    let _ = close(fd);
    let outcome = (|| {
        ensure!(
            old == 0o022 && restored == 0o077,
            "umask answered {old:o}, then {restored:o}"
        );
        ensure!(mode == Ok(0o600), "0666 under umask 077 gave {mode:?}");
        ensure!(access("/tmp/masked", 0) == Ok(()), "F_OK failed");
        ensure!(
            access("/tmp/masked", 4 | 2) == Ok(()),
            "R_OK|W_OK failed for the owner (root)"
        );
        ensure!(
            access("/tmp/masked", 1) == Err(Errno::EACCES),
            "X_OK of a 0600 file is not EACCES even for root"
        );
        ensure!(
            access("/bin/posix-file-tests", 1) == Ok(()),
            "X_OK of a program failed"
        );
        ensure!(
            access("/tmp/none", 0) == Err(Errno::ENOENT),
            "F_OK of a missing file is not ENOENT"
        );
        ensure!(
            access("/tmp/masked", 8) == Err(Errno::EINVAL),
            "an unknown mode bit is not EINVAL"
        );
        let directory =
            open("/tmp", O_RDONLY | O_DIRECTORY, 0).map_err(|error| failed("open", error))?;
        let at = faccessat(directory, "masked", 4);
        let at2 = faccessat2(directory, "masked", 4, libposix_sys::fcntl::AT_EACCESS);
        let _ = close(directory);
        ensure!(
            at == Ok(()) && at2 == Ok(()),
            "faccessat with a dirfd gave {at:?}, {at2:?}"
        );
        ensure!(
            access("/dev/null", 4 | 2) == Ok(()),
            "R_OK|W_OK of /dev/null failed"
        );
        Ok(())
    })();
    let _ = unlink("/tmp/masked");
    outcome
}

/// `umask` applies to creation and answers the old mask; `access`, `faccessat`, `faccessat2`.
pub const ACCESS_AND_UMASK: Check = Check {
    name: "access-and-umask",
    covers: &[
        "umask",
        "access:modes",
        "faccessat:dirfd",
        "faccessat2:AT_EACCESS",
    ],
    run: access_and_umask,
};

/// Open connections, as the server counts them.
fn connection_count() -> Result<u64, String> {
    use libos::abi::{Call, OptionalSlot};
    use libos::fs::protocol::{FILE_SERVER_SLOT, Operation};
    libos::kernel::call(Call::IpcCall {
        endpoint: FILE_SERVER_SLOT,
        word0: Operation::ConnectionCount as u64,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map(|words| words[1])
    .map_err(|error| alloc::format!("connection count: {error}"))
}

fn crashed_client_is_cleaned_up() -> CheckOutcome {
    use libos::fs::protocol::FILE_SERVER_SLOT;
    use libos::process::{Ending, spawn};
    let before = connection_count()?;
    let child = spawn(
        "/bin/posix-file-tests",
        "/bin/posix-file-tests file-holder",
        &[(FILE_SERVER_SLOT, FILE_SERVER_SLOT)],
    )
    .map_err(|error| alloc::format!("spawn: {error:?}"))?;
    let ending = child.wait(10_000_000_000);
    // The child's file exists: it connected and opened before crashing.
    let created = stat("/tmp/held-by-crash").map(|_| ());
    let deadline = libos::kernel::clock_nanoseconds() + 10_000_000_000;
    let mut after = connection_count()?;
    while after != before && libos::kernel::clock_nanoseconds() < deadline {
        libos::kernel::yield_now();
        after = connection_count()?;
    }
    child.reap();
    let _ = unlink("/tmp/held-by-crash");
    ensure!(
        matches!(ending, Ok(Ending::Faulted { .. })),
        "the child ended {ending:?}"
    );
    ensure!(created == Ok(()), "the child's file: {created:?}");
    ensure!(
        after == before,
        "{after} connections after the client crashed, {before} before"
    );
    Ok(())
}

/// The server closes the connection (and handles) of a client that crashed, through the
/// channel the client attached: no leak of server state per dead process.
pub const CRASHED_CLIENT: Check = Check {
    name: "file-server-forgets-crashed-clients",
    covers: &["close:on-crash"],
    run: crashed_client_is_cleaned_up,
};

/// The child half of [`CRASHED_CLIENT`]: opens a file and crashes with it open.
pub fn run_file_holder() -> i32 {
    match open("/tmp/held-by-crash", O_CREAT | O_WRONLY, 0o644) {
        Ok(_) => crate::pipe_checks::crash_now(),
        Err(error) => {
            libos::println!("file-holder: {error}");
            2
        }
    }
}
