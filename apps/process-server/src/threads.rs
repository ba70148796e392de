//! Threads in the server: it makes each thread of a process itself (so a thread it later stops or
//! signals really is one of that process), gives it a tid from the pid space, keeps its own signal
//! page, delivers `tgkill`/`tkill` to it, and stops every thread when the process ends
//! (`exit_group`, a fatal signal, or the main thread's end) or is stopped.

use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use libos::abi::{Call, EnvironmentState, ObjectKind, Rights, Slot};
use libos::kernel::call;
use libos::process::protocol::{self, MAXIMUM_THREADS};
use libos::signal::page::{SignalPage, bit};
use libos::slots;
use libposix_sys::errno::Errno;
use libposix_sys::signal::{DefaultAction, SIGCONT, SIGKILL, SIGSTOP, default_action};
use libposix_sys::wait::W_EXITCODE;

use crate::signals::{Origin, PageMapping};
use crate::{Server, delete};

/// A thread of a process, besides its main thread (whose tid is the pid).
pub struct Thread {
    /// Its id, taken from the pid space (never a live pid).
    pub tid: i32,
    /// The server's capability to its environment (every right: the server made it).
    pub environment: Slot,
    /// The process's quota capability it was charged to (kept so the charge stays valid).
    pub quota: Slot,
    /// Its own signal page (mask, thread-directed pending set, register save area).
    pub page: Option<PageMapping>,
}

/// Whether the environment behind `environment` has ended (or cannot be asked about).
fn has_ended(environment: Slot) -> bool {
    match call(Call::EnvironmentStatus { environment }) {
        Ok(words) => matches!(
            EnvironmentState::from_code(words[0]),
            Ok(EnvironmentState::Exited | EnvironmentState::Faulted) | Err(_)
        ),
        Err(_) => true,
    }
}

impl Server {
    /// Gives back what a thread record holds.
    pub(crate) fn forget_thread(&mut self, thread: Thread) {
        let _ = call(Call::EnvironmentStop {
            environment: thread.environment,
        });
        delete(thread.environment);
        delete(thread.quota);
        self.forget_page(thread.page);
    }

    /// Drops the records of `pid`'s threads that have ended.
    fn prune_threads(&mut self, pid: i32) {
        let Some(process) = self.table.get_mut(pid) else {
            return;
        };
        let mut ended = alloc::vec::Vec::new();
        let mut index = 0;
        while index < process.threads.len() {
            if has_ended(process.threads[index].environment) {
                ended.push(process.threads.swap_remove(index));
            } else {
                index += 1;
            }
        }
        for thread in ended {
            self.forget_thread(thread);
        }
    }

    /// `THREAD_CREATE`: a new, unstarted thread of `caller`, charged to the transferred quota.
    pub(crate) fn create_thread(&mut self, caller: i32, quota: Slot) -> Result<(i32, Slot), Errno> {
        let identity = call(Call::CapabilityIdentify { slot: quota }).map_err(|_| Errno::EINVAL)?;
        if identity[0] != ObjectKind::MemoryQuota as u64
            || identity[1] & u64::from(Rights::ALLOCATE.bits()) == 0
        {
            return Err(Errno::EINVAL);
        }
        self.prune_threads(caller);
        let process = self.table.get(caller).ok_or(Errno::ESRCH)?;
        if process.threads.len() >= MAXIMUM_THREADS {
            return Err(Errno::EAGAIN);
        }
        let main = process.environment;
        let environment = slots::allocate().ok_or(Errno::EAGAIN)?;
        if let Err(error) = call(Call::EnvironmentCreateThread {
            quota,
            process: main,
            destination: environment,
        }) {
            slots::free(environment);
            return Err(match error {
                libos::abi::KernelError::OutOfMemory => Errno::EAGAIN,
                _ => Errno::EINVAL,
            });
        }
        let Some(tid) = self.table.allocate_pid() else {
            delete(environment);
            return Err(Errno::EAGAIN);
        };
        if let Some(process) = self.table.get_mut(caller) {
            process.threads.push(Thread {
                tid,
                environment,
                quota,
                page: None,
            });
        }
        Ok((tid, environment))
    }

    /// `THREAD_SIGNAL_PAGE`: thread `tid`'s signal page, made now if it has none.
    pub(crate) fn thread_page(&mut self, caller: i32, tid: u64) -> Result<Slot, Errno> {
        let index = self
            .table
            .get(caller)
            .and_then(|p| {
                p.threads
                    .iter()
                    .position(|t| u64::from(t.tid as u32) == tid)
            })
            .ok_or(Errno::ESRCH)?;
        if let Some(page) = self.table.get(caller).and_then(|p| p.threads[index].page) {
            return Ok(page.frame);
        }
        let mapping = self.new_page()?;
        // A new thread starts with its creator's mask (the process page's, the main thread's,
        // unless the LibOS writes its creator's own after mapping it).
        if let Some(main) = self.signal_page(caller) {
            mapping
                .page()
                .blocked
                .store(main.blocked.load(Ordering::Acquire), Ordering::Release);
        }
        if let Some(process) = self.table.get_mut(caller) {
            process.threads[index].page = Some(mapping);
        }
        Ok(mapping.frame)
    }

    /// `tgid`'s thread `tid`: its environment, whether the server may write its registers, and
    /// its signal page (the process page for the main thread). `None` when there is no such
    /// live thread.
    fn find_thread(&self, tgid: i32, tid: i32) -> Option<(i32, Slot, bool, Option<PageMapping>)> {
        let owner = if tgid > 0 {
            Some(tgid)
        } else if self.table.get(tid).is_some() {
            Some(tid)
        } else {
            self.table
                .iter()
                .find(|(_, process)| process.threads.iter().any(|thread| thread.tid == tid))
                .map(|(&pid, _)| pid)
        }?;
        let process = self.table.get(owner).filter(|p| p.ended.is_none())?;
        if tid == owner {
            return Some((
                owner,
                process.environment,
                process.writable,
                process.signal_page,
            ));
        }
        let thread = process.threads.iter().find(|thread| thread.tid == tid)?;
        if has_ended(thread.environment) {
            return None;
        }
        Some((owner, thread.environment, true, thread.page))
    }

    /// `THREAD_KILL` from `caller`: `tgkill(tgid, tid, signal)` (`tkill` with `tgid` -1).
    pub(crate) fn thread_kill(&mut self, caller: i32, words: [u64; 3]) -> Result<(), Errno> {
        let tgid = i32::try_from(words[1] as i64).map_err(|_| Errno::EINVAL)?;
        let tid = words[2] as u32 as i32;
        let signal = (words[2] >> 32) as u32 as i32;
        if !(0..=libposix_sys::signal::SIGRTMAX).contains(&signal)
            || tid <= 0
            || (tgid <= 0 && tgid != -1)
        {
            return Err(Errno::EINVAL);
        }
        let (pid, environment, writable, page) = self.find_thread(tgid, tid).ok_or(Errno::ESRCH)?;
        if !self.may_signal(caller, pid) {
            return Err(Errno::EPERM);
        }
        if signal == 0 {
            return Ok(());
        }
        self.send_to_thread(
            pid,
            environment,
            writable,
            page,
            signal,
            Origin::tkill(caller),
        );
        Ok(())
    }

    /// A thread-directed signal: pending on that thread (its mask decides), its handler forced
    /// in on that thread; default actions and the uncatchable signals act on the whole process.
    fn send_to_thread(
        &mut self,
        pid: i32,
        environment: Slot,
        writable: bool,
        thread_page: Option<PageMapping>,
        signal: i32,
        origin: Origin,
    ) {
        let stopped = self.table.get(pid).is_some_and(|p| p.stopped.is_some());
        let (Some(process_page), Some(thread_page)) =
            (self.signal_page(pid), thread_page.map(PageMapping::page))
        else {
            // No handlers and no masks yet: only default actions can apply.
            self.send(pid, signal, origin);
            return;
        };
        if matches!(signal, SIGKILL | SIGSTOP | SIGCONT) || stopped {
            self.send(pid, signal, origin);
            return;
        }
        let mask = bit(signal);
        let blocked = thread_page.blocked.load(Ordering::Acquire) & mask != 0;
        let caught = process_page.caught.load(Ordering::Acquire) & mask != 0;
        let ignored = !caught
            && (process_page.ignored.load(Ordering::Acquire) & mask != 0
                || matches!(
                    default_action(signal),
                    Some(DefaultAction::Ignore | DefaultAction::Continue)
                ));
        if ignored && !blocked {
            return;
        }
        if !blocked && !caught {
            // A default action that ends or stops: the whole process.
            self.send(pid, signal, origin);
            return;
        }
        if thread_page.thread_pending.load(Ordering::Acquire) & mask == 0 {
            let record = &thread_page.records[(signal - 1) as usize];
            record.head.store(
                u64::from(origin.code as u32) | (u64::from(origin.pid as u32) << 32),
                Ordering::Release,
            );
            record.value.store(origin.value, Ordering::Release);
        }
        thread_page.thread_pending.fetch_or(mask, Ordering::AcqRel);
        process_page.generated.fetch_add(1, Ordering::AcqRel);
        if let Some(events) = self.table.get(pid).and_then(|p| p.events) {
            let _ = call(Call::NotificationSignal {
                notification: events,
                bits: protocol::SIGNAL_EVENT_BIT,
            });
        }
        self.wake_signal_pollers(pid);
        if caught && !blocked {
            // A thread that is the caller itself waits for this reply: its stop would be
            // deferred, so `force_into` leaves it, and it finds the signal when the reply comes.
            self.force_into(environment, writable, process_page, thread_page, signal);
        }
    }

    /// For a process-directed signal that the main thread blocks: a live thread of `pid` that
    /// does not block it (its environment and page), if any.
    pub(crate) fn thread_not_blocking(
        &self,
        pid: i32,
        signal: i32,
    ) -> Option<(Slot, &'static SignalPage)> {
        let process = self.table.get(pid)?;
        process.threads.iter().find_map(|thread| {
            let page = thread.page?.page();
            (page.blocked.load(Ordering::Acquire) & bit(signal) == 0
                && !has_ended(thread.environment))
            .then_some((thread.environment, page))
        })
    }

    /// The signals every thread of `pid` blocks (the main thread's mask and each live thread's;
    /// a thread without a page blocks what the main thread did when it was made).
    pub(crate) fn blocked_by_every_thread(&self, pid: i32, main_blocked: u64) -> u64 {
        let Some(process) = self.table.get(pid) else {
            return main_blocked;
        };
        process
            .threads
            .iter()
            .filter_map(|thread| thread.page)
            .fold(main_blocked, |blocked, page| {
                blocked & page.page().blocked.load(Ordering::Acquire)
            })
    }

    /// Stops every thread of `pid` (its end, or `exit_group`).
    pub(crate) fn stop_threads(&mut self, pid: i32) {
        if let Some(process) = self.table.get(pid) {
            for thread in &process.threads {
                let _ = call(Call::EnvironmentStop {
                    environment: thread.environment,
                });
            }
        }
    }

    /// A job-control stop of `pid`: its running threads stop too, remembered for the continue.
    pub(crate) fn pause_threads(&mut self, pid: i32) {
        let Some(process) = self.table.get_mut(pid) else {
            return;
        };
        let mut stopped = alloc::vec::Vec::new();
        for thread in &process.threads {
            let running = call(Call::EnvironmentStatus {
                environment: thread.environment,
            })
            .is_ok_and(|words| {
                matches!(
                    EnvironmentState::from_code(words[0]),
                    Ok(EnvironmentState::Runnable | EnvironmentState::Blocked)
                )
            });
            if running
                && call(Call::EnvironmentStop {
                    environment: thread.environment,
                })
                .is_ok()
            {
                stopped.push(thread.environment);
            }
        }
        process.stopped_threads = stopped;
    }

    /// The continue after [`Self::pause_threads`].
    pub(crate) fn continue_threads(&mut self, pid: i32) {
        let Some(process) = self.table.get_mut(pid) else {
            return;
        };
        for environment in core::mem::take(&mut process.stopped_threads) {
            let _ = call(Call::EnvironmentStart { environment });
        }
    }

    /// `EXECUTED` from thread `keep` of `caller` (its tid; the pid on the main thread): every
    /// other thread of the process is stopped and forgotten before the new image runs.
    pub(crate) fn end_threads_for_exec(&mut self, caller: i32, keep: u64) {
        let Some(process) = self.table.get_mut(caller) else {
            return;
        };
        let (kept, ended): (Vec<Thread>, Vec<Thread>) = core::mem::take(&mut process.threads)
            .into_iter()
            .partition(|thread| u64::from(thread.tid as u32) == keep);
        process.threads = kept;
        process
            .stopped_threads
            .retain(|environment| !ended.iter().any(|t| t.environment == *environment));
        for thread in ended {
            self.forget_thread(thread);
        }
    }

    /// `EXEC_HANDOVER` from thread `tid` of `caller`, which has put a new image into the
    /// stopped main environment: the caller is stopped (as this reply goes) and forgotten, and
    /// the main environment starts (unless the process is stopped by a signal: `SIGCONT` will).
    pub(crate) fn exec_handover(&mut self, caller: i32, tid: u64) -> Result<(), Errno> {
        let process = self.table.get(caller).ok_or(Errno::ESRCH)?;
        if !process
            .threads
            .iter()
            .any(|thread| u64::from(thread.tid as u32) == tid)
        {
            return Err(Errno::ESRCH);
        }
        let main = process.environment;
        let main_stopped = call(Call::EnvironmentStatus { environment: main }).is_ok_and(|words| {
            EnvironmentState::from_code(words[0]) == Ok(EnvironmentState::Stopped)
        });
        if !main_stopped {
            return Err(Errno::EINVAL);
        }
        let job_stopped = process.stopped.is_some();
        // The caller, and any thread made since `EXECUTED` (there should be none).
        self.end_threads_for_exec(caller, 0);
        if !job_stopped {
            let _ = call(Call::EnvironmentStart { environment: main });
        }
        Ok(())
    }

    /// `EXIT_GROUP` from `caller`: every thread stops and the process ends with `status`.
    pub(crate) fn exit_group(&mut self, caller: i32, status: u64) {
        self.stop_threads(caller);
        if let Some(process) = self.table.get(caller) {
            // The caller may be the main thread, waiting for this reply: its stop is deferred
            // until the reply, and it is ended either way.
            let _ = call(Call::EnvironmentStop {
                environment: process.environment,
            });
        }
        self.end(caller, W_EXITCODE((status & 0xff) as i32, 0));
    }
}
