//! Channel calls: create a pair of ends, derive more objects of an end (or its keeper), watch for
//! the other end's death — and what the kernel does when an end object's last capability goes.

use exokernel_abi::{KernelError, Rights, Slot};
use exokernel_capability::{ChannelEnd, Object, ObjectKind};

use super::object_creation::refund;
use super::{Caller, errors};
use crate::kernel_state::KernelState;
use crate::objects::channel::Channel;
use crate::objects::environment::Watcher;

type Result = core::result::Result<[u64; 6], KernelError>;

pub fn create(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    first: Slot,
    second: Slot,
) -> Result {
    if first == second {
        return Err(KernelError::SlotOccupied);
    }
    for destination in [first, second] {
        kernel
            .capabilities
            .check_empty(caller.slot(destination))
            .map_err(errors::destination)?;
    }
    let charge = kernel
        .capabilities
        .charge(caller.slot(quota), 1)
        .map_err(errors::charge)?;
    let paid_by = charge.paid_by();
    let channel = Channel {
        live: [1; 2],
        kept: [false; 2],
        next_instance: 1,
        watchers: [heapless::Vec::new(), heapless::Vec::new()],
        charge: Some(charge),
    };
    let id = match kernel.channels.insert(channel) {
        Ok(id) => id,
        Err(full) => {
            refund(kernel, full.0.charge);
            return Err(KernelError::OutOfMemory);
        }
    };
    for (side, destination) in [(0, first), (1, second)] {
        let end = Object::ChannelEnd(ChannelEnd {
            channel: id,
            side,
            instance: 0,
        });
        let inserted = kernel.capabilities.insert_charged(
            paid_by,
            caller.slot(destination),
            end,
            Rights::all(),
        );
        if let Err(error) = inserted {
            // Both destinations were checked empty and the quota capability was just used, so
            // this cannot happen; undo all the same rather than leave half a channel.
            if side == 1 {
                let _ = kernel.capabilities.delete(caller.slot(first));
            }
            if let Some(channel) = kernel.channels.remove(id) {
                refund(kernel, channel.charge);
            }
            return Err(errors::insert(error));
        }
    }
    Ok([0; 6])
}

pub fn watch(
    kernel: &mut KernelState,
    caller: Caller,
    end_slot: Slot,
    notification_slot: Slot,
    bits: u64,
) -> Result {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(end_slot), ObjectKind::ChannelEnd, Rights::READ)
        .map_err(errors::lookup)?;
    let Object::ChannelEnd(end) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    let (notification, bits) =
        super::notification::signal_target(kernel, caller, notification_slot, bits)?;
    if bits == 0 {
        return Err(KernelError::InvalidArgument);
    }
    let channel = kernel
        .channels
        .get_mut(end.channel)
        .ok_or(KernelError::InvalidState)?;
    let side = usize::from(end.side & 1);
    if !channel.alive(1 - side) {
        kernel.signal_notification(notification, bits);
        return Ok([0; 6]);
    }
    channel.watchers[side]
        .push(Watcher { notification, bits })
        .map_err(|_| KernelError::InvalidState)?;
    Ok([0; 6])
}

/// Whether the other end of `end` still has capabilities (`CapabilityIdentify`'s detail word).
#[must_use]
pub fn peer_alive(kernel: &KernelState, end: ChannelEnd) -> bool {
    kernel
        .channels
        .get(end.channel)
        .is_some_and(|channel| channel.alive(1 - usize::from(end.side & 1)))
}

/// `ChannelDerive`: a new object of the end `source` names — its keeper (`keeper` 1), or another
/// counting object (`keeper` 0), which makes the end alive again if it had died — with
/// `source`'s rights, as a child of the quota capability that paid for the channel.
pub fn derive(
    kernel: &mut KernelState,
    caller: Caller,
    source: Slot,
    destination: Slot,
    keeper: u64,
) -> Result {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(source), ObjectKind::ChannelEnd, Rights::GRANT)
        .map_err(errors::lookup)?;
    let Object::ChannelEnd(end) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    let rights = capability.rights;
    if keeper > 1 {
        return Err(KernelError::InvalidArgument);
    }
    kernel
        .capabilities
        .check_empty(caller.slot(destination))
        .map_err(errors::destination)?;
    let side = usize::from(end.side & 1);
    let channel = kernel
        .channels
        .get_mut(end.channel)
        .ok_or(KernelError::InvalidState)?;
    let paid_by = channel
        .charge
        .as_ref()
        .map(exokernel_capability::Charge::paid_by)
        .ok_or(KernelError::InvalidState)?;
    let instance = if keeper == 1 {
        if channel.kept[side] {
            return Err(KernelError::InvalidState);
        }
        ChannelEnd::KEEPER
    } else {
        let instance = channel.next_instance;
        // Never the keeper's number; an instance still in use (after 2^32 derivations) makes
        // the insertion below fail rather than alias it.
        channel.next_instance = match instance.wrapping_add(1) {
            ChannelEnd::KEEPER => 1,
            next => next,
        };
        instance
    };
    let object = Object::ChannelEnd(ChannelEnd {
        channel: end.channel,
        side: end.side & 1,
        instance,
    });
    kernel
        .capabilities
        .insert_charged(paid_by, caller.slot(destination), object, rights)
        .map_err(|error| match error {
            exokernel_capability::InsertError::Destination(_) => errors::insert(error),
            _ => KernelError::InvalidState,
        })?;
    let Some(channel) = kernel.channels.get_mut(end.channel) else {
        return Err(KernelError::InvalidState);
    };
    if instance == ChannelEnd::KEEPER {
        channel.kept[side] = true;
    } else {
        channel.live[side] += 1;
    }
    Ok([0; 6])
}

/// The last capability to the end object `end` is gone: a keeper just goes; when it was the
/// end's last counting object, the other end's watchers are told. The channel goes once nothing
/// names it.
pub fn end_died(kernel: &mut KernelState, end: ChannelEnd) {
    let side = usize::from(end.side & 1);
    let Some(channel) = kernel.channels.get_mut(end.channel) else {
        return;
    };
    if end.is_keeper() {
        channel.kept[side] = false;
    } else {
        channel.live[side] = channel.live[side].saturating_sub(1);
        if !channel.alive(side) {
            channel.watchers[side].clear();
            let watchers = core::mem::take(&mut channel.watchers[1 - side]);
            for watcher in watchers {
                kernel.signal_notification(watcher.notification, watcher.bits);
            }
        }
    }
    if kernel
        .channels
        .get(end.channel)
        .is_some_and(Channel::unreferenced)
        && let Some(channel) = kernel.channels.remove(end.channel)
    {
        refund(kernel, channel.charge);
    }
}
