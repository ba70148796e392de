//! `tgkill` and `tkill`: a signal to one thread. The process server finds the thread (a tid it
//! gave, or a pid for a main thread), decides the authority as for `kill`, and makes the signal
//! pending on that thread alone — its own mask decides, and its handler is forced in on that
//! thread; a default action that ends or stops acts on the whole process, as on Linux.

use exokernel_abi::{Call, KernelError, OptionalSlot};
use libposix_sys::errno::Errno;

use super::delivery;
use crate::kernel::call;
use crate::process::identity::PROCESS_SERVER;
use crate::process::protocol;

fn send(group: i64, tid: i32, signal: i32) -> Result<(), Errno> {
    if tid <= 0 || !(0..=libposix_sys::signal::SIGRTMAX).contains(&signal) {
        return Err(Errno::EINVAL);
    }
    let reply = loop {
        match call(Call::IpcCall {
            endpoint: PROCESS_SERVER,
            word0: protocol::THREAD_KILL,
            word1: group as u64,
            word2: u64::from(tid as u32) | (u64::from(signal as u32) << 32),
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        }) {
            Ok(reply) => break reply,
            // Cut short while queued: never delivered, so sending it again is safe.
            Err(KernelError::Interrupted) => delivery::deliver_pending(),
            Err(_) => return Err(Errno::ENOSYS),
        }
    };
    // A signal to ourselves that we catch runs before we return.
    delivery::deliver_pending();
    match reply[1] {
        0 => Ok(()),
        errno => Err(Errno::from_raw(errno as i32).unwrap_or(Errno::EIO)),
    }
}

/// `tgkill`: sends `signal` to thread `tid` of process `tgid` (signal 0 only checks).
///
/// # Errors
/// `EINVAL` (a tid or tgid that is not positive, not a signal), `ESRCH` (no such live thread in
/// that process), `EPERM` (the process is not ours to signal), `ENOSYS` (no process server).
pub fn tgkill(tgid: i32, tid: i32, signal: i32) -> Result<(), Errno> {
    if tgid <= 0 {
        return Err(Errno::EINVAL);
    }
    send(i64::from(tgid), tid, signal)
}

/// `tkill`: sends `signal` to thread `tid`, whatever its process.
///
/// # Errors
/// As [`tgkill`].
pub fn tkill(tid: i32, signal: i32) -> Result<(), Errno> {
    send(-1, tid, signal)
}
