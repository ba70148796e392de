//! `timerfd_create`, `timerfd_settime`, `timerfd_gettime`: a timer whose expirations are
//! counted from the clock itself. The first deadline and the period are kept in the LibOS;
//! the number of expirations is `1 + (now - first) / period` minus those already read, computed
//! from the clock page without a kernel entry. A waiter (a blocking `read`, `poll`, `epoll`)
//! sleeps until the next deadline, so no kernel timer object has to be made or armed — arming is
//! a store, where a kernel timer would cost a `TimerCreate` and a `TimerArm` per setting.

use libposix_sys::clock::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
};
use libposix_sys::errno::Errno;
use libposix_sys::eventfd::TFD_TIMER_ABSTIME;
use libposix_sys::time::{Itimerspec, Timespec};
use spin::Mutex;

use super::readiness::{self, Status};
use crate::clock::{clock_monotonic, clock_realtime};

/// The state of one timer.
#[derive(Clone, Copy, Debug, Default)]
struct Setting {
    /// The first expiry on the monotonic clock (0: disarmed).
    first: u64,
    /// The period (0: one shot).
    period: u64,
    /// Expirations already read.
    taken: u64,
}

/// A timerfd in this process.
pub struct TimerDescriptor {
    clock: i32,
    setting: Mutex<Setting>,
}

/// Whether `clock` may back a timerfd.
#[must_use]
pub fn valid_clock(clock: i32) -> bool {
    matches!(
        clock,
        CLOCK_REALTIME
            | CLOCK_MONOTONIC
            | CLOCK_BOOTTIME
            | CLOCK_REALTIME_ALARM
            | CLOCK_BOOTTIME_ALARM
    )
}

fn realtime_clock(clock: i32) -> bool {
    matches!(clock, CLOCK_REALTIME | CLOCK_REALTIME_ALARM)
}

fn nanoseconds(time: &Timespec) -> Result<u64, Errno> {
    if !time.is_valid() || time.tv_sec < 0 {
        return Err(Errno::EINVAL);
    }
    u64::try_from(time.as_nanoseconds()).map_err(|_| Errno::EINVAL)
}

fn timespec(nanoseconds: u64) -> Timespec {
    Timespec::from_nanoseconds(i128::from(nanoseconds))
}

impl Setting {
    fn expirations(&self, now: u64) -> u64 {
        if self.first == 0 || now < self.first {
            return 0;
        }
        let total = (now - self.first)
            .checked_div(self.period)
            .map_or(1, |periods| periods + 1);
        total.saturating_sub(self.taken)
    }

    fn next_deadline(&self, now: u64) -> Option<u64> {
        if self.first == 0 {
            return None;
        }
        if self.expirations(now) > 0 {
            return Some(now);
        }
        if self.period == 0 {
            return if self.taken == 0 {
                Some(self.first)
            } else {
                None
            };
        }
        Some(self.first + self.taken * self.period)
    }
}

impl TimerDescriptor {
    /// A disarmed timer on `clock` (checked by the caller with [`valid_clock`]).
    #[must_use]
    pub fn new(clock: i32) -> Self {
        Self {
            clock,
            setting: Mutex::new(Setting::default()),
        }
    }

    /// `timerfd_settime`: arms (or with a zero value disarms) the timer; returns the old setting.
    ///
    /// # Errors
    /// `EINVAL` for bad flags or times.
    pub fn set(&self, flags: i32, new: &Itimerspec) -> Result<Itimerspec, Errno> {
        if flags & !(TFD_TIMER_ABSTIME | libposix_sys::eventfd::TFD_TIMER_CANCEL_ON_SET) != 0 {
            return Err(Errno::EINVAL);
        }
        let value = nanoseconds(&new.it_value)?;
        let period = nanoseconds(&new.it_interval)?;
        let now = clock_monotonic();
        let first = if value == 0 {
            0
        } else if flags & TFD_TIMER_ABSTIME != 0 {
            if realtime_clock(self.clock) {
                let realtime = clock_realtime().map_err(|_| Errno::EINVAL)?;
                // The same instant on the monotonic clock (at least now: a past time fires at once).
                now.saturating_add(value.saturating_sub(realtime)).max(1)
            } else {
                value.max(1)
            }
        } else {
            now.saturating_add(value)
        };
        let old = self.get_at(now);
        *self.setting.lock() = Setting {
            first,
            period: if first == 0 { 0 } else { period },
            taken: 0,
        };
        Ok(old)
    }

    /// `timerfd_gettime`: the time to the next expiry and the period.
    #[must_use]
    pub fn get(&self) -> Itimerspec {
        self.get_at(clock_monotonic())
    }

    fn get_at(&self, now: u64) -> Itimerspec {
        let setting = *self.setting.lock();
        let remaining = match setting.next_deadline(now) {
            // Expired and unread: Linux reports 1 ns (the timer is armed, its next expiry due).
            Some(deadline) if deadline <= now => {
                if setting.period == 0 {
                    0
                } else {
                    let elapsed = now - setting.first;
                    setting.period - elapsed % setting.period
                }
            }
            Some(deadline) => deadline - now,
            None => 0,
        };
        Itimerspec {
            it_interval: timespec(setting.period),
            it_value: timespec(remaining),
        }
    }

    /// `read`: the number of expirations since the last read, waiting for one unless
    /// `nonblocking`.
    ///
    /// # Errors
    /// `EINVAL` for a buffer under 8 bytes; `EAGAIN`; `EINTR`.
    pub fn read(&self, buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        if buffer.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let epoch = crate::signal::delivery::Epoch::now();
        loop {
            let now = clock_monotonic();
            let deadline = {
                let mut setting = self.setting.lock();
                let count = setting.expirations(now);
                if count > 0 {
                    setting.taken += count;
                    buffer[..8].copy_from_slice(&count.to_ne_bytes());
                    return Ok(8);
                }
                setting.next_deadline(now)
            };
            if nonblocking {
                return Err(Errno::EAGAIN);
            }
            // Disarmed: sleeps until a signal (or forever); armed: until the deadline. A
            // handler ends the read (`EINTR`) unless it had `SA_RESTART`, as on Linux.
            let timeout = deadline.map_or(0, |deadline| deadline.saturating_sub(now).max(1));
            crate::signal::restart::interrupted_since(epoch)?;
            crate::signal::restart::after_sleep(epoch, super::wake::wait(timeout, true))?;
        }
    }

    /// Readable when an expiration is unread.
    #[must_use]
    pub fn status(&self) -> Status {
        let setting = *self.setting.lock();
        let count = setting.expirations(clock_monotonic());
        Status {
            events: if count > 0 { readiness::IN } else { 0 },
            activity: setting.taken + count,
        }
    }

    /// The next deadline on the monotonic clock, for a poller's timeout.
    #[must_use]
    pub fn next_deadline(&self) -> Option<u64> {
        self.setting.lock().next_deadline(clock_monotonic())
    }
}
