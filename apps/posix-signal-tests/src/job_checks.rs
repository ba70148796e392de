//! Checks of stops and continues (`WUNTRACED`, `WCONTINUED`), `SIGCHLD`, process groups and
//! sessions, group-directed `kill` and `waitpid`, and what `execve` keeps of signal state.

use core::sync::atomic::Ordering;

use libos::process::exec::execve;
use libos::process::identity::{getpgid, getpgrp, getpid, getsid, setpgid, setsid, waitpid};
use libos::signal::{kill, raise, sigaction, sigprocmask};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{CLD_EXITED, CLD_STOPPED};
use libposix_sys::signal::{
    KernelSigaction, SA_NOCLDSTOP, SA_SIGINFO, SIG_BLOCK, SIG_IGN, SIGCHLD, SIGCONT, SIGHUP,
    SIGKILL, SIGSTOP, SIGTERM, SIGTSTP, SIGUSR1, SIGUSR2, SignalSet,
};
use libposix_sys::wait::{WCONTINUED, WIFCONTINUED, WIFSTOPPED, WNOHANG, WSTOPSIG, WUNTRACED};

use crate::ensure;
use crate::support::{
    HANDLED, SEEN_CODE, SEEN_PID, SEEN_SIGNAL, SEEN_VALUE, counting_handler, expect_exit,
    expect_signalled, in_child, information_handler, install, reset_counters, restore, set_plain,
    sleep_milliseconds, spin_until,
};

/// The checks of `execve` (in helpers started with `spawn`: `fork` + `execve` of this program
/// can run out of memory in the child, a limit of `fork`'s budget today).
pub const FIRST: &[Check] = &[
    Check {
        name: "setpgid:EACCES-after-exec",
        covers: &["setpgid:EACCES"],
        run: group_after_exec,
    },
    Check {
        name: "execve:caught-reset-ignored-kept",
        covers: &["execve:signal-dispositions", "execve:signal-mask"],
        run: exec_keeps_ignored,
    },
];

/// Every other job-control and group check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "waitpid:WUNTRACED-and-WCONTINUED",
        covers: &[
            "wait4:WUNTRACED",
            "wait4:WCONTINUED",
            "kill:SIGSTOP",
            "kill:SIGCONT",
        ],
        run: stop_and_continue,
    },
    Check {
        name: "kill:SIGTSTP-default-stops",
        covers: &["kill:default-stop"],
        run: tstp_stops,
    },
    Check {
        name: "kill:SIGKILL-ends-stopped",
        covers: &["kill:SIGKILL-stopped"],
        run: kill_stopped,
    },
    Check {
        name: "kill:SIGCONT-caught-resumes",
        covers: &["kill:default-continue"],
        run: continue_caught,
    },
    Check {
        name: "sigchld:on-exit",
        covers: &["sigaction:SIGCHLD-on-exit"],
        run: sigchld_on_exit,
    },
    Check {
        name: "sigchld:on-stop-and-SA_NOCLDSTOP",
        covers: &["sigaction:SA_NOCLDSTOP", "sigaction:SIGCHLD-on-stop"],
        run: sigchld_on_stop,
    },
    Check {
        name: "setpgid:new-group-and-getpgid",
        covers: &["setpgid", "getpgid", "getpgrp"],
        run: new_group,
    },
    Check {
        name: "setpgid:errors",
        covers: &["setpgid:ESRCH", "setpgid:EPERM", "setpgid:EINVAL"],
        run: group_errors,
    },
    Check {
        name: "setsid:new-session",
        covers: &["setsid", "getsid"],
        run: new_session,
    },
    Check {
        name: "kill:process-group",
        covers: &["kill:process-group", "killpg:ESRCH"],
        run: kill_group,
    },
    Check {
        name: "kill:pid-0-own-group",
        covers: &["kill:pid-0"],
        run: kill_own_group,
    },
    Check {
        name: "waitpid:process-group",
        covers: &["wait4:process-group", "waitpid:0"],
        run: wait_group,
    },
];

/// Stops `child` with `signal` and checks `WUNTRACED` reports it.
fn expect_stopped(child: i32, signal: i32) -> CheckOutcome {
    let mut status = 0;
    let collected = waitpid(child, Some(&mut status), WUNTRACED)
        .map_err(|e| alloc::format!("waitpid WUNTRACED: {e:?}"))?;
    ensure!(
        collected == child && WIFSTOPPED(status) && WSTOPSIG(status) == signal,
        "WUNTRACED gave {collected}, status {status:#x}"
    );
    Ok(())
}

fn sleeper() -> Result<i32, alloc::string::String> {
    in_child(|| {
        sleep_milliseconds(5_000);
        9
    })
}

fn stop_and_continue() -> CheckOutcome {
    let child = sleeper()?;
    kill(child, SIGSTOP).map_err(|e| alloc::format!("kill STOP: {e:?}"))?;
    expect_stopped(child, SIGSTOP)?;
    // Reported once.
    let again = waitpid(child, None, WUNTRACED | WNOHANG);
    kill(child, SIGCONT).map_err(|e| alloc::format!("kill CONT: {e:?}"))?;
    let mut status = 0;
    let continued = waitpid(child, Some(&mut status), WCONTINUED)
        .map_err(|e| alloc::format!("waitpid WCONTINUED: {e:?}"))?;
    kill(child, SIGKILL).map_err(|e| alloc::format!("{e:?}"))?;
    expect_signalled(child, SIGKILL)?;
    ensure!(again == Ok(0), "the stop was reported twice: {again:?}");
    ensure!(
        continued == child && WIFCONTINUED(status),
        "WCONTINUED gave {continued}, status {status:#x}"
    );
    Ok(())
}

fn tstp_stops() -> CheckOutcome {
    let child = sleeper()?;
    kill(child, SIGTSTP).map_err(|e| alloc::format!("{e:?}"))?;
    let stopped = expect_stopped(child, SIGTSTP);
    kill(child, SIGKILL).map_err(|e| alloc::format!("{e:?}"))?;
    expect_signalled(child, SIGKILL)?;
    stopped
}

fn kill_stopped() -> CheckOutcome {
    let child = sleeper()?;
    kill(child, SIGSTOP).map_err(|e| alloc::format!("{e:?}"))?;
    expect_stopped(child, SIGSTOP)?;
    // A stopped process acts on SIGTERM only once continued.
    kill(child, SIGTERM).map_err(|e| alloc::format!("{e:?}"))?;
    sleep_milliseconds(20);
    let held = waitpid(child, None, WNOHANG);
    kill(child, SIGCONT).map_err(|e| alloc::format!("{e:?}"))?;
    expect_signalled(child, SIGTERM)?;
    ensure!(held == Ok(0), "SIGTERM ended a stopped child: {held:?}");
    // SIGKILL ends a stopped one at once.
    let child = sleeper()?;
    kill(child, SIGSTOP).map_err(|e| alloc::format!("{e:?}"))?;
    expect_stopped(child, SIGSTOP)?;
    kill(child, SIGKILL).map_err(|e| alloc::format!("{e:?}"))?;
    expect_signalled(child, SIGKILL)
}

fn continue_caught() -> CheckOutcome {
    reset_counters();
    install(SIGCONT, counting_handler, 0, SignalSet::EMPTY)?;
    let child = in_child(|| i32::from(!spin_until(&HANDLED, 1, 5_000)))?;
    restore(SIGCONT);
    sleep_milliseconds(50);
    kill(child, SIGSTOP).map_err(|e| alloc::format!("{e:?}"))?;
    expect_stopped(child, SIGSTOP)?;
    kill(child, SIGCONT).map_err(|e| alloc::format!("{e:?}"))?;
    expect_exit(child, 0)
}

fn sigchld_on_exit() -> CheckOutcome {
    reset_counters();
    install(SIGCHLD, information_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    let child = in_child(|| 7);
    let outcome = child.and_then(|child| expect_exit(child, 7).map(|()| child));
    // The handler may also run just after the wait returned.
    let _ = spin_until(&HANDLED, 1, 1_000);
    restore(SIGCHLD);
    let child = outcome?;
    ensure!(
        HANDLED.load(Ordering::SeqCst) >= 1,
        "no SIGCHLD handler ran"
    );
    ensure!(
        SEEN_SIGNAL.load(Ordering::SeqCst) == SIGCHLD
            && SEEN_CODE.load(Ordering::SeqCst) == CLD_EXITED
            && SEEN_PID.load(Ordering::SeqCst) == child
            && SEEN_VALUE.load(Ordering::SeqCst) == 7,
        "siginfo: signo {} code {} pid {} status {}",
        SEEN_SIGNAL.load(Ordering::SeqCst),
        SEEN_CODE.load(Ordering::SeqCst),
        SEEN_PID.load(Ordering::SeqCst),
        SEEN_VALUE.load(Ordering::SeqCst)
    );
    Ok(())
}

fn sigchld_on_stop() -> CheckOutcome {
    // With SA_NOCLDSTOP: no SIGCHLD for the stop.
    reset_counters();
    install(
        SIGCHLD,
        information_handler,
        SA_SIGINFO | SA_NOCLDSTOP,
        SignalSet::EMPTY,
    )?;
    let child = sleeper()?;
    kill(child, SIGSTOP).map_err(|e| alloc::format!("{e:?}"))?;
    expect_stopped(child, SIGSTOP)?;
    sleep_milliseconds(20);
    let quiet = HANDLED.load(Ordering::SeqCst);
    kill(child, SIGKILL).map_err(|e| alloc::format!("{e:?}"))?;
    expect_signalled(child, SIGKILL)?;
    // Without it: SIGCHLD with CLD_STOPPED.
    reset_counters();
    install(SIGCHLD, information_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    let child = sleeper()?;
    kill(child, SIGSTOP).map_err(|e| alloc::format!("{e:?}"))?;
    let code = SEEN_CODE.load(Ordering::SeqCst);
    let from = SEEN_PID.load(Ordering::SeqCst);
    expect_stopped(child, SIGSTOP)?;
    kill(child, SIGKILL).map_err(|e| alloc::format!("{e:?}"))?;
    expect_signalled(child, SIGKILL)?;
    restore(SIGCHLD);
    ensure!(quiet == 0, "SIGCHLD came for a stop under SA_NOCLDSTOP");
    ensure!(
        code == CLD_STOPPED && from == child,
        "SIGCHLD for the stop: code {code}, pid {from}"
    );
    Ok(())
}

fn new_group() -> CheckOutcome {
    let mine = getpgrp().map_err(|e| alloc::format!("{e:?}"))?;
    let child = in_child(|| {
        let Ok(me) = getpid() else { return 2 };
        if setpgid(0, 0).is_err() || getpgrp() != Ok(me) || getpgid(0) != Ok(me) {
            return 3;
        }
        sleep_milliseconds(200);
        0
    })?;
    sleep_milliseconds(100);
    let seen = getpgid(child);
    expect_exit(child, 0)?;
    ensure!(seen == Ok(child), "getpgid(child) = {seen:?}");
    ensure!(getpgrp() == Ok(mine), "our own group changed");
    ensure!(getpgid(1) == Ok(1), "init's group: {:?}", getpgid(1));
    Ok(())
}

fn group_errors() -> CheckOutcome {
    ensure!(
        setpgid(1, 0) == Err(Errno::ESRCH),
        "setpgid(init) was not ESRCH"
    );
    ensure!(
        setpgid(0, -1) == Err(Errno::EINVAL),
        "a negative group was not EINVAL"
    );
    ensure!(
        getpgid(999_999) == Err(Errno::ESRCH),
        "getpgid(no such) was not ESRCH"
    );
    // A group that does not exist in our session.
    let me = getpid().map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        setpgid(0, me + 100_000) == Err(Errno::EPERM),
        "joining a missing group was not EPERM"
    );
    Ok(())
}

fn group_after_exec() -> CheckOutcome {
    let child = crate::support::start_helper("exec-sleep")?;
    sleep_milliseconds(150);
    let result = setpgid(child, child);
    expect_exit(child, 0)?;
    ensure!(
        result == Err(Errno::EACCES),
        "setpgid after exec: {result:?}"
    );
    Ok(())
}

/// Helper mode `exec-sleep`: replaces itself with `sleep 400`.
pub fn exec_sleep() -> i32 {
    let _ = execve(crate::SELF_PATH, &[crate::SELF_PATH, "sleep", "400"], &[]);
    8
}

fn new_session() -> CheckOutcome {
    let child = in_child(|| {
        let Ok(me) = getpid() else { return 2 };
        if setsid() != Ok(me) {
            return 3;
        }
        if getsid(0) != Ok(me) || getpgrp() != Ok(me) {
            return 4;
        }
        // A group leader cannot start another session, nor move groups.
        if setsid() != Err(Errno::EPERM) || setpgid(0, 1) != Err(Errno::EPERM) {
            return 5;
        }
        0
    })?;
    expect_exit(child, 0)?;
    let ours = getsid(0).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(getsid(1) == Ok(ours), "our session {ours} is not init's");
    Ok(())
}

fn kill_group() -> CheckOutcome {
    let first = sleeper()?;
    let second = sleeper()?;
    setpgid(first, first).map_err(|e| alloc::format!("setpgid first: {e:?}"))?;
    setpgid(second, first).map_err(|e| alloc::format!("setpgid second: {e:?}"))?;
    let sent = kill(-first, SIGTERM);
    let later = libos::signal::killpg(first, SIGKILL);
    expect_signalled(first, SIGTERM)?;
    expect_signalled(second, SIGTERM)?;
    ensure!(sent.is_ok(), "kill(-pgid): {sent:?}");
    ensure!(
        later == Err(Errno::ESRCH),
        "killpg of an empty group: {later:?}"
    );
    Ok(())
}

fn kill_own_group() -> CheckOutcome {
    let child = in_child(|| {
        if setpgid(0, 0).is_err() {
            return 2;
        }
        let Ok(grandchild) = in_child(|| {
            sleep_milliseconds(5_000);
            0
        }) else {
            return 3;
        };
        set_plain(SIGTERM, SIG_IGN);
        if kill(0, SIGTERM).is_err() {
            return 4;
        }
        if expect_signalled(grandchild, SIGTERM).is_err() {
            return 5;
        }
        0
    })?;
    expect_exit(child, 0)
}

fn wait_group() -> CheckOutcome {
    let child = in_child(|| {
        sleep_milliseconds(100);
        4
    })?;
    setpgid(child, child).map_err(|e| alloc::format!("{e:?}"))?;
    let other = in_child(|| 5)?;
    let mut status = 0;
    let by_group = waitpid(-child, Some(&mut status), 0).map_err(|e| alloc::format!("{e:?}"))?;
    let by_ours = waitpid(0, None, 0).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(by_group == child, "waitpid(-pgid) collected {by_group}");
    ensure!(
        by_ours == other,
        "waitpid(0) collected {by_ours}, expected {other}"
    );
    ensure!(
        waitpid(-child, None, WNOHANG) == Err(Errno::ECHILD),
        "the empty group still matched"
    );
    Ok(())
}

/// The exec'd half of [`exec_keeps_ignored`]: `SIGUSR2` must still be ignored, `SIGHUP`
/// blocked, and `SIGUSR1` (caught before the exec) back to its default: it kills us.
pub fn exec_signal_check() -> i32 {
    let mut action = KernelSigaction::default();
    if sigaction(SIGUSR2, None, Some(&mut action)).is_err() || action.sa_handler != SIG_IGN {
        return 3;
    }
    let mut mask = SignalSet::EMPTY;
    if sigprocmask(SIG_BLOCK, None, Some(&mut mask)).is_err() || !mask.contains(SIGHUP) {
        return 4;
    }
    if raise(SIGUSR2).is_err() {
        return 5;
    }
    let _ = raise(SIGUSR1);
    6
}

/// Helper mode `exec-prepare`: catches `SIGUSR1`, ignores `SIGUSR2`, blocks `SIGHUP`, then
/// replaces itself with [`exec_signal_check`].
pub fn exec_prepare() -> i32 {
    let _ = install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY);
    set_plain(SIGUSR2, SIG_IGN);
    let _ = sigprocmask(SIG_BLOCK, Some(&SignalSet::EMPTY.with(SIGHUP)), None);
    let _ = execve(
        crate::SELF_PATH,
        &[crate::SELF_PATH, "exec-signal-check"],
        &[],
    );
    8
}

fn exec_keeps_ignored() -> CheckOutcome {
    let child = crate::support::start_helper("exec-prepare")?;
    expect_signalled(child, SIGUSR1)
}
