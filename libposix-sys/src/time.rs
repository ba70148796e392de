//! Time values: `struct timespec`, `timeval`, `itimerspec`, `itimerval`, and the `UTIME_*`/`ITIMER_*` constants.

/// Nanoseconds in a second, the exclusive bound of `tv_nsec`.
pub const NANOSECONDS_PER_SECOND: i64 = 1_000_000_000;

/// `utimensat`: set this timestamp to the current time (in `tv_nsec`).
pub const UTIME_NOW: i64 = (1 << 30) - 1;
/// `utimensat`: leave this timestamp unchanged (in `tv_nsec`).
pub const UTIME_OMIT: i64 = (1 << 30) - 2;

/// `setitimer`: real time, delivers `SIGALRM`.
pub const ITIMER_REAL: i32 = 0;
/// `setitimer`: process user time, delivers `SIGVTALRM`.
pub const ITIMER_VIRTUAL: i32 = 1;
/// `setitimer`: process user and system time, delivers `SIGPROF`.
pub const ITIMER_PROF: i32 = 2;

/// Seconds and nanoseconds (`struct timespec`, 64-bit `time_t` on x86_64).
#[doc(alias = "timespec")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    /// Seconds.
    pub tv_sec: i64,
    /// Nanoseconds, 0..1_000_000_000 in a valid value.
    pub tv_nsec: i64,
}

impl Timespec {
    /// Whether `tv_nsec` is in range, as every call taking a `timespec` requires (else `EINVAL`).
    pub const fn is_valid(&self) -> bool {
        self.tv_nsec >= 0 && self.tv_nsec < NANOSECONDS_PER_SECOND
    }

    /// The value as a count of nanoseconds (any `Timespec` fits in an `i128`).
    pub const fn as_nanoseconds(&self) -> i128 {
        self.tv_sec as i128 * NANOSECONDS_PER_SECOND as i128 + self.tv_nsec as i128
    }

    /// The value for a count of nanoseconds (negative counts round towards minus infinity).
    pub const fn from_nanoseconds(nanoseconds: i128) -> Self {
        let seconds = nanoseconds.div_euclid(NANOSECONDS_PER_SECOND as i128);
        let remainder = nanoseconds.rem_euclid(NANOSECONDS_PER_SECOND as i128);
        Timespec {
            tv_sec: seconds as i64,
            tv_nsec: remainder as i64,
        }
    }
}

/// Seconds and microseconds (`struct timeval`).
#[doc(alias = "timeval")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timeval {
    /// Seconds.
    pub tv_sec: i64,
    /// Microseconds, 0..1_000_000 in a valid value.
    pub tv_usec: i64,
}

/// A POSIX timer setting (`struct itimerspec`) for `timer_settime` and `timerfd_settime`.
#[doc(alias = "itimerspec")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Itimerspec {
    /// The period after the first expiry; zero for a one-shot timer.
    pub it_interval: Timespec,
    /// The time to the first expiry; zero disarms the timer.
    pub it_value: Timespec,
}

/// An interval timer setting (`struct itimerval`) for `setitimer` and `getitimer`.
#[doc(alias = "itimerval")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Itimerval {
    /// The period after the first expiry.
    pub it_interval: Timeval,
    /// The time to the next expiry.
    pub it_value: Timeval,
}

/// `sigev_notify`: deliver `sigev_signo` with `sigev_value`.
pub const SIGEV_SIGNAL: i32 = 0;
/// `sigev_notify`: no notification (the timer only counts).
pub const SIGEV_NONE: i32 = 1;
/// `sigev_notify`: run a function in a new thread (a C-library service).
pub const SIGEV_THREAD: i32 = 2;
/// `sigev_notify`: deliver the signal to one thread (`sigev_notify_thread_id`).
pub const SIGEV_THREAD_ID: i32 = 4;

/// How a timer notifies (`struct sigevent`, 64 bytes; the union after `sigev_notify` is shown
/// by its thread-id member).
#[doc(alias = "sigevent")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sigevent {
    /// `union sigval`: the value the signal carries.
    pub sigev_value: u64,
    /// The signal.
    pub sigev_signo: i32,
    /// `SIGEV_SIGNAL`, `SIGEV_NONE`, `SIGEV_THREAD` or `SIGEV_THREAD_ID`.
    pub sigev_notify: i32,
    /// `SIGEV_THREAD_ID`: the thread.
    pub sigev_notify_thread_id: i32,
    /// The rest of the union.
    pub padding: [i32; 11],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            UTIME_NOW,
            UTIME_OMIT,
            ITIMER_REAL,
            ITIMER_VIRTUAL,
            ITIMER_PROF,
            NANOSECONDS_PER_SECOND = 1_000_000_000,
            SIGEV_SIGNAL,
            SIGEV_NONE,
            SIGEV_THREAD,
            SIGEV_THREAD_ID,
        );
        assert_every_constant_checked(include_str!("time.rs"), &[checked]);
    }

    #[test]
    fn layouts_match_libc() {
        check_layout!(Timespec, libc::timespec, { tv_sec, tv_nsec });
        check_layout!(Timeval, libc::timeval, { tv_sec, tv_usec });
        check_layout!(Itimerspec, libc::itimerspec, { it_interval, it_value });
        check_layout!(Itimerval, libc::itimerval, { it_interval, it_value });
        check_layout!(Sigevent, libc::sigevent, {
            sigev_value, sigev_signo, sigev_notify, sigev_notify_thread_id, padding = _,
        });
    }

    #[test]
    fn nanosecond_conversions() {
        let value = Timespec {
            tv_sec: 3,
            tv_nsec: 5,
        };
        assert_eq!(value.as_nanoseconds(), 3_000_000_005);
        assert_eq!(Timespec::from_nanoseconds(3_000_000_005), value);
        assert_eq!(
            Timespec::from_nanoseconds(-1),
            Timespec {
                tv_sec: -1,
                tv_nsec: 999_999_999
            }
        );
        assert!(value.is_valid());
        assert!(
            !Timespec {
                tv_sec: 0,
                tv_nsec: NANOSECONDS_PER_SECOND
            }
            .is_valid()
        );
        assert!(
            !Timespec {
                tv_sec: 0,
                tv_nsec: -1
            }
            .is_valid()
        );
    }
}
