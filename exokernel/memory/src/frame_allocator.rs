//! The physical frame allocator: lowest-first single frames, aligned contiguous runs, and
//! checked frees, over storage the kernel places inside the memory it manages.

use core::fmt;

use crate::address::PhysicalAddress;
use crate::alignment::Alignment;
use crate::bitmap::Bitmap;
use crate::error::{BuildError, ContiguousAllocationError, FreeError, OutOfFrames};
use crate::frame::{FRAME_SHIFT, FRAME_SIZE, PhysicalFrame};
use crate::layout::BookkeepingLayout;
use crate::memory_map::MemoryMap;
use crate::range::PhysicalRange;
use crate::summarised_bitmap::SummarisedBitmap;

/// What the allocator knows about one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameState {
    /// Never available: outside usable memory, excluded, or holding the bookkeeping.
    Unusable,
    /// Available and not allocated.
    Free,
    /// Available and currently allocated.
    Allocated,
}

/// Hands out and takes back 4 KiB physical frames.
///
/// Frames are tracked by index from the lowest available frame of the memory map; each has
/// a "usable" bit, fixed at build time, and a "free" bit.
pub struct FrameAllocator<'a> {
    usable: Bitmap<'a>,
    free: SummarisedBitmap<'a>,
    first_frame_number: u64,
    frame_count: u64,
    usable_count: u64,
    free_count: u64,
}

impl<'a> FrameAllocator<'a> {
    /// Builds an allocator over `map`, with every available frame free except those of
    /// `bookkeeping`, the physical range where `storage` lives (pass
    /// [`PhysicalRange::EMPTY`] when it lives in memory the map already excludes).
    ///
    /// `storage` needs [`BookkeepingLayout::word_count`] words for this map; extra words are
    /// left untouched, and its previous contents do not matter.
    ///
    /// # Errors
    ///
    /// - [`BuildError::NoUsableMemory`] when the map has no available frame.
    /// - [`BuildError::StorageTooSmall`] when `storage` is shorter than the layout needs.
    pub fn new(
        storage: &'a mut [u64],
        map: &MemoryMap<'_>,
        bookkeeping: PhysicalRange,
    ) -> Result<Self, BuildError> {
        let layout = BookkeepingLayout::for_memory_map(map).ok_or(BuildError::NoUsableMemory)?;
        let required_words = layout.word_count();
        if storage.len() < required_words {
            return Err(BuildError::StorageTooSmall {
                required_words,
                provided_words: storage.len(),
            });
        }
        let (usable_words, rest) = storage.split_at_mut(layout.bitmap_words());
        let (free_words, rest) = rest.split_at_mut(layout.bitmap_words());
        let summary_words = &mut rest[..layout.summary_words()];

        let mut allocator = Self {
            usable: Bitmap::new_cleared(usable_words),
            free: SummarisedBitmap::new_cleared(free_words, summary_words),
            first_frame_number: layout.first_frame_number(),
            frame_count: layout.frame_count(),
            usable_count: 0,
            free_count: 0,
        };
        for span in map.free_spans() {
            let (start, count) = allocator.index_run(span);
            allocator.usable.insert_run(start, count);
            allocator.free.insert_run(start, count);
        }
        let retired = bookkeeping
            .align_outward(Alignment::FRAME)
            .intersection(layout.tracked_range());
        if !retired.is_empty() {
            let (start, count) = allocator.index_run(retired);
            allocator.usable.remove_run(start, count);
            allocator.free.remove_run(start, count);
        }
        allocator.usable_count = allocator.usable.count();
        allocator.free_count = allocator.free.count();
        Ok(allocator)
    }

    /// Allocates the lowest-addressed free frame.
    ///
    /// # Errors
    ///
    /// [`OutOfFrames`] when every available frame is allocated.
    pub fn allocate_frame(&mut self) -> Result<PhysicalFrame, OutOfFrames> {
        let index = self.free.lowest().ok_or(OutOfFrames)?;
        self.free.remove_run(index, 1);
        self.free_count -= 1;
        Ok(self.frame_at(index))
    }

    /// Allocates `count` physically contiguous frames whose first frame's address is a
    /// multiple of `alignment` (alignments below [`FRAME_SIZE`] mean frame alignment),
    /// choosing the lowest such run. Returns the first frame.
    ///
    /// # Errors
    ///
    /// - [`ContiguousAllocationError::EmptyRun`] when `count` is zero.
    /// - [`ContiguousAllocationError::NoSuitableRun`] when no free run of `count` frames
    ///   with that alignment exists.
    pub fn allocate_contiguous(
        &mut self,
        count: u64,
        alignment: Alignment,
    ) -> Result<PhysicalFrame, ContiguousAllocationError> {
        if count == 0 {
            return Err(ContiguousAllocationError::EmptyRun);
        }
        if count > self.free_count {
            return Err(ContiguousAllocationError::NoSuitableRun);
        }
        let alignment_frames = (alignment.bytes() >> FRAME_SHIFT).max(1);
        let mut candidate = self.free.lowest();
        while let Some(lowest_free) = candidate {
            let start = self
                .align_index_up(lowest_free, alignment_frames)
                .filter(|start| {
                    start
                        .checked_add(count)
                        .is_some_and(|end| end <= self.frame_count)
                })
                .ok_or(ContiguousAllocationError::NoSuitableRun)?;
            match self.free.first_absent_in_run(start, count) {
                None => {
                    self.free.remove_run(start, count);
                    self.free_count -= count;
                    return Ok(self.frame_at(start));
                }
                Some(taken) => candidate = self.free.first_present_from(taken + 1),
            }
        }
        Err(ContiguousAllocationError::NoSuitableRun)
    }

    /// Returns one frame to the allocator.
    ///
    /// # Errors
    ///
    /// - [`FreeError::NeverUsable`] when the frame was never available for allocation.
    /// - [`FreeError::AlreadyFree`] when the frame is not currently allocated.
    pub fn free_frame(&mut self, frame: PhysicalFrame) -> Result<(), FreeError> {
        self.free_contiguous(frame, 1)
    }

    /// Returns `count` contiguous frames starting at `first` to the allocator. Every frame
    /// is checked before any is freed, so a refused run changes nothing.
    ///
    /// # Errors
    ///
    /// - [`FreeError::EmptyRun`] when `count` is zero.
    /// - [`FreeError::NeverUsable`] when a frame of the run was never available for
    ///   allocation; this is reported in preference to a double free.
    /// - [`FreeError::AlreadyFree`] when a frame of the run is not currently allocated.
    pub fn free_contiguous(&mut self, first: PhysicalFrame, count: u64) -> Result<(), FreeError> {
        if count == 0 {
            return Err(FreeError::EmptyRun);
        }
        let start = self
            .index_of(first)
            .ok_or(FreeError::NeverUsable { frame: first })?;
        let tracked_count = count.min(self.frame_count - start);
        if let Some(index) = self.usable.first_absent_in_run(start, tracked_count) {
            return Err(FreeError::NeverUsable {
                frame: self.frame_at(index),
            });
        }
        if tracked_count < count {
            return Err(FreeError::NeverUsable {
                frame: self.frame_at(self.frame_count),
            });
        }
        if let Some(index) = self.free.first_present_in_run(start, count) {
            return Err(FreeError::AlreadyFree {
                frame: self.frame_at(index),
            });
        }
        self.free.insert_run(start, count);
        self.free_count += count;
        Ok(())
    }

    /// Whether `frame` is unusable, free, or allocated.
    #[must_use]
    pub fn frame_state(&self, frame: PhysicalFrame) -> FrameState {
        match self.index_of(frame) {
            Some(index) if self.free.contains(index) => FrameState::Free,
            Some(index) if self.usable.contains(index) => FrameState::Allocated,
            _ => FrameState::Unusable,
        }
    }

    /// Frames currently free.
    #[must_use]
    pub const fn free_frame_count(&self) -> u64 {
        self.free_count
    }

    /// Frames currently allocated.
    #[must_use]
    pub const fn allocated_frame_count(&self) -> u64 {
        self.usable_count - self.free_count
    }

    /// All frames available for allocation, free or allocated.
    #[must_use]
    pub const fn total_frame_count(&self) -> u64 {
        self.usable_count
    }

    /// The physical memory the allocator tracks, from its lowest to its highest available
    /// frame; frames outside it are always [`FrameState::Unusable`].
    #[must_use]
    pub const fn tracked_range(&self) -> PhysicalRange {
        PhysicalRange::new(
            PhysicalAddress::new(self.first_frame_number << FRAME_SHIFT),
            PhysicalAddress::new((self.first_frame_number + self.frame_count) << FRAME_SHIFT),
        )
    }

    /// The bitmap index of `frame`, or `None` when it is outside the tracked range.
    fn index_of(&self, frame: PhysicalFrame) -> Option<u64> {
        frame
            .number()
            .checked_sub(self.first_frame_number)
            .filter(|&index| index < self.frame_count)
    }

    /// The frame at bitmap index `index`; indices stay below the 52-bit address limit, so
    /// the address cannot overflow.
    fn frame_at(&self, index: u64) -> PhysicalFrame {
        PhysicalFrame::containing(PhysicalAddress::new(
            (self.first_frame_number + index) << FRAME_SHIFT,
        ))
    }

    /// The index run of a frame-aligned range inside the tracked range.
    fn index_run(&self, range: PhysicalRange) -> (u64, u64) {
        let start = (range.start().as_u64() >> FRAME_SHIFT) - self.first_frame_number;
        (start, range.length() / FRAME_SIZE)
    }

    /// The lowest index at or above `index` whose frame number is a multiple of
    /// `alignment_frames` (a power of two), or `None` on overflow.
    fn align_index_up(&self, index: u64, alignment_frames: u64) -> Option<u64> {
        let number = self.first_frame_number + index;
        let aligned = number.checked_add(alignment_frames - 1)? & !(alignment_frames - 1);
        Some(aligned - self.first_frame_number)
    }
}

// Summarised rather than derived: the bitmaps run to hundreds of kilobytes.
impl fmt::Debug for FrameAllocator<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("FrameAllocator")
            .field("tracked_range", &self.tracked_range())
            .field("total_frame_count", &self.usable_count)
            .field("free_frame_count", &self.free_count)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::{MemoryKind, MemoryRegion};

    const MEBIBYTE: u64 = 0x10_0000;

    fn range(start: u64, end: u64) -> PhysicalRange {
        PhysicalRange::new(PhysicalAddress::new(start), PhysicalAddress::new(end))
    }

    fn frame(address: u64) -> PhysicalFrame {
        PhysicalFrame::containing(PhysicalAddress::new(address))
    }

    fn usable(start: u64, end: u64) -> MemoryRegion {
        MemoryRegion::from_range(range(start, end), MemoryKind::Usable)
    }

    /// Frames 0x1000..0x9000 and 0x10000..0x20000, with 0x4000..0x5000 reserved.
    const REGIONS: [MemoryRegion; 3] = [
        MemoryRegion::new(PhysicalAddress::new(0x1000), 0x8000, MemoryKind::Usable),
        MemoryRegion::new(PhysicalAddress::new(0x10000), 0x10000, MemoryKind::Usable),
        MemoryRegion::new(PhysicalAddress::new(0x4000), 0x1000, MemoryKind::Reserved),
    ];

    fn build<'a>(storage: &'a mut [u64], bookkeeping: PhysicalRange) -> FrameAllocator<'a> {
        FrameAllocator::new(storage, &MemoryMap::new(&REGIONS, &[]), bookkeeping).unwrap()
    }

    #[test]
    fn build_fails_without_usable_memory() {
        let regions = [MemoryRegion::from_range(
            range(0, MEBIBYTE),
            MemoryKind::Reserved,
        )];
        let map = MemoryMap::new(&regions, &[]);
        let mut storage = [0; 4];
        let error = FrameAllocator::new(&mut storage, &map, PhysicalRange::EMPTY).unwrap_err();
        assert_eq!(error, BuildError::NoUsableMemory);
    }

    #[test]
    fn build_fails_with_short_storage() {
        let regions = [usable(0, 64 * 64 * FRAME_SIZE + FRAME_SIZE)];
        let map = MemoryMap::new(&regions, &[]);
        let required = BookkeepingLayout::for_memory_map(&map)
            .unwrap()
            .word_count();
        assert_eq!(required, 2 * 65 + 2);
        let mut storage = [0; 131];
        let error = FrameAllocator::new(&mut storage, &map, PhysicalRange::EMPTY).unwrap_err();
        assert_eq!(
            error,
            BuildError::StorageTooSmall {
                required_words: 132,
                provided_words: 131
            }
        );
    }

    #[test]
    fn build_ignores_old_storage_contents() {
        let mut storage = [u64::MAX; 8];
        let allocator = build(&mut storage, PhysicalRange::EMPTY);
        assert_eq!(allocator.total_frame_count(), 7 + 16);
        assert_eq!(allocator.free_frame_count(), 7 + 16);
        assert_eq!(allocator.allocated_frame_count(), 0);
        assert_eq!(allocator.tracked_range(), range(0x1000, 0x20000));
    }

    #[test]
    fn bookkeeping_frames_are_never_handed_out() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, range(0x1000, 0x2800));
        assert_eq!(allocator.total_frame_count(), 5 + 16);
        assert_eq!(allocator.frame_state(frame(0x1000)), FrameState::Unusable);
        assert_eq!(allocator.frame_state(frame(0x2000)), FrameState::Unusable);
        assert_eq!(allocator.allocate_frame(), Ok(frame(0x3000)));
        assert_eq!(
            allocator.free_frame(frame(0x2000)),
            Err(FreeError::NeverUsable {
                frame: frame(0x2000)
            })
        );
    }

    #[test]
    fn allocates_lowest_first_until_exhausted() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        let expected = [0x1000, 0x2000, 0x3000, 0x5000, 0x6000, 0x7000, 0x8000]
            .into_iter()
            .chain((0x10..0x20).map(|number| number * FRAME_SIZE));
        for address in expected {
            assert_eq!(allocator.allocate_frame(), Ok(frame(address)));
        }
        assert_eq!(allocator.allocate_frame(), Err(OutOfFrames));
        assert_eq!(allocator.free_frame_count(), 0);
        assert_eq!(allocator.allocated_frame_count(), 23);
    }

    #[test]
    fn freed_frame_is_reused_first() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        for _ in 0..10 {
            allocator.allocate_frame().unwrap();
        }
        assert_eq!(allocator.free_frame(frame(0x2000)), Ok(()));
        assert_eq!(allocator.frame_state(frame(0x2000)), FrameState::Free);
        assert_eq!(allocator.allocate_frame(), Ok(frame(0x2000)));
        assert_eq!(allocator.allocate_frame(), Ok(frame(0x13000)));
    }

    #[test]
    fn double_free_is_refused() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        let allocated = allocator.allocate_frame().unwrap();
        assert_eq!(allocator.free_frame(allocated), Ok(()));
        assert_eq!(
            allocator.free_frame(allocated),
            Err(FreeError::AlreadyFree { frame: allocated })
        );
        assert_eq!(
            allocator.free_frame(frame(0x9000 - FRAME_SIZE)),
            Err(FreeError::AlreadyFree {
                frame: frame(0x8000)
            })
        );
        assert_eq!(allocator.free_frame_count(), 23);
    }

    #[test]
    fn freeing_never_usable_frames_is_refused() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        for address in [0x0, 0x4000, 0x9000, 0x20000, 0xffff_f000] {
            assert_eq!(
                allocator.free_frame(frame(address)),
                Err(FreeError::NeverUsable {
                    frame: frame(address)
                })
            );
            assert_eq!(allocator.frame_state(frame(address)), FrameState::Unusable);
        }
    }

    #[test]
    fn refused_run_frees_nothing() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        let first = allocator.allocate_contiguous(3, Alignment::FRAME).unwrap();
        assert_eq!(first, frame(0x1000));
        // 0x1000..0x4000 allocated, 0x4000 reserved.
        assert_eq!(
            allocator.free_contiguous(first, 4),
            Err(FreeError::NeverUsable {
                frame: frame(0x4000)
            })
        );
        assert_eq!(
            allocator.free_contiguous(frame(0x1f000), 2),
            Err(FreeError::NeverUsable {
                frame: frame(0x20000)
            })
        );
        assert_eq!(
            allocator.free_contiguous(frame(0x1000), u64::MAX),
            Err(FreeError::NeverUsable {
                frame: frame(0x4000)
            })
        );
        allocator.free_frame(frame(0x2000)).unwrap();
        assert_eq!(
            allocator.free_contiguous(first, 3),
            Err(FreeError::AlreadyFree {
                frame: frame(0x2000)
            })
        );
        assert_eq!(allocator.frame_state(frame(0x1000)), FrameState::Allocated);
        assert_eq!(allocator.frame_state(frame(0x3000)), FrameState::Allocated);
        assert_eq!(
            allocator.free_contiguous(first, 0),
            Err(FreeError::EmptyRun)
        );
        assert_eq!(allocator.allocated_frame_count(), 2);
    }

    #[test]
    fn contiguous_runs_skip_holes_and_respect_alignment() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        // 0x1000..0x4000 is only three frames long, so four go after the reserved frame.
        assert_eq!(
            allocator.allocate_contiguous(4, Alignment::FRAME),
            Ok(frame(0x5000))
        );
        let sixteen_kib = Alignment::new(0x4000).unwrap();
        assert_eq!(
            allocator.allocate_contiguous(2, sixteen_kib),
            Ok(frame(0x10000))
        );
        assert_eq!(
            allocator.allocate_contiguous(1, sixteen_kib),
            Ok(frame(0x14000))
        );
        let sixty_four_kib = Alignment::new(0x10000).unwrap();
        assert_eq!(
            allocator.allocate_contiguous(2, sixty_four_kib),
            Err(ContiguousAllocationError::NoSuitableRun)
        );
        assert_eq!(
            allocator.allocate_contiguous(3, Alignment::FRAME),
            Ok(frame(0x1000))
        );
        // 0x12000..0x14000 is only two frames long before the 16 KiB-aligned single frame.
        assert_eq!(
            allocator.allocate_contiguous(3, Alignment::FRAME),
            Ok(frame(0x15000))
        );
        assert_eq!(
            allocator.allocate_contiguous(2, Alignment::FRAME),
            Ok(frame(0x12000))
        );
        assert_eq!(allocator.allocated_frame_count(), 4 + 2 + 1 + 3 + 3 + 2);
    }

    #[test]
    fn small_alignments_mean_frame_alignment() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        let byte = Alignment::new(1).unwrap();
        assert_eq!(allocator.allocate_contiguous(1, byte), Ok(frame(0x1000)));
    }

    #[test]
    fn impossible_contiguous_requests_are_refused() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        assert_eq!(
            allocator.allocate_contiguous(0, Alignment::FRAME),
            Err(ContiguousAllocationError::EmptyRun)
        );
        assert_eq!(
            allocator.allocate_contiguous(17, Alignment::FRAME),
            Err(ContiguousAllocationError::NoSuitableRun)
        );
        assert_eq!(
            allocator.allocate_contiguous(u64::MAX, Alignment::FRAME),
            Err(ContiguousAllocationError::NoSuitableRun)
        );
        let huge = Alignment::new(1 << 63).unwrap();
        assert_eq!(
            allocator.allocate_contiguous(1, huge),
            Err(ContiguousAllocationError::NoSuitableRun)
        );
        assert_eq!(allocator.free_frame_count(), 23);
    }

    #[test]
    fn contiguous_allocation_fails_once_memory_is_fragmented() {
        let mut storage = [0; 8];
        let mut allocator = build(&mut storage, PhysicalRange::EMPTY);
        while allocator.allocate_frame().is_ok() {}
        for number in (0x10..0x20).step_by(2) {
            allocator.free_frame(frame(number * FRAME_SIZE)).unwrap();
        }
        assert_eq!(
            allocator.allocate_contiguous(2, Alignment::FRAME),
            Err(ContiguousAllocationError::NoSuitableRun)
        );
        assert_eq!(
            allocator.allocate_contiguous(1, Alignment::FRAME),
            Ok(frame(0x10000))
        );
    }

    #[test]
    fn a_gibibyte_is_allocated_and_freed_quickly() {
        const FRAMES: u64 = 1024 * MEBIBYTE / FRAME_SIZE;
        let regions = [usable(0, 1024 * MEBIBYTE)];
        let exclusions = [range(0, MEBIBYTE)];
        let map = MemoryMap::new(&regions, &exclusions);
        let layout = BookkeepingLayout::for_memory_map(&map).unwrap();
        let placement = map.find_placement(layout.byte_length()).unwrap();
        assert_eq!(placement.start(), PhysicalAddress::new(MEBIBYTE));
        let mut storage = [0; 2 * 4096 + 64];
        assert!(storage.len() >= layout.word_count());
        let mut allocator = FrameAllocator::new(&mut storage, &map, placement).unwrap();
        let available = FRAMES - 256 - layout.byte_length() / FRAME_SIZE;
        assert_eq!(allocator.total_frame_count(), available);
        let mut previous = None;
        while let Ok(frame) = allocator.allocate_frame() {
            assert!(previous < Some(frame));
            previous = Some(frame);
        }
        assert_eq!(allocator.allocated_frame_count(), available);
        let first = allocator.tracked_range().end().as_u64() / FRAME_SIZE - available;
        for number in first..first + available {
            allocator.free_frame(frame(number * FRAME_SIZE)).unwrap();
        }
        assert_eq!(allocator.free_frame_count(), available);
    }
}
