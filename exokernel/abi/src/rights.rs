//! Capability rights: the bit set saying what a capability lets its holder do to the object it names.
//!
//! Rights only ever shrink: a capability derived from another (copy, mint, a frame created from a
//! memory quota, a quota split from a quota) gets `parent & mask`, so no sequence of operations can
//! produce authority its source did not have. A right that means nothing for an object's kind is
//! harmless; the kernel ignores it.

bitflags::bitflags! {
    /// What a capability authorises, as a set of independent bits.
    ///
    /// The values are part of the kernel-call ABI: a rights mask travels in a register as a `u32`.
    /// The kernel rejects a mask with unknown bits (`InvalidArgument`) rather than dropping them.
    /// Rights described below as "reserved" have no call that checks them yet.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
    #[repr(transparent)]
    pub struct Rights: u32 {
        /// Frame: may be mapped readable. IoPorts (the console): may read. Environment: may read
        /// its status and saved registers, and watch for its end.
        const READ = 1 << 0;
        /// Frame: may be mapped writable. IoPorts (the console): may write. Environment: may write
        /// its saved registers. Timer: may arm and disarm it.
        const WRITE = 1 << 1;
        /// Frame: may be mapped executable.
        const EXECUTE = 1 << 2;
        /// Frame: may be mapped into an address space at all. AddressSpace: frames may be mapped
        /// into and unmapped from it.
        const MAP = 1 << 3;
        /// The capability may be passed on: copied, minted, or moved into another capability
        /// space. Endpoint: capabilities may be transferred in messages sent through it.
        const GRANT = 1 << 4;
        /// Endpoint: may send (and call).
        const SEND = 1 << 5;
        /// Endpoint: may receive (and reply).
        const RECEIVE = 1 << 6;
        /// Notification: may set signal bits (and be an exit notification).
        const SIGNAL = 1 << 7;
        /// Notification: may wait for and poll signal bits. (Irq: reserved.)
        const WAIT = 1 << 8;
        /// Environment: may start, stop and grant capabilities into it. (Deleting any
        /// capability needs no right: an object dies with its last one.)
        const CONTROL = 1 << 9;
        /// MemoryQuota: may spend the budget, creating frames or splitting off a child quota.
        /// READ, WRITE, EXECUTE and MAP on a quota bound the rights of the frames made from it.
        const ALLOCATE = 1 << 10;
    }
}
