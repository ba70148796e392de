//! Asking the process server to signal this process's wake-up notification (`event::wake`,
//! the one `poll`/`select`/`epoll` sleep on) whenever it makes a signal pending here, so that a
//! signalfd becomes readable, and a `ppoll`/`pselect6`/`epoll_pwait` whose mask lets a signal
//! through is interrupted, without waiting for a re-check. One message per process image and
//! `fork` generation, made only by programs that use these.

use core::sync::atomic::{AtomicU64, Ordering};

use libposix_sys::errno::Errno;

use crate::event::wake;
use crate::process::identity::request;
use crate::process::protocol;

/// The process generation whose notification the server holds (0: none).
static REGISTERED: AtomicU64 = AtomicU64::new(0);

/// Makes sure the server signals our current wake-up notification on every pending signal.
///
/// # Errors
/// `ENOSYS` without a process server; `ENOMEM`/`EMFILE` when the notification cannot be made.
pub fn ensure() -> Result<(), Errno> {
    let generation = wake::new_generation();
    if REGISTERED.load(Ordering::Acquire) == generation {
        return Ok(());
    }
    let notification = wake::notification()?;
    request(protocol::SIGNAL_WAKE, [0, 0], Some(notification), None)?;
    REGISTERED.store(generation, Ordering::Release);
    Ok(())
}
