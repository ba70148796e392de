//! Process groups and sessions, with POSIX's rules for `setpgid` and `setsid`, and the note
//! that a process has run `execve`.

use libos::process::protocol;
use libposix_sys::errno::Errno;

use crate::Server;

impl Server {
    /// `SET_PROCESS_GROUP`, `GET_PROCESS_GROUP`, `SET_SESSION`, `GET_SESSION`, `EXECUTED` from
    /// `caller`. Returns the reply's word 1.
    pub(crate) fn groups(&mut self, caller: i32, words: [u64; 3]) -> Result<i32, Errno> {
        let argument = |word: u64| i32::try_from(word as i64).map_err(|_| Errno::EINVAL);
        match words[0] {
            protocol::SET_PROCESS_GROUP => {
                self.set_group(caller, argument(words[1])?, argument(words[2])?)?;
                Ok(0)
            }
            protocol::GET_PROCESS_GROUP => {
                let pid = self.named(caller, argument(words[1]).map_err(|_| Errno::ESRCH)?)?;
                Ok(self.table.get(pid).map_or(0, |process| process.group))
            }
            protocol::GET_SESSION => {
                let pid = self.named(caller, argument(words[1]).map_err(|_| Errno::ESRCH)?)?;
                Ok(self.table.get(pid).map_or(0, |process| process.session))
            }
            protocol::SET_SESSION => {
                let leads_a_group = self
                    .table
                    .iter()
                    .any(|(&pid, process)| process.group == caller && pid != caller)
                    || self.table.get(caller).is_some_and(|p| p.group == caller);
                if leads_a_group {
                    return Err(Errno::EPERM);
                }
                if let Some(process) = self.table.get_mut(caller) {
                    process.group = caller;
                    process.session = caller;
                }
                Ok(caller)
            }
            _ => {
                if let Some(process) = self.table.get_mut(caller) {
                    process.executed = true;
                    // POSIX timers do not survive `execve`.
                    process.timers.clear();
                }
                let _ = self.arm_alarm_timer();
                Ok(0)
            }
        }
    }

    /// The process `pid` names (0: the caller), if it exists (zombies too).
    fn named(&self, caller: i32, pid: i32) -> Result<i32, Errno> {
        let pid = if pid == 0 { caller } else { pid };
        if pid < 0 || self.table.get(pid).is_none() {
            return Err(Errno::ESRCH);
        }
        Ok(pid)
    }

    /// `setpgid(pid, group)` by `caller`, with POSIX's rules: the caller or a child of it; a
    /// child that has not run `execve` and is in the caller's session; not a session leader;
    /// the group is the process's own number or an existing group of the caller's session.
    fn set_group(&mut self, caller: i32, pid: i32, group: i32) -> Result<(), Errno> {
        if pid < 0 || group < 0 {
            return Err(Errno::EINVAL);
        }
        let pid = if pid == 0 { caller } else { pid };
        let group = if group == 0 { pid } else { group };
        let caller_session = self.table.get(caller).map_or(0, |p| p.session);
        let target = self
            .table
            .get(pid)
            .filter(|p| p.ended.is_none())
            .ok_or(Errno::ESRCH)?;
        if pid != caller {
            if target.parent != caller {
                return Err(Errno::ESRCH);
            }
            if target.session != caller_session {
                return Err(Errno::EPERM);
            }
            if target.executed {
                return Err(Errno::EACCES);
            }
        }
        if target.session == pid {
            return Err(Errno::EPERM);
        }
        if group != pid
            && !self
                .table
                .iter()
                .any(|(_, p)| p.group == group && p.session == caller_session)
        {
            return Err(Errno::EPERM);
        }
        if let Some(process) = self.table.get_mut(pid) {
            process.group = group;
        }
        Ok(())
    }
}
