//! Tests of inserting original capabilities.

use super::{at, two_spaces};
use crate::{DestinationError, Frame, InsertError, IoPortRange, Object, Rights};

#[test]
fn original_is_a_root_with_the_given_rights_and_no_badge() {
    let (mut system, first, _) = two_spaces();
    let ports = Object::IoPorts(IoPortRange {
        first: 0x3f8,
        count: 8,
    });
    system
        .insert_original(at(first, 0), ports, Rights::READ | Rights::WRITE)
        .expect("empty");
    let capability = system.identify(at(first, 0)).expect("occupied");
    assert_eq!(capability.object, ports);
    assert_eq!(capability.rights, Rights::READ | Rights::WRITE);
    assert_eq!(capability.badge, None);
    system.audit().expect("consistent");
}

#[test]
fn original_refuses_an_object_that_already_has_capabilities() {
    let (mut system, first, second) = two_spaces();
    system
        .insert_original(at(first, 0), Object::Irq(4), Rights::WAIT)
        .expect("empty");
    assert_eq!(
        system.insert_original(at(second, 0), Object::Irq(4), Rights::WAIT),
        Err(InsertError::AlreadyReferenced)
    );
    let _ = system.delete(at(first, 0)).expect("occupied");
    system
        .insert_original(at(second, 0), Object::Irq(4), Rights::WAIT)
        .expect("the id was released");
}

#[test]
fn original_refuses_quotas_and_quota_paid_frames() {
    let (mut system, first, _) = two_spaces();
    let quota = system
        .create_quota(at(first, 0), 10, Rights::all())
        .expect("empty");
    assert_eq!(
        system.insert_original(at(first, 1), Object::MemoryQuota(quota), Rights::all()),
        Err(InsertError::NotAnOriginal)
    );
    let paid = Object::Frame(Frame {
        physical_address: 0x1000,
        page_count: 1,
        quota: Some(quota),
    });
    assert_eq!(
        system.insert_original(at(first, 1), paid, Rights::all()),
        Err(InsertError::NotAnOriginal)
    );
    let device = Object::Frame(Frame {
        physical_address: 0xfee0_0000,
        page_count: 1,
        quota: None,
    });
    system
        .insert_original(
            at(first, 1),
            device,
            Rights::READ | Rights::WRITE | Rights::MAP,
        )
        .expect("device memory needs no quota");
    system.audit().expect("consistent");
}

#[test]
fn original_reports_destination_errors() {
    let (mut system, first, second) = two_spaces();
    system
        .insert_original(at(first, 0), Object::Environment(1), Rights::CONTROL)
        .expect("empty");
    assert_eq!(
        system.insert_original(at(first, 0), Object::Environment(2), Rights::CONTROL),
        Err(InsertError::Destination(DestinationError::SlotOccupied))
    );
    assert_eq!(
        system.insert_original(at(first, 8), Object::Environment(2), Rights::CONTROL),
        Err(InsertError::Destination(DestinationError::SlotOutOfRange))
    );
    let _ = system.destroy_space(second).expect("live");
    assert_eq!(
        system.insert_original(at(second, 0), Object::Environment(2), Rights::CONTROL),
        Err(InsertError::Destination(DestinationError::NoSuchSpace))
    );
    system.audit().expect("consistent");
}
