//! Kernel time: the count of timer ticks since the timer started.

use core::sync::atomic::{AtomicU64, Ordering};

/// Timer interrupts per second.
pub const TICKS_PER_SECOND: u32 = 100;

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
static TIMESTAMP_TICKS_PER_MICROSECOND: AtomicU64 = AtomicU64::new(0);

/// Records the timestamp-counter rate measured during timer calibration.
pub fn set_timestamp_rate(boot_timestamp: u64, ticks_per_microsecond: u64) {
    BOOT_TIMESTAMP.store(boot_timestamp, Ordering::Relaxed);
    TIMESTAMP_TICKS_PER_MICROSECOND.store(ticks_per_microsecond.max(1), Ordering::Relaxed);
}

/// Timestamp-counter ticks per microsecond (0 before calibration).
#[must_use]
pub fn timestamp_ticks_per_microsecond() -> u64 {
    TIMESTAMP_TICKS_PER_MICROSECOND.load(Ordering::Relaxed)
}

/// Nanoseconds since the timer was calibrated, from the timestamp counter.
#[must_use]
pub fn nanoseconds_since_boot() -> u64 {
    let rate = timestamp_ticks_per_microsecond().max(1);
    let elapsed =
        crate::arch::timestamp_counter().saturating_sub(BOOT_TIMESTAMP.load(Ordering::Relaxed));
    ((u128::from(elapsed) * 1000) / u128::from(rate)) as u64
}
