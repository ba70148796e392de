//! `getrusage` and `times`: the processor time the kernel measures per environment (user mode,
//! and kernel work on its behalf: `EnvironmentStatus` words 3 and 4), for this process and for
//! its collected children (summed by the process server as it collects them).
//!
//! What is measured: `ru_utime`, `ru_stime` and their `times` twins. For this process, the time
//! of its main environment (threads started with `spawn_thread` are environments of their own
//! and are not added yet). Every other `rusage` field is 0 because nothing measures it.

use exokernel_abi::{Call, initial};
use libposix_sys::errno::Errno;
use libposix_sys::resource::{RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD, Rusage};
use libposix_sys::time::Timeval;

use super::identity::request;
use super::protocol;
use crate::kernel::call;

/// Clock ticks per second for `times` (Linux's `USER_HZ`).
pub const TICKS_PER_SECOND: u64 = 100;

fn timeval(nanoseconds: u64) -> Timeval {
    Timeval {
        tv_sec: (nanoseconds / 1_000_000_000) as i64,
        tv_usec: ((nanoseconds % 1_000_000_000) / 1000) as i64,
    }
}

/// `(user, system)` nanoseconds of our main environment.
fn own_times() -> Result<(u64, u64), Errno> {
    let words = call(Call::EnvironmentStatus {
        environment: initial::SELF_ENVIRONMENT,
    })
    .map_err(|_| Errno::EINVAL)?;
    Ok((words[3], words[4]))
}

/// `(user, system)` nanoseconds of our collected children (and theirs), or of the child
/// collected last (`last`).
pub(crate) fn children_times(last: bool) -> Result<(u64, u64), Errno> {
    let [user, system] = request(protocol::CHILD_TIMES, [u64::from(last), 0], None, None)?;
    Ok((user, system))
}

/// A `Rusage` with only the processor times.
pub(crate) fn usage(user: u64, system: u64) -> Rusage {
    Rusage {
        ru_utime: timeval(user),
        ru_stime: timeval(system),
        ..Rusage::default()
    }
}

/// `getrusage(who, usage)`: `RUSAGE_SELF` (this process's main environment) or
/// `RUSAGE_CHILDREN` (the children collected by `wait*`, with their own collected children).
///
/// # Errors
/// `EINVAL` for another `who`; `ENOSYS` for `RUSAGE_THREAD` (threads are not told apart yet)
/// and for `RUSAGE_CHILDREN` without a process server.
pub fn getrusage(who: i32, result: &mut Rusage) -> Result<(), Errno> {
    let (user, system) = match who {
        RUSAGE_SELF => own_times()?,
        RUSAGE_CHILDREN => children_times(false)?,
        RUSAGE_THREAD => return Err(Errno::ENOSYS),
        _ => return Err(Errno::EINVAL),
    };
    *result = usage(user, system);
    Ok(())
}

/// `struct tms`: processor times in clock ticks ([`TICKS_PER_SECOND`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct Tms {
    /// User time of this process.
    pub tms_utime: i64,
    /// System time of this process.
    pub tms_stime: i64,
    /// User time of the collected children.
    pub tms_cutime: i64,
    /// System time of the collected children.
    pub tms_cstime: i64,
}

/// `times(buffer)`: fills `buffer` and answers the clock ticks since boot.
///
/// # Errors
/// `ENOSYS` without a process server (the children's times are the server's).
pub fn times(buffer: &mut Tms) -> Result<i64, Errno> {
    let ticks = |nanoseconds: u64| (nanoseconds / (1_000_000_000 / TICKS_PER_SECOND)) as i64;
    let (user, system) = own_times()?;
    let (children_user, children_system) = children_times(false)?;
    *buffer = Tms {
        tms_utime: ticks(user),
        tms_stime: ticks(system),
        tms_cutime: ticks(children_user),
        tms_cstime: ticks(children_system),
    };
    Ok(ticks(crate::runtime::clock::clock_monotonic()))
}
