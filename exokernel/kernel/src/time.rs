//! Kernel time: the count of timer ticks, and the nanosecond clock read from the timestamp
//! counter with the time page's formula (so `ClockRead` and the time page agree exactly).

use core::sync::atomic::{AtomicU64, Ordering};

use exokernel_abi::TimePage;

/// Timer interrupts per second.
pub const TICKS_PER_SECOND: u32 = 100;

/// Nanoseconds between timer interrupts.
pub const TICK_NANOSECONDS: u64 = 1_000_000_000 / TICKS_PER_SECOND as u64;

static TICKS: AtomicU64 = AtomicU64::new(0);

/// Called from the timer interrupt.
pub fn tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// Timer ticks since the timer started.
#[must_use]
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

static BOOT_TIMESTAMP: AtomicU64 = AtomicU64::new(0);
static TIMESTAMP_TICKS_PER_MICROSECOND: AtomicU64 = AtomicU64::new(1);
static MULTIPLIER: AtomicU64 = AtomicU64::new(1000 << TimePage::SHIFT);

/// Records the timestamp-counter rate measured during timer calibration.
pub fn set_timestamp_rate(boot_timestamp: u64, ticks_per_microsecond: u64) {
    let page = TimePage::new(boot_timestamp, ticks_per_microsecond, 0, TICK_NANOSECONDS);
    BOOT_TIMESTAMP.store(boot_timestamp, Ordering::Relaxed);
    TIMESTAMP_TICKS_PER_MICROSECOND.store(ticks_per_microsecond.max(1), Ordering::Relaxed);
    MULTIPLIER.store(page.multiplier, Ordering::Relaxed);
}

/// Timestamp-counter ticks per microsecond.
#[must_use]
pub fn timestamp_ticks_per_microsecond() -> u64 {
    TIMESTAMP_TICKS_PER_MICROSECOND.load(Ordering::Relaxed)
}

/// The time page for this boot, with `realtime_at_boot_seconds` filled in by the caller.
#[must_use]
pub fn time_page(realtime_at_boot_seconds: u64) -> TimePage {
    TimePage::new(
        BOOT_TIMESTAMP.load(Ordering::Relaxed),
        timestamp_ticks_per_microsecond(),
        realtime_at_boot_seconds,
        TICK_NANOSECONDS,
    )
}

/// Nanoseconds since the timer was calibrated, from the timestamp counter; 0 before that (the
/// counter's rate is unknown then, and its raw count since power-on is no time since boot).
#[must_use]
pub fn nanoseconds_since_boot() -> u64 {
    let boot_timestamp = BOOT_TIMESTAMP.load(Ordering::Relaxed);
    if boot_timestamp == 0 {
        return 0;
    }
    let page = TimePage {
        boot_timestamp,
        multiplier: MULTIPLIER.load(Ordering::Relaxed),
        shift: TimePage::SHIFT,
        ..TimePage::default()
    };
    page.nanoseconds_since_boot(crate::arch::timestamp_counter())
}

static LONGEST_KERNEL_STRETCH: AtomicU64 = AtomicU64::new(0);

/// Notes a stretch of kernel work done with interrupts off on behalf of user space (one entry
/// from ring 3 to the return, or to the idle loop's wait), in timestamp-counter ticks.
pub fn record_kernel_stretch(ticks: u64) {
    LONGEST_KERNEL_STRETCH.fetch_max(ticks, Ordering::Relaxed);
}

/// Takes the longest such stretch since the last time it was taken, in timestamp-counter ticks
/// (`MemoryStatus` word 5), and starts counting afresh.
pub fn take_longest_kernel_stretch() -> u64 {
    LONGEST_KERNEL_STRETCH.swap(0, Ordering::Relaxed)
}
