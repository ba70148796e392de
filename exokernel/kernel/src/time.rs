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
