//! Subshells and waiting: forking a copy of the shell that runs a piece of the program and
//! exits, and turning a wait status into the shell's exit-status convention (128 + signal).

use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libposix_sys::errno::Errno;
use libposix_sys::wait::{
    WEXITSTATUS, WIFEXITED, WIFSIGNALED, WIFSTOPPED, WSTOPSIG, WTERMSIG, WUNTRACED,
};

use crate::complain;
use crate::shell::{Flow, Shell};

/// The shell's `$?` for a wait status: the exit status, or 128 + the signal that ended it.
#[must_use]
pub fn status_of(wait_status: i32) -> i32 {
    if WIFEXITED(wait_status) {
        WEXITSTATUS(wait_status)
    } else if WIFSIGNALED(wait_status) {
        128 + WTERMSIG(wait_status)
    } else {
        wait_status & 0xff
    }
}

/// Forks a subshell that runs `body` and exits with the status it leaves; answers the child's
/// pid in the parent.
///
/// # Errors
/// The `fork` error.
pub fn fork_subshell(
    shell: &mut Shell,
    body: impl FnOnce(&mut Shell) -> Flow,
) -> Result<i32, Errno> {
    match fork()? {
        0 => {
            crate::job_control::forked_child(shell);
            shell.is_subshell = true;
            shell.jobs.clear();
            let flow = body(shell);
            let status = match flow {
                Flow::Exit(status) => status,
                _ => shell.status,
            };
            _exit(status)
        }
        pid => {
            crate::job_control::forked_parent(shell, pid);
            Ok(pid)
        }
    }
}

/// Waits for the child `pid` and answers its `$?`. With job control, a stop ends the wait too
/// (recorded for the job, status 128 + the signal).
pub fn wait_for(pid: i32) -> i32 {
    let report_stops = crate::job_control::reports_stops();
    let options = if report_stops { WUNTRACED } else { 0 };
    loop {
        let mut status = 0;
        match waitpid(pid, Some(&mut status), options) {
            Ok(_) if WIFSTOPPED(status) => {
                crate::job_control::note_stopped(pid);
                return 128 + WSTOPSIG(status);
            }
            Ok(_) => return status_of(status),
            Err(Errno::EINTR) => {}
            Err(error) => {
                complain!("wait for {pid}: {}", error.description());
                return 127;
            }
        }
    }
}
