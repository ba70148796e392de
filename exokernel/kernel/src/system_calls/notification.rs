//! Notification calls: create, signal, wait, poll.

use exokernel_abi::{KernelError, Rights, Slot};
use exokernel_capability::{Badge, Object, ObjectKind};

use super::object_creation::{self, ObjectKindOperations, refund};
use super::{Caller, Outcome, deadline, errors};
use crate::kernel_state::KernelState;
use crate::objects::environment::BlockedOn;
use crate::objects::notification::Notification;

type Result = core::result::Result<[u64; 6], KernelError>;

pub fn create(kernel: &mut KernelState, caller: Caller, quota: Slot, destination: Slot) -> Result {
    let operations = ObjectKindOperations {
        table: |kernel: &mut KernelState| &mut kernel.notifications,
        object: Object::Notification,
        undo: |kernel: &mut KernelState, notification: Notification| {
            refund(kernel, notification.charge)
        },
    };
    let build = |_: &mut KernelState, charge| {
        Ok(Notification {
            charge: Some(charge),
            ..Notification::default()
        })
    };
    object_creation::create(kernel, caller, quota, destination, 1, build, &operations)?;
    Ok([0; 6])
}

fn notification(
    kernel: &KernelState,
    caller: Caller,
    slot: Slot,
    rights: Rights,
) -> core::result::Result<(u32, Option<u64>), KernelError> {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(slot), ObjectKind::Notification, rights)
        .map_err(errors::lookup)?;
    let Object::Notification(id) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    Ok((id, capability.badge.map(Badge::get)))
}

/// The notification a watcher or timer will signal, and the bits it will set: the capability's
/// badge when it has one (as `NotificationSignal` does, so the receiver learns who signalled),
/// else `bits`. Needs SIGNAL.
pub fn signal_target(
    kernel: &KernelState,
    caller: Caller,
    slot: Slot,
    bits: u64,
) -> core::result::Result<(u32, u64), KernelError> {
    let (id, badge) = notification(kernel, caller, slot, Rights::SIGNAL)?;
    Ok((id, badge.unwrap_or(bits)))
}

pub fn signal(kernel: &mut KernelState, caller: Caller, slot: Slot, bits: u64) -> Result {
    let (id, badge) = notification(kernel, caller, slot, Rights::SIGNAL)?;
    // A badged capability signals its badge: the receiver can tell who signalled.
    if let Some(woken) = kernel.signal_notification(id, badge.unwrap_or(bits)) {
        kernel.switch_to_woken(caller.id, woken);
    }
    Ok([0; 6])
}

pub fn wait(kernel: &mut KernelState, caller: Caller, slot: Slot, timeout: u64) -> Outcome {
    let id = match notification(kernel, caller, slot, Rights::WAIT) {
        Ok((id, _)) => id,
        Err(error) => return Outcome::Return(Err(error)),
    };
    let Some(object) = kernel.notifications.get_mut(id) else {
        return Outcome::Return(Err(KernelError::InvalidState));
    };
    if object.word != 0 {
        let word = core::mem::take(&mut object.word);
        return Outcome::Return(Ok([word, 0, 0, 0, 0, 0]));
    }
    object.waiters.push_back(caller.id);
    kernel.block(
        caller.id,
        BlockedOn::Notification { notification: id },
        deadline(timeout),
    );
    Outcome::Blocked
}

pub fn poll(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Result {
    let (id, _) = notification(kernel, caller, slot, Rights::WAIT)?;
    let object = kernel
        .notifications
        .get_mut(id)
        .ok_or(KernelError::InvalidState)?;
    Ok([core::mem::take(&mut object.word), 0, 0, 0, 0, 0])
}
