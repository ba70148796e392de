//! Checks of `waitid` (`P_PID`, `P_ALL`, `WEXITED`, `WNOHANG`, `WNOWAIT`, the `siginfo_t` it
//! fills) and of `exit` running `atexit` handlers where `_exit` does not.

use alloc::format;
use core::sync::atomic::{AtomicU32, Ordering};

use libos::process::identity::{_exit, waitpid};
use libos::process::waitid::waitid;
use libos::signal::kill;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{CLD_EXITED, CLD_KILLED, Siginfo};
use libposix_sys::signal::{SIGCHLD, SIGKILL};
use libposix_sys::wait::{
    P_ALL, P_PGID, P_PID, WEXITED, WEXITSTATUS, WIFEXITED, WNOHANG, WNOWAIT, WSTOPPED,
};

use libos::process::resource_usage::{TICKS_PER_SECOND, Tms, getrusage, times};
use libposix_sys::resource::{RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD, Rusage};

use crate::helpers::start_pid;
use crate::in_child::expect;

/// The bodies run in a child (`in_child`), by name.
pub const BODIES: &[(&str, crate::in_child::Body)] = &[("waitid_other_user", waitid_other_user)];

/// Every accounting check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "waitid:P_PID-WEXITED-siginfo",
        covers: &["waitid:P_PID", "waitid:siginfo"],
        run: by_pid,
    },
    Check {
        name: "waitid:WNOWAIT-leaves-a-zombie",
        covers: &["waitid:WNOWAIT"],
        run: no_wait,
    },
    Check {
        name: "waitid:P_ALL-WNOHANG-and-killed",
        covers: &["waitid:P_ALL", "waitid:WNOHANG", "waitid:CLD_KILLED"],
        run: any_child,
    },
    Check {
        name: "waitid:EINVAL-ECHILD",
        covers: &["waitid:EINVAL", "waitid:ECHILD"],
        run: errors,
    },
    Check {
        name: "getrusage:RUSAGE_SELF-and-CHILDREN-wait4-rusage-times",
        covers: &[
            "getrusage:RUSAGE_SELF",
            "getrusage:RUSAGE_CHILDREN",
            "wait4:rusage",
            "times",
        ],
        run: processor_time,
    },
    Check {
        name: "waitid:si_uid-of-another-user",
        covers: &["waitid:si_uid"],
        run: || crate::in_child::in_child("waitid_other_user"),
    },
    Check {
        name: "exit:return-from-main-runs-atexit",
        covers: &["exit:return-from-main"],
        run: return_from_main,
    },
    Check {
        name: "exit:atexit-handlers-in-reverse",
        covers: &["exit:atexit", "exit:_exit-skips-atexit"],
        run: atexit_order,
    },
];

fn by_pid() -> CheckOutcome {
    let child = start_pid("exit", "42")?;
    let mut info = Siginfo::default();
    waitid(P_PID, child, &mut info, WEXITED).map_err(|e| format!("waitid: {e:?}"))?;
    expect(
        "siginfo (signo, code, pid, uid, status)",
        (
            info.si_signo,
            info.si_code,
            info.si_pid(),
            info.si_uid(),
            info.si_status(),
        ),
        (SIGCHLD, CLD_EXITED, child, 0, 42),
    )?;
    // Collected: it is gone.
    expect(
        "waitpid after waitid",
        waitpid(child, None, WNOHANG),
        Err(Errno::ECHILD),
    )
}

fn no_wait() -> CheckOutcome {
    let child = start_pid("exit", "7")?;
    let mut info = Siginfo::default();
    waitid(P_PID, child, &mut info, WEXITED | WNOWAIT).map_err(|e| format!("waitid: {e:?}"))?;
    expect("first look", (info.si_pid(), info.si_status()), (child, 7))?;
    let mut again = Siginfo::default();
    waitid(P_ALL, 0, &mut again, WEXITED | WNOWAIT | WNOHANG)
        .map_err(|e| format!("second look: {e:?}"))?;
    expect(
        "second look",
        (again.si_pid(), again.si_status()),
        (child, 7),
    )?;
    // Still there for waitpid, with the same status.
    let mut status = 0;
    let collected = waitpid(child, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    expect(
        "waitpid after WNOWAIT",
        (collected, WIFEXITED(status), WEXITSTATUS(status)),
        (child, true, 7),
    )
}

fn any_child() -> CheckOutcome {
    let child = start_pid("sleep", "20000")?;
    let mut info = Siginfo::default();
    waitid(P_ALL, 0, &mut info, WEXITED | WNOHANG).map_err(|e| format!("WNOHANG: {e:?}"))?;
    expect("WNOHANG with nothing ended: si_pid", info.si_pid(), 0)?;
    kill(child, SIGKILL).map_err(|e| format!("kill: {e:?}"))?;
    waitid(P_ALL, 0, &mut info, WEXITED).map_err(|e| format!("waitid: {e:?}"))?;
    expect(
        "killed child (code, pid, status)",
        (info.si_code, info.si_pid(), info.si_status()),
        (CLD_KILLED, child, SIGKILL),
    )
}

fn errors() -> CheckOutcome {
    let mut info = Siginfo::default();
    expect(
        "no event flags",
        waitid(P_ALL, 0, &mut info, WNOHANG),
        Err(Errno::EINVAL),
    )?;
    expect(
        "unknown idtype",
        waitid(9, 0, &mut info, WEXITED),
        Err(Errno::EINVAL),
    )?;
    expect(
        "P_PID 0",
        waitid(P_PID, 0, &mut info, WEXITED),
        Err(Errno::EINVAL),
    )?;
    expect(
        "unknown option",
        waitid(P_ALL, 0, &mut info, WEXITED | 0x40),
        Err(Errno::EINVAL),
    )?;
    expect(
        "init is not our child",
        waitid(P_PID, 1, &mut info, WEXITED),
        Err(Errno::ECHILD),
    )?;
    expect(
        "no children at all",
        waitid(P_ALL, 0, &mut info, WEXITED | WNOHANG),
        Err(Errno::ECHILD),
    )?;
    expect(
        "P_PGID 0 without children in our group",
        waitid(P_PGID, 0, &mut info, WEXITED | WNOHANG),
        Err(Errno::ECHILD),
    )?;
    // Only stops asked for: the server always reports ended children, so this is refused.
    expect(
        "WSTOPPED without WEXITED",
        waitid(P_ALL, 0, &mut info, WSTOPPED | WNOHANG),
        Err(Errno::ENOSYS),
    )
}

/// The order the handlers ran in, as digits.
static ORDER: AtomicU32 = AtomicU32::new(0);

fn record(digit: u32) {
    let order = ORDER.load(Ordering::Relaxed);
    ORDER.store(order * 10 + digit, Ordering::Relaxed);
}

fn atexit_order() -> CheckOutcome {
    // A child registers three handlers and calls `exit(9)`; they run last registered first
    // (1, 2, 3), and the last to run ends the process with the order it saw.
    let child = libos::process::fork().map_err(|e| format!("fork: {e:?}"))?;
    if child == 0 {
        let _ = libos::process::exit::atexit(|| {
            record(3);
            // The last handler to run ends the process with the order seen (123).
            _exit((ORDER.load(Ordering::Relaxed) % 256) as i32);
        });
        let _ = libos::process::exit::atexit(|| record(2));
        let _ = libos::process::exit::atexit(|| record(1));
        libos::process::exit::exit(9);
    }
    let mut status = 0;
    waitpid(child, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    expect(
        "status from the handlers (their order)",
        WEXITSTATUS(status),
        123,
    )?;
    // `_exit` runs none.
    let child = libos::process::fork().map_err(|e| format!("fork: {e:?}"))?;
    if child == 0 {
        let _ = libos::process::exit::atexit(|| _exit(77));
        _exit(5);
    }
    waitpid(child, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    expect("_exit skips the handlers", WEXITSTATUS(status), 5)
}

fn nanoseconds(time: &libposix_sys::time::Timeval) -> u64 {
    time.tv_sec as u64 * 1_000_000_000 + time.tv_usec as u64 * 1000
}

fn total(usage: &Rusage) -> u64 {
    nanoseconds(&usage.ru_utime) + nanoseconds(&usage.ru_stime)
}

fn processor_time() -> CheckOutcome {
    const SPIN_MILLISECONDS: u64 = 60;
    // Our own user time grows while we spin.
    let mut before = Rusage::default();
    getrusage(RUSAGE_SELF, &mut before).map_err(|e| format!("getrusage(SELF): {e:?}"))?;
    let end = libos::runtime::clock::clock_monotonic() + SPIN_MILLISECONDS * 1_000_000;
    while libos::runtime::clock::clock_monotonic() < end {
        core::hint::spin_loop();
    }
    let mut after = Rusage::default();
    getrusage(RUSAGE_SELF, &mut after).map_err(|e| format!("getrusage(SELF): {e:?}"))?;
    let spun = nanoseconds(&after.ru_utime).saturating_sub(nanoseconds(&before.ru_utime));
    if spun < SPIN_MILLISECONDS * 1_000_000 / 4 {
        return Err(format!(
            "user time grew by {spun} ns over a {SPIN_MILLISECONDS} ms spin"
        ));
    }
    // A child's time: in wait4's rusage and added to RUSAGE_CHILDREN.
    let mut children_before = Rusage::default();
    getrusage(RUSAGE_CHILDREN, &mut children_before)
        .map_err(|e| format!("getrusage(CHILDREN): {e:?}"))?;
    let child = start_pid("spin", &format!("{SPIN_MILLISECONDS}"))?;
    let mut status = 0;
    let mut usage = Rusage::default();
    let collected = libos::process::identity::wait4(child, Some(&mut status), 0, Some(&mut usage))
        .map_err(|e| format!("wait4: {e:?}"))?;
    expect("wait4", (collected, status), (child, 0))?;
    let child_time = total(&usage);
    if child_time < SPIN_MILLISECONDS * 1_000_000 / 4 {
        return Err(format!(
            "wait4's rusage: {child_time} ns for a {SPIN_MILLISECONDS} ms spin"
        ));
    }
    let mut children_after = Rusage::default();
    getrusage(RUSAGE_CHILDREN, &mut children_after)
        .map_err(|e| format!("getrusage(CHILDREN): {e:?}"))?;
    let grown = total(&children_after).saturating_sub(total(&children_before));
    // (Both are rounded down to microseconds.)
    if grown.abs_diff(child_time) > 4000 {
        return Err(format!(
            "RUSAGE_CHILDREN grew by {grown} ns, the child used {child_time} ns"
        ));
    }
    expect(
        "RUSAGE_THREAD",
        getrusage(RUSAGE_THREAD, &mut usage),
        Err(Errno::ENOSYS),
    )?;
    expect("who 5", getrusage(5, &mut usage), Err(Errno::EINVAL))?;
    let mut buffer = Tms::default();
    let ticks = times(&mut buffer).map_err(|e| format!("times: {e:?}"))?;
    let per_tick = 1_000_000_000 / TICKS_PER_SECOND;
    if ticks <= 0
        || buffer.tms_utime < (nanoseconds(&after.ru_utime) / per_tick) as i64
        // Each of the two is rounded down to ticks on its own: the sum may be two ticks short.
        || buffer.tms_cutime + buffer.tms_cstime + 2 < (total(&children_after) / per_tick) as i64
    {
        return Err(format!("times: {ticks}, {buffer:?}"));
    }
    Ok(())
}

/// Run in a child: a child of user 1000 is reported with `si_uid` 1000.
pub fn waitid_other_user(_: i32) -> Result<(), alloc::string::String> {
    libos::process::credentials::setuid(1000).map_err(|e| format!("setuid: {e:?}"))?;
    let child = start_pid("exit", "3")?;
    let mut info = Siginfo::default();
    waitid(P_PID, child, &mut info, WEXITED).map_err(|e| format!("waitid: {e:?}"))?;
    expect(
        "(pid, uid, status)",
        (info.si_pid(), info.si_uid(), info.si_status()),
        (child, 1000, 3),
    )
}

fn return_from_main() -> CheckOutcome {
    let child = start_pid("atexit-return", "0")?;
    let mut status = 0;
    waitpid(child, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    expect(
        "status set by the handler",
        (WIFEXITED(status), WEXITSTATUS(status)),
        (true, 44),
    )
}
