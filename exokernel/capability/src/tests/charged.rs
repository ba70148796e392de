//! Tests of objects a quota paid for, bounded revocation and teardown, charge extension and the
//! per-address-space mapping count.

use super::{at, two_spaces, unreferenced};
use crate::{
    CapabilitySystem, ChargeError, Frame, InsertError, Mapping, Object, PAGE_SIZE, QuotaBalance,
    Rights, SpaceId,
};

/// A quota of `budget` pages in slot 0 of the first space, and an environment object it paid
/// for in slot 1.
fn with_paid_environment(budget: u64) -> (CapabilitySystem, SpaceId, SpaceId) {
    let (mut system, first, second) = two_spaces();
    system
        .create_quota(at(first, 0), budget, Rights::all())
        .expect("empty");
    let charge = system.charge(at(first, 0), 2).expect("budget");
    system
        .insert_charged(
            charge.paid_by(),
            at(first, 1),
            Object::Environment(7),
            Rights::all(),
        )
        .expect("empty");
    // The kernel keeps the charge in the object; the test only needs the ledger to hold it.
    drop(charge);
    (system, first, second)
}

#[test]
fn a_paid_object_sits_below_the_quota_and_dies_with_its_revoke() {
    let (mut system, first, second) = with_paid_environment(10);
    system.audit().expect("consistent");
    // A copy of the environment inside its own space (the cycle of the issue) and elsewhere.
    system
        .copy(at(first, 1), at(second, 3), Rights::all())
        .expect("copy");
    system
        .copy(at(second, 3), at(second, 4), Rights::READ)
        .expect("copy of copy");
    let _ = system.delete(at(first, 1)).expect("occupied");
    system.audit().expect("consistent");
    let releases = system.revoke(at(first, 0)).expect("occupied");
    assert_eq!(unreferenced(&releases), [Object::Environment(7)]);
    assert!(system.identify(at(second, 3)).is_err());
    assert!(system.identify(at(second, 4)).is_err());
    system.audit().expect("consistent");
}

#[test]
fn a_paid_object_keeps_all_rights_below_a_weak_quota_capability() {
    let (mut system, first, _) = two_spaces();
    system
        .create_quota(at(first, 0), 10, Rights::all())
        .expect("empty");
    system
        .copy(at(first, 0), at(first, 2), Rights::ALLOCATE)
        .expect("weak copy");
    let charge = system.charge(at(first, 2), 1).expect("budget");
    system
        .insert_charged(
            charge.paid_by(),
            at(first, 3),
            Object::Endpoint(1),
            Rights::all(),
        )
        .expect("empty");
    drop(charge);
    assert_eq!(
        system.identify(at(first, 3)).expect("placed").rights,
        Rights::all()
    );
    system
        .audit()
        .expect("rights of a paid object are not attenuated by the quota");
}

#[test]
fn insert_charged_refuses_quotas_frames_and_a_vanished_quota_capability() {
    let (mut system, first, _) = two_spaces();
    system
        .create_quota(at(first, 0), 10, Rights::all())
        .expect("empty");
    let charge = system.charge(at(first, 0), 1).expect("budget");
    let frame = Object::Frame(Frame {
        physical_address: 0x1000,
        page_count: 1,
        quota: None,
    });
    assert_eq!(
        system.insert_charged(charge.paid_by(), at(first, 1), frame, Rights::all()),
        Err(InsertError::NotAnOriginal)
    );
    system
        .copy(at(first, 0), at(first, 2), Rights::all())
        .expect("copy");
    let through_copy = system.charge(at(first, 2), 1).expect("budget");
    let _ = system.delete(at(first, 2)).expect("occupied");
    assert_eq!(
        system.insert_charged(
            through_copy.paid_by(),
            at(first, 3),
            Object::Endpoint(1),
            Rights::all()
        ),
        Err(InsertError::QuotaCapabilityGone)
    );
    system.refund(through_copy);
    system.refund(charge);
    system.audit().expect("consistent");
}

/// Builds a deep chain of copies below slot 1 of the first space, one per slot of a large space.
fn deep_chain(length: u64) -> (CapabilitySystem, SpaceId, SpaceId) {
    let mut system = CapabilitySystem::new();
    let first = system.create_space(4).expect("valid");
    let second = system.create_space(4096).expect("valid");
    system
        .insert_original(at(first, 1), Object::Notification(3), Rights::all())
        .expect("empty");
    let mut previous = at(first, 1);
    for slot in 0..length {
        system
            .copy(previous, at(second, slot), Rights::all())
            .expect("copy");
        previous = at(second, slot);
    }
    (system, first, second)
}

#[test]
fn a_limited_revoke_continues_where_it_stopped_and_ends_like_a_full_one() {
    let (mut system, first, second) = deep_chain(3000);
    let mut calls = 0;
    loop {
        calls += 1;
        let (releases, complete) = system.revoke_limited(at(first, 1), 100).expect("occupied");
        assert!(
            unreferenced(&releases).is_empty(),
            "slot 1 keeps the object"
        );
        system.audit().expect("consistent after every step");
        if complete {
            break;
        }
        assert!(calls < 1000, "the revoke makes progress");
    }
    assert!(
        calls >= 30,
        "3,000 removals at 100 per call take at least 30 calls"
    );
    assert!(system.identify(at(second, 0)).is_err());
    assert!(system.identify(at(second, 2999)).is_err());
    assert!(system.identify(at(first, 1)).is_ok());
}

#[test]
fn a_limited_space_teardown_ends_with_the_space_gone() {
    let (mut system, first, second) = deep_chain(500);
    let mut calls = 0;
    loop {
        calls += 1;
        let (_, complete) = system.destroy_space_limited(second, 64).expect("live");
        system.audit().expect("consistent after every step");
        if complete {
            break;
        }
        assert!(calls < 100, "the teardown makes progress");
    }
    assert!(calls >= 8);
    assert!(system.slot_count(second).is_none());
    let releases = system.delete(at(first, 1)).expect("occupied");
    assert_eq!(unreferenced(&releases), [Object::Notification(3)]);
    system.audit().expect("consistent");
}

#[test]
fn a_charge_grows_from_its_quota_until_the_quota_is_short() {
    let (mut system, first, _) = two_spaces();
    let quota = system
        .create_quota(at(first, 0), 10, Rights::all())
        .expect("empty");
    let mut charge = system.charge(at(first, 0), 2).expect("budget");
    system.extend_charge(&mut charge, 3).expect("budget");
    assert_eq!(charge.page_count(), 5);
    assert_eq!(
        system.quota_balance(quota),
        Some(QuotaBalance {
            budget: 10,
            remaining: 5
        })
    );
    assert_eq!(
        system.extend_charge(&mut charge, 6),
        Err(ChargeError::Exhausted {
            requested: 6,
            remaining: 5
        })
    );
    system.audit().expect("pending pages are accounted");
    system.refund(charge);
    assert_eq!(
        system.quota_balance(quota),
        Some(QuotaBalance {
            budget: 10,
            remaining: 10
        })
    );
}

#[test]
fn mapping_counts_follow_records_through_splits_and_removals() {
    let (mut system, first, _) = two_spaces();
    system
        .insert_original(
            at(first, 0),
            Object::Frame(Frame {
                physical_address: 0x10_0000,
                page_count: 8,
                quota: None,
            }),
            Rights::all(),
        )
        .expect("empty");
    let run = |address_space, page, page_count| Mapping {
        address_space,
        virtual_address: page * PAGE_SIZE,
        page_count,
    };
    system
        .record_mapping(at(first, 0), run(1, 0, 8))
        .expect("ok");
    system
        .record_mapping(at(first, 0), run(2, 0, 1))
        .expect("ok");
    assert_eq!(system.mapping_count(1), 1);
    // Unmapping the middle splits one record into two.
    system.forget_mappings(run(1, 3, 2)).expect("well formed");
    assert_eq!(system.mapping_count(1), 2);
    system.audit().expect("counts agree");
    assert!(!system.forget_address_space_limited(1, 1));
    assert_eq!(system.mapping_count(1), 1);
    assert!(system.forget_address_space_limited(1, 1));
    assert_eq!(system.mapping_count(1), 0);
    let _ = system.delete(at(first, 0)).expect("occupied");
    assert_eq!(system.mapping_count(2), 0);
    system.audit().expect("consistent");
}

#[test]
fn the_charges_per_slot_and_per_mapping_record_cover_what_the_kernel_allocates() {
    let node = crate::arena::entry_size::<crate::derivation::Node>();
    let slot = core::mem::size_of::<Option<usize>>();
    // The node arena grows by doubling: up to twice the live nodes' bytes are allocated.
    assert!(
        (2 * node + slot) as u64 <= crate::KERNEL_BYTES_PER_SLOT,
        "node {node} bytes, slot {slot} bytes"
    );
    // B-tree leaves are at least half full: at most twice the payload per record, plus the
    // internal nodes above them (a sixth more at worst).
    let payload = crate::mapping_database::RECORD_PAYLOAD_BYTES;
    assert!(
        (payload * 2 + payload / 3 + 16) as u64 <= crate::KERNEL_BYTES_PER_MAPPING_RECORD,
        "record payload {payload} bytes"
    );
}

#[test]
fn a_limited_delete_strips_mappings_and_children_in_steps() {
    let mut system = CapabilitySystem::new();
    let first = system.create_space(4).expect("valid");
    let second = system.create_space(1024).expect("valid");
    system
        .insert_original(
            at(first, 0),
            Object::Frame(Frame {
                physical_address: 0x20_0000,
                page_count: 1,
                quota: None,
            }),
            Rights::all(),
        )
        .expect("empty");
    system
        .copy(at(first, 0), at(first, 1), Rights::all())
        .expect("copy");
    for page in 0..300 {
        system
            .record_mapping(
                at(first, 1),
                Mapping {
                    address_space: 1,
                    virtual_address: page * PAGE_SIZE,
                    page_count: 1,
                },
            )
            .expect("record");
    }
    for slot in 0..500 {
        system
            .copy(at(first, 1), at(second, slot), Rights::READ)
            .expect("copy");
    }
    let mut unmapped = 0;
    let mut calls = 0;
    loop {
        calls += 1;
        let (releases, complete) = system.delete_limited(at(first, 1), 64).expect("occupied");
        unmapped += super::unmaps(&releases).len();
        system.audit().expect("consistent after every step");
        if complete {
            break;
        }
        assert!(calls < 100, "the delete makes progress");
    }
    assert!(
        calls >= 10,
        "800 units at 64 per call take more than ten calls"
    );
    assert_eq!(unmapped, 300);
    assert!(system.identify(at(first, 1)).is_err());
    // The copies moved up to slot 0's capability: revoking it still reaches them.
    let (_, complete) = system
        .revoke_limited(at(first, 0), 10_000)
        .expect("occupied");
    assert!(complete);
    assert!(system.identify(at(second, 499)).is_err());
    system.audit().expect("consistent");
}

#[test]
fn a_record_remembers_its_first_page_through_splits() {
    let (mut system, first, _) = two_spaces();
    system
        .insert_original(
            at(first, 0),
            Object::Frame(Frame {
                physical_address: 0x30_0000,
                page_count: 8,
                quota: None,
            }),
            Rights::all(),
        )
        .expect("empty");
    let run = |page, page_count| Mapping {
        address_space: 1,
        virtual_address: page * PAGE_SIZE,
        page_count,
    };
    // Pages 2..8 of the frame at virtual pages 10..16.
    system
        .record_mapping_at(at(first, 0), run(10, 6), 2)
        .expect("fits");
    assert!(
        system
            .record_mapping_at(at(first, 0), run(20, 6), 3)
            .is_err()
    );
    system.forget_mappings(run(12, 1)).expect("well formed");
    let (front, _, front_page) = system.next_mapping(1, 10 * PAGE_SIZE).expect("front piece");
    assert_eq!(
        (front.virtual_address, front.page_count, front_page),
        (10 * PAGE_SIZE, 2, 2)
    );
    let (back, _, back_page) = system.next_mapping(1, 12 * PAGE_SIZE).expect("back piece");
    assert_eq!(
        (back.virtual_address, back.page_count, back_page),
        (13 * PAGE_SIZE, 3, 5)
    );
    system.audit().expect("consistent");
}

#[test]
fn a_limited_delete_whose_budget_just_covers_its_mappings_ends_and_spares_the_next_capability() {
    let mut system = CapabilitySystem::new();
    let space = system.create_space(4).expect("valid");
    system
        .insert_original(
            at(space, 0),
            Object::Frame(Frame {
                physical_address: 0x20_0000,
                page_count: 1,
                quota: None,
            }),
            Rights::all(),
        )
        .expect("empty");
    for slot in [1, 2] {
        system
            .copy(at(space, 0), at(space, slot), Rights::all())
            .expect("copy");
        for page in 0..8 {
            system
                .record_mapping(
                    at(space, slot),
                    Mapping {
                        address_space: 1,
                        virtual_address: (slot * 100 + page) * PAGE_SIZE,
                        page_count: 1,
                    },
                )
                .expect("record");
        }
    }
    // Exactly the budget: every mapping released in this call, and the capability gone with it.
    let (releases, complete) = system.delete_limited(at(space, 1), 8).expect("occupied");
    assert!(complete);
    assert_eq!(super::unmaps(&releases).len(), 8);
    system.audit().expect("consistent");
    // The next capability (the next node) kept its eight records.
    let (releases, complete) = system.delete_limited(at(space, 2), 64).expect("occupied");
    assert!(complete);
    assert_eq!(super::unmaps(&releases).len(), 8);
    system.audit().expect("consistent");
}
