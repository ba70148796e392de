//! The time page: filled once at boot (after timer calibration) with the clock parameters and
//! the wall-clock time read from the CMOS real-time clock, then handed to `init` as a read-only
//! frame (`initial::TIME_PAGE`) that every program maps. The kernel never writes it again:
//! everything in it is constant, user code derives the time from `rdtsc`.

use spin::Once;

use crate::arch::real_time_clock;

/// The physical address of the page, once published.
static PAGE: Once<Option<u64>> = Once::new();

/// Reads the real-time clock, fills the page and returns its physical address (`None` when no
/// frame was free, in which case `init` gets no time page).
pub fn initialise() -> Option<u64> {
    *PAGE.call_once(|| {
        let realtime = real_time_clock::read().map_or(0, |date| date.unix_seconds());
        // The clock was read now, not at the clock's zero: subtract the time since.
        let since_boot = crate::time::nanoseconds_since_boot() / 1_000_000_000;
        let page = crate::time::time_page(realtime.saturating_sub(since_boot));
        crate::info!(
            "time page: {} Hz timestamp counter, real time at boot {} s since 1970",
            page.timestamp_frequency,
            page.realtime_at_boot_seconds
        );
        crate::memory::time_page::publish(&page)
    })
}

/// The page's physical address, if it was published.
#[must_use]
pub fn physical_address() -> Option<u64> {
    PAGE.get().copied().flatten()
}
