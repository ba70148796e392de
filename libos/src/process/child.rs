//! A started program or thread: its capabilities, waiting for its end, and reaping it.

use alloc::vec::Vec;

use exokernel_abi::{Call, EnvironmentState, KernelError, Slot};

use crate::kernel::call;
use crate::slots;

/// Children handed to the LibOS with [`Child::adopt`], by pid: [`super::identity::wait4`]
/// releases one when it collects it.
static ADOPTED: spin::Mutex<alloc::collections::BTreeMap<i32, Child>> =
    spin::Mutex::new(alloc::collections::BTreeMap::new());

/// Quotas of collected children kept while processes made from them live (orphans, now
/// init's), by the child's pid: the process server says when each may be revoked
/// (`protocol::QUOTA_KEPT`, `protocol::LINGER_RELEASED`).
static KEPT_QUOTAS: spin::Mutex<alloc::collections::BTreeMap<i32, Slot>> =
    spin::Mutex::new(alloc::collections::BTreeMap::new());

/// The slots every adopted child and kept quota occupies (fork does not copy them into a new
/// child).
pub(super) fn adopted_slots() -> Vec<Slot> {
    let mut slots: Vec<Slot> = ADOPTED.lock().values().flat_map(Child::slots).collect();
    slots.extend(KEPT_QUOTAS.lock().values().copied());
    slots
}

/// In a new child of `fork`: the adopted children are the parent's, their slots empty here.
pub(super) fn forget_adopted_after_fork() {
    let adopted = core::mem::take(&mut *ADOPTED.lock());
    for child in adopted.into_values() {
        for slot in child.slots() {
            slots::free(slot);
        }
    }
    for slot in core::mem::take(&mut *KEPT_QUOTAS.lock()).into_values() {
        slots::free(slot);
    }
}

/// Gives back what an adopted child had, once the process server says it is collected; with
/// `keep_quota` (processes made from its quota outlive it) everything but its quota, which
/// is revoked once [`revoke_released_quotas`] hears that they are gone too.
pub(super) fn release_adopted(pid: i32, keep_quota: bool) {
    let child = ADOPTED.lock().remove(&pid);
    if let Some(mut child) = child {
        child.pid = None;
        if keep_quota && let Some(quota) = child.quota.take() {
            KEPT_QUOTAS.lock().insert(pid, quota);
        }
        child.reap();
    }
}

/// Whether `pid` is an adopted child whose environment is runnable (neither blocked, nor
/// stopped, nor ended). Only runnable counts: a process the server ends while it waits for a
/// server's reply stays blocked until that reply, already a zombie.
pub(super) fn adopted_is_runnable(pid: i32) -> bool {
    let Some(environment) = ADOPTED.lock().get(&pid).map(|child| child.environment) else {
        return false;
    };
    call(Call::EnvironmentStatus { environment }).is_ok_and(|status| {
        matches!(
            EnvironmentState::from_code(status[0]),
            Ok(EnvironmentState::Runnable)
        )
    })
}

/// How many collected children's quotas this process keeps for their surviving descendants.
#[must_use]
pub fn kept_quotas() -> usize {
    KEPT_QUOTAS.lock().len()
}

/// Revokes the kept quotas the process server says nothing lives on any more (one IPC per two,
/// none while no quota is kept).
pub(super) fn revoke_released_quotas() {
    while !KEPT_QUOTAS.lock().is_empty() {
        let Ok(released) = super::identity::released_quotas() else {
            return;
        };
        for pid in released.into_iter().filter(|&pid| pid != 0) {
            if let Some(quota) = KEPT_QUOTAS.lock().remove(&pid) {
                let _ = call(Call::CapabilityRevoke { slot: quota });
                release_slot(quota);
            }
        }
        if released.contains(&0) {
            return;
        }
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It exited with this status.
    Exited(u64),
    /// It was killed by an exception.
    Faulted {
        /// The exception vector.
        vector: u64,
        /// The faulting address, for page faults.
        address: u64,
    },
}

/// A started program or thread.
pub struct Child {
    pub(super) environment: Slot,
    pub(super) notification: Slot,
    pub(super) address_space: Option<Slot>,
    pub(super) quota: Option<Slot>,
    pub(super) frames: Vec<Slot>,
    /// The pid the process server gave it, when this process is registered there.
    pub(super) pid: Option<i32>,
}

pub(super) fn take_slot() -> Result<Slot, KernelError> {
    slots::allocate().ok_or(KernelError::OutOfMemory)
}

pub(super) fn release_slot(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

impl Child {
    /// The environment capability's slot.
    #[must_use]
    pub fn environment(&self) -> Slot {
        self.environment
    }

    /// Hands the child to the LibOS as a POSIX child: `wait4` collecting its pid gives back
    /// its memory and slots. Returns the pid, or gives the child back when it has none.
    ///
    /// # Errors
    /// The child itself, when it has no pid (we are not registered with a process server).
    pub fn adopt(self) -> Result<i32, Self> {
        match self.pid {
            Some(pid) => {
                ADOPTED.lock().insert(pid, self);
                Ok(pid)
            }
            None => Err(self),
        }
    }

    /// Every slot of ours this child's capabilities occupy.
    pub(super) fn slots(&self) -> Vec<Slot> {
        let mut slots = alloc::vec![self.environment, self.notification];
        slots.extend(self.address_space);
        slots.extend(self.quota);
        slots.extend(self.frames.iter().copied());
        slots
    }

    /// The pid the process server gave it (`None` for threads and when we are not registered).
    #[must_use]
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }

    /// Waits until the child ends (or `timeout` nanoseconds pass; 0 = forever).
    ///
    /// # Errors
    /// `TimedOut`, or the kernel's error.
    pub fn wait(&self, timeout: u64) -> Result<Ending, KernelError> {
        loop {
            let status = call(Call::EnvironmentStatus {
                environment: self.environment,
            })?;
            match EnvironmentState::from_code(status[0])? {
                EnvironmentState::Exited => return Ok(Ending::Exited(status[1])),
                EnvironmentState::Faulted => {
                    return Ok(Ending::Faulted {
                        vector: status[1],
                        address: status[2],
                    });
                }
                _ => {}
            }
            call(Call::NotificationWait {
                notification: self.notification,
                timeout,
            })?;
        }
    }

    /// Stops the child if it still runs and returns everything it had. Its own capabilities to
    /// itself and its address space are copies of ours, so revoking ours ends it for certain.
    pub fn reap(self) {
        let _ = call(Call::EnvironmentStop {
            environment: self.environment,
        });
        let _ = call(Call::CapabilityRevoke {
            slot: self.environment,
        });
        if let Some(pid) = self.pid {
            // Collect its zombie at the process server (ECHILD if `waitpid` already did; the
            // server sees the revoke as an end within a moment, bounded here by two seconds).
            // Polled, so that reaping never costs a subscription (a page of our quota).
            let deadline = crate::kernel::clock_nanoseconds() + 2_000_000_000;
            while let Ok((0, _)) = super::identity::wait_for(pid, true, 0) {
                if crate::kernel::clock_nanoseconds() > deadline {
                    break;
                }
                crate::kernel::yield_now();
            }
        }
        // Deleting our environment capability destroys the environment, which queues the
        // teardown of its capability space ahead of the quota's revoke below; that revoke waits
        // for it, so everything the child held (its ends of pipes, say) is gone when this
        // returns. (Revoking only the quota would queue that teardown behind itself.)
        release_slot(self.environment);
        if let Some(quota) = self.quota {
            // Its address space, notification and frames were made from its quota: the
            // revoke takes them, whoever holds capabilities to them (three calls fewer).
            let _ = call(Call::CapabilityRevoke { slot: quota });
            for slot in self
                .frames
                .into_iter()
                .chain(self.address_space)
                .chain([self.notification])
            {
                slots::free(slot);
            }
            release_slot(quota);
            return;
        }
        for frame in self.frames {
            release_slot(frame);
        }
        if let Some(address_space) = self.address_space {
            let _ = call(Call::CapabilityRevoke {
                slot: address_space,
            });
            release_slot(address_space);
        }
        release_slot(self.notification);
    }
}
