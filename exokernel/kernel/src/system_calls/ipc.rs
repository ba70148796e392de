//! Synchronous IPC: call, receive, reply, with three message words, the sender's badge and an
//! optional capability transfer (a copy, so revoking the sender's capability revokes it).

use exokernel_abi::{KernelError, Rights, Slot};
use exokernel_capability::{Badge, Object, ObjectKind, SlotAddress};

use super::object_creation::{self, ObjectKindOperations, refund};
use super::{Caller, Outcome, deadline, errors};
use crate::kernel_state::KernelState;
use crate::objects::endpoint::Endpoint;
use crate::objects::environment::{BlockedOn, Life, Message};

type Result = core::result::Result<[u64; 6], KernelError>;

pub fn create_endpoint(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    destination: Slot,
) -> Result {
    let operations = ObjectKindOperations {
        table: |kernel: &mut KernelState| &mut kernel.endpoints,
        object: Object::Endpoint,
        undo: |kernel: &mut KernelState, endpoint: Endpoint| refund(kernel, endpoint.charge),
    };
    let build = |_: &mut KernelState, charge| {
        Ok(Endpoint {
            charge: Some(charge),
            ..Endpoint::default()
        })
    };
    object_creation::create(kernel, caller, quota, destination, 1, build, &operations)?;
    Ok([0; 6])
}

/// The endpoint id and the capability's badge, with `rights`.
fn endpoint(
    kernel: &KernelState,
    caller: Caller,
    slot: Slot,
    rights: Rights,
) -> core::result::Result<(u32, u64), KernelError> {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(slot), ObjectKind::Endpoint, rights)
        .map_err(errors::lookup)?;
    let Object::Endpoint(id) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    Ok((id, capability.badge.map_or(0, Badge::get)))
}

/// Copies the sender's capability into the receiver's slot when both named one.
/// Returns whether a capability arrived.
fn transfer(
    kernel: &mut KernelState,
    from: u32,
    transfer: Option<Slot>,
    to: u32,
    receive: Option<Slot>,
) -> core::result::Result<bool, KernelError> {
    let (Some(transfer), Some(receive)) = (transfer, receive) else {
        return Ok(false);
    };
    let from_space = kernel
        .environments
        .get(from)
        .ok_or(KernelError::PeerGone)?
        .space;
    let to_space = kernel
        .environments
        .get(to)
        .ok_or(KernelError::PeerGone)?
        .space;
    kernel
        .capabilities
        .copy(
            SlotAddress::new(from_space, u64::from(transfer.0)),
            SlotAddress::new(to_space, u64::from(receive.0)),
            Rights::all(),
        )
        .map_err(errors::copy)?;
    Ok(true)
}

/// Pops the first receiver still waiting on `endpoint`.
fn waiting_receiver(kernel: &mut KernelState, endpoint: u32) -> Option<(u32, Option<Slot>)> {
    loop {
        let id = kernel.endpoints.get_mut(endpoint)?.receivers.pop_front()?;
        if let Some(Life::Blocked {
            on: BlockedOn::Receive { receive, .. },
            ..
        }) = kernel
            .environments
            .get(id)
            .map(|environment| environment.life)
        {
            return Some((id, receive));
        }
    }
}

pub fn call(
    kernel: &mut KernelState,
    caller: Caller,
    endpoint_slot: Slot,
    message: Message,
    transfer_slot: Option<Slot>,
    receive: Option<Slot>,
) -> Outcome {
    // Passing a capability through an endpoint needs GRANT on the endpoint as well.
    let needed = if transfer_slot.is_some() {
        Rights::SEND | Rights::GRANT
    } else {
        Rights::SEND
    };
    let (endpoint, badge) = match endpoint(kernel, caller, endpoint_slot, needed) {
        Ok(found) => found,
        Err(error) => return Outcome::Return(Err(error)),
    };
    if let Some((server, server_receive)) = waiting_receiver(kernel, endpoint) {
        let arrived = match transfer(kernel, caller.id, transfer_slot, server, server_receive) {
            Ok(arrived) => arrived,
            Err(error) => {
                // Put the receiver back where it was and fail the call alone.
                if let Some(queue) = kernel.endpoints.get_mut(endpoint) {
                    queue.receivers.push_front(server);
                }
                return Outcome::Return(Err(error));
            }
        };
        kernel.block(caller.id, BlockedOn::Reply { server, receive }, None);
        kernel.wake(
            server,
            Ok([
                badge,
                message[0],
                message[1],
                message[2],
                u64::from(arrived),
                0,
            ]),
        );
        if let Some(server_environment) = kernel.environments.get_mut(server) {
            server_environment.reply_to = Some(caller.id);
        }
        // Donate the rest of the caller's slice to the server.
        kernel.run_queue.remove(&mut kernel.environments, server);
        kernel.current = Some(server);
        return Outcome::Blocked;
    }
    kernel.block(
        caller.id,
        BlockedOn::Call {
            endpoint,
            badge,
            message,
            transfer: transfer_slot,
            receive,
        },
        None,
    );
    if let Some(queue) = kernel.endpoints.get_mut(endpoint) {
        queue.senders.push_back(caller.id);
    }
    Outcome::Blocked
}

pub fn receive(
    kernel: &mut KernelState,
    caller: Caller,
    endpoint_slot: Slot,
    receive: Option<Slot>,
    timeout: u64,
) -> Outcome {
    let (endpoint, _) = match endpoint(kernel, caller, endpoint_slot, Rights::RECEIVE) {
        Ok(found) => found,
        Err(error) => return Outcome::Return(Err(error)),
    };
    // Receiving again without replying abandons the pending call: fail it rather than leave
    // its caller waiting for a reply that can no longer come.
    if let Some(abandoned) = kernel
        .environments
        .get_mut(caller.id)
        .and_then(|environment| environment.reply_to.take())
    {
        kernel.wake_reply_waiter(abandoned, caller.id);
    }
    if let Some(bits) = super::binding::take_bound_signal(kernel, endpoint) {
        return Outcome::Return(Ok(super::binding::notification_result(bits)));
    }
    while let Some(sender) = kernel
        .endpoints
        .get_mut(endpoint)
        .and_then(|queue| queue.senders.pop_front())
    {
        let Some(Life::Blocked {
            on:
                BlockedOn::Call {
                    badge,
                    message,
                    transfer: sender_transfer,
                    receive: sender_receive,
                    ..
                },
            ..
        }) = kernel
            .environments
            .get(sender)
            .map(|environment| environment.life)
        else {
            continue;
        };
        let arrived = match transfer(kernel, sender, sender_transfer, caller.id, receive) {
            Ok(arrived) => arrived,
            Err(error) => {
                // The sender's capability cannot travel: its call fails, the receiver goes on.
                kernel.wake(sender, Err(error));
                continue;
            }
        };
        if let Some(environment) = kernel.environments.get_mut(sender) {
            environment.life = Life::Blocked {
                on: BlockedOn::Reply {
                    server: caller.id,
                    receive: sender_receive,
                },
                deadline: None,
            };
        }
        if let Some(environment) = kernel.environments.get_mut(caller.id) {
            environment.reply_to = Some(sender);
        }
        return Outcome::Return(Ok([
            badge,
            message[0],
            message[1],
            message[2],
            u64::from(arrived),
            0,
        ]));
    }
    kernel.block(
        caller.id,
        BlockedOn::Receive { endpoint, receive },
        deadline(timeout),
    );
    if let Some(queue) = kernel.endpoints.get_mut(endpoint) {
        queue.receivers.push_back(caller.id);
    }
    Outcome::Blocked
}

pub fn reply(
    kernel: &mut KernelState,
    caller: Caller,
    message: Message,
    transfer_slot: Option<Slot>,
) -> Result {
    let target = kernel
        .environments
        .get_mut(caller.id)
        .and_then(|environment| environment.reply_to.take())
        .ok_or(KernelError::InvalidState)?;
    let receive = match kernel
        .environments
        .get(target)
        .map(|environment| environment.life)
    {
        Some(Life::Blocked {
            on: BlockedOn::Reply { server, receive },
            ..
        }) if server == caller.id => receive,
        _ => return Err(KernelError::PeerGone),
    };
    let arrived = match transfer(kernel, caller.id, transfer_slot, target, receive) {
        Ok(arrived) => arrived,
        Err(error) => {
            if let Some(environment) = kernel.environments.get_mut(caller.id) {
                environment.reply_to = Some(target);
            }
            return Err(error);
        }
    };
    kernel.wake(
        target,
        Ok([u64::from(arrived), message[0], message[1], message[2], 0, 0]),
    );
    // A caller whose stop was deferred until this reply is stopped now, not run.
    if matches!(
        kernel
            .environments
            .get(target)
            .map(|environment| environment.life),
        Some(Life::Runnable)
    ) {
        kernel.make_runnable_next(target);
    }
    Ok([0; 6])
}

/// `IpcReplyReceive`: the reply (skipped when there is no call to answer or its caller is
/// gone), then the receive. A reply that fails otherwise (its capability cannot travel) fails
/// the whole call before it receives, with the reply still owed.
pub fn reply_receive(
    kernel: &mut KernelState,
    caller: Caller,
    endpoint_slot: Slot,
    message: Message,
    transfer_slot: Option<Slot>,
    receive_slot: Option<Slot>,
) -> Outcome {
    if let Err(error) = endpoint(kernel, caller, endpoint_slot, Rights::RECEIVE) {
        return Outcome::Return(Err(error));
    }
    match reply(kernel, caller, message, transfer_slot) {
        Ok(_) | Err(KernelError::InvalidState | KernelError::PeerGone) => {}
        Err(error) => return Outcome::Return(Err(error)),
    }
    receive(kernel, caller, endpoint_slot, receive_slot, 0)
}
