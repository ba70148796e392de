//! Capability calls: copy, mint, move, delete, revoke, identify.

use exokernel_abi::{KernelError, ObjectKind, Rights, Slot};
use exokernel_capability::{Badge, Object};

use super::{Caller, Outcome, errors};
use crate::kernel_state::KernelState;
use crate::reclamation::CALL_WORK_BUDGET;

type Result = core::result::Result<[u64; 6], KernelError>;

pub fn copy(
    kernel: &mut KernelState,
    caller: Caller,
    source: Slot,
    destination: Slot,
    rights: Rights,
) -> Result {
    kernel
        .capabilities
        .copy(caller.slot(source), caller.slot(destination), rights)
        .map_err(errors::copy)?;
    Ok([0; 6])
}

pub fn mint(
    kernel: &mut KernelState,
    caller: Caller,
    source: Slot,
    destination: Slot,
    rights: Rights,
    badge: u64,
) -> Result {
    kernel
        .capabilities
        .mint(
            caller.slot(source),
            caller.slot(destination),
            rights,
            Badge::new(badge),
        )
        .map_err(errors::mint)?;
    Ok([0; 6])
}

pub fn move_capability(
    kernel: &mut KernelState,
    caller: Caller,
    source: Slot,
    destination: Slot,
) -> Result {
    kernel
        .capabilities
        .move_capability(caller.slot(source), caller.slot(destination))
        .map_err(errors::move_capability)?;
    Ok([0; 6])
}

/// Deletes one capability; what it releases is queued and the call returns once that is done.
pub fn delete(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Outcome {
    let releases = match kernel.capabilities.delete(caller.slot(slot)) {
        Ok(releases) => releases,
        Err(error) => return Outcome::Return(Err(errors::slot(error))),
    };
    let until = kernel.queue_releases(releases);
    Outcome::AfterWork {
        result: Some(Ok([0; 6])),
        until,
    }
}

/// Revokes in bounded steps: each entry removes a bounded part of the subtree and queues its
/// releases; the call is re-executed until the subtree is gone and the work is done.
pub fn revoke(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Outcome {
    let (releases, complete) = match kernel
        .capabilities
        .revoke_limited(caller.slot(slot), CALL_WORK_BUDGET)
    {
        Ok(progress) => progress,
        Err(error) => return Outcome::Return(Err(errors::slot(error))),
    };
    let until = kernel.queue_releases(releases);
    Outcome::AfterWork {
        result: complete.then_some(Ok([0; 6])),
        until,
    }
}

/// `[kind, rights, badge, detail]`.
pub fn identify(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Result {
    let capability = kernel
        .capabilities
        .identify(caller.slot(slot))
        .map_err(errors::slot)?;
    let (kind, detail) = match capability.object {
        Object::MemoryQuota(quota) => (
            ObjectKind::MemoryQuota,
            kernel
                .capabilities
                .quota_balance(quota)
                .map_or(0, |balance| balance.remaining),
        ),
        Object::Frame(frame) => (ObjectKind::Frame, frame.page_count),
        Object::AddressSpace(_) => (ObjectKind::AddressSpace, 0),
        Object::Environment(_) => (ObjectKind::Environment, 0),
        Object::Endpoint(_) => (ObjectKind::Endpoint, 0),
        Object::Notification(_) => (ObjectKind::Notification, 0),
        Object::Irq(line) => (ObjectKind::Irq, u64::from(line)),
        Object::IoPorts(range) => (ObjectKind::IoPorts, u64::from(range.first)),
        Object::Timer(_) => (ObjectKind::Timer, 0),
        Object::ChannelEnd(end) => (
            ObjectKind::ChannelEnd,
            u64::from(super::channel::peer_alive(kernel, end)),
        ),
    };
    Ok([
        kind as u64,
        u64::from(capability.rights.bits()),
        capability.badge.map_or(0, Badge::get),
        detail,
        0,
        0,
    ])
}
