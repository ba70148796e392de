//! Open file descriptions shared between processes: after `fork`, `posix_spawn` and `dup` the
//! file offset and status flags belong to the description, so a move made through one
//! descriptor (in any process) is seen through every other; a sharer that scribbles on the
//! shared page harms only what it could already move.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::Ordering;

use libos::fs::{open, unlink};
use libos::io::description::Backend;
use libos::io::descriptors::{description, fcntl, lseek, pread64};
use libos::io::{close, dup, read, write};
use libos::process::identity::{_exit, waitpid};
use libos::process::{FileAction, fork, posix_spawn};
use libos::shared_window::SharedWindow;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_GETFL, F_SETFL, O_APPEND, O_CREAT, O_RDWR, O_TRUNC};
use libposix_sys::seek::{SEEK_CUR, SEEK_SET};

use crate::ensure;

fn fresh(path: &str) -> Result<i32, String> {
    open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644).map_err(|error| format!("open {path}: {error}"))
}

fn contents(fd: i32) -> Result<String, String> {
    let mut buffer = [0u8; 64];
    let count = pread64(fd, &mut buffer, 0).map_err(|error| format!("pread64: {error}"))?;
    Ok(String::from_utf8_lossy(&buffer[..count]).into_owned())
}

fn wait_for(child: i32) -> Result<i32, String> {
    let mut status = 0;
    let waited = waitpid(child, Some(&mut status), 0);
    ensure!(waited == Ok(child), "waitpid gave {waited:?}");
    Ok(status)
}

fn fork_shares_offset() -> CheckOutcome {
    let path = "/tmp/shared-offset-fork";
    let fd = fresh(path)?;
    ensure!(write(fd, b"ab") == Ok(2), "first write");
    let child = fork().map_err(|error| format!("fork: {error}"))?;
    if child == 0 {
        // The child starts at the parent's offset, writes, and turns O_APPEND on.
        let code = if lseek(fd, 0, SEEK_CUR) != Ok(2) {
            3
        } else if write(fd, b"cd") != Ok(2) {
            4
        } else if fcntl(fd, F_SETFL, O_APPEND as u64).is_err() {
            5
        } else {
            0
        };
        _exit(code);
    }
    let status = wait_for(child)?;
    let offset = lseek(fd, 0, SEEK_CUR);
    let flags = fcntl(fd, F_GETFL, 0);
    let parent_write = write(fd, b"ef");
    let text = contents(fd)?;
    // The parent rewinds: the child of a second fork reads from where the parent put it.
    ensure!(lseek(fd, 1, SEEK_SET) == Ok(1), "lseek to 1");
    let reader = fork().map_err(|error| format!("second fork: {error}"))?;
    if reader == 0 {
        let mut two = [0u8; 2];
        _exit(if read(fd, &mut two) == Ok(2) && &two == b"bc" {
            0
        } else {
            6
        });
    }
    let reader_status = wait_for(reader)?;
    let after_read = lseek(fd, 0, SEEK_CUR);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(status == 0, "the child failed: status {status:#x}");
    ensure!(
        offset == Ok(4),
        "after the child's write the parent's offset is {offset:?}, not 4"
    );
    ensure!(
        flags.is_ok_and(|flags| flags as i32 & O_APPEND != 0),
        "the child's F_SETFL O_APPEND is not seen by the parent: {flags:?}"
    );
    ensure!(parent_write == Ok(2), "parent write {parent_write:?}");
    ensure!(text == "abcdef", "the file holds {text:?}");
    ensure!(reader_status == 0, "the reading child: {reader_status:#x}");
    ensure!(
        after_read == Ok(3),
        "after the child read 2 bytes from 1 the parent's offset is {after_read:?}"
    );
    Ok(())
}

/// `fork` shares the offset and status flags of a file (POSIX: the child's descriptors refer to
/// the same open file descriptions).
pub const FORK_SHARES_OFFSET: Check = Check {
    name: "fork-shares-file-offset",
    covers: &[
        "fork:shares-file-offset",
        "fork:shares-status-flags",
        "lseek:offset-shared-between-processes",
        "read:advances-shared-offset",
    ],
    run: fork_shares_offset,
};

fn dup_shares_offset() -> CheckOutcome {
    let path = "/tmp/shared-offset-dup";
    let fd = fresh(path)?;
    let copy = dup(fd).map_err(|error| format!("dup: {error}"))?;
    let first = write(fd, b"one");
    let through_copy = lseek(copy, 0, SEEK_CUR);
    let second = write(copy, b"two");
    let through_original = lseek(fd, 0, SEEK_CUR);
    let set = fcntl(copy, F_SETFL, O_APPEND as u64);
    let flags = fcntl(fd, F_GETFL, 0);
    let text = contents(fd)?;
    let _ = close(copy);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(
        first == Ok(3) && second == Ok(3),
        "writes {first:?} {second:?}"
    );
    ensure!(
        through_copy == Ok(3),
        "the duplicate's offset {through_copy:?}"
    );
    ensure!(
        through_original == Ok(6),
        "the original's offset after a write through the duplicate {through_original:?}"
    );
    ensure!(
        set.is_ok() && flags.is_ok_and(|flags| flags as i32 & O_APPEND != 0),
        "O_APPEND set through the duplicate: {flags:?}"
    );
    ensure!(text == "onetwo", "the file holds {text:?}");
    Ok(())
}

/// `dup` shares offset and status flags (one description, two descriptors).
pub const DUP_SHARES_OFFSET: Check = Check {
    name: "dup-shares-file-offset",
    covers: &["dup:shares-file-offset", "dup:shares-status-flags"],
    run: dup_shares_offset,
};

fn spawn_shares_offset() -> CheckOutcome {
    let path = "/tmp/shared-offset-spawn";
    let fd = fresh(path)?;
    ensure!(write(fd, b">") == Ok(1), "first write");
    let child = posix_spawn(
        "/bin/echo",
        &[FileAction::Dup2 { old: fd, new: 1 }],
        None,
        &["echo", "child"],
        &[],
    )
    .map_err(|error| format!("posix_spawn: {error}"))?;
    let status = wait_for(child)?;
    let offset = lseek(fd, 0, SEEK_CUR);
    let parent_write = write(fd, b"parent");
    let text = contents(fd)?;
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(status == 0, "echo: status {status:#x}");
    ensure!(
        offset == Ok(7),
        "after the child wrote `child\\n` at 1 the parent's offset is {offset:?}, not 7"
    );
    ensure!(parent_write == Ok(6), "parent write {parent_write:?}");
    ensure!(text == ">child\nparent", "the file holds {text:?}");
    Ok(())
}

/// A descriptor handed to a `posix_spawn`ed program (which starts with its own image) shares
/// the offset with the parent's.
pub const SPAWN_SHARES_OFFSET: Check = Check {
    name: "posix-spawn-shares-file-offset",
    covers: &["posix_spawn:shares-file-offset"],
    run: spawn_shares_offset,
};

fn execve_shares_offset() -> CheckOutcome {
    let path = "/tmp/shared-offset-execve";
    let fd = fresh(path)?;
    ensure!(write(fd, b"[") == Ok(1), "first write");
    let child = fork().map_err(|error| format!("fork: {error}"))?;
    if child == 0 {
        // A new image of the forked child: the description (shared since the fork) must stay
        // shared across `execve`.
        if libos::io::dup2(fd, 1).is_err() {
            _exit(8);
        }
        let _ = libos::process::execve("/bin/echo", &["echo", "image"], &[]);
        _exit(9);
    }
    let status = wait_for(child)?;
    let offset = lseek(fd, 0, SEEK_CUR);
    let parent_write = write(fd, b"]");
    let text = contents(fd)?;
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(status == 0, "the child: status {status:#x}");
    ensure!(
        offset == Ok(7),
        "after the new image wrote `image\\n` at 1 the parent's offset is {offset:?}, not 7"
    );
    ensure!(parent_write == Ok(1), "parent write {parent_write:?}");
    ensure!(text == "[image\n]", "the file holds {text:?}");
    Ok(())
}

/// A forked child's new image (`execve`) goes on sharing the description with the parent.
pub const EXECVE_SHARES_OFFSET: Check = Check {
    name: "execve-shares-file-offset",
    covers: &["execve:shares-file-offset"],
    run: execve_shares_offset,
};

fn hostile_sharer() -> CheckOutcome {
    let path = "/tmp/shared-offset-hostile";
    let fd = fresh(path)?;
    ensure!(write(fd, b"data") == Ok(4), "first write");
    let child = fork().map_err(|error| format!("fork: {error}"))?;
    if child == 0 {
        // Bypass the LibOS: map the description's page and leave it locked forever with an
        // absurd offset, then die.
        let code = (|| {
            let description = description(fd).ok()?;
            let Backend::Server(file) = description.backend() else {
                return None;
            };
            let window = SharedWindow::map(file.shared()?.frame(), 1).ok()?;
            window.word(0).store(u64::MAX, Ordering::SeqCst);
            // Status flags claiming write-only: the access mode must not follow them.
            window
                .word(8)
                .store(libposix_sys::fcntl::O_WRONLY as u64, Ordering::SeqCst);
            window.word(16).store(1, Ordering::SeqCst);
            core::mem::forget(window);
            Some(0)
        })()
        .unwrap_or(7);
        _exit(code);
    }
    let status = wait_for(child)?;
    let started = libos::runtime::clock::clock_monotonic();
    let mut buffer = [0u8; 8];
    let far_read = read(fd, &mut buffer);
    let waited = libos::runtime::clock::clock_monotonic().saturating_sub(started);
    let far_write = write(fd, b"x");
    let current = lseek(fd, 0, SEEK_CUR);
    let flags = fcntl(fd, F_GETFL, 0);
    let rewound = lseek(fd, 0, SEEK_SET);
    let near_read = read(fd, &mut buffer);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(
        status == 0,
        "the hostile child could not reach the page: {status:#x}"
    );
    ensure!(
        far_read == Ok(0),
        "a read at offset u64::MAX gave {far_read:?}"
    );
    ensure!(
        waited < 5_000_000_000,
        "a lock held forever kept the read waiting {waited} ns"
    );
    ensure!(
        far_write == Err(Errno::EFBIG),
        "a write at offset u64::MAX gave {far_write:?}"
    );
    ensure!(
        current == Err(Errno::EOVERFLOW),
        "lseek(SEEK_CUR) at u64::MAX gave {current:?}"
    );
    ensure!(
        flags.is_ok_and(|flags| flags as i32 & libposix_sys::fcntl::O_ACCMODE == O_RDWR),
        "the access mode came from the page: {flags:?}"
    );
    ensure!(rewound == Ok(0), "lseek back {rewound:?}");
    ensure!(
        near_read == Ok(4) && &buffer[..4] == b"data",
        "the file after the hostile sharer {near_read:?}"
    );
    Ok(())
}

/// A process sharing a description that writes nonsense into the shared page (and dies holding
/// its lock) cannot hang or crash the other sharers or change the access mode.
pub const HOSTILE_SHARER: Check = Check {
    name: "shared-offset-hostile-sharer",
    covers: &[
        "read:hostile-sharer-contained",
        "fcntl:access-mode-not-shared-page",
    ],
    run: hostile_sharer,
};
