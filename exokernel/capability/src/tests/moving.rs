//! Tests of moving capabilities within and between spaces.

use super::{at, endpoint, two_spaces, unmaps};
use crate::{DestinationError, LookupError, Mapping, MoveError, Object, Rights};

#[test]
fn move_within_a_space_needs_no_right_and_keeps_the_tree() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    system
        .copy(at(first, 0), at(second, 0), Rights::SEND)
        .expect("copy");
    system
        .move_capability(at(second, 0), at(second, 3))
        .expect("same space");
    assert_eq!(
        system.identify(at(second, 0)),
        Err(crate::SlotError::EmptySlot)
    );
    // Still a child of the original: revoking the original removes it.
    let releases = system.revoke(at(first, 0)).expect("occupied");
    assert!(releases.is_empty());
    assert_eq!(
        system.identify(at(second, 3)),
        Err(crate::SlotError::EmptySlot)
    );
    system.audit().expect("consistent");
}

#[test]
fn move_to_another_space_needs_grant() {
    let (mut system, first, second) = two_spaces();
    system
        .insert_original(at(first, 0), Object::Endpoint(1), Rights::SEND)
        .expect("empty");
    assert_eq!(
        system.move_capability(at(first, 0), at(second, 0)),
        Err(MoveError::Source(LookupError::MissingRights {
            missing: Rights::GRANT
        }))
    );
    system
        .insert_original(
            at(first, 1),
            Object::Endpoint(2),
            Rights::SEND | Rights::GRANT,
        )
        .expect("empty");
    system
        .move_capability(at(first, 1), at(second, 0))
        .expect("granted");
    assert_eq!(
        system.identify(at(second, 0)).map(|c| c.object),
        Ok(Object::Endpoint(2))
    );
    system.audit().expect("consistent");
}

#[test]
fn move_reports_source_and_destination_errors() {
    let (mut system, first, _) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    endpoint(&mut system, at(first, 1), 2);
    assert_eq!(
        system.move_capability(at(first, 0), at(first, 0)),
        Err(MoveError::Destination(DestinationError::SlotOccupied))
    );
    assert_eq!(
        system.move_capability(at(first, 0), at(first, 1)),
        Err(MoveError::Destination(DestinationError::SlotOccupied))
    );
    assert_eq!(
        system.move_capability(at(first, 0), at(first, 8)),
        Err(MoveError::Destination(DestinationError::SlotOutOfRange))
    );
    assert_eq!(
        system.move_capability(at(first, 5), at(first, 6)),
        Err(MoveError::Source(LookupError::EmptySlot))
    );
    assert_eq!(
        system.identify(at(first, 0)).map(|c| c.object),
        Ok(Object::Endpoint(1))
    );
    system.audit().expect("consistent");
}

#[test]
fn moved_frame_keeps_its_mappings() {
    let (mut system, first, second) = two_spaces();
    system
        .insert_original(
            at(first, 0),
            Object::Frame(crate::Frame {
                physical_address: 0x10_000,
                page_count: 2,
                quota: None,
            }),
            Rights::all(),
        )
        .expect("empty");
    let mapping = Mapping {
        address_space: 1,
        virtual_address: 0x4000,
        page_count: 2,
    };
    system.record_mapping(at(first, 0), mapping).expect("map");
    system
        .move_capability(at(first, 0), at(second, 2))
        .expect("move");
    let releases = system.delete(at(second, 2)).expect("occupied");
    assert_eq!(unmaps(&releases), [mapping]);
    system.audit().expect("consistent");
}
