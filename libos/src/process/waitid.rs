//! `waitid`: waits for a child's change of state and describes it in a `siginfo_t`, optionally
//! leaving the child a zombie (`WNOWAIT`). The process server decides which children are ours.

use exokernel_abi::{Call, KernelError};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{CLD_DUMPED, CLD_EXITED, CLD_KILLED, Siginfo};
use libposix_sys::wait::{
    P_ALL, P_PGID, P_PID, WCONTINUED, WCOREDUMP, WEXITED, WEXITSTATUS, WIFEXITED, WNOHANG, WNOWAIT,
    WSTOPPED, WTERMSIG,
};

use super::identity::{child_events, request, server_error};
use super::protocol;
use crate::kernel::call;

/// `waitid(idtype, id, info, options)`: `P_PID` waits for child `id`, `P_ALL` for any child.
/// `WEXITED` reports children that ended (`CLD_EXITED` with the exit code, `CLD_KILLED` or
/// `CLD_DUMPED` with the signal; `si_pid`, `si_uid` the child's real user id); `WNOWAIT` leaves
/// the child to be waited for again; `WNOHANG` answers at once, with `si_pid` 0 when nothing has
/// ended. The CPU times of `si_utime`/`si_stime` are 0 (this system does not measure them yet).
///
/// # Errors
/// `EINVAL` (unknown `idtype` or options, no event asked for, `P_PID` with `id` ≤ 0); `ECHILD`
/// (no child matches: the server decides); `ENOSYS` for `P_PGID` (no process groups yet) and for
/// waiting without `WEXITED` (nothing stops or continues yet, so such a wait could never end);
/// `EINTR`.
pub fn waitid(idtype: i32, id: i32, info: &mut Siginfo, options: i32) -> Result<(), Errno> {
    if options & !(WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) != 0
        || options & (WEXITED | WSTOPPED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let pid = match idtype {
        P_ALL => -1,
        P_PID if id > 0 => id,
        P_PGID => return Err(Errno::ENOSYS),
        _ => return Err(Errno::EINVAL),
    };
    let no_hang = options & WNOHANG != 0;
    if options & WEXITED == 0 {
        if no_hang {
            *info = Siginfo::default();
            return Ok(());
        }
        return Err(Errno::ENOSYS);
    }
    let flags = if options & WNOWAIT != 0 {
        protocol::WAIT_NO_REAP
    } else {
        0
    };
    // Subscribe before asking, so that an end after the answer still wakes us.
    let events = if no_hang { None } else { Some(child_events()?) };
    loop {
        let [collected, word] = request(protocol::WAIT, [pid as i64 as u64, flags], None, None)?;
        if collected != 0 {
            if flags == 0 {
                super::child::release_adopted(collected as i32);
            }
            *info = describe(collected as i32, word);
            return Ok(());
        }
        let Some(events) = events else {
            *info = Siginfo::default();
            return Ok(());
        };
        match call(Call::NotificationWait {
            notification: events,
            timeout: 0,
        }) {
            Ok(_) => {}
            Err(KernelError::Interrupted) => return Err(Errno::EINTR),
            Err(error) => return Err(server_error(error)),
        }
    }
}

/// The `siginfo_t` of child `pid` whose reply word is `status | real uid << 32`.
fn describe(pid: i32, word: u64) -> Siginfo {
    let status = word as u32 as i32;
    let user = (word >> 32) as u32;
    let (code, value) = if WIFEXITED(status) {
        (CLD_EXITED, WEXITSTATUS(status))
    } else if WCOREDUMP(status) {
        (CLD_DUMPED, WTERMSIG(status))
    } else {
        (CLD_KILLED, WTERMSIG(status))
    };
    Siginfo::child(code, pid, user, value, 0, 0)
}
