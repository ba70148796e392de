//! Timer calls: create, arm, disarm — and what the timer interrupt does when one is due.
//!
//! A timer signals its notification at its deadline and, when periodic, every period after
//! it. A periodic timer that fell behind (more than a period late) skips the periods it missed
//! rather than firing in a burst: one signal per firing, and the notification's bits already
//! coalesce signals nobody took.

use exokernel_abi::{KernelError, Rights, Slot};
use exokernel_capability::{Object, ObjectKind};

use super::object_creation::{self, ObjectKindOperations, refund};
use super::{Caller, errors};
use crate::kernel_state::KernelState;
use crate::objects::timer::Timer;
use crate::timer_queue::Sleeper;

type Result = core::result::Result<[u64; 6], KernelError>;

pub fn create(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    destination: Slot,
    notification: Slot,
    bits: u64,
) -> Result {
    let (notification, bits) =
        super::notification::signal_target(kernel, caller, notification, bits)?;
    let operations = ObjectKindOperations {
        table: |kernel: &mut KernelState| &mut kernel.timers,
        object: Object::Timer,
        undo: |kernel: &mut KernelState, timer: Timer| refund(kernel, timer.charge),
    };
    let build = |_: &mut KernelState, charge| {
        Ok(Timer {
            notification: Some(notification),
            bits,
            deadline: None,
            period: 0,
            charge: Some(charge),
        })
    };
    object_creation::create(kernel, caller, quota, destination, 1, build, &operations)?;
    Ok([0; 6])
}

fn timer(
    kernel: &KernelState,
    caller: Caller,
    slot: Slot,
) -> core::result::Result<u32, KernelError> {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(slot), ObjectKind::Timer, Rights::WRITE)
        .map_err(errors::lookup)?;
    let Object::Timer(id) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    Ok(id)
}

/// Takes timer `id` off the queue. Returns whether it was armed.
fn take_off_queue(kernel: &mut KernelState, id: u32) -> bool {
    let Some(deadline) = kernel
        .timers
        .get_mut(id)
        .and_then(|timer| timer.deadline.take())
    else {
        return false;
    };
    kernel.timeouts.remove(deadline, Sleeper::Timer(id));
    true
}

pub fn arm(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    deadline: u64,
    period: u64,
) -> Result {
    let id = timer(kernel, caller, slot)?;
    take_off_queue(kernel, id);
    // A notification that died leaves a stale id behind (ids carry a generation), found here.
    let notification = kernel.timers.get(id).and_then(|timer| timer.notification);
    if notification.is_none_or(|notification| kernel.notifications.get(notification).is_none()) {
        return Err(KernelError::PeerGone);
    }
    let timer = kernel.timers.get_mut(id).ok_or(KernelError::InvalidState)?;
    timer.deadline = Some(deadline);
    timer.period = period;
    kernel.timeouts.insert(deadline, Sleeper::Timer(id));
    Ok([0; 6])
}

pub fn disarm(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Result {
    let id = timer(kernel, caller, slot)?;
    let was_armed = take_off_queue(kernel, id);
    Ok([u64::from(was_armed), 0, 0, 0, 0, 0])
}

/// Timer `id` was due at `deadline`; it is `now`. Signals it and queues its next firing.
pub fn fire(kernel: &mut KernelState, id: u32, deadline: u64, now: u64) {
    let Some(timer) = kernel.timers.get_mut(id) else {
        return;
    };
    if timer.deadline != Some(deadline) {
        return;
    }
    let notification_alive = timer
        .notification
        .is_some_and(|notification| kernel.notifications.get(notification).is_some());
    let Some(timer) = kernel.timers.get_mut(id) else {
        return;
    };
    if !notification_alive {
        // Its notification died (its id went stale): the timer stops for good.
        timer.deadline = None;
        timer.notification = None;
        return;
    }
    // A periodic timer's next deadline: the first after `now` on its grid.
    let next = now
        .saturating_sub(deadline)
        .checked_div(timer.period)
        .map(|missed| {
            let periods = missed.saturating_add(1);
            deadline.saturating_add(periods.saturating_mul(timer.period))
        });
    timer.deadline = next;
    let signal = timer
        .notification
        .map(|notification| (notification, timer.bits));
    if let Some(next) = next {
        kernel.timeouts.insert(next, Sleeper::Timer(id));
    }
    if let Some((notification, bits)) = signal {
        kernel.signal_notification(notification, bits);
    }
}

/// A timer's last capability is gone: off the queue, out of the table, charge refunded.
pub fn destroy(kernel: &mut KernelState, id: u32) {
    take_off_queue(kernel, id);
    if let Some(timer) = kernel.timers.remove(id) {
        refund(kernel, timer.charge);
    }
}
