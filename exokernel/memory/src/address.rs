//! A physical memory address, kept distinct from virtual addresses and plain integers.

use core::fmt;

use crate::alignment::Alignment;

/// One past the highest physical address x86_64 can express (52 address bits).
///
/// Memory-map entries beyond this are firmware nonsense; clamping them here keeps the
/// allocator's bookkeeping from being sized for an impossible machine.
pub const PHYSICAL_ADDRESS_LIMIT: u64 = 1 << 52;

/// A byte address in physical memory.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhysicalAddress(u64);

impl PhysicalAddress {
    /// The address zero.
    pub const ZERO: Self = Self(0);

    /// Wraps a raw physical address.
    #[must_use]
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The raw address.
    #[must_use]
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// The highest address at or below this one that has the given alignment.
    #[must_use]
    pub const fn align_down(self, alignment: Alignment) -> Self {
        Self(self.0 & !alignment.mask())
    }

    /// The lowest address at or above this one that has the given alignment, or `None`
    /// when that would not fit in 64 bits.
    #[must_use]
    pub const fn align_up(self, alignment: Alignment) -> Option<Self> {
        match self.0.checked_add(alignment.mask()) {
            Some(sum) => Some(Self(sum & !alignment.mask())),
            None => None,
        }
    }

    /// Whether the address is a multiple of the alignment.
    #[must_use]
    pub const fn is_aligned(self, alignment: Alignment) -> bool {
        self.0 & alignment.mask() == 0
    }

    /// The address `bytes` further on, or `None` when that would not fit in 64 bits.
    #[must_use]
    pub const fn checked_add(self, bytes: u64) -> Option<Self> {
        match self.0.checked_add(bytes) {
            Some(sum) => Some(Self(sum)),
            None => None,
        }
    }
}

// Hexadecimal, because physical addresses are only ever read against page and region boundaries.
impl fmt::Debug for PhysicalAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "PhysicalAddress({:#x})", self.0)
    }
}

impl fmt::Display for PhysicalAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:#x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_down_and_up() {
        let address = PhysicalAddress::new(0x1234);
        assert_eq!(
            address.align_down(Alignment::FRAME),
            PhysicalAddress::new(0x1000)
        );
        assert_eq!(
            address.align_up(Alignment::FRAME),
            Some(PhysicalAddress::new(0x2000))
        );
        assert!(!address.is_aligned(Alignment::FRAME));
        let aligned = PhysicalAddress::new(0x3000);
        assert_eq!(aligned.align_up(Alignment::FRAME), Some(aligned));
        assert_eq!(aligned.align_down(Alignment::FRAME), aligned);
        assert!(aligned.is_aligned(Alignment::FRAME));
    }

    #[test]
    fn align_up_reports_overflow() {
        assert_eq!(
            PhysicalAddress::new(u64::MAX).align_up(Alignment::FRAME),
            None
        );
    }

    #[test]
    fn checked_add_reports_overflow() {
        assert_eq!(PhysicalAddress::new(u64::MAX).checked_add(1), None);
        assert_eq!(
            PhysicalAddress::new(1).checked_add(2),
            Some(PhysicalAddress::new(3))
        );
    }
}
