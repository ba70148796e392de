//! A condition variable on a futex sequence word: a waiter notes the sequence, unlocks, and
//! sleeps while the sequence is unchanged; a notify bumps it and wakes. A notify between the
//! unlock and the sleep changes the word, so the sleep returns at once: no lost wake-ups.

use core::sync::atomic::{AtomicU32, Ordering};

use exokernel_abi::KernelError;

use super::futex;
use super::mutex::MutexGuard;

/// Waiting for a condition on a [`super::Mutex`]'s value.
pub struct Condvar {
    sequence: AtomicU32,
}

impl Default for Condvar {
    fn default() -> Self {
        Self::new()
    }
}

impl Condvar {
    /// A condition variable nobody waits on.
    #[must_use]
    pub const fn new() -> Self {
        Condvar {
            sequence: AtomicU32::new(0),
        }
    }

    /// Unlocks `guard`'s mutex, sleeps until notified (or spuriously), and locks it again.
    /// Callers re-check their condition in a loop.
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.wait_timeout(guard, None).0
    }

    /// Like [`wait`](Self::wait), for at most `timeout` nanoseconds (`None`: forever); also says
    /// whether the time ran out.
    pub fn wait_timeout<'a, T: ?Sized>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Option<u64>,
    ) -> (MutexGuard<'a, T>, bool) {
        let sequence = self.sequence.load(Ordering::Relaxed);
        let mutex = guard.mutex();
        drop(guard);
        let timed_out = matches!(
            futex::wait(&self.sequence, sequence, timeout),
            Err(KernelError::TimedOut)
        );
        (mutex.lock(), timed_out)
    }

    /// Wakes one waiter.
    pub fn notify_one(&self) {
        self.sequence.fetch_add(1, Ordering::Relaxed);
        futex::wake(&self.sequence, 1);
    }

    /// Wakes every waiter.
    pub fn notify_all(&self) {
        self.sequence.fetch_add(1, Ordering::Relaxed);
        futex::wake(&self.sequence, u32::MAX);
    }
}
