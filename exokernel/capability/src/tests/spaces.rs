//! Tests of capability-space creation, destruction and stale space ids.

use super::{at, endpoint, two_spaces, unreferenced};
use crate::{
    CapabilitySystem, CreateSpaceError, DestinationError, MAXIMUM_SLOTS, NoSuchSpace, Object,
    Rights, SlotError,
};

#[test]
fn create_space_rejects_zero_and_too_many_slots() {
    let mut system = CapabilitySystem::new();
    assert_eq!(
        system.create_space(0),
        Err(CreateSpaceError::InvalidSlotCount)
    );
    assert_eq!(
        system.create_space(MAXIMUM_SLOTS + 1),
        Err(CreateSpaceError::InvalidSlotCount)
    );
    assert_eq!(
        system.create_space(u64::MAX),
        Err(CreateSpaceError::InvalidSlotCount)
    );
    let space = system.create_space(MAXIMUM_SLOTS).expect("largest allowed");
    assert_eq!(system.slot_count(space), Some(MAXIMUM_SLOTS));
}

#[test]
fn destroy_space_deletes_its_capabilities_and_keeps_derived_ones_elsewhere() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    endpoint(&mut system, at(first, 1), 2);
    system
        .copy(at(first, 0), at(second, 0), Rights::all())
        .expect("copy");
    let releases = system.destroy_space(first).expect("live space");
    assert_eq!(unreferenced(&releases), [Object::Endpoint(2)]);
    assert_eq!(
        system
            .identify(at(second, 0))
            .map(|capability| capability.object),
        Ok(Object::Endpoint(1))
    );
    assert_eq!(system.slot_count(first), None);
    assert_eq!(system.destroy_space(first), Err(NoSuchSpace));
    system.audit().expect("consistent");
}

#[test]
fn stale_space_id_is_refused_even_after_its_entry_is_reused() {
    let (mut system, first, _) = two_spaces();
    let _ = system.destroy_space(first).expect("live space");
    let reused = system.create_space(4).expect("valid");
    assert_ne!(reused, first);
    assert_eq!(system.identify(at(first, 0)), Err(SlotError::NoSuchSpace));
    assert_eq!(
        system.check_empty(at(first, 0)),
        Err(DestinationError::NoSuchSpace)
    );
    assert_eq!(system.check_empty(at(reused, 0)), Ok(()));
}

#[test]
fn next_occupied_walks_only_occupied_slots_within_the_space() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 2), 1);
    endpoint(&mut system, at(first, 5), 2);
    assert_eq!(system.next_occupied(first, 0, 8), Ok(Some(2)));
    assert_eq!(system.next_occupied(first, 3, 8), Ok(Some(5)));
    assert_eq!(system.next_occupied(first, 3, 5), Ok(None));
    // An end beyond the space is clamped; a start beyond it finds nothing.
    assert_eq!(system.next_occupied(first, 6, u64::MAX), Ok(None));
    assert_eq!(system.next_occupied(first, 100, 200), Ok(None));
    assert_eq!(system.next_occupied(second, 0, 8), Ok(None));
    let _ = system.destroy_space(second).expect("live space");
    assert_eq!(system.next_occupied(second, 0, 8), Err(NoSuchSpace));
}
