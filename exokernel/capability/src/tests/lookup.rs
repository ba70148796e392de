//! Tests of lookup, identify and capability handles.

use super::{at, endpoint, two_spaces};
use crate::{Badge, Capability, LookupError, Object, ObjectKind, Rights, SlotError};

#[test]
fn lookup_reports_every_addressing_error() {
    let (mut system, first, second) = two_spaces();
    let _ = system.destroy_space(second).expect("live");
    assert_eq!(
        system.lookup(at(second, 0), Rights::empty()),
        Err(LookupError::NoSuchSpace)
    );
    assert_eq!(
        system.lookup(at(first, 8), Rights::empty()),
        Err(LookupError::SlotOutOfRange)
    );
    assert_eq!(
        system.lookup(at(first, u64::MAX), Rights::empty()),
        Err(LookupError::SlotOutOfRange)
    );
    assert_eq!(
        system.lookup(at(first, 0), Rights::empty()),
        Err(LookupError::EmptySlot)
    );
}

#[test]
fn lookup_checks_kind_before_rights() {
    let (mut system, first, _) = two_spaces();
    system
        .insert_original(at(first, 0), Object::Notification(3), Rights::SIGNAL)
        .expect("empty");
    assert_eq!(
        system.lookup_kind(at(first, 0), ObjectKind::Endpoint, Rights::SEND),
        Err(LookupError::WrongKind {
            expected: ObjectKind::Endpoint,
            found: ObjectKind::Notification
        })
    );
    assert_eq!(
        system.lookup_kind(
            at(first, 0),
            ObjectKind::Notification,
            Rights::SIGNAL | Rights::WAIT
        ),
        Err(LookupError::MissingRights {
            missing: Rights::WAIT
        })
    );
    let found = system
        .lookup_kind(at(first, 0), ObjectKind::Notification, Rights::SIGNAL)
        .expect("fits");
    assert_eq!(found.object, Object::Notification(3));
    assert_eq!(
        system
            .lookup(at(first, 0), Rights::empty())
            .map(|c| c.rights),
        Ok(Rights::SIGNAL)
    );
}

#[test]
fn identify_returns_object_rights_and_badge() {
    let (mut system, first, _) = two_spaces();
    endpoint(&mut system, at(first, 0), 7);
    let badge = Badge::new(42);
    system
        .mint(at(first, 0), at(first, 1), Rights::SEND, badge)
        .expect("mint");
    assert_eq!(
        system.identify(at(first, 1)),
        Ok(Capability {
            object: Object::Endpoint(7),
            rights: Rights::SEND,
            badge,
        })
    );
    assert_eq!(system.identify(at(first, 2)), Err(SlotError::EmptySlot));
    assert_eq!(
        system.identify(at(first, 9)),
        Err(SlotError::SlotOutOfRange)
    );
}

#[test]
fn handle_follows_moves_and_detects_deletion() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    let handle = system.handle(at(first, 0)).expect("occupied");
    system
        .move_capability(at(first, 0), at(second, 5))
        .expect("move");
    assert_eq!(system.location(handle), Some(at(second, 5)));
    assert_eq!(
        system.capability(handle).map(|c| c.object),
        Some(Object::Endpoint(1))
    );
    let _ = system.delete(at(second, 5)).expect("occupied");
    endpoint(&mut system, at(second, 5), 2);
    assert_eq!(system.capability(handle), None);
    assert_eq!(system.location(handle), None);
    assert_eq!(system.handle(at(first, 0)), Err(SlotError::EmptySlot));
}

#[test]
fn badge_zero_means_no_badge() {
    assert_eq!(Badge::new(0), None);
    assert_eq!(Badge::new(9).map(Badge::get), Some(9));
}
