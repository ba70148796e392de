//! Tests of memory quotas: charges, frames, child quotas and the return of budget.

use super::{at, two_spaces, unreferenced};
use crate::{
    ChargeError, CreateFrameError, DestinationError, Frame, LookupError, Object, ObjectKind,
    QuotaBalance, Rights, SplitQuotaError,
};

fn balance(budget: u64, remaining: u64) -> Option<QuotaBalance> {
    Some(QuotaBalance { budget, remaining })
}

#[test]
fn frame_pages_are_charged_and_credited_back_when_the_frame_dies() {
    let (mut system, first, second) = two_spaces();
    let quota = system
        .create_quota(at(first, 0), 10, Rights::all())
        .expect("empty");
    let charge = system.charge(at(first, 0), 4).expect("budget");
    assert_eq!(charge.page_count(), 4);
    assert_eq!(charge.quota(), quota);
    assert_eq!(system.quota_balance(quota), balance(10, 6));
    system
        .create_frame(charge, at(first, 1), 0x40_000, Rights::all())
        .expect("frame");
    system.audit().expect("consistent");
    system
        .copy(at(first, 1), at(second, 0), Rights::READ | Rights::MAP)
        .expect("share");
    let releases = system.delete(at(first, 1)).expect("occupied");
    assert!(releases.is_empty(), "the copy keeps the frame alive");
    assert_eq!(system.quota_balance(quota), balance(10, 6));
    let releases = system.delete(at(second, 0)).expect("occupied");
    assert_eq!(
        unreferenced(&releases),
        [Object::Frame(Frame {
            physical_address: 0x40_000,
            page_count: 4,
            quota: Some(quota),
        })]
    );
    assert_eq!(system.quota_balance(quota), balance(10, 10));
    system.audit().expect("consistent");
}

#[test]
fn frame_rights_are_bounded_by_the_quota_capability() {
    let (mut system, first, _) = two_spaces();
    system
        .create_quota(
            at(first, 0),
            4,
            Rights::ALLOCATE | Rights::READ | Rights::WRITE | Rights::MAP,
        )
        .expect("empty");
    let charge = system.charge(at(first, 0), 1).expect("budget");
    system
        .create_frame(
            charge,
            at(first, 1),
            0,
            Rights::READ | Rights::WRITE | Rights::EXECUTE | Rights::MAP,
        )
        .expect("frame");
    assert_eq!(
        system.identify(at(first, 1)).map(|c| c.rights),
        Ok(Rights::READ | Rights::WRITE | Rights::MAP)
    );
    system.audit().expect("consistent");
}

#[test]
fn charge_reports_every_error_and_takes_nothing_on_failure() {
    let (mut system, first, _) = two_spaces();
    let quota = system
        .create_quota(at(first, 0), 3, Rights::all())
        .expect("empty");
    system
        .create_quota(at(first, 1), 3, Rights::READ)
        .expect("empty");
    system
        .insert_original(at(first, 2), Object::Endpoint(1), Rights::all())
        .expect("empty");
    assert_eq!(
        system.charge(at(first, 0), 4),
        Err(ChargeError::Exhausted {
            requested: 4,
            remaining: 3
        })
    );
    assert_eq!(system.charge(at(first, 0), 0), Err(ChargeError::ZeroPages));
    assert_eq!(
        system.charge(at(first, 1), 1),
        Err(ChargeError::Quota(LookupError::MissingRights {
            missing: Rights::ALLOCATE
        }))
    );
    assert_eq!(
        system.charge(at(first, 2), 1),
        Err(ChargeError::Quota(LookupError::WrongKind {
            expected: ObjectKind::MemoryQuota,
            found: ObjectKind::Endpoint
        }))
    );
    assert_eq!(
        system.charge(at(first, 3), 1),
        Err(ChargeError::Quota(LookupError::EmptySlot))
    );
    assert_eq!(system.quota_balance(quota), balance(3, 3));
    let charge = system.charge(at(first, 0), 3).expect("exactly the budget");
    assert_eq!(
        system.charge(at(first, 0), 1),
        Err(ChargeError::Exhausted {
            requested: 1,
            remaining: 0
        })
    );
    system.audit().expect("pending charges are accounted for");
    system.refund(charge);
    assert_eq!(system.quota_balance(quota), balance(3, 3));
    system.audit().expect("consistent");
}

#[test]
fn failed_frame_creation_refunds_the_charge() {
    let (mut system, first, _) = two_spaces();
    let quota = system
        .create_quota(at(first, 0), 5, Rights::all())
        .expect("empty");
    let charge = system.charge(at(first, 0), 2).expect("budget");
    assert_eq!(
        system.create_frame(charge, at(first, 0), 0x1000, Rights::all()),
        Err(CreateFrameError::Destination(
            DestinationError::SlotOccupied
        ))
    );
    assert_eq!(system.quota_balance(quota), balance(5, 5));
    let charge = system.charge(at(first, 0), 2).expect("budget");
    system
        .create_frame(charge, at(first, 1), 0x1000, Rights::all())
        .expect("frame");
    let charge = system.charge(at(first, 0), 2).expect("budget");
    assert_eq!(
        system.create_frame(charge, at(first, 2), 0x1000, Rights::all()),
        Err(CreateFrameError::AlreadyReferenced)
    );
    assert_eq!(system.quota_balance(quota), balance(5, 3));
    system.audit().expect("consistent");
}

#[test]
fn charge_through_a_deleted_quota_capability_is_refunded_and_the_quota_retires() {
    let (mut system, first, _) = two_spaces();
    let quota = system
        .create_quota(at(first, 0), 5, Rights::all())
        .expect("empty");
    let charge = system.charge(at(first, 0), 2).expect("budget");
    let releases = system.delete(at(first, 0)).expect("occupied");
    assert_eq!(unreferenced(&releases), [Object::MemoryQuota(quota)]);
    assert_eq!(
        system.quota_balance(quota),
        balance(5, 3),
        "held by the charge"
    );
    system.audit().expect("consistent");
    assert_eq!(
        system.create_frame(charge, at(first, 1), 0, Rights::all()),
        Err(CreateFrameError::QuotaCapabilityGone)
    );
    assert_eq!(system.quota_balance(quota), None);
    system.audit().expect("consistent");
}

#[test]
fn quota_outlives_its_capabilities_while_its_frames_live() {
    let (mut system, first, _) = two_spaces();
    let root = system
        .create_quota(at(first, 0), 100, Rights::all())
        .expect("empty");
    let child = system
        .split_quota(at(first, 0), at(first, 1), 10, Rights::all())
        .expect("budget");
    let charge = system.charge(at(first, 1), 3).expect("budget");
    system
        .create_frame(charge, at(first, 2), 0x9000, Rights::all())
        .expect("frame");
    let _ = system.delete(at(first, 1)).expect("occupied");
    assert_eq!(system.quota_balance(child), balance(10, 7));
    assert_eq!(system.quota_balance(root), balance(100, 90));
    system.audit().expect("consistent");
    let _ = system.delete(at(first, 2)).expect("occupied");
    assert_eq!(system.quota_balance(child), None);
    assert_eq!(system.quota_balance(root), balance(100, 100));
    system.audit().expect("consistent");
}

#[test]
fn split_moves_budget_and_attenuates() {
    let (mut system, first, second) = two_spaces();
    let root = system
        .create_quota(
            at(first, 0),
            20,
            Rights::ALLOCATE | Rights::GRANT | Rights::READ,
        )
        .expect("empty");
    let child = system
        .split_quota(
            at(first, 0),
            at(second, 0),
            8,
            Rights::ALLOCATE | Rights::WRITE,
        )
        .expect("budget");
    assert_eq!(system.quota_balance(root), balance(20, 12));
    assert_eq!(system.quota_balance(child), balance(8, 8));
    assert_eq!(
        system.identify(at(second, 0)).map(|c| c.rights),
        Ok(Rights::ALLOCATE)
    );
    assert_eq!(
        system.charge(at(second, 0), 9),
        Err(ChargeError::Exhausted {
            requested: 9,
            remaining: 8
        })
    );
    let releases = system.delete(at(second, 0)).expect("occupied");
    assert_eq!(unreferenced(&releases), [Object::MemoryQuota(child)]);
    assert_eq!(system.quota_balance(root), balance(20, 20));
    assert_eq!(system.quota_balance(child), None);
    system.audit().expect("consistent");
}

#[test]
fn split_reports_every_error_and_takes_nothing_on_failure() {
    let (mut system, first, _) = two_spaces();
    let root = system
        .create_quota(at(first, 0), 4, Rights::all())
        .expect("empty");
    system
        .create_quota(at(first, 1), 4, Rights::GRANT)
        .expect("empty");
    assert_eq!(
        system.split_quota(at(first, 0), at(first, 2), 5, Rights::all()),
        Err(SplitQuotaError::Exhausted {
            requested: 5,
            remaining: 4
        })
    );
    assert_eq!(
        system.split_quota(at(first, 0), at(first, 2), 0, Rights::all()),
        Err(SplitQuotaError::ZeroPages)
    );
    assert_eq!(
        system.split_quota(at(first, 0), at(first, 1), 1, Rights::all()),
        Err(SplitQuotaError::Destination(DestinationError::SlotOccupied))
    );
    assert_eq!(
        system.split_quota(at(first, 1), at(first, 2), 1, Rights::all()),
        Err(SplitQuotaError::Source(LookupError::MissingRights {
            missing: Rights::ALLOCATE
        }))
    );
    assert_eq!(
        system.split_quota(at(first, 5), at(first, 2), 1, Rights::all()),
        Err(SplitQuotaError::Source(LookupError::EmptySlot))
    );
    assert_eq!(system.quota_balance(root), balance(4, 4));
    system.audit().expect("consistent");
}

#[test]
fn revoking_a_quota_capability_reclaims_everything_allocated_from_it() {
    let (mut system, first, second) = two_spaces();
    let root = system
        .create_quota(at(first, 0), 50, Rights::all())
        .expect("empty");
    system
        .copy(at(first, 0), at(first, 1), Rights::all())
        .expect("copy");
    let child = system
        .split_quota(at(first, 1), at(second, 0), 20, Rights::all())
        .expect("budget");
    for (slot, address) in [(1_u64, 0x1000_u64), (2, 0x2000)] {
        let charge = system.charge(at(second, 0), 2).expect("budget");
        system
            .create_frame(charge, at(second, slot), address, Rights::all())
            .expect("frame");
    }
    let charge = system.charge(at(first, 1), 5).expect("budget");
    system
        .create_frame(charge, at(first, 2), 0x8000, Rights::all())
        .expect("frame");
    system
        .copy(at(second, 1), at(first, 3), Rights::all())
        .expect("share");
    assert_eq!(system.quota_balance(root), balance(50, 25));
    system.audit().expect("consistent");
    let releases = system.revoke(at(first, 0)).expect("occupied");
    assert_eq!(
        unreferenced(&releases).len(),
        4,
        "three frames and the child quota"
    );
    assert_eq!(system.quota_balance(child), None);
    assert_eq!(system.quota_balance(root), balance(50, 50));
    for slot in [
        at(first, 1),
        at(first, 2),
        at(first, 3),
        at(second, 0),
        at(second, 1),
    ] {
        assert!(system.identify(slot).is_err());
    }
    system.audit().expect("consistent");
}

#[test]
fn root_quota_reports_destination_errors() {
    let (mut system, first, _) = two_spaces();
    system
        .create_quota(at(first, 0), 1, Rights::all())
        .expect("empty");
    assert_eq!(
        system.create_quota(at(first, 0), 1, Rights::all()),
        Err(DestinationError::SlotOccupied)
    );
    assert_eq!(
        system.create_quota(at(first, 99), 1, Rights::all()),
        Err(DestinationError::SlotOutOfRange)
    );
    system.audit().expect("no ledger entry leaked");
}
