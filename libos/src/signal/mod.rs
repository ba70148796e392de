//! Signals (`docs/process-server.md`, "Signals"). The authority to signal, default actions,
//! stops and continues live in the process server; handlers, masks and the return from a
//! handler live here, sharing one page with the server ([`page`]).
//!
//! - [`action`]: `sigaction`, `signal`.
//! - [`mask`]: `sigprocmask`, `sigpending`, `sigaltstack`.
//! - [`wait`]: `raise`, `pause`, `sigsuspend`, `sigtimedwait`, `sigwaitinfo`.
//! - [`delivery`]: the trampoline the server forces a process into, and `sigreturn`.
//! - [`context`]: the `ucontext_t` an `SA_SIGINFO` handler gets.
//! - [`extended_state`]: how the trampoline saves the floating-point and vector state.
//! - [`jump`]: leaving a handler with `siglongjmp`.
//! - [`alarm`]: `alarm`, `setitimer`/`getitimer` (`ITIMER_REAL`).
//! - [`thread_kill`]: `tgkill`, `tkill`.
//! - [`queue`]: queued instances (real-time signals, `sigqueue` values) in the signal page.
//! - [`sigqueue`]: `sigqueue`, `rt_sigqueueinfo`.
//! - [`broken_pipe`]: `SIGPIPE` on `EPIPE`.
//! - [`wait_mask`]: the mask argument of `ppoll`, `pselect6`, `epoll_pwait`.
//! - [`wake_registration`]: the server wakes `poll` sleepers on every pending signal.
//! - [`restart`]: `EINTR` or a transparent restart (`SA_RESTART`) for a blocking call.
//!
//! Each thread has its own mask, pending set (signals sent to it alone) and register save area:
//! the main thread in the process's page, every other thread in a page of its own. A
//! process-directed signal goes to the main thread unless it blocks it, else to a thread that
//! does not.

pub mod action;
pub mod alarm;
pub mod broken_pipe;
pub mod context;
pub mod delivery;
pub mod extended_state;
pub mod jump;
pub mod mask;
pub mod page;
pub mod queue;
pub mod restart;
pub mod sigqueue;
pub mod thread_kill;
pub mod wait;
pub mod wait_mask;
pub mod wake_registration;

pub use action::{sigaction, signal};
pub use alarm::{alarm, getitimer, setitimer};
pub use jump::{JumpPoint, catch_jump, siglongjmp};
pub use mask::{sigaltstack, sigpending, sigprocmask};
pub use sigqueue::{rt_sigqueueinfo, sigqueue};
pub use thread_kill::{tgkill, tkill};
pub use wait::{pause, raise, sigsuspend, sigtimedwait, sigwaitinfo};

use exokernel_abi::{Call, KernelError, OptionalSlot};
use libposix_sys::errno::Errno;

use crate::kernel::call;
use crate::process::identity::PROCESS_SERVER;
use crate::process::protocol;

/// `kill`: sends `signal` to the process `pid`, to every process of our process group (`pid`
/// 0), of group `-pid` (`pid` < -1), or to every process we may signal but init and ourselves
/// (`pid` -1); signal 0 only checks that we may. The process server decides who may signal whom
/// and applies the action: default actions (terminate, stop, continue, ignore) there, handlers
/// by forcing the target into its trampoline. A signal to ourselves that we catch has run its
/// handler when this returns.
///
/// # Errors
/// `ESRCH` (no such live process or group), `EPERM` (none of them ours to signal), `EINVAL`
/// (not a signal), `ENOSYS` (no process server).
pub fn kill(pid: i32, signal: i32) -> Result<(), Errno> {
    let reply = loop {
        match call(Call::IpcCall {
            endpoint: PROCESS_SERVER,
            word0: protocol::KILL,
            word1: i64::from(pid) as u64,
            word2: i64::from(signal) as u64,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        }) {
            Ok(reply) => break reply,
            // Cut short while queued: never delivered, so sending it again is safe.
            Err(KernelError::Interrupted) => delivery::deliver_pending(),
            Err(_) => return Err(Errno::ENOSYS),
        }
    };
    delivery::deliver_pending();
    match reply[1] {
        0 => Ok(()),
        errno => Err(Errno::from_raw(errno as i32).unwrap_or(Errno::EIO)),
    }
}

/// `killpg`: `kill(-group, signal)`.
///
/// # Errors
/// As [`kill`]; `EINVAL` for a negative group.
pub fn killpg(group: i32, signal: i32) -> Result<(), Errno> {
    if group < 0 {
        return Err(Errno::EINVAL);
    }
    kill(if group == 0 { 0 } else { -group }, signal)
}
