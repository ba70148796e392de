//! A timer: signals a notification at a deadline and, when periodic, every period after it.
//! While armed it has exactly one entry in the kernel's timer queue.

use exokernel_capability::Charge;

/// One timer.
pub struct Timer {
    /// The notification it signals (`None` once that notification is destroyed).
    pub notification: Option<u32>,
    /// The bits it signals (the notification capability's badge when it had one).
    pub bits: u64,
    /// When it fires next, in nanoseconds since boot, while armed.
    pub deadline: Option<u64>,
    /// Nanoseconds between firings; 0 for a one-shot timer.
    pub period: u64,
    /// The quota charge that pays for it (and for its queue entry).
    pub charge: Option<Charge>,
}
