//! A readers-writer lock on a futex word: the count of readers, or [`WRITE_LOCKED`]. Waiters
//! (readers and writers alike) sleep in `FutexWait` on the word and are all woken when it goes
//! back to 0; a waiter count spares the wake call when nobody sleeps. Readers can starve writers.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicU32, Ordering};

use super::futex;

/// The state word of a lock a writer holds.
const WRITE_LOCKED: u32 = u32::MAX;
/// The most readers at once.
const MAX_READERS: u32 = u32::MAX - 1;

/// Many readers or one writer of a value shared between threads.
pub struct RwLock<T: ?Sized> {
    state: AtomicU32,
    sleepers: AtomicU32,
    value: UnsafeCell<T>,
}

// SAFETY: the lock gives `&mut T` to one thread at a time and `&T` only while no `&mut T` exists.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above; readers on several threads share `&T`, so `T` must be `Sync` too.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

/// Shared access to a [`RwLock`]'s value.
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

/// Exclusive access to a [`RwLock`]'s value.
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`.
    pub const fn new(value: T) -> Self {
        RwLock {
            state: AtomicU32::new(0),
            sleepers: AtomicU32::new(0),
            value: UnsafeCell::new(value),
        }
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Sleeps until the state word no longer holds `seen` (or a wake-up comes).
    fn sleep_while(&self, seen: u32) {
        self.sleepers.fetch_add(1, Ordering::SeqCst);
        // Returns at once if the word changed after it was read: no wake-up is lost, because
        // an unlock changes the word before it reads `sleepers`.
        let _ = futex::wait(&self.state, seen, None);
        self.sleepers.fetch_sub(1, Ordering::SeqCst);
    }

    fn wake_sleepers(&self) {
        if self.sleepers.load(Ordering::SeqCst) != 0 {
            futex::wake(&self.state, u32::MAX);
        }
    }

    /// Locks for reading, sleeping while a writer holds the lock.
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        loop {
            let state = self.state.load(Ordering::SeqCst);
            if state < MAX_READERS {
                if self
                    .state
                    .compare_exchange(state, state + 1, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
                {
                    return RwLockReadGuard { lock: self };
                }
            } else {
                self.sleep_while(state);
            }
        }
    }

    /// Locks for writing, sleeping while anyone holds the lock.
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        loop {
            match self
                .state
                .compare_exchange(0, WRITE_LOCKED, Ordering::SeqCst, Ordering::SeqCst)
            {
                Ok(_) => return RwLockWriteGuard { lock: self },
                Err(state) => self.sleep_while(state),
            }
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard exists only while the state counts it as a reader, so no writer
        // (and no `&mut T`) exists.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        if self.lock.state.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.lock.wake_sleepers();
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write guard holds the lock alone.
        unsafe { &*self.lock.value.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write guard holds the lock alone, and `&mut self` makes this the only
        // access through it.
        unsafe { &mut *self.lock.value.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.state.store(0, Ordering::SeqCst);
        self.lock.wake_sleepers();
    }
}
