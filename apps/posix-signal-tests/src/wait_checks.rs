//! Checks of the mask and of waiting: `sigprocmask`, `sigpending`, `sigsuspend`, `pause`,
//! `sigtimedwait`/`sigwaitinfo`, `alarm`/`setitimer`, and blocking calls cut short by a handler
//! (`EINTR`, or a restart under `SA_RESTART`).

use core::sync::atomic::Ordering;

use libos::process::identity::{getpid, getppid, waitpid};
use libos::signal::{
    alarm, getitimer, kill, pause, raise, setitimer, sigpending, sigprocmask, sigsuspend,
    sigtimedwait, sigwaitinfo,
};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::signal::{
    SA_RESTART, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGALRM, SIGKILL, SIGSTOP, SIGTERM, SIGUSR1,
    SIGUSR2, SignalSet,
};
use libposix_sys::time::{ITIMER_REAL, ITIMER_VIRTUAL, Itimerval, Timespec, Timeval};

use crate::ensure;
use crate::support::{
    HANDLED, counting_handler, expect_exit, expect_signalled, in_child, install, reset_counters,
    restore, sleep_milliseconds,
};

/// Every mask and wait check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "sigprocmask:defers-until-unblocked",
        covers: &["sigprocmask", "rt_sigprocmask", "rt_sigpending"],
        run: defers_until_unblocked,
    },
    Check {
        name: "sigprocmask:EINVAL-and-unblockable",
        covers: &[
            "sigprocmask:EINVAL",
            "sigprocmask:SIGKILL-SIGSTOP-unblockable",
        ],
        run: invalid_and_unblockable,
    },
    Check {
        name: "kill:SIGKILL-uncatchable",
        covers: &["kill:SIGKILL-unblockable"],
        run: sigkill_unblockable,
    },
    Check {
        name: "kill:blocked-default-stays-pending",
        covers: &["kill:blocked-pending"],
        run: blocked_default_pending,
    },
    Check {
        name: "nanosleep:EINTR",
        covers: &["nanosleep:EINTR"],
        run: nanosleep_interrupted,
    },
    Check {
        name: "wait4:EINTR-by-handled-signal",
        covers: &["wait4:EINTR"],
        run: waitpid_interrupted,
    },
    Check {
        name: "wait4:SA_RESTART-restarts",
        covers: &["sigaction:SA_RESTART", "wait4:SA_RESTART"],
        run: waitpid_restarted,
    },
    Check {
        name: "read:pipe-EINTR-and-SA_RESTART",
        covers: &["read:EINTR", "read:SA_RESTART"],
        run: pipe_read_interrupted,
    },
    Check {
        name: "pause:EINTR",
        covers: &["pause"],
        run: pause_interrupted,
    },
    Check {
        name: "sigsuspend:unblocks-then-restores",
        covers: &["rt_sigsuspend"],
        run: suspend,
    },
    Check {
        name: "sigtimedwait:EAGAIN",
        covers: &["rt_sigtimedwait:EAGAIN"],
        run: timed_wait_times_out,
    },
    Check {
        name: "sigtimedwait:takes-pending",
        covers: &["rt_sigtimedwait"],
        run: timed_wait_takes,
    },
    Check {
        name: "sigwaitinfo:from-parent",
        covers: &["rt_sigtimedwait:no-timeout"],
        run: wait_info_from_parent,
    },
    Check {
        name: "setitimer:SIGALRM",
        covers: &["setitimer:ITIMER_REAL", "getitimer:ITIMER_REAL"],
        run: interval_timer,
    },
    Check {
        name: "alarm:remaining-and-cancel",
        covers: &["alarm:remaining"],
        run: alarm_remaining,
    },
];

fn defers_until_unblocked() -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    let block = SignalSet::EMPTY.with(SIGUSR1);
    sigprocmask(SIG_BLOCK, Some(&block), None).map_err(|e| alloc::format!("{e:?}"))?;
    raise(SIGUSR1).map_err(|e| alloc::format!("raise: {e:?}"))?;
    let while_blocked = HANDLED.load(Ordering::SeqCst);
    let pending = sigpending().map_err(|e| alloc::format!("{e:?}"))?;
    sigprocmask(SIG_UNBLOCK, Some(&block), None).map_err(|e| alloc::format!("{e:?}"))?;
    let after = HANDLED.load(Ordering::SeqCst);
    let pending_after = sigpending().map_err(|e| alloc::format!("{e:?}"))?;
    restore(SIGUSR1);
    ensure!(while_blocked == 0, "the handler ran while blocked");
    ensure!(
        pending.contains(SIGUSR1),
        "sigpending did not show it: {pending:?}"
    );
    ensure!(after == 1, "unblocking ran the handler {after} times");
    ensure!(
        !pending_after.contains(SIGUSR1),
        "still pending after delivery"
    );
    Ok(())
}

fn invalid_and_unblockable() -> CheckOutcome {
    ensure!(
        sigprocmask(99, Some(&SignalSet::EMPTY), None) == Err(Errno::EINVAL),
        "how 99 was not EINVAL"
    );
    let mut old = SignalSet::EMPTY;
    sigprocmask(SIG_SETMASK, Some(&SignalSet::FULL), Some(&mut old))
        .map_err(|e| alloc::format!("{e:?}"))?;
    let mut now = SignalSet::EMPTY;
    sigprocmask(SIG_SETMASK, Some(&old), Some(&mut now)).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        !now.contains(SIGKILL) && !now.contains(SIGSTOP) && now.contains(SIGTERM),
        "a full mask read back as {now:?}"
    );
    Ok(())
}

fn sigkill_unblockable() -> CheckOutcome {
    let child = in_child(|| {
        let _ = sigprocmask(SIG_SETMASK, Some(&SignalSet::FULL), None);
        sleep_milliseconds(5_000);
        7
    })?;
    sleep_milliseconds(50);
    kill(child, SIGKILL).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_signalled(child, SIGKILL)
}

fn blocked_default_pending() -> CheckOutcome {
    let child = in_child(|| {
        let block = SignalSet::EMPTY.with(SIGTERM);
        let _ = sigprocmask(SIG_BLOCK, Some(&block), None);
        sleep_milliseconds(300);
        if !sigpending().is_ok_and(|set| set.contains(SIGTERM)) {
            return 3;
        }
        // Unblocking applies the default action: terminate.
        let _ = sigprocmask(SIG_UNBLOCK, Some(&block), None);
        4
    })?;
    sleep_milliseconds(50);
    kill(child, SIGTERM).map_err(|e| alloc::format!("kill: {e:?}"))?;
    let early = waitpid(child, None, libposix_sys::wait::WNOHANG);
    expect_signalled(child, SIGTERM)?;
    ensure!(early == Ok(0), "the blocked SIGTERM ended it at once");
    Ok(())
}

fn nanosleep_interrupted() -> CheckOutcome {
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    let child = in_child(|| {
        let mut remaining = Timespec::default();
        let asked = Timespec {
            tv_sec: 5,
            tv_nsec: 0,
        };
        match libos::time::nanosleep_remaining(&asked, Some(&mut remaining)) {
            Err(Errno::EINTR)
                if remaining.tv_sec < 5
                    && remaining.as_nanoseconds() > 0
                    && HANDLED.load(Ordering::SeqCst) >= 1 =>
            {
                0
            }
            Err(Errno::EINTR) => 3,
            Ok(()) => 4,
            Err(_) => 5,
        }
    })?;
    restore(SIGUSR1);
    sleep_milliseconds(100);
    if let Err(error) = kill(child, SIGUSR1) {
        let mut status = 0;
        let _ = waitpid(child, Some(&mut status), 0);
        return Err(alloc::format!(
            "kill: {error:?}; the child ended with {status:#x}"
        ));
    }
    expect_exit(child, 0)
}

/// A child that forks a grandchild sleeping `sleep` ms, then waits for it with a handler for
/// SIGUSR1 installed with `flags`: exits 10 on EINTR after the handler ran (and a second wait
/// then collected the killed grandchild), 20 when the wait collected the
/// grandchild after the handler ran, 30 otherwise.
fn waiting_child(flags: u64) -> Result<i32, alloc::string::String> {
    reset_counters();
    install(SIGUSR1, counting_handler, flags, SignalSet::EMPTY)?;
    let child = in_child(move || {
        let Ok(grandchild) = in_child(|| {
            sleep_milliseconds(600);
            0
        }) else {
            return 31;
        };
        match waitpid(grandchild, None, 0) {
            Err(Errno::EINTR) if HANDLED.load(Ordering::SeqCst) == 1 => {
                // The process server still answers this parent: the grandchild is collected.
                let _ = kill(grandchild, SIGKILL);
                let mut status = 0;
                match waitpid(grandchild, Some(&mut status), 0) {
                    Ok(pid)
                        if pid == grandchild
                            && libposix_sys::wait::WIFSIGNALED(status)
                            && libposix_sys::wait::WTERMSIG(status) == SIGKILL =>
                    {
                        10
                    }
                    _ => 11,
                }
            }
            Ok(pid) if pid == grandchild && HANDLED.load(Ordering::SeqCst) == 1 => 20,
            _ => 30,
        }
    });
    restore(SIGUSR1);
    child
}

fn waitpid_interrupted() -> CheckOutcome {
    let child = waiting_child(0)?;
    sleep_milliseconds(150);
    kill(child, SIGUSR1).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_exit(child, 10)
}

fn waitpid_restarted() -> CheckOutcome {
    let child = waiting_child(SA_RESTART)?;
    sleep_milliseconds(150);
    kill(child, SIGUSR1).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_exit(child, 20)
}

fn pause_interrupted() -> CheckOutcome {
    reset_counters();
    install(SIGUSR2, counting_handler, 0, SignalSet::EMPTY)?;
    let child = in_child(|| match pause() {
        Err(Errno::EINTR) if HANDLED.load(Ordering::SeqCst) == 1 => 0,
        _ => 1,
    })?;
    restore(SIGUSR2);
    sleep_milliseconds(100);
    kill(child, SIGUSR2).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_exit(child, 0)
}

fn suspend() -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    let block = SignalSet::EMPTY.with(SIGUSR1);
    let mut old = SignalSet::EMPTY;
    sigprocmask(SIG_BLOCK, Some(&block), Some(&mut old)).map_err(|e| alloc::format!("{e:?}"))?;
    raise(SIGUSR1).map_err(|e| alloc::format!("{e:?}"))?;
    let before = HANDLED.load(Ordering::SeqCst);
    let result = sigsuspend(&SignalSet::EMPTY);
    let mut after = SignalSet::EMPTY;
    sigprocmask(SIG_SETMASK, Some(&old), Some(&mut after)).map_err(|e| alloc::format!("{e:?}"))?;
    restore(SIGUSR1);
    ensure!(before == 0, "ran while blocked");
    ensure!(
        result == Err(Errno::EINTR),
        "sigsuspend returned {result:?}"
    );
    ensure!(
        HANDLED.load(Ordering::SeqCst) == 1,
        "the handler did not run"
    );
    ensure!(
        after.contains(SIGUSR1),
        "the mask was not restored: {after:?}"
    );
    // And from another process: a child suspended until its parent signals.
    reset_counters();
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    sigprocmask(SIG_BLOCK, Some(&block), None).map_err(|e| alloc::format!("{e:?}"))?;
    let child = in_child(|| match sigsuspend(&SignalSet::EMPTY) {
        Err(Errno::EINTR) if HANDLED.load(Ordering::SeqCst) == 1 => 0,
        _ => 1,
    })?;
    sigprocmask(SIG_SETMASK, Some(&old), None).map_err(|e| alloc::format!("{e:?}"))?;
    restore(SIGUSR1);
    sleep_milliseconds(100);
    kill(child, SIGUSR1).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_exit(child, 0)
}

fn timed_wait_times_out() -> CheckOutcome {
    let set = SignalSet::EMPTY.with(SIGUSR2);
    sigprocmask(SIG_BLOCK, Some(&set), None).map_err(|e| alloc::format!("{e:?}"))?;
    let start = libos::clock::clock_monotonic();
    let result = sigtimedwait(
        &set,
        Some(&Timespec {
            tv_sec: 0,
            tv_nsec: 20_000_000,
        }),
    );
    let waited = libos::clock::clock_monotonic() - start;
    sigprocmask(SIG_UNBLOCK, Some(&set), None).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        result.is_err_and(|e| e == Errno::EAGAIN),
        "result {result:?}"
    );
    ensure!(waited >= 20_000_000, "returned after {waited} ns");
    Ok(())
}

fn timed_wait_takes() -> CheckOutcome {
    let set = SignalSet::EMPTY.with(SIGUSR2);
    sigprocmask(SIG_BLOCK, Some(&set), None).map_err(|e| alloc::format!("{e:?}"))?;
    raise(SIGUSR2).map_err(|e| alloc::format!("{e:?}"))?;
    let result = sigtimedwait(&set, Some(&Timespec::default()));
    let left = sigpending().map_err(|e| alloc::format!("{e:?}"))?;
    sigprocmask(SIG_UNBLOCK, Some(&set), None).map_err(|e| alloc::format!("{e:?}"))?;
    let me = getpid().map_err(|e| alloc::format!("{e:?}"))?;
    let information = result.map_err(|e| alloc::format!("sigtimedwait: {e:?}"))?;
    ensure!(
        information.si_signo == SIGUSR2 && information.si_pid() == me,
        "got signal {} from {}",
        information.si_signo,
        information.si_pid()
    );
    ensure!(!left.contains(SIGUSR2), "still pending after it was taken");
    Ok(())
}

fn wait_info_from_parent() -> CheckOutcome {
    let parent = getpid().map_err(|e| alloc::format!("{e:?}"))?;
    let set = SignalSet::EMPTY.with(SIGUSR1);
    let mut old = SignalSet::EMPTY;
    sigprocmask(SIG_BLOCK, Some(&set), Some(&mut old)).map_err(|e| alloc::format!("{e:?}"))?;
    let child = in_child(move || match sigwaitinfo(&set) {
        Ok(information)
            if information.si_signo == SIGUSR1
                && information.si_pid() == parent
                && getppid() == Ok(parent) =>
        {
            0
        }
        _ => 1,
    })?;
    sigprocmask(SIG_SETMASK, Some(&old), None).map_err(|e| alloc::format!("{e:?}"))?;
    sleep_milliseconds(100);
    kill(child, SIGUSR1).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_exit(child, 0)
}

fn interval_timer() -> CheckOutcome {
    // Disarmed until set (its expiry is checked by setitimer:ITIMER_PROF).
    ensure!(
        getitimer(ITIMER_VIRTUAL) == Ok(Itimerval::default()),
        "ITIMER_VIRTUAL is armed before anything set it"
    );
    ensure!(getitimer(7) == Err(Errno::EINVAL), "timer 7 was not EINVAL");
    let child = in_child(|| {
        reset_counters();
        let _ = install(SIGALRM, counting_handler, 0, SignalSet::EMPTY);
        let long = Itimerval {
            it_interval: Timeval {
                tv_sec: 1,
                tv_usec: 0,
            },
            it_value: Timeval {
                tv_sec: 10,
                tv_usec: 0,
            },
        };
        if setitimer(ITIMER_REAL, &long, None).is_err() {
            return 2;
        }
        let Ok(read) = getitimer(ITIMER_REAL) else {
            return 3;
        };
        if read.it_value.tv_sec >= 10 || read.it_value.tv_sec < 9 || read.it_interval.tv_sec != 1 {
            return 4;
        }
        let soon = Itimerval {
            it_interval: Timeval::default(),
            it_value: Timeval {
                tv_sec: 0,
                tv_usec: 30_000,
            },
        };
        let _ = setitimer(ITIMER_REAL, &soon, None);
        // Twice at most: the first pause may end by a stray wake-up of nothing.
        let _ = pause();
        i32::from(HANDLED.load(Ordering::SeqCst) != 1)
    })?;
    expect_exit(child, 0)
}

fn alarm_remaining() -> CheckOutcome {
    let first = alarm(5);
    let second = alarm(0);
    let third = alarm(0);
    ensure!(first == 0, "no alarm was set, yet alarm returned {first}");
    ensure!(second == 5, "alarm(0) returned {second}, expected 5");
    ensure!(third == 0, "the alarm was not cancelled: {third}");
    // An alarm with no handler kills with SIGALRM.
    let child = in_child(|| {
        let soon = Itimerval {
            it_interval: Timeval::default(),
            it_value: Timeval {
                tv_sec: 0,
                tv_usec: 20_000,
            },
        };
        let _ = setitimer(ITIMER_REAL, &soon, None);
        sleep_milliseconds(3_000);
        0
    })?;
    expect_signalled(child, SIGALRM)
}

/// A child reading an empty pipe (its writer a thread of the child that writes after 400 ms)
/// while its parent signals it after 100 ms: exits 10 on `EINTR`, 20 when the read restarted
/// and got the thread's byte. (The pipe lives in the child: `fork` does not yet keep a pipe's
/// shared ring shared.)
fn pipe_reader(flags: u64) -> CheckOutcome {
    use libos::io::{close, pipe, read, write};
    reset_counters();
    install(SIGUSR1, counting_handler, flags, SignalSet::EMPTY)?;
    // The child says when it is about to read, so that the signal finds it blocked in `read`
    // however slow the machine (a fixed delay raced under load).
    let [ready_read, ready_write] = pipe().map_err(|e| alloc::format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let Ok([read_end, write_end]) = pipe() else {
            return 2;
        };
        // The data comes only after the handler ran (and a little more), so an interrupted
        // read has nothing to return but EINTR, and a restarted one gets the byte.
        let writer = libos::thread::spawn(move || {
            for _ in 0..500 {
                if HANDLED.load(Ordering::SeqCst) != 0 {
                    break;
                }
                sleep_milliseconds(10);
            }
            sleep_milliseconds(100);
            let _ = write(write_end, b"x");
        });
        let _ = write(ready_write, b"r");
        let mut byte = [0u8; 1];
        let result = read(read_end, &mut byte);
        if let Ok(writer) = writer {
            let _ = writer.join();
        }
        match result {
            Err(Errno::EINTR) if HANDLED.load(Ordering::SeqCst) == 1 => 10,
            Ok(1) if byte[0] == b'x' && HANDLED.load(Ordering::SeqCst) == 1 => 20,
            Ok(count) => 30 + HANDLED.load(Ordering::SeqCst) as i32 * 10 + count as i32,
            Err(error) => 60 + error.as_raw(),
        }
    });
    restore(SIGUSR1);
    let _ = close(ready_write);
    let child = child?;
    let mut ready = [0u8; 1];
    let said = read(ready_read, &mut ready);
    let _ = close(ready_read);
    if said != Ok(1) {
        return Err(alloc::format!(
            "the child never said it was ready: {said:?}"
        ));
    }
    sleep_milliseconds(100);
    kill(child, SIGUSR1).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_exit(child, if flags & SA_RESTART != 0 { 20 } else { 10 })
}

fn pipe_read_interrupted() -> CheckOutcome {
    pipe_reader(0).map_err(|e| alloc::format!("without SA_RESTART: {e}"))?;
    pipe_reader(SA_RESTART).map_err(|e| alloc::format!("with SA_RESTART: {e}"))
}
