//! Sleeping: a futex wait with a timeout on a word nobody wakes, repeated until the deadline has
//! passed on the monotonic clock (the kernel rounds timeouts up to its 10 ms tick, so a sleep
//! never ends early). One kernel entry per wait, no kernel object to create or pay for.

use core::sync::atomic::AtomicU32;

use exokernel_abi::KernelError;

use libposix_sys::Errno;
use libposix_sys::clock::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_TAI, TIMER_ABSTIME,
};
use libposix_sys::time::Timespec;

use super::clocks::nanoseconds_on;
use crate::runtime::clock::clock_monotonic;
use crate::thread::futex;

/// Waits until the monotonic clock reaches `deadline`, or until a signal handler runs: then
/// `Err(remaining nanoseconds)` (a sleep is never restarted after a handler, `SA_RESTART` or
/// not, as on Linux; a stop and continue without a handler just goes on sleeping).
fn sleep_until_monotonic(deadline: u64) -> Result<(), u64> {
    let word = AtomicU32::new(0);
    let epoch = crate::signal::delivery::Epoch::now();
    loop {
        let now = clock_monotonic();
        if now >= deadline {
            return Ok(());
        }
        if epoch.handler_ran() {
            return Err(deadline - now);
        }
        // A process using signals waits on its event notification, which the process server
        // signals whenever it makes a signal pending, so a handler that ran just before the
        // wait cannot leave it sleeping. Otherwise nobody wakes this word: the wait ends by its
        // timeout, or early when the thread is stopped (a forced entry, or a stop).
        // (Only the main thread, the one signals are delivered to: another thread taking the
        // notification's bits would steal the main thread's wake-ups.)
        let events = crate::signal::page::page_if_mapped()
            .filter(|_| crate::thread::is_main_thread())
            .and_then(|_| crate::process::identity::events_notification().ok());
        let result = match events {
            Some(notification) => crate::kernel::call(exokernel_abi::Call::NotificationWait {
                notification,
                timeout: deadline - now,
            })
            .map(|_| ()),
            None => futex::wait(&word, 0, Some(deadline - now)),
        };
        if let Err(KernelError::Interrupted) = result {
            crate::signal::delivery::deliver_pending();
        }
    }
}

/// Nanoseconds in a valid, non-negative `timespec`.
fn checked_duration(request: &Timespec) -> Result<u64, Errno> {
    if !request.is_valid() || request.tv_sec < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(u64::try_from(request.as_nanoseconds()).unwrap_or(u64::MAX))
}

/// `nanosleep(request)`: sleeps at least `request` on CLOCK_MONOTONIC.
///
/// # Errors
/// `EINVAL` when `tv_nsec` is outside 0..1e9 or `tv_sec` is negative; `EINTR` when a signal
/// handler ran during the sleep.
pub fn nanosleep(request: &Timespec) -> Result<(), Errno> {
    nanosleep_remaining(request, None)
}

/// `nanosleep(request, remaining)`: [`nanosleep`] that stores the time left in `remaining` when
/// a handler interrupts it.
///
/// # Errors
/// As [`nanosleep`].
pub fn nanosleep_remaining(
    request: &Timespec,
    remaining: Option<&mut Timespec>,
) -> Result<(), Errno> {
    let duration = checked_duration(request)?;
    sleep_until_monotonic(clock_monotonic().saturating_add(duration)).map_err(|left| {
        if let Some(remaining) = remaining {
            *remaining = Timespec::from_nanoseconds(i128::from(left));
        }
        Errno::EINTR
    })
}

/// `clock_nanosleep(clock, flags, request)`: sleeps for `request` on `clock`, or with
/// `TIMER_ABSTIME` until `clock` reads `request` (at once if it already has).
///
/// # Errors
/// `EINVAL` for a bad `timespec`, an unknown clock or CLOCK_THREAD_CPUTIME_ID; `EOPNOTSUPP` for
/// the clocks that can be read but not slept on (MONOTONIC_RAW, the COARSE and ALARM ones);
/// `ENOSYS` for CLOCK_PROCESS_CPUTIME_ID (no CPU-time accounting yet).
pub fn clock_nanosleep(clock: i32, flags: i32, request: &Timespec) -> Result<(), Errno> {
    if clock == libposix_sys::clock::CLOCK_THREAD_CPUTIME_ID {
        return Err(Errno::EINVAL);
    }
    let now_on_clock = nanoseconds_on(clock)?;
    if !matches!(
        clock,
        CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_REALTIME | CLOCK_TAI
    ) {
        // Clocks Linux can read but not sleep on (the RAW and COARSE ones; the ALARM ones need a
        // privilege no program here has).
        return Err(Errno::EOPNOTSUPP);
    }
    let duration = checked_duration(request)?;
    let now = clock_monotonic();
    let deadline = if flags & TIMER_ABSTIME != 0 {
        // The monotonic deadline at which `clock` will read `request`.
        let target = request.as_nanoseconds();
        let remaining = target - i128::from(now_on_clock);
        if remaining <= 0 {
            return Ok(());
        }
        now.saturating_add(u64::try_from(remaining).unwrap_or(u64::MAX))
    } else {
        now.saturating_add(duration)
    };
    sleep_until_monotonic(deadline).map_err(|_| Errno::EINTR)
}
