//! Polling and event descriptors: `poll`, `ppoll`, `select`, `pselect6`, `epoll_*`,
//! `eventfd2`, `timerfd_*`.
//!
//! - [`wake`]: the process's one wake-up notification and how threads share it.
//! - [`readiness`]: what every kind of description reports to a poller.
//! - [`poll`]: `poll`, `ppoll`, `select`, `pselect6`.
//! - [`epoll`]: epoll instances.
//! - [`eventfd`]: counters in a shared page.
//! - [`timerfd`]: timers counted from the clock.
//! - [`signalfd`]: pending signals read as records.
//! - [`calls`]: the POSIX calls that make and use these descriptors.

pub mod calls;
pub mod epoll;
pub mod eventfd;
pub mod poll;
pub mod readiness;
pub mod signalfd;
pub mod timerfd;
pub mod wake;

pub use calls::{
    epoll_create, epoll_create1, epoll_ctl, epoll_pwait, epoll_wait, eventfd, eventfd2, signalfd,
    signalfd4, timerfd_create, timerfd_gettime, timerfd_settime,
};
pub use poll::{poll, ppoll, pselect6, select};

use libposix_sys::errno::Errno;
use readiness::{Status, Wakes};

use crate::clock::clock_monotonic;

/// The event descriptors' objects (a [`crate::io::description::Backend`] kind).
pub enum EventObject {
    /// An eventfd.
    Counter(eventfd::EventCounter),
    /// An epoll instance.
    Epoll(epoll::Epoll),
    /// A timerfd.
    Timer(timerfd::TimerDescriptor),
    /// A signalfd.
    Signal(signalfd::SignalDescriptor),
}

impl EventObject {
    /// The readiness now.
    #[must_use]
    pub fn status(&self) -> Status {
        match self {
            Self::Counter(counter) => counter.status(),
            Self::Epoll(epoll) => epoll.status(),
            Self::Timer(timer) => timer.status(),
            Self::Signal(signals) => signals.status(),
        }
    }

    /// Registers a poller.
    #[must_use]
    pub fn register(&self, events: u32) -> Wakes {
        match self {
            Self::Counter(counter) => Wakes::Through(counter.register(events)),
            Self::Epoll(epoll) => epoll.register(),
            Self::Timer(timer) => timer.next_deadline().map_or(Wakes::Never, Wakes::At),
            Self::Signal(signals) => signals.register(),
        }
    }

    /// `read`.
    ///
    /// # Errors
    /// The object's (`EINVAL`, `EAGAIN`, `EINTR`).
    pub fn read(&self, buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        match self {
            Self::Counter(counter) => counter.read(buffer, nonblocking),
            Self::Epoll(_) => Err(Errno::EINVAL),
            Self::Timer(timer) => timer.read(buffer, nonblocking),
            Self::Signal(signals) => signals.read(buffer, nonblocking),
        }
    }

    /// `write`.
    ///
    /// # Errors
    /// The object's (`EINVAL`, `EAGAIN`, `EINTR`).
    pub fn write(&self, bytes: &[u8], nonblocking: bool) -> Result<usize, Errno> {
        match self {
            Self::Counter(counter) => counter.write(bytes, nonblocking),
            Self::Epoll(_) | Self::Timer(_) | Self::Signal(_) => Err(Errno::EINVAL),
        }
    }
}

/// When a wait ends: a monotonic-clock deadline, or none (wait until something happens).
#[derive(Clone, Copy, Debug)]
pub struct Deadline(Option<u64>);

impl Deadline {
    /// `timeout` milliseconds from now; negative: none.
    #[must_use]
    pub fn from_milliseconds(timeout: i32) -> Self {
        if timeout < 0 {
            return Self(None);
        }
        Self(Some(
            clock_monotonic().saturating_add(timeout as u64 * 1_000_000),
        ))
    }

    /// `nanoseconds` from now; `None`: no deadline.
    #[must_use]
    pub fn from_nanoseconds(nanoseconds: Option<u64>) -> Self {
        Self(nanoseconds.map(|nanoseconds| clock_monotonic().saturating_add(nanoseconds)))
    }

    /// Whether the deadline has passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.0.is_some_and(|deadline| clock_monotonic() >= deadline)
    }

    /// Nanoseconds left (0 when passed or none).
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.0
            .map_or(0, |deadline| deadline.saturating_sub(clock_monotonic()))
    }

    fn at(&self) -> Option<u64> {
        self.0
    }
}

/// What a poller registered with: how it will be woken.
#[derive(Default)]
pub struct Waiting {
    /// Some object signals another process's notification, or nothing signals it.
    recheck_soon: bool,
    /// The earliest time an object becomes ready by itself.
    earliest: Option<u64>,
}

impl Waiting {
    /// Adds one registration.
    pub fn add(&mut self, wakes: Wakes) {
        match wakes {
            Wakes::Never => {}
            Wakes::Through(source) => {
                if !source.is_local() {
                    self.recheck_soon = true;
                }
            }
            Wakes::Recheck => self.recheck_soon = true,
            Wakes::At(time) => {
                self.earliest = Some(self.earliest.map_or(time, |earliest| earliest.min(time)));
            }
        }
    }

    /// The registrations as one (a nested epoll's).
    #[must_use]
    pub fn as_wakes(&self) -> Wakes {
        if self.recheck_soon {
            Wakes::Recheck
        } else if let Some(time) = self.earliest {
            Wakes::At(time)
        } else {
            Wakes::Through(wake::WakeSource {
                notification: exokernel_abi::Slot(0),
                generation: wake::new_generation(),
            })
        }
    }

    /// Sleeps until woken, the earliest self-readiness, or `deadline`.
    ///
    /// # Errors
    /// `EINTR`.
    pub fn sleep(&self, deadline: Deadline) -> Result<(), Errno> {
        let end = match (deadline.at(), self.earliest) {
            (Some(first), Some(second)) => Some(first.min(second)),
            (first, second) => first.or(second),
        };
        let timeout = end.map_or(0, |end| end.saturating_sub(clock_monotonic()).max(1));
        wake::wait(timeout, !self.recheck_soon)
    }
}
