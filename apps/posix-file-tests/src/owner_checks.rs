//! `chown`, `fchown`, `lchown` and `fchownat` on the shared root: only root gives a file away,
//! an owner may set the group to its own, `-1` leaves an id, set-id bits are cleared, and the
//! server enforces it for a client that bypasses its LibOS.

use libos::fs::protocol::{OWNER_FOLLOW, Operation, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::fs::{chown, fchown, fchownat, lchown, lstat, open, stat, symlink, unlink};
use libos::io::close;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{AT_EMPTY_PATH, AT_FDCWD, O_CREAT, O_EXCL, O_PATH, O_RDWR, O_WRONLY};

use crate::ensure;
use crate::permission_checks::RawConnection;

fn owners() -> CheckOutcome {
    let path = "/tmp/owned";
    let _ = unlink(path);
    let fd = open(path, O_CREAT | O_RDWR, 0o644).map_err(|e| alloc::format!("{e}"))?;
    let outcome = (|| {
        chown(path, 1234, 5678).map_err(|e| alloc::format!("chown: {e}"))?;
        let status = stat(path).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            (status.st_uid, status.st_gid) == (1234, 5678),
            "chown gave {}:{}",
            status.st_uid,
            status.st_gid
        );
        fchown(fd, u32::MAX, 42).map_err(|e| alloc::format!("fchown: {e}"))?;
        let status = stat(path).map_err(|e| alloc::format!("{e}"))?;
        ensure!(
            (status.st_uid, status.st_gid) == (1234, 42),
            "-1 must leave the owner: {}:{}",
            status.st_uid,
            status.st_gid
        );
        // Set-id bits go on a regular file; set-group-ID only when group-executable.
        libos::fs::fchmod(fd, 0o6755).map_err(|e| alloc::format!("{e}"))?;
        chown(path, 0, 0).map_err(|e| alloc::format!("{e}"))?;
        let mode = stat(path).map(|status| status.st_mode & 0o7777);
        ensure!(mode == Ok(0o755), "after chown the mode is {mode:?}");
        libos::fs::fchmod(fd, 0o6745).map_err(|e| alloc::format!("{e}"))?;
        chown(path, 0, 0).map_err(|e| alloc::format!("{e}"))?;
        let mode = stat(path).map(|status| status.st_mode & 0o7777);
        ensure!(
            mode == Ok(0o2745),
            "non-group-executable keeps set-group-ID: {mode:?}"
        );
        // lchown changes the link, chown follows it.
        let _ = unlink("/tmp/owned-link");
        symlink(path, "/tmp/owned-link").map_err(|e| alloc::format!("{e}"))?;
        lchown("/tmp/owned-link", 77, 77).map_err(|e| alloc::format!("lchown: {e}"))?;
        let link = lstat("/tmp/owned-link").map(|status| status.st_uid);
        let target = stat(path).map(|status| status.st_uid);
        ensure!(
            link == Ok(77) && target == Ok(0),
            "lchown: link {link:?}, target {target:?}"
        );
        let by_path = open(path, O_PATH, 0).map_err(|e| alloc::format!("{e}"))?;
        let empty = fchownat(by_path, "", 99, u32::MAX, AT_EMPTY_PATH);
        let _ = close(by_path);
        ensure!(
            empty == Ok(()),
            "fchownat AT_EMPTY_PATH on O_PATH: {empty:?}"
        );
        ensure!(
            stat(path).map(|status| status.st_uid) == Ok(99),
            "AT_EMPTY_PATH owner"
        );
        let bad = fchownat(AT_FDCWD, path, 0, 0, 0x1000_0000);
        ensure!(bad == Err(Errno::EINVAL), "unknown flags: {bad:?}");
        let device = chown("/dev/null", 1, 1);
        ensure!(device == Err(Errno::EPERM), "devfs: {device:?}");
        let missing = chown("/tmp/owned-none", 1, 1);
        ensure!(missing == Err(Errno::ENOENT), "missing: {missing:?}");
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink(path);
    let _ = unlink("/tmp/owned-link");
    outcome
}

/// Root's `chown`/`fchown`/`lchown`/`fchownat`: new owner and group, `-1` keeps an id,
/// set-user-ID and (group-executable) set-group-ID cleared, links not followed by `lchown`,
/// `AT_EMPTY_PATH`, `EINVAL`, `ENOENT`, devfs `EPERM`.
pub const OWNERS: Check = Check {
    name: "chown-fchown-lchown",
    covers: &[
        "chown:root",
        "fchown",
        "lchown",
        "fchownat:AT_EMPTY_PATH",
        "chown:clears-set-id",
    ],
    run: owners,
};

fn owner_rules() -> CheckOutcome {
    let roots = "/tmp/owned-by-root";
    let _ = unlink(roots);
    let fd = open(roots, O_CREAT | O_EXCL | O_WRONLY, 0o666).map_err(|e| alloc::format!("{e}"))?;
    let _ = close(fd);
    let outcome = (|| {
        let other = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        let change = |path: &str, user: u32, group: u32| {
            other.path_call(
                Operation::ChangeOwner,
                path,
                u64::from(user) | (u64::from(group) << 32),
                OWNER_FOLLOW,
            )
        };
        let steal = change(roots, 1000, 1000);
        ensure!(steal == Err(Errno::EPERM), "taking root's file: {steal:?}");
        other
            .open_with_mode("/tmp/owned-by-1000", O_CREAT | O_EXCL | O_WRONLY, 0o644)
            .map_err(|e| alloc::format!("create as 1000: {e}"))?;
        let give = change("/tmp/owned-by-1000", 0, u32::MAX);
        ensure!(give == Err(Errno::EPERM), "giving its file away: {give:?}");
        let foreign = change("/tmp/owned-by-1000", u32::MAX, 0);
        ensure!(
            foreign == Err(Errno::EPERM),
            "to a group it is not in: {foreign:?}"
        );
        let own_group = change("/tmp/owned-by-1000", u32::MAX, 1000);
        ensure!(own_group == Ok(0), "to its own group: {own_group:?}");
        let same = change("/tmp/owned-by-1000", 1000, u32::MAX);
        ensure!(same == Ok(0), "to itself: {same:?}");
        let status = stat(roots).map(|status| status.st_uid);
        ensure!(status == Ok(0), "root's file now belongs to {status:?}");
        Ok(())
    })();
    let _ = unlink(roots);
    let _ = unlink("/tmp/owned-by-1000");
    outcome
}

/// The server enforces `chown`'s rules for a client that bypasses its LibOS: user 1000 cannot
/// take root's file, give its own away, or pick a group it is not in; it may set its own group.
pub const OWNER_RULES: Check = Check {
    name: "chown-permissions-in-server",
    covers: &[
        "chown:EPERM",
        "chown:owner-own-group",
        "chown:permissions-in-server",
    ],
    run: owner_rules,
};
