//! Upcall handlers: where an environment's exceptions — and, when asked for, its foreign
//! (non-kernel) system calls — are delivered, as an `ExceptionFrame` on a stack of its own.

use exokernel_abi::{Call, ExceptionFrame, HandlerOptions, KernelError, Slot, UserAddress};

use crate::kernel::call;

/// An upcall entry: called with the frame the kernel wrote; it ends with [`resume`] (or exit).
pub type UpcallEntry = extern "C" fn(*mut ExceptionFrame) -> !;

/// Makes `entry` (running on the stack ending at `stack_top`) the upcall handler of the
/// environment in `environment` (ours or one we control); with
/// [`HandlerOptions::FOREIGN_SYSTEM_CALLS`] it also receives foreign system calls.
///
/// # Errors
/// The kernel's error (`InsufficientRights` without CONTROL, `InvalidArgument` for bad options).
pub fn set_handler(
    environment: Slot,
    entry: UpcallEntry,
    stack_top: u64,
    options: HandlerOptions,
) -> Result<(), KernelError> {
    call(Call::EnvironmentSetExceptionHandler {
        environment,
        entry: UserAddress(entry as usize as u64),
        stack_top: UserAddress(stack_top),
        options: options.bits(),
    })
    .map(|_| ())
}

/// Removes the upcall handler of `environment`: exceptions kill it again and foreign system calls
/// fail with `UnknownCall`.
///
/// # Errors
/// The kernel's error.
pub fn remove_handler(environment: Slot) -> Result<(), KernelError> {
    call(Call::EnvironmentSetExceptionHandler {
        environment,
        entry: UserAddress(0),
        stack_top: UserAddress(0),
        options: 0,
    })
    .map(|_| ())
}

/// Resumes the (possibly edited) registers of `frame`; for a foreign system call, the result
/// goes in `frame.registers.rax` first. Exits with status 255 if the kernel refuses the frame.
pub fn resume(frame: *mut ExceptionFrame) -> ! {
    let _ = call(Call::ExceptionResume {
        frame: UserAddress(frame as u64),
    });
    crate::kernel::exit(255)
}
