//! Small helpers the tests share: slots, frames, expected errors.

use alloc::string::String;

use libos::abi::{Call, PageCount, Rights, Slot, initial};
use libos::kernel::call;

/// A test's outcome: `Err` carries the reason it failed.
pub type Outcome = libos::test_protocol::CheckOutcome;

pub use libos::test_support::{expect_error, release, slot, step};

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
