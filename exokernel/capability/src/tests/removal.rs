//! Tests of delete, revoke and what they release.

use super::{at, endpoint, two_spaces, unmaps, unreferenced};
use crate::{Frame, Mapping, Object, Release, Rights, SlotError};

#[test]
fn delete_of_one_of_several_capabilities_releases_nothing() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    system
        .copy(at(first, 0), at(second, 0), Rights::all())
        .expect("copy");
    let releases = system.delete(at(first, 0)).expect("occupied");
    assert!(releases.is_empty());
    let releases = system.delete(at(second, 0)).expect("occupied");
    assert_eq!(
        releases.as_slice(),
        [Release::ObjectUnreferenced(Object::Endpoint(1))]
    );
    system.audit().expect("consistent");
}

#[test]
fn delete_reparents_children_so_revoke_of_an_ancestor_still_reaches_them() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    system
        .copy(at(first, 0), at(first, 1), Rights::all())
        .expect("child");
    system
        .copy(at(first, 1), at(second, 0), Rights::all())
        .expect("grandchild");
    let _ = system.delete(at(first, 1)).expect("occupied");
    system.audit().expect("consistent");
    let releases = system.revoke(at(first, 0)).expect("occupied");
    assert!(releases.is_empty());
    assert_eq!(system.identify(at(second, 0)), Err(SlotError::EmptySlot));
    assert!(system.identify(at(first, 0)).is_ok());
    system.audit().expect("consistent");
}

#[test]
fn delete_of_a_root_makes_its_children_roots() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    system
        .copy(at(first, 0), at(second, 0), Rights::all())
        .expect("child");
    system
        .copy(at(first, 0), at(second, 1), Rights::all())
        .expect("child");
    let _ = system.delete(at(first, 0)).expect("occupied");
    system.audit().expect("consistent");
    let releases = system.revoke(at(second, 0)).expect("occupied");
    assert!(releases.is_empty());
    assert!(
        system.identify(at(second, 1)).is_ok(),
        "siblings are not descendants"
    );
}

#[test]
fn revoke_removes_every_descendant_in_every_space_and_nothing_else() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    endpoint(&mut system, at(first, 1), 2);
    system
        .copy(at(first, 0), at(first, 2), Rights::all())
        .expect("child");
    system
        .copy(at(first, 2), at(second, 0), Rights::all())
        .expect("grandchild");
    system
        .copy(at(first, 0), at(second, 1), Rights::all())
        .expect("child");
    system
        .copy(at(first, 1), at(second, 2), Rights::all())
        .expect("unrelated");
    let releases = system.revoke(at(first, 0)).expect("occupied");
    assert!(releases.is_empty(), "the original still names endpoint 1");
    for slot in [at(first, 2), at(second, 0), at(second, 1)] {
        assert_eq!(system.identify(slot), Err(SlotError::EmptySlot));
    }
    for slot in [at(first, 0), at(first, 1), at(second, 2)] {
        assert!(system.identify(slot).is_ok());
    }
    system.audit().expect("consistent");
}

#[test]
fn revoke_of_a_child_reports_objects_only_it_named() {
    let (mut system, first, _) = two_spaces();
    let _quota = system
        .create_quota(at(first, 0), 8, Rights::all())
        .expect("empty");
    let charge = system.charge(at(first, 0), 2).expect("budget");
    system
        .create_frame(charge, at(first, 1), 0x2000, Rights::all())
        .expect("frame");
    let releases = system.revoke(at(first, 0)).expect("occupied");
    assert_eq!(releases.len(), 1);
    assert!(matches!(
        releases.as_slice(),
        [Release::ObjectUnreferenced(Object::Frame(Frame {
            physical_address: 0x2000,
            page_count: 2,
            ..
        }))]
    ));
    system.audit().expect("consistent");
}

#[test]
fn revoke_of_a_leaf_releases_nothing() {
    let (mut system, first, _) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    let releases = system.revoke(at(first, 0)).expect("occupied");
    assert!(releases.is_empty());
    assert!(system.identify(at(first, 0)).is_ok());
}

#[test]
fn delete_and_revoke_report_addressing_errors() {
    let (mut system, first, second) = two_spaces();
    assert_eq!(system.delete(at(first, 0)), Err(SlotError::EmptySlot));
    assert_eq!(system.revoke(at(first, 0)), Err(SlotError::EmptySlot));
    assert_eq!(system.delete(at(first, 8)), Err(SlotError::SlotOutOfRange));
    assert_eq!(system.revoke(at(first, 8)), Err(SlotError::SlotOutOfRange));
    let _ = system.destroy_space(second).expect("live");
    assert_eq!(system.delete(at(second, 0)), Err(SlotError::NoSuchSpace));
    assert_eq!(system.revoke(at(second, 0)), Err(SlotError::NoSuchSpace));
}

#[test]
fn releases_list_every_unmap_before_any_unreferenced_object() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    system
        .copy(at(first, 0), at(second, 7), Rights::all())
        .expect("copy");
    let mut expected_unmaps = alloc::vec::Vec::new();
    for slot in 1..4_u64 {
        let frame = Object::Frame(Frame {
            physical_address: slot * 0x1000,
            page_count: 1,
            quota: None,
        });
        system
            .insert_original(at(first, slot), frame, Rights::all())
            .expect("empty");
        let mapping = Mapping {
            address_space: 3,
            virtual_address: slot * 0x1000,
            page_count: 1,
        };
        system
            .record_mapping(at(first, slot), mapping)
            .expect("map");
        expected_unmaps.push(mapping);
    }
    let releases = system.destroy_space(first).expect("live");
    let first_unreferenced = releases
        .iter()
        .position(|release| matches!(release, Release::ObjectUnreferenced(_)))
        .expect("frames die");
    assert!(
        releases.as_slice()[first_unreferenced..]
            .iter()
            .all(|release| matches!(release, Release::ObjectUnreferenced(_)))
    );
    let mut reported = unmaps(&releases);
    reported.sort();
    assert_eq!(reported, expected_unmaps);
    assert_eq!(
        unreferenced(&releases).len(),
        3,
        "endpoint 1 lives on in the copy"
    );
    system.audit().expect("consistent");
}
