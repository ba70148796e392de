//! An environment: an execution context with its saved registers, capability space, address
//! space, exception handler and what it is blocked on.

use exokernel_abi::{EnvironmentState, Slot};
use exokernel_capability::{Charge, SpaceId};

use crate::arch::TrapFrame;

/// The three message words of an IPC.
pub type Message = [u64; 3];

/// What a blocked environment is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockedOn {
    /// Queued on an endpoint to deliver a call.
    Call {
        endpoint: u32,
        badge: u64,
        message: Message,
        transfer: Option<Slot>,
        receive: Option<Slot>,
    },
    /// Waiting for the reply of the server that took its call.
    Reply { server: u32, receive: Option<Slot> },
    /// Queued on an endpoint to receive.
    Receive {
        endpoint: u32,
        receive: Option<Slot>,
    },
    /// Waiting on a notification.
    Notification { notification: u32 },
    /// Waiting on a futex word at this physical address.
    Futex { key: u64 },
}

/// Why an environment ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It called `Exit`.
    Exited { status: u64 },
    /// An exception it could not handle.
    Faulted { vector: u64, address: u64 },
    /// It was destroyed by its controller (its last capability went away).
    Destroyed,
}

/// Where an environment is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    /// Created; never started.
    Created,
    /// On the run queue or running.
    Runnable,
    /// In a blocking call (with an optional deadline in nanoseconds since boot, queued in the
    /// kernel's timer queue).
    Blocked {
        on: BlockedOn,
        deadline: Option<u64>,
    },
    /// Stopped by its controller.
    Stopped,
    /// Ended; kept so its creator can read why.
    Ended(Ending),
}

/// One execution context.
pub struct Environment {
    /// Saved user registers (valid whenever it is not running).
    pub context: TrapFrame,
    /// FS segment base.
    pub fs_base: u64,
    /// GS segment base.
    pub gs_base: u64,
    /// Its capability space.
    pub space: SpaceId,
    /// Its address space's id.
    pub address_space: u32,
    /// Where it is in its life.
    pub life: Life,
    /// Exception handler entry and stack top.
    pub exception_handler: Option<(u64, u64)>,
    /// Whether it is inside its exception handler (a fault there kills it).
    pub in_exception_handler: bool,
    /// Whether its handler also takes foreign system calls (`HandlerOptions`).
    pub foreign_system_calls: bool,
    /// Stopped while waiting for a reply a server already took: it stops when the reply (or
    /// `PeerGone`) arrives instead of becoming runnable.
    pub stop_pending: bool,
    /// The notification and bits signalled when it ends.
    pub exit_notification: Option<(u32, u64)>,
    /// The caller it owes a reply to.
    pub reply_to: Option<u32>,
    /// The quota charge that pays for it (none for `init`).
    pub charge: Option<Charge>,
}

/// Quota pages an environment with `slots` capability slots is charged: its saved state and
/// its slots, rounded up.
#[must_use]
pub fn charge_pages(slots: u64) -> u64 {
    1 + (slots * 64).div_ceil(4096)
}

impl Environment {
    /// The ABI state and the two detail words of `EnvironmentStatus`.
    #[must_use]
    pub fn status(&self) -> (EnvironmentState, u64, u64) {
        match self.life {
            Life::Created => (EnvironmentState::Created, 0, 0),
            Life::Runnable => (EnvironmentState::Runnable, 0, 0),
            Life::Blocked { .. } => (EnvironmentState::Blocked, 0, 0),
            Life::Stopped => (EnvironmentState::Stopped, 0, 0),
            Life::Ended(Ending::Exited { status }) => (EnvironmentState::Exited, status, 0),
            Life::Ended(Ending::Faulted { vector, address }) => {
                (EnvironmentState::Faulted, vector, address)
            }
            Life::Ended(Ending::Destroyed) => (EnvironmentState::Exited, u64::MAX, 0),
        }
    }

    /// Whether it has ended.
    #[must_use]
    pub fn has_ended(&self) -> bool {
        matches!(self.life, Life::Ended(_))
    }

    /// Sets the result registers of its pending kernel call: `rax` and up to six words.
    pub fn set_result(&mut self, result: Result<[u64; 6], exokernel_abi::KernelError>) {
        let context = &mut self.context;
        match result {
            Ok(words) => {
                context.rax = 0;
                [
                    context.rdi,
                    context.rsi,
                    context.rdx,
                    context.r10,
                    context.r8,
                    context.r9,
                ] = words;
            }
            Err(error) => {
                context.rax = error.code();
                [
                    context.rdi,
                    context.rsi,
                    context.rdx,
                    context.r10,
                    context.r8,
                    context.r9,
                ] = [0; 6];
            }
        }
    }
}
