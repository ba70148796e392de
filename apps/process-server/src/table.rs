//! The process table: pids, parents, states and the capabilities the server holds per process.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use libos::abi::Slot;

/// A process as the server knows it.
pub struct Process {
    /// Its parent's pid (`INIT_PID` once orphaned).
    pub parent: i32,
    /// The pid that registered it, whose quota its own was split from (never changes).
    pub creator: i32,
    /// The server's capability to its environment (READ and CONTROL).
    pub environment: Slot,
    /// The badged endpoint minted for it (badge = pid).
    pub endpoint: Slot,
    /// Its child-event notification, once subscribed.
    pub events: Option<Slot>,
    /// `Some(wait status)` once it has ended: a zombie until its parent collects it.
    pub ended: Option<i32>,
    /// Whether the server's environment capability has WRITE (needed to force a handler entry).
    pub writable: bool,
    /// Its process group and session.
    pub group: i32,
    pub session: i32,
    /// Whether it has run `execve` (its parent's `setpgid` on it is then `EACCES`).
    pub executed: bool,
    /// The signal that stopped it, while stopped.
    pub stopped: Option<i32>,
    /// A stop or continue its parent has not been told about by `WAIT` yet (a wait status).
    pub report: Option<i32>,
    /// Signals sent while it was stopped, generated again when it continues.
    pub held: u64,
    /// Its signal page, once made: the frame and where the server maps it.
    pub signal_page: Option<crate::signals::PageMapping>,
    /// Its `ITIMER_REAL`: the deadline (monotonic nanoseconds) and the period.
    pub alarm: Option<(u64, u64)>,
    /// Its POSIX timers (`posix_timers.rs`).
    pub timers: Vec<crate::posix_timers::PosixTimer>,
    /// Its `ITIMER_VIRTUAL` and `ITIMER_PROF` (`cpu_timers.rs`), kept across `execve`.
    pub interval_timers: [Option<crate::cpu_timers::IntervalTimer>; 2],
    /// Its command, as it (or its parent, at spawn) described it (`records.rs`).
    pub command: crate::records::Command,
    /// When it was registered (monotonic nanoseconds since boot).
    pub started: u64,
    /// Its threads besides the main one (`threads.rs`).
    pub threads: Vec<crate::threads::Thread>,
    /// Threads the server stopped for a job-control stop, started again by the continue.
    pub stopped_threads: Vec<Slot>,
    /// Its capability to the terminal server (badge = pid), revoked when it ends.
    pub terminal: Option<Slot>,
    /// The wake-up notification it registered (`SIGNAL_WAKE`), signalled on every pending
    /// signal.
    pub signal_wake: Option<Slot>,
}

/// Every registered process by pid.
#[derive(Default)]
pub struct Table {
    processes: BTreeMap<i32, Process>,
    next_pid: i32,
}

/// What [`Table::collect`] found.
pub enum Collected {
    /// A zombie child, removed from the table: its pid, wait status and record.
    Child(i32, i32, alloc::boxed::Box<Process>),
    /// A child's stop or continue, or any child found without reaping (pid, wait status); the
    /// child stays.
    Report(i32, i32),
    /// Matching children exist but none has ended.
    NoneEnded,
    /// No child matches.
    NoChild,
}

impl Table {
    /// The next free pid (never reused: pids run up to `i32::MAX`).
    pub fn allocate_pid(&mut self) -> Option<i32> {
        let pid = self.next_pid.max(2);
        self.next_pid = pid.checked_add(1)?;
        Some(pid)
    }

    pub fn insert(&mut self, pid: i32, process: Process) {
        self.processes.insert(pid, process);
    }

    pub fn get(&self, pid: i32) -> Option<&Process> {
        self.processes.get(&pid)
    }

    pub fn get_mut(&mut self, pid: i32) -> Option<&mut Process> {
        self.processes.get_mut(&pid)
    }

    /// How many processes the table holds, zombies included.
    pub fn count(&self) -> usize {
        self.processes.len()
    }

    /// Removes `pid`'s record.
    pub fn remove(&mut self, pid: i32) -> Option<Process> {
        self.processes.remove(&pid)
    }

    /// Every process, for scans.
    pub fn iter(&self) -> impl Iterator<Item = (&i32, &Process)> {
        self.processes.iter()
    }

    /// Pids of `parent`'s children still running.
    pub fn running_children(&self, parent: i32) -> Vec<i32> {
        self.processes
            .iter()
            .filter(|(_, process)| process.parent == parent && process.ended.is_none())
            .map(|(&pid, _)| pid)
            .collect()
    }

    /// Pids of the processes still running.
    pub fn running(&self) -> Vec<i32> {
        self.processes
            .iter()
            .filter(|(_, process)| process.ended.is_none())
            .map(|(&pid, _)| pid)
            .collect()
    }

    /// Marks `pid` ended with `status` and gives its children to `init`. Returns the parents
    /// whose child events must be signalled: its own, and `init` if a zombie came to it.
    pub fn end(&mut self, pid: i32, status: i32, init: i32) -> Vec<i32> {
        let mut to_signal = Vec::new();
        let Some(process) = self.processes.get_mut(&pid) else {
            return to_signal;
        };
        process.ended = Some(status);
        to_signal.push(process.parent);
        for (&child_pid, child) in &mut self.processes {
            if child.parent == pid && child_pid != pid {
                child.parent = init;
                if child.ended.is_some() && !to_signal.contains(&init) {
                    to_signal.push(init);
                }
            }
        }
        to_signal
    }

    /// Whether any process (running or not) has `pid` as its parent.
    pub fn has_children(&self, pid: i32) -> bool {
        self.processes
            .iter()
            .any(|(&child, process)| process.parent == pid && child != pid)
    }

    /// Collects an ended child of `parent` matching `pid` (-1: any; 0: any in `group`, the
    /// caller's; < -1: any in group `-pid`), or with `report_stops` / `report_continues` takes
    /// the unreported stop or continue of one. Without `reap` (`WNOWAIT`) the child found stays
    /// as it was (a zombie, or with its report kept) and is returned as a [`Collected::Report`].
    pub fn collect(
        &mut self,
        parent: i32,
        pid: i32,
        group: i32,
        report_stops: bool,
        report_continues: bool,
        reap: bool,
    ) -> Collected {
        let mut matched = false;
        let mut found = None;
        for (&child_pid, child) in &self.processes {
            let matches = match pid {
                -1 => true,
                0 => child.group == group,
                pid if pid < -1 => Some(child.group) == pid.checked_neg(),
                pid => pid == child_pid,
            };
            if child.parent == parent && child_pid != parent && matches {
                matched = true;
                if let Some(status) = child.ended {
                    found = Some((child_pid, status, true));
                    break;
                }
                if let Some(report) = child.report {
                    let stopped = libposix_sys::wait::WIFSTOPPED(report);
                    if (stopped && report_stops) || (!stopped && report_continues) {
                        found = Some((child_pid, report, false));
                        break;
                    }
                }
            }
        }
        match found {
            Some((child_pid, status, _)) if !reap => Collected::Report(child_pid, status),
            Some((child_pid, status, true)) => match self.processes.remove(&child_pid) {
                Some(record) => Collected::Child(child_pid, status, alloc::boxed::Box::new(record)),
                None => Collected::NoChild,
            },
            Some((child_pid, status, false)) => {
                if let Some(child) = self.processes.get_mut(&child_pid) {
                    child.report = None;
                }
                Collected::Report(child_pid, status)
            }
            None if matched => Collected::NoneEnded,
            None => Collected::NoChild,
        }
    }
}

impl Process {
    /// Whether it has a timer on its processor time armed (`cpu_timers.rs`).
    #[must_use]
    pub fn has_processor_time_timer(&self) -> bool {
        self.interval_timers.iter().any(Option::is_some)
            || self
                .timers
                .iter()
                .any(|timer| timer.on_processor_time && timer.deadline.is_some())
    }
}
