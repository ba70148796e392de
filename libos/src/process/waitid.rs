//! `waitid`: waits for a child's change of state and describes it in a `siginfo_t`, optionally
//! leaving the child a zombie (`WNOWAIT`). The process server decides which children are ours.

use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{
    CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, Siginfo,
};
use libposix_sys::signal::SIGCONT;
use libposix_sys::wait::{
    P_ALL, P_PGID, P_PID, WCONTINUED, WCOREDUMP, WEXITED, WEXITSTATUS, WIFCONTINUED, WIFEXITED,
    WIFSTOPPED, WNOHANG, WNOWAIT, WSTOPPED, WSTOPSIG, WTERMSIG,
};

use super::identity::wait_word;
use super::protocol;

/// `waitid(idtype, id, info, options)`: `P_PID` waits for child `id`, `P_ALL` for any child,
/// `P_PGID` for any child in group `id` (0: ours). `WEXITED` reports children that ended
/// (`CLD_EXITED` with the exit code, `CLD_KILLED` or `CLD_DUMPED` with the signal), `WSTOPPED`
/// children stopped by a signal (`CLD_STOPPED`), `WCONTINUED` stopped children continued
/// (`CLD_CONTINUED`); `si_pid`, `si_uid` the child's real user id. `WNOWAIT` leaves the child
/// (or its report) to be waited for again; `WNOHANG` answers at once, with `si_pid` 0 when
/// nothing is there. The CPU times of `si_utime`/`si_stime` are 0.
///
/// # Errors
/// `EINVAL` (unknown `idtype` or options, no event asked for, `P_PID` with `id` ≤ 0, a negative
/// `P_PGID`, and group 1, which the server's protocol cannot name); `ECHILD` (no child matches: the server decides); `ENOSYS` for waiting without
/// `WEXITED` (the server always reports ended children); `EINTR`.
pub fn waitid(idtype: i32, id: i32, info: &mut Siginfo, options: i32) -> Result<(), Errno> {
    if options & !(WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) != 0
        || options & (WEXITED | WSTOPPED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let pid = match idtype {
        P_ALL => -1,
        P_PID if id > 0 => id,
        P_PGID if id == 0 => 0,
        P_PGID if id > 1 => -id,
        _ => return Err(Errno::EINVAL),
    };
    let no_hang = options & WNOHANG != 0;
    if options & WEXITED == 0 {
        return Err(Errno::ENOSYS);
    }
    let mut flags = (options & (WSTOPPED | WCONTINUED)) as u64;
    if options & WNOWAIT != 0 {
        flags |= protocol::WAIT_NO_REAP;
    }
    let (collected, word) = wait_word(pid, flags, no_hang, 0)?;
    *info = if collected == 0 {
        Siginfo::default()
    } else {
        describe(collected, word)
    };
    Ok(())
}

/// The `siginfo_t` of child `pid` whose reply word is `status | real uid << 32`.
fn describe(pid: i32, word: u64) -> Siginfo {
    let status = word as u32 as i32;
    let user = (word >> 32) as u32;
    let (code, value) = if WIFEXITED(status) {
        (CLD_EXITED, WEXITSTATUS(status))
    } else if WIFSTOPPED(status) {
        (CLD_STOPPED, WSTOPSIG(status))
    } else if WIFCONTINUED(status) {
        (CLD_CONTINUED, SIGCONT)
    } else if WCOREDUMP(status) {
        (CLD_DUMPED, WTERMSIG(status))
    } else {
        (CLD_KILLED, WTERMSIG(status))
    };
    Siginfo::child(code, pid, user, value, 0, 0)
}
