//! Tests of copy and mint.

use super::{at, endpoint, two_spaces};
use crate::{
    Badge, CopyError, DestinationError, Frame, LookupError, MintError, Object, ObjectKind, Rights,
};

#[test]
fn copy_attenuates_and_never_amplifies() {
    let (mut system, first, second) = two_spaces();
    system
        .insert_original(
            at(first, 0),
            Object::Endpoint(1),
            Rights::SEND | Rights::GRANT,
        )
        .expect("empty");
    system
        .copy(at(first, 0), at(second, 0), Rights::all())
        .expect("copy");
    assert_eq!(
        system.identify(at(second, 0)).map(|c| c.rights),
        Ok(Rights::SEND | Rights::GRANT)
    );
    system
        .copy(at(second, 0), at(second, 1), Rights::SEND | Rights::RECEIVE)
        .expect("copy of a copy");
    assert_eq!(
        system.identify(at(second, 1)).map(|c| c.rights),
        Ok(Rights::SEND)
    );
    system.audit().expect("consistent");
}

#[test]
fn copy_needs_grant() {
    let (mut system, first, _) = two_spaces();
    system
        .insert_original(at(first, 0), Object::Endpoint(1), Rights::SEND)
        .expect("empty");
    assert_eq!(
        system.copy(at(first, 0), at(first, 1), Rights::all()),
        Err(CopyError::Source(LookupError::MissingRights {
            missing: Rights::GRANT
        }))
    );
    assert_eq!(
        system.copy(at(first, 2), at(first, 1), Rights::all()),
        Err(CopyError::Source(LookupError::EmptySlot))
    );
    system.audit().expect("consistent");
}

#[test]
fn copy_reports_destination_errors_and_changes_nothing() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    assert_eq!(
        system.copy(at(first, 0), at(first, 0), Rights::all()),
        Err(CopyError::Destination(DestinationError::SlotOccupied))
    );
    assert_eq!(
        system.copy(at(first, 0), at(second, 100), Rights::all()),
        Err(CopyError::Destination(DestinationError::SlotOutOfRange))
    );
    let _ = system.destroy_space(second).expect("live");
    assert_eq!(
        system.copy(at(first, 0), at(second, 0), Rights::all()),
        Err(CopyError::Destination(DestinationError::NoSuchSpace))
    );
    let releases = system.delete(at(first, 0)).expect("occupied");
    assert_eq!(super::unreferenced(&releases), [Object::Endpoint(1)]);
    system.audit().expect("consistent");
}

#[test]
fn mint_sets_a_badge_on_endpoints_and_notifications_only() {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    system
        .insert_original(at(first, 1), Object::Notification(1), Rights::all())
        .expect("empty");
    system
        .insert_original(
            at(first, 2),
            Object::Frame(Frame {
                physical_address: 0,
                page_count: 1,
                quota: None,
            }),
            Rights::all(),
        )
        .expect("empty");
    let badge = Badge::new(5);
    system
        .mint(at(first, 0), at(second, 0), Rights::SEND, badge)
        .expect("endpoint");
    system
        .mint(at(first, 1), at(second, 1), Rights::SIGNAL, badge)
        .expect("notification");
    assert_eq!(system.identify(at(second, 0)).map(|c| c.badge), Ok(badge));
    assert_eq!(system.identify(at(second, 1)).map(|c| c.badge), Ok(badge));
    assert_eq!(
        system.mint(at(first, 2), at(second, 2), Rights::all(), badge),
        Err(MintError::NotBadgeable(ObjectKind::Frame))
    );
    system.audit().expect("consistent");
}

#[test]
fn mint_refuses_to_rebadge_but_may_attenuate_a_badged_capability() {
    let (mut system, first, _) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    system
        .mint(
            at(first, 0),
            at(first, 1),
            Rights::SEND | Rights::GRANT,
            Badge::new(1),
        )
        .expect("first badge");
    assert_eq!(
        system.mint(at(first, 1), at(first, 2), Rights::all(), Badge::new(2)),
        Err(MintError::AlreadyBadged)
    );
    system
        .mint(at(first, 1), at(first, 2), Rights::SEND, None)
        .expect("no badge: a copy");
    assert_eq!(
        system.identify(at(first, 2)),
        system
            .identify(at(first, 1))
            .map(|capability| crate::Capability {
                rights: Rights::SEND,
                ..capability
            })
    );
    system.audit().expect("consistent");
}

#[test]
fn mint_needs_grant_and_a_free_destination() {
    let (mut system, first, _) = two_spaces();
    system
        .insert_original(at(first, 0), Object::Endpoint(1), Rights::SEND)
        .expect("empty");
    assert_eq!(
        system.mint(at(first, 0), at(first, 1), Rights::all(), Badge::new(1)),
        Err(MintError::Source(LookupError::MissingRights {
            missing: Rights::GRANT
        }))
    );
    endpoint(&mut system, at(first, 2), 2);
    assert_eq!(
        system.mint(at(first, 2), at(first, 0), Rights::all(), Badge::new(1)),
        Err(MintError::Destination(DestinationError::SlotOccupied))
    );
    system.audit().expect("consistent");
}
