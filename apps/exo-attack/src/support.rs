//! Small helpers the checks share: outcomes, slots, expected errors, addresses, waiting.

use alloc::format;
use alloc::string::String;

use libos::abi::{Call, KernelError, Slot};
use libos::kernel::call;
use libos::slots;

/// A check's outcome: `Err` carries the reason it failed.
pub type Outcome = Result<(), String>;

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
pub fn step<T>(what: &str, result: Result<T, KernelError>) -> Result<T, String> {
    result.map_err(|error| format!("{what}: {error:?}"))
}

/// Checks that a call failed with exactly `expected`.
pub fn expect_error<T>(
    what: &str,
    result: Result<T, KernelError>,
    expected: KernelError,
) -> Outcome {
    match result {
        Ok(_) => Err(format!("{what}: succeeded, expected {expected:?}")),
        Err(error) if error == expected => Ok(()),
        Err(error) => Err(format!("{what}: got {error:?}, expected {expected:?}")),
    }
}

/// A free slot of ours.
pub fn slot() -> Result<Slot, String> {
    slots::allocate().ok_or_else(|| String::from("out of capability slots"))
}

/// Deletes whatever capability is in `slot` and frees the slot.
pub fn release(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// Whether `slot` holds a capability.
pub fn occupied(slot: Slot) -> bool {
    call(Call::CapabilityIdentify { slot }).is_ok()
}

/// Spins (yielding) up to `nanoseconds` for `condition`; returns whether it became true.
pub fn wait_until(nanoseconds: u64, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = libos::kernel::clock_nanoseconds() + nanoseconds;
    while libos::kernel::clock_nanoseconds() < deadline {
        if condition() {
            return true;
        }
        libos::kernel::yield_now();
    }
    condition()
}

/// Nanoseconds in a millisecond and a second, for timeouts.
pub const MILLISECOND: u64 = 1_000_000;
/// See [`MILLISECOND`].
pub const SECOND: u64 = 1_000_000_000;

/// A fresh page-aligned region of `pages` pages (plus an unmapped guard page) in this address
/// space, in an area nothing else in the program uses.
pub fn fresh_region(pages: u64) -> u64 {
    use core::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0x0000_5000_0000_0000);
    NEXT.fetch_add((pages + 1) * 4096, Ordering::Relaxed)
}
