//! An environment: an execution context with its saved registers, capability space, address
//! space, exception handler and what it is blocked on.

use exokernel_abi::{EnvironmentState, Slot};
use exokernel_capability::{Charge, SpaceId};

use crate::arch::TrapFrame;
use crate::arch::floating_point::{AREA_ALIGNMENT, FloatingPointState, MAXIMUM_AREA_SIZE};

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
    /// Waiting on a futex word at this physical address (`FutexRequeue` may change it).
    Futex { key: u64 },
}

/// An environment queued on a futex word, with the bits a `FutexWake` mask must share to wake it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutexWaiter {
    pub environment: u32,
    pub bitset: u32,
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
    /// Saved x87/SSE/AVX registers (valid whenever they are not loaded).
    pub floating_point: FloatingPointState,
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
    /// The notifications signalled (with these bits) when it ends; see [`MAXIMUM_WATCHERS`].
    pub watchers: heapless::Vec<Watcher, MAXIMUM_WATCHERS>,
    /// The result of its last call, held back until the kernel work that call queued is done
    /// (see `reclamation`); the call is restarted until then.
    pub held_result: Option<HeldResult>,
    /// Whether its handler also takes foreign system calls (`HandlerOptions`).
    pub foreign_system_calls: bool,
    /// Stopped while waiting for a reply a server already took: it stops when the reply (or
    /// `PeerGone`) arrives instead of becoming runnable.
    pub stop_pending: bool,
    /// The caller it owes a reply to.
    pub reply_to: Option<u32>,
    /// Whether it has a live entry in the run queue, and that entry's token (`run_queue`).
    pub queued: bool,
    /// See `queued`.
    pub queue_token: u32,
    /// The quota charge that pays for it (none for `init`).
    pub charge: Option<Charge>,
    /// Processor time it has used, in timestamp-counter ticks: in user mode, and in the kernel
    /// handling its traps (`user_trap`). Reported by `EnvironmentStatus`.
    pub processor_time: ProcessorTime,
    /// The deadline of its entry in the kernel's timer queue, if it has one. The entry may be
    /// earlier than the deadline of the call it is blocked in, or left over from a call that has
    /// ended: it is kept rather than removed at each wake-up, and re-armed or dropped when it
    /// comes due (`KernelState::block`, `expire_timeouts`).
    pub timeout_entry: Option<u64>,
}

/// Processor time used, in timestamp-counter ticks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcessorTime {
    /// In user mode.
    pub user: u64,
    /// In the kernel, on its behalf (its calls, faults and the interrupts that came while it ran).
    pub kernel: u64,
}

/// The most watchers one environment may have (`EnvironmentWatch`); the environment's own page
/// of charge pays for them.
pub const MAXIMUM_WATCHERS: usize = 8;

/// A notification to signal when an environment ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Watcher {
    /// The notification's id.
    pub notification: u32,
    /// The bits to set: the watching capability's badge, or the bits the watcher chose.
    pub bits: u64,
}

/// A call's result waiting for the kernel work the call queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeldResult {
    /// The result to return once the work is done; `None` re-executes the call then (a revoke
    /// that stopped part way continues that way).
    pub result: Option<Result<[u64; 6], exokernel_abi::KernelError>>,
    /// The work-queue position that must be reached first.
    pub until: u64,
}

/// Quota pages an environment with `slots` capability slots is charged: one page for its own
/// state (general and floating-point registers, watchers, its place in wait queues) and
/// [`exokernel_capability::KERNEL_BYTES_PER_SLOT`] per slot.
#[must_use]
pub fn charge_pages(slots: u64) -> u64 {
    1 + (slots * exokernel_capability::KERNEL_BYTES_PER_SLOT).div_ceil(4096)
}

// The first page of the charge covers the record and its floating-point save area, with room
// for the area's alignment.
const _: () =
    assert!(core::mem::size_of::<Environment>() + MAXIMUM_AREA_SIZE + AREA_ALIGNMENT <= 4096);

impl Environment {
    /// A new environment in state `Created`: every register 0 but the user selectors and the
    /// forced flags, the clean floating-point state, no handler, no watchers. `None` when the
    /// kernel heap cannot hold its floating-point area (the caller refunds `charge`).
    #[must_use]
    pub fn new(space: SpaceId, address_space: u32, charge: Option<Charge>) -> Option<Self> {
        let floating_point = crate::arch::floating_point::FloatingPointState::try_new()?;
        Some(Self {
            context: TrapFrame {
                cs: crate::arch::context::USER_CODE_SELECTOR,
                ss: crate::arch::context::USER_DATA_SELECTOR,
                rflags: crate::arch::context::USER_FLAGS_FORCED,
                ..TrapFrame::default()
            },
            floating_point,
            fs_base: 0,
            gs_base: 0,
            space,
            address_space,
            life: Life::Created,
            exception_handler: None,
            in_exception_handler: false,
            watchers: heapless::Vec::new(),
            held_result: None,
            foreign_system_calls: false,
            stop_pending: false,
            reply_to: None,
            queued: false,
            queue_token: 0,
            charge,
            processor_time: ProcessorTime::default(),
            timeout_entry: None,
        })
    }

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

    /// Makes its `syscall` run again when it resumes: the saved rip points just after the
    /// two-byte instruction, and the call's registers are still as it left them.
    pub fn restart_call(&mut self) {
        self.context.rip = self.context.rip.wrapping_sub(2);
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
