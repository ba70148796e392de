//! The process table: pids, parents, states and the capabilities the server holds per process.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use libos::abi::Slot;

/// A process as the server knows it.
pub struct Process {
    /// Its parent's pid (`INIT_PID` once orphaned).
    pub parent: i32,
    /// The server's capability to its environment (READ and CONTROL).
    pub environment: Slot,
    /// The badged endpoint minted for it (badge = pid).
    pub endpoint: Slot,
    /// Its child-event notification, once subscribed.
    pub events: Option<Slot>,
    /// `Some(wait status)` once it has ended: a zombie until its parent collects it.
    pub ended: Option<i32>,
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
    Child(i32, i32, Process),
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

    /// Finds an ended child of `parent` matching `pid` (-1: any) and leaves it a zombie
    /// (`WNOWAIT`): its pid and wait status.
    pub fn peek(&self, parent: i32, pid: i32) -> Result<Option<(i32, i32)>, ()> {
        let mut matched = false;
        for (&child_pid, child) in &self.processes {
            if child.parent == parent && child_pid != parent && (pid == -1 || pid == child_pid) {
                matched = true;
                if let Some(status) = child.ended {
                    return Ok(Some((child_pid, status)));
                }
            }
        }
        if matched { Ok(None) } else { Err(()) }
    }

    /// Collects an ended child of `parent` matching `pid` (-1: any).
    pub fn collect(&mut self, parent: i32, pid: i32) -> Collected {
        let mut matched = false;
        let mut zombie = None;
        for (&child_pid, child) in &self.processes {
            if child.parent == parent && child_pid != parent && (pid == -1 || pid == child_pid) {
                matched = true;
                if let Some(status) = child.ended {
                    zombie = Some((child_pid, status));
                    break;
                }
            }
        }
        match zombie {
            Some((child_pid, status)) => match self.processes.remove(&child_pid) {
                Some(record) => Collected::Child(child_pid, status, record),
                None => Collected::NoChild,
            },
            None if matched => Collected::NoneEnded,
            None => Collected::NoChild,
        }
    }
}
