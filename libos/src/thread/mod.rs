//! Threads of this process, natively in Rust: [`spawn`] and [`JoinHandle::join`], thread ids
//! ([`gettid`]), thread-local storage reached through the FS base ([`LocalKey`]), futex-based
//! [`Mutex`], [`Condvar`] and [`RwLock`], and `futex` itself in Linux form ([`futex::futex`]).

mod condvar;
mod control_block;
pub mod futex;
mod local;
mod mutex;
mod rwlock;
mod start;

use alloc::boxed::Box;
use alloc::sync::Arc;

use exokernel_abi::KernelError;
use spin::Mutex as SpinMutex;

pub use condvar::Condvar;
pub use control_block::{fs_self_address, gettid};
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
}

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
        raw.release();
        ending
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// What a new thread starts with: its body and its control block (which its FS base points at).
struct StartData {
    body: Box<dyn FnOnce() + Send>,
    control: Box<ControlBlock>,
}

extern "C" fn thread_entry(argument: u64) -> ! {
    // SAFETY: `argument` is the `Box::into_raw` of a `StartData` made by `spawn`, handed to
    // exactly this thread, which takes it back exactly once.
    let start = unsafe { Box::from_raw(argument as *mut StartData) };
    let StartData { body, control } = *start;
    body();
    control.end_thread();
    crate::kernel::exit(0)
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
    let control = ControlBlock::new_thread();
    let id = control.id();
    let fs_base = control.address();
    let start = Box::new(StartData {
        body: Box::new(move || {
            let value = body();
            *slot.lock() = Some(value);
        }),
        control,
    });
    let argument = Box::into_raw(start) as u64;
    match start::start(thread_entry, argument, fs_base) {
        Ok(raw) => Ok(JoinHandle {
            raw: Some(raw),
            result,
            id,
        }),
        Err(error) => {
            // SAFETY: the thread did not start, so the `StartData` is still ours alone.
            drop(unsafe { Box::from_raw(argument as *mut StartData) });
            Err(error)
        }
    }
}
