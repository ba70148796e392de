//! `sigqueue` and `rt_sigqueueinfo`: sending a signal with a value. The process server queues
//! each instance of a real-time signal in the target's signal page ([`super::queue`]), so that
//! every one is delivered, in order, with its `si_value`; it also decides who may send and which
//! `si_code` a sender may claim (a process's LibOS can be bypassed).

use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{SI_QUEUE, Siginfo};

use crate::process::identity::request;
use crate::process::protocol;

/// `sigqueue`: sends `signal` to the process `pid` with `value` (`si_code` `SI_QUEUE`, our pid
/// and real uid); signal 0 only checks that we may. A caught, unblocked signal to ourselves has
/// run its handler when this returns.
///
/// # Errors
/// `EAGAIN` (the target's queue of real-time signals is full), `EINVAL` (not a signal),
/// `EPERM` (not ours to signal), `ESRCH` (no such live process), `ENOSYS` (no process server).
pub fn sigqueue(pid: i32, signal: i32, value: u64) -> Result<(), Errno> {
    queue_signal(pid, signal, SI_QUEUE, value)
}

/// `rt_sigqueueinfo`: as [`sigqueue`] with the `si_code` and `si_value` of `information`. As on
/// Linux, a process may claim only a negative `si_code` other than `SI_TKILL` when it signals
/// another process (so it cannot pass for the kernel or `kill`); the server decides. The pid and
/// uid the receiver sees are always the sender's own.
///
/// # Errors
/// As [`sigqueue`]; `EPERM` for a code a process may not send.
pub fn rt_sigqueueinfo(pid: i32, signal: i32, information: &Siginfo) -> Result<(), Errno> {
    queue_signal(pid, signal, information.si_code, information.si_value())
}

fn queue_signal(pid: i32, signal: i32, code: i32, value: u64) -> Result<(), Errno> {
    if !(0..=libposix_sys::signal::SIGRTMAX).contains(&signal) {
        return Err(Errno::EINVAL);
    }
    let operation = protocol::QUEUE_SIGNAL | (signal as u64) << 8 | u64::from(code as u32) << 32;
    let result = request(operation, [i64::from(pid) as u64, value], None, None);
    super::delivery::deliver_pending();
    result.map(|_| ())
}
