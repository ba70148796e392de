//! Small helpers the checks share: outcomes, slots, expected errors, addresses, waiting.

use libos::abi::{Call, Slot};
use libos::kernel::call;

/// A check's outcome: `Err` carries the reason it failed.
pub type Outcome = libos::test_protocol::CheckOutcome;

pub use libos::test_support::{expect_error, release, slot, step};

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
