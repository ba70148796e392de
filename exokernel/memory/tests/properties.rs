//! Property tests: random memory maps, exclusions and operation sequences checked against a
//! simple set-based model of which frames exist, are free, and are allocated.

use std::collections::BTreeSet;

use exokernel_memory::{
    Alignment, BookkeepingLayout, ContiguousAllocationError, FRAME_SIZE, FrameAllocator,
    FrameState, FreeError, MemoryKind, MemoryMap, MemoryRegion, PhysicalAddress, PhysicalFrame,
    PhysicalRange,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// Frames in the simulated address space: enough that the tracked range can cross the
/// allocator's summary words (4096 frames each), small enough for a brute-force model.
const SPACE_FRAMES: u64 = 9000;

fn frame(number: u64) -> PhysicalFrame {
    PhysicalFrame::from_number(number).unwrap()
}

/// A byte offset that is frame-aligned half of the time, so that both exact and ragged
/// boundaries are common.
fn ragged_offset() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), 1..FRAME_SIZE]
}

/// A range that starts anywhere in the space and is up to `max_frames` long.
fn arbitrary_range(max_frames: u64) -> impl Strategy<Value = PhysicalRange> {
    (
        0..SPACE_FRAMES,
        ragged_offset(),
        0..max_frames,
        ragged_offset(),
    )
        .prop_map(
            |(start_frame, start_offset, length_frames, length_offset)| {
                let start = start_frame * FRAME_SIZE + start_offset;
                PhysicalRange::from_start_and_length(
                    PhysicalAddress::new(start),
                    length_frames * FRAME_SIZE + length_offset,
                )
            },
        )
}

fn memory_kind() -> impl Strategy<Value = MemoryKind> {
    prop_oneof![
        6 => Just(MemoryKind::Usable),
        1 => Just(MemoryKind::Reserved),
        1 => Just(MemoryKind::AcpiReclaimable),
        1 => Just(MemoryKind::BootloaderReclaimable),
    ]
}

fn regions() -> impl Strategy<Value = Vec<MemoryRegion>> {
    prop::collection::vec(
        (arbitrary_range(600), memory_kind())
            .prop_map(|(range, kind)| MemoryRegion::from_range(range, kind)),
        0..10,
    )
}

fn exclusions() -> impl Strategy<Value = Vec<PhysicalRange>> {
    prop::collection::vec(arbitrary_range(40), 0..6)
}

/// The frames the map makes available, computed independently of the crate: a frame counts
/// when the union of usable regions covers all of its bytes and nothing unusable or
/// excluded touches any of them.
fn available_frames(regions: &[MemoryRegion], exclusions: &[PhysicalRange]) -> BTreeSet<u64> {
    let mut usable: Vec<(u64, u64)> = regions
        .iter()
        .filter(|region| region.kind() == MemoryKind::Usable)
        .map(|region| {
            (
                region.range().start().as_u64(),
                region.range().end().as_u64(),
            )
        })
        .collect();
    usable.sort_unstable();
    let blocking: Vec<PhysicalRange> = regions
        .iter()
        .filter(|region| region.kind() != MemoryKind::Usable)
        .map(|region| region.range())
        .chain(exclusions.iter().copied())
        .collect();
    (0..SPACE_FRAMES + 600)
        .filter(|&number| {
            let bytes = frame(number).range();
            let mut covered_to = bytes.start().as_u64();
            for &(start, end) in &usable {
                if start <= covered_to && end > covered_to {
                    covered_to = end;
                }
            }
            covered_to >= bytes.end().as_u64()
                && !blocking.iter().any(|block| block.overlaps(bytes))
        })
        .collect()
}

fn frames_of(range: PhysicalRange) -> impl Iterator<Item = u64> {
    let start = range.start().as_u64().div_ceil(FRAME_SIZE);
    let end = range.end().as_u64() / FRAME_SIZE;
    start..end
}

/// One step of a random workload.
#[derive(Clone, Debug)]
enum Operation {
    Allocate,
    AllocateContiguous { count: u64, alignment_shift: u32 },
    FreeAllocation(Index),
    FreeFrame(u64),
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        4 => Just(Operation::Allocate),
        2 => (1..=8u64, 0..=4u32).prop_map(|(count, alignment_shift)| {
            Operation::AllocateContiguous { count, alignment_shift }
        }),
        2 => any::<Index>().prop_map(Operation::FreeAllocation),
        1 => (0..SPACE_FRAMES + 600).prop_map(Operation::FreeFrame),
    ]
}

/// The model: which frames exist and which are free.
struct Model {
    available: BTreeSet<u64>,
    free: BTreeSet<u64>,
    // Runs handed out and not yet freed as a whole: (first frame number, count).
    allocations: Vec<(u64, u64)>,
}

impl Model {
    fn lowest_aligned_run(&self, count: u64, alignment_frames: u64) -> Option<u64> {
        self.free.iter().copied().find(|&start| {
            start % alignment_frames == 0 && (start..start + count).all(|n| self.free.contains(&n))
        })
    }

    fn state(&self, number: u64) -> FrameState {
        if self.free.contains(&number) {
            FrameState::Free
        } else if self.available.contains(&number) {
            FrameState::Allocated
        } else {
            FrameState::Unusable
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn subtract_partitions_the_range(a in arbitrary_range(50), b in arbitrary_range(50)) {
        let pieces = a.subtract(b);
        let kept: u64 = pieces.iter().map(|piece| piece.length()).sum();
        prop_assert_eq!(kept, a.length() - a.intersection(b).length());
        for piece in pieces {
            prop_assert!(a.contains_range(piece));
            prop_assert!(!piece.overlaps(b));
        }
        prop_assert!(!pieces[0].overlaps(pieces[1]));
    }

    #[test]
    fn alignment_moves_the_right_way(a in arbitrary_range(50), shift in 0u32..20) {
        let alignment = Alignment::new(1 << shift).unwrap();
        let inward = a.align_inward(alignment);
        let outward = a.align_outward(alignment);
        prop_assert!(a.contains_range(inward));
        prop_assert!(outward.contains_range(a));
        for aligned in [inward, outward] {
            if !aligned.is_empty() {
                prop_assert!(aligned.start().is_aligned(alignment));
                prop_assert!(aligned.end().is_aligned(alignment));
            }
        }
    }

    #[test]
    fn free_spans_are_exactly_the_available_frames(
        regions in regions(),
        exclusions in exclusions(),
    ) {
        let map = MemoryMap::new(&regions, &exclusions);
        let mut previous_end = None;
        let mut from_spans = BTreeSet::new();
        for span in map.free_spans() {
            prop_assert!(!span.is_empty());
            prop_assert!(span.start().is_aligned(Alignment::FRAME));
            prop_assert!(span.end().is_aligned(Alignment::FRAME));
            // Maximal: consecutive spans neither overlap nor touch.
            prop_assert!(previous_end < Some(span.start()));
            previous_end = Some(span.end());
            from_spans.extend(frames_of(span));
        }
        prop_assert_eq!(from_spans, available_frames(&regions, &exclusions));
    }

    #[test]
    fn allocator_matches_the_model(
        regions in regions(),
        exclusions in exclusions(),
        operations in prop::collection::vec(operation(), 0..80),
    ) {
        let map = MemoryMap::new(&regions, &exclusions);
        let available = available_frames(&regions, &exclusions);
        let Some(layout) = BookkeepingLayout::for_memory_map(&map) else {
            prop_assert!(available.is_empty());
            let mut storage = [0; 1];
            let built = FrameAllocator::new(&mut storage, &map, PhysicalRange::EMPTY);
            prop_assert!(built.is_err());
            return Ok(());
        };
        let Some(placement) = map.find_placement(layout.byte_length()) else {
            // Not enough contiguous memory for the bookkeeping: a legitimate boot failure.
            return Ok(());
        };
        prop_assert!(placement.length() >= layout.word_count() as u64 * 8);
        let placement_frames: BTreeSet<u64> = frames_of(placement).collect();
        prop_assert!(placement_frames.is_subset(&available));

        let mut storage = vec![u64::MAX; layout.word_count()];
        let mut allocator = FrameAllocator::new(&mut storage, &map, placement).unwrap();
        let available: BTreeSet<u64> = available.difference(&placement_frames).copied().collect();
        let mut model = Model { free: available.clone(), available, allocations: Vec::new() };
        prop_assert_eq!(allocator.total_frame_count(), model.available.len() as u64);

        for operation in operations {
            match operation {
                Operation::Allocate => {
                    let result = allocator.allocate_frame().map(PhysicalFrame::number);
                    let expected = model.free.first().copied();
                    prop_assert_eq!(result.ok(), expected);
                    if let Some(number) = expected {
                        model.free.remove(&number);
                        model.allocations.push((number, 1));
                    }
                }
                Operation::AllocateContiguous { count, alignment_shift } => {
                    let alignment = Alignment::new(FRAME_SIZE << alignment_shift).unwrap();
                    let result = allocator.allocate_contiguous(count, alignment);
                    match model.lowest_aligned_run(count, 1 << alignment_shift) {
                        Some(start) => {
                            prop_assert_eq!(result.map(PhysicalFrame::number), Ok(start));
                            for number in start..start + count {
                                model.free.remove(&number);
                            }
                            model.allocations.push((start, count));
                        }
                        None => {
                            prop_assert_eq!(result, Err(ContiguousAllocationError::NoSuitableRun));
                        }
                    }
                }
                Operation::FreeAllocation(index) => {
                    if model.allocations.is_empty() {
                        continue;
                    }
                    let (start, count) = model.allocations.swap_remove(index.index(model.allocations.len()));
                    let result = allocator.free_contiguous(frame(start), count);
                    match (start..start + count).find(|number| model.free.contains(number)) {
                        // Part of the run was already freed frame by frame.
                        Some(number) => {
                            prop_assert_eq!(result, Err(FreeError::AlreadyFree { frame: frame(number) }));
                        }
                        None => {
                            prop_assert_eq!(result, Ok(()));
                            model.free.extend(start..start + count);
                        }
                    }
                }
                Operation::FreeFrame(number) => {
                    let result = allocator.free_frame(frame(number));
                    match model.state(number) {
                        FrameState::Unusable => {
                            prop_assert_eq!(result, Err(FreeError::NeverUsable { frame: frame(number) }));
                        }
                        FrameState::Free => {
                            prop_assert_eq!(result, Err(FreeError::AlreadyFree { frame: frame(number) }));
                        }
                        FrameState::Allocated => {
                            prop_assert_eq!(result, Ok(()));
                            model.free.insert(number);
                        }
                    }
                }
            }
            prop_assert_eq!(allocator.free_frame_count(), model.free.len() as u64);
            prop_assert_eq!(
                allocator.free_frame_count() + allocator.allocated_frame_count(),
                allocator.total_frame_count()
            );
        }

        for number in 0..SPACE_FRAMES + 600 {
            prop_assert_eq!(allocator.frame_state(frame(number)), model.state(number));
        }
        // Everything still allocated can be handed back, after which all is free again.
        let allocated: Vec<u64> = model.available.difference(&model.free).copied().collect();
        for number in allocated {
            prop_assert_eq!(allocator.free_frame(frame(number)), Ok(()));
        }
        prop_assert_eq!(allocator.free_frame_count(), allocator.total_frame_count());
    }
}
