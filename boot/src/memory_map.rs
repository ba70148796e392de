//! Turning a loader's raw memory map into a sorted, non-overlapping one.
//!
//! Firmware maps can be unsorted, overlapping and contain zero-length or wrapping entries. Where
//! entries overlap, the more restrictive kind wins (a byte reported both usable and reserved is
//! reserved), so nothing the firmware protects is ever handed out.

use heapless::Vec;

use crate::information::{MAXIMUM_MEMORY_REGIONS, MemoryRegion};

/// Sorts `raw`, resolves overlaps in favour of the more restrictive kind and merges neighbours of
/// the same kind. Entries beyond [`MAXIMUM_MEMORY_REGIONS`] after merging are dropped, which is
/// safe: memory missing from the map is never used.
#[must_use]
pub fn normalise_memory_map(raw: &[MemoryRegion]) -> Vec<MemoryRegion, MAXIMUM_MEMORY_REGIONS> {
    let mut boundaries: Vec<u64, { 2 * MAXIMUM_MEMORY_REGIONS }> = Vec::new();
    let considered = || {
        raw.iter()
            .filter(|region| region.length > 0)
            .take(MAXIMUM_MEMORY_REGIONS)
    };
    for region in considered() {
        // Capacity is twice the number of considered regions, so these pushes cannot fail.
        let _ = boundaries.push(region.start);
        let _ = boundaries.push(region.end());
    }
    boundaries.sort_unstable();

    let mut normalised: Vec<MemoryRegion, MAXIMUM_MEMORY_REGIONS> = Vec::new();
    for pair in boundaries.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        if start == end {
            continue;
        }
        let covering = considered()
            .filter(|region| region.start <= start && region.end() >= end)
            .map(|region| region.kind)
            .max();
        let Some(kind) = covering else { continue };
        match normalised.last_mut() {
            Some(previous) if previous.kind == kind && previous.end() == start => {
                previous.length = end - previous.start;
            }
            _ => {
                if normalised
                    .push(MemoryRegion {
                        start,
                        length: end - start,
                        kind,
                    })
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    normalised
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::information::MemoryRegionKind::{self, AcpiReclaimable, Reserved, Usable};

    fn region(start: u64, length: u64, kind: MemoryRegionKind) -> MemoryRegion {
        MemoryRegion {
            start,
            length,
            kind,
        }
    }

    #[test]
    fn sorts_and_merges_adjacent_regions_of_one_kind() {
        let map = normalise_memory_map(&[
            region(0x10_0000, 0x10_0000, Usable),
            region(0, 0x9_f000, Usable),
            region(0x20_0000, 0x10_0000, Usable),
        ]);
        assert_eq!(
            map.as_slice(),
            &[
                region(0, 0x9_f000, Usable),
                region(0x10_0000, 0x20_0000, Usable)
            ]
        );
    }

    #[test]
    fn reserved_wins_over_usable_where_they_overlap() {
        let map = normalise_memory_map(&[
            region(0, 0x10_0000, Usable),
            region(0x8_0000, 0x1_0000, Reserved),
        ]);
        assert_eq!(
            map.as_slice(),
            &[
                region(0, 0x8_0000, Usable),
                region(0x8_0000, 0x1_0000, Reserved),
                region(0x9_0000, 0x7_0000, Usable),
            ]
        );
    }

    #[test]
    fn drops_empty_entries_and_clamps_wrapping_ones() {
        let map = normalise_memory_map(&[
            region(0x1000, 0, Usable),
            region(u64::MAX - 0xfff, 0x2000, AcpiReclaimable),
        ]);
        assert_eq!(
            map.as_slice(),
            &[region(u64::MAX - 0xfff, 0xfff, AcpiReclaimable)]
        );
    }

    #[test]
    fn output_never_overlaps_and_is_sorted() {
        let raw = [
            region(0x5000, 0x9000, Usable),
            region(0x3000, 0x4000, Reserved),
            region(0x0, 0x20000, Usable),
            region(0x7000, 0x1000, AcpiReclaimable),
        ];
        let map = normalise_memory_map(&raw);
        for pair in map.windows(2) {
            assert!(pair[0].end() <= pair[1].start, "{map:?}");
        }
        // Every byte keeps the most restrictive kind any raw entry gave it.
        for probe in (0..0x20000).step_by(0x800) {
            let expected = raw
                .iter()
                .filter(|r| r.start <= probe && probe < r.end())
                .map(|r| r.kind)
                .max();
            let actual = map
                .iter()
                .find(|r| r.start <= probe && probe < r.end())
                .map(|r| r.kind);
            assert_eq!(actual, expected, "at {probe:#x}");
        }
    }
}
