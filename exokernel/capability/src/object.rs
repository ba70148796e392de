//! The kernel objects a capability can name, identified by value.
//!
//! This crate does not know what the objects contain: the kernel allocates their ids (indices into
//! its own tables) and destroys them when told they are unreferenced. Two capabilities name the same
//! object exactly when their [`Object`] values are equal.

use crate::quota::QuotaId;
use exokernel_abi::ObjectKind;

/// One kernel object, as named by a capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Object {
    /// A budget of physical pages, kept by this crate (see [`crate::CapabilitySystem::charge`]).
    MemoryQuota(QuotaId),
    /// A run of physical pages.
    Frame(Frame),
    /// A page-table root, by the kernel's address-space id.
    AddressSpace(u32),
    /// An execution context, by the kernel's environment id.
    Environment(u32),
    /// A synchronous IPC rendezvous point, by the kernel's endpoint id.
    Endpoint(u32),
    /// A word of asynchronous signal bits, by the kernel's notification id.
    Notification(u32),
    /// An interrupt line, for a user-level driver.
    Irq(u32),
    /// A range of x86 I/O ports, for a user-level driver.
    IoPorts(IoPortRange),
    /// A one-shot or periodic timer, by the kernel's timer id.
    Timer(u32),
    /// One end of a channel. The two ends are distinct objects, so each has its own count of
    /// capabilities and dies on its own; the kernel tells the other end's watchers.
    ChannelEnd(ChannelEnd),
}

/// One end of a channel: the kernel's channel id, which end (0 or 1), and which object of that
/// end — an end may be named by several objects (`ChannelDerive` makes more), each counting as a
/// holder while it has capabilities, plus one keeper ([`ChannelEnd::KEEPER`]) that never counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelEnd {
    /// The kernel's channel id.
    pub channel: u32,
    /// Which end: 0 or 1.
    pub side: u8,
    /// Which object of the end: 0 for the one `ChannelCreate` made, [`ChannelEnd::KEEPER`] for
    /// the keeper.
    pub instance: u32,
}

impl ChannelEnd {
    /// The instance number of an end's keeper.
    pub const KEEPER: u32 = u32::MAX;

    /// Whether this object is its end's keeper.
    #[must_use]
    pub const fn is_keeper(&self) -> bool {
        self.instance == Self::KEEPER
    }
}

/// Physically contiguous pages, and the quota that paid for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame {
    /// Physical address of the first page.
    pub physical_address: u64,
    /// Number of 4 KiB pages.
    pub page_count: u64,
    /// The quota charged for these pages, credited back when the frame dies; `None` for memory
    /// that no quota paid for (device memory, boot modules), which the kernel handed out itself.
    pub quota: Option<QuotaId>,
}

/// The I/O ports `first .. first + count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IoPortRange {
    /// The lowest port in the range.
    pub first: u16,
    /// How many consecutive ports.
    pub count: u16,
}

impl Object {
    /// What kind of object this is (the ABI's kind code, as `CapabilityIdentify` reports it).
    #[must_use]
    pub const fn kind(&self) -> ObjectKind {
        match self {
            Self::MemoryQuota(_) => ObjectKind::MemoryQuota,
            Self::Frame(_) => ObjectKind::Frame,
            Self::AddressSpace(_) => ObjectKind::AddressSpace,
            Self::Environment(_) => ObjectKind::Environment,
            Self::Endpoint(_) => ObjectKind::Endpoint,
            Self::Notification(_) => ObjectKind::Notification,
            Self::Irq(_) => ObjectKind::Irq,
            Self::IoPorts(_) => ObjectKind::IoPorts,
            Self::Timer(_) => ObjectKind::Timer,
            Self::ChannelEnd(_) => ObjectKind::ChannelEnd,
        }
    }

    /// Whether capabilities to this object can carry a badge: only endpoints and notifications
    /// deliver one to a receiver.
    #[must_use]
    pub const fn is_badgeable(&self) -> bool {
        matches!(self, Self::Endpoint(_) | Self::Notification(_))
    }
}
