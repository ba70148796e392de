//! Checks of `SIGPIPE` on `EPIPE` (pipes and stream sockets, `MSG_NOSIGNAL`), queued real-time
//! signals (`sigqueue`, `rt_sigqueueinfo` and its `si_code` rule, the queue limit), and children
//! reaped without a wait (`SA_NOCLDWAIT`, `SIGCHLD` ignored).

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use libos::abi::{Call, OptionalSlot};
use libos::io::{close, pipe, write};
use libos::process::identity::{getpid, getppid, waitpid};
use libos::process::protocol;
use libos::signal::{kill, rt_sigqueueinfo, sigpending, sigprocmask, sigqueue, sigtimedwait};
use libos::socket::{send, socketpair};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{SI_QUEUE, SI_TKILL, SI_USER, Siginfo};
use libposix_sys::signal::{
    SA_NOCLDWAIT, SA_SIGINFO, SIG_BLOCK, SIG_DFL, SIG_IGN, SIG_SETMASK, SIGCHLD, SIGPIPE, SIGRTMIN,
    SIGUSR1, SignalSet,
};
use libposix_sys::socket::{AF_UNIX, MSG_NOSIGNAL, SOCK_STREAM};
use libposix_sys::time::Timespec;
use libposix_sys::wait::WNOHANG;

use crate::ensure;
use crate::support::{
    HANDLED, counting_handler, expect_exit, expect_signalled, in_child, install, reset_counters,
    set_plain, sleep_milliseconds,
};

/// Every check of this file, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "write:SIGPIPE-default-terminates",
        covers: &["write:SIGPIPE-default-terminates", "kill:SIGPIPE-default"],
        run: sigpipe_default_terminates,
    },
    Check {
        name: "write:EPIPE-with-SIGPIPE-ignored-caught-blocked",
        covers: &["write:EPIPE-with-SIGPIPE-handled"],
        run: sigpipe_handled,
    },
    Check {
        name: "send:SIGPIPE-and-MSG_NOSIGNAL",
        covers: &["send:SIGPIPE-default-terminates", "send:MSG_NOSIGNAL"],
        run: send_sigpipe,
    },
    Check {
        name: "sigqueue:rt-queued-in-order",
        covers: &["sigqueue", "sigqueue:rt-queued-in-order"],
        run: queued_in_order,
    },
    Check {
        name: "sigqueue:EAGAIN-queue-full-and-sigtimedwait",
        covers: &["sigqueue:EAGAIN", "rt_sigtimedwait:rt-queued"],
        run: queue_full,
    },
    Check {
        name: "rt_sigqueueinfo:EPERM-si_code-decided-by-server",
        covers: &["rt_sigqueueinfo", "rt_sigqueueinfo:EPERM-si_code"],
        run: queueinfo_code_rule,
    },
    Check {
        name: "sigaction:SA_NOCLDWAIT",
        covers: &["sigaction:SA_NOCLDWAIT"],
        run: no_child_wait,
    },
    Check {
        name: "signal:SIGCHLD-SIG_IGN-reaps",
        covers: &["signal:SIGCHLD-SIG_IGN-reaps"],
        run: ignored_child_signal,
    },
];

/// A pipe whose reader has gone: the write end.
fn broken_pipe() -> Result<i32, String> {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    close(read_end).map_err(|error| alloc::format!("close: {error}"))?;
    Ok(write_end)
}

fn sigpipe_default_terminates() -> CheckOutcome {
    let pid = in_child(|| {
        set_plain(SIGPIPE, SIG_DFL);
        let Ok(write_end) = broken_pipe() else {
            return 10;
        };
        let _ = write(write_end, b"x");
        // Still here: the write did not kill us.
        11
    })?;
    expect_signalled(pid, SIGPIPE)
}

fn sigpipe_handled() -> CheckOutcome {
    // Ignored: EPIPE and nothing else.
    let pid = in_child(|| {
        set_plain(SIGPIPE, SIG_IGN);
        let Ok(write_end) = broken_pipe() else {
            return 10;
        };
        if write(write_end, b"x") != Err(Errno::EPIPE) {
            return 11;
        }
        0
    })?;
    expect_exit(pid, 0)?;
    // Caught: the handler ran once, then EPIPE.
    let pid = in_child(|| {
        reset_counters();
        if install(SIGPIPE, counting_handler, 0, SignalSet::EMPTY).is_err() {
            return 10;
        }
        let Ok(write_end) = broken_pipe() else {
            return 11;
        };
        if write(write_end, b"x") != Err(Errno::EPIPE) {
            return 12;
        }
        if HANDLED.load(Ordering::SeqCst) != 1 {
            return 13;
        }
        0
    })?;
    expect_exit(pid, 0)?;
    // Blocked: EPIPE, and SIGPIPE left pending.
    let pid = in_child(|| {
        set_plain(SIGPIPE, SIG_DFL);
        let mask = SignalSet::EMPTY.with(SIGPIPE);
        if sigprocmask(SIG_BLOCK, Some(&mask), None).is_err() {
            return 10;
        }
        let Ok(write_end) = broken_pipe() else {
            return 11;
        };
        if write(write_end, b"x") != Err(Errno::EPIPE) {
            return 12;
        }
        if !sigpending().is_ok_and(|pending| pending.contains(SIGPIPE)) {
            return 13;
        }
        // Taking it keeps the default action from ending us when we unblock.
        if sigtimedwait(&mask, Some(&Timespec::from_nanoseconds(0))).map(|i| i.si_code)
            != Ok(SI_USER)
        {
            return 14;
        }
        0
    })?;
    expect_exit(pid, 0)
}

fn send_sigpipe() -> CheckOutcome {
    let pid = in_child(|| {
        set_plain(SIGPIPE, SIG_DFL);
        let Ok([ours, theirs]) = socketpair(AF_UNIX, SOCK_STREAM, 0) else {
            return 10;
        };
        let _ = close(theirs);
        // MSG_NOSIGNAL: only the error.
        if send(ours, b"x", MSG_NOSIGNAL) != Err(Errno::EPIPE) {
            return 11;
        }
        // Without it the default action ends us.
        let _ = send(ours, b"x", 0);
        12
    })?;
    expect_signalled(pid, SIGPIPE)
}

/// What [`recording_handler`] saw, in order: `signal | value << 8`.
static LOG: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];
static LOGGED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn recording_handler(signal: i32, information: *mut Siginfo, _: *mut core::ffi::c_void) {
    // SAFETY: the LibOS passes a valid record to an `SA_SIGINFO` handler.
    let information = unsafe { &*information };
    let at = LOGGED.fetch_add(1, Ordering::SeqCst);
    if let Some(slot) = LOG.get(at) {
        let code_ok = u64::from(information.si_code == SI_QUEUE);
        slot.store(
            signal as u64 | (information.si_value() << 8) | (code_ok << 63),
            Ordering::SeqCst,
        );
    }
}

fn logged() -> Vec<u64> {
    let count = LOGGED.load(Ordering::SeqCst).min(LOG.len());
    LOG[..count]
        .iter()
        .map(|slot| slot.load(Ordering::SeqCst))
        .collect()
}

fn queued_in_order() -> CheckOutcome {
    let pid = in_child(|| {
        LOGGED.store(0, Ordering::SeqCst);
        let low = SIGRTMIN + 2;
        let high = SIGRTMIN + 5;
        for signal in [low, high] {
            if install(signal, recording_handler, SA_SIGINFO, SignalSet::EMPTY).is_err() {
                return 10;
            }
        }
        let mask = SignalSet::EMPTY.with(low).with(high);
        let mut old = SignalSet::EMPTY;
        if sigprocmask(SIG_BLOCK, Some(&mask), Some(&mut old)).is_err() {
            return 11;
        }
        let Ok(me) = getpid() else { return 12 };
        // Three of the higher first, then two of the lower: delivery is lowest first, each
        // signal's instances in the order sent.
        for (signal, value) in [(high, 1), (high, 2), (high, 3), (low, 10), (low, 11)] {
            if sigqueue(me, signal, value).is_err() {
                return 13;
            }
        }
        if !logged().is_empty() {
            return 14;
        }
        if sigprocmask(SIG_SETMASK, Some(&old), None).is_err() {
            return 15;
        }
        let expected: Vec<u64> = [(low, 10), (low, 11), (high, 1), (high, 2), (high, 3)]
            .iter()
            .map(|&(signal, value)| signal as u64 | (value << 8) | (1 << 63))
            .collect();
        if logged() != expected {
            return 16;
        }
        0
    })?;
    expect_exit(pid, 0)?;
    // Across processes: a child blocks, the parent queues three, the child takes three.
    let [ready_read, ready_write] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let signal = SIGRTMIN + 3;
    let child = in_child(|| {
        let _ = close(ready_read);
        let mask = SignalSet::EMPTY.with(signal);
        if sigprocmask(SIG_BLOCK, Some(&mask), None).is_err() {
            return 10;
        }
        let _ = write(ready_write, b"r");
        let mut values = Vec::new();
        for _ in 0..3 {
            match sigtimedwait(&mask, Some(&Timespec::from_nanoseconds(5_000_000_000))) {
                Ok(information) if information.si_code == SI_QUEUE => {
                    values.push(information.si_value());
                    if Ok(information.si_pid()) != getppid() {
                        return 11;
                    }
                }
                _ => return 12,
            }
        }
        if values != [7, 8, 9] {
            return 13;
        }
        0
    })?;
    let _ = close(ready_write);
    let mut byte = [0u8; 1];
    let _ = libos::io::read(ready_read, &mut byte);
    let _ = close(ready_read);
    for value in [7, 8, 9] {
        sigqueue(child, signal, value).map_err(|error| alloc::format!("sigqueue: {error}"))?;
    }
    expect_exit(child, 0)
}

fn queue_full() -> CheckOutcome {
    let pid = in_child(|| {
        let signal = SIGRTMIN + 1;
        let mask = SignalSet::EMPTY.with(signal);
        if sigprocmask(SIG_BLOCK, Some(&mask), None).is_err() {
            return 10;
        }
        let Ok(me) = getpid() else { return 11 };
        let mut accepted = 0u64;
        loop {
            match sigqueue(me, signal, accepted) {
                Ok(()) => accepted += 1,
                Err(Errno::EAGAIN) => break,
                Err(_) => return 12,
            }
            if accepted > 10_000 {
                return 13;
            }
        }
        // The limit is the queue's capacity, and a plain kill still marks it pending.
        if accepted != libos::signal::queue::CAPACITY as u64 || kill(me, signal).is_err() {
            return 14;
        }
        for expected in 0..accepted {
            match sigtimedwait(&mask, Some(&Timespec::from_nanoseconds(0))) {
                Ok(information) if information.si_value() == expected => {}
                _ => return 15,
            }
        }
        // Room again.
        if sigqueue(me, signal, 99).is_err() {
            return 16;
        }
        0
    })?;
    expect_exit(pid, 0)
}

fn queueinfo_code_rule() -> CheckOutcome {
    let parent = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    let pid = in_child(move || {
        // The child's own parent is ours to signal (same user), but not with a code that
        // passes for the kernel (`SI_KERNEL` > 0), for `kill` (`SI_USER`) or for `tgkill`.
        for code in [SI_USER, SI_TKILL, 0x80] {
            let information = Siginfo::queued(SIGUSR1, code, 0, 0, 5);
            if rt_sigqueueinfo(parent, SIGUSR1, &information) != Err(Errno::EPERM) {
                return 10;
            }
            // Bypassing the LibOS: the server refuses the same message.
            let raw = libos::kernel::call(Call::IpcCall {
                endpoint: libos::process::identity::PROCESS_SERVER,
                word0: protocol::QUEUE_SIGNAL
                    | (SIGUSR1 as u64) << 8
                    | u64::from(code as u32) << 32,
                word1: parent as u64,
                word2: 5,
                transfer: OptionalSlot(None),
                receive: OptionalSlot(None),
            });
            if !raw.is_ok_and(|reply| reply[1] == Errno::EPERM.as_raw() as u64) {
                return 11;
            }
        }
        // To ourselves any code is allowed; it arrives with its value.
        let mask = SignalSet::EMPTY.with(SIGUSR1);
        if sigprocmask(SIG_BLOCK, Some(&mask), None).is_err() {
            return 12;
        }
        let Ok(me) = getpid() else { return 13 };
        let information = Siginfo::queued(SIGUSR1, SI_USER, 0, 0, 6);
        if rt_sigqueueinfo(me, SIGUSR1, &information).is_err() {
            return 14;
        }
        match sigtimedwait(&mask, Some(&Timespec::from_nanoseconds(0))) {
            Ok(got) if got.si_code == SI_USER && got.si_pid() == me => {}
            _ => return 15,
        }
        // A negative code to another process is fine; an invalid signal and a missing
        // process are refused.
        let queued = Siginfo::queued(0, -60, 0, 0, 0);
        if rt_sigqueueinfo(parent, 0, &queued).is_err()
            || rt_sigqueueinfo(me, 65, &queued) != Err(Errno::EINVAL)
            || rt_sigqueueinfo(i32::MAX, SIGUSR1, &queued) != Err(Errno::ESRCH)
        {
            return 16;
        }
        0
    })?;
    expect_exit(pid, 0)
}

/// Forks a grandchild that sleeps `milliseconds` and exits 0.
fn sleeper(milliseconds: u64) -> Result<i32, String> {
    in_child(move || {
        sleep_milliseconds(milliseconds);
        0
    })
}

/// In a child with `SIGCHLD` set up by `prepare`: two grandchildren end unreaped, no zombie
/// stays, and `wait` waits for the last one to end, then fails with `ECHILD`.
fn reaped_without_wait(prepare: fn() -> bool) -> CheckOutcome {
    let pid = in_child(move || {
        if !prepare() {
            return 10;
        }
        let (Ok(quick), Ok(slow)) = (sleeper(0), sleeper(300)) else {
            return 11;
        };
        sleep_milliseconds(100);
        // The quick one has ended: no zombie of it is left to collect.
        let mut status = 0;
        if waitpid(quick, Some(&mut status), WNOHANG) != Err(Errno::ECHILD) {
            return 12;
        }
        // The slow one still runs: wait blocks until it is gone, then ECHILD.
        let start = libos::clock::clock_monotonic();
        if waitpid(-1, Some(&mut status), 0) != Err(Errno::ECHILD) {
            return 13;
        }
        let waited = libos::clock::clock_monotonic() - start;
        if waited < 100_000_000 {
            return 14;
        }
        if waitpid(slow, Some(&mut status), WNOHANG) != Err(Errno::ECHILD) {
            return 15;
        }
        0
    })?;
    expect_exit(pid, 0)
}

fn no_child_wait() -> CheckOutcome {
    reaped_without_wait(|| {
        let action = libposix_sys::signal::KernelSigaction {
            sa_handler: SIG_DFL,
            sa_flags: SA_NOCLDWAIT,
            ..Default::default()
        };
        libos::signal::sigaction(SIGCHLD, Some(&action), None).is_ok()
    })?;
    // Without the flag, a child is a zombie until collected.
    let child = sleeper(0)?;
    sleep_milliseconds(50);
    let mut status = 0;
    let collected = waitpid(child, Some(&mut status), WNOHANG);
    ensure!(
        collected == Ok(child),
        "without SA_NOCLDWAIT the ended child gave {collected:?}"
    );
    Ok(())
}

fn ignored_child_signal() -> CheckOutcome {
    reaped_without_wait(|| libos::signal::signal(SIGCHLD, SIG_IGN).is_ok())
}
