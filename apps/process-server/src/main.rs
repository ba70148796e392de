//! The process server: the authority over process identity (`docs/process-server.md`).
//!
//! It holds every registered process's environment capability, watched through one
//! notification bound to its endpoint, and knows each caller only by the badge (= pid) of the
//! endpoint capability it minted for it. A process's LibOS can ask about itself and collect its
//! own children; nothing it writes in a message can name another process as itself.
#![no_std]
#![no_main]

extern crate alloc;

mod alarms;
mod automatic_reaping;
mod cpu_timers;
mod credentials;
mod exec_credentials;
mod groups;
mod lingering;
mod parent_epoch;
mod posix_timers;
mod queued_signals;
mod records;
mod signals;
mod table;
mod terminal;
mod threads;

use libos::abi::{Call, EnvironmentState, KernelError, OptionalSlot, Rights, Slot, initial};
use libos::ipc::{self, Received};
use libos::kernel::call;
use libos::process::protocol::{self, INIT_PID, SERVER_ENDPOINT};
use libos::{Startup, println, slots};
use libposix_sys::errno::Errno;
use libposix_sys::signal::{SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGSEGV};
use libposix_sys::wait::{W_EXITCODE, WCONTINUED, WUNTRACED, WaitStatus};

use table::{Collected, Process, Table};

libos::main!(main);

/// The signal a fatal exception maps to, as a POSIX system reports it.
fn signal_for_exception(vector: u64) -> i32 {
    match vector {
        0 | 16 | 19 => SIGFPE,
        6 => SIGILL,
        17 => SIGBUS,
        _ => SIGSEGV,
    }
}

/// The wait status of an ended environment, or `None` while it runs. An environment the server
/// can no longer see (its creator revoked it) was killed: `SIGKILL`.
pub(crate) fn ended_status(environment: Slot) -> Option<i32> {
    let Ok(words) = call(Call::EnvironmentStatus { environment }) else {
        return Some(SIGKILL);
    };
    match EnvironmentState::from_code(words[0]) {
        Ok(EnvironmentState::Exited) => Some(W_EXITCODE((words[1] & 0xff) as i32, 0)),
        Ok(EnvironmentState::Faulted) => Some(signal_for_exception(words[1])),
        Ok(_) => None,
        Err(_) => Some(SIGKILL),
    }
}

/// The processor time (user, system nanoseconds) `environment` used, as the kernel measured it;
/// `(0, 0)` when it can no longer be asked (destroyed by its creator).
fn processor_time(environment: Slot) -> (u64, u64) {
    call(Call::EnvironmentStatus { environment }).map_or((0, 0), |words| (words[3], words[4]))
}

pub(crate) fn delete(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// Mints a SEND capability badged `badge` from the service capability `service` and grants it
/// into `environment`'s slot `destination`. Returns our copy (revoking it takes the process's
/// away too); `None` when no slot is free or either step fails (the slot taken, say).
pub(crate) fn mint_and_grant(
    service: Slot,
    badge: u64,
    environment: Slot,
    destination: Slot,
) -> Option<Slot> {
    let slot = slots::allocate()?;
    let granted = call(Call::CapabilityMint {
        source: service,
        destination: slot,
        rights: Rights::SEND | Rights::GRANT,
        badge,
    })
    .and_then(|_| {
        call(Call::EnvironmentGrant {
            environment,
            source: slot,
            destination,
            rights: Rights::SEND | Rights::GRANT,
        })
    });
    if granted.is_err() {
        delete(slot);
        return None;
    }
    Some(slot)
}

/// The bit of the `ends` notification that `pid`'s end signals: one of the 63 bits other than
/// [`alarms::ALARM_BIT`], so that an end makes the server look at about one process in 63
/// rather than at all of them.
const _: () = assert!(alarms::ALARM_BIT == 1 << 1);

fn end_bit(pid: i32) -> u64 {
    let index = pid.unsigned_abs() % 63;
    let index = if index == 0 { 0 } else { index + 1 };
    1 << index
}

struct Server {
    table: Table,
    /// Signalled by every watched environment's end; bound to the endpoint.
    ends: Slot,
    founded: bool,
    /// Credentials and limits per process (`credentials.rs`).
    identities: credentials::Identities,
    /// The page that tells every process when to ask its parent's pid again.
    epoch: Option<parent_epoch::ParentEpoch>,
    /// The pid whose call is being handled: it waits for our reply, so a signal to it is
    /// found by its LibOS when the reply arrives instead of by a forced entry.
    caller: Option<i32>,
    /// Where signal pages of collected processes were mapped, for reuse.
    free_page_addresses: alloc::vec::Vec<u64>,
    /// The next fresh address for a signal page.
    next_page_address: u64,
    /// The one kernel timer behind every process's `ITIMER_REAL` (made on first use).
    alarm_timer: Option<Slot>,
    /// The controlling terminal's session and foreground group (`terminal.rs`).
    terminal: terminal::Terminal,
    /// Collected processes whose quotas still pay for live ones (`lingering.rs`).
    lingering: lingering::Lingering,
}

/// A reply: words and, optionally, a capability of ours to send along.
type Reply = ([u64; 3], Option<Slot>);

fn error_reply(error: Errno) -> Reply {
    ([error.as_raw() as u64, 0, 0], None)
}

impl Server {
    /// Records the environment that arrived in `received` as a new process with `parent`,
    /// watches it and mints its endpoint. On success the slot is kept.
    fn register(
        &mut self,
        received: Slot,
        parent: i32,
        pid: Option<i32>,
        forked: bool,
    ) -> Result<Reply, Errno> {
        let identity =
            call(Call::CapabilityIdentify { slot: received }).map_err(|_| Errno::EINVAL)?;
        let needed = (Rights::READ | Rights::CONTROL).bits() as u64;
        if identity[0] != libos::abi::ObjectKind::Environment as u64
            || identity[1] & needed != needed
        {
            return Err(Errno::EINVAL);
        }
        let pid = match pid {
            Some(pid) => pid,
            None => self.table.allocate_pid().ok_or(Errno::EAGAIN)?,
        };
        let endpoint = slots::allocate().ok_or(Errno::EAGAIN)?;
        if call(Call::CapabilityMint {
            source: SERVER_ENDPOINT,
            destination: endpoint,
            rights: Rights::SEND | Rights::GRANT,
            badge: pid as u64,
        })
        .is_err()
        {
            slots::free(endpoint);
            return Err(Errno::EAGAIN);
        }
        if call(Call::EnvironmentWatch {
            environment: received,
            notification: self.ends,
            bits: end_bit(pid),
        })
        .is_err()
        {
            delete(endpoint);
            return Err(Errno::EAGAIN);
        }
        if parent == 0 {
            self.identities.found(pid);
        } else {
            self.identities.inherit(pid, parent, received);
        }
        let (group, session) = self
            .table
            .get(parent)
            .map_or((pid, pid), |process| (process.group, process.session));
        self.table.insert(
            pid,
            Process {
                parent,
                creator: parent,
                environment: received,
                endpoint,
                events: None,
                ended: None,
                writable: identity[1] & u64::from(Rights::WRITE.bits()) != 0,
                group,
                session,
                executed: false,
                stopped: None,
                report: None,
                held: 0,
                signal_page: None,
                alarm: None,
                timers: alloc::vec::Vec::new(),
                interval_timers: [None, None],
                // Until it (or its parent, for a new program) says otherwise: the parent's.
                command: self
                    .table
                    .get(parent)
                    .map(|process| process.command.clone())
                    .unwrap_or_default(),
                started: libos::clock::clock_monotonic(),
                threads: alloc::vec::Vec::new(),
                stopped_threads: alloc::vec::Vec::new(),
                terminal: None,
                signal_wake: None,
            },
        );
        let terminal = self.grant_terminal(received, pid);
        if let Some(process) = self.table.get_mut(pid) {
            process.terminal = terminal;
        }
        self.inherit_page(parent, pid, forked);
        // It may have ended before the watch was added.
        if let Some(status) = ended_status(received) {
            self.end(pid, status);
        }
        Ok(([0, pid as u64, 0], Some(endpoint)))
    }

    /// Finds the watched processes whose [`end_bit`] is among `bits` (what the `ends`
    /// notification delivered) and that have ended, and makes them zombies.
    fn scan_signalled(&mut self, bits: u64) {
        for pid in self.table.running() {
            if end_bit(pid) & bits == 0 {
                continue;
            }
            let Some(process) = self.table.get(pid) else {
                continue;
            };
            if let Some(status) = ended_status(process.environment) {
                self.end(pid, status);
            }
        }
    }

    /// Notices the ends that raced with a call about `pids`: those signalled but not yet
    /// received (a call can be served before the notification that came first: one poll, and
    /// a look at only the processes whose bit is set), and, asked directly, whether any of
    /// `pids` ended: a creator that stops its child and revokes the server's capability to it
    /// ends it without a signal (the environment lives on, stopped).
    pub(crate) fn notice_ends(&mut self, pids: &[i32]) {
        let bits = call(Call::NotificationPoll {
            notification: self.ends,
        })
        .map_or(u64::MAX, |words| words[0]);
        self.handle_signalled(bits);
        for &pid in pids {
            let Some(process) = self.table.get(pid).filter(|p| p.ended.is_none()) else {
                continue;
            };
            if let Some(status) = ended_status(process.environment) {
                self.end(pid, status);
            }
        }
    }

    /// Acts on `bits` of the `ends` notification: alarms, then ends.
    fn handle_signalled(&mut self, bits: u64) {
        if bits & alarms::ALARM_BIT != 0 {
            self.expire_alarms();
        }
        if bits & !alarms::ALARM_BIT != 0 {
            self.scan_signalled(bits);
        }
    }

    /// Makes `pid` a zombie with `status`, gives its children to init and tells its parent
    /// (`SIGCHLD`).
    fn end(&mut self, pid: i32, status: i32) {
        let Some(process) = self.table.get(pid) else {
            return;
        };
        let parent = process.parent;
        let endpoint = process.endpoint;
        let terminal = process.terminal;
        // Every thread ends with the process (its main thread's end, a fatal signal, exit_group).
        self.stop_threads(pid);
        // Its endpoint dies with it: nothing may call in its name any more (nor reach the
        // terminal server in its name, whoever it passed that capability to).
        let _ = call(Call::CapabilityRevoke { slot: endpoint });
        if let Some(terminal) = terminal {
            let _ = call(Call::CapabilityRevoke { slot: terminal });
        }
        self.terminal_process_ended(pid);
        if let Some(process) = self.table.get_mut(pid) {
            process.alarm = None;
            process.interval_timers = [None, None];
            process.stopped = None;
            process.report = None;
        }
        if let Some(events) = self.table.get_mut(pid).and_then(|p| p.events.take()) {
            delete(events);
        }
        if let Some(wake) = self.table.get_mut(pid).and_then(|p| p.signal_wake.take()) {
            delete(wake);
        }
        self.identities.ended(pid);
        if self.table.has_children(pid)
            && let Some(epoch) = &self.epoch
        {
            epoch.advance();
        }
        for to_signal in self.table.end(pid, status, INIT_PID) {
            if to_signal != parent
                && let Some(events) = self.table.get(to_signal).and_then(|p| p.events)
            {
                let _ = call(Call::NotificationSignal {
                    notification: events,
                    bits: protocol::CHILD_EVENT_BIT,
                });
            }
        }
        let (code, value) = WaitStatus::decode(status)
            .map_or((libposix_sys::siginfo::CLD_KILLED, SIGKILL), |status| {
                status.child_code_and_status()
            });
        self.tell_parent(parent, pid, code, value, false);
        self.reap_if_declined(parent, pid);
    }

    /// Handles one call from `badge` (0: the unbadged endpoint, held only by `init` at start).
    /// Returns the reply and whether the arrived capability was kept.
    fn handle(&mut self, badge: u64, words: [u64; 3], arrived: Option<Slot>) -> (Reply, bool) {
        let caller = i32::try_from(badge).unwrap_or(0);
        if badge == 0 {
            if words[0] != protocol::FOUNDER || self.founded {
                return (error_reply(Errno::EPERM), false);
            }
            let Some(environment) = arrived else {
                return (error_reply(Errno::EINVAL), false);
            };
            return match self.register(environment, 0, Some(INIT_PID), false) {
                Ok(reply) => {
                    self.founded = true;
                    (reply, true)
                }
                Err(error) => (error_reply(error), false),
            };
        }
        if self
            .table
            .get(caller)
            .is_none_or(|process| process.ended.is_some())
        {
            return (error_reply(Errno::ESRCH), false);
        }
        match words[0] {
            protocol::REGISTER_CHILD => {
                let Some(environment) = arrived else {
                    return (error_reply(Errno::EINVAL), false);
                };
                if !self.identities.may_start_child(caller) {
                    return (error_reply(Errno::EAGAIN), false);
                }
                match self.register(
                    environment,
                    caller,
                    None,
                    words[1] == protocol::REGISTER_FORK,
                ) {
                    Ok(reply) => (reply, true),
                    Err(error) => (error_reply(error), false),
                }
            }
            protocol::IDENTITY => {
                let parent = self.table.get(caller).map_or(0, |process| process.parent);
                // Word 1 = 1: the caller also asks for (a read-only copy of) the epoch page.
                let page = if words[1] == protocol::WITH_EPOCH_PAGE {
                    self.epoch.as_ref().map(parent_epoch::ParentEpoch::reader)
                } else {
                    None
                };
                (([0, caller as u64, parent as u64], page), false)
            }
            protocol::WAIT => {
                let pid = words[1] as i64;
                let Ok(pid) = i32::try_from(pid) else {
                    return (error_reply(Errno::ECHILD), false);
                };
                // Notice ends that raced with this call.
                let children = self.table.running_children(caller);
                self.notice_ends(&children);
                let options = words[2] as i32;
                let group = self.table.get(caller).map_or(0, |process| process.group);
                match self.table.collect(
                    caller,
                    pid,
                    group,
                    options & WUNTRACED != 0,
                    options & WCONTINUED != 0,
                    words[2] & protocol::WAIT_NO_REAP == 0,
                ) {
                    Collected::Child(pid, status, record) => {
                        let user = u64::from(self.identities.real_user(pid));
                        let time = processor_time(record.environment);
                        self.identities.collected(caller, pid, time);
                        let creator = record.creator;
                        self.release(pid, *record);
                        let kept = self.linger(pid, creator, Some(caller));
                        (
                            (
                                [0, pid as u64 | kept, status as u32 as u64 | user << 32],
                                None,
                            ),
                            false,
                        )
                    }
                    Collected::Report(pid, status) => {
                        let user = u64::from(self.identities.real_user(pid));
                        (
                            ([0, pid as u64, status as u32 as u64 | user << 32], None),
                            false,
                        )
                    }
                    Collected::NoneEnded => (([0, 0, 0], None), false),
                    Collected::NoChild => (error_reply(Errno::ECHILD), false),
                }
            }
            protocol::LINGER_RELEASED => {
                let [first, second] = self.lingering.take_released(caller);
                (([0, first as u64, second as u64], None), false)
            }
            protocol::SUBSCRIBE => {
                let Some(notification) = arrived else {
                    return (error_reply(Errno::EINVAL), false);
                };
                let Some(process) = self.table.get_mut(caller) else {
                    return (error_reply(Errno::ESRCH), false);
                };
                if let Some(old) = process.events.replace(notification) {
                    delete(old);
                }
                // Children may have ended before the subscription.
                let _ = call(Call::NotificationSignal {
                    notification,
                    bits: protocol::CHILD_EVENT_BIT,
                });
                (([0, 0, 0], None), true)
            }
            protocol::KILL => (
                match self.kill(caller, words) {
                    Ok(()) => ([0, 0, 0], None),
                    Err(error) => error_reply(error),
                },
                false,
            ),
            protocol::SIGNAL_WAKE => {
                let kept = self.register_signal_wake(caller, arrived);
                let reply = if kept {
                    ([0, 0, 0], None)
                } else {
                    error_reply(Errno::EINVAL)
                };
                (reply, kept)
            }
            operation if operation & 0xff == protocol::QUEUE_SIGNAL => (
                match self.queue_signal(caller, words) {
                    Ok(()) => ([0, 0, 0], None),
                    Err(error) => error_reply(error),
                },
                false,
            ),
            protocol::SIGNAL_PAGE => match self.hand_out_page(caller) {
                Ok(frame) => (([0, 0, 0], Some(frame)), false),
                Err(error) => (error_reply(error), false),
            },
            protocol::THREAD_CREATE => {
                let Some(quota) = arrived else {
                    return (error_reply(Errno::EINVAL), false);
                };
                match self.create_thread(caller, quota) {
                    Ok((tid, environment)) => (([0, tid as u64, 0], Some(environment)), true),
                    Err(error) => (error_reply(error), false),
                }
            }
            protocol::THREAD_SIGNAL_PAGE => match self.thread_page(caller, words[1]) {
                Ok(frame) => (([0, 0, 0], Some(frame)), false),
                Err(error) => (error_reply(error), false),
            },
            protocol::THREAD_KILL => (
                match self.thread_kill(caller, words) {
                    Ok(()) => ([0, 0, 0], None),
                    Err(error) => error_reply(error),
                },
                false,
            ),
            protocol::EXIT_GROUP => {
                self.exit_group(caller, words[1]);
                (([0, 0, 0], None), false)
            }
            protocol::EXEC_HANDOVER => (
                match self.exec_handover(caller, words[1]) {
                    Ok(()) => ([0, 0, 0], None),
                    Err(error) => error_reply(error),
                },
                false,
            ),
            operation if operation & 0xff == protocol::EXECUTED => {
                self.end_threads_for_exec(caller, words[1]);
                let outcome = self.exec_credentials(caller, words);
                let executed = [protocol::EXECUTED, words[1], 0];
                (
                    match self.groups(caller, executed) {
                        Ok(_) => ([0, 0, outcome], None),
                        Err(error) => error_reply(error),
                    },
                    false,
                )
            }
            protocol::SET_PROCESS_GROUP
            | protocol::GET_PROCESS_GROUP
            | protocol::SET_SESSION
            | protocol::GET_SESSION => (
                match self.groups(caller, words) {
                    Ok(answer) => ([0, answer as u64, 0], None),
                    Err(error) => error_reply(error),
                },
                false,
            ),
            operation
                if matches!(
                    operation & 0xff,
                    protocol::TIMER_CREATE
                        | protocol::TIMER_SET
                        | protocol::TIMER_GET
                        | protocol::TIMER_OVERRUN
                        | protocol::TIMER_DELETE
                ) =>
            {
                (
                    match self.posix_timer(caller, words) {
                        Ok([first, second]) => ([0, first, second], None),
                        Err(error) => error_reply(error),
                    },
                    false,
                )
            }
            operation
                if matches!(
                    operation & 0xff,
                    protocol::SET_CPU_TIMER | protocol::GET_CPU_TIMER
                ) =>
            {
                (
                    match self.interval_timer(caller, words) {
                        Ok([remaining, period]) => ([0, remaining, period], None),
                        Err(error) => error_reply(error),
                    },
                    false,
                )
            }
            protocol::SET_ALARM | protocol::GET_ALARM => (
                match self.alarm(caller, words) {
                    Ok([remaining, period]) => ([0, remaining, period], None),
                    Err(error) => error_reply(error),
                },
                false,
            ),
            operation
                if (protocol::CREDENTIALS..=protocol::CHILD_TIMES)
                    .contains(&(operation & 0xff))
                    || matches!(
                        operation & 0xff,
                        protocol::SOCKET_SERVICE
                            | protocol::PEER_IDENTITY
                            | protocol::SET_ID_PROGRAM
                    ) =>
            {
                let environment = self.table.get(caller).map(|process| process.environment);
                let Some(environment) = environment else {
                    return (error_reply(Errno::ESRCH), false);
                };
                let (words, kept) = self.identities.handle(caller, environment, words, arrived);
                ((words, None), kept)
            }
            protocol::PROCESS_LIST => ((self.list(words), None), false),
            operation if operation & 0xff == protocol::PROCESS_RECORD => (
                match self.record(caller, words) {
                    Ok([first, second]) => ([0, first, second], None),
                    Err(error) => error_reply(error),
                },
                false,
            ),
            operation if operation & 0xff == protocol::SET_COMMAND => (
                match self.set_command(caller, words) {
                    Ok(()) => ([0, 0, 0], None),
                    Err(error) => error_reply(error),
                },
                false,
            ),
            protocol::TERMINAL_SERVICE
            | protocol::GET_FOREGROUND
            | protocol::SET_FOREGROUND
            | protocol::TERMINAL_SIGNAL
            | protocol::TERMINAL_ACCESS
            | protocol::TERMINAL_WRITE_ACCESS
            | protocol::SET_CONTROLLING_TERMINAL
            | protocol::GET_TERMINAL_SESSION => {
                let (words, kept) = self.terminal(caller, words, arrived);
                ((words, None), kept)
            }
            // Only the unbadged endpoint, once, may found the tree.
            protocol::FOUNDER => (error_reply(Errno::EPERM), false),
            _ => (error_reply(Errno::ENOSYS), false),
        }
    }
}

fn main(_startup: &Startup) -> i32 {
    let Some(ends) = slots::allocate() else {
        return 1;
    };
    if call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: ends,
    })
    .is_err()
        || ipc::bind_notification(ends, Some(SERVER_ENDPOINT)).is_err()
    {
        println!("process-server: cannot set up its notification");
        return 1;
    }
    let mut server = Server {
        table: Table::default(),
        ends,
        founded: false,
        identities: credentials::Identities::default(),
        epoch: parent_epoch::ParentEpoch::create(),
        caller: None,
        free_page_addresses: alloc::vec::Vec::new(),
        next_page_address: 0,
        alarm_timer: None,
        terminal: terminal::Terminal::default(),
        lingering: lingering::Lingering::default(),
    };
    let mut receive = slots::allocate();
    let mut reply: Reply = ([0, 0, 0], None);
    loop {
        let received = call(Call::IpcReplyReceive {
            endpoint: SERVER_ENDPOINT,
            word0: reply.0[0],
            word1: reply.0[1],
            word2: reply.0[2],
            transfer: OptionalSlot(reply.1),
            receive: OptionalSlot(receive),
        })
        .map(Received::from_words);
        reply = ([0, 0, 0], None);
        match received {
            Ok(Received::Notification { bits }) => server.handle_signalled(bits),
            Ok(Received::Message {
                badge,
                words,
                capability_arrived,
            }) => {
                let arrived = if capability_arrived { receive } else { None };
                server.caller = i32::try_from(badge).ok().filter(|&pid| pid != 0);
                let (answer, kept) = server.handle(badge, words, arrived);
                server.caller = None;
                reply = answer;
                if let Some(slot) = arrived {
                    if kept {
                        receive = slots::allocate();
                    } else {
                        let _ = call(Call::CapabilityDelete { slot });
                    }
                }
            }
            Err(KernelError::PeerGone | KernelError::Interrupted) => {}
            Err(error) => {
                println!("process-server: receive failed: {error}");
                return 1;
            }
        }
    }
}
