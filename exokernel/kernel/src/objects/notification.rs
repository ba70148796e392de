//! A notification: a word of signal bits and the environments waiting for any to be set.

use alloc::collections::VecDeque;

use exokernel_capability::Charge;

/// Asynchronous signal bits.
#[derive(Default)]
pub struct Notification {
    /// Bits signalled and not yet taken.
    pub word: u64,
    /// Environments waiting, oldest first.
    pub waiters: VecDeque<u32>,
    /// The endpoint it is bound to (`NotificationBind`), whose receivers it also wakes.
    pub bound_endpoint: Option<u32>,
    /// The quota charge that pays for it.
    pub charge: Option<Charge>,
}
