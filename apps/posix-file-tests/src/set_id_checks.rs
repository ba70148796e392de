//! Checks of the set-user-ID and set-group-ID bits' rules, which the file server applies: a
//! write or truncation by anyone but root takes them away (set-group-ID only from a
//! group-executable file), root's writes keep them, and an owner outside the file's group
//! cannot set set-group-ID. The server sees a write when a description first gets the file's
//! frames (later writes through mapped pages never reach it), so each step writes through a
//! description that has not written before.

use libos::fs::{chmod, chown, fstat, ftruncate, open, stat, unlink};
use libos::io::{close, write};
use libos::process::credentials::{setgid, setuid};
use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::fcntl::{O_CREAT, O_TRUNC, O_WRONLY};

use crate::ensure;

/// A write, a truncation and `chmod` against the set-ID bits, as Linux applies them.
pub const SET_ID_BITS: Check = Check {
    name: "chmod-set-id-bits-rules",
    covers: &[
        "chmod:S_ISGID-cleared-outside-group",
        "write:clears-S_ISUID-S_ISGID",
        "ftruncate:clears-S_ISUID-S_ISGID",
    ],
    run: set_id_bits,
};

const FOREIGN_GROUP: &str = "/tmp/set-id-foreign-group";
const OWN: &str = "/tmp/set-id-own";
const ROOTS: &str = "/tmp/set-id-root";

fn permissions(path: &str) -> u32 {
    stat(path).map_or(u32::MAX, |status| status.st_mode & 0o7777)
}

fn descriptor_permissions(fd: i32) -> u32 {
    fstat(fd).map_or(u32::MAX, |status| status.st_mode & 0o7777)
}

/// As user and group 1000: the steps of the check; the exit code names the first that failed.
fn unprivileged_steps() -> i32 {
    if setgid(1000).is_err() || setuid(1000).is_err() {
        return 10;
    }
    // Owner, but not in group 0: set-group-ID is dropped, set-user-ID kept.
    if chmod(FOREIGN_GROUP, 0o6755).is_err() || permissions(FOREIGN_GROUP) != 0o4755 {
        return 11;
    }
    let Ok(fd) = open(OWN, O_CREAT | O_WRONLY, 0o755) else {
        return 12;
    };
    if chmod(OWN, 0o6755).is_err() || permissions(OWN) != 0o6755 {
        return 13;
    }
    if write(fd, b"#!/bin/sh\n") != Ok(10) || descriptor_permissions(fd) != 0o755 {
        return 14;
    }
    if chmod(OWN, 0o6755).is_err() || ftruncate(fd, 0).is_err() || permissions(OWN) != 0o755 {
        return 15;
    }
    let _ = close(fd);
    // Without group execute, set-group-ID stays through a write (a fresh description: one
    // already writing through mapped pages does not ask the server again).
    let Ok(fd) = open(OWN, O_WRONLY, 0) else {
        return 16;
    };
    let ok = chmod(OWN, 0o6745).is_ok()
        && write(fd, b"x") == Ok(1)
        && descriptor_permissions(fd) == 0o2745;
    let _ = close(fd);
    if ok { 0 } else { 17 }
}

fn set_id_bits() -> CheckOutcome {
    for path in [FOREIGN_GROUP, OWN, ROOTS] {
        let _ = unlink(path);
    }
    let fd = open(FOREIGN_GROUP, O_CREAT | O_WRONLY, 0o755)
        .map_err(|error| alloc::format!("create {FOREIGN_GROUP}: {error}"))?;
    let _ = close(fd);
    chown(FOREIGN_GROUP, 1000, 0).map_err(|error| alloc::format!("chown: {error}"))?;
    let root_fd = open(ROOTS, O_CREAT | O_WRONLY | O_TRUNC, 0o6755)
        .map_err(|error| alloc::format!("create {ROOTS}: {error}"))?;
    chmod(ROOTS, 0o6755).map_err(|error| alloc::format!("chmod: {error}"))?;
    let written = write(root_fd, b"root");
    let truncated = ftruncate(root_fd, 1);
    let root_kept = descriptor_permissions(root_fd);
    let _ = close(root_fd);
    let child = fork().map_err(|error| alloc::format!("fork: {error}"))?;
    if child == 0 {
        _exit(unprivileged_steps());
    }
    let mut status = 0;
    let _ = waitpid(child, Some(&mut status), 0);
    let (foreign, own) = (permissions(FOREIGN_GROUP), permissions(OWN));
    for path in [FOREIGN_GROUP, OWN, ROOTS] {
        let _ = unlink(path);
    }
    ensure!(
        written == Ok(4) && truncated.is_ok() && root_kept == 0o6755,
        "root's write and truncation: {written:?}, {truncated:?}, mode {root_kept:o} (want 6755)"
    );
    ensure!(
        status == 0,
        "user 1000's step {} failed (wait status {status:#x}; {FOREIGN_GROUP} {foreign:o}, \
         {OWN} {own:o})",
        (status >> 8) & 0xff
    );
    Ok(())
}
