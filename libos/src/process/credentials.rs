//! User and group ids: the client side of the credentials the process server holds
//! (`docs/process-server.md`). The server is the authority (it decides every change and badges
//! this process's file-server capability with the effective ids); this LibOS caches what the
//! server last answered, so `getuid` and its kin cost no IPC after the first. A process that
//! lies to itself through this cache fools only itself.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use libposix_sys::errno::Errno;

use super::identity::request;
use super::protocol;

/// `real | effective << 32` and `saved` of one kind of id, and whether they are known.
struct Cached {
    real_effective: AtomicU64,
    saved: AtomicU32,
    known: AtomicBool,
}

impl Cached {
    const fn new() -> Self {
        Self {
            real_effective: AtomicU64::new(0),
            saved: AtomicU32::new(0),
            known: AtomicBool::new(false),
        }
    }

    fn store(&self, words: [u64; 2]) -> (u32, u32, u32) {
        self.real_effective.store(words[0], Ordering::Relaxed);
        self.saved.store(words[1] as u32, Ordering::Relaxed);
        self.known.store(true, Ordering::Release);
        (words[0] as u32, (words[0] >> 32) as u32, words[1] as u32)
    }

    /// `(real, effective, saved)`, asked of the server on first use.
    fn load(&self, which: u64) -> Result<(u32, u32, u32), Errno> {
        if self.known.load(Ordering::Acquire) {
            let both = self.real_effective.load(Ordering::Relaxed);
            return Ok((
                both as u32,
                (both >> 32) as u32,
                self.saved.load(Ordering::Relaxed),
            ));
        }
        let words = request(protocol::CREDENTIALS, [which, 0], None, None)?;
        Ok(self.store(words))
    }
}

static USERS: Cached = Cached::new();
static GROUPS: Cached = Cached::new();

/// The ids of a process without a process server (the servers themselves): root's.
fn or_root(ids: Result<(u32, u32, u32), Errno>) -> (u32, u32, u32) {
    ids.unwrap_or((0, 0, 0))
}

/// `getuid`: the real user id.
#[must_use]
pub fn getuid() -> u32 {
    or_root(USERS.load(protocol::USERS)).0
}

/// `geteuid`: the effective user id.
#[must_use]
pub fn geteuid() -> u32 {
    or_root(USERS.load(protocol::USERS)).1
}

/// `getgid`: the real group id.
#[must_use]
pub fn getgid() -> u32 {
    or_root(GROUPS.load(protocol::GROUPS)).0
}

/// `getegid`: the effective group id.
#[must_use]
pub fn getegid() -> u32 {
    or_root(GROUPS.load(protocol::GROUPS)).1
}

/// `getresuid`: the real, effective and saved user ids.
///
/// # Errors
/// `ENOSYS` without a process server.
pub fn getresuid(real: &mut u32, effective: &mut u32, saved: &mut u32) -> Result<(), Errno> {
    (*real, *effective, *saved) = USERS.load(protocol::USERS)?;
    Ok(())
}

/// `getresgid`: the real, effective and saved group ids.
///
/// # Errors
/// `ENOSYS` without a process server.
pub fn getresgid(real: &mut u32, effective: &mut u32, saved: &mut u32) -> Result<(), Errno> {
    (*real, *effective, *saved) = GROUPS.load(protocol::GROUPS)?;
    Ok(())
}

/// Asks the server for a change of ids and caches the answer. When the effective ids changed,
/// the server replaced our file-server capability: the old connection is forgotten (descriptors
/// of the shared file system opened before stop working: `EBADF`).
fn change(kind: u64, which: u64, ids: [u32; 3]) -> Result<(), Errno> {
    let effective_before = (geteuid(), getegid());
    let words = request(
        protocol::CHANGE_IDS | kind << 8 | which << 16,
        [
            u64::from(ids[0]) | u64::from(ids[1]) << 32,
            u64::from(ids[2]),
        ],
        None,
        None,
    )?;
    if which == protocol::GROUPS {
        GROUPS.store(words);
    } else {
        USERS.store(words);
    }
    if (geteuid(), getegid()) != effective_before {
        crate::fs::client::forget_connection();
    }
    Ok(())
}

/// `setuid`: privileged, sets the real, effective and saved user ids; otherwise sets the
/// effective one to the real or the saved one.
///
/// # Errors
/// `EPERM` (not permitted), `EINVAL` (`-1`), `ENOSYS` (no process server).
pub fn setuid(user: u32) -> Result<(), Errno> {
    change(protocol::SET_ID, protocol::USERS, [user, 0, 0])
}

/// `setgid`: as [`setuid`] for the group ids (privilege is the effective user id's).
///
/// # Errors
/// As [`setuid`].
pub fn setgid(group: u32) -> Result<(), Errno> {
    change(protocol::SET_ID, protocol::GROUPS, [group, 0, 0])
}

/// `setreuid`: the real and effective user ids (`u32::MAX`: unchanged).
///
/// # Errors
/// `EPERM`, `ENOSYS`.
pub fn setreuid(real: u32, effective: u32) -> Result<(), Errno> {
    change(
        protocol::SET_REAL_EFFECTIVE,
        protocol::USERS,
        [real, effective, 0],
    )
}

/// `setregid`: the real and effective group ids (`u32::MAX`: unchanged).
///
/// # Errors
/// `EPERM`, `ENOSYS`.
pub fn setregid(real: u32, effective: u32) -> Result<(), Errno> {
    change(
        protocol::SET_REAL_EFFECTIVE,
        protocol::GROUPS,
        [real, effective, 0],
    )
}

/// `setresuid`: the real, effective and saved user ids (`u32::MAX`: unchanged).
///
/// # Errors
/// `EPERM`, `ENOSYS`.
pub fn setresuid(real: u32, effective: u32, saved: u32) -> Result<(), Errno> {
    change(protocol::SET_ALL, protocol::USERS, [real, effective, saved])
}

/// `setresgid`: the real, effective and saved group ids (`u32::MAX`: unchanged).
///
/// # Errors
/// `EPERM`, `ENOSYS`.
pub fn setresgid(real: u32, effective: u32, saved: u32) -> Result<(), Errno> {
    change(
        protocol::SET_ALL,
        protocol::GROUPS,
        [real, effective, saved],
    )
}

/// `getgroups`: with an empty `list`, the number of supplementary groups; otherwise fills
/// `list` and answers the number.
///
/// # Errors
/// `EINVAL` when `list` is non-empty but too small; `ENOSYS`.
pub fn getgroups(list: &mut [u32]) -> Result<usize, Errno> {
    let mut index = 0usize;
    loop {
        let [count, pair] = request(
            protocol::SUPPLEMENTARY_GROUPS,
            [index as u64, 0],
            None,
            None,
        )?;
        let count = count as usize;
        if list.is_empty() {
            return Ok(count);
        }
        if list.len() < count {
            return Err(Errno::EINVAL);
        }
        for (offset, group) in [pair as u32, (pair >> 32) as u32].into_iter().enumerate() {
            if index + offset < count {
                list[index + offset] = group;
            }
        }
        index += 2;
        if index >= count {
            return Ok(count);
        }
    }
}

/// `setgroups`: replaces the supplementary groups (privileged only).
///
/// # Errors
/// `EPERM` (unprivileged), `EINVAL` (more than the server's 32, or a group id of `-1`),
/// `ENOSYS`.
pub fn setgroups(groups: &[u32]) -> Result<(), Errno> {
    let count = groups.len() as u64;
    if groups.is_empty() {
        request(protocol::SET_SUPPLEMENTARY_GROUPS, [0, 0], None, None)?;
        return Ok(());
    }
    for (index, pair) in groups.chunks(2).enumerate() {
        let second = pair.get(1).copied().unwrap_or(0);
        request(
            protocol::SET_SUPPLEMENTARY_GROUPS,
            [
                count | ((index as u64 * 2) << 32),
                u64::from(pair[0]) | u64::from(second) << 32,
            ],
            None,
            None,
        )?;
    }
    Ok(())
}
