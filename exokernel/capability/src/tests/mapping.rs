//! Tests of the mapping database: recording, releasing on removal, forgetting.

use super::{at, two_spaces, unmaps};
use crate::{
    CapabilitySystem, Frame, LookupError, Mapping, Object, ObjectKind, PAGE_SIZE, RangeError,
    RecordMappingError, Rights, SlotAddress, SpaceId,
};

fn mapping(address_space: u32, page: u64, page_count: u64) -> Mapping {
    Mapping {
        address_space,
        virtual_address: page * PAGE_SIZE,
        page_count,
    }
}

/// A system with a four-page frame capability (every right) in slot 0 of the first space.
fn with_frame() -> (CapabilitySystem, SpaceId, SpaceId, SlotAddress) {
    let (mut system, first, second) = two_spaces();
    system
        .insert_original(
            at(first, 0),
            Object::Frame(Frame {
                physical_address: 0x100_000,
                page_count: 4,
                quota: None,
            }),
            Rights::all(),
        )
        .expect("empty");
    (system, first, second, at(first, 0))
}

#[test]
fn record_checks_the_capability() {
    let (mut system, first, _, frame) = with_frame();
    system
        .copy(frame, at(first, 1), Rights::READ)
        .expect("copy without MAP");
    system
        .insert_original(at(first, 2), Object::AddressSpace(1), Rights::all())
        .expect("empty");
    assert_eq!(
        system.record_mapping(at(first, 1), mapping(1, 0, 1)),
        Err(RecordMappingError::Frame(LookupError::MissingRights {
            missing: Rights::MAP
        }))
    );
    assert_eq!(
        system.record_mapping(at(first, 2), mapping(1, 0, 1)),
        Err(RecordMappingError::Frame(LookupError::WrongKind {
            expected: ObjectKind::Frame,
            found: ObjectKind::AddressSpace
        }))
    );
    assert_eq!(
        system.record_mapping(at(first, 3), mapping(1, 0, 1)),
        Err(RecordMappingError::Frame(LookupError::EmptySlot))
    );
}

#[test]
fn record_checks_the_range() {
    let (mut system, _, _, frame) = with_frame();
    assert_eq!(
        system.record_mapping(frame, mapping(1, 0, 0)),
        Err(RecordMappingError::Range(RangeError::ZeroPages))
    );
    assert_eq!(
        system.record_mapping(
            frame,
            Mapping {
                address_space: 1,
                virtual_address: 0x1234,
                page_count: 1
            }
        ),
        Err(RecordMappingError::Range(RangeError::Unaligned))
    );
    assert_eq!(
        system.record_mapping(
            frame,
            Mapping {
                address_space: 1,
                virtual_address: u64::MAX - PAGE_SIZE + 1,
                page_count: 2
            }
        ),
        Err(RecordMappingError::Range(RangeError::Overflow))
    );
    assert_eq!(
        system.record_mapping(frame, mapping(1, 0, u64::MAX)),
        Err(RecordMappingError::Range(RangeError::Overflow))
    );
    assert_eq!(
        system.record_mapping(frame, mapping(1, 0, 5)),
        Err(RecordMappingError::LargerThanFrame)
    );
    // The end is exclusive and must fit in 64 bits, so the very last page cannot be recorded;
    // it is kernel space on x86_64 anyway.
    assert_eq!(
        system.record_mapping(
            frame,
            Mapping {
                address_space: 1,
                virtual_address: u64::MAX - PAGE_SIZE + 1,
                page_count: 1
            }
        ),
        Err(RecordMappingError::Range(RangeError::Overflow))
    );
    system
        .record_mapping(
            frame,
            Mapping {
                address_space: 1,
                virtual_address: u64::MAX - 2 * PAGE_SIZE + 1,
                page_count: 1,
            },
        )
        .expect("the highest page whose end is representable");
    system.audit().expect("consistent");
}

#[test]
fn record_refuses_overlaps_in_one_address_space_only() {
    let (mut system, _, _, frame) = with_frame();
    system
        .record_mapping(frame, mapping(1, 10, 4))
        .expect("map");
    for overlapping in [
        mapping(1, 10, 1),
        mapping(1, 8, 3),
        mapping(1, 13, 2),
        mapping(1, 11, 1),
        mapping(1, 9, 4),
    ] {
        assert_eq!(
            system.record_mapping(frame, overlapping),
            Err(RecordMappingError::Overlaps),
            "{overlapping:?}"
        );
    }
    system
        .record_mapping(frame, mapping(1, 6, 4))
        .expect("adjacent below");
    system
        .record_mapping(frame, mapping(1, 14, 4))
        .expect("adjacent above");
    system
        .record_mapping(frame, mapping(2, 10, 4))
        .expect("another address space");
    system.audit().expect("consistent");
}

#[test]
fn delete_reports_the_mappings_made_through_that_capability_only() {
    let (mut system, first, second, frame) = with_frame();
    system
        .copy(frame, at(second, 0), Rights::all())
        .expect("copy");
    system.record_mapping(frame, mapping(1, 0, 4)).expect("map");
    system
        .record_mapping(at(second, 0), mapping(2, 0, 2))
        .expect("map");
    let releases = system.delete(at(second, 0)).expect("occupied");
    assert_eq!(
        releases.as_slice(),
        [crate::Release::Unmap(mapping(2, 0, 2))]
    );
    let releases = system.delete(at(first, 0)).expect("occupied");
    assert_eq!(unmaps(&releases), [mapping(1, 0, 4)]);
    assert_eq!(super::unreferenced(&releases).len(), 1);
    system.audit().expect("consistent");
}

#[test]
fn revoke_reports_the_mappings_of_every_descendant() {
    let (mut system, first, second, frame) = with_frame();
    system
        .copy(frame, at(first, 1), Rights::all())
        .expect("copy");
    system
        .copy(at(first, 1), at(second, 0), Rights::all())
        .expect("copy");
    system.record_mapping(frame, mapping(1, 0, 1)).expect("map");
    system
        .record_mapping(at(first, 1), mapping(1, 1, 1))
        .expect("map");
    system
        .record_mapping(at(second, 0), mapping(2, 0, 4))
        .expect("map");
    let releases = system.revoke(frame).expect("occupied");
    let mut reported = unmaps(&releases);
    reported.sort();
    assert_eq!(reported, [mapping(1, 1, 1), mapping(2, 0, 4)]);
    assert!(super::unreferenced(&releases).is_empty());
    let releases = system.revoke(frame).expect("occupied");
    assert!(releases.is_empty(), "reported once only");
    system.audit().expect("consistent");
}

#[test]
fn forget_trims_and_splits_records() {
    let (mut system, _, _, frame) = with_frame();
    system
        .record_mapping(frame, mapping(1, 10, 4))
        .expect("map");
    system
        .record_mapping(frame, mapping(1, 20, 2))
        .expect("map");
    let removed = system.forget_mappings(mapping(1, 11, 2)).expect("valid");
    assert_eq!(removed, [mapping(1, 11, 2)]);
    system.audit().expect("consistent");
    let removed = system.forget_mappings(mapping(1, 5, 16)).expect("valid");
    assert_eq!(
        removed,
        [mapping(1, 10, 1), mapping(1, 13, 1), mapping(1, 20, 1)]
    );
    system.audit().expect("consistent");
    let releases = system.delete(frame).expect("occupied");
    assert_eq!(unmaps(&releases), [mapping(1, 21, 1)]);
}

#[test]
fn forget_of_an_unmapped_range_removes_nothing() {
    let (mut system, _, _, frame) = with_frame();
    system
        .record_mapping(frame, mapping(1, 10, 2))
        .expect("map");
    assert_eq!(system.forget_mappings(mapping(1, 12, 3)), Ok(alloc::vec![]));
    assert_eq!(system.forget_mappings(mapping(2, 10, 2)), Ok(alloc::vec![]));
    assert_eq!(
        system.forget_mappings(mapping(1, 10, 0)),
        Err(RangeError::ZeroPages)
    );
    assert_eq!(
        system.forget_mappings(Mapping {
            address_space: 1,
            virtual_address: 1,
            page_count: 1
        }),
        Err(RangeError::Unaligned)
    );
    assert_eq!(
        system.forget_mappings(mapping(1, 10, u64::MAX / 2)),
        Err(RangeError::Overflow)
    );
    let releases = system.delete(frame).expect("occupied");
    assert_eq!(unmaps(&releases), [mapping(1, 10, 2)]);
}

#[test]
fn forget_address_space_drops_its_records_only() {
    let (mut system, _, _, frame) = with_frame();
    system.record_mapping(frame, mapping(1, 0, 1)).expect("map");
    system.record_mapping(frame, mapping(1, 4, 1)).expect("map");
    system.record_mapping(frame, mapping(2, 0, 1)).expect("map");
    assert_eq!(system.forget_address_space(1), 2);
    assert_eq!(system.forget_address_space(1), 0);
    system.audit().expect("consistent");
    let releases = system.delete(frame).expect("occupied");
    assert_eq!(unmaps(&releases), [mapping(2, 0, 1)]);
}

#[test]
fn find_mapping_names_the_record_and_capability_covering_an_address() {
    let (mut system, first, _, frame) = with_frame();
    system
        .copy(frame, at(first, 1), Rights::READ | Rights::MAP)
        .expect("copy");
    system
        .record_mapping(frame, mapping(1, 10, 2))
        .expect("map");
    system
        .record_mapping(at(first, 1), mapping(1, 12, 1))
        .expect("map");
    let original = system.handle(frame).expect("occupied");
    let copy = system.handle(at(first, 1)).expect("occupied");
    assert_eq!(
        system.find_mapping(1, 10 * PAGE_SIZE),
        Some((mapping(1, 10, 2), original))
    );
    assert_eq!(
        system.find_mapping(1, 11 * PAGE_SIZE + 123),
        Some((mapping(1, 10, 2), original))
    );
    assert_eq!(
        system.find_mapping(1, 12 * PAGE_SIZE),
        Some((mapping(1, 12, 1), copy))
    );
    assert_eq!(system.find_mapping(1, 13 * PAGE_SIZE), None);
    assert_eq!(system.find_mapping(1, 9 * PAGE_SIZE), None);
    assert_eq!(system.find_mapping(2, 10 * PAGE_SIZE), None);
}

#[test]
fn a_sole_holder_is_the_only_capability_and_maps_only_into_one_address_space() {
    let (mut system, first, second, frame) = with_frame();
    let original = system.handle(frame).expect("occupied");
    assert!(system.is_sole_holder(original, 1), "unmapped and alone");
    system
        .record_mapping(frame, mapping(1, 10, 2))
        .expect("map");
    assert!(system.is_sole_holder(original, 1));
    assert!(!system.is_sole_holder(original, 2), "its pages are in 1");
    // A copy anywhere, mapped or not, shares the frame.
    system
        .copy(frame, at(second, 0), Rights::READ | Rights::MAP)
        .expect("copy");
    assert!(!system.is_sole_holder(original, 1));
    let _ = system.delete(at(second, 0)).expect("occupied");
    assert!(system.is_sole_holder(original, 1), "the copy is gone");
    // A mapping through it into another address space shares it too.
    system
        .record_mapping(frame, mapping(2, 10, 1))
        .expect("map into another");
    assert!(!system.is_sole_holder(original, 1));
    system
        .forget_mappings(mapping(2, 10, 1))
        .expect("well formed");
    assert!(system.is_sole_holder(original, 1));
    // A stale handle holds nothing.
    let _ = system.delete(frame).expect("occupied");
    assert!(!system.is_sole_holder(original, 1));
    let _ = first;
}
