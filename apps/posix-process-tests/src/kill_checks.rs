//! Checks of `kill` through the process server: default actions reported by `wait4`, signal 0,
//! and the authority decided by the server (POSIX's user-id rule; init only by itself).

use alloc::format;

use libos::process::identity::{getpid, waitpid};
use libos::signal::kill;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::signal::{SIGCHLD, SIGKILL, SIGTERM};
use libposix_sys::wait::{WIFEXITED, WIFSIGNALED, WNOHANG, WTERMSIG};

use crate::helpers::start_pid;

/// Every kill check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "kill:SIGKILL-child",
        covers: &["kill:SIGKILL", "wait4:WIFSIGNALED"],
        run: sigkill_child,
    },
    Check {
        name: "kill:SIGTERM-default-terminates",
        covers: &["kill:default-terminate"],
        run: sigterm_terminates,
    },
    Check {
        name: "kill:default-ignore-and-signal-0",
        covers: &["kill:default-ignore", "kill:signal-0", "kill:ESRCH"],
        run: ignored_and_probe,
    },
    Check {
        name: "kill:self-SIGKILL",
        covers: &["kill:self"],
        run: kill_self,
    },
    Check {
        name: "kill:EPERM-init",
        covers: &["kill:EPERM-init"],
        run: not_a_descendant,
    },
    Check {
        name: "kill:EINVAL",
        covers: &["kill:EINVAL"],
        run: invalid_signal,
    },
];

fn expect_signalled(pid: i32, signal: i32) -> CheckOutcome {
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if collected != pid || !WIFSIGNALED(status) || WTERMSIG(status) != signal {
        return Err(format!(
            "waitpid({pid}) = {collected}, status {status:#x}; expected killed by {signal}"
        ));
    }
    Ok(())
}

fn sigkill_child() -> CheckOutcome {
    let child = start_pid("sleep", "10000")?;
    kill(child, SIGKILL).map_err(|e| format!("kill: {e:?}"))?;
    expect_signalled(child, SIGKILL)
}

fn sigterm_terminates() -> CheckOutcome {
    let child = start_pid("sleep", "10000")?;
    kill(child, SIGTERM).map_err(|e| format!("kill: {e:?}"))?;
    expect_signalled(child, SIGTERM)
}

fn ignored_and_probe() -> CheckOutcome {
    let child = start_pid("sleep", "300")?;
    kill(child, 0).map_err(|e| format!("kill 0 on a live child: {e:?}"))?;
    kill(child, SIGCHLD).map_err(|e| format!("SIGCHLD: {e:?}"))?;
    if waitpid(child, None, WNOHANG) != Ok(0) {
        return Err("SIGCHLD (ignored by default) ended the child".into());
    }
    let mut status = 0;
    waitpid(child, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if !WIFEXITED(status) {
        return Err(format!("status {status:#x}"));
    }
    match kill(child, 0) {
        Err(Errno::ESRCH) => Ok(()),
        other => Err(format!("kill 0 on a collected child: {other:?}")),
    }
}

fn not_a_descendant() -> CheckOutcome {
    // Nobody but init may signal init (it has no handlers): refused even to root.
    for signal in [SIGKILL, 0] {
        match kill(1, signal) {
            Err(Errno::EPERM) => {}
            other => return Err(format!("kill(1, {signal}): {other:?}")),
        }
    }
    // Ourselves, with signal 0, is allowed.
    let ours = getpid().map_err(|e| format!("getpid: {e:?}"))?;
    kill(ours, 0).map_err(|e| format!("kill(self, 0): {e:?}"))
}

fn invalid_signal() -> CheckOutcome {
    let ours = getpid().map_err(|e| format!("getpid: {e:?}"))?;
    for signal in [-1, 65, i32::MAX] {
        match kill(ours, signal) {
            Err(Errno::EINVAL) => {}
            other => return Err(format!("signal {signal}: {other:?}")),
        }
    }
    // Stop signals are built now (posix-signal-tests checks them); an invalid one is still
    // refused for a process group as for a pid.
    match kill(0, 65) {
        Err(Errno::EINVAL) => Ok(()),
        other => Err(format!("kill(0, 65): {other:?}")),
    }
}

fn kill_self() -> CheckOutcome {
    let child = start_pid("kill-self", "0")?;
    expect_signalled(child, SIGKILL)
}
