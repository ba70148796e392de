//! Tests that the audit notices each kind of corruption it claims to check.

use super::{at, endpoint, two_spaces};
use crate::{AuditError, CapabilitySystem, Mapping, Object, Rights};

/// A quota with a frame (mapped once) and a copy of an endpoint: something of everything.
fn populated() -> CapabilitySystem {
    let (mut system, first, second) = two_spaces();
    endpoint(&mut system, at(first, 0), 1);
    system
        .copy(at(first, 0), at(second, 0), Rights::SEND)
        .expect("copy");
    system
        .create_quota(at(first, 1), 10, Rights::all())
        .expect("empty");
    let charge = system.charge(at(first, 1), 2).expect("budget");
    system
        .create_frame(charge, at(first, 2), 0x1000, Rights::all())
        .expect("frame");
    system
        .record_mapping(
            at(first, 2),
            Mapping {
                address_space: 1,
                virtual_address: 0,
                page_count: 2,
            },
        )
        .expect("map");
    system.audit().expect("consistent before corruption");
    system
}

#[test]
fn audit_notices_a_slot_pointing_nowhere() {
    let mut system = populated();
    let (handle, _) = system.spaces.iter().next().expect("a space");
    if let Some(space) = system.spaces.get_mut(handle)
        && let Some(slot) = space.get_mut(7)
    {
        *slot = Some(1000);
    }
    assert_eq!(system.audit(), Err(AuditError::SlotMismatch));
}

#[test]
fn audit_notices_an_emptied_slot() {
    let mut system = populated();
    let (handle, _) = system.spaces.iter().next().expect("a space");
    if let Some(space) = system.spaces.get_mut(handle)
        && let Some(slot) = space.get_mut(0)
    {
        *slot = None;
    }
    assert_eq!(system.audit(), Err(AuditError::NodeCountMismatch));
}

#[test]
fn audit_notices_amplified_rights() {
    let mut system = populated();
    for index in 0..8 {
        if let Some(node) = system.tree.nodes.at_mut(index)
            && node.first_child.is_some()
        {
            node.capability.rights = Rights::empty();
        }
    }
    assert_eq!(system.audit(), Err(AuditError::RightsExceedParent));
}

#[test]
fn audit_notices_a_broken_link() {
    let mut system = populated();
    for index in 0..8 {
        if let Some(node) = system.tree.nodes.at_mut(index)
            && node.parent.is_some()
        {
            node.parent = None;
        }
    }
    assert_eq!(system.audit(), Err(AuditError::BrokenLink));
}

#[test]
fn audit_notices_a_wrong_reference_count() {
    let mut system = populated();
    if let Some(count) = system.references.get_mut(&Object::Endpoint(1)) {
        *count += 1;
    }
    assert_eq!(system.audit(), Err(AuditError::ReferenceCountMismatch));
}

#[test]
fn audit_notices_lost_budget() {
    let mut system = populated();
    let (handle, _) = system.quotas.quotas.iter().next().expect("a quota");
    if let Some(quota) = system.quotas.quotas.get_mut(handle) {
        quota.balance.remaining -= 1;
    }
    assert_eq!(system.audit(), Err(AuditError::QuotaNotConserved));
}

#[test]
fn audit_notices_a_quota_kept_too_long() {
    let mut system = populated();
    system.quotas.create(5, None);
    assert_eq!(system.audit(), Err(AuditError::QuotaLifetime));
}

#[test]
fn audit_notices_a_mapping_of_a_dead_capability() {
    let mut system = populated();
    system.mappings.insert(
        Mapping {
            address_space: 9,
            virtual_address: 0,
            page_count: 1,
        },
        1000,
        0,
    );
    assert_eq!(system.audit(), Err(AuditError::MappingInconsistent));
}
