//! Clocks without a kernel entry: the kernel's time page (the frame in `initial::TIME_PAGE`) is
//! mapped read-only at [`TIME_PAGE_ADDRESS`] at start-up, and [`clock_monotonic`] and
//! [`clock_realtime`] compute the time from it and `rdtsc`, as Linux's vDSO does. A program that
//! was given no time page falls back to `ClockRead` (and real time 0 + monotonic).

use core::sync::atomic::{AtomicBool, Ordering};

use exokernel_abi::{Call, KernelError, Rights, TimePage, initial};

use crate::kernel::call;

/// Where every program maps the time page.
pub const TIME_PAGE_ADDRESS: u64 = 0x0000_7000_0000_0000;

static MAPPED: AtomicBool = AtomicBool::new(false);

/// Maps the time page, if this program holds one. Called once at start-up.
pub(crate) fn map_time_page() {
    let mapped = call(Call::Map {
        address_space: initial::SELF_ADDRESS_SPACE,
        frame: initial::TIME_PAGE,
        address: exokernel_abi::PageAddress(TIME_PAGE_ADDRESS),
        first_page: 0,
        pages: exokernel_abi::PageCount(1),
        rights: Rights::READ,
    });
    MAPPED.store(mapped.is_ok() && time_page().is_some(), Ordering::Release);
}

/// Whether the time page is mapped (so this program can also hand it to its children).
#[must_use]
pub fn has_time_page() -> bool {
    MAPPED.load(Ordering::Acquire)
}

/// A copy of the time page, if it is mapped and filled.
fn time_page() -> Option<TimePage> {
    // SAFETY: read only after a successful `Map` of the one-page frame at this address (or
    // during `map_time_page` right after it); the page stays mapped read-only for the program's
    // life and is never written after boot. A volatile read of a `repr(C)` struct of `u64`s.
    let page = unsafe { core::ptr::read_volatile(TIME_PAGE_ADDRESS as *const TimePage) };
    (page.layout_version == TimePage::LAYOUT_VERSION).then_some(page)
}

pub(crate) fn timestamp() -> u64 {
    // SAFETY: `rdtsc` only reads the timestamp counter (user mode may: CR4.TSD is clear).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Nanoseconds since boot (CLOCK_MONOTONIC): the same clock as `ClockRead`, read without
/// entering the kernel when the time page is mapped.
#[must_use]
pub fn clock_monotonic() -> u64 {
    if has_time_page()
        && let Some(page) = time_page()
    {
        return page.nanoseconds_since_boot(timestamp());
    }
    crate::kernel::clock_nanoseconds()
}

/// Nanoseconds since 1970-01-01 00:00:00 UTC (CLOCK_REALTIME), from the wall-clock time the
/// kernel read at boot plus the monotonic clock.
///
/// # Errors
/// `InvalidState` when this program has no time page (no wall-clock time is known).
pub fn clock_realtime() -> Result<u64, KernelError> {
    if has_time_page()
        && let Some(page) = time_page()
    {
        return Ok(page.realtime_nanoseconds(timestamp()));
    }
    Err(KernelError::InvalidState)
}
