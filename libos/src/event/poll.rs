//! `poll`, `ppoll`, `select`, `pselect6`: one pass over the descriptors' readiness; when none
//! is ready, a second pass registers interest in each object's shared header (so its other side
//! signals this process's notification), and one wait covers them all, then the pass repeats.
//! No kernel entry per descriptor while waiting, and none at all when something is ready.

use alloc::vec::Vec;

use libposix_sys::errno::Errno;
use libposix_sys::poll::{
    FD_SETSIZE, FdSet, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDNORM,
    POLLWRNORM, Pollfd,
};
use libposix_sys::time::{Timespec, Timeval};

use super::readiness;
use super::{Deadline, Waiting};
use crate::io::descriptors::description;
use crate::signal::wait_mask::WaitMask;

/// The signal set `ppoll` and `pselect6` install while waiting (8 bytes, Linux's `sigset_t`
/// as the kernel takes it).
pub type SignalSet = u64;

/// `revents` for one `pollfd`, registering interest when `waiting` is given and it is not ready.
fn poll_one(entry: &Pollfd, waiting: Option<&mut Waiting>) -> i16 {
    if entry.fd < 0 {
        return 0;
    }
    let Ok(file) = description(entry.fd) else {
        return POLLNVAL;
    };
    let events = readiness::status(&file).events;
    let asked = entry.events as u16 as u32;
    let mut revents = events & (asked | (POLLERR | POLLHUP) as u32);
    if events & readiness::IN != 0 && asked & POLLRDNORM as u32 != 0 {
        revents |= POLLRDNORM as u32;
    }
    if events & readiness::OUT != 0 && asked & POLLWRNORM as u32 != 0 {
        revents |= POLLWRNORM as u32;
    }
    if revents == 0
        && let Some(waiting) = waiting
    {
        let interest = (if asked & (POLLIN | POLLRDNORM) as u32 != 0 {
            readiness::IN
        } else {
            0
        }) | (if asked & (POLLOUT | POLLWRNORM) as u32 != 0 {
            readiness::OUT
        } else {
            0
        });
        waiting.add(readiness::register(&file, interest | readiness::RDHUP));
    }
    revents as u16 as i16
}

/// The signal mask a wait installs, as the raw `sigset_t` word.
pub(crate) fn wait_mask(mask: Option<&SignalSet>) -> Result<WaitMask, Errno> {
    let mask = mask.map(|bits| libposix_sys::signal::SignalSet::from_bits(*bits));
    WaitMask::install(mask.as_ref())
}

fn poll_until(
    fds: &mut [Pollfd],
    deadline: Deadline,
    mask: Option<&SignalSet>,
) -> Result<usize, Errno> {
    if fds.len() > vfs::fd_table::DEFAULT_LIMIT {
        return Err(Errno::EINVAL);
    }
    let signals = wait_mask(mask)?;
    loop {
        let mut ready = 0;
        for entry in fds.iter_mut() {
            entry.revents = poll_one(entry, None);
            ready += usize::from(entry.revents != 0);
        }
        if ready > 0 || deadline.passed() {
            return Ok(ready);
        }
        // Nothing ready: a handler that ran (or runs now, let through by the mask) ends the
        // wait, as Linux's poll does (never restarted).
        if signals.interrupted() {
            return Err(Errno::EINTR);
        }
        let mut waiting = Waiting::default();
        for entry in fds.iter_mut() {
            entry.revents = poll_one(entry, Some(&mut waiting));
            ready += usize::from(entry.revents != 0);
        }
        if ready > 0 {
            return Ok(ready);
        }
        // Cut short: a handler that ran ends the call at the top of the loop; a stop and a
        // continue with no handler do not (Linux restarts the wait with the same deadline).
        match waiting.sleep(deadline) {
            Err(Errno::EINTR) => {}
            other => other?,
        }
    }
}

/// `poll`: `timeout` milliseconds, negative for none, 0 to look without waiting.
///
/// # Errors
/// `EINVAL` for more descriptors than the table holds; `EINTR`.
pub fn poll(fds: &mut [Pollfd], timeout: i32) -> Result<usize, Errno> {
    poll_until(fds, Deadline::from_milliseconds(timeout), None)
}

fn timespec_nanoseconds(timeout: Option<&Timespec>) -> Result<Option<u64>, Errno> {
    timeout
        .map(|time| {
            if !time.is_valid() || time.tv_sec < 0 {
                return Err(Errno::EINVAL);
            }
            u64::try_from(time.as_nanoseconds()).map_err(|_| Errno::EINVAL)
        })
        .transpose()
}

/// `ppoll`: as [`poll`] with a `timespec` timeout (none: wait without limit) and, when given,
/// a signal mask that replaces the blocked mask for the length of the wait
/// (`signal::wait_mask`): a signal it lets through runs its handler and ends the wait with
/// `EINTR`.
///
/// # Errors
/// `EINVAL` for a bad timeout; as [`poll`].
pub fn ppoll(
    fds: &mut [Pollfd],
    timeout: Option<&Timespec>,
    mask: Option<&SignalSet>,
) -> Result<usize, Errno> {
    let nanoseconds = timespec_nanoseconds(timeout)?;
    poll_until(fds, Deadline::from_nanoseconds(nanoseconds), mask)
}

/// The three sets of `select`.
pub struct SelectSets<'a> {
    /// Descriptors to check for reading.
    pub read: Option<&'a mut FdSet>,
    /// For writing.
    pub write: Option<&'a mut FdSet>,
    /// For exceptional conditions (urgent data: never, on these objects).
    pub except: Option<&'a mut FdSet>,
}

fn select_until(
    count: i32,
    sets: SelectSets<'_>,
    deadline: Deadline,
    mask: Option<&SignalSet>,
) -> Result<usize, Errno> {
    let count = usize::try_from(count).map_err(|_| Errno::EINVAL)?;
    let count = count.min(FD_SETSIZE);
    let empty = FdSet::default();
    let asked: Vec<(usize, i16)> = (0..count)
        .filter_map(|fd| {
            let mut events = 0;
            if sets.read.as_deref().unwrap_or(&empty).contains(fd) {
                events |= POLLIN;
            }
            if sets.write.as_deref().unwrap_or(&empty).contains(fd) {
                events |= POLLOUT;
            }
            if sets.except.as_deref().unwrap_or(&empty).contains(fd) {
                events |= POLLPRI;
            }
            (events != 0).then_some((fd, events))
        })
        .collect();
    let mut entries: Vec<Pollfd> = asked
        .iter()
        .map(|&(fd, events)| Pollfd {
            fd: fd as i32,
            events,
            revents: 0,
        })
        .collect();
    // A closed descriptor in any set is EBADF before anything waits.
    if entries.iter().any(|entry| description(entry.fd).is_err()) {
        return Err(Errno::EBADF);
    }
    poll_until(&mut entries, deadline, mask)?;
    let mut results = [FdSet::default(), FdSet::default(), FdSet::default()];
    let mut ready = 0;
    for entry in &entries {
        let fd = entry.fd as usize;
        let revents = entry.revents;
        // Linux: readable includes hang-up and error; writable includes error.
        if entry.events & POLLIN != 0 && revents & (POLLIN | POLLHUP | POLLERR) != 0 {
            results[0].insert(fd);
            ready += 1;
        }
        if entry.events & POLLOUT != 0 && revents & (POLLOUT | POLLERR) != 0 {
            results[1].insert(fd);
            ready += 1;
        }
        if entry.events & POLLPRI != 0 && revents & POLLPRI != 0 {
            results[2].insert(fd);
            ready += 1;
        }
    }
    let [read, write, except] = results;
    for (set, result) in [
        (sets.read, read),
        (sets.write, write),
        (sets.except, except),
    ] {
        if let Some(set) = set {
            *set = result;
        }
    }
    Ok(ready)
}

/// `select`: descriptors below `count`; `timeout` none waits without limit and is updated with
/// the time left, as Linux does.
///
/// # Errors
/// `EINVAL` for a negative `count` or a bad timeout; `EBADF` for a closed descriptor in a set;
/// `EINTR`.
pub fn select(
    count: i32,
    sets: SelectSets<'_>,
    timeout: Option<&mut Timeval>,
) -> Result<usize, Errno> {
    let nanoseconds = match timeout.as_deref() {
        Some(time) => {
            if time.tv_sec < 0 || !(0..1_000_000).contains(&time.tv_usec) {
                return Err(Errno::EINVAL);
            }
            Some((time.tv_sec as u64).saturating_mul(1_000_000_000) + time.tv_usec as u64 * 1000)
        }
        None => None,
    };
    let deadline = Deadline::from_nanoseconds(nanoseconds);
    let result = select_until(count, sets, deadline, None);
    if let Some(time) = timeout {
        let left = deadline.remaining();
        time.tv_sec = (left / 1_000_000_000) as i64;
        time.tv_usec = ((left % 1_000_000_000) / 1000) as i64;
    }
    result
}

/// `pselect6`: as [`select`] with a `timespec` timeout that is not updated, and a signal mask
/// installed for the length of the wait, as [`ppoll`]'s.
///
/// # Errors
/// As [`select`].
pub fn pselect6(
    count: i32,
    sets: SelectSets<'_>,
    timeout: Option<&Timespec>,
    mask: Option<&SignalSet>,
) -> Result<usize, Errno> {
    let nanoseconds = timespec_nanoseconds(timeout)?;
    select_until(count, sets, Deadline::from_nanoseconds(nanoseconds), mask)
}
