//! Foreign system calls: a `syscall` whose number is not a kernel call goes, as an upcall, to
//! the environment's exception handler when it asked for them, so a personality (Linux) can
//! serve binaries that were never built for this kernel.
//!
//! The upcall reuses the exception path — one handler entry, one upcall stack, one frame layout
//! with the full register file, one `ExceptionResume` — with its own vector
//! ([`FOREIGN_SYSTEM_CALL_VECTOR`]): a personality's dispatcher already has to handle faults
//! (for signals) from the same place, and a second entry would need a second stack and a second
//! "in handler" state for no gain. A foreign call made while the handler runs (the handler itself
//! calling Linux) is not delivered: it fails with `UnknownCall`, so a handler bug cannot recurse.

use exokernel_abi::FOREIGN_SYSTEM_CALL_VECTOR;

use super::deliver_exception;
use crate::kernel_state::KernelState;

/// Delivers the foreign call environment `id` just made to its handler. Returns false, leaving
/// the environment untouched, when it has no handler for foreign calls or is in its handler.
pub fn deliver(kernel: &mut KernelState, id: u32) -> bool {
    let wanted = kernel.environments.get(id).is_some_and(|environment| {
        environment.foreign_system_calls
            && environment.exception_handler.is_some()
            && !environment.in_exception_handler
    });
    if wanted {
        deliver_exception(kernel, id, FOREIGN_SYSTEM_CALL_VECTOR, 0, 0);
    }
    wanted
}
