//! User and group ids (real, effective, saved), supplementary groups, the POSIX rules for
//! changing them (`setuid`, `setreuid`, `setresuid` and their group twins, `setgroups`) and for
//! signalling another process (`kill`).
//!
//! "Privileged" means an effective user id of 0, as on Linux without capabilities: it may set
//! any id; an unprivileged process may only move among the ids it already holds.

/// The most supplementary groups a process holds (Linux allows 65,536; this system keeps them
/// in a fixed table per process in the process server).
pub const MAXIMUM_GROUPS: usize = 32;

/// The id a caller passes for "leave this one unchanged" (`(uid_t)-1`).
pub const UNCHANGED: u32 = u32::MAX;

/// A real, an effective and a saved id (of users or of groups).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IdTriple {
    /// Who the process is: decides whom it may signal, and whose process count it uses.
    pub real: u32,
    /// What it acts as: file access, privilege.
    pub effective: u32,
    /// What it may switch its effective id back to.
    pub saved: u32,
}

impl IdTriple {
    /// All three ids equal to `id`.
    #[must_use]
    pub const fn all(id: u32) -> Self {
        Self {
            real: id,
            effective: id,
            saved: id,
        }
    }

    /// Whether `id` is one of the three.
    #[must_use]
    pub fn holds(&self, id: u32) -> bool {
        id == self.real || id == self.effective || id == self.saved
    }
}

/// One of the calls that change a triple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdChange {
    /// `setuid`/`setgid`.
    Set(u32),
    /// `setreuid`/`setregid` (real, effective; [`UNCHANGED`] leaves one as it is).
    SetRealEffective(u32, u32),
    /// `setresuid`/`setresgid` (real, effective, saved; [`UNCHANGED`] leaves one as it is).
    SetAll(u32, u32, u32),
}

/// Why a change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdError {
    /// Not allowed to an unprivileged process (`EPERM`).
    NotPermitted,
    /// Not a valid id or group list (`EINVAL`).
    Invalid,
}

/// The credentials of a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// User ids.
    pub user: IdTriple,
    /// Group ids.
    pub group: IdTriple,
    groups: [u32; MAXIMUM_GROUPS],
    group_count: usize,
}

impl Credentials {
    /// The superuser's: every id 0, no supplementary groups.
    pub const ROOT: Self = Self::of(0, 0);

    /// Every user id `user`, every group id `group`, no supplementary groups.
    #[must_use]
    pub const fn of(user: u32, group: u32) -> Self {
        Self {
            user: IdTriple::all(user),
            group: IdTriple::all(group),
            groups: [0; MAXIMUM_GROUPS],
            group_count: 0,
        }
    }

    /// Whether the process is privileged (effective user id 0).
    #[must_use]
    pub fn is_privileged(&self) -> bool {
        self.user.effective == 0
    }

    /// The supplementary groups.
    #[must_use]
    pub fn groups(&self) -> &[u32] {
        &self.groups[..self.group_count]
    }

    /// Applies a change of the user ids with the POSIX (Linux) rules.
    ///
    /// # Errors
    /// `Invalid` for `setuid(-1)`; `NotPermitted` when an unprivileged process asks for an id it
    /// does not hold (see [`change_triple`]).
    pub fn change_users(&mut self, change: IdChange) -> Result<(), IdError> {
        let privileged = self.is_privileged();
        self.user = change_triple(self.user, change, privileged)?;
        Ok(())
    }

    /// Applies a change of the group ids (privilege is still the effective *user* id's).
    ///
    /// # Errors
    /// As [`Credentials::change_users`].
    pub fn change_groups(&mut self, change: IdChange) -> Result<(), IdError> {
        let privileged = self.is_privileged();
        self.group = change_triple(self.group, change, privileged)?;
        Ok(())
    }

    /// `setgroups`: replaces the supplementary groups.
    ///
    /// # Errors
    /// `NotPermitted` when unprivileged; `Invalid` for more than [`MAXIMUM_GROUPS`] or a group
    /// id of `-1`.
    pub fn set_groups(&mut self, groups: &[u32]) -> Result<(), IdError> {
        if !self.is_privileged() {
            return Err(IdError::NotPermitted);
        }
        if groups.len() > MAXIMUM_GROUPS || groups.contains(&UNCHANGED) {
            return Err(IdError::Invalid);
        }
        self.groups[..groups.len()].copy_from_slice(groups);
        self.group_count = groups.len();
        Ok(())
    }
}

/// What `execve` of a set-user-id or set-group-id file asks for: the file's owner and group
/// when the mode bits say so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetIdRequest {
    /// The file's owner, when it has `S_ISUID`.
    pub user: Option<u32>,
    /// The file's group, when it has `S_ISGID` and group execute (Linux's rule: without group
    /// execute the bit means mandatory locking, not set-group-id).
    pub group: Option<u32>,
}

/// What [`Credentials::execute`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecOutcome {
    /// The request was honoured (the effective ids are the file's).
    pub honoured: bool,
    /// Some id changed (an effective one, or a saved one following it).
    pub changed: bool,
}

impl Credentials {
    /// The ids across `execve` (Linux's `bprm_fill_uid` and `commit_creds`): a set-user-id file
    /// makes its owner the effective user id, a set-group-id one its group the effective group
    /// id; the real ids stay; then the saved ids become the effective ones, for every exec.
    ///
    /// The request is honoured only when the process could have taken those ids itself: it is
    /// privileged, or each requested id is one of its real, effective or saved ids (of the same
    /// kind). A request beyond that — a real raise, such as an unprivileged user running a
    /// set-user-id-root program — is not honoured (the exec goes on with the ids as they are,
    /// as Linux does on a `nosuid` mount): `execve` is done in place by the process's own LibOS,
    /// and whatever held a capability to the old image would keep control of the new one
    /// (docs/process-server.md). Within that reach, whoever controls the image gains nothing it
    /// could not have had by making the old image call `setresuid`.
    pub fn execute(&mut self, request: SetIdRequest) -> ExecOutcome {
        let before = *self;
        // `(uid_t)-1` is nobody's id: a request naming it is refused whoever asks.
        let valid = request.user != Some(UNCHANGED) && request.group != Some(UNCHANGED);
        let within_reach = valid
            && (self.is_privileged()
                || (request.user.is_none_or(|id| self.user.holds(id))
                    && request.group.is_none_or(|id| self.group.holds(id))));
        let honoured = within_reach && (request.user.is_some() || request.group.is_some());
        if within_reach {
            self.user.effective = request.user.unwrap_or(self.user.effective);
            self.group.effective = request.group.unwrap_or(self.group.effective);
        }
        self.user.saved = self.user.effective;
        self.group.saved = self.group.effective;
        ExecOutcome {
            honoured,
            changed: *self != before,
        }
    }
}

/// The triple after `change`, or why not.
///
/// - `Set(id)`: privileged, all three become `id`; else the effective id becomes `id` if it is
///   the real or the saved one.
/// - `SetRealEffective(r, e)`: unprivileged, `r` must be the real or effective id and `e` one of
///   the three; the saved id becomes the new effective one when the real id is set, or the
///   effective one is set to something other than the old real id.
/// - `SetAll(r, e, s)`: unprivileged, each given id must be one of the three.
///
/// # Errors
/// `Invalid` for `Set(UNCHANGED)`; `NotPermitted` as above.
pub fn change_triple(
    current: IdTriple,
    change: IdChange,
    privileged: bool,
) -> Result<IdTriple, IdError> {
    let given = |id: u32| (id != UNCHANGED).then_some(id);
    match change {
        IdChange::Set(UNCHANGED) => Err(IdError::Invalid),
        IdChange::Set(id) if privileged => Ok(IdTriple::all(id)),
        IdChange::Set(id) if id == current.real || id == current.saved => Ok(IdTriple {
            effective: id,
            ..current
        }),
        IdChange::Set(_) => Err(IdError::NotPermitted),
        IdChange::SetRealEffective(real, effective) => {
            let (real, effective) = (given(real), given(effective));
            if !privileged {
                if real.is_some_and(|id| id != current.real && id != current.effective) {
                    return Err(IdError::NotPermitted);
                }
                if effective.is_some_and(|id| !current.holds(id)) {
                    return Err(IdError::NotPermitted);
                }
            }
            let mut next = current;
            next.real = real.unwrap_or(current.real);
            next.effective = effective.unwrap_or(current.effective);
            if real.is_some() || effective.is_some_and(|id| id != current.real) {
                next.saved = next.effective;
            }
            Ok(next)
        }
        IdChange::SetAll(real, effective, saved) => {
            let ids = [given(real), given(effective), given(saved)];
            if !privileged && ids.iter().flatten().any(|&id| !current.holds(id)) {
                return Err(IdError::NotPermitted);
            }
            Ok(IdTriple {
                real: ids[0].unwrap_or(current.real),
                effective: ids[1].unwrap_or(current.effective),
                saved: ids[2].unwrap_or(current.saved),
            })
        }
    }
}

/// Whether `sender` may signal `target` (POSIX `kill`): it is privileged, or its real or
/// effective user id is the target's real or saved user id.
#[must_use]
pub fn may_signal(sender: &Credentials, target: &Credentials) -> bool {
    sender.is_privileged()
        || [sender.user.real, sender.user.effective]
            .iter()
            .any(|&id| id == target.user.real || id == target.user.saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: u32 = 1000;
    const OTHER: u32 = 1001;

    fn triple(real: u32, effective: u32, saved: u32) -> IdTriple {
        IdTriple {
            real,
            effective,
            saved,
        }
    }

    #[test]
    fn privileged_setuid_sets_all_three() {
        let mut root = Credentials::ROOT;
        root.change_users(IdChange::Set(USER)).unwrap();
        assert_eq!(root.user, IdTriple::all(USER));
        // And the privilege is gone for good.
        assert_eq!(
            root.change_users(IdChange::Set(0)),
            Err(IdError::NotPermitted)
        );
    }

    #[test]
    fn unprivileged_setuid_moves_only_the_effective_id_among_held_ones() {
        let current = triple(USER, OTHER, 0);
        assert_eq!(
            change_triple(current, IdChange::Set(0), false),
            Ok(triple(USER, 0, 0))
        );
        assert_eq!(
            change_triple(current, IdChange::Set(USER), false),
            Ok(triple(USER, USER, 0))
        );
        assert_eq!(
            change_triple(IdTriple::all(USER), IdChange::Set(OTHER), false),
            Err(IdError::NotPermitted)
        );
        assert_eq!(
            change_triple(current, IdChange::Set(UNCHANGED), true),
            Err(IdError::Invalid)
        );
    }

    #[test]
    fn a_set_user_id_program_can_drop_and_regain_its_effective_id() {
        // Real USER, effective and saved 0 (as after exec of a set-user-id-root program).
        let mut credentials = Credentials::of(USER, USER);
        credentials.user = triple(USER, 0, 0);
        credentials
            .change_users(IdChange::SetAll(UNCHANGED, USER, UNCHANGED))
            .unwrap();
        assert_eq!(credentials.user, triple(USER, USER, 0));
        credentials
            .change_users(IdChange::SetAll(UNCHANGED, 0, UNCHANGED))
            .unwrap();
        assert_eq!(credentials.user, triple(USER, 0, 0));
    }

    #[test]
    fn setreuid_rules() {
        let current = triple(USER, OTHER, 7);
        // Swapping real and effective is allowed and saves the new effective id.
        assert_eq!(
            change_triple(current, IdChange::SetRealEffective(OTHER, USER), false),
            Ok(triple(OTHER, USER, USER))
        );
        // The saved id may become effective; the real one is untouched, the saved one follows.
        assert_eq!(
            change_triple(current, IdChange::SetRealEffective(UNCHANGED, 7), false),
            Ok(triple(USER, 7, 7))
        );
        // Setting the effective id back to the real one keeps the saved id.
        assert_eq!(
            change_triple(current, IdChange::SetRealEffective(UNCHANGED, USER), false),
            Ok(triple(USER, USER, 7))
        );
        // The real id may not become the saved one without privilege.
        assert_eq!(
            change_triple(current, IdChange::SetRealEffective(7, UNCHANGED), false),
            Err(IdError::NotPermitted)
        );
        assert_eq!(
            change_triple(current, IdChange::SetRealEffective(UNCHANGED, 99), false),
            Err(IdError::NotPermitted)
        );
        assert_eq!(
            change_triple(current, IdChange::SetRealEffective(5, 6), true),
            Ok(triple(5, 6, 6))
        );
        assert_eq!(
            change_triple(
                current,
                IdChange::SetRealEffective(UNCHANGED, UNCHANGED),
                false
            ),
            Ok(current)
        );
    }

    #[test]
    fn setresuid_rules() {
        let current = triple(USER, OTHER, 7);
        assert_eq!(
            change_triple(current, IdChange::SetAll(7, USER, OTHER), false),
            Ok(triple(7, USER, OTHER))
        );
        assert_eq!(
            change_triple(current, IdChange::SetAll(UNCHANGED, 8, UNCHANGED), false),
            Err(IdError::NotPermitted)
        );
        assert_eq!(
            change_triple(current, IdChange::SetAll(1, 2, 3), true),
            Ok(triple(1, 2, 3))
        );
    }

    #[test]
    fn group_changes_need_the_effective_user_id_for_privilege() {
        let mut credentials = Credentials::of(USER, USER);
        assert_eq!(
            credentials.change_groups(IdChange::Set(0)),
            Err(IdError::NotPermitted)
        );
        let mut root = Credentials::ROOT;
        root.change_groups(IdChange::Set(USER)).unwrap();
        assert_eq!(root.group, IdTriple::all(USER));
        assert!(root.is_privileged());
    }

    #[test]
    fn setgroups_needs_privilege_and_a_bounded_list() {
        let mut root = Credentials::ROOT;
        root.set_groups(&[4, 5, 6]).unwrap();
        assert_eq!(root.groups(), &[4, 5, 6]);
        assert_eq!(
            root.set_groups(&[0; MAXIMUM_GROUPS + 1]),
            Err(IdError::Invalid)
        );
        assert_eq!(root.set_groups(&[UNCHANGED]), Err(IdError::Invalid));
        root.set_groups(&[]).unwrap();
        assert!(root.groups().is_empty());
        let mut user = Credentials::of(USER, USER);
        assert_eq!(user.set_groups(&[1]), Err(IdError::NotPermitted));
    }

    fn set_user(id: u32) -> SetIdRequest {
        SetIdRequest {
            user: Some(id),
            group: None,
        }
    }

    #[test]
    fn exec_saves_the_effective_ids() {
        let mut credentials = Credentials::of(USER, USER);
        credentials.user = triple(USER, OTHER, 0);
        credentials.group = triple(USER, OTHER, 7);
        let outcome = credentials.execute(SetIdRequest::default());
        assert_eq!(credentials.user, triple(USER, OTHER, OTHER));
        assert_eq!(credentials.group, triple(USER, OTHER, OTHER));
        assert_eq!(
            outcome,
            ExecOutcome {
                honoured: false,
                changed: true
            }
        );
        // Nothing to change the second time.
        assert!(!credentials.execute(SetIdRequest::default()).changed);
    }

    #[test]
    fn root_running_a_set_user_id_file_takes_its_owner_as_effective_and_saved() {
        let mut root = Credentials::ROOT;
        assert!(!root.execute(set_user(UNCHANGED)).honoured);
        assert_eq!(root, Credentials::ROOT);
        let outcome = root.execute(SetIdRequest {
            user: Some(USER),
            group: Some(OTHER),
        });
        assert!(outcome.honoured && outcome.changed);
        assert_eq!(root.user, triple(0, USER, USER));
        assert_eq!(root.group, triple(0, OTHER, OTHER));
    }

    #[test]
    fn a_set_id_request_within_reach_is_honoured() {
        // A set-user-id-root program that set its effective id to the real one keeps root in
        // its saved id: running another set-user-id-root program gives it back.
        let mut credentials = Credentials::of(USER, USER);
        credentials.user = triple(USER, USER, 0);
        assert!(credentials.execute(set_user(0)).honoured);
        assert_eq!(credentials.user, triple(USER, 0, 0));
        // Its own id is always within reach.
        let mut user = Credentials::of(USER, USER);
        let outcome = user.execute(set_user(USER));
        assert!(outcome.honoured && !outcome.changed);
    }

    #[test]
    fn a_raise_beyond_reach_is_not_honoured() {
        let mut user = Credentials::of(USER, USER);
        let outcome = user.execute(set_user(0));
        assert_eq!(outcome, ExecOutcome::default());
        assert_eq!(user, Credentials::of(USER, USER));
        // Nor half of one: the group is held, the user is not.
        let outcome = user.execute(SetIdRequest {
            user: Some(OTHER),
            group: Some(USER),
        });
        assert!(!outcome.honoured);
        assert_eq!(user, Credentials::of(USER, USER));
        // A set-group-id file of a group held only as a supplementary group is out of reach
        // too (setresgid could not take it either).
        let mut member = Credentials::ROOT;
        member.set_groups(&[OTHER]).unwrap();
        member.change_groups(IdChange::Set(USER)).unwrap();
        member.change_users(IdChange::Set(USER)).unwrap();
        assert_eq!(member.group, IdTriple::all(USER));
        assert!(
            !member
                .execute(SetIdRequest {
                    user: None,
                    group: Some(OTHER)
                })
                .honoured
        );
    }

    #[test]
    fn kill_permission_follows_real_and_saved_ids() {
        let root = Credentials::ROOT;
        let user = Credentials::of(USER, USER);
        let other = Credentials::of(OTHER, OTHER);
        assert!(may_signal(&root, &user));
        assert!(may_signal(&user, &user));
        assert!(!may_signal(&user, &other));
        assert!(!may_signal(&user, &root));
        // The sender's effective id matching the target's saved id is enough.
        let mut set_user_id = Credentials::of(OTHER, OTHER);
        set_user_id.user = triple(OTHER, OTHER, USER);
        assert!(may_signal(&user, &set_user_id));
        // The target's effective id alone is not.
        let mut effective_only = Credentials::of(OTHER, OTHER);
        effective_only.user = triple(OTHER, USER, OTHER);
        assert!(!may_signal(&user, &effective_only));
        // The sender's real id counts too.
        let mut sender = Credentials::of(OTHER, OTHER);
        sender.user = triple(USER, OTHER, OTHER);
        assert!(may_signal(&sender, &user));
    }
}
