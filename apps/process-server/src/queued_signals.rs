//! Queued signals in the server: `sigqueue`/`rt_sigqueueinfo` (`QUEUE_SIGNAL`), every instance
//! of a real-time signal kept in the target's signal queue (`libos::signal::queue`, the second
//! half of its signal page) with its sender and value, and the wake-up notification a process
//! registers (`SIGNAL_WAKE`) so its `poll` sleepers see each signal it is sent. The queue is in
//! the target's page, so it is as hostile as the rest: the server only looks at a bounded number
//! of entries and any value there harms nobody but that process.

use core::sync::atomic::Ordering;

use libos::abi::{Call, ObjectKind, Slot};
use libos::kernel::call;
use libos::process::protocol;
use libos::signal::page::{SignalPage, bit};
use libos::signal::queue::{self, Instance};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{SI_TKILL, SI_USER};
use libposix_sys::signal::{SIGKILL, SIGRTMAX, SIGSTOP, is_realtime};

use crate::signals::Origin;
use crate::{Server, delete};

/// Puts one instance of `signal` in `page`'s queue when it should be queued: every real-time
/// instance while there is room, and the first instance of a standard signal sent with a value
/// (a negative `si_code`: `sigqueue`), so its value reaches the receiver. Returns whether it
/// did (otherwise the pending bit's record stands for the instance).
pub(crate) fn queue_instance(page: &SignalPage, signal: i32, origin: Origin) -> bool {
    if !is_realtime(signal)
        && (origin.code >= 0 || page.pending.load(Ordering::Acquire) & bit(signal) != 0)
    {
        return false;
    }
    let sent_by_a_process = origin.code == SI_USER || origin.code < 0;
    queue::of(page).push(Instance {
        signal,
        code: origin.code,
        pid: origin.pid,
        uid: if sent_by_a_process {
            origin.value as u32
        } else {
            0
        },
        value: origin.sigval,
    })
}

impl Server {
    /// `QUEUE_SIGNAL` from `caller`: Linux's `rt_sigqueueinfo` rules, decided here.
    pub(crate) fn queue_signal(&mut self, caller: i32, words: [u64; 3]) -> Result<(), Errno> {
        let signal = ((words[0] >> 8) & 0xff) as i32;
        let code = (words[0] >> 32) as u32 as i32;
        if signal > SIGRTMAX {
            return Err(Errno::EINVAL);
        }
        let pid = i32::try_from(words[1] as i64).map_err(|_| Errno::ESRCH)?;
        // Only the kernel and `kill`/`tgkill` use the other codes: a process may not pass for
        // them to another process.
        if pid != caller && (code >= 0 || code == SI_TKILL) {
            return Err(Errno::EPERM);
        }
        if pid <= 0
            || self
                .table
                .get(pid)
                .is_none_or(|process| process.ended.is_some())
        {
            return Err(Errno::ESRCH);
        }
        if !self.may_signal(caller, pid) {
            return Err(Errno::EPERM);
        }
        if signal == 0 {
            return Ok(());
        }
        if is_realtime(signal)
            && let Some(page) = self.signal_page(pid)
        {
            let held = (page.blocked.load(Ordering::Acquire) | page.caught.load(Ordering::Acquire))
                & !(bit(SIGKILL) | bit(SIGSTOP));
            if held & bit(signal) != 0 && !queue::of(page).has_room() {
                return Err(Errno::EAGAIN);
            }
        }
        let origin = Origin {
            code,
            pid: caller,
            value: u64::from(self.identities.real_user(caller)),
            sigval: words[2],
        };
        self.send(pid, signal, origin);
        Ok(())
    }

    /// `SIGNAL_WAKE` from `caller`: keeps the notification that arrived (replacing the one
    /// kept before). Returns whether it was kept.
    pub(crate) fn register_signal_wake(&mut self, caller: i32, arrived: Option<Slot>) -> bool {
        let Some(notification) = arrived else {
            return false;
        };
        let is_notification = call(Call::CapabilityIdentify { slot: notification })
            .is_ok_and(|words| words[0] == ObjectKind::Notification as u64);
        let Some(process) = self.table.get_mut(caller).filter(|_| is_notification) else {
            return false;
        };
        if let Some(old) = process.signal_wake.replace(notification) {
            delete(old);
        }
        true
    }

    /// Signals `target`'s registered wake-up notification: a signal was made pending for it.
    pub(crate) fn wake_signal_pollers(&self, target: i32) {
        if let Some(notification) = self.table.get(target).and_then(|p| p.signal_wake) {
            let _ = call(Call::NotificationSignal {
                notification,
                bits: protocol::SIGNAL_WAKE_BIT,
            });
        }
    }
}
