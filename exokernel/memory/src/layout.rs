//! How much storage the frame allocator's bookkeeping needs for a given memory map.

use crate::address::PhysicalAddress;
use crate::bitmap::BITS_PER_WORD;
use crate::frame::{FRAME_SHIFT, FRAME_SIZE};
use crate::memory_map::MemoryMap;
use crate::range::PhysicalRange;
use crate::summarised_bitmap::summary_words_for;

/// The frames the allocator tracks (from the lowest to the highest available frame) and
/// the storage that takes.
///
/// The storage holds two bitmaps of one bit per tracked frame, "usable" and "free" (two,
/// so that freeing a frame that was never usable is caught rather than silently making it
/// allocatable), followed by a summary of one bit per word of the free bitmap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BookkeepingLayout {
    first_frame_number: u64,
    frame_count: u64,
}

impl BookkeepingLayout {
    /// The layout for `map`, or `None` when it has no available frame.
    #[must_use]
    pub fn for_memory_map(map: &MemoryMap<'_>) -> Option<Self> {
        let mut spans = map.free_spans();
        let first = spans.next()?;
        let last = spans.last().unwrap_or(first);
        let first_frame_number = first.start().as_u64() >> FRAME_SHIFT;
        let end_frame_number = last.end().as_u64() >> FRAME_SHIFT;
        Some(Self {
            first_frame_number,
            frame_count: end_frame_number - first_frame_number,
        })
    }

    /// The number of the lowest tracked frame.
    #[must_use]
    pub const fn first_frame_number(self) -> u64 {
        self.first_frame_number
    }

    /// How many frames are tracked, available or not.
    #[must_use]
    pub const fn frame_count(self) -> u64 {
        self.frame_count
    }

    /// The physical memory the tracked frames span.
    #[must_use]
    pub const fn tracked_range(self) -> PhysicalRange {
        PhysicalRange::new(
            PhysicalAddress::new(self.first_frame_number << FRAME_SHIFT),
            PhysicalAddress::new((self.first_frame_number + self.frame_count) << FRAME_SHIFT),
        )
    }

    /// Words in each of the two per-frame bitmaps.
    pub(crate) const fn bitmap_words(self) -> usize {
        self.frame_count.div_ceil(BITS_PER_WORD) as usize
    }

    /// Words in the summary of the free bitmap.
    pub(crate) const fn summary_words(self) -> usize {
        summary_words_for(self.bitmap_words())
    }

    /// The number of `u64` words the allocator's storage must hold.
    #[must_use]
    pub const fn word_count(self) -> usize {
        2 * self.bitmap_words() + self.summary_words()
    }

    /// The storage size in bytes, rounded up to whole frames: the length to pass to
    /// [`MemoryMap::find_placement`].
    #[must_use]
    pub const fn byte_length(self) -> u64 {
        (self.word_count() as u64 * size_of::<u64>() as u64).next_multiple_of(FRAME_SIZE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::{MemoryKind, MemoryRegion};

    #[test]
    fn empty_map_has_no_layout() {
        assert_eq!(
            BookkeepingLayout::for_memory_map(&MemoryMap::new(&[], &[])),
            None
        );
    }

    #[test]
    fn layout_spans_lowest_to_highest_available_frame() {
        let regions = [
            MemoryRegion::new(
                PhysicalAddress::new(0x10_0000),
                0x10_0000,
                MemoryKind::Usable,
            ),
            MemoryRegion::new(
                PhysicalAddress::new(0x1_0000_0000),
                0x1000,
                MemoryKind::Usable,
            ),
        ];
        let layout = BookkeepingLayout::for_memory_map(&MemoryMap::new(&regions, &[])).unwrap();
        assert_eq!(layout.first_frame_number(), 0x100);
        assert_eq!(layout.frame_count(), 0x10_0001 - 0x100);
        assert_eq!(
            layout.tracked_range().start(),
            PhysicalAddress::new(0x10_0000)
        );
        assert_eq!(
            layout.tracked_range().end(),
            PhysicalAddress::new(0x1_0000_1000)
        );
        let bitmap_words = (0x10_0001u64 - 0x100).div_ceil(64) as usize;
        assert_eq!(
            layout.word_count(),
            2 * bitmap_words + bitmap_words.div_ceil(64)
        );
        assert_eq!(layout.byte_length() % FRAME_SIZE, 0);
        assert!(layout.byte_length() >= layout.word_count() as u64 * 8);
    }
}
