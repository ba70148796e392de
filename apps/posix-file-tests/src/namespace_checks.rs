//! Checks of devfs and the namespace: `/dev/null`, `zero`, `full`, `console`, `open` and
//! `openat` errors, `dirfd`, `chdir`/`getcwd`, `lseek`.

use libos::fs::{chdir, fchdir, getcwd, open, openat};
use libos::io::{close, lseek, pipe, pread64, pwrite64, read, write};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{AT_FDCWD, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_RDWR, O_WRONLY};
use libposix_sys::seek::{SEEK_END, SEEK_SET};

use crate::ensure;

fn open_checked(path: &str, flags: i32) -> Result<i32, alloc::string::String> {
    open(path, flags, 0).map_err(|error| alloc::format!("open {path}: {error}"))
}

fn dev_null() -> CheckOutcome {
    let fd = open_checked("/dev/null", O_RDWR)?;
    let mut buffer = [7u8; 16];
    let results = (
        read(fd, &mut buffer),
        write(fd, b"vanishes"),
        pread64(fd, &mut buffer, 4),
    );
    let _ = close(fd);
    ensure!(
        results == (Ok(0), Ok(8), Ok(0)),
        "/dev/null read, write, pread gave {results:?}"
    );
    ensure!(buffer == [7u8; 16], "reading /dev/null changed the buffer");
    Ok(())
}

/// `/dev/null`: end of file on read, every write accepted.
pub const DEV_NULL: Check = Check {
    name: "dev-null",
    covers: &["open:devfs", "read:devfs", "write:devfs"],
    run: dev_null,
};

fn dev_zero() -> CheckOutcome {
    let fd = open_checked("/dev/zero", O_RDONLY)?;
    let mut buffer = [7u8; 300];
    let first = read(fd, &mut buffer);
    let written = write(fd, b"x");
    let _ = close(fd);
    ensure!(
        first == Ok(300) && buffer.iter().all(|&byte| byte == 0),
        "/dev/zero read gave {first:?}"
    );
    ensure!(
        written == Err(Errno::EBADF),
        "writing a read-only descriptor gave {written:?}, not EBADF"
    );
    Ok(())
}

/// `/dev/zero`: zeros; a read-only descriptor refuses writes with `EBADF`.
pub const DEV_ZERO: Check = Check {
    name: "dev-zero",
    covers: &["write:EBADF"],
    run: dev_zero,
};

fn dev_full() -> CheckOutcome {
    let fd = open_checked("/dev/full", O_RDWR)?;
    let mut buffer = [7u8; 8];
    let results = (
        write(fd, b"x"),
        read(fd, &mut buffer),
        pwrite64(fd, b"x", 0),
    );
    let _ = close(fd);
    ensure!(
        results == (Err(Errno::ENOSPC), Ok(8), Err(Errno::ENOSPC)),
        "/dev/full gave {results:?}"
    );
    ensure!(buffer == [0u8; 8], "/dev/full did not read zeros");
    let fd = open_checked("/dev/full", O_WRONLY)?;
    let refused = read(fd, &mut buffer);
    let _ = close(fd);
    ensure!(
        refused == Err(Errno::EBADF),
        "reading a write-only descriptor gave {refused:?}"
    );
    Ok(())
}

/// `/dev/full`: `ENOSPC` on write, zeros on read; a write-only descriptor refuses reads.
pub const DEV_FULL: Check = Check {
    name: "dev-full",
    covers: &["read:EBADF", "pwrite64:devfs"],
    run: dev_full,
};

fn dev_console() -> CheckOutcome {
    let fd = open_checked("/dev/console", O_WRONLY)?;
    let line = b"posix-files: a line written through /dev/console\n";
    let written = write(fd, line);
    let seek = lseek(fd, 0, SEEK_SET);
    let _ = close(fd);
    ensure!(written == Ok(line.len()), "console write gave {written:?}");
    ensure!(
        seek == Err(Errno::ESPIPE),
        "lseek on the console gave {seek:?}, not ESPIPE"
    );
    let stdout = write(1, b"posix-files: and one through descriptor 1\n");
    ensure!(stdout.is_ok(), "descriptor 1 write gave {stdout:?}");
    Ok(())
}

/// `/dev/console` and descriptors 0–2: the console; a terminal does not seek.
pub const DEV_CONSOLE: Check = Check {
    name: "dev-console",
    covers: &["lseek:ESPIPE"],
    run: dev_console,
};

fn open_errors() -> CheckOutcome {
    let cases: &[(&str, i32, Errno)] = &[
        ("/dev/nothing", O_RDONLY, Errno::ENOENT),
        ("", O_RDONLY, Errno::ENOENT),
        ("/dev/null/x", O_RDONLY, Errno::ENOTDIR),
        ("/dev/null/", O_RDONLY, Errno::ENOTDIR),
        ("/dev/null", O_RDONLY | O_DIRECTORY, Errno::ENOTDIR),
        ("/dev", O_WRONLY, Errno::EISDIR),
        ("/dev/null", O_RDONLY | O_CREAT | O_EXCL, Errno::EEXIST),
        ("/nothing/x", O_RDONLY, Errno::ENOENT),
    ];
    for &(path, flags, expected) in cases {
        let result = open(path, flags, 0o644);
        if let Ok(fd) = result {
            let _ = close(fd);
        }
        ensure!(
            result == Err(expected),
            "open {path:?} {flags:#o} gave {result:?}, not {expected}"
        );
    }
    let long_name = "n".repeat(256);
    let result = open(&alloc::format!("/dev/{long_name}"), O_RDONLY, 0);
    ensure!(
        result == Err(Errno::ENAMETOOLONG),
        "a 256-byte name gave {result:?}"
    );
    let long_path = "/dev/.".repeat(700);
    let result = open(&long_path, O_RDONLY, 0);
    ensure!(
        result == Err(Errno::ENAMETOOLONG),
        "a 4200-byte path gave {result:?}"
    );
    let dotted = open_checked("/dev/../dev/./null", O_RDONLY)?;
    let _ = close(dotted);
    let slashes = open_checked("//dev///zero", O_RDONLY)?;
    let _ = close(slashes);
    Ok(())
}

/// `open` errors: `ENOENT`, `ENOTDIR` (file as directory, trailing slash, `O_DIRECTORY`),
/// `EISDIR`, `EEXIST` for `O_CREAT|O_EXCL`, `ENAMETOOLONG`; `.`, `..` and repeated slashes.
pub const OPEN_ERRORS: Check = Check {
    name: "open-path-errors",
    covers: &[
        "open:ENOENT",
        "open:ENOTDIR",
        "open:EISDIR",
        "open:ENAMETOOLONG",
        "open:O_DIRECTORY",
        "open:O_EXCL",
    ],
    run: open_errors,
};

fn openat_with_dirfd() -> CheckOutcome {
    let directory = open_checked("/dev", O_RDONLY | O_DIRECTORY)?;
    let relative = openat(directory, "zero", O_RDONLY, 0);
    let absolute = openat(directory, "/dev/null", O_RDONLY, 0);
    let missing = openat(directory, "dev", O_RDONLY, 0);
    let reading_directory = read(directory, &mut [0u8; 4]);
    let (pipe_read, pipe_write) = pipe()
        .map(|[read, write]| (read, write))
        .map_err(|error| alloc::format!("pipe: {error}"))?;
    let not_directory = openat(pipe_read, "zero", O_RDONLY, 0);
    let bad = openat(987, "zero", O_RDONLY, 0);
    let cwd = openat(AT_FDCWD, "dev/zero", O_RDONLY, 0);
    for fd in [relative, absolute, cwd].into_iter().flatten() {
        let _ = close(fd);
    }
    let _ = (close(directory), close(pipe_read), close(pipe_write));
    let mut zero = [1u8; 2];
    ensure!(
        relative.is_ok(),
        "openat(/dev fd, \"zero\") gave {relative:?}"
    );
    let _ = &mut zero;
    ensure!(
        absolute.is_ok(),
        "openat with an absolute path gave {absolute:?}"
    );
    ensure!(
        missing == Err(Errno::ENOENT),
        "openat(/dev fd, \"dev\") gave {missing:?}: dirfd ignored"
    );
    ensure!(
        reading_directory == Err(Errno::EISDIR),
        "read of a directory gave {reading_directory:?}"
    );
    ensure!(
        not_directory == Err(Errno::ENOTDIR),
        "openat on a pipe's fd gave {not_directory:?}"
    );
    ensure!(
        bad == Err(Errno::EBADF),
        "openat on a closed fd gave {bad:?}"
    );
    ensure!(
        cwd.is_ok(),
        "openat(AT_FDCWD, \"dev/zero\") from / gave {cwd:?}"
    );
    Ok(())
}

/// `openat`: relative paths from `dirfd`, absolute paths ignore it, `AT_FDCWD`, `ENOTDIR` and
/// `EBADF` for a bad `dirfd`.
pub const OPENAT_DIRFD: Check = Check {
    name: "openat-dirfd",
    covers: &[
        "openat:dirfd",
        "openat:AT_FDCWD",
        "openat:ENOTDIR",
        "openat:EBADF",
    ],
    run: openat_with_dirfd,
};

fn chdir_and_getcwd() -> CheckOutcome {
    ensure!(
        getcwd(64).as_deref() == Ok(b"/\0".as_slice()),
        "the start directory is not /"
    );
    chdir("/dev/").map_err(|error| alloc::format!("chdir /dev/: {error}"))?;
    let cwd = getcwd(64);
    let relative = open("null", O_RDONLY, 0);
    if let Ok(fd) = relative {
        let _ = close(fd);
    }
    let small = getcwd(4);
    let not_directory = chdir("null");
    let missing = chdir("missing");
    let back = chdir("..");
    let root = getcwd(64);
    ensure!(
        cwd.as_deref() == Ok(b"/dev\0".as_slice()),
        "getcwd after chdir gave {cwd:?}"
    );
    ensure!(
        relative.is_ok(),
        "a relative open after chdir gave {relative:?}"
    );
    ensure!(
        small == Err(Errno::ERANGE),
        "getcwd into 4 bytes gave {small:?}, not ERANGE"
    );
    ensure!(
        not_directory == Err(Errno::ENOTDIR),
        "chdir to a device gave {not_directory:?}"
    );
    ensure!(
        missing == Err(Errno::ENOENT),
        "chdir to a missing name gave {missing:?}"
    );
    ensure!(
        back == Ok(()) && root.as_deref() == Ok(b"/\0".as_slice()),
        "chdir .. gave {back:?}, {root:?}"
    );
    let directory = open_checked("/dev", O_RDONLY | O_DIRECTORY)?;
    let changed = fchdir(directory);
    let cwd = getcwd(64);
    let _ = close(directory);
    let _ = chdir("/");
    ensure!(
        changed == Ok(()) && cwd.as_deref() == Ok(b"/dev\0".as_slice()),
        "fchdir gave {changed:?}, {cwd:?}"
    );
    Ok(())
}

/// `chdir`, `fchdir`, `getcwd` (with `ERANGE`).
pub const CHDIR_GETCWD: Check = Check {
    name: "chdir-getcwd",
    covers: &["chdir:relative-and-errors", "fchdir:directory-fd", "getcwd"],
    run: chdir_and_getcwd,
};

fn seeking() -> CheckOutcome {
    let fd = open_checked("/dev/zero", O_RDONLY)?;
    let results = (
        lseek(fd, 100, SEEK_SET),
        lseek(fd, 5, SEEK_END),
        lseek(fd, 0, 99),
    );
    let _ = close(fd);
    ensure!(
        results == (Ok(0), Ok(0), Err(Errno::EINVAL)),
        "lseek on /dev/zero gave {results:?}"
    );
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let results = (
        lseek(read_end, 0, SEEK_SET),
        pread64(read_end, &mut [0u8; 1], 0),
        pwrite64(write_end, b"x", 0),
    );
    let _ = (close(read_end), close(write_end));
    ensure!(
        results == (Err(Errno::ESPIPE), Err(Errno::ESPIPE), Err(Errno::ESPIPE)),
        "seeking a pipe gave {results:?}"
    );
    ensure!(
        lseek(765, 0, SEEK_SET) == Err(Errno::EBADF),
        "lseek of a closed fd is not EBADF"
    );
    Ok(())
}

/// `lseek` on devices (offset stays 0, as Linux's null/zero), `EINVAL` for a bad whence, `ESPIPE`
/// for pipes (also `pread64`/`pwrite64`).
pub const LSEEK: Check = Check {
    name: "lseek-devices-and-pipes",
    covers: &[
        "lseek:ESPIPE",
        "lseek:EINVAL",
        "pread64:ESPIPE",
        "pwrite64:ESPIPE",
    ],
    run: seeking,
};
