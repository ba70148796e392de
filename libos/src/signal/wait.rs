//! Waiting for signals: `pause`, `sigsuspend`, `sigtimedwait`/`sigwaitinfo`, and `raise`.
//!
//! They wait on the process's event notification, which the process server signals with
//! [`crate::process::protocol::SIGNAL_EVENT_BIT`] whenever it makes a signal pending here, so a
//! signal generated between the last check and the wait is never missed.

use core::sync::atomic::Ordering;

use exokernel_abi::{Call, KernelError};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::Siginfo;
use libposix_sys::signal::SignalSet;
use libposix_sys::time::Timespec;

use super::delivery::{Epoch, deliver_pending};
use super::page::page;
use super::queue::take_pending;
use crate::kernel::call;
use crate::runtime::clock::clock_monotonic;

/// `raise`: sends `signal` to this process; a caught, unblocked one has run its handler when
/// this returns.
///
/// # Errors
/// As [`super::kill`]; `ENOSYS` without a process server.
pub fn raise(signal: i32) -> Result<(), Errno> {
    let pid = crate::process::identity::getpid()?;
    super::kill(pid, signal)
}

/// `rt_sigsuspend`: replaces the blocked mask with `mask` until a handler has run (or the
/// process ends), then restores it. Always ends with `EINTR`, as POSIX says.
///
/// # Errors
/// `EINTR` after a handler ran; `ENOSYS` without a process server.
pub fn sigsuspend(mask: &SignalSet) -> Result<(), Errno> {
    let page = page()?;
    let events = crate::process::identity::events_notification()?;
    let epoch = Epoch::now();
    let old = page.blocked.swap(
        mask.difference(SignalSet::UNBLOCKABLE).bits,
        Ordering::AcqRel,
    );
    loop {
        deliver_pending();
        if epoch.handler_ran() {
            break;
        }
        match call(Call::NotificationWait {
            notification: events,
            timeout: 0,
        }) {
            Ok(_) | Err(KernelError::Interrupted) => {}
            Err(_) => {
                page.blocked.store(old, Ordering::Release);
                return Err(Errno::ENOSYS);
            }
        }
    }
    page.blocked.store(old, Ordering::Release);
    deliver_pending();
    Err(Errno::EINTR)
}

/// `pause`: waits until a handler has run. Always ends with `EINTR`.
///
/// # Errors
/// `EINTR`; `ENOSYS` without a process server.
pub fn pause() -> Result<(), Errno> {
    let page = page()?;
    sigsuspend(&SignalSet::from_bits(page.blocked.load(Ordering::Acquire)))
}

/// `rt_sigtimedwait`: takes a pending signal of `set` (normally blocked by the caller) and
/// returns its `siginfo_t`, waiting up to `timeout` (`None`: forever).
///
/// # Errors
/// `EAGAIN` when the timeout passed; `EINTR` when a handler of a signal outside `set` ran;
/// `EINVAL` for a bad timeout; `ENOSYS` without a process server.
pub fn sigtimedwait(set: &SignalSet, timeout: Option<&Timespec>) -> Result<Siginfo, Errno> {
    let page = page()?;
    let deadline = match timeout {
        Some(timeout) if !timeout.is_valid() || timeout.tv_sec < 0 => return Err(Errno::EINVAL),
        Some(timeout) => Some(
            clock_monotonic()
                .saturating_add(u64::try_from(timeout.as_nanoseconds()).unwrap_or(u64::MAX)),
        ),
        None => None,
    };
    let wanted = set.bits;
    let events = crate::process::identity::events_notification()?;
    let epoch = Epoch::now();
    loop {
        let mut ready = page.pending.load(Ordering::Acquire) & wanted;
        while ready != 0 {
            let signal = ready.trailing_zeros() as i32 + 1;
            ready &= ready - 1;
            if let Some(information) = take_pending(page, signal) {
                // A handler entered while we took it left its signal for us to deliver.
                deliver_pending();
                return Ok(information);
            }
        }
        deliver_pending();
        if epoch.handler_ran() {
            return Err(Errno::EINTR);
        }
        let timeout = match deadline {
            None => 0,
            Some(deadline) => {
                let now = clock_monotonic();
                if now >= deadline {
                    return Err(Errno::EAGAIN);
                }
                deadline - now
            }
        };
        match call(Call::NotificationWait {
            notification: events,
            timeout,
        }) {
            Ok(_) | Err(KernelError::Interrupted | KernelError::TimedOut) => {}
            Err(_) => return Err(Errno::ENOSYS),
        }
    }
}

/// `sigwaitinfo`: [`sigtimedwait`] without a timeout.
///
/// # Errors
/// As [`sigtimedwait`].
pub fn sigwaitinfo(set: &SignalSet) -> Result<Siginfo, Errno> {
    sigtimedwait(set, None)
}
