//! What the checks share: running a body in a forked child, expecting how a child ended,
//! installing handlers, and the counters handlers write.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::signal::sigaction;
use libposix_sys::siginfo::Siginfo;
use libposix_sys::signal::{KernelSigaction, SIG_DFL, SignalSet};
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED, WIFSIGNALED, WTERMSIG};

/// How many times [`counting_handler`] ran, and the last signal it saw.
pub static HANDLED: AtomicU64 = AtomicU64::new(0);
pub static LAST_SIGNAL: AtomicI32 = AtomicI32::new(0);
/// What [`information_handler`] saw: `si_signo`, `si_code`, `si_pid`, `si_addr`/status.
pub static SEEN_SIGNAL: AtomicI32 = AtomicI32::new(0);
pub static SEEN_CODE: AtomicI32 = AtomicI32::new(0);
pub static SEEN_PID: AtomicI32 = AtomicI32::new(0);
pub static SEEN_VALUE: AtomicU64 = AtomicU64::new(0);

/// A handler that counts.
pub extern "C" fn counting_handler(signal: i32, _: *mut Siginfo, _: *mut core::ffi::c_void) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
    LAST_SIGNAL.store(signal, Ordering::SeqCst);
}

/// An `SA_SIGINFO` handler that records its `siginfo_t` and counts.
pub extern "C" fn information_handler(
    signal: i32,
    information: *mut Siginfo,
    _: *mut core::ffi::c_void,
) {
    // SAFETY: the LibOS passes a valid record for an `SA_SIGINFO` handler.
    let information = unsafe { &*information };
    SEEN_SIGNAL.store(information.si_signo, Ordering::SeqCst);
    SEEN_CODE.store(information.si_code, Ordering::SeqCst);
    let is_fault = matches!(signal, 4 | 5 | 7 | 8 | 11);
    SEEN_PID.store(
        if is_fault { 0 } else { information.si_pid() },
        Ordering::SeqCst,
    );
    SEEN_VALUE.store(
        if is_fault {
            information.si_addr() as u64
        } else {
            information.si_status() as u32 as u64
        },
        Ordering::SeqCst,
    );
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Resets the counters.
pub fn reset_counters() {
    HANDLED.store(0, Ordering::SeqCst);
    LAST_SIGNAL.store(0, Ordering::SeqCst);
    SEEN_SIGNAL.store(0, Ordering::SeqCst);
    SEEN_CODE.store(0, Ordering::SeqCst);
    SEEN_PID.store(0, Ordering::SeqCst);
    SEEN_VALUE.store(0, Ordering::SeqCst);
}

/// The handler type.
pub type Handler = extern "C" fn(i32, *mut Siginfo, *mut core::ffi::c_void);

/// Installs `handler` for `signal` with `flags` and `mask`.
///
/// # Errors
/// The errno of `sigaction`.
pub fn install(signal: i32, handler: Handler, flags: u64, mask: SignalSet) -> Result<(), String> {
    let action = KernelSigaction {
        sa_handler: handler as usize,
        sa_flags: flags,
        sa_restorer: 0,
        sa_mask: mask,
    };
    sigaction(signal, Some(&action), None)
        .map_err(|error| format!("sigaction({signal}): {error:?}"))
}

/// Sets `signal`'s action to `handler` (`SIG_DFL`/`SIG_IGN`).
pub fn set_plain(signal: i32, handler: usize) {
    let action = KernelSigaction {
        sa_handler: handler,
        ..KernelSigaction::default()
    };
    let _ = sigaction(signal, Some(&action), None);
}

/// Puts `signal` back to its default action.
pub fn restore(signal: i32) {
    set_plain(signal, SIG_DFL);
}

/// Runs `body` in a forked child that exits with its result; returns the child's pid.
///
/// # Errors
/// Why `fork` failed.
pub fn in_child(body: impl FnOnce() -> i32) -> Result<i32, String> {
    match fork() {
        Ok(0) => _exit(body()),
        Ok(pid) => Ok(pid),
        Err(error) => Err(format!("fork: {error:?}")),
    }
}

/// Waits for `pid` and checks it exited with `code`.
///
/// # Errors
/// What it did instead.
pub fn expect_exit(pid: i32, code: i32) -> Result<(), String> {
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if collected != pid || !WIFEXITED(status) || WEXITSTATUS(status) != code {
        return Err(format!(
            "child {pid}: status {status:#x}, expected exit {code}{}",
            if WIFEXITED(status) {
                format!(" (exited {})", WEXITSTATUS(status))
            } else {
                String::new()
            }
        ));
    }
    Ok(())
}

/// Waits for `pid` and checks it was killed by `signal`.
///
/// # Errors
/// What it did instead.
pub fn expect_signalled(pid: i32, signal: i32) -> Result<(), String> {
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if collected != pid || !WIFSIGNALED(status) || WTERMSIG(status) != signal {
        return Err(format!(
            "child {pid}: status {status:#x}, expected killed by {signal}"
        ));
    }
    Ok(())
}

/// Sleeps `milliseconds` (a plain sleep; a handler may cut it short).
pub fn sleep_milliseconds(milliseconds: u64) {
    let end = libos::clock::clock_monotonic() + milliseconds * 1_000_000;
    while libos::clock::clock_monotonic() < end {
        let _ = libos::time::nanosleep(&libposix_sys::time::Timespec::from_nanoseconds(
            i128::from(end.saturating_sub(libos::clock::clock_monotonic())),
        ));
    }
}

/// Spins (without kernel calls) until `counter` is at least `target` or `milliseconds` pass;
/// returns whether it got there.
pub fn spin_until(counter: &AtomicU64, target: u64, milliseconds: u64) -> bool {
    let end = libos::clock::clock_monotonic() + milliseconds * 1_000_000;
    while counter.load(Ordering::SeqCst) < target {
        if libos::clock::clock_monotonic() > end {
            return false;
        }
        core::hint::spin_loop();
    }
    true
}

/// Fails with `message` unless `condition`.
#[macro_export]
macro_rules! ensure {
    ($condition:expr, $($message:tt)+) => {
        if !$condition {
            return Err(alloc::format!($($message)+));
        }
    };
}

/// Starts this program as helper `mode` (a new program, not a fork) and returns its pid.
///
/// # Errors
/// Why it could not be started.
pub fn start_helper(mode: &str) -> Result<i32, String> {
    let command = format!("{} {mode}", crate::SELF_PATH);
    let child = libos::process::spawn(crate::SELF_PATH, &command, &[])
        .map_err(|error| format!("spawn {mode}: {error:?}"))?;
    // Adopted: wait4 collecting it gives its memory back.
    child.adopt().map_err(|child| {
        child.reap();
        String::from("the helper got no pid")
    })
}
