//! Clock IDs (`CLOCK_*`) for `clock_gettime`, `clock_nanosleep`, `timer_create` and `timerfd_create`.

/// Wall-clock time, settable.
pub const CLOCK_REALTIME: i32 = 0;
/// Time since an unspecified point (boot), not counting suspend; never jumps.
pub const CLOCK_MONOTONIC: i32 = 1;
/// CPU time consumed by the process.
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
/// CPU time consumed by the thread.
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
/// `CLOCK_MONOTONIC` without NTP frequency adjustment.
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
/// Faster, coarser `CLOCK_REALTIME`.
pub const CLOCK_REALTIME_COARSE: i32 = 5;
/// Faster, coarser `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
/// `CLOCK_MONOTONIC` that also counts time suspended.
pub const CLOCK_BOOTTIME: i32 = 7;
/// `CLOCK_REALTIME` timers that wake the system from suspend.
pub const CLOCK_REALTIME_ALARM: i32 = 8;
/// `CLOCK_BOOTTIME` timers that wake the system from suspend.
pub const CLOCK_BOOTTIME_ALARM: i32 = 9;
/// International Atomic Time.
pub const CLOCK_TAI: i32 = 11;

/// `clock_nanosleep`, `timer_settime`: the time is absolute, not relative.
pub const TIMER_ABSTIME: i32 = 1;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            CLOCK_REALTIME,
            CLOCK_MONOTONIC,
            CLOCK_PROCESS_CPUTIME_ID,
            CLOCK_THREAD_CPUTIME_ID,
            CLOCK_MONOTONIC_RAW,
            CLOCK_REALTIME_COARSE,
            CLOCK_MONOTONIC_COARSE,
            CLOCK_BOOTTIME,
            CLOCK_REALTIME_ALARM,
            CLOCK_BOOTTIME_ALARM,
            CLOCK_TAI,
            TIMER_ABSTIME,
        );
        assert_every_constant_checked(include_str!("clock.rs"), &[checked]);
    }
}
