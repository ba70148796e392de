//! Hostile checks: a process that scribbles over its own signal page, and raw messages to the
//! process server that bypass the LibOS. The server must answer with errors, never crash or
//! hang, and a process's garbage may only harm that process.

use core::sync::atomic::Ordering;

use libos::abi::{Call, OptionalSlot};
use libos::kernel::call;
use libos::process::identity::{PROCESS_SERVER, getppid, waitpid};
use libos::process::protocol;
use libos::signal::kill;
use libos::signal::page::{bit, page};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::signal::{SIGKILL, SIGSEGV, SIGSTOP, SIGUSR1, SignalSet};
use libposix_sys::wait::WNOHANG;

use crate::ensure;
use crate::support::{
    counting_handler, expect_exit, expect_signalled, in_child, install, restore, sleep_milliseconds,
};

/// Every hostile check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "signal-page:hostile-contents-server-survives",
        covers: &["kill:hostile-signal-page"],
        run: hostile_page,
    },
    Check {
        name: "signal-page:wild-trampoline-harms-only-itself",
        covers: &["kill:wild-trampoline"],
        run: wild_trampoline,
    },
    Check {
        name: "kill:raw-garbage-words",
        covers: &["kill:EINVAL-raw"],
        run: garbage_words,
    },
    Check {
        name: "setitimer:raw-flood-server-answers",
        covers: &["setitimer:hostile-period"],
        run: alarm_flood,
    },
    Check {
        name: "kill:raw-EPERM-bypassing-libos",
        covers: &["kill:EPERM-raw", "setpgid:ESRCH-raw"],
        run: raw_not_permitted,
    },
];

/// One call to the process server straight through the kernel: `[errno, word 1, word 2]`.
fn raw(operation: u64, first: u64, second: u64) -> [u64; 3] {
    match call(Call::IpcCall {
        endpoint: PROCESS_SERVER,
        word0: operation,
        word1: first,
        word2: second,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    }) {
        Ok(reply) => [reply[1], reply[2], reply[3]],
        Err(_) => [u64::MAX, 0, 0],
    }
}

/// Whether the server still answers (and so did not crash or hang).
fn server_answers() -> bool {
    getppid().is_ok()
}

fn hostile_page() -> CheckOutcome {
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    let child = in_child(|| {
        let Ok(page) = page() else { return 2 };
        // Every field garbage: a kernel-half trampoline, everything caught and on an alternate
        // stack that wraps around the address space, a busy flag the server must respect.
        page.trampoline
            .store(0xffff_8000_0000_1000, Ordering::SeqCst);
        page.caught.store(u64::MAX, Ordering::SeqCst);
        page.ignored.store(u64::MAX, Ordering::SeqCst);
        page.blocked.store(0, Ordering::SeqCst);
        page.on_alternate_stack.store(u64::MAX, Ordering::SeqCst);
        page.alternate_stack_base
            .store(u64::MAX - 10, Ordering::SeqCst);
        page.alternate_stack_size.store(u64::MAX, Ordering::SeqCst);
        page.child_flags.store(u64::MAX, Ordering::SeqCst);
        page.entry_busy.store(0, Ordering::SeqCst);
        for record in &page.records {
            record.head.store(u64::MAX, Ordering::SeqCst);
        }
        sleep_milliseconds(200);
        // A user-half trampoline with the wrapping alternate stack: still refused.
        page.trampoline.store(
            libos::signal::delivery::trampoline_address(),
            Ordering::SeqCst,
        );
        sleep_milliseconds(5_000);
        0
    })?;
    restore(SIGUSR1);
    sleep_milliseconds(100);
    let first = kill(child, SIGUSR1);
    let alive_after_first = server_answers();
    sleep_milliseconds(200);
    let second = kill(child, SIGUSR1);
    let still = waitpid(child, None, WNOHANG);
    let alive = server_answers();
    kill(child, SIGKILL).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_signalled(child, SIGKILL)?;
    ensure!(
        first.is_ok() && second.is_ok(),
        "kill: {first:?}, {second:?}"
    );
    ensure!(alive_after_first && alive, "the server stopped answering");
    ensure!(still == Ok(0), "the child ended: {still:?}");
    Ok(())
}

fn wild_trampoline() -> CheckOutcome {
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    let child = in_child(|| {
        let Ok(page) = page() else { return 2 };
        page.caught.store(bit(SIGUSR1), Ordering::SeqCst);
        // Canonical, user half, and mapped by nobody.
        page.trampoline
            .store(0x0000_0600_0000_0000, Ordering::SeqCst);
        sleep_milliseconds(5_000);
        0
    })?;
    restore(SIGUSR1);
    sleep_milliseconds(100);
    kill(child, SIGUSR1).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_signalled(child, SIGSEGV)?;
    ensure!(server_answers(), "the server stopped answering");
    Ok(())
}

fn garbage_words() -> CheckOutcome {
    let einval = Errno::EINVAL.as_raw() as u64;
    for (pid, signal) in [
        (i64::MIN as u64, 1),
        (1u64 << 40, 9),
        (2, 1000),
        (2, (-5i64) as u64),
        (u64::MAX, 65),
    ] {
        let reply = raw(protocol::KILL, pid, signal);
        ensure!(
            reply[0] == einval || reply[0] == Errno::ESRCH.as_raw() as u64,
            "KILL({pid:#x}, {signal:#x}) answered {reply:?}"
        );
    }
    let unknown = raw(999, u64::MAX, u64::MAX);
    ensure!(
        unknown[0] == Errno::ENOSYS.as_raw() as u64,
        "op 999: {unknown:?}"
    );
    let wait = raw(protocol::WAIT, u64::MAX - 3, u64::MAX);
    ensure!(wait[0] != u64::MAX, "WAIT with garbage got no answer");
    let alarm = raw(protocol::SET_ALARM, u64::MAX, u64::MAX);
    let cancel = raw(protocol::SET_ALARM, 0, 0);
    ensure!(
        alarm[0] == 0 && cancel[0] == 0,
        "alarm: {alarm:?} {cancel:?}"
    );
    ensure!(server_answers(), "the server stopped answering");
    Ok(())
}

/// The user the child of [`raw_not_permitted`] becomes.
const UNPRIVILEGED_USER: u32 = 1000;

fn raw_not_permitted() -> CheckOutcome {
    let eperm = Errno::EPERM.as_raw() as u64;
    let child = in_child(|| {
        let Ok(parent) = getppid() else { return 2 };
        // An unprivileged user may not signal its root parent (POSIX's user-id rule).
        if libos::process::credentials::setuid(UNPRIVILEGED_USER).is_err() {
            return 6;
        }
        // Bypassing the LibOS changes nothing: the server decides from the badge.
        if raw(protocol::KILL, 1, SIGSTOP as u64)[0] != eperm {
            return 3;
        }
        if raw(protocol::KILL, parent as u64, SIGKILL as u64)[0] != eperm {
            return 4;
        }
        if raw(protocol::SET_PROCESS_GROUP, parent as u64, 0)[0] != Errno::ESRCH.as_raw() as u64 {
            return 5;
        }
        0
    })?;
    expect_exit(child, 0)
}

fn alarm_flood() -> CheckOutcome {
    let child = in_child(|| {
        crate::support::set_plain(libposix_sys::signal::SIGALRM, libposix_sys::signal::SIG_IGN);
        // A 1 ns timer with a 1 ns period, asked for directly.
        if raw(protocol::SET_ALARM, 1, 1)[0] != 0 {
            return 2;
        }
        sleep_milliseconds(5_000);
        0
    })?;
    sleep_milliseconds(50);
    let start = libos::clock::clock_monotonic();
    let mut answered = 0;
    while libos::clock::clock_monotonic() - start < 200_000_000 {
        if server_answers() {
            answered += 1;
        }
    }
    kill(child, SIGKILL).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_signalled(child, SIGKILL)?;
    ensure!(
        answered >= 10,
        "the server answered {answered} times in 200 ms"
    );
    Ok(())
}
