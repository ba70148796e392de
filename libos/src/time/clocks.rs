//! Reading the clocks: CLOCK_MONOTONIC, CLOCK_BOOTTIME (the same clock: this system never
//! suspends) and CLOCK_REALTIME come from the time page and `rdtsc`, with no kernel entry.
//! CLOCK_MONOTONIC_RAW is CLOCK_MONOTONIC (nothing adjusts its rate), the COARSE clocks are their
//! fine ones (reading those costs no more), CLOCK_TAI is CLOCK_REALTIME (Linux's TAI offset is 0
//! until something sets it, and nothing here does), and the ALARM clocks read as their bases.
//! The CPU-time clocks ask the kernel (`EnvironmentStatus`: user plus kernel time of an
//! environment): CLOCK_THREAD_CPUTIME_ID the calling thread's, one call; CLOCK_PROCESS_CPUTIME_ID
//! the main thread's and every live thread's, one call each (threads that have ended no longer
//! count).

use libposix_sys::Errno;
use libposix_sys::clock::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
    CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
    CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID,
};
use libposix_sys::time::{Timespec, Timeval};

use crate::runtime::clock::{clock_monotonic, clock_realtime};

/// Nanoseconds on `clock` now.
///
/// # Errors
/// `EINVAL` for an unknown clock; `ENOSYS` for CLOCK_REALTIME in a program given no time page.
pub(crate) fn nanoseconds_on(clock: i32) -> Result<u64, Errno> {
    match clock {
        CLOCK_MONOTONIC
        | CLOCK_BOOTTIME
        | CLOCK_MONOTONIC_RAW
        | CLOCK_MONOTONIC_COARSE
        | CLOCK_BOOTTIME_ALARM => Ok(clock_monotonic()),
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_TAI | CLOCK_REALTIME_ALARM => {
            clock_realtime().map_err(|_| Errno::ENOSYS)
        }
        CLOCK_THREAD_CPUTIME_ID => {
            let slot = crate::thread::control_block::current()
                .environment
                .load(core::sync::atomic::Ordering::Acquire);
            let environment = if slot == 0 {
                exokernel_abi::initial::SELF_ENVIRONMENT
            } else {
                exokernel_abi::Slot(slot)
            };
            processor_time(environment)
        }
        CLOCK_PROCESS_CPUTIME_ID => {
            let mut total = processor_time(exokernel_abi::initial::SELF_ENVIRONMENT)?;
            for thread in crate::thread::registry::live() {
                // A thread that ended meanwhile no longer counts.
                total = total.saturating_add(processor_time(thread.environment).unwrap_or(0));
            }
            Ok(total)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The processor time (user plus kernel, nanoseconds) the kernel counted for `environment`.
fn processor_time(environment: exokernel_abi::Slot) -> Result<u64, Errno> {
    crate::kernel::call(exokernel_abi::Call::EnvironmentStatus { environment })
        .map(|words| words[3].saturating_add(words[4]))
        .map_err(|_| Errno::EINVAL)
}

/// `clock_gettime(clock)`: the time on `clock`.
///
/// # Errors
/// As [`nanoseconds_on`]: `EINVAL` for an unknown clock.
pub fn clock_gettime(clock: i32) -> Result<Timespec, Errno> {
    nanoseconds_on(clock).map(|nanoseconds| Timespec::from_nanoseconds(i128::from(nanoseconds)))
}

/// `clock_getres(clock)`: the clock's resolution, one nanosecond (the clocks count
/// timestamp-counter ticks, finer than a nanosecond on every supported machine).
///
/// # Errors
/// As [`clock_gettime`].
pub fn clock_getres(clock: i32) -> Result<Timespec, Errno> {
    nanoseconds_on(clock).map(|_| Timespec {
        tv_sec: 0,
        tv_nsec: 1,
    })
}

/// `gettimeofday()`: CLOCK_REALTIME in seconds and microseconds (the obsolete time-zone argument
/// is not taken).
///
/// # Errors
/// `ENOSYS` in a program given no time page.
pub fn gettimeofday() -> Result<Timeval, Errno> {
    let nanoseconds = nanoseconds_on(CLOCK_REALTIME)?;
    Ok(Timeval {
        tv_sec: i64::try_from(nanoseconds / 1_000_000_000).map_err(|_| Errno::EOVERFLOW)?,
        tv_usec: i64::try_from(nanoseconds % 1_000_000_000 / 1_000).unwrap_or(0),
    })
}

/// `time()`: whole seconds of CLOCK_REALTIME.
///
/// # Errors
/// `ENOSYS` in a program given no time page.
pub fn time() -> Result<i64, Errno> {
    let nanoseconds = nanoseconds_on(CLOCK_REALTIME)?;
    i64::try_from(nanoseconds / 1_000_000_000).map_err(|_| Errno::EOVERFLOW)
}
