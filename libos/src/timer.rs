//! Timers: kernel objects that signal a notification at a deadline, once or periodically.

use exokernel_abi::{Call, KernelError, Slot};

use crate::kernel::call;

/// Creates a disarmed timer in `destination`, charged one page to `quota`, that signals `bits`
/// on `notification` whenever it fires.
///
/// # Errors
/// The kernel's error.
pub fn create(
    quota: Slot,
    destination: Slot,
    notification: Slot,
    bits: u64,
) -> Result<(), KernelError> {
    call(Call::TimerCreate {
        quota,
        destination,
        notification,
        bits,
    })
    .map(|_| ())
}

/// Arms `timer` for `deadline` (nanoseconds since boot, the [`crate::clock::clock_monotonic`]
/// clock) and then every `period` nanoseconds (0: once).
///
/// # Errors
/// The kernel's error.
pub fn arm(timer: Slot, deadline: u64, period: u64) -> Result<(), KernelError> {
    call(Call::TimerArm {
        timer,
        deadline,
        period,
    })
    .map(|_| ())
}

/// Disarms `timer`; returns whether it was armed.
///
/// # Errors
/// The kernel's error.
pub fn disarm(timer: Slot) -> Result<bool, KernelError> {
    call(Call::TimerDisarm { timer }).map(|words| words[0] != 0)
}
