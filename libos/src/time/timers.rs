//! POSIX per-process timers: `timer_create`, `timer_settime`, `timer_gettime`,
//! `timer_getoverrun` and `timer_delete`. The process server keeps them beside `ITIMER_REAL`
//! and sends the timer's signal (`si_code` `SI_TIMER`, `si_timerid`, `si_overrun`, `si_value`)
//! when one expires, as it sends `SIGALRM`; each call is one IPC. Timers are not inherited by a
//! `fork` child and are deleted by `execve`.

use alloc::collections::BTreeMap;

use libposix_sys::clock::{
    CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME,
    CLOCK_THREAD_CPUTIME_ID,
};
use libposix_sys::errno::Errno;
use libposix_sys::signal::SIGALRM;
use libposix_sys::time::{
    Itimerspec, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID, Sigevent, Timespec,
};
use spin::Mutex;

use crate::process::identity::request;
use crate::process::protocol;

/// `timer_settime` flag: `it_value` is an absolute time on the timer's clock.
pub const TIMER_ABSTIME: i32 = 1;

/// The clock of each of our timers, by id (the server counts every timer on the monotonic
/// clock; an absolute time on the real-time clock is turned into a delay here).
static CLOCKS: Mutex<BTreeMap<i32, i32>> = Mutex::new(BTreeMap::new());

/// In a new `fork` child: the parent's timers are not ours.
pub(crate) fn forget_after_fork() {
    CLOCKS.lock().clear();
}

fn nanoseconds(value: &Timespec) -> Result<u64, Errno> {
    if !value.is_valid() || value.tv_sec < 0 {
        return Err(Errno::EINVAL);
    }
    u64::try_from(value.as_nanoseconds()).map_err(|_| Errno::EINVAL)
}

fn setting(remaining: u64, period: u64) -> Itimerspec {
    Itimerspec {
        it_interval: Timespec::from_nanoseconds(i128::from(period)),
        it_value: Timespec::from_nanoseconds(i128::from(remaining)),
    }
}

fn clock_of(timer: i32) -> Result<i32, Errno> {
    CLOCKS.lock().get(&timer).copied().ok_or(Errno::EINVAL)
}

/// `timer_create(clock, event)`: a new timer on `clock` (CLOCK_REALTIME, CLOCK_MONOTONIC,
/// CLOCK_BOOTTIME, or CLOCK_PROCESS_CPUTIME_ID: the process's processor time, whose expiry the
/// process server looks for about every millisecond while it is near), disarmed. `event` `None` means `SIGEV_SIGNAL` with `SIGALRM` and the timer's
/// id as its value, as POSIX says; `SIGEV_NONE` only counts.
///
/// # Errors
/// `EINVAL` (an unknown clock, a bad signal or notification), `ENOTSUP` (CLOCK_THREAD_CPUTIME_ID,
/// `SIGEV_THREAD` and `SIGEV_THREAD_ID`: not offered), `EAGAIN` (32 timers already), `ENOSYS`
/// (not registered with the process server).
pub fn timer_create(clock: i32, event: Option<&Sigevent>) -> Result<i32, Errno> {
    let on_processor_time = match clock {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME => false,
        CLOCK_PROCESS_CPUTIME_ID => true,
        CLOCK_THREAD_CPUTIME_ID => return Err(Errno::ENOTSUP),
        _ => return Err(Errno::EINVAL),
    };
    let (signal, value, by_id) = match event {
        None => (SIGALRM, 0, true),
        Some(event) => match event.sigev_notify {
            SIGEV_SIGNAL => {
                if event.sigev_signo <= 0 || event.sigev_signo > libposix_sys::signal::SIGRTMAX {
                    return Err(Errno::EINVAL);
                }
                (event.sigev_signo, event.sigev_value, false)
            }
            SIGEV_NONE => (0, 0, false),
            SIGEV_THREAD | SIGEV_THREAD_ID => return Err(Errno::ENOTSUP),
            _ => return Err(Errno::EINVAL),
        },
    };
    let signal_word = signal as u64
        | if by_id {
            protocol::TIMER_VALUE_IS_ID
        } else {
            0
        }
        | if on_processor_time {
            protocol::TIMER_PROCESS_CPU_CLOCK
        } else {
            0
        };
    let [id, _] = request(protocol::TIMER_CREATE, [signal_word, value], None, None)?;
    let id = id as i32;
    CLOCKS.lock().insert(id, clock);
    Ok(id)
}

/// `timer_settime(timer, flags, new, old)`: arms (a zero `it_value` disarms) the timer, with
/// `TIMER_ABSTIME` at an absolute time of its clock (one already past expires at once); `old`
/// gets the previous setting.
///
/// # Errors
/// `EINVAL` (no such timer, an invalid time, unknown flags), `ENOSYS`.
pub fn timer_settime(
    timer: i32,
    flags: i32,
    new: &Itimerspec,
    old: Option<&mut Itimerspec>,
) -> Result<(), Errno> {
    if flags & !TIMER_ABSTIME != 0 {
        return Err(Errno::EINVAL);
    }
    let clock = clock_of(timer)?;
    let mut first = nanoseconds(&new.it_value)?;
    let period = nanoseconds(&new.it_interval)?;
    if flags & TIMER_ABSTIME != 0 && first != 0 {
        let now = super::clocks::nanoseconds_on(clock)?;
        // Already past: expire as soon as possible (1 ns).
        first = first.saturating_sub(now).max(1);
    }
    let [remaining, previous_period] = request(
        protocol::TIMER_SET | (timer as u64) << 8,
        [first, period],
        None,
        None,
    )?;
    if let Some(old) = old {
        *old = setting(remaining, previous_period);
    }
    Ok(())
}

/// `timer_gettime(timer)`: the time to the next expiry (0: disarmed) and the period.
///
/// # Errors
/// `EINVAL` (no such timer), `ENOSYS`.
pub fn timer_gettime(timer: i32) -> Result<Itimerspec, Errno> {
    clock_of(timer)?;
    let [remaining, period] = request(
        protocol::TIMER_GET | (timer as u64) << 8,
        [0, 0],
        None,
        None,
    )?;
    Ok(setting(remaining, period))
}

/// `timer_getoverrun(timer)`: expiries that came while the timer's last signal was still
/// pending.
///
/// # Errors
/// `EINVAL` (no such timer), `ENOSYS`.
pub fn timer_getoverrun(timer: i32) -> Result<i32, Errno> {
    clock_of(timer)?;
    let [overrun, _] = request(
        protocol::TIMER_OVERRUN | (timer as u64) << 8,
        [0, 0],
        None,
        None,
    )?;
    Ok(i32::try_from(overrun).unwrap_or(i32::MAX))
}

/// `timer_delete(timer)`: disarms and removes it (a signal already pending stays).
///
/// # Errors
/// `EINVAL` (no such timer), `ENOSYS`.
pub fn timer_delete(timer: i32) -> Result<(), Errno> {
    clock_of(timer)?;
    request(
        protocol::TIMER_DELETE | (timer as u64) << 8,
        [0, 0],
        None,
        None,
    )?;
    CLOCKS.lock().remove(&timer);
    Ok(())
}
