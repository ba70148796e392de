//! The state of an open file description that several processes share (after `fork`,
//! `posix_spawn`, `execve`): its file offset and status flags, in a page of its own that every
//! sharing process maps.
//!
//! A description keeps its offset and flags in private memory until it is first handed to
//! another process; then it moves them into a one-page frame paid by the process that shares it
//! ([`SharedState::create`]), mapped in a window of the shared-window region, which `fork` leaves
//! shared and the hand-over to a new image or child names by its slot. One page per description,
//! never reused for another: a process that can write the page is exactly one that holds the
//! description, so a hostile LibOS can move only offsets POSIX already lets it move.
//!
//! Layout (words): 0 the offset, 1 the status flags, 2 the lock. An operation that reads and
//! advances the offset (`read`, `write`, `lseek`, `getdents64`) holds the lock, so concurrent
//! calls in different processes see each other's moves whole. A holder that never lets go (a
//! process killed mid-call, or a hostile one) is overtaken after [`LOCK_PATIENCE_NANOSECONDS`]:
//! the page cannot make another process hang. Nothing read from the page is trusted beyond
//! being a number: the file code bounds every offset it is given.
//!
//! If the page's payer ends, the frame dies in every holder (`window_recovery` stands private
//! pages in for it): the description then goes on privately from the last values this process
//! saw.

use core::sync::atomic::{AtomicU64, Ordering};

use exokernel_abi::{Call, KernelError, PageCount, Slot, initial};
use libposix_sys::errno::Errno;

use crate::kernel::call;
use crate::shared_window::SharedWindow;
use crate::slots;

const OFFSET: usize = 0;
const STATUS: usize = 8;
const LOCK: usize = 16;

/// How long a caller waits for the lock before taking it over.
pub const LOCK_PATIENCE_NANOSECONDS: u64 = 200_000_000;

/// A description's shared page, mapped in this process.
pub struct SharedState {
    /// Declared before the capability: unmapped first when dropped.
    window: SharedWindow,
    frame: FrameCapability,
    /// The last offset and flags this process saw: they stand in once the page died.
    last_offset: AtomicU64,
    last_status: AtomicU64,
}

/// Proof that this thread holds the page's lock; released when dropped.
pub struct LockedOffset<'state> {
    state: &'state SharedState,
    offset: u64,
}

impl LockedOffset<'_> {
    /// The offset as the lock was taken.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.offset
    }

    /// Moves the offset (published when the lock is released).
    pub fn set(&mut self, offset: u64) {
        self.offset = offset;
    }
}

impl Drop for LockedOffset<'_> {
    fn drop(&mut self) {
        let state = self.state;
        state.last_offset.store(self.offset, Ordering::Relaxed);
        state
            .window
            .word(OFFSET)
            .store(self.offset, Ordering::Release);
        state.window.word(LOCK).store(0, Ordering::Release);
    }
}

/// The page's frame capability in this process's space, deleted when dropped.
struct FrameCapability(Slot);

impl Drop for FrameCapability {
    fn drop(&mut self) {
        let _ = call(Call::CapabilityDelete { slot: self.0 });
        slots::free(self.0);
    }
}

fn kernel_errno(error: KernelError) -> Errno {
    match error {
        KernelError::OutOfMemory | KernelError::QuotaExhausted => Errno::ENOMEM,
        _ => Errno::EIO,
    }
}

impl SharedState {
    /// A new page holding `offset` and `status`, paid by this process.
    ///
    /// # Errors
    /// `ENOMEM` when memory, slots or windows run out.
    pub fn create(offset: u64, status: u32) -> Result<Self, Errno> {
        let frame = slots::allocate().ok_or(Errno::ENOMEM)?;
        let made = call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: frame,
            pages: PageCount(1),
        })
        .map_err(kernel_errno)
        .and_then(|_| Self::adopt(frame).map_err(|_| Errno::ENOMEM));
        match made {
            Ok(state) => {
                state.window.word(OFFSET).store(offset, Ordering::Relaxed);
                state
                    .window
                    .word(STATUS)
                    .store(u64::from(status), Ordering::Relaxed);
                state.last_offset.store(offset, Ordering::Relaxed);
                state
                    .last_status
                    .store(u64::from(status), Ordering::Relaxed);
                Ok(state)
            }
            Err(error) => {
                let _ = call(Call::CapabilityDelete { slot: frame });
                slots::free(frame);
                Err(error)
            }
        }
    }

    /// Maps the page whose frame capability is in `frame` (handed over by another image or
    /// process); the slot is this state's from now on.
    ///
    /// # Errors
    /// The kernel's, when `frame` is not a mappable frame.
    pub fn adopt(frame: Slot) -> Result<Self, KernelError> {
        let window = SharedWindow::map(frame, 1)?;
        let state = Self {
            window,
            frame: FrameCapability(frame),
            last_offset: AtomicU64::new(0),
            last_status: AtomicU64::new(0),
        };
        state.last_offset.store(
            state.window.word(OFFSET).load(Ordering::Acquire),
            Ordering::Relaxed,
        );
        state.last_status.store(
            state.window.word(STATUS).load(Ordering::Acquire),
            Ordering::Relaxed,
        );
        Ok(state)
    }

    /// The slot of the page's frame capability (to hand over).
    #[must_use]
    pub fn frame(&self) -> Slot {
        self.frame.0
    }

    /// Takes the lock (overtaking a holder that kept it too long) and reads the offset.
    pub fn lock(&self) -> LockedOffset<'_> {
        let lock = self.window.word(LOCK);
        let mut started = None;
        while lock
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            if self.window.is_dead() {
                break;
            }
            let now = crate::runtime::clock::clock_monotonic();
            let since = *started.get_or_insert(now);
            if now.saturating_sub(since) > LOCK_PATIENCE_NANOSECONDS {
                lock.swap(1, Ordering::Acquire);
                break;
            }
            let _ = call(Call::Yield {});
        }
        let offset = self.window.word(OFFSET).load(Ordering::Acquire);
        let offset = if self.window.is_dead() {
            self.last_offset.load(Ordering::Relaxed)
        } else {
            offset
        };
        LockedOffset {
            state: self,
            offset,
        }
    }

    /// The offset now, without taking the lock.
    #[must_use]
    pub fn offset(&self) -> u64 {
        let offset = self.window.word(OFFSET).load(Ordering::Acquire);
        if self.window.is_dead() {
            self.last_offset.load(Ordering::Relaxed)
        } else {
            offset
        }
    }

    /// The status flags now.
    #[must_use]
    pub fn status(&self) -> u32 {
        let status = self.window.word(STATUS).load(Ordering::Acquire);
        if self.window.is_dead() {
            self.last_status.load(Ordering::Relaxed) as u32
        } else {
            self.last_status.store(status, Ordering::Relaxed);
            status as u32
        }
    }

    /// Replaces the status flags.
    pub fn set_status(&self, status: u32) {
        self.last_status.store(u64::from(status), Ordering::Relaxed);
        self.window
            .word(STATUS)
            .store(u64::from(status), Ordering::Release);
    }
}
