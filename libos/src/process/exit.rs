//! `exit` and `atexit`: the functions a program registered run, last registered first, before
//! the process ends with `_exit`. Returning from `main` is `exit` with its value.

use alloc::vec::Vec;

use libposix_sys::errno::Errno;
use spin::Mutex;

/// The most functions `atexit` takes (POSIX's `ATEXIT_MAX` is at least 32).
pub const MAXIMUM_HANDLERS: usize = 32;

static HANDLERS: Mutex<Vec<fn()>> = Mutex::new(Vec::new());

/// `atexit`: registers `handler` to run at `exit` (not at `_exit`, nor when killed). A handler
/// registered more than once runs as often.
///
/// # Errors
/// `ENOMEM` when [`MAXIMUM_HANDLERS`] are registered.
pub fn atexit(handler: fn()) -> Result<(), Errno> {
    let mut handlers = HANDLERS.lock();
    if handlers.len() >= MAXIMUM_HANDLERS {
        return Err(Errno::ENOMEM);
    }
    handlers.push(handler);
    Ok(())
}

/// `exit`: runs the `atexit` handlers, last registered first (each once, even if one of them
/// calls `exit` again), then ends the process with `status & 0xff` (`_exit`).
pub fn exit(status: i32) -> ! {
    loop {
        // Taken out one at a time, the lock released while each runs (it may register more).
        let Some(handler) = HANDLERS.lock().pop() else {
            break;
        };
        handler();
    }
    super::identity::_exit(status)
}
