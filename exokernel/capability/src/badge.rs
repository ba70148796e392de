//! Badges: the word minted into an endpoint or notification capability that tells its receiver
//! which sender (or which signal source) it came from.

use core::num::NonZeroU64;

/// A non-zero word identifying the holder of a minted endpoint or notification capability.
///
/// Zero is reserved to mean "unbadged", the way the kernel-call ABI passes it in a register, so
/// [`Badge::new`] refuses it and an unbadged capability carries `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Badge(NonZeroU64);

impl Badge {
    /// The badge with this value, or `None` for zero (no badge).
    #[must_use]
    pub const fn new(value: u64) -> Option<Self> {
        match NonZeroU64::new(value) {
            Some(value) => Some(Self(value)),
            None => None,
        }
    }

    /// The badge's value, as delivered to the receiver.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0.get()
    }
}
