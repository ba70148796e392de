//! The process's wake-up notification: one kernel notification that every waitable object this
//! process creates (pipe ends, socket ends, eventfds, timerfds) signals, so that one
//! `NotificationWait` covers any number of descriptors.
//!
//! An object records a [`WakeSource`]: a copy of the notification its waiters sleep on, and the
//! process generation it was made in. A waiter first registers interest in the object's shared
//! header (its `waiting` words), re-checks, then sleeps here; the other side clears the word and
//! signals only when it was set, so a stream without waiters makes no wake-up calls. Threads of
//! one process share the notification without stealing each other's wake-ups: one thread (the
//! leader) sleeps in the kernel, the others sleep on a futex word that the leader bumps when its
//! wait ends, and every one re-checks. An object inherited through `fork` keeps signalling the
//! notification of the process that made it (the peer's capability cannot be redirected without
//! its cooperation); waits on such objects are bounded by [`FOREIGN_RECHECK_NANOSECONDS`] so a
//! wake-up taken by the other process costs at most that delay, never a hang.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use exokernel_abi::{Call, KernelError, Rights, Slot, UserAddress, initial};
use libposix_sys::errno::Errno;
use spin::Mutex;

use crate::kernel::call;
use crate::slots;

/// The bit an object's other side signals after making progress.
pub const PROGRESS: u64 = 1;
/// The bit a channel watch signals when the other end of a connection is gone.
pub const PEER_GONE: u64 = 2;
/// The bit a timerfd's kernel timer signals.
pub const TIMER: u64 = 4;

/// Longest sleep before re-checking when every waited-on object signals this process.
pub const RECHECK_NANOSECONDS: u64 = 50_000_000;
/// Longest sleep before re-checking when some object signals another process's notification.
pub const FOREIGN_RECHECK_NANOSECONDS: u64 = 10_000_000;

/// This process's notification slot (0: not made yet) and the generation it belongs to.
static NOTIFICATION: Mutex<Option<Slot>> = Mutex::new(None);
/// Bumped by `fork`'s child: objects made before belong to the parent's notification.
static PROCESS_GENERATION: AtomicU64 = AtomicU64::new(1);
/// Bumped each time the leader's kernel wait ends; followers sleep on it.
static WAKE_GENERATION: AtomicU32 = AtomicU32::new(0);
/// Whether a thread is sleeping in the kernel on the notification.
static LEADER: AtomicBool = AtomicBool::new(false);
/// Threads sleeping on [`WAKE_GENERATION`]: the leader wakes them only when there are some, so a
/// single-threaded program pays no `FutexWake` per wait.
static FOLLOWERS: AtomicU32 = AtomicU32::new(0);
/// Bumped when a peer-gone bit arrives (or a wait timed out, when one may have been missed):
/// objects cache "the peer lives" per value and ask the kernel again only after it changes.
static PEER_EPOCH: AtomicU64 = AtomicU64::new(1);

/// Where an object's waiters sleep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WakeSource {
    /// A copy of the notification (WAIT and SIGNAL rights).
    pub notification: Slot,
    /// The process generation that made the object (0: granted by another process).
    pub generation: u64,
}

impl WakeSource {
    /// Whether the notification is this process's own (so the shared leader wait covers it).
    #[must_use]
    pub fn is_local(&self) -> bool {
        self.generation == PROCESS_GENERATION.load(Ordering::Relaxed)
    }

    /// Sleeps until something may have changed for this object, or `timeout` nanoseconds
    /// (0: no limit but the re-check bound) have passed.
    ///
    /// # Errors
    /// `EINTR` when the kernel cut the wait short (a signal's stop).
    pub fn sleep(&self, timeout: u64) -> Result<(), Errno> {
        if self.is_local() {
            return wait(timeout, true);
        }
        let bound = bounded(timeout, FOREIGN_RECHECK_NANOSECONDS);
        match call(Call::NotificationWait {
            notification: self.notification,
            timeout: bound,
        }) {
            Ok(words) => {
                note_bits(words[0]);
                Ok(())
            }
            Err(KernelError::TimedOut) => {
                PEER_EPOCH.fetch_add(1, Ordering::AcqRel);
                Ok(())
            }
            Err(error) => Err(errno_of(error)),
        }
    }
}

fn bounded(timeout: u64, bound: u64) -> u64 {
    if timeout == 0 {
        bound
    } else {
        timeout.min(bound)
    }
}

fn note_bits(bits: u64) {
    if bits & PEER_GONE != 0 {
        PEER_EPOCH.fetch_add(1, Ordering::AcqRel);
    }
}

/// The kernel error of a wake-up call as an errno.
#[must_use]
pub fn errno_of(error: KernelError) -> Errno {
    match error {
        KernelError::Interrupted => Errno::EINTR,
        KernelError::OutOfMemory | KernelError::QuotaExhausted => Errno::ENOMEM,
        _ => Errno::EIO,
    }
}

/// The current peer epoch (see [`PEER_EPOCH`]).
#[must_use]
pub fn peer_epoch() -> u64 {
    PEER_EPOCH.load(Ordering::Acquire)
}

/// This process's notification, made on first use.
///
/// # Errors
/// `ENOMEM` when the kernel refuses it, `EMFILE` without a free slot.
pub fn notification() -> Result<Slot, Errno> {
    let mut guard = NOTIFICATION.lock();
    if let Some(slot) = *guard {
        return Ok(slot);
    }
    let slot = slots::allocate().ok_or(Errno::EMFILE)?;
    if let Err(error) = call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: slot,
    }) {
        slots::free(slot);
        return Err(errno_of(error));
    }
    *guard = Some(slot);
    Ok(slot)
}

/// This process's own notification as a [`WakeSource`] (no copy): for something the kernel
/// signals on the process's behalf, such as console input (`crate::io::terminal::notify_input`).
///
/// # Errors
/// As [`notification`].
pub fn own_source() -> Result<WakeSource, Errno> {
    Ok(WakeSource {
        notification: notification()?,
        generation: PROCESS_GENERATION.load(Ordering::Relaxed),
    })
}

/// A new [`WakeSource`] for an object this process makes: a fresh copy of its notification.
///
/// # Errors
/// As [`notification`]; `EMFILE` without a free slot.
pub fn new_source() -> Result<WakeSource, Errno> {
    let own = notification()?;
    Ok(WakeSource {
        notification: copy_of(own)?,
        generation: PROCESS_GENERATION.load(Ordering::Relaxed),
    })
}

/// A copy of the capability in `slot` in a fresh slot (for the other side to signal through).
///
/// # Errors
/// `EMFILE` without a free slot; `EIO` when the kernel refuses.
pub fn copy_of(slot: Slot) -> Result<Slot, Errno> {
    let destination = slots::allocate().ok_or(Errno::EMFILE)?;
    if let Err(error) = call(Call::CapabilityCopy {
        source: slot,
        destination,
        rights: Rights::all(),
    }) {
        slots::free(destination);
        return Err(errno_of(error));
    }
    Ok(destination)
}

/// Deletes a capability and frees its slot.
pub fn release(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// Sleeps until this process's notification is signalled (or `timeout` nanoseconds pass; 0: no
/// limit besides the re-check bound). With `local_only` false, the sleep is bounded by
/// [`FOREIGN_RECHECK_NANOSECONDS`] because some waited-on object signals another process.
///
/// # Errors
/// `EINTR` when the kernel cut the wait short.
pub fn wait(timeout: u64, local_only: bool) -> Result<(), Errno> {
    let bound = bounded(
        timeout,
        if local_only {
            RECHECK_NANOSECONDS
        } else {
            FOREIGN_RECHECK_NANOSECONDS
        },
    );
    let seen = WAKE_GENERATION.load(Ordering::SeqCst);
    if LEADER.swap(true, Ordering::SeqCst) {
        // Another thread sleeps in the kernel: wait for its wake-up to end, then re-check. The
        // leader bumps the generation before it looks at the follower count, so either it sees
        // us or our futex wait sees the new generation.
        FOLLOWERS.fetch_add(1, Ordering::SeqCst);
        let result = call(Call::FutexWait {
            address: UserAddress(WAKE_GENERATION.as_ptr() as u64),
            expected: u64::from(seen),
            timeout: bound,
            bitset: exokernel_abi::FUTEX_MATCH_ANY,
        });
        FOLLOWERS.fetch_sub(1, Ordering::SeqCst);
        return match result {
            // `WouldBlock`: the leader's wait ended between our look and the futex wait.
            Ok(_) | Err(KernelError::TimedOut | KernelError::WouldBlock) => Ok(()),
            Err(error) => Err(errno_of(error)),
        };
    }
    let notification = notification();
    let result = match notification {
        Ok(slot) => call(Call::NotificationWait {
            notification: slot,
            timeout: bound,
        }),
        Err(error) => {
            LEADER.store(false, Ordering::Release);
            return Err(error);
        }
    };
    LEADER.store(false, Ordering::SeqCst);
    WAKE_GENERATION.fetch_add(1, Ordering::SeqCst);
    if FOLLOWERS.load(Ordering::SeqCst) > 0 {
        let _ = call(Call::FutexWake {
            address: UserAddress(WAKE_GENERATION.as_ptr() as u64),
            count: u64::MAX,
            mask: exokernel_abi::FUTEX_MATCH_ANY,
        });
    }
    match result {
        Ok(words) => {
            note_bits(words[0]);
            Ok(())
        }
        Err(KernelError::TimedOut) => {
            // A peer-gone bit may have been taken by another process sharing an object's
            // notification: ask the kernel again.
            PEER_EPOCH.fetch_add(1, Ordering::AcqRel);
            Ok(())
        }
        Err(error) => Err(errno_of(error)),
    }
}

/// `fork`'s child: objects made from now on get a notification of this process's own (the one
/// at the inherited slot is the parent's).
pub(crate) fn forget_after_fork() {
    PROCESS_GENERATION.fetch_add(1, Ordering::AcqRel);
    LEADER.store(false, Ordering::Release);
    // The slot stays occupied by our copy of the parent's notification: objects inherited from
    // the parent hold their own copies, so this one is deleted.
    if let Some(slot) = NOTIFICATION.lock().take() {
        release(slot);
    }
}

/// The current process generation (objects record it to know whether their notification is
/// this process's own).
#[must_use]
pub fn new_generation() -> u64 {
    PROCESS_GENERATION.load(Ordering::Relaxed)
}

/// An end of a connection closed in this process: peers here must ask the kernel again.
pub fn note_local_close() {
    PEER_EPOCH.fetch_add(1, Ordering::AcqRel);
}
