//! The controlling terminal as the process server owns it: which session controls the console
//! terminal and which of its process groups is in the foreground (`tcgetpgrp`, `tcsetpgrp`,
//! `TIOCSCTTY`), the terminal server's questions (may this process read now? — `SIGTTIN` for a
//! background reader), a LibOS's question before a write with `TOSTOP` set (`SIGTTOU` for a
//! background writer), the hang-up when the controlling process ends (`SIGHUP` to the
//! foreground group) and the signals it sends for `^C`, `^\` and `^Z`. Decided here, where
//! groups and sessions live, so neither a LibOS nor the terminal server can reach beyond the
//! session that holds the terminal.

use core::sync::atomic::Ordering;

use libos::abi::Slot;
use libos::process::protocol::{self, INIT_PID};
use libos::signal::page::bit;
use libos::well_known_slots::TERMINAL_SERVER;
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::SI_KERNEL;
use libposix_sys::signal::{SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};

use crate::Server;
use crate::signals::Origin;

/// Where the terminal's signals come from, as `siginfo_t` says: the system, no sender.
const TERMINAL_ORIGIN: Origin = Origin {
    code: SI_KERNEL,
    pid: 0,
    value: 0,
    sigval: 0,
};

/// The terminal's owner and foreground, once `init` has named the terminal server.
#[derive(Default)]
pub struct Terminal {
    /// The terminal server's pid (0 once it has ended: nobody speaks for the terminal).
    server: i32,
    /// Its unbadged SEND capability, from which each process's badged one is minted.
    service: Option<Slot>,
    /// The session it is the controlling terminal of (0: none).
    session: i32,
    /// The foreground process group.
    foreground: i32,
}

impl Server {
    /// Mints `pid`'s capability to the terminal server (badge = pid) and grants it into
    /// `environment`'s [`TERMINAL_SERVER`] slot. `None` without a terminal service, or when the
    /// slot is taken (that process does without: its LibOS keeps the terminal to itself).
    pub(crate) fn grant_terminal(&self, environment: Slot, pid: i32) -> Option<Slot> {
        crate::mint_and_grant(
            self.terminal.service?,
            pid as u64,
            environment,
            TERMINAL_SERVER,
        )
    }

    /// `pid` ended: nothing may speak for the terminal in its name any more. When it was the
    /// controlling process (the leader of the session the terminal belongs to), POSIX's `_exit`:
    /// its foreground process group is sent `SIGHUP` and the terminal is disassociated from the
    /// session (no foreground group; a new session leader may take it with `TIOCSCTTY`).
    pub(crate) fn terminal_process_ended(&mut self, pid: i32) {
        if pid == self.terminal.server {
            self.terminal.server = 0;
        }
        if pid != INIT_PID && pid == self.terminal.session {
            let foreground = self.terminal.foreground;
            if foreground != 0 {
                for member in self.members(foreground) {
                    if member != pid && member != INIT_PID {
                        self.send(member, SIGHUP, TERMINAL_ORIGIN);
                    }
                }
            }
            self.terminal.session = 0;
            self.terminal.foreground = 0;
        }
    }

    /// The terminal operations from `caller` (with `arrived`, a capability that came with the
    /// call). Returns the reply words and whether `arrived` was kept.
    pub(crate) fn terminal(
        &mut self,
        caller: i32,
        words: [u64; 3],
        arrived: Option<Slot>,
    ) -> ([u64; 3], bool) {
        if words[0] == protocol::TERMINAL_SERVICE {
            return match (caller, arrived, self.terminal.service) {
                (INIT_PID, Some(slot), None) => {
                    self.terminal = Terminal {
                        server: i32::try_from(words[1]).unwrap_or(0),
                        service: Some(slot),
                        session: self.table.get(INIT_PID).map_or(0, |p| p.session),
                        // No group until init names its command's: a key typed during boot
                        // signals nobody (init's group holds the servers).
                        foreground: 0,
                    };
                    ([0, 0, 0], true)
                }
                (INIT_PID, None, None) => (error(Errno::EINVAL), false),
                _ => (error(Errno::EPERM), false),
            };
        }
        let result = match words[0] {
            protocol::GET_FOREGROUND => self
                .controlled_by(caller)
                .map(|()| self.terminal.foreground),
            protocol::GET_TERMINAL_SESSION => {
                self.controlled_by(caller).map(|()| self.terminal.session)
            }
            protocol::SET_FOREGROUND => self.set_foreground(caller, words[1]).map(|()| 0),
            protocol::SET_CONTROLLING_TERMINAL => {
                self.set_controlling(caller, words[1] == 1).map(|()| 0)
            }
            protocol::TERMINAL_SIGNAL => self.terminal_signal(caller, words[1]).map(|()| 0),
            protocol::TERMINAL_ACCESS => self.terminal_access(caller, words[1]).map(|()| 0),
            protocol::TERMINAL_WRITE_ACCESS => self.terminal_write_access(caller).map(|()| 0),
            _ => Err(Errno::ENOSYS),
        };
        match result {
            Ok(answer) => ([0, answer as u64, 0], false),
            Err(errno) => (error(errno), false),
        }
    }

    /// `Ok` when the terminal is `caller`'s controlling terminal, else `ENOTTY`.
    fn controlled_by(&self, caller: i32) -> Result<(), Errno> {
        let session = self.table.get(caller).map_or(0, |p| p.session);
        if self.terminal.service.is_none() || session == 0 || session != self.terminal.session {
            return Err(Errno::ENOTTY);
        }
        Ok(())
    }

    /// Whether `pid`'s page says it blocks or ignores `signal`.
    fn blocks_or_ignores(&self, pid: i32, signal: i32) -> bool {
        self.signal_page(pid).is_some_and(|page| {
            let mask = bit(signal);
            page.blocked.load(Ordering::Acquire) & mask != 0
                || (page.ignored.load(Ordering::Acquire) & mask != 0
                    && page.caught.load(Ordering::Acquire) & mask == 0)
        })
    }

    /// Live processes of `group` in the terminal's session.
    fn members(&self, group: i32) -> alloc::vec::Vec<i32> {
        self.table
            .iter()
            .filter(|(_, p)| {
                p.ended.is_none() && p.group == group && p.session == self.terminal.session
            })
            .map(|(&pid, _)| pid)
            .collect()
    }

    fn send_to_group(&mut self, group: i32, signal: i32) {
        for pid in self.members(group) {
            if pid != INIT_PID {
                self.send(pid, signal, TERMINAL_ORIGIN);
            }
        }
    }

    /// `tcsetpgrp` by `caller`, with POSIX's rules; a caller in a background group gets
    /// `SIGTTOU` unless it blocks or ignores it.
    fn set_foreground(&mut self, caller: i32, group: u64) -> Result<(), Errno> {
        self.controlled_by(caller)?;
        let group = i32::try_from(group as i64).map_err(|_| Errno::EINVAL)?;
        if group < 0 {
            return Err(Errno::EINVAL);
        }
        let session = self.terminal.session;
        if group == 0
            || !self
                .table
                .iter()
                .any(|(_, p)| p.ended.is_none() && p.group == group && p.session == session)
        {
            return Err(Errno::EPERM);
        }
        let caller_group = self.table.get(caller).map_or(0, |p| p.group);
        let background = self.terminal.foreground != 0 && caller_group != self.terminal.foreground;
        if background && !self.blocks_or_ignores(caller, SIGTTOU) {
            self.send_to_group(caller_group, SIGTTOU);
            return Err(Errno::EINTR);
        }
        self.terminal.foreground = group;
        Ok(())
    }

    /// `TIOCSCTTY` by `caller`: a session leader takes the terminal for its session when no
    /// other session holds it (or, privileged and with `steal`, even then).
    fn set_controlling(&mut self, caller: i32, steal: bool) -> Result<(), Errno> {
        if self.terminal.service.is_none() {
            return Err(Errno::ENOTTY);
        }
        let Some(process) = self.table.get(caller) else {
            return Err(Errno::ESRCH);
        };
        let (session, group) = (process.session, process.group);
        // Linux's order: only a session leader may, and its own terminal is no change.
        if session != caller {
            return Err(Errno::EPERM);
        }
        if self.terminal.session == session {
            return Ok(());
        }
        let held = self.terminal.session != 0
            && self
                .table
                .iter()
                .any(|(_, p)| p.ended.is_none() && p.session == self.terminal.session);
        if held && !(steal && self.identities.is_privileged(caller)) {
            return Err(Errno::EPERM);
        }
        self.terminal.session = session;
        self.terminal.foreground = group;
        Ok(())
    }

    /// `TERMINAL_SIGNAL` from the terminal server.
    fn terminal_signal(&mut self, caller: i32, signal: u64) -> Result<(), Errno> {
        if caller != self.terminal.server || caller == 0 {
            return Err(Errno::EPERM);
        }
        let signal = match i32::try_from(signal) {
            Ok(signal @ (SIGINT | SIGQUIT | SIGTSTP)) => signal,
            _ => return Err(Errno::EINVAL),
        };
        if self.terminal.session != 0 {
            self.send_to_group(self.terminal.foreground, signal);
        }
        Ok(())
    }

    /// `TERMINAL_ACCESS` from the terminal server: job control for a reader.
    fn terminal_access(&mut self, caller: i32, pid: u64) -> Result<(), Errno> {
        if caller != self.terminal.server || caller == 0 {
            return Err(Errno::EPERM);
        }
        let pid = i32::try_from(pid).map_err(|_| Errno::ESRCH)?;
        let Some(process) = self.table.get(pid).filter(|p| p.ended.is_none()) else {
            return Err(Errno::ESRCH);
        };
        let (session, group) = (process.session, process.group);
        // No foreground group yet (the boot): nobody is in the background.
        if session != self.terminal.session
            || group == self.terminal.foreground
            || self.terminal.foreground == 0
        {
            return Ok(());
        }
        if self.blocks_or_ignores(pid, SIGTTIN) || self.orphaned(group) {
            return Err(Errno::EIO);
        }
        self.send_to_group(group, SIGTTIN);
        Err(Errno::EINTR)
    }

    /// `TERMINAL_WRITE_ACCESS` from `caller`, writing with `TOSTOP` set: POSIX's rules for a
    /// write to the controlling terminal from a background process group.
    fn terminal_write_access(&mut self, caller: i32) -> Result<(), Errno> {
        let Some(process) = self.table.get(caller).filter(|p| p.ended.is_none()) else {
            return Err(Errno::ESRCH);
        };
        let (session, group) = (process.session, process.group);
        if self.terminal.service.is_none()
            || session != self.terminal.session
            || self.terminal.foreground == 0
            || group == self.terminal.foreground
            || self.blocks_or_ignores(caller, SIGTTOU)
        {
            return Ok(());
        }
        if self.orphaned(group) {
            return Err(Errno::EIO);
        }
        self.send_to_group(group, SIGTTOU);
        Err(Errno::EINTR)
    }

    /// Whether `group` is orphaned (POSIX: no member has a parent in another group of the same
    /// session), so that nobody would continue it after a stop.
    fn orphaned(&self, group: i32) -> bool {
        !self.members(group).into_iter().any(|pid| {
            let parent = self.table.get(pid).map_or(0, |p| p.parent);
            self.table.get(parent).is_some_and(|p| {
                p.ended.is_none() && p.group != group && p.session == self.terminal.session
            })
        })
    }
}

fn error(errno: Errno) -> [u64; 3] {
    [errno.as_raw() as u64, 0, 0]
}
