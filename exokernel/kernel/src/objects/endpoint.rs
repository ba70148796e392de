//! A synchronous IPC endpoint: the environments waiting to send (call) or to receive on it.

use alloc::collections::VecDeque;

use exokernel_capability::Charge;

/// An endpoint's queues; a message sits in the sender's blocked state until a receiver comes.
#[derive(Default)]
pub struct Endpoint {
    /// Callers waiting for a receiver, oldest first.
    pub senders: VecDeque<u32>,
    /// Receivers waiting for a caller, oldest first.
    pub receivers: VecDeque<u32>,
    /// The notification bound to it (`NotificationBind`): its signals wake a receiver too.
    pub bound_notification: Option<u32>,
    /// The quota charge that pays for it.
    pub charge: Option<Charge>,
}
