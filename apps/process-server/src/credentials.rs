//! Each process's credentials and resource limits, and the calls that read and change them
//! (`docs/process-server.md`): the rules are the `credentials` crate's, applied here where no
//! LibOS can bypass them. A change of the effective user or group id replaces the process's
//! file-server capability, revoking the old one (with every copy its LibOS made), so the file
//! server, which knows a client only by that capability's badge, sees the new ids.

use alloc::collections::BTreeMap;

use credentials::user_ids::{IdChange, IdError, UNCHANGED};
use credentials::{Credentials, ExecOutcome, Limit, LimitError, Limits, SetIdRequest};
use libos::abi::{Call, Slot};
use libos::fs::protocol::{FILE_SERVER_SLOT, badge_for};
use libos::kernel::call;
use libos::process::protocol;
use libos::slots;
use libos::socket::protocol::{SOCKET_PROCESS_MARK, SOCKET_SERVER};
use libposix_sys::errno::Errno;

/// What the server knows of a process besides its place in the tree.
pub struct Identity {
    pub credentials: Credentials,
    pub limits: Limits,
    /// The file-server capability minted for it (granted at its `FILE_SERVER_SLOT`).
    file_server: Option<Slot>,
    /// The socket-server capability minted for it (granted at its `SOCKET_SERVER` slot).
    socket_server: Option<Slot>,
    /// A supplementary group list being written, pair by pair.
    pending_groups: alloc::vec::Vec<u32>,
    /// Processor time (user, system nanoseconds) of its collected children, theirs included.
    children_time: (u64, u64),
    /// The same of the child it collected last.
    last_child_time: (u64, u64),
}

/// Every process's identity by pid.
#[derive(Default)]
pub struct Identities {
    by_pid: BTreeMap<i32, Identity>,
    /// The file server's unbadged SEND capability, once `init` has given it.
    file_service: Option<Slot>,
    /// The socket server's unbadged SEND capability, once `init` has given it.
    socket_service: Option<Slot>,
}

fn id_errno(error: IdError) -> Errno {
    match error {
        IdError::NotPermitted => Errno::EPERM,
        IdError::Invalid => Errno::EINVAL,
    }
}

fn limit_errno(error: LimitError) -> Errno {
    match error {
        LimitError::NotPermitted => Errno::EPERM,
        LimitError::Unsupported | LimitError::SoftAboveHard => Errno::EINVAL,
    }
}

fn pack(triple: credentials::IdTriple) -> [u64; 3] {
    [
        0,
        u64::from(triple.real) | (u64::from(triple.effective) << 32),
        u64::from(triple.saved),
    ]
}

impl Identities {
    /// `init`'s identity: root, default limits.
    pub fn found(&mut self, pid: i32) {
        self.by_pid.insert(
            pid,
            Identity {
                credentials: Credentials::ROOT,
                limits: Limits::default(),
                file_server: None,
                socket_server: None,
                pending_groups: alloc::vec::Vec::new(),
                children_time: (0, 0),
                last_child_time: (0, 0),
            },
        );
    }

    /// `parent` collected `child`, whose environment used `time` (user, system nanoseconds):
    /// the child's time and its own children's join the parent's children's time.
    pub fn collected(&mut self, parent: i32, child: i32, time: (u64, u64)) {
        let (inherited_user, inherited_system) = self
            .by_pid
            .get(&child)
            .map_or((0, 0), |identity| identity.children_time);
        if let Some(identity) = self.by_pid.get_mut(&parent) {
            identity.last_child_time = time;
            identity.children_time.0 += time.0 + inherited_user;
            identity.children_time.1 += time.1 + inherited_system;
        }
    }

    /// Whether `sender` may signal `target` (POSIX: by user ids, `credentials::may_signal`).
    /// Nobody but init itself may signal init: it has no handlers, and a default action would
    /// end the system (Linux ignores such signals; here they are refused).
    pub fn may_signal(&self, sender: i32, target: i32) -> bool {
        if target == protocol::INIT_PID && sender != protocol::INIT_PID {
            return false;
        }
        match (self.by_pid.get(&sender), self.by_pid.get(&target)) {
            (Some(sender), Some(target)) => {
                credentials::may_signal(&sender.credentials, &target.credentials)
            }
            _ => false,
        }
    }

    /// The real user id of `pid` (0 when unknown), for `waitid`'s `si_uid`.
    pub fn real_user(&self, pid: i32) -> u32 {
        self.by_pid
            .get(&pid)
            .map_or(0, |identity| identity.credentials.user.real)
    }

    /// Whether `parent` may have one more child: `RLIMIT_NPROC` counts the processes (running
    /// or zombie, until collected) whose real user id is the parent's.
    pub fn may_start_child(&self, parent: i32) -> bool {
        let Some(identity) = self.by_pid.get(&parent) else {
            return false;
        };
        let user = identity.credentials.user.real;
        let running = self
            .by_pid
            .values()
            .filter(|other| other.credentials.user.real == user)
            .count() as u64;
        identity
            .limits
            .may_start_process(running, identity.credentials.is_privileged())
    }

    /// Records `child` with its parent's credentials and limits (as `fork`, `spawn` and `exec`
    /// keep them) and gives it a file-server capability for them. Call before it starts.
    pub fn inherit(&mut self, child: i32, parent: i32, environment: Slot) {
        let (credentials, limits) = self
            .by_pid
            .get(&parent)
            .map_or((Credentials::ROOT, Limits::default()), |identity| {
                (identity.credentials, identity.limits)
            });
        let file_server = self.grant_file_server(environment, &credentials);
        let socket_server = self.grant_socket_server(environment, child);
        self.by_pid.insert(
            child,
            Identity {
                credentials,
                limits,
                file_server,
                socket_server,
                pending_groups: alloc::vec::Vec::new(),
                children_time: (0, 0),
                last_child_time: (0, 0),
            },
        );
    }

    /// The process ended: its file-server and socket-server capabilities (and every copy) go
    /// at once, so its pid, once reused, is never named by a stale badge.
    pub fn ended(&mut self, pid: i32) {
        if let Some(identity) = self.by_pid.get_mut(&pid) {
            for slot in [identity.file_server.take(), identity.socket_server.take()]
                .into_iter()
                .flatten()
            {
                revoke_and_delete(slot);
            }
        }
    }

    /// Whether `pid` is privileged (effective uid 0).
    pub fn is_privileged(&self, pid: i32) -> bool {
        self.by_pid
            .get(&pid)
            .is_some_and(|identity| identity.credentials.is_privileged())
    }

    /// The process was collected: it no longer counts against its user's `RLIMIT_NPROC`.
    pub fn remove(&mut self, pid: i32) {
        self.ended(pid);
        self.by_pid.remove(&pid);
    }

    /// Mints a capability badged with `credentials`' effective ids and grants it into
    /// `environment`'s [`FILE_SERVER_SLOT`]. `None` when there is no file service, or the slot
    /// is taken (a process whose LibOS filled it does without).
    fn grant_file_server(&self, environment: Slot, credentials: &Credentials) -> Option<Slot> {
        let badge = badge_for(credentials.user.effective, credentials.group.effective);
        crate::mint_and_grant(self.file_service?, badge, environment, FILE_SERVER_SLOT)
    }

    /// Mints a socket-server capability badged `SOCKET_PROCESS_MARK | pid` and grants it into
    /// `environment`'s `SOCKET_SERVER` slot. `None` without a socket service or when the slot
    /// is taken.
    fn grant_socket_server(&self, environment: Slot, pid: i32) -> Option<Slot> {
        let badge = SOCKET_PROCESS_MARK | u64::from(pid.unsigned_abs());
        crate::mint_and_grant(self.socket_service?, badge, environment, SOCKET_SERVER)
    }

    /// `PEER_IDENTITY`: a live process's effective and real ids.
    fn peer_identity(&self, pid: u64) -> Result<[u64; 3], Errno> {
        let pid = i32::try_from(pid).map_err(|_| Errno::ESRCH)?;
        let identity = self.by_pid.get(&pid).ok_or(Errno::ESRCH)?;
        // A process that ended is no one's peer any more.
        if identity.socket_server.is_none() && identity.file_server.is_none() {
            return Err(Errno::ESRCH);
        }
        let credentials = identity.credentials;
        Ok([
            0,
            u64::from(credentials.user.effective) | u64::from(credentials.group.effective) << 32,
            u64::from(credentials.user.real) | u64::from(credentials.group.real) << 32,
        ])
    }

    /// Handles the credential and limit operations for `caller` (whose environment the server
    /// holds at `environment`). Returns the reply words and whether `arrived` was kept.
    pub fn handle(
        &mut self,
        caller: i32,
        environment: Slot,
        words: [u64; 3],
        arrived: Option<Slot>,
    ) -> ([u64; 3], bool) {
        let operation = words[0] & 0xff;
        if operation == protocol::FILE_SERVICE {
            return match (caller, arrived, self.file_service) {
                (protocol::INIT_PID, Some(slot), None) => {
                    self.file_service = Some(slot);
                    ([0, 0, 0], true)
                }
                (protocol::INIT_PID, None, None) => (error(Errno::EINVAL), false),
                _ => (error(Errno::EPERM), false),
            };
        }
        if operation == protocol::SOCKET_SERVICE {
            return match (caller, arrived, self.socket_service) {
                (protocol::INIT_PID, Some(slot), None) => {
                    self.socket_service = Some(slot);
                    ([0, 0, 0], true)
                }
                (protocol::INIT_PID, None, None) => (error(Errno::EINVAL), false),
                _ => (error(Errno::EPERM), false),
            };
        }
        if operation == protocol::PEER_IDENTITY {
            return (self.peer_identity(words[1]).unwrap_or_else(error), false);
        }
        let result = match operation {
            protocol::CREDENTIALS => self.credentials(caller, words[1]),
            protocol::CHANGE_IDS => self.change_ids(caller, environment, words),
            protocol::SET_ID_PROGRAM => {
                let outcome = self.executed(caller, environment, set_id_request(words));
                Ok([0, 0, outcome_word(outcome)])
            }
            protocol::SUPPLEMENTARY_GROUPS => self.supplementary_groups(caller, words[1]),
            protocol::SET_SUPPLEMENTARY_GROUPS => self.set_supplementary_groups(caller, words),
            protocol::LIMIT => self.limit(caller, words[1]),
            protocol::SET_LIMIT => self.set_limit(caller, words),
            protocol::CHILD_TIMES => self.identity(caller).map(|identity| {
                let (user, system) = if words[1] == 1 {
                    identity.last_child_time
                } else {
                    identity.children_time
                };
                [0, user, system]
            }),
            _ => Err(Errno::ENOSYS),
        };
        (result.unwrap_or_else(error), false)
    }

    /// `pid`'s user ids (or with `groups` its group ids), packed as `CREDENTIALS` answers them.
    ///
    /// # Errors
    /// `ESRCH` when the server holds no identity for `pid`.
    pub fn ids_of(&self, pid: i32, groups: bool) -> Result<[u64; 3], Errno> {
        let credentials = self.by_pid.get(&pid).ok_or(Errno::ESRCH)?.credentials;
        Ok(pack(if groups {
            credentials.group
        } else {
            credentials.user
        }))
    }

    /// The processor time (user, system nanoseconds) of `pid`'s collected children.
    pub fn children_time(&self, pid: i32) -> (u64, u64) {
        self.by_pid
            .get(&pid)
            .map_or((0, 0), |identity| identity.children_time)
    }

    fn identity(&mut self, pid: i32) -> Result<&mut Identity, Errno> {
        self.by_pid.get_mut(&pid).ok_or(Errno::ESRCH)
    }

    fn credentials(&mut self, caller: i32, which: u64) -> Result<[u64; 3], Errno> {
        let credentials = self.identity(caller)?.credentials;
        match which {
            protocol::USERS => Ok(pack(credentials.user)),
            protocol::GROUPS => Ok(pack(credentials.group)),
            _ => Err(Errno::EINVAL),
        }
    }

    fn change_ids(
        &mut self,
        caller: i32,
        environment: Slot,
        words: [u64; 3],
    ) -> Result<[u64; 3], Errno> {
        let id = |word: u64| u32::try_from(word & 0xffff_ffff).unwrap_or(UNCHANGED);
        let (first, second, third) = (id(words[1]), id(words[1] >> 32), id(words[2]));
        let change = match (words[0] >> 8) & 0xff {
            protocol::SET_ID => IdChange::Set(first),
            protocol::SET_REAL_EFFECTIVE => IdChange::SetRealEffective(first, second),
            protocol::SET_ALL => IdChange::SetAll(first, second, third),
            _ => return Err(Errno::EINVAL),
        };
        let groups = match (words[0] >> 16) & 0xff {
            protocol::USERS => false,
            protocol::GROUPS => true,
            _ => return Err(Errno::EINVAL),
        };
        let identity = self.identity(caller)?;
        let before = identity.credentials;
        let mut after = before;
        if groups {
            after.change_groups(change).map_err(id_errno)?;
        } else {
            after.change_users(change).map_err(id_errno)?;
        }
        identity.credentials = after;
        self.follow_effective_ids(caller, environment, &before, &after);
        Ok(pack(if groups { after.group } else { after.user }))
    }

    /// `EXECUTED`'s part: the ids across `execve` of a file whose set-user-id and set-group-id
    /// bits, owner and group the caller's LibOS reports in `request`. The rule
    /// (`Credentials::execute`) honours only ids the caller could have taken itself, so a LibOS
    /// that lies about the file gains nothing.
    pub fn executed(
        &mut self,
        caller: i32,
        environment: Slot,
        request: SetIdRequest,
    ) -> ExecOutcome {
        let Ok(identity) = self.identity(caller) else {
            return ExecOutcome::default();
        };
        let before = identity.credentials;
        let outcome = identity.credentials.execute(request);
        let after = identity.credentials;
        self.follow_effective_ids(caller, environment, &before, &after);
        outcome
    }

    /// After `caller`'s credentials went from `before` to `after`: when an effective id
    /// changed, its file-server and socket-server capabilities are replaced (revoking the old
    /// ones, with every copy made of them) by ones badged for the new ids.
    fn follow_effective_ids(
        &mut self,
        caller: i32,
        environment: Slot,
        before: &Credentials,
        after: &Credentials,
    ) {
        let Ok(identity) = self.identity(caller) else {
            return;
        };
        let changed = after.user.effective != before.user.effective
            || after.group.effective != before.group.effective;
        let (old, old_socket) = if changed {
            (identity.file_server.take(), identity.socket_server.take())
        } else {
            (None, None)
        };
        if let Some(old) = old {
            // Every copy the process (or anything it gave it to) holds goes with it.
            revoke_and_delete(old);
            let new = self.grant_file_server(environment, after);
            if let Ok(identity) = self.identity(caller) {
                identity.file_server = new;
            }
        }
        if let Some(old) = old_socket {
            // The same for the socket server's: what was delegated under the old ids goes.
            revoke_and_delete(old);
            let new = self.grant_socket_server(environment, caller);
            if let Ok(identity) = self.identity(caller) {
                identity.socket_server = new;
            }
        }
    }

    fn supplementary_groups(&mut self, caller: i32, index: u64) -> Result<[u64; 3], Errno> {
        let credentials = self.identity(caller)?.credentials;
        let groups = credentials.groups();
        let at = |offset: u64| {
            usize::try_from(index.saturating_add(offset))
                .ok()
                .and_then(|index| groups.get(index))
                .map_or(0, |&group| u64::from(group))
        };
        Ok([0, groups.len() as u64, at(0) | (at(1) << 32)])
    }

    fn set_supplementary_groups(
        &mut self,
        caller: i32,
        words: [u64; 3],
    ) -> Result<[u64; 3], Errno> {
        let identity = self.identity(caller)?;
        if !identity.credentials.is_privileged() {
            return Err(Errno::EPERM);
        }
        let count = (words[1] & 0xffff_ffff) as usize;
        let index = (words[1] >> 32) as usize;
        if count > credentials::user_ids::MAXIMUM_GROUPS {
            return Err(Errno::EINVAL);
        }
        if index == 0 {
            identity.pending_groups.clear();
        }
        if index != identity.pending_groups.len() || (count > 0 && index >= count) {
            identity.pending_groups.clear();
            return Err(Errno::EINVAL);
        }
        for (offset, group) in [words[2] as u32, (words[2] >> 32) as u32]
            .into_iter()
            .enumerate()
        {
            if index + offset < count {
                identity.pending_groups.push(group);
            }
        }
        if identity.pending_groups.len() >= count {
            let groups = core::mem::take(&mut identity.pending_groups);
            identity.credentials.set_groups(&groups).map_err(id_errno)?;
        }
        Ok([0, 0, 0])
    }

    fn limit(&mut self, caller: i32, resource: u64) -> Result<[u64; 3], Errno> {
        let resource = u32::try_from(resource).map_err(|_| Errno::EINVAL)?;
        let limit = self
            .identity(caller)?
            .limits
            .get(resource)
            .map_err(limit_errno)?;
        Ok([0, limit.soft, limit.hard])
    }

    fn set_limit(&mut self, caller: i32, words: [u64; 3]) -> Result<[u64; 3], Errno> {
        let resource = ((words[0] >> 8) & 0xff) as u32;
        let identity = self.identity(caller)?;
        let privileged = identity.credentials.is_privileged();
        identity
            .limits
            .set(
                resource,
                Limit {
                    soft: words[1],
                    hard: words[2],
                },
                privileged,
            )
            .map_err(limit_errno)?;
        Ok([0, 0, 0])
    }
}

/// The set-ID request of `EXECUTED` or `SET_ID_PROGRAM`: word 0's flags, word 2's
/// `owner | group << 32`.
pub fn set_id_request(words: [u64; 3]) -> SetIdRequest {
    SetIdRequest {
        user: (words[0] & protocol::EXEC_SET_USER_ID != 0).then_some(words[2] as u32),
        group: (words[0] & protocol::EXEC_SET_GROUP_ID != 0).then_some((words[2] >> 32) as u32),
    }
}

/// The reply word saying what a set-ID request did.
pub fn outcome_word(outcome: ExecOutcome) -> u64 {
    let mut word = 0;
    if outcome.honoured {
        word |= protocol::EXEC_HONOURED;
    }
    if outcome.changed {
        word |= protocol::EXEC_IDS_CHANGED;
    }
    word
}

fn error(errno: Errno) -> [u64; 3] {
    [errno.as_raw() as u64, 0, 0]
}

fn revoke_and_delete(slot: Slot) {
    let _ = call(Call::CapabilityRevoke { slot });
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}
