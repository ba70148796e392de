//! Half-open ranges of physical memory and the arithmetic boot code needs on them:
//! intersection, subtraction of an excluded range, and inward or outward alignment.

use core::fmt;

use crate::address::PhysicalAddress;
use crate::alignment::Alignment;

/// The physical bytes from `start` up to but not including `end`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhysicalRange {
    // Invariant: start <= end.
    start: PhysicalAddress,
    end: PhysicalAddress,
}

impl PhysicalRange {
    /// The empty range at address zero.
    pub const EMPTY: Self = Self {
        start: PhysicalAddress::ZERO,
        end: PhysicalAddress::ZERO,
    };

    /// The range `[start, end)`; when `end` is below `start` the range is empty at `start`,
    /// so that reversed input describes no memory rather than a huge span.
    #[must_use]
    pub const fn new(start: PhysicalAddress, end: PhysicalAddress) -> Self {
        if end.as_u64() < start.as_u64() {
            Self { start, end: start }
        } else {
            Self { start, end }
        }
    }

    /// The range of `length` bytes from `start`; a length that would run past 2^64 stops at
    /// the highest address, as memory maps describe the top of the address space that way.
    #[must_use]
    pub const fn from_start_and_length(start: PhysicalAddress, length: u64) -> Self {
        Self {
            start,
            end: PhysicalAddress::new(start.as_u64().saturating_add(length)),
        }
    }

    /// The first byte of the range.
    #[must_use]
    pub const fn start(self) -> PhysicalAddress {
        self.start
    }

    /// The first byte after the range.
    #[must_use]
    pub const fn end(self) -> PhysicalAddress {
        self.end
    }

    /// The number of bytes in the range.
    #[must_use]
    pub const fn length(self) -> u64 {
        self.end.as_u64() - self.start.as_u64()
    }

    /// Whether the range covers no bytes.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.start.as_u64() == self.end.as_u64()
    }

    /// Whether `address` lies inside the range.
    #[must_use]
    pub const fn contains(self, address: PhysicalAddress) -> bool {
        self.start.as_u64() <= address.as_u64() && address.as_u64() < self.end.as_u64()
    }

    /// Whether every byte of `other` lies inside this range (an empty `other` always does).
    #[must_use]
    pub const fn contains_range(self, other: Self) -> bool {
        other.is_empty()
            || (self.start.as_u64() <= other.start.as_u64()
                && other.end.as_u64() <= self.end.as_u64())
    }

    /// Whether the two ranges share at least one byte.
    #[must_use]
    pub fn overlaps(self, other: Self) -> bool {
        !self.intersection(other).is_empty()
    }

    /// The bytes in both ranges (empty when they are disjoint).
    #[must_use]
    pub fn intersection(self, other: Self) -> Self {
        Self::new(self.start.max(other.start), self.end.min(other.end))
    }

    /// The bytes of this range that are not in `excluded`: the part below it and the part
    /// above it, either or both of which may be empty. Together they cover exactly
    /// `self` minus `excluded`, and they never overlap.
    #[must_use]
    pub fn subtract(self, excluded: Self) -> [Self; 2] {
        if excluded.is_empty() {
            return [self, Self::new(self.end, self.end)];
        }
        let below = Self::new(self.start, self.end.min(excluded.start));
        let above = Self::new(self.start.max(excluded.end), self.end);
        [below, above]
    }

    /// The largest aligned range inside this one: the start rounds up and the end rounds
    /// down, so that no partially described block is treated as wholly present.
    #[must_use]
    pub const fn align_inward(self, alignment: Alignment) -> Self {
        let end = self.end.align_down(alignment);
        match self.start.align_up(alignment) {
            Some(start) => Self::new(start, end),
            None => Self::new(end, end),
        }
    }

    /// The smallest aligned range that covers this one: the start rounds down and the end
    /// rounds up, so that a block only partially excluded is excluded whole. An end that
    /// cannot round up within 64 bits stops at the highest aligned address, which still
    /// covers every block an inward-aligned range can contain.
    #[must_use]
    pub const fn align_outward(self, alignment: Alignment) -> Self {
        if self.is_empty() {
            return self;
        }
        let start = self.start.align_down(alignment);
        let end = match self.end.align_up(alignment) {
            Some(end) => end,
            None => PhysicalAddress::new(u64::MAX).align_down(alignment),
        };
        Self::new(start, end)
    }
}

impl fmt::Debug for PhysicalRange {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "PhysicalRange({}..{})", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: u64, end: u64) -> PhysicalRange {
        PhysicalRange::new(PhysicalAddress::new(start), PhysicalAddress::new(end))
    }

    #[test]
    fn reversed_bounds_give_an_empty_range() {
        let reversed = range(10, 5);
        assert!(reversed.is_empty());
        assert_eq!(reversed.start(), PhysicalAddress::new(10));
        assert_eq!(reversed.length(), 0);
    }

    #[test]
    fn length_saturates_at_the_top_of_the_address_space() {
        let top = PhysicalRange::from_start_and_length(PhysicalAddress::new(u64::MAX - 1), 10);
        assert_eq!(top.end(), PhysicalAddress::new(u64::MAX));
        assert_eq!(top.length(), 1);
    }

    #[test]
    fn contains_is_half_open() {
        let span = range(0x1000, 0x2000);
        assert!(span.contains(PhysicalAddress::new(0x1000)));
        assert!(span.contains(PhysicalAddress::new(0x1fff)));
        assert!(!span.contains(PhysicalAddress::new(0x2000)));
        assert!(!PhysicalRange::EMPTY.contains(PhysicalAddress::ZERO));
    }

    #[test]
    fn contains_range_and_overlaps() {
        let outer = range(0x1000, 0x4000);
        assert!(outer.contains_range(range(0x2000, 0x3000)));
        assert!(outer.contains_range(range(0x9000, 0x9000)));
        assert!(!outer.contains_range(range(0x3000, 0x5000)));
        assert!(outer.overlaps(range(0x3fff, 0x5000)));
        assert!(!outer.overlaps(range(0x4000, 0x5000)));
        assert!(!outer.overlaps(range(0x2000, 0x2000)));
    }

    #[test]
    fn intersection_of_disjoint_ranges_is_empty() {
        assert!(range(0, 10).intersection(range(20, 30)).is_empty());
        assert_eq!(range(0, 10).intersection(range(5, 30)), range(5, 10));
    }

    #[test]
    fn subtract_splits_around_a_hole() {
        let [below, above] = range(0, 100).subtract(range(40, 60));
        assert_eq!(below, range(0, 40));
        assert_eq!(above, range(60, 100));
    }

    #[test]
    fn subtract_trims_one_side() {
        let [below, above] = range(0, 100).subtract(range(50, 200));
        assert_eq!(below, range(0, 50));
        assert!(above.is_empty());
        let [below, above] = range(50, 100).subtract(range(0, 70));
        assert!(below.is_empty());
        assert_eq!(above, range(70, 100));
    }

    #[test]
    fn subtract_of_a_covering_range_leaves_nothing() {
        let [below, above] = range(10, 20).subtract(range(0, 30));
        assert!(below.is_empty() && above.is_empty());
    }

    #[test]
    fn subtract_of_a_disjoint_or_empty_range_keeps_everything() {
        let [below, above] = range(10, 20).subtract(range(30, 40));
        assert_eq!(below, range(10, 20));
        assert!(above.is_empty());
        let [below, above] = range(10, 20).subtract(range(15, 15));
        assert_eq!(below, range(10, 20));
        assert!(above.is_empty());
    }

    #[test]
    fn align_inward_shrinks_to_whole_frames() {
        assert_eq!(
            range(0x1001, 0x3fff).align_inward(Alignment::FRAME),
            range(0x2000, 0x3000)
        );
        assert!(
            range(0x1001, 0x1fff)
                .align_inward(Alignment::FRAME)
                .is_empty()
        );
        assert!(
            range(u64::MAX - 5, u64::MAX)
                .align_inward(Alignment::FRAME)
                .is_empty()
        );
    }

    #[test]
    fn align_outward_grows_to_whole_frames() {
        assert_eq!(
            range(0x1001, 0x3001).align_outward(Alignment::FRAME),
            range(0x1000, 0x4000)
        );
        assert!(
            range(0x1001, 0x1001)
                .align_outward(Alignment::FRAME)
                .is_empty()
        );
        let top = range(u64::MAX - 5, u64::MAX).align_outward(Alignment::FRAME);
        // The topmost frame can never be whole, so growing stops below it.
        assert_eq!(top.end(), PhysicalAddress::new(!0xfff));
    }
}
