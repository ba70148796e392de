//! The boot-time view of physical memory: firmware regions minus excluded ranges, walked as
//! ascending frame-aligned spans of memory the allocator may hand out.

use core::iter::FusedIterator;

use crate::address::{PHYSICAL_ADDRESS_LIMIT, PhysicalAddress};
use crate::alignment::Alignment;
use crate::frame::FRAME_SIZE;
use crate::range::PhysicalRange;
use crate::region::MemoryRegion;

/// Firmware regions together with the ranges the kernel must never hand out.
///
/// The regions may be unsorted, overlapping and unaligned. A frame is available when the
/// usable regions together cover all of it and it overlaps no exclusion and no region of
/// another kind: where firmware contradicts itself the unusable claim wins, because handing
/// out reserved memory corrupts something while wasting a frame costs nothing.
#[derive(Clone, Copy, Debug)]
pub struct MemoryMap<'a> {
    regions: &'a [MemoryRegion],
    exclusions: &'a [PhysicalRange],
}

impl<'a> MemoryMap<'a> {
    /// A map of `regions` with `exclusions` (the kernel image, boot modules, the first MiB,
    /// the boot page tables, ...) removed.
    #[must_use]
    pub const fn new(regions: &'a [MemoryRegion], exclusions: &'a [PhysicalRange]) -> Self {
        Self {
            regions,
            exclusions,
        }
    }

    /// The available memory as maximal, disjoint, frame-aligned spans in ascending order.
    #[must_use]
    pub fn free_spans(&self) -> FreeSpans<'a> {
        FreeSpans {
            map: *self,
            cursor: 0,
        }
    }

    /// The lowest frame-aligned range of `length` bytes (rounded up to whole frames) that
    /// lies entirely in available memory, or `None` when no span is large enough. The
    /// kernel uses it to place the frame allocator's bookkeeping.
    #[must_use]
    pub fn find_placement(&self, length: u64) -> Option<PhysicalRange> {
        let rounded = length.checked_next_multiple_of(FRAME_SIZE)?;
        let span = self.free_spans().find(|span| span.length() >= rounded)?;
        Some(PhysicalRange::from_start_and_length(span.start(), rounded))
    }

    /// Usable regions, clamped to the architectural address limit and not yet aligned:
    /// alignment happens after merging so that a frame split across two adjacent usable
    /// entries still counts.
    fn usable_ranges(&self) -> impl Iterator<Item = (u64, u64)> + 'a {
        let limit = PhysicalRange::new(
            PhysicalAddress::ZERO,
            PhysicalAddress::new(PHYSICAL_ADDRESS_LIMIT),
        );
        self.regions
            .iter()
            .filter(|region| region.kind().is_usable())
            .map(move |region| region.range().intersection(limit))
            .filter(|range| !range.is_empty())
            .map(|range| (range.start().as_u64(), range.end().as_u64()))
    }

    /// Exclusions and regions of unusable kinds, grown to whole frames.
    fn blocking_ranges(&self) -> impl Iterator<Item = (u64, u64)> + 'a {
        let unusable = self
            .regions
            .iter()
            .filter(|region| !region.kind().is_usable())
            .map(|region| region.range());
        self.exclusions
            .iter()
            .copied()
            .chain(unusable)
            .map(|range| range.align_outward(Alignment::FRAME))
            .filter(|range| !range.is_empty())
            .map(|range| (range.start().as_u64(), range.end().as_u64()))
    }

    /// The first available span starting at or after the frame-aligned `cursor`.
    fn next_span(&self, mut cursor: u64) -> Option<PhysicalRange> {
        loop {
            let union_start = self
                .usable_ranges()
                .filter(|&(_, end)| end > cursor)
                .map(|(start, _)| start.max(cursor))
                .min()?;
            let mut union_end = union_start;
            while let Some(end) = self
                .usable_ranges()
                .filter(|&(start, end)| start <= union_end && end > union_end)
                .map(|(_, end)| end)
                .max()
            {
                union_end = end;
            }
            // Both bounds stay below the address limit, so rounding cannot overflow.
            let start = union_start.next_multiple_of(FRAME_SIZE);
            let end = union_end - union_end % FRAME_SIZE;
            if start >= end {
                cursor = union_end.next_multiple_of(FRAME_SIZE);
                continue;
            }
            if let Some(blocked_until) = self
                .blocking_ranges()
                .filter(|&(block_start, block_end)| block_start <= start && start < block_end)
                .map(|(_, block_end)| block_end)
                .max()
            {
                cursor = blocked_until;
                continue;
            }
            let end = self
                .blocking_ranges()
                .map(|(block_start, _)| block_start)
                .filter(|&block_start| start < block_start && block_start < end)
                .min()
                .unwrap_or(end);
            return Some(PhysicalRange::new(
                PhysicalAddress::new(start),
                PhysicalAddress::new(end),
            ));
        }
    }
}

/// Iterator over the available spans of a [`MemoryMap`], lowest first.
///
/// Each step looks at every region and exclusion, which is fine for the few dozen entries a
/// firmware map has and keeps the walk free of any allocation.
#[derive(Clone, Debug)]
pub struct FreeSpans<'a> {
    map: MemoryMap<'a>,
    // Frame-aligned; everything below it has been reported.
    cursor: u64,
}

impl Iterator for FreeSpans<'_> {
    type Item = PhysicalRange;

    fn next(&mut self) -> Option<PhysicalRange> {
        let span = self.map.next_span(self.cursor);
        // Past the limit no usable range remains, so the walk stays finished.
        self.cursor = span.map_or(PHYSICAL_ADDRESS_LIMIT, |span| span.end().as_u64());
        span
    }
}

impl FusedIterator for FreeSpans<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::MemoryKind;

    fn range(start: u64, end: u64) -> PhysicalRange {
        PhysicalRange::new(PhysicalAddress::new(start), PhysicalAddress::new(end))
    }

    fn region(start: u64, end: u64, kind: MemoryKind) -> MemoryRegion {
        MemoryRegion::from_range(range(start, end), kind)
    }

    fn assert_spans(map: &MemoryMap<'_>, expected: &[(u64, u64)]) {
        let mut spans = map.free_spans();
        for &(start, end) in expected {
            assert_eq!(spans.next(), Some(range(start, end)));
        }
        assert_eq!(spans.next(), None);
        assert_eq!(spans.next(), None);
    }

    #[test]
    fn empty_map_has_no_spans() {
        assert_spans(&MemoryMap::new(&[], &[]), &[]);
    }

    #[test]
    fn unsorted_regions_come_out_sorted_and_aligned() {
        let regions = [
            region(0x10_0000, 0x20_0000, MemoryKind::Usable),
            region(0x1001, 0x5fff, MemoryKind::Usable),
            region(0x9000, 0xa000, MemoryKind::Reserved),
        ];
        assert_spans(
            &MemoryMap::new(&regions, &[]),
            &[(0x2000, 0x5000), (0x10_0000, 0x20_0000)],
        );
    }

    #[test]
    fn overlapping_and_adjacent_usable_regions_merge() {
        let regions = [
            region(0x1000, 0x3800, MemoryKind::Usable),
            region(0x3800, 0x6000, MemoryKind::Usable),
            region(0x2000, 0x4000, MemoryKind::Usable),
        ];
        assert_spans(&MemoryMap::new(&regions, &[]), &[(0x1000, 0x6000)]);
    }

    #[test]
    fn reserved_overlap_wins_over_usable() {
        let regions = [
            region(0x0, 0x10000, MemoryKind::Usable),
            region(0x4800, 0x5000, MemoryKind::AcpiNonVolatile),
        ];
        assert_spans(
            &MemoryMap::new(&regions, &[]),
            &[(0x0, 0x4000), (0x5000, 0x10000)],
        );
    }

    #[test]
    fn exclusions_cut_spans_and_grow_to_frames() {
        let regions = [region(0x0, 0x20000, MemoryKind::Usable)];
        let exclusions = [
            range(0x0, 0x1000),
            range(0x8001, 0x9001),
            range(0x7000, 0x8800),
        ];
        assert_spans(
            &MemoryMap::new(&regions, &exclusions),
            &[(0x1000, 0x7000), (0xa000, 0x20000)],
        );
    }

    #[test]
    fn regions_beyond_the_address_limit_are_clamped() {
        let regions = [region(
            PHYSICAL_ADDRESS_LIMIT - 0x2000,
            u64::MAX,
            MemoryKind::Usable,
        )];
        assert_spans(
            &MemoryMap::new(&regions, &[]),
            &[(PHYSICAL_ADDRESS_LIMIT - 0x2000, PHYSICAL_ADDRESS_LIMIT)],
        );
    }

    #[test]
    fn exclusion_reaching_the_top_of_the_address_space() {
        let regions = [region(0x0, 0x10000, MemoryKind::Usable)];
        let exclusions = [range(0x8000, u64::MAX)];
        assert_spans(&MemoryMap::new(&regions, &exclusions), &[(0x0, 0x8000)]);
    }

    #[test]
    fn find_placement_takes_the_lowest_fitting_span() {
        let regions = [
            region(0x1000, 0x3000, MemoryKind::Usable),
            region(0x10000, 0x20000, MemoryKind::Usable),
        ];
        let map = MemoryMap::new(&regions, &[]);
        assert_eq!(map.find_placement(0x1800), Some(range(0x1000, 0x3000)));
        assert_eq!(map.find_placement(0x2001), Some(range(0x10000, 0x13000)));
        assert_eq!(map.find_placement(0x10001), None);
        assert_eq!(map.find_placement(u64::MAX), None);
    }
}
