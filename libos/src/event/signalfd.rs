//! `signalfd4`: a descriptor that reads this process's pending signals of a mask as
//! `struct signalfd_siginfo` records, taking them out of the pending set (and the queue of
//! real-time instances) exactly as `sigtimedwait` would. It is readable while one of them is
//! pending; the process server signals our wake-up notification whenever it makes a signal
//! pending (`signal::wake_registration`), so `poll`, `select`, `epoll` and a blocking read sleep
//! without re-checking. The signals are normally blocked by the caller: an unblocked one may be
//! delivered to its handler first, as on Linux.

use core::sync::atomic::{AtomicU64, Ordering};

use libposix_sys::errno::Errno;
use libposix_sys::signal::SignalSet;
use libposix_sys::signalfd::SignalfdSiginfo;

use super::readiness::{self, Status, Wakes};
use super::wake;
use crate::signal::delivery::{Epoch, deliver_pending};
use crate::signal::page::{page, page_if_mapped};
use crate::signal::queue::take_pending;

/// The size of one record.
pub const RECORD_SIZE: usize = core::mem::size_of::<SignalfdSiginfo>();

/// A signalfd: the signals it reads.
pub struct SignalDescriptor {
    mask: AtomicU64,
}

impl SignalDescriptor {
    /// A signalfd reading `mask` (`SIGKILL` and `SIGSTOP` are left out, as on Linux).
    ///
    /// # Errors
    /// `ENOSYS` without a process server.
    pub fn new(mask: SignalSet) -> Result<Self, Errno> {
        page()?;
        let _ = crate::signal::wake_registration::ensure();
        Ok(Self {
            mask: AtomicU64::new(mask.difference(SignalSet::UNBLOCKABLE).bits),
        })
    }

    /// Replaces the mask (`signalfd4` on an existing signalfd).
    pub fn set_mask(&self, mask: SignalSet) {
        self.mask.store(
            mask.difference(SignalSet::UNBLOCKABLE).bits,
            Ordering::Release,
        );
    }

    fn ready(&self) -> u64 {
        page_if_mapped().map_or(0, |page| {
            page.pending.load(Ordering::Acquire) & self.mask.load(Ordering::Acquire)
        })
    }

    /// Readable while a signal of the mask is pending.
    #[must_use]
    pub fn status(&self) -> Status {
        Status {
            events: if self.ready() != 0 { readiness::IN } else { 0 },
            activity: page_if_mapped().map_or(0, |page| page.generated.load(Ordering::Acquire)),
        }
    }

    /// A poller sleeps on our wake-up notification, which the server signals on every
    /// pending signal (or re-checks, if the server could not be told).
    #[must_use]
    pub fn register(&self) -> Wakes {
        match (
            crate::signal::wake_registration::ensure(),
            wake::own_source(),
        ) {
            (Ok(()), Ok(source)) => Wakes::Through(source),
            _ => Wakes::Recheck,
        }
    }

    /// Takes as many pending signals of the mask as whole records fit in `buffer`.
    fn take(&self, buffer: &mut [u8]) -> usize {
        let Some(page) = page_if_mapped() else {
            return 0;
        };
        let mut written = 0;
        while buffer.len() - written >= RECORD_SIZE {
            let mut ready = self.ready();
            let mut taken = None;
            while ready != 0 && taken.is_none() {
                let signal = ready.trailing_zeros() as i32 + 1;
                ready &= ready - 1;
                taken = take_pending(page, signal);
            }
            let Some(information) = taken else {
                break;
            };
            let record = SignalfdSiginfo::from_siginfo(&information).to_bytes();
            buffer[written..written + RECORD_SIZE].copy_from_slice(&record);
            written += RECORD_SIZE;
        }
        written
    }

    /// `read`: one or more records; waits for one unless `nonblocking`.
    ///
    /// # Errors
    /// `EINVAL` for a buffer smaller than one record; `EAGAIN` (non-blocking, none pending);
    /// `EINTR` when a handler without `SA_RESTART` ran while it waited.
    pub fn read(&self, buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        if buffer.len() < RECORD_SIZE {
            return Err(Errno::EINVAL);
        }
        let epoch = Epoch::now();
        loop {
            let written = self.take(buffer);
            if written > 0 {
                // A handler entered while we took one left its signal for us to deliver.
                deliver_pending();
                return Ok(written);
            }
            if nonblocking {
                return Err(Errno::EAGAIN);
            }
            deliver_pending();
            if epoch.must_interrupt() {
                return Err(Errno::EINTR);
            }
            let _ = crate::signal::wake_registration::ensure();
            // A signal made pending after our look signals the notification: the wait returns
            // at once. A cut-short wait is looked at again (a handler may have run).
            match wake::wait(0, true) {
                Ok(()) | Err(Errno::EINTR) => {}
                Err(error) => return Err(error),
            }
        }
    }
}
