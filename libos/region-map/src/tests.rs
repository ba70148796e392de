//! The region map against a model that records each unit's value separately.

extern crate std;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use proptest::prelude::*;

use super::{Region, RegionError, RegionMap};

const UNITS: u64 = 48;

#[derive(Clone, Debug)]
enum Operation {
    Insert(u64, u64, u8),
    Remove(u64, u64),
    Update(u64, u64, u8),
}

fn operation() -> impl Strategy<Value = Operation> {
    let range = (0..UNITS, 0..12_u64);
    prop_oneof![
        (range.clone(), 0..3_u8).prop_map(|((start, length), value)| Operation::Insert(
            start,
            start + length,
            value
        )),
        range
            .clone()
            .prop_map(|(start, length)| Operation::Remove(start, start + length)),
        (range, 0..3_u8).prop_map(|((start, length), value)| Operation::Update(
            start,
            start + length,
            value
        )),
    ]
}

/// The map expanded unit by unit.
fn expand(map: &RegionMap<u8>) -> BTreeMap<u64, u8> {
    let mut units = BTreeMap::new();
    for region in map.iter() {
        for unit in region.start..region.end {
            units.insert(unit, *region.value);
        }
    }
    units
}

/// Sorted, non-overlapping, non-empty, and no two touching regions with equal values.
fn assert_canonical(map: &RegionMap<u8>) {
    let regions: Vec<Region<&u8>> = map.iter().collect();
    for region in &regions {
        assert!(region.start < region.end, "empty region {region:?}");
    }
    for pair in regions.windows(2) {
        assert!(pair[0].end <= pair[1].start, "overlap {pair:?}");
        assert!(
            !(pair[0].end == pair[1].start && pair[0].value == pair[1].value),
            "unmerged {pair:?}"
        );
    }
}

proptest! {
    #[test]
    fn behaves_like_the_unit_model(operations in proptest::collection::vec(operation(), 1..40)) {
        let mut map = RegionMap::new();
        let mut model: BTreeMap<u64, u8> = BTreeMap::new();
        for operation in operations {
            match operation {
                Operation::Insert(start, end, value) => {
                    let free = (start..end).all(|unit| !model.contains_key(&unit));
                    let result = map.insert(start, end, value);
                    if start >= end {
                        prop_assert_eq!(result, Err(RegionError::EmptyRange));
                    } else if free {
                        prop_assert_eq!(result, Ok(()));
                        for unit in start..end {
                            model.insert(unit, value);
                        }
                    } else {
                        prop_assert_eq!(result, Err(RegionError::Overlap));
                    }
                }
                Operation::Remove(start, end) => {
                    let removed = map.remove(start, end);
                    let mut removed_units = BTreeMap::new();
                    for piece in &removed {
                        prop_assert!(piece.start >= start && piece.end <= end);
                        for unit in piece.start..piece.end {
                            removed_units.insert(unit, piece.value);
                        }
                    }
                    let expected: BTreeMap<u64, u8> = (start..end)
                        .filter_map(|unit| model.remove(&unit).map(|value| (unit, value)))
                        .collect();
                    prop_assert_eq!(removed_units, expected);
                }
                Operation::Update(start, end, value) => {
                    let covered = (start..end).all(|unit| model.contains_key(&unit));
                    prop_assert_eq!(map.covers(start, end), covered || start >= end);
                    map.update(start, end, |old, _| old.wrapping_add(value));
                    for unit in start..end {
                        if let Some(old) = model.get_mut(&unit) {
                            *old = old.wrapping_add(value);
                        }
                    }
                }
            }
            assert_canonical(&map);
            prop_assert_eq!(expand(&map), model.clone());
            for unit in 0..UNITS + 12 {
                prop_assert_eq!(map.get(unit).map(|region| *region.value), model.get(&unit).copied());
            }
            // The lowest free run of 3 units below UNITS + 12, found the slow way.
            let slow = (0..=UNITS + 12 - 3)
                .find(|candidate| (*candidate..candidate + 3).all(|unit| !model.contains_key(&unit)));
            prop_assert_eq!(map.find_free(3, 0, UNITS + 12), slow);
        }
    }
}

#[test]
fn splits_and_merges_back() {
    let mut map = RegionMap::new();
    assert_eq!(map.insert(0, 10, 1), Ok(()));
    let old = map.update(4, 6, |_, _| 2);
    assert_eq!(
        old,
        alloc::vec![Region {
            start: 4,
            end: 6,
            value: 1
        }]
    );
    assert_eq!(map.iter().count(), 3);
    map.update(4, 6, |_, _| 1);
    assert_eq!(map.iter().count(), 1);
    let removed = map.remove(3, 5);
    assert_eq!(
        removed,
        alloc::vec![Region {
            start: 3,
            end: 5,
            value: 1
        }]
    );
    assert_eq!(map.pieces(0, 10).len(), 2);
    assert!(!map.covers(0, 10));
    assert_eq!(map.find_free(2, 0, 10), Some(3));
    assert_eq!(map.find_free(3, 0, 10), Some(10).filter(|_| false));
}
