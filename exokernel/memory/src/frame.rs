//! A 4 KiB physical frame: the unit the frame allocator hands out.

use crate::address::PhysicalAddress;
use crate::alignment::Alignment;
use crate::range::PhysicalRange;

/// The size of a physical frame in bytes.
pub const FRAME_SIZE: u64 = 4096;

/// log2 of [`FRAME_SIZE`], for converting between frame numbers and addresses.
pub(crate) const FRAME_SHIFT: u32 = FRAME_SIZE.trailing_zeros();

/// A frame-aligned 4 KiB block of physical memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhysicalFrame {
    // Invariant: frame-aligned.
    start: PhysicalAddress,
}

impl PhysicalFrame {
    /// The frame that contains `address`.
    #[must_use]
    pub const fn containing(address: PhysicalAddress) -> Self {
        Self {
            start: address.align_down(Alignment::FRAME),
        }
    }

    /// The frame starting at `address`, or `None` when `address` is not frame-aligned.
    #[must_use]
    pub const fn from_start_address(address: PhysicalAddress) -> Option<Self> {
        if address.is_aligned(Alignment::FRAME) {
            Some(Self { start: address })
        } else {
            None
        }
    }

    /// The frame with the given number (its address divided by [`FRAME_SIZE`]), or `None`
    /// when its address would not fit in 64 bits.
    #[must_use]
    pub const fn from_number(number: u64) -> Option<Self> {
        match number.checked_mul(FRAME_SIZE) {
            Some(start) => Some(Self {
                start: PhysicalAddress::new(start),
            }),
            None => None,
        }
    }

    /// The first byte of the frame.
    #[must_use]
    pub const fn start_address(self) -> PhysicalAddress {
        self.start
    }

    /// The frame's address divided by [`FRAME_SIZE`].
    #[must_use]
    pub const fn number(self) -> u64 {
        self.start.as_u64() >> FRAME_SHIFT
    }

    /// The bytes the frame covers. The topmost frame's range stops one byte short, because
    /// a half-open range cannot end at 2^64.
    #[must_use]
    pub const fn range(self) -> PhysicalRange {
        PhysicalRange::from_start_and_length(self.start, FRAME_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containing_rounds_down() {
        let frame = PhysicalFrame::containing(PhysicalAddress::new(0x5fff));
        assert_eq!(frame.start_address(), PhysicalAddress::new(0x5000));
        assert_eq!(frame.number(), 5);
    }

    #[test]
    fn from_start_address_rejects_unaligned() {
        assert_eq!(
            PhysicalFrame::from_start_address(PhysicalAddress::new(0x1001)),
            None
        );
        assert_eq!(
            PhysicalFrame::from_start_address(PhysicalAddress::new(0x2000))
                .map(PhysicalFrame::number),
            Some(2)
        );
    }

    #[test]
    fn from_number_rejects_overflow() {
        assert_eq!(PhysicalFrame::from_number(u64::MAX), None);
        let frame = PhysicalFrame::from_number(3);
        assert_eq!(
            frame.map(PhysicalFrame::start_address),
            Some(PhysicalAddress::new(0x3000))
        );
    }

    #[test]
    fn range_covers_the_frame() {
        let range = PhysicalFrame::containing(PhysicalAddress::new(0x2000)).range();
        assert_eq!(range.start(), PhysicalAddress::new(0x2000));
        assert_eq!(range.end(), PhysicalAddress::new(0x3000));
    }
}
