//! Small helpers the tests share: slots, frames, expected errors.

use alloc::format;
use alloc::string::String;

use libos::abi::{Call, KernelError, PageCount, Rights, Slot, initial};
use libos::kernel::call;
use libos::slots;

/// A test's outcome: `Err` carries the reason it failed.
pub type Outcome = Result<(), String>;

/// Fails the test with a formatted reason unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($condition:expr, $($reason:tt)*) => {
        if !$condition {
            return Err(alloc::format!($($reason)*));
        }
    };
}

/// Turns a kernel error into a test failure naming the step.
pub fn step<T>(what: &str, result: Result<T, KernelError>) -> Result<T, String> {
    result.map_err(|error| format!("{what}: {error}"))
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

/// A free slot.
pub fn slot() -> Result<Slot, String> {
    slots::allocate().ok_or_else(|| String::from("out of capability slots"))
}

/// Deletes a capability and frees its slot.
pub fn release(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// A fresh frame of `pages` pages from our quota.
pub fn frame(pages: u64) -> Result<Slot, String> {
    let slot = slot()?;
    step(
        "allocate frame",
        call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: slot,
            pages: PageCount(pages),
        }),
    )?;
    Ok(slot)
}

/// Copies `source` into a fresh slot with `rights`.
pub fn copy(source: Slot, rights: Rights) -> Result<Slot, String> {
    let slot = slot()?;
    step(
        "copy capability",
        call(Call::CapabilityCopy {
            source,
            destination: slot,
            rights,
        }),
    )?;
    Ok(slot)
}

/// Busy-waits up to `nanoseconds` for `condition`.
pub fn wait_until(nanoseconds: u64, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = libos::kernel::clock_nanoseconds() + nanoseconds;
    while libos::kernel::clock_nanoseconds() < deadline {
        if condition() {
            return true;
        }
    }
    condition()
}

/// A fresh page-aligned address in the area these tests map into.
pub fn test_address() -> u64 {
    use core::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0x0000_5000_0000_0000);
    NEXT.fetch_add(0x10_0000, Ordering::Relaxed)
}
