//! Resource limits: `getrlimit`, `setrlimit`, `prlimit64` (`docs/process-server.md`).
//!
//! The process server keeps every process's limits (inherited by `fork` and `spawn`, kept by
//! `execve`) and enforces `RLIMIT_NPROC` when a child is registered. `RLIMIT_NOFILE` and
//! `RLIMIT_AS` bound only this process's own descriptor table and memory, so this LibOS enforces
//! them from a copy it fetches once (and keeps true on every `setrlimit`).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use libposix_sys::errno::Errno;
use libposix_sys::resource::{RLIM_INFINITY, RLIMIT_AS, RLIMIT_NOFILE, Rlimit};

use super::identity::request;
use super::protocol;

/// Linux's default soft `RLIMIT_NOFILE`, also used without a process server.
const DEFAULT_DESCRIPTORS: u64 = 1024;

static KNOWN: AtomicBool = AtomicBool::new(false);
static DESCRIPTORS: AtomicU64 = AtomicU64::new(DEFAULT_DESCRIPTORS);
static ADDRESS_SPACE: AtomicU64 = AtomicU64::new(RLIM_INFINITY);

/// Fetches the soft limits this LibOS enforces, once per program (a `fork` child inherits the
/// copy with the rest of the memory, as the server gives it the same limits).
fn fetch() {
    if KNOWN.load(Ordering::Acquire) {
        return;
    }
    if let Ok([soft, _]) = request(protocol::LIMIT, [u64::from(RLIMIT_NOFILE), 0], None, None) {
        DESCRIPTORS.store(soft, Ordering::Relaxed);
    }
    if let Ok([soft, _]) = request(protocol::LIMIT, [u64::from(RLIMIT_AS), 0], None, None) {
        ADDRESS_SPACE.store(soft, Ordering::Relaxed);
    }
    KNOWN.store(true, Ordering::Release);
}

/// The soft `RLIMIT_NOFILE`: one more than the highest descriptor this process may open.
#[must_use]
pub fn descriptor_limit() -> u64 {
    fetch();
    DESCRIPTORS.load(Ordering::Relaxed)
}

/// The soft `RLIMIT_AS` in bytes: the most memory `mmap` and `brk` may hold mapped at once.
#[must_use]
pub fn address_space_limit() -> u64 {
    fetch();
    ADDRESS_SPACE.load(Ordering::Relaxed)
}

/// `getrlimit`: the soft and hard limit of `resource`.
///
/// # Errors
/// `EINVAL` for a resource this system does not enforce (only `RLIMIT_NOFILE`, `RLIMIT_NPROC`
/// and `RLIMIT_AS` exist); `ENOSYS` without a process server.
pub fn getrlimit(resource: u32, limit: &mut Rlimit) -> Result<(), Errno> {
    let [soft, hard] = request(protocol::LIMIT, [u64::from(resource), 0], None, None)?;
    *limit = Rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    Ok(())
}

/// `setrlimit`: sets the soft and hard limit of `resource`. Lowering is always allowed; raising
/// the hard limit needs an effective user id of 0. A lower `RLIMIT_NOFILE` keeps descriptors
/// already open above it, as on Linux.
///
/// # Errors
/// `EINVAL` (soft above hard, unknown resource), `EPERM` (raising the hard limit unprivileged,
/// or `RLIMIT_NOFILE` above 4096), `ENOSYS`.
pub fn setrlimit(resource: u32, limit: &Rlimit) -> Result<(), Errno> {
    if resource > 0xff {
        return Err(Errno::EINVAL);
    }
    fetch();
    request(
        protocol::SET_LIMIT | u64::from(resource) << 8,
        [limit.rlim_cur, limit.rlim_max],
        None,
        None,
    )?;
    match resource {
        RLIMIT_NOFILE => {
            DESCRIPTORS.store(limit.rlim_cur, Ordering::Relaxed);
            crate::io::descriptors::set_limit(limit.rlim_cur);
        }
        RLIMIT_AS => ADDRESS_SPACE.store(limit.rlim_cur, Ordering::Relaxed),
        _ => {}
    }
    Ok(())
}

/// `prlimit64`: reads (into `old`) and then sets (from `new`) a limit of process `pid` (0:
/// the caller).
///
/// # Errors
/// As [`getrlimit`] and [`setrlimit`]; `EPERM` for another process (this system lets a process
/// read and change only its own limits).
pub fn prlimit64(
    pid: i32,
    resource: u32,
    new: Option<&Rlimit>,
    old: Option<&mut Rlimit>,
) -> Result<(), Errno> {
    if pid != 0 && Ok(pid) != super::identity::getpid() {
        return Err(if pid < 0 { Errno::EINVAL } else { Errno::EPERM });
    }
    if let Some(old) = old {
        getrlimit(resource, old)?;
    }
    if let Some(new) = new {
        setrlimit(resource, new)?;
    }
    Ok(())
}
