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

/// Deletes one capability in bounded steps (a capability mapped or copied many times sheds its
/// mappings and children a step at a time); what it releases is queued, and the call returns
/// once the capability is gone and that work is done.
pub fn delete(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Outcome {
    let (releases, complete) = match kernel
        .capabilities
        .delete_limited(caller.slot(slot), CALL_WORK_BUDGET)
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

/// The most slots one `CapabilityCopyRange` covers.
pub const MAXIMUM_COPY_RANGE: u64 = 256;

/// Copies the occupied slots `source .. source + count` of the caller's space to the same
/// offsets from `destination` in the space of the environment in `environment` (for fork).
/// Empty source slots are skipped; the copy stops at the first slot that cannot be copied.
/// Returns `[slots gone through, error code of the slot that stopped it or 0]`.
pub fn copy_range(
    kernel: &mut KernelState,
    caller: Caller,
    environment: Slot,
    source: Slot,
    destination: Slot,
    count: u64,
) -> Result {
    if count == 0 || count > MAXIMUM_COPY_RANGE {
        return Err(KernelError::InvalidArgument);
    }
    let capability = kernel
        .capabilities
        .lookup_kind(
            caller.slot(environment),
            ObjectKind::Environment,
            Rights::CONTROL,
        )
        .map_err(errors::lookup)?;
    let Object::Environment(target) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    let target_space = match kernel.environments.get(target) {
        Some(environment) if !environment.has_ended() => environment.space,
        _ => return Err(KernelError::InvalidState),
    };
    let first = u64::from(source.0);
    let end = first + count;
    // Only occupied slots cost a lookup: a forked child's range is mostly empty.
    let mut next = first;
    while let Some(slot) = kernel
        .capabilities
        .next_occupied(caller.space, next, end)
        .map_err(|_| KernelError::InvalidSlot)?
    {
        let offset = slot - first;
        let to =
            exokernel_capability::SlotAddress::new(target_space, u64::from(destination.0) + offset);
        if let Err(error) =
            kernel
                .capabilities
                .copy(caller.slot(Slot(slot as u32)), to, Rights::all())
        {
            return Ok([offset, errors::copy(error).code(), 0, 0, 0, 0]);
        }
        next = slot + 1;
    }
    // A range running past the caller's space stops at its end, as a lookup there would.
    let slot_count = kernel
        .capabilities
        .slot_count(caller.space)
        .ok_or(KernelError::InvalidSlot)?;
    if end > slot_count {
        let offset = slot_count.saturating_sub(first);
        return Ok([offset, KernelError::InvalidSlot.code(), 0, 0, 0, 0]);
    }
    Ok([count, 0, 0, 0, 0, 0])
}
