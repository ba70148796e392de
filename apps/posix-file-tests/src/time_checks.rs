//! File times on the shared root: `st_atime`, `st_mtime` and `st_ctime` kept as POSIX says
//! (stamped from `CLOCK_REALTIME` by the server, and by writers on mapped frames), and
//! `utimensat`/`futimens` with `UTIME_NOW`, `UTIME_OMIT` and their permission rules, enforced
//! by the server for a client that bypasses its LibOS.

use libos::fs::protocol::{DATA_OFFSET, Operation, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::fs::{
    chmod, fstat, ftruncate, futimens, link, mkdir, open, rename, rmdir, stat, statx, unlink,
    utimensat,
};
use libos::io::{close, pread64, write};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CREAT, O_RDONLY, O_RDWR, O_TRUNC};
use libposix_sys::stat::Stat;
use libposix_sys::statx::STATX_BASIC_STATS;
use libposix_sys::time::{Timespec, UTIME_NOW, UTIME_OMIT};

use crate::ensure;
use crate::permission_checks::RawConnection;

type Stamp = (i64, i64);

fn modified(status: &Stat) -> Stamp {
    (status.st_mtime, status.st_mtime_nsec)
}

fn changed(status: &Stat) -> Stamp {
    (status.st_ctime, status.st_ctime_nsec)
}

fn accessed(status: &Stat) -> Stamp {
    (status.st_atime, status.st_atime_nsec)
}

fn now() -> Stamp {
    let time = libos::time::clock_gettime(libposix_sys::clock::CLOCK_REALTIME).unwrap_or_default();
    (time.tv_sec, time.tv_nsec)
}

/// Lets the realtime clock move on, so a later stamp is strictly later.
fn tick() {
    let start = now();
    while now() == start {
        libos::kernel::yield_now();
    }
}

fn stamped() -> CheckOutcome {
    let path = "/tmp/times";
    let _ = unlink(path);
    let before = now();
    let fd = open(path, O_CREAT | O_RDWR, 0o644).map_err(|e| alloc::format!("create: {e}"))?;
    let outcome = (|| {
        let created = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        let after = now();
        ensure!(
            (before..=after).contains(&modified(&created))
                && modified(&created) == changed(&created)
                && accessed(&created) == modified(&created),
            "a new file's times {:?} {:?} {:?} not within {before:?}..{after:?}",
            accessed(&created),
            modified(&created),
            changed(&created)
        );
        let directory = stat("/tmp").map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            modified(&directory) >= modified(&created),
            "creating did not stamp the directory's mtime"
        );
        tick();
        // A write (through the mapped frames) moves mtime and ctime, not atime.
        ensure!(write(fd, b"data") == Ok(4), "write");
        let written = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            modified(&written) > modified(&created) && changed(&written) > changed(&created),
            "write did not move mtime/ctime: {:?} {:?}",
            modified(&written),
            changed(&written)
        );
        ensure!(
            accessed(&written) == accessed(&created),
            "write moved atime"
        );
        tick();
        // A new description's first read stamps atime.
        let reader = open(path, O_RDONLY, 0).map_err(|e| alloc::format!("{e}"))?;
        let _ = pread64(reader, &mut [0u8; 4], 0);
        let _ = close(reader);
        let read = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            accessed(&read) > accessed(&written),
            "a read did not move atime"
        );
        ensure!(modified(&read) == modified(&written), "a read moved mtime");
        tick();
        chmod(path, 0o600).map_err(|e| alloc::format!("{e}"))?;
        let modes = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            changed(&modes) > changed(&read) && modified(&modes) == modified(&read),
            "chmod must move ctime only"
        );
        tick();
        link(path, "/tmp/times-link").map_err(|e| alloc::format!("{e}"))?;
        let linked = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        let _ = unlink("/tmp/times-link");
        ensure!(changed(&linked) > changed(&modes), "link must move ctime");
        tick();
        ftruncate(fd, 1).map_err(|e| alloc::format!("{e}"))?;
        let cut = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            modified(&cut) > modified(&linked) && changed(&cut) > changed(&linked),
            "ftruncate must move mtime and ctime"
        );
        tick();
        let truncating = open(path, O_RDWR | O_TRUNC, 0).map_err(|e| alloc::format!("{e}"))?;
        let _ = close(truncating);
        let emptied = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            modified(&emptied) > modified(&cut),
            "O_TRUNC must move mtime"
        );
        tick();
        mkdir("/tmp/times-dir", 0o755).map_err(|e| alloc::format!("{e}"))?;
        let directory_before = stat("/tmp/times-dir").map_err(|e| alloc::format!("{e}"))?;
        tick();
        rename(path, "/tmp/times-dir/moved").map_err(|e| alloc::format!("{e}"))?;
        let moved = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        let directory_after = stat("/tmp/times-dir").map_err(|e| alloc::format!("{e}"))?;
        let _ = unlink("/tmp/times-dir/moved");
        ensure!(
            changed(&moved) > changed(&emptied),
            "rename must move the file's ctime"
        );
        ensure!(
            modified(&directory_after) > modified(&directory_before),
            "rename must move the new directory's mtime"
        );
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink(path);
    let _ = unlink("/tmp/times-dir/moved");
    let _ = rmdir("/tmp/times-dir");
    outcome
}

/// Creating stamps all three times (and the directory's mtime); write and truncation move
/// mtime and ctime; a read moves atime; chmod, link and rename move ctime; rename moves the
/// directories' mtime.
pub const STAMPED: Check = Check {
    name: "file-times-kept-as-posix-says",
    covers: &[
        "stat:times",
        "write:updates-mtime",
        "read:updates-atime",
        "ftruncate:updates-mtime",
        "chmod:updates-ctime",
        "rename:updates-times",
    ],
    run: stamped,
};

fn setting_times() -> CheckOutcome {
    let path = "/tmp/utimens";
    let fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0o644).map_err(|e| alloc::format!("{e}"))?;
    let outcome = (|| {
        let at = |tv_sec, tv_nsec| Timespec { tv_sec, tv_nsec };
        utimensat(AT_FDCWD, path, Some(&[at(1000, 5), at(2000, 6)]), 0)
            .map_err(|e| alloc::format!("explicit times: {e}"))?;
        let set = stat(path).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            accessed(&set) == (1000, 5) && modified(&set) == (2000, 6),
            "utimensat set {:?} {:?}",
            accessed(&set),
            modified(&set)
        );
        ensure!(changed(&set) > (2000, 6), "utimensat must stamp ctime now");
        futimens(fd, Some(&[at(0, UTIME_OMIT), at(0, UTIME_NOW)]))
            .map_err(|e| alloc::format!("futimens: {e}"))?;
        let partly = fstat(fd).map_err(|e| alloc::format!("{e}"))?;
        ensure!(accessed(&partly) == (1000, 5), "UTIME_OMIT changed atime");
        ensure!(
            modified(&partly) > (2000, 6),
            "UTIME_NOW did not move mtime"
        );
        utimensat(AT_FDCWD, path, None, 0).map_err(|e| alloc::format!("NULL times: {e}"))?;
        let both = stat(path).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            accessed(&both) > (1000, 5),
            "NULL times must set atime to now"
        );
        let bad = utimensat(AT_FDCWD, path, Some(&[at(0, 1_000_000_000), at(0, 0)]), 0);
        ensure!(bad == Err(Errno::EINVAL), "tv_nsec of 10^9 gave {bad:?}");
        let flags = utimensat(AT_FDCWD, path, None, 0x1000_0000);
        ensure!(flags == Err(Errno::EINVAL), "unknown flags gave {flags:?}");
        let missing = utimensat(AT_FDCWD, "/tmp/utimens-none", None, 0);
        ensure!(
            missing == Err(Errno::ENOENT),
            "a missing file gave {missing:?}"
        );
        // AT_SYMLINK_NOFOLLOW sets the link's own times.
        let _ = unlink("/tmp/utimens-link");
        libos::fs::symlink(path, "/tmp/utimens-link").map_err(|e| alloc::format!("{e}"))?;
        let own = utimensat(
            AT_FDCWD,
            "/tmp/utimens-link",
            Some(&[at(7, 0), at(8, 0)]),
            AT_SYMLINK_NOFOLLOW,
        );
        let link_status = libos::fs::lstat("/tmp/utimens-link");
        let target = stat(path);
        let _ = unlink("/tmp/utimens-link");
        ensure!(own == Ok(()), "on the link: {own:?}");
        ensure!(
            link_status.is_ok_and(|status| modified(&status) == (8, 0)),
            "the link's mtime"
        );
        ensure!(
            target.is_ok_and(|status| modified(&status) != (8, 0)),
            "the target changed"
        );
        // devfs keeps no times.
        let device = utimensat(AT_FDCWD, "/dev/null", None, 0);
        ensure!(device == Err(Errno::EROFS), "/dev/null gave {device:?}");
        let closed = futimens(999, None);
        ensure!(
            closed == Err(Errno::EBADF),
            "a closed descriptor gave {closed:?}"
        );
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink(path);
    outcome
}

/// `utimensat`/`futimens`: explicit times, `UTIME_NOW`, `UTIME_OMIT`, NULL (both now), ctime
/// stamped, `EINVAL` for a bad `tv_nsec` or flags, `AT_SYMLINK_NOFOLLOW` on a link.
pub const SETTING_TIMES: Check = Check {
    name: "utimensat-futimens",
    covers: &[
        "utimensat:UTIME_NOW",
        "utimensat:UTIME_OMIT",
        "utimensat:EINVAL",
        "utimensat:AT_SYMLINK_NOFOLLOW",
        "utimensat:futimens-by-descriptor",
    ],
    run: setting_times,
};

fn times_permissions() -> CheckOutcome {
    let shared = "/tmp/utimens-shared";
    let private = "/tmp/utimens-private";
    for (path, mode) in [(shared, 0o666), (private, 0o644)] {
        let _ = unlink(path);
        let fd = open(path, O_CREAT | O_RDWR, mode).map_err(|e| alloc::format!("{e}"))?;
        let _ = libos::fs::fchmod(fd, mode);
        let _ = close(fd);
    }
    let outcome = (|| {
        let other = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        let set = |path: &str, times: [i64; 4]| {
            let mut bytes = [0u8; 32];
            for (chunk, word) in bytes.chunks_mut(8).zip(times) {
                chunk.copy_from_slice(&word.to_ne_bytes());
            }
            other.put(DATA_OFFSET, &bytes);
            other.path_call(Operation::SetTimes, path, 1, 0)
        };
        let now_both = [0, UTIME_NOW, 0, UTIME_NOW];
        let explicit = [5, 0, 5, 0];
        ensure!(
            set(shared, now_both) == Ok(0),
            "user 1000 setting now on a file it may write"
        );
        let denied = set(private, now_both);
        ensure!(
            denied == Err(Errno::EACCES),
            "now on a file it may not write: {denied:?}"
        );
        let refused = set(shared, explicit);
        ensure!(
            refused == Err(Errno::EPERM),
            "explicit times on root's file: {refused:?}"
        );
        let garbage = set(shared, [0, -5, 0, 0]);
        ensure!(
            garbage == Err(Errno::EINVAL),
            "a negative tv_nsec: {garbage:?}"
        );
        let unchanged = stat(shared).map(|status| modified(&status));
        ensure!(unchanged != Ok((5, 0)), "the refused times were applied");
        Ok(())
    })();
    let _ = unlink(shared);
    let _ = unlink(private);
    outcome
}

/// The server enforces `utimensat`'s rules for a client that bypasses its LibOS: "now" needs
/// write permission (`EACCES`), explicit times need ownership (`EPERM`).
pub const TIMES_PERMISSIONS: Check = Check {
    name: "utimensat-permissions-in-server",
    covers: &["utimensat:EACCES", "utimensat:EPERM"],
    run: times_permissions,
};

fn extended_status() -> CheckOutcome {
    let path = "/tmp/statx-file";
    let fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0o640).map_err(|e| alloc::format!("{e}"))?;
    let _ = write(fd, b"twelve bytes");
    let _ = close(fd);
    let extended = statx(AT_FDCWD, path, 0, STATX_BASIC_STATS);
    let plain = stat(path);
    let missing = statx(AT_FDCWD, "/tmp/statx-none", 0, STATX_BASIC_STATS);
    let bad_flags = statx(AT_FDCWD, path, 0x0100_0000, STATX_BASIC_STATS);
    let _ = unlink(path);
    let extended = extended.map_err(|e| alloc::format!("statx: {e}"))?;
    let plain = plain.map_err(|e| alloc::format!("stat: {e}"))?;
    ensure!(
        extended.stx_mask & STATX_BASIC_STATS == STATX_BASIC_STATS,
        "mask {:#x}",
        extended.stx_mask
    );
    ensure!(
        extended.stx_size == 12
            && extended.stx_ino == plain.st_ino
            && u32::from(extended.stx_mode) == plain.st_mode
            && extended.stx_nlink == 1
            && extended.stx_mtime.tv_sec == plain.st_mtime
            && i64::from(extended.stx_mtime.tv_nsec) == plain.st_mtime_nsec
            && extended.stx_blocks == plain.st_blocks as u64,
        "statx {extended:?} disagrees with stat {plain:?}"
    );
    ensure!(
        missing.is_err_and(|error| error == Errno::ENOENT),
        "a missing file"
    );
    ensure!(
        bad_flags.is_err_and(|error| error == Errno::EINVAL),
        "unknown flags"
    );
    Ok(())
}

/// `statx` reports what `stat` does (size, inode, mode, links, blocks, times with
/// nanoseconds) with `STATX_BASIC_STATS` in its mask.
pub const EXTENDED_STATUS: Check = Check {
    name: "statx-basic-stats",
    covers: &["statx:basic-stats"],
    run: extended_status,
};
