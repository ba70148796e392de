//! `eventfd2`: a 64-bit counter in a shared page, so that it keeps working when `fork` shares
//! it with another process; writers add, readers take the whole value (or 1 with
//! `EFD_SEMAPHORE`). The counter changes by compare-and-swap on the shared word; waiters use the
//! page's `waiting` words and the creating process's notification (`event::wake`).

use core::sync::atomic::Ordering;

use exokernel_abi::{Call, PageCount, Slot, initial};
use libposix_sys::errno::Errno;

use super::readiness::{self, Status};
use super::wake::{self, PROGRESS, WakeSource, release};
use crate::kernel::call;
use crate::shared_window::SharedWindow;
use crate::signal::delivery::Epoch;
use crate::signal::restart;
use crate::slots;

const COUNTER: usize = 0;
const READER_WAITING: usize = 8;
const WRITER_WAITING: usize = 16;
/// Counts every successful write and read: edge-triggered `epoll` uses it.
const ACTIVITY: usize = 24;
/// The largest value the counter holds.
pub const MAXIMUM: u64 = u64::MAX - 1;

/// An eventfd in this process.
pub struct EventCounter {
    frame: Slot,
    wake: WakeSource,
    window: SharedWindow,
    semaphore: bool,
}

impl EventCounter {
    /// A counter starting at `initial`; `semaphore` for `EFD_SEMAPHORE`.
    ///
    /// # Errors
    /// `ENOMEM`, `EMFILE`.
    pub fn create(initial_value: u32, semaphore: bool) -> Result<Self, Errno> {
        let frame = slots::allocate().ok_or(Errno::EMFILE)?;
        if call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: frame,
            pages: PageCount(1),
        })
        .is_err()
        {
            slots::free(frame);
            return Err(Errno::ENOMEM);
        }
        let wake = match wake::new_source() {
            Ok(wake) => wake,
            Err(error) => {
                release(frame);
                return Err(error);
            }
        };
        let window = match SharedWindow::map(frame, 1) {
            Ok(window) => window,
            Err(_) => {
                release(frame);
                release(wake.notification);
                return Err(Errno::ENOMEM);
            }
        };
        window
            .word(COUNTER)
            .store(u64::from(initial_value), Ordering::Release);
        Ok(Self {
            frame,
            wake,
            window,
            semaphore,
        })
    }

    fn wake_other(&self, word: usize) {
        if self.window.word(word).swap(0, Ordering::AcqRel) != 0 {
            let _ = call(Call::NotificationSignal {
                notification: self.wake.notification,
                bits: PROGRESS,
            });
        }
    }

    /// `read`: 8 bytes, the value (or 1), waiting while it is 0 unless `nonblocking`.
    ///
    /// # Errors
    /// `EINVAL` for a buffer under 8 bytes; `EAGAIN`; `EINTR`.
    pub fn read(&self, buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        if buffer.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let counter = self.window.word(COUNTER);
        let epoch = Epoch::now();
        loop {
            let value = counter.load(Ordering::Acquire);
            if value > 0 {
                let taken = if self.semaphore { 1 } else { value };
                if counter
                    .compare_exchange(value, value - taken, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    continue;
                }
                self.window.word(ACTIVITY).fetch_add(1, Ordering::AcqRel);
                buffer[..8].copy_from_slice(&taken.to_ne_bytes());
                self.wake_other(WRITER_WAITING);
                return Ok(8);
            }
            if nonblocking {
                return Err(Errno::EAGAIN);
            }
            self.window.word(READER_WAITING).store(1, Ordering::SeqCst);
            if counter.load(Ordering::Acquire) == 0 {
                restart::interrupted_since(epoch)?;
                restart::after_sleep(epoch, self.wake.sleep(0))?;
            }
        }
    }

    /// `write`: adds an 8-byte value, waiting while it would pass [`MAXIMUM`] unless
    /// `nonblocking`.
    ///
    /// # Errors
    /// `EINVAL` for a buffer under 8 bytes or the value `u64::MAX`; `EAGAIN`; `EINTR`.
    pub fn write(&self, bytes: &[u8], nonblocking: bool) -> Result<usize, Errno> {
        let Some(value) = bytes
            .get(..8)
            .and_then(|head| <[u8; 8]>::try_from(head).ok())
            .map(u64::from_ne_bytes)
        else {
            return Err(Errno::EINVAL);
        };
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let counter = self.window.word(COUNTER);
        let epoch = Epoch::now();
        loop {
            let current = counter.load(Ordering::Acquire);
            if current <= MAXIMUM - value {
                if counter
                    .compare_exchange(
                        current,
                        current + value,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    )
                    .is_err()
                {
                    continue;
                }
                if value > 0 {
                    self.window.word(ACTIVITY).fetch_add(1, Ordering::AcqRel);
                    self.wake_other(READER_WAITING);
                }
                return Ok(8);
            }
            if nonblocking {
                return Err(Errno::EAGAIN);
            }
            self.window.word(WRITER_WAITING).store(1, Ordering::SeqCst);
            if counter.load(Ordering::Acquire) > MAXIMUM - value {
                restart::interrupted_since(epoch)?;
                restart::after_sleep(epoch, self.wake.sleep(0))?;
            }
        }
    }

    /// Takes over a counter whose frame and wake-up notification another process passed
    /// (`SCM_RIGHTS`); on failure both are released.
    ///
    /// # Errors
    /// `ENOMEM` when the frame cannot be mapped.
    pub fn adopt(frame: Slot, notification: Slot, semaphore: bool) -> Result<Self, Errno> {
        let Ok(window) = SharedWindow::map(frame, 1) else {
            release(frame);
            release(notification);
            return Err(Errno::ENOMEM);
        };
        Ok(Self {
            frame,
            wake: WakeSource {
                notification,
                generation: 0,
            },
            window,
            semaphore,
        })
    }

    /// The capabilities to pass (`SCM_RIGHTS`): the frame and the wake-up notification.
    #[must_use]
    pub fn capabilities(&self) -> ([Slot; 2], bool) {
        ([self.frame, self.wake.notification], self.semaphore)
    }

    /// Readable when the value is above 0, writable while 1 more fits.
    #[must_use]
    pub fn status(&self) -> Status {
        let value = self.window.word(COUNTER).load(Ordering::Acquire);
        let mut events = 0;
        if value > 0 {
            events |= readiness::IN;
        }
        if value < MAXIMUM {
            events |= readiness::OUT;
        }
        Status {
            events,
            activity: self.window.word(ACTIVITY).load(Ordering::Acquire),
        }
    }

    /// Registers a poller.
    #[must_use]
    pub fn register(&self, events: u32) -> WakeSource {
        if events & readiness::IN != 0 {
            self.window.word(READER_WAITING).store(1, Ordering::SeqCst);
        }
        if events & readiness::OUT != 0 {
            self.window.word(WRITER_WAITING).store(1, Ordering::SeqCst);
        }
        self.wake
    }
}

impl Drop for EventCounter {
    fn drop(&mut self) {
        release(self.wake.notification);
        release(self.frame);
    }
}
