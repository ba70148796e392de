//! `alarm` and `setitimer`/`getitimer`: the process server keeps each process's real-time timer
//! (`ITIMER_REAL`; one kernel timer of its own serves them all) and sends `SIGALRM` when it
//! expires, so the signal arrives like any other, even in a busy loop; likewise `ITIMER_VIRTUAL`
//! (the process's user time, `SIGVTALRM`) and `ITIMER_PROF` (user and system time, `SIGPROF`),
//! whose expiry it looks for from the kernel's processor-time figures (about every millisecond
//! while one is near).

use exokernel_abi::{Call, KernelError, OptionalSlot};
use libposix_sys::errno::Errno;
use libposix_sys::time::{ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL, Itimerval, Timeval};

use crate::kernel::call;
use crate::process::identity::PROCESS_SERVER;
use crate::process::protocol;

const NANOSECONDS_PER_MICROSECOND: u64 = 1_000;
const NANOSECONDS_PER_SECOND: u64 = 1_000_000_000;

/// Asks the server to set timer `which` to `value` then every `interval` nanoseconds (`value`
/// 0: disarm). Returns the previous `(remaining, interval)`.
fn exchange(which: i32, value: u64, interval: u64, set: bool) -> Result<(u64, u64), Errno> {
    let operation = match (which, set) {
        (ITIMER_REAL, true) => protocol::SET_ALARM,
        (ITIMER_REAL, false) => protocol::GET_ALARM,
        (_, true) => protocol::SET_CPU_TIMER | (which as u64) << 8,
        (_, false) => protocol::GET_CPU_TIMER | (which as u64) << 8,
    };
    let reply = loop {
        match call(Call::IpcCall {
            endpoint: PROCESS_SERVER,
            word0: operation,
            word1: value,
            word2: interval,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        }) {
            Ok(reply) => break reply,
            Err(KernelError::Interrupted) => super::delivery::deliver_pending(),
            Err(_) => return Err(Errno::ENOSYS),
        }
    };
    match reply[1] {
        0 => Ok((reply[2], reply[3])),
        errno => Err(Errno::from_raw(errno as i32).unwrap_or(Errno::EIO)),
    }
}

fn to_nanoseconds(value: &Timeval) -> Result<u64, Errno> {
    if value.tv_sec < 0 || !(0..1_000_000).contains(&value.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok((value.tv_sec as u64)
        .saturating_mul(NANOSECONDS_PER_SECOND)
        .saturating_add(value.tv_usec as u64 * NANOSECONDS_PER_MICROSECOND))
}

fn to_timeval(nanoseconds: u64) -> Timeval {
    // Round up to whole microseconds: a running timer never reads 0.
    let microseconds = nanoseconds.div_ceil(NANOSECONDS_PER_MICROSECOND);
    Timeval {
        tv_sec: (microseconds / 1_000_000) as i64,
        tv_usec: (microseconds % 1_000_000) as i64,
    }
}

/// `alarm`: `SIGALRM` in `seconds` (0 cancels); returns the seconds that were left of the
/// previous alarm (rounded up), 0 if none.
#[must_use]
pub fn alarm(seconds: u32) -> u32 {
    match exchange(
        ITIMER_REAL,
        u64::from(seconds) * NANOSECONDS_PER_SECOND,
        0,
        true,
    ) {
        Ok((remaining, _)) => remaining.div_ceil(NANOSECONDS_PER_SECOND) as u32,
        Err(_) => 0,
    }
}

/// `setitimer`: sets timer `which` (`ITIMER_REAL`: `SIGALRM` after `it_value` of real time;
/// `ITIMER_VIRTUAL`: `SIGVTALRM` after that much user time of the process; `ITIMER_PROF`:
/// `SIGPROF` after that much user and system time; then every `it_interval`) and optionally
/// returns the old setting.
///
/// # Errors
/// `EINVAL` for an unknown timer or a bad `timeval`; `ENOSYS` without a process server.
pub fn setitimer(which: i32, new: &Itimerval, old: Option<&mut Itimerval>) -> Result<(), Errno> {
    check_which(which)?;
    let value = to_nanoseconds(&new.it_value)?;
    let interval = to_nanoseconds(&new.it_interval)?;
    let (remaining, period) = exchange(which, value, interval, true)?;
    if let Some(old) = old {
        *old = Itimerval {
            it_interval: to_timeval(period),
            it_value: to_timeval(remaining),
        };
    }
    Ok(())
}

/// `getitimer`: timer `which`'s time to the next expiry (on its clock) and period.
///
/// # Errors
/// As [`setitimer`].
pub fn getitimer(which: i32) -> Result<Itimerval, Errno> {
    check_which(which)?;
    let (remaining, period) = exchange(which, 0, 0, false)?;
    Ok(Itimerval {
        it_interval: to_timeval(period),
        it_value: to_timeval(remaining),
    })
}

fn check_which(which: i32) -> Result<(), Errno> {
    match which {
        ITIMER_REAL | ITIMER_VIRTUAL | ITIMER_PROF => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}
