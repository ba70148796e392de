//! A futex waiter keeps its place when its page gets a new frame: after `fork`, the parent's
//! next write to a page gives it a private copy (or `fork` gave it one already, for pages the
//! parent kept writing), and the kernel keys waiters by physical location, so it moves the
//! waiters of that address space to the copy. Before it did, a thread sleeping in `FutexWait`
//! across its process's `fork` never saw the wake-up that followed (found as a rare hang of
//! `exec_handover_raw_calls_refused`).

use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::test_protocol::{Check, CheckOutcome};
use libos::thread::futex;
use libposix_sys::time::Timespec;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

use crate::ensure;

pub const CHECKS: &[Check] = &[Check {
    name: "futex_waiter_woken_after_fork_moved_its_page",
    covers: &["futex:wake-after-copy-on-write"],
    run: waiter_survives_fork,
}];

fn failed<E: core::fmt::Debug>(what: &'static str) -> impl Fn(E) -> String {
    move |error| format!("{what}: {error:?}")
}

fn pause_milliseconds(milliseconds: i128) {
    let _ = libos::time::nanosleep(&Timespec::from_nanoseconds(milliseconds * 1_000_000));
}

fn waiter_survives_fork() -> CheckOutcome {
    let word = Arc::new(AtomicU32::new(0));
    let asleep = Arc::new(AtomicU32::new(0));
    let (for_thread, asleep_for_thread) = (Arc::clone(&word), Arc::clone(&asleep));
    let thread = libos::thread::spawn(move || {
        asleep_for_thread.store(1, Ordering::SeqCst);
        while for_thread.load(Ordering::SeqCst) == 0 {
            let _ = futex::wait(&for_thread, 0, None);
        }
        7
    })
    .map_err(failed("spawn"))?;
    while asleep.load(Ordering::SeqCst) == 0 {
        pause_milliseconds(1);
    }
    // Long enough for the thread to be inside `FutexWait`.
    pause_milliseconds(20);
    let child = fork().map_err(failed("fork"))?;
    if child == 0 {
        _exit(0);
    }
    let mut status = 0;
    waitpid(child, Some(&mut status), 0).map_err(failed("waitpid"))?;
    ensure!(
        WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "the child did not exit 0 ({status:#x})"
    );
    // The parent's write: a private copy of the page, if fork did not make one already.
    word.store(1, Ordering::SeqCst);
    let woken = futex::wake(&word, 1);
    // A lost waiter stays blocked for good: it is not joined then, so the suite goes on.
    ensure!(
        woken == 1,
        "FutexWake after fork woke {woken} waiters: the sleeping thread was left on the old frame"
    );
    let joined = thread.join().map_err(failed("join"))?;
    ensure!(joined == 7, "the woken thread returned {joined}");
    Ok(())
}
