//! Signals. So far only `kill`, sent through the process server, which holds the authority to
//! signal (`docs/process-server.md`); no handlers, masks or `sigaction` yet, so every signal
//! takes its default action.

use exokernel_abi::{Call, KernelError, OptionalSlot};
use libposix_sys::errno::Errno;

use crate::kernel::call;
use crate::process::identity::PROCESS_SERVER;
use crate::process::protocol;

/// `kill`: sends `signal` to the process `pid` (signal 0 only checks that it may). The process
/// server decides: the caller may signal itself and its descendants. Terminating signals end
/// the target (its parent's `wait4` reports `WIFSIGNALED` with the signal); ignored ones do
/// nothing.
///
/// # Errors
/// `ESRCH` (no such live process), `EPERM` (not ours to signal), `EINVAL` (not a signal, or
/// `pid` ≤ 0: process groups do not exist yet), `ENOSYS` (stop signals, or no process server).
pub fn kill(pid: i32, signal: i32) -> Result<(), Errno> {
    let reply = call(Call::IpcCall {
        endpoint: PROCESS_SERVER,
        word0: protocol::KILL,
        word1: i64::from(pid) as u64,
        word2: i64::from(signal) as u64,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map_err(|error| match error {
        KernelError::Interrupted => Errno::EINTR,
        _ => Errno::ENOSYS,
    })?;
    match reply[1] {
        0 => Ok(()),
        errno => Err(Errno::from_raw(errno as i32).unwrap_or(Errno::EIO)),
    }
}
