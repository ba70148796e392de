//! Resource limits (`getrlimit`/`setrlimit`/`prlimit64`) as the process server keeps them per
//! process: the resources this system enforces, their defaults and the rule for changing them.
//!
//! Enforced: `RLIMIT_NOFILE` (the LibOS's descriptor table), `RLIMIT_NPROC` (the process server,
//! per real user id, when a child is registered) and `RLIMIT_AS` (the LibOS's memory calls). Any
//! other resource is refused with `Unsupported` rather than accepted and ignored.

/// No limit (`RLIM_INFINITY`).
pub const INFINITY: u64 = u64::MAX;

/// Linux's `RLIMIT_NPROC` number.
pub const PROCESSES: u32 = 6;
/// Linux's `RLIMIT_NOFILE` number.
pub const DESCRIPTORS: u32 = 7;
/// Linux's `RLIMIT_AS` number.
pub const ADDRESS_SPACE: u32 = 9;

/// The highest `RLIMIT_NOFILE` anyone may set (Linux's `nr_open` plays this part): the LibOS's
/// descriptor table grows up to it.
pub const MAXIMUM_DESCRIPTORS: u64 = 4096;
/// The default number of processes per real user id.
pub const DEFAULT_PROCESSES: u64 = 512;

/// A soft and a hard limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Enforced.
    pub soft: u64,
    /// The ceiling for the soft limit; only a privileged process may raise it.
    pub hard: u64,
}

/// Why a limit could not be read or changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitError {
    /// Not a resource this system enforces (`EINVAL`).
    Unsupported,
    /// The soft limit is above the hard one (`EINVAL`).
    SoftAboveHard,
    /// Raising the hard limit needs privilege, or the value is above the system's ceiling
    /// (`EPERM`).
    NotPermitted,
}

/// The limits of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    descriptors: Limit,
    processes: Limit,
    address_space: Limit,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            descriptors: Limit {
                soft: 1024,
                hard: MAXIMUM_DESCRIPTORS,
            },
            processes: Limit {
                soft: DEFAULT_PROCESSES,
                hard: DEFAULT_PROCESSES,
            },
            address_space: Limit {
                soft: INFINITY,
                hard: INFINITY,
            },
        }
    }
}

impl Limits {
    /// The limit of `resource`.
    ///
    /// # Errors
    /// `Unsupported` for a resource this system does not enforce.
    pub fn get(&self, resource: u32) -> Result<Limit, LimitError> {
        match resource {
            DESCRIPTORS => Ok(self.descriptors),
            PROCESSES => Ok(self.processes),
            ADDRESS_SPACE => Ok(self.address_space),
            _ => Err(LimitError::Unsupported),
        }
    }

    /// Sets the limit of `resource`: the soft limit at most the hard one; raising the hard limit
    /// needs `privileged`; `RLIMIT_NOFILE` at most [`MAXIMUM_DESCRIPTORS`] for anyone.
    ///
    /// # Errors
    /// [`LimitError`].
    pub fn set(&mut self, resource: u32, new: Limit, privileged: bool) -> Result<(), LimitError> {
        let current = self.get(resource)?;
        if new.soft > new.hard {
            return Err(LimitError::SoftAboveHard);
        }
        if new.hard > current.hard && !privileged {
            return Err(LimitError::NotPermitted);
        }
        if resource == DESCRIPTORS && new.hard > MAXIMUM_DESCRIPTORS {
            return Err(LimitError::NotPermitted);
        }
        match resource {
            DESCRIPTORS => self.descriptors = new,
            PROCESSES => self.processes = new,
            _ => self.address_space = new,
        }
        Ok(())
    }

    /// Whether a user already running `running` processes may start one more under these
    /// limits (a privileged process is not bound by `RLIMIT_NPROC`, as on Linux).
    #[must_use]
    pub fn may_start_process(&self, running: u64, privileged: bool) -> bool {
        privileged || running < self.processes.soft
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_linux_like() {
        let limits = Limits::default();
        assert_eq!(limits.get(DESCRIPTORS).unwrap().soft, 1024);
        assert_eq!(limits.get(ADDRESS_SPACE).unwrap().hard, INFINITY);
        assert_eq!(limits.get(0), Err(LimitError::Unsupported));
        assert_eq!(limits.get(16), Err(LimitError::Unsupported));
    }

    #[test]
    fn lowering_is_free_raising_the_hard_limit_needs_privilege() {
        let mut limits = Limits::default();
        let low = Limit { soft: 10, hard: 20 };
        limits.set(PROCESSES, low, false).unwrap();
        assert_eq!(limits.get(PROCESSES), Ok(low));
        // The soft limit may move up to the hard one.
        limits
            .set(PROCESSES, Limit { soft: 20, hard: 20 }, false)
            .unwrap();
        assert_eq!(
            limits.set(PROCESSES, Limit { soft: 20, hard: 21 }, false),
            Err(LimitError::NotPermitted)
        );
        limits
            .set(PROCESSES, Limit { soft: 20, hard: 21 }, true)
            .unwrap();
        assert_eq!(
            limits.set(PROCESSES, Limit { soft: 22, hard: 21 }, true),
            Err(LimitError::SoftAboveHard)
        );
    }

    #[test]
    fn descriptors_have_a_ceiling_even_for_the_superuser() {
        let mut limits = Limits::default();
        let above = Limit {
            soft: 10,
            hard: MAXIMUM_DESCRIPTORS + 1,
        };
        assert_eq!(
            limits.set(DESCRIPTORS, above, true),
            Err(LimitError::NotPermitted)
        );
        assert_eq!(limits.set(7, Limit { soft: 1, hard: 1 }, false), Ok(()));
    }

    #[test]
    fn process_limit_counts_the_running_ones() {
        let mut limits = Limits::default();
        limits
            .set(PROCESSES, Limit { soft: 3, hard: 3 }, false)
            .unwrap();
        assert!(limits.may_start_process(2, false));
        assert!(!limits.may_start_process(3, false));
        assert!(limits.may_start_process(3, true));
    }
}
