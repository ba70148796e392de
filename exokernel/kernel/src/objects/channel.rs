//! A channel: two ends, each its own object, so that the holders of one end can learn — by a
//! notification — that every capability to the other end is gone, however that happened (the
//! holder deleted it, exited, crashed or was destroyed). It carries no data: pipes and sockets
//! keep theirs in shared pages and use a channel for "the peer is gone" (Zircon's PEER_CLOSED).

use exokernel_capability::Charge;

use crate::objects::environment::Watcher;

/// Watchers one end may have; the channel's page of charge pays for them.
pub const MAXIMUM_CHANNEL_WATCHERS: usize = 4;

/// One channel.
pub struct Channel {
    /// Whether each end still has capabilities.
    pub alive: [bool; 2],
    /// Per end, the notifications to signal when the *other* end dies.
    pub watchers: [heapless::Vec<Watcher, MAXIMUM_CHANNEL_WATCHERS>; 2],
    /// The quota charge that pays for it.
    pub charge: Option<Charge>,
}
