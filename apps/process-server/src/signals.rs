//! Signals in the server: who may signal whom, each process's signal page (made, mapped and
//! copied here), default actions (terminate, stop, continue, ignore), `SIGCHLD`, and forcing a
//! process into its handler trampoline. Every word of a process's page is read as hostile: any
//! value leads to a defined outcome for that process only, and nothing here waits on it.

use core::sync::atomic::Ordering;

use libos::abi::{Call, RegisterSet, Rights, Slot, UserAddress, initial};
use libos::kernel::call;
use libos::process::protocol;
use libos::signal::page::{REGISTER_WORDS, SignalPage, bit};
use libos::slots;
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{CLD_CONTINUED, CLD_STOPPED, SI_USER};
use libposix_sys::signal::{
    DefaultAction, SA_NOCLDSTOP, SIGCHLD, SIGCONT, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU,
    default_action,
};
use libposix_sys::wait::{W_STOPCODE, WaitStatus};

use crate::queued_signals::queue_instance;
use crate::{Server, delete, ended_status};

/// Where the server maps the signal pages, one page each.
const PAGES_BASE: u64 = 0x0000_6000_0000_0000;
/// The end of user space: a trampoline or stack must be below it.
const USER_END: u64 = 0x0000_8000_0000_0000;

/// A signal page as the server holds it.
#[derive(Clone, Copy)]
pub struct PageMapping {
    /// The server's frame capability.
    pub frame: Slot,
    /// Where the server maps it.
    pub address: u64,
}

impl PageMapping {
    fn page(self) -> &'static SignalPage {
        // SAFETY: the server mapped this frame read-write at `address` and unmaps it only when
        // the process record is dropped (`Server::forget_page`), after its last use; every field
        // is an atomic, valid for any bits the process wrote.
        unsafe { &*(self.address as *const SignalPage) }
    }
}

/// The stop signals (default action: stop).
const STOP_SIGNALS: u64 = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);
/// The signals no process can catch, block or ignore.
const UNCATCHABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);

/// Who sent a signal, for its `siginfo_t`.
#[derive(Clone, Copy)]
pub struct Origin {
    /// `si_code`.
    pub code: i32,
    /// The sender's pid (or the child's, for `SIGCHLD`).
    pub pid: i32,
    /// The uid, fault address or child status.
    pub value: u64,
    /// `si_value` (`sigqueue`), queued with the instance.
    pub sigval: u64,
}

impl Origin {
    /// A signal sent with `kill` by `pid`.
    pub fn user(pid: i32) -> Self {
        Origin {
            code: SI_USER,
            pid,
            value: 0,
            sigval: 0,
        }
    }
}

impl Server {
    /// The signal page of `pid`, if it has one.
    pub(crate) fn signal_page(&self, pid: i32) -> Option<&'static SignalPage> {
        self.table
            .get(pid)
            .and_then(|process| process.signal_page)
            .map(PageMapping::page)
    }

    /// Makes a new, zeroed signal page mapped in the server.
    fn new_page(&mut self) -> Result<PageMapping, Errno> {
        let frame = slots::allocate().ok_or(Errno::EAGAIN)?;
        if call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: frame,
            pages: libos::abi::PageCount(1),
        })
        .is_err()
        {
            slots::free(frame);
            return Err(Errno::EAGAIN);
        }
        let address = self.free_page_addresses.pop().unwrap_or_else(|| {
            let address = self.next_page_address.max(PAGES_BASE);
            self.next_page_address = address + libos::abi::PAGE_SIZE;
            address
        });
        if libos::memory::map(
            initial::SELF_ADDRESS_SPACE,
            frame,
            address,
            0,
            1,
            Rights::READ | Rights::WRITE,
        )
        .is_err()
        {
            self.free_page_addresses.push(address);
            delete(frame);
            return Err(Errno::EAGAIN);
        }
        Ok(PageMapping { frame, address })
    }

    /// Unmaps and deletes a process's page (its record is gone).
    pub(crate) fn forget_page(&mut self, mapping: Option<PageMapping>) {
        if let Some(mapping) = mapping {
            let _ = call(Call::Unmap {
                address_space: initial::SELF_ADDRESS_SPACE,
                address: libos::abi::PageAddress(mapping.address),
                pages: libos::abi::PageCount(1),
            });
            delete(mapping.frame);
            self.free_page_addresses.push(mapping.address);
        }
    }

    /// `SIGNAL_PAGE`: the caller's page (made now if it has none), as a capability it can map.
    pub(crate) fn hand_out_page(&mut self, caller: i32) -> Result<Slot, Errno> {
        let mapping = match self.table.get(caller).and_then(|p| p.signal_page) {
            Some(mapping) => mapping,
            None => {
                let mapping = self.new_page()?;
                if let Some(process) = self.table.get_mut(caller) {
                    process.signal_page = Some(mapping);
                }
                mapping
            }
        };
        Ok(mapping.frame)
    }

    /// Gives a new child a page inheriting its parent's signal state: the mask, ignored
    /// signals and `SIGCHLD` flags always; handlers and the alternate stack only for a `fork`
    /// copy (a new program starts with caught signals at their default action). Nothing is
    /// pending in it and it has no trampoline until the child maps it.
    pub(crate) fn inherit_page(&mut self, parent: i32, child: i32, forked: bool) {
        let Some(from) = self.signal_page(parent) else {
            return;
        };
        let Ok(mapping) = self.new_page() else {
            return;
        };
        let to = mapping.page();
        let copy = |field: fn(&SignalPage) -> &core::sync::atomic::AtomicU64| {
            field(to).store(field(from).load(Ordering::Relaxed), Ordering::Relaxed);
        };
        copy(|page| &page.blocked);
        copy(|page| &page.ignored);
        copy(|page| &page.child_flags);
        if forked {
            copy(|page| &page.caught);
            copy(|page| &page.on_alternate_stack);
            copy(|page| &page.alternate_stack_base);
            copy(|page| &page.alternate_stack_size);
        }
        if let Some(process) = self.table.get_mut(child) {
            process.signal_page = Some(mapping);
        } else {
            self.forget_page(Some(mapping));
        }
    }

    /// Whether `sender` may signal `target`: POSIX's rule by user ids (`credentials.rs`, the
    /// one place it is decided), applied to each target of a `KILL` separately.
    pub(crate) fn may_signal(&self, sender: i32, target: i32) -> bool {
        self.identities.may_signal(sender, target)
    }

    /// `KILL` from `caller`: resolves the targets (a pid, the caller's group, a group, or
    /// everyone), checks the authority for each and sends.
    pub(crate) fn kill(&mut self, caller: i32, words: [u64; 3]) -> Result<(), Errno> {
        let (Ok(pid), Ok(signal)) = (
            i32::try_from(words[1] as i64),
            i32::try_from(words[2] as i64),
        ) else {
            return Err(Errno::EINVAL);
        };
        if !(0..=libposix_sys::signal::SIGRTMAX).contains(&signal) || pid == i32::MIN {
            return Err(Errno::EINVAL);
        }
        let caller_group = self.table.get(caller).map_or(0, |process| process.group);
        let targets: alloc::vec::Vec<i32> = self
            .table
            .iter()
            .filter(|(_, process)| process.ended.is_none())
            .filter(|&(&target, process)| match pid {
                0 => process.group == caller_group,
                -1 => target != protocol::INIT_PID && target != caller,
                pid if pid < -1 => Some(process.group) == pid.checked_neg(),
                pid => target == pid,
            })
            .map(|(&target, _)| target)
            .collect();
        if targets.is_empty() {
            return Err(Errno::ESRCH);
        }
        let allowed: alloc::vec::Vec<i32> = targets
            .into_iter()
            .filter(|&target| self.may_signal(caller, target))
            .collect();
        if allowed.is_empty() {
            return Err(Errno::EPERM);
        }
        if signal != 0 {
            let origin = Origin {
                value: u64::from(self.identities.real_user(caller)),
                ..Origin::user(caller)
            };
            for target in allowed {
                self.send(target, signal, origin);
            }
        }
        Ok(())
    }

    /// Generates `signal` for `target`: discards it, makes it pending (and forces the target
    /// into its handler), or applies its default action.
    pub(crate) fn send(&mut self, target: i32, signal: i32, origin: Origin) {
        let Some(process) = self.table.get(target).filter(|p| p.ended.is_none()) else {
            return;
        };
        let stopped = process.stopped.is_some();
        let page = process.signal_page.map(PageMapping::page);
        let mask = bit(signal);
        if signal == SIGKILL {
            self.terminate(target, SIGKILL);
            return;
        }
        if signal == SIGCONT {
            if let Some(page) = page {
                page.pending.fetch_and(!STOP_SIGNALS, Ordering::AcqRel);
            }
            self.resume(target);
        } else if mask & STOP_SIGNALS != 0
            && let Some(page) = page
        {
            page.pending.fetch_and(!bit(SIGCONT), Ordering::AcqRel);
        }
        if signal == SIGSTOP {
            self.stop(target, SIGSTOP);
            return;
        }
        if stopped && signal != SIGCONT {
            // A stopped process acts on nothing but SIGKILL and SIGCONT; the rest wait for
            // the continue.
            if let Some(process) = self.table.get_mut(target) {
                process.held |= mask;
            }
            return;
        }
        let (blocked, caught, ignored) = page.map_or((0, 0, 0), |page| {
            (
                page.blocked.load(Ordering::Acquire) & !UNCATCHABLE,
                page.caught.load(Ordering::Acquire) & !UNCATCHABLE,
                page.ignored.load(Ordering::Acquire) & !UNCATCHABLE,
            )
        });
        let is_caught = caught & mask != 0;
        let is_blocked = blocked & mask != 0;
        let default = default_action(signal);
        let is_ignored = !is_caught
            && (ignored & mask != 0
                || matches!(
                    default,
                    Some(DefaultAction::Ignore | DefaultAction::Continue)
                ));
        if is_ignored && !is_blocked {
            return;
        }
        if let (Some(page), true) = (page, is_blocked || is_caught) {
            // Real-time signals queue each instance; a standard one already pending keeps its
            // first record (they do not queue), and a first one sent with a value is queued to
            // keep it (`queued_signals.rs`).
            if !queue_instance(page, signal, origin)
                && page.pending.load(Ordering::Acquire) & mask == 0
            {
                let record = &page.records[(signal - 1) as usize];
                record.head.store(
                    u64::from(origin.code as u32) | (u64::from(origin.pid as u32) << 32),
                    Ordering::Release,
                );
                record.value.store(origin.value, Ordering::Release);
            }
            page.pending.fetch_or(mask, Ordering::AcqRel);
            page.generated.fetch_add(1, Ordering::AcqRel);
            if let Some(events) = self.table.get(target).and_then(|p| p.events) {
                let _ = call(Call::NotificationSignal {
                    notification: events,
                    bits: protocol::SIGNAL_EVENT_BIT,
                });
            }
            self.wake_signal_pollers(target);
            let stopped_now = self.table.get(target).is_some_and(|p| p.stopped.is_some());
            if is_caught && !is_blocked && !stopped_now && Some(target) != self.caller {
                self.force_entry(target, signal);
            }
            return;
        }
        match default {
            Some(DefaultAction::Terminate | DefaultAction::CoreDump) => {
                self.terminate(target, signal);
            }
            Some(DefaultAction::Stop) => self.stop(target, signal),
            _ => {}
        }
    }

    /// Ends `target` killed by `signal` (no core is written, so no `WCOREFLAG`).
    pub(crate) fn terminate(&mut self, target: i32, signal: i32) {
        let Some(environment) = self.table.get(target).map(|p| p.environment) else {
            return;
        };
        let _ = call(Call::EnvironmentStop { environment });
        // It may have ended by itself just before: then that is its status.
        let status = ended_status(environment).unwrap_or(signal);
        self.end(target, status);
    }

    /// Stops `target` (job control): its parent can see it with `WUNTRACED` and gets `SIGCHLD`
    /// unless it asked for `SA_NOCLDSTOP`.
    fn stop(&mut self, target: i32, signal: i32) {
        let Some(process) = self.table.get_mut(target) else {
            return;
        };
        if process.stopped.is_some() {
            return;
        }
        // A stop of a process waiting for a server's reply takes effect with the reply.
        let _ = call(Call::EnvironmentStop {
            environment: process.environment,
        });
        process.stopped = Some(signal);
        process.report = Some(W_STOPCODE(signal));
        let parent = process.parent;
        self.tell_parent(parent, target, CLD_STOPPED, signal, true);
    }

    /// Continues a stopped `target` (`SIGCONT`): its parent can see it with `WCONTINUED`.
    fn resume(&mut self, target: i32) {
        let Some(process) = self.table.get_mut(target) else {
            return;
        };
        if process.stopped.take().is_none() {
            return;
        }
        let _ = call(Call::EnvironmentStart {
            environment: process.environment,
        });
        process.report = Some(WaitStatus::Continued.encode());
        let mut held = core::mem::take(&mut process.held);
        let parent = process.parent;
        self.tell_parent(parent, target, CLD_CONTINUED, SIGCONT, true);
        while held != 0 {
            let signal = held.trailing_zeros() as i32 + 1;
            held &= held - 1;
            self.send(target, signal, Origin::user(0));
        }
        // Handlers that became deliverable while it was stopped.
        if let Some(page) = self.signal_page(target) {
            let ready = page.pending.load(Ordering::Acquire)
                & !page.blocked.load(Ordering::Acquire)
                & page.caught.load(Ordering::Acquire);
            if ready != 0 && Some(target) != self.caller {
                self.force_entry(target, ready.trailing_zeros() as i32 + 1);
            }
        }
    }

    /// Wakes `parent`'s waits and sends it `SIGCHLD` for a child's change of state (stops and
    /// continues not under `SA_NOCLDSTOP`).
    pub(crate) fn tell_parent(
        &mut self,
        parent: i32,
        child: i32,
        code: i32,
        status: i32,
        stop_or_continue: bool,
    ) {
        if let Some(events) = self.table.get(parent).and_then(|p| p.events) {
            let _ = call(Call::NotificationSignal {
                notification: events,
                bits: protocol::CHILD_EVENT_BIT,
            });
        }
        if stop_or_continue
            && self
                .signal_page(parent)
                .is_some_and(|page| page.child_flags.load(Ordering::Acquire) & SA_NOCLDSTOP != 0)
        {
            return;
        }
        self.send(
            parent,
            SIGCHLD,
            Origin {
                code,
                pid: child,
                value: status as u32 as u64,
                sigval: 0,
            },
        );
    }

    /// Forces `target` into its signal trampoline: stops it, saves its registers in its page,
    /// points it at the trampoline on a stack below its red zone (or its alternate stack) and
    /// starts it. Does nothing (the signal stays pending, to be found at its next check) when
    /// the page names no valid trampoline, the page's register area is busy, the capability
    /// lacks WRITE, or the stop had to be deferred because the target waits for a server.
    fn force_entry(&mut self, target: i32, signal: i32) {
        let Some(process) = self.table.get(target) else {
            return;
        };
        let environment = process.environment;
        let Some(page) = process.signal_page.map(PageMapping::page) else {
            return;
        };
        if !process.writable {
            return;
        }
        let trampoline = page.trampoline.load(Ordering::Acquire);
        if !(libos::abi::PAGE_SIZE..USER_END).contains(&trampoline) {
            return;
        }
        if page.entry_busy.swap(1, Ordering::AcqRel) != 0 {
            return;
        }
        let release = || page.entry_busy.store(0, Ordering::Release);
        match call(Call::EnvironmentStop { environment }) {
            Ok(words) if words[0] == 0 => {}
            Ok(_) => {
                // Deferred until a server replies: cancel it; the target finds the pending
                // signal when that call returns.
                let _ = call(Call::EnvironmentStart { environment });
                release();
                return;
            }
            Err(_) => {
                release();
                return;
            }
        }
        let mut registers = RegisterSet::default();
        if call(Call::EnvironmentGetRegisters {
            environment,
            registers: UserAddress(core::ptr::from_mut(&mut registers) as u64),
        })
        .is_err()
        {
            let _ = call(Call::EnvironmentStart { environment });
            release();
            return;
        }
        // SAFETY: `RegisterSet` is `repr(C)`, `REGISTER_WORDS` `u64`s.
        let words =
            unsafe { core::mem::transmute::<RegisterSet, [u64; REGISTER_WORDS]>(registers) };
        for (saved, word) in page.interrupted.iter().zip(words) {
            saved.store(word, Ordering::Release);
        }
        let excluded =
            page.no_entry_base.load(Ordering::Acquire)..page.no_entry_end.load(Ordering::Acquire);
        if excluded.contains(&registers.rsp) {
            // In its exception upcall, where a handler could not take a nested fault: the
            // signal stays pending until the LibOS's next check.
            let _ = call(Call::EnvironmentStart { environment });
            release();
            return;
        }
        let base = page.alternate_stack_base.load(Ordering::Acquire);
        let size = page.alternate_stack_size.load(Ordering::Acquire);
        let on_alternate = page.on_alternate_stack.load(Ordering::Acquire) & bit(signal) != 0
            && size != 0
            && !(base..base.saturating_add(size)).contains(&registers.rsp);
        let top = if on_alternate {
            base.saturating_add(size)
        } else {
            registers.rsp.wrapping_sub(128)
        };
        let stack = top.wrapping_sub(256) & !63;
        if !(libos::abi::PAGE_SIZE..USER_END).contains(&stack) {
            let _ = call(Call::EnvironmentStart { environment });
            release();
            return;
        }
        registers.rip = trampoline;
        registers.rsp = stack;
        if call(Call::EnvironmentSetRegisters {
            environment,
            registers: UserAddress(core::ptr::from_ref(&registers) as u64),
        })
        .is_err()
        {
            release();
        }
        let _ = call(Call::EnvironmentStart { environment });
    }
}
