//! Binding a notification to an endpoint (seL4 style), so a server waits for a call *or* a
//! signal in one `IpcReceive`: a signal that finds no `NotificationWait` waiter wakes the
//! endpoint's first receiver instead, with the bits and word 5 = `RECEIVED_NOTIFICATION`; a
//! receive that finds bits already set returns them at once, before any queued call.
//!
//! One binding per notification and per endpoint: two fields, no allocation, covered by the
//! charge of each object.

use exokernel_abi::{KernelError, RECEIVED_NOTIFICATION, Rights, Slot};
use exokernel_capability::{Object, ObjectKind};

use super::{Caller, errors};
use crate::kernel_state::KernelState;
use crate::objects::endpoint::Endpoint;
use crate::objects::environment::{BlockedOn, Life};
use crate::objects::notification::Notification;

type Result = core::result::Result<[u64; 6], KernelError>;

/// The result words of a receive woken by its bound notification.
#[must_use]
pub fn notification_result(bits: u64) -> [u64; 6] {
    [0, bits, 0, 0, 0, RECEIVED_NOTIFICATION]
}

fn object_id(
    kernel: &KernelState,
    caller: Caller,
    slot: Slot,
    kind: ObjectKind,
    rights: Rights,
) -> core::result::Result<u32, KernelError> {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(slot), kind, rights)
        .map_err(errors::lookup)?;
    match capability.object {
        Object::Notification(id) | Object::Endpoint(id) => Ok(id),
        _ => Err(KernelError::WrongKind),
    }
}

/// `NotificationBind`: binds (or with `endpoint` none, unbinds) a notification.
pub fn bind(
    kernel: &mut KernelState,
    caller: Caller,
    notification_slot: Slot,
    endpoint_slot: Option<Slot>,
) -> Result {
    let notification = object_id(
        kernel,
        caller,
        notification_slot,
        ObjectKind::Notification,
        Rights::WAIT,
    )?;
    let endpoint = endpoint_slot
        .map(|slot| object_id(kernel, caller, slot, ObjectKind::Endpoint, Rights::RECEIVE))
        .transpose()?;
    let current = kernel
        .notifications
        .get(notification)
        .ok_or(KernelError::InvalidState)?
        .bound_endpoint;
    let Some(endpoint) = endpoint else {
        if let Some(bound) = current
            && let Some(object) = kernel.endpoints.get_mut(bound)
        {
            object.bound_notification = None;
        }
        if let Some(object) = kernel.notifications.get_mut(notification) {
            object.bound_endpoint = None;
        }
        return Ok([0; 6]);
    };
    if current == Some(endpoint) {
        return Ok([0; 6]);
    }
    let endpoint_object = kernel
        .endpoints
        .get_mut(endpoint)
        .ok_or(KernelError::InvalidState)?;
    if current.is_some() || endpoint_object.bound_notification.is_some() {
        return Err(KernelError::InvalidState);
    }
    endpoint_object.bound_notification = Some(notification);
    if let Some(object) = kernel.notifications.get_mut(notification) {
        object.bound_endpoint = Some(endpoint);
    }
    // Bits signalled before the binding reach a receiver already waiting.
    wake_bound_receiver(kernel, notification);
    Ok([0; 6])
}

/// Takes the bits of the notification bound to `endpoint`, if any are set.
pub fn take_bound_signal(kernel: &mut KernelState, endpoint: u32) -> Option<u64> {
    let notification = kernel.endpoints.get(endpoint)?.bound_notification?;
    let object = kernel.notifications.get_mut(notification)?;
    (object.word != 0).then(|| core::mem::take(&mut object.word))
}

/// Hands notification `id`'s bits to the first receiver waiting on its bound endpoint, if any.
pub fn wake_bound_receiver(kernel: &mut KernelState, id: u32) {
    let Some(endpoint) = kernel
        .notifications
        .get(id)
        .filter(|notification| notification.word != 0)
        .and_then(|notification| notification.bound_endpoint)
    else {
        return;
    };
    loop {
        let Some(receiver) = kernel
            .endpoints
            .get_mut(endpoint)
            .and_then(|queue| queue.receivers.pop_front())
        else {
            return;
        };
        let waiting = matches!(
            kernel.environments.get(receiver).map(|environment| environment.life),
            Some(Life::Blocked {
                on: BlockedOn::Receive { endpoint: on, .. },
                ..
            }) if on == endpoint
        );
        if waiting {
            let bits = kernel
                .notifications
                .get_mut(id)
                .map_or(0, |notification| core::mem::take(&mut notification.word));
            kernel.wake(receiver, Ok(notification_result(bits)));
            return;
        }
    }
}

/// A destroyed endpoint's notification is unbound (ids are reused).
pub fn forget_endpoint(kernel: &mut KernelState, endpoint: &Endpoint) {
    if let Some(notification) = endpoint
        .bound_notification
        .and_then(|id| kernel.notifications.get_mut(id))
    {
        notification.bound_endpoint = None;
    }
}

/// A destroyed notification's endpoint is unbound (ids are reused).
pub fn forget_notification(kernel: &mut KernelState, notification: &Notification) {
    if let Some(endpoint) = notification
        .bound_endpoint
        .and_then(|id| kernel.endpoints.get_mut(id))
    {
        endpoint.bound_notification = None;
    }
}
