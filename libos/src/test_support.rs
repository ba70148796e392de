//! Helpers every test program shares: failing a check with a reason (`ensure!`), naming the step
//! a kernel error came from, expecting an exact error, and taking and giving back slots.

use alloc::format;
use alloc::string::String;

use exokernel_abi::{Call, KernelError, Slot};

use crate::kernel::call;
use crate::slots;
use crate::test_protocol::CheckOutcome;

/// Fails the check with a formatted reason unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($condition:expr, $($reason:tt)*) => {
        if !$condition {
            return Err(alloc::format!($($reason)*));
        }
    };
}

/// Turns a kernel error into a failure naming the step.
///
/// # Errors
/// `what: error` when `result` is an error.
pub fn step<T>(what: &str, result: Result<T, KernelError>) -> Result<T, String> {
    result.map_err(|error| format!("{what}: {error:?}"))
}

/// Checks that a call failed with exactly `expected`.
///
/// # Errors
/// A reason when the call succeeded or failed otherwise.
pub fn expect_error<T>(
    what: &str,
    result: Result<T, KernelError>,
    expected: KernelError,
) -> CheckOutcome {
    match result {
        Ok(_) => Err(format!("{what}: succeeded, expected {expected:?}")),
        Err(error) if error == expected => Ok(()),
        Err(error) => Err(format!("{what}: got {error:?}, expected {expected:?}")),
    }
}

/// A free slot of ours.
///
/// # Errors
/// When every slot is taken.
pub fn slot() -> Result<Slot, String> {
    slots::allocate().ok_or_else(|| String::from("out of capability slots"))
}

/// Deletes whatever capability is in `slot` and frees the slot.
pub fn release(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}
