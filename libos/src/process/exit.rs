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

/// `exit_group`: ends every thread of this process and the process, with `status`. The process
/// server stops every thread it made for us and the main thread and ends the process with
/// `W_EXITCODE(status)` (so it holds even for a thread whose siblings' LibOS misbehaves); without
/// a server, the threads this LibOS started are stopped here. A single-threaded process ends
/// with one kernel entry, as before.
pub fn exit_group(status: i32) -> ! {
    use exokernel_abi::{Call, initial};

    use crate::kernel::call;
    use crate::thread::registry;

    crate::memory::system_v::before_image_ends();
    if !registry::has_threads() && crate::thread::is_main_thread() {
        crate::kernel::exit((status & 0xff) as u64);
    }
    if super::identity::is_registered() {
        // The server stops us too, once it has replied: this does not come back when it
        // worked.
        let _ = super::identity::request(
            super::protocol::EXIT_GROUP,
            [(status & 0xff) as u64, 0],
            None,
            None,
        );
    }
    for thread in registry::live() {
        if thread.tid != crate::thread::gettid() {
            let _ = call(Call::EnvironmentStop {
                environment: thread.environment,
            });
        }
    }
    if !crate::thread::is_main_thread() {
        let _ = call(Call::EnvironmentStop {
            environment: initial::SELF_ENVIRONMENT,
        });
    }
    crate::kernel::exit((status & 0xff) as u64)
}
