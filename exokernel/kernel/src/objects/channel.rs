//! A channel: two ends, each its own object, so that the holders of one end can learn — by a
//! notification — that every capability to the other end is gone, however that happened (the
//! holder deleted it, exited, crashed or was destroyed). It carries no data: pipes and sockets
//! keep theirs in shared pages and use a channel for "the peer is gone" (Zircon's PEER_CLOSED).
//!
//! An end may be named by several objects: `ChannelDerive` makes another counting object of an
//! end (the end lives while any has capabilities, and comes alive again if it had died), or the
//! end's keeper, which can derive new counting objects but never counts itself — so a server
//! handing ends of one channel to later openers (a FIFO) does not count as a peer forever.

use exokernel_capability::Charge;

use crate::objects::environment::Watcher;

/// Watchers one end may have; the channel's page of charge pays for them.
pub const MAXIMUM_CHANNEL_WATCHERS: usize = 4;

/// One channel.
pub struct Channel {
    /// Per end, how many of its counting objects (the one `ChannelCreate` made and each one
    /// `ChannelDerive` made) still have capabilities: the end is alive while this is not 0.
    pub live: [u32; 2],
    /// Per end, whether its keeper (which never counts) has capabilities.
    pub kept: [bool; 2],
    /// The instance number the next derived end object gets.
    pub next_instance: u32,
    /// Per end, the notifications to signal when the *other* end dies.
    pub watchers: [heapless::Vec<Watcher, MAXIMUM_CHANNEL_WATCHERS>; 2],
    /// The quota charge that pays for it.
    pub charge: Option<Charge>,
}

impl Channel {
    /// Whether `side` (0 or 1) has a counting object with capabilities.
    #[must_use]
    pub fn alive(&self, side: usize) -> bool {
        self.live[side & 1] > 0
    }

    /// Whether nothing names the channel any more: it can go.
    #[must_use]
    pub fn unreferenced(&self) -> bool {
        self.live == [0, 0] && self.kept == [false, false]
    }
}
