//! Threads of this process, natively in Rust: [`spawn`] and [`JoinHandle::join`], thread ids
//! ([`gettid`]), thread-local storage reached through the FS base ([`LocalKey`]), futex-based
//! [`Mutex`], [`Condvar`] and [`RwLock`], and `futex` itself in Linux form ([`futex::futex`]);
//! the Linux calls `clone` ([`clone::clone`]), `exit` of one thread and `set_tid_address`
//! ([`exit`]).

pub mod clone;
mod condvar;
pub(crate) mod control_block;
pub mod exit;
pub mod futex;
mod local;
mod mutex;
pub(crate) mod registry;
mod rwlock;
pub(crate) mod start;

use alloc::boxed::Box;
use alloc::sync::Arc;

use exokernel_abi::KernelError;
use spin::Mutex as SpinMutex;

pub use condvar::Condvar;
pub use control_block::{fs_self_address, gettid, is_main_thread};
pub use local::LocalKey;
pub use mutex::{Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use control_block::ControlBlock;
use start::{RawEnding, RawThread};

/// Why [`JoinHandle::join`] has no value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinError {
    /// The thread ended without returning (it panicked or exited with this status).
    Exited(u64),
    /// An exception ended it.
    Faulted,
    /// The kernel refused to report on it.
    Kernel(KernelError),
}

/// A started thread; [`join`](Self::join) waits for it and returns its closure's value.
/// Dropping the handle without joining waits for the thread too (threads are never detached,
/// so their stacks and kernel objects always come back).
pub struct JoinHandle<T> {
    raw: Option<RawThread>,
    result: Arc<SpinMutex<Option<T>>>,
    id: i32,
    /// The thread's control block (`Box::into_raw`), freed after the join.
    control: *mut ControlBlock,
}

// SAFETY: the handle only moves the raw block pointer around; the block is freed once, after
// its thread has ended, by whichever thread joins.
unsafe impl<T: Send> Send for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// The thread's id ([`gettid`] inside it).
    #[must_use]
    pub fn id(&self) -> i32 {
        self.id
    }

    /// Waits until the thread ends and returns the value its closure returned.
    ///
    /// # Errors
    /// [`JoinError`] when it ended without returning.
    pub fn join(mut self) -> Result<T, JoinError> {
        let ending = self.finish();
        let value = self.result.lock().take();
        match (value, ending) {
            (Some(value), _) => Ok(value),
            (None, Ok(RawEnding::Exited(status))) => Err(JoinError::Exited(status)),
            (None, Ok(RawEnding::Faulted)) => Err(JoinError::Faulted),
            (None, Err(error)) => Err(JoinError::Kernel(error)),
        }
    }

    /// Waits for the thread and gives back its resources (once).
    fn finish(&mut self) -> Result<RawEnding, KernelError> {
        let Some(raw) = self.raw.take() else {
            return Err(KernelError::InvalidState);
        };
        let ending = raw.wait();
        // SAFETY: the block lives until here (freed just below, once); the thread has ended or
        // is stopped by `release`.
        let control = unsafe { &*self.control };
        raw.release(control);
        // SAFETY: `spawn` made it with `Box::into_raw`; nothing uses it any more.
        drop(unsafe { Box::from_raw(self.control) });
        ending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// What a new thread starts with: its body (its control block is found through its GS base).
struct StartData {
    body: Box<dyn FnOnce() + Send>,
}

extern "C" fn thread_entry(argument: u64) -> ! {
    // SAFETY: `argument` is the `Box::into_raw` of a `StartData` made by `spawn`, handed to
    // exactly this thread, which takes it back exactly once.
    let start = unsafe { Box::from_raw(argument as *mut StartData) };
    let StartData { body } = *start;
    body();
    exit::exit(0)
}

/// Starts `body` on a new thread of this process (sharing its memory, capabilities and heap),
/// with its own stack and thread-local storage.
///
/// # Errors
/// The kernel's error when memory, slots or quota run out.
pub fn spawn<F, T>(body: F) -> Result<JoinHandle<T>, KernelError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let result = Arc::new(SpinMutex::new(None));
    let slot = Arc::clone(&result);
    let control = Box::into_raw(ControlBlock::new_thread());
    // SAFETY: just made; freed only by the handle's join (or below, if the start fails).
    let control_block = unsafe { &*control };
    let fs_base = control_block.address();
    let start = Box::new(StartData {
        body: Box::new(move || {
            let value = body();
            *slot.lock() = Some(value);
        }),
    });
    let argument = Box::into_raw(start) as u64;
    match start::start(thread_entry, argument, fs_base, control_block) {
        Ok(raw) => Ok(JoinHandle {
            raw: Some(raw),
            result,
            id: control_block.id(),
            control,
        }),
        Err(error) => {
            // SAFETY: the thread did not start, so the `StartData` and the block are still
            // ours alone.
            drop(unsafe { Box::from_raw(argument as *mut StartData) });
            // SAFETY: as above.
            drop(unsafe { Box::from_raw(control) });
            Err(error)
        }
    }
}

/// Where the calling thread's own signal page is mapped (0: none, or the main thread).
pub(crate) fn own_signal_page() -> u64 {
    control_block::current()
        .signal_page
        .load(core::sync::atomic::Ordering::Acquire)
}

/// Maps the calling (non-main) thread's own signal page, with an empty mask.
pub(crate) fn map_own_signal_page() -> Result<(), KernelError> {
    let control = control_block::current();
    let area = control
        .handler_area
        .load(core::sync::atomic::Ordering::Acquire);
    if area == 0 || is_main_thread() || !crate::process::identity::is_registered() {
        return Err(KernelError::InvalidState);
    }
    start::map_signal_page(control, area, 0)
}

/// The calling thread's FS base (0 on the main thread).
pub(crate) fn own_fs_base() -> u64 {
    control_block::current()
        .fs_base
        .load(core::sync::atomic::Ordering::Acquire)
}
