//! `rename`, `renameat` and `renameat2` on the shared root: moving over files and directories,
//! every POSIX error, `RENAME_NOREPLACE`, `RENAME_EXCHANGE`, open files surviving a move, the
//! sticky `/tmp` and other users enforced by the server.

use alloc::string::String;

use libos::fs::protocol::{Operation, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::fs::{fstat, mkdir, open, openat, rename, renameat, renameat2, rmdir, stat, unlink};
use libos::io::{close, pread64, read, write};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    AT_FDCWD, O_CREAT, O_DIRECTORY, O_EXCL, O_RDONLY, O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE,
};

use crate::ensure;
use crate::permission_checks::RawConnection;

fn make_file(path: &str, contents: &[u8]) -> Result<(), String> {
    let _ = unlink(path);
    let fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
        .map_err(|error| alloc::format!("create {path}: {error}"))?;
    let written = write(fd, contents);
    let _ = close(fd);
    ensure!(written == Ok(contents.len()), "write {path}: {written:?}");
    Ok(())
}

fn contents(path: &str) -> Result<alloc::vec::Vec<u8>, Errno> {
    let fd = open(path, O_RDONLY, 0)?;
    let mut buffer = [0u8; 64];
    let count = read(fd, &mut buffer);
    let _ = close(fd);
    Ok(buffer[..count?].to_vec())
}

fn cleanup(paths: &[&str]) {
    for path in paths {
        if unlink(path).is_err() {
            let _ = rmdir(path);
        }
    }
}

fn over_files() -> CheckOutcome {
    let outcome = (|| {
        make_file("/tmp/rn-a", b"first")?;
        make_file("/tmp/rn-b", b"second")?;
        let number = stat("/tmp/rn-a").map(|status| status.st_ino);
        let held = open("/tmp/rn-b", O_RDONLY, 0).map_err(|e| alloc::format!("{e}"))?;
        rename("/tmp/rn-a", "/tmp/rn-b").map_err(|error| alloc::format!("rename: {error}"))?;
        ensure!(
            stat("/tmp/rn-a") == Err(Errno::ENOENT),
            "the old name is still there"
        );
        ensure!(
            stat("/tmp/rn-b").map(|status| status.st_ino) == number,
            "the new name is not the moved file"
        );
        ensure!(contents("/tmp/rn-b") == Ok(b"first".to_vec()), "contents");
        // The replaced file lives on for whoever holds it open, with no links.
        let mut buffer = [0u8; 8];
        let old = pread64(held, &mut buffer, 0);
        let links = fstat(held).map(|status| status.st_nlink);
        let _ = close(held);
        ensure!(
            old == Ok(6) && &buffer[..6] == b"second",
            "the replaced file read {old:?}"
        );
        ensure!(links == Ok(0), "the replaced file has {links:?} links");
        ensure!(
            rename("/tmp/rn-missing", "/tmp/rn-x") == Err(Errno::ENOENT),
            "a missing source"
        );
        ensure!(
            rename("/tmp/rn-b", "/tmp/rn-none/x") == Err(Errno::ENOENT),
            "a missing target directory"
        );
        ensure!(
            rename("/tmp/rn-b/", "/tmp/rn-c") == Err(Errno::ENOTDIR),
            "a trailing slash on a file"
        );
        ensure!(
            rename("/tmp/rn-b", "/tmp/rn-b/x") == Err(Errno::ENOTDIR),
            "a file as a directory in the target"
        );
        // Renaming a file to itself or to another of its names does nothing.
        ensure!(rename("/tmp/rn-b", "/tmp/rn-b") == Ok(()), "to itself");
        libos::fs::link("/tmp/rn-b", "/tmp/rn-hard").map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            rename("/tmp/rn-b", "/tmp/rn-hard") == Ok(()),
            "onto another link of it"
        );
        ensure!(
            stat("/tmp/rn-b").map(|status| status.st_nlink) == Ok(2),
            "both names must stay"
        );
        Ok(())
    })();
    cleanup(&["/tmp/rn-a", "/tmp/rn-b", "/tmp/rn-hard"]);
    outcome
}

/// `rename` over an existing file: atomic replacement, an open replaced file stays readable,
/// `ENOENT`, `ENOTDIR`, and a no-op onto the same file.
pub const OVER_FILES: Check = Check {
    name: "rename-over-files",
    covers: &[
        "rename:replaces-file",
        "rename:ENOENT",
        "rename:ENOTDIR",
        "rename:same-file",
    ],
    run: over_files,
};

fn directories() -> CheckOutcome {
    let outcome = (|| {
        for path in [
            "/tmp/rn-d",
            "/tmp/rn-d/sub",
            "/tmp/rn-empty",
            "/tmp/rn-full",
        ] {
            mkdir(path, 0o755).map_err(|error| alloc::format!("mkdir {path}: {error}"))?;
        }
        make_file("/tmp/rn-full/f", b"x")?;
        make_file("/tmp/rn-file", b"x")?;
        let cases: [(&str, &str, Errno, &str); 5] = [
            (
                "/tmp/rn-d",
                "/tmp/rn-d/sub/inside",
                Errno::EINVAL,
                "into itself",
            ),
            (
                "/tmp/rn-d",
                "/tmp/rn-full",
                Errno::ENOTEMPTY,
                "over a full directory",
            ),
            ("/tmp/rn-d", "/tmp/rn-file", Errno::ENOTDIR, "over a file"),
            (
                "/tmp/rn-file",
                "/tmp/rn-empty",
                Errno::EISDIR,
                "a file over a directory",
            ),
            ("/tmp/rn-d/..", "/tmp/rn-x", Errno::EBUSY, "`..`"),
        ];
        for (old, new, expected, what) in cases {
            let got = rename(old, new);
            ensure!(got == Err(expected), "{what}: {got:?}, not {expected:?}");
        }
        // Over an empty directory, into another parent; `..` follows.
        rename("/tmp/rn-d", "/tmp/rn-empty").map_err(|e| alloc::format!("over empty: {e}"))?;
        rename("/tmp/rn-empty", "/tmp/rn-full/moved").map_err(|e| alloc::format!("move: {e}"))?;
        let parent = stat("/tmp/rn-full/moved/sub/../..").map(|status| status.st_ino);
        let full = stat("/tmp/rn-full").map(|status| status.st_ino);
        ensure!(parent == full, "`..` of the moved directory is {parent:?}");
        let links = stat("/tmp/rn-full").map(|status| status.st_nlink);
        ensure!(links == Ok(3), "the new parent has {links:?} links, not 3");
        ensure!(
            rename("/tmp/rn-full/moved/", "/tmp/rn-back/") == Ok(()),
            "trailing slashes on directories"
        );
        ensure!(
            stat("/tmp/rn-back/sub").is_ok(),
            "the subdirectory moved along"
        );
        Ok(())
    })();
    cleanup(&[
        "/tmp/rn-back/sub",
        "/tmp/rn-back",
        "/tmp/rn-full/moved/sub",
        "/tmp/rn-full/moved",
        "/tmp/rn-full/f",
        "/tmp/rn-full",
        "/tmp/rn-empty",
        "/tmp/rn-d/sub",
        "/tmp/rn-d",
        "/tmp/rn-file",
    ]);
    outcome
}

/// Directories: moving over an empty one and to another parent (`..` and link counts follow),
/// `EINVAL` into itself, `ENOTEMPTY`, `ENOTDIR`, `EISDIR`, `EBUSY` for `..`.
pub const DIRECTORIES: Check = Check {
    name: "rename-directories",
    covers: &[
        "rename:directories",
        "rename:EINVAL-into-itself",
        "rename:ENOTEMPTY",
        "rename:EISDIR",
        "rename:EBUSY",
    ],
    run: directories,
};

fn flags_and_dirfds() -> CheckOutcome {
    let outcome = (|| {
        make_file("/tmp/rn-one", b"one")?;
        make_file("/tmp/rn-two", b"two")?;
        mkdir("/tmp/rn-dir", 0o755).map_err(|e| alloc::format!("{e}"))?;
        let got = renameat2(
            AT_FDCWD,
            "/tmp/rn-one",
            AT_FDCWD,
            "/tmp/rn-two",
            RENAME_NOREPLACE,
        );
        ensure!(got == Err(Errno::EEXIST), "NOREPLACE over a file: {got:?}");
        renameat2(
            AT_FDCWD,
            "/tmp/rn-one",
            AT_FDCWD,
            "/tmp/rn-three",
            RENAME_NOREPLACE,
        )
        .map_err(|e| alloc::format!("NOREPLACE to a free name: {e}"))?;
        renameat2(
            AT_FDCWD,
            "/tmp/rn-three",
            AT_FDCWD,
            "/tmp/rn-two",
            RENAME_EXCHANGE,
        )
        .map_err(|e| alloc::format!("EXCHANGE: {e}"))?;
        ensure!(
            contents("/tmp/rn-two") == Ok(b"one".to_vec())
                && contents("/tmp/rn-three") == Ok(b"two".to_vec()),
            "EXCHANGE did not swap"
        );
        let missing = renameat2(
            AT_FDCWD,
            "/tmp/rn-two",
            AT_FDCWD,
            "/tmp/rn-no",
            RENAME_EXCHANGE,
        );
        ensure!(
            missing == Err(Errno::ENOENT),
            "EXCHANGE with a missing name: {missing:?}"
        );
        let both = renameat2(
            AT_FDCWD,
            "/tmp/rn-two",
            AT_FDCWD,
            "/tmp/rn-three",
            RENAME_EXCHANGE | RENAME_NOREPLACE,
        );
        ensure!(both == Err(Errno::EINVAL), "EXCHANGE|NOREPLACE: {both:?}");
        let unknown = renameat2(AT_FDCWD, "/tmp/rn-two", AT_FDCWD, "/tmp/rn-x", 1 << 7);
        ensure!(unknown == Err(Errno::EINVAL), "unknown flags: {unknown:?}");
        // renameat relative to directory descriptors.
        let tmp = open("/tmp", O_DIRECTORY | O_RDONLY, 0).map_err(|e| alloc::format!("{e}"))?;
        let dir = openat(tmp, "rn-dir", O_DIRECTORY | O_RDONLY, 0);
        let moved = dir.and_then(|dir| {
            let result = renameat(tmp, "rn-two", dir, "inside");
            let _ = close(dir);
            result
        });
        let _ = close(tmp);
        ensure!(moved == Ok(()), "renameat with dirfds: {moved:?}");
        ensure!(
            contents("/tmp/rn-dir/inside") == Ok(b"one".to_vec()),
            "renameat put it elsewhere"
        );
        let cross = rename("/tmp/rn-three", "/dev/rn-three");
        ensure!(cross == Err(Errno::EXDEV), "into devfs: {cross:?}");
        let within = rename("/dev/null", "/dev/nothing");
        ensure!(within == Err(Errno::EPERM), "within devfs: {within:?}");
        Ok(())
    })();
    cleanup(&[
        "/tmp/rn-one",
        "/tmp/rn-two",
        "/tmp/rn-three",
        "/tmp/rn-dir/inside",
        "/tmp/rn-dir",
    ]);
    outcome
}

/// `renameat2`'s `RENAME_NOREPLACE` (`EEXIST`) and `RENAME_EXCHANGE`, bad flags, `renameat`
/// with directory descriptors, `EXDEV` between the root and devfs.
pub const FLAGS_AND_DIRFDS: Check = Check {
    name: "renameat2-flags-and-dirfds",
    covers: &[
        "renameat2:RENAME_NOREPLACE",
        "renameat2:RENAME_EXCHANGE",
        "renameat2:EINVAL",
        "renameat:dirfd",
        "renameat2:dirfd",
        "rename:EXDEV",
    ],
    run: flags_and_dirfds,
};

fn other_users() -> CheckOutcome {
    let outcome = (|| {
        make_file("/tmp/rn-roots", b"root's")?;
        let other = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        // User 1000, talking to the server directly, tries to move root's file in sticky /tmp.
        let moved = other.two_paths(Operation::Rename, "/tmp/rn-roots", "/tmp/rn-mine", 0);
        ensure!(moved == Err(Errno::EPERM), "moving root's file: {moved:?}");
        // Nor into a directory it may not write.
        other
            .open_with_mode("/tmp/rn-1000", O_CREAT | O_EXCL | O_WRONLY, 0o644)
            .map_err(|e| alloc::format!("create as 1000: {e}"))?;
        let into_bin = other.two_paths(Operation::Rename, "/tmp/rn-1000", "/bin/rn-1000", 0);
        ensure!(into_bin == Err(Errno::EACCES), "into /bin: {into_bin:?}");
        let over = other.two_paths(Operation::Rename, "/tmp/rn-1000", "/tmp/rn-roots", 0);
        ensure!(over == Err(Errno::EPERM), "over root's file: {over:?}");
        let own = other.two_paths(Operation::Rename, "/tmp/rn-1000", "/tmp/rn-1000b", 0);
        ensure!(own == Ok(0), "moving its own file: {own:?}");
        ensure!(
            contents("/tmp/rn-roots") == Ok(b"root's".to_vec()),
            "root's file changed"
        );
        Ok(())
    })();
    cleanup(&[
        "/tmp/rn-roots",
        "/tmp/rn-mine",
        "/tmp/rn-1000",
        "/tmp/rn-1000b",
    ]);
    outcome
}

/// The server enforces rename's permissions whatever the client's LibOS does: user 1000 cannot
/// move or replace root's names in sticky `/tmp` (`EPERM`) nor add names to `/bin` (`EACCES`).
pub const OTHER_USERS: Check = Check {
    name: "rename-permissions-in-server",
    covers: &[
        "rename:EACCES",
        "rename:EPERM-sticky",
        "rename:permissions-in-server",
    ],
    run: other_users,
};
