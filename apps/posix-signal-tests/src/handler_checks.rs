//! Checks of handlers: `sigaction` and its flags, `raise`, `signal`, the mask during a handler,
//! the alternate stack, and asynchronous delivery into a running process.

use alloc::vec;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::process::identity::{getpid, getppid};
use libos::signal::{kill, raise, sigaction, sigaltstack, signal, sigprocmask};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::SI_TKILL;
use libposix_sys::signal::{
    KernelSigaction, MINSIGSTKSZ, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_SIGINFO,
    SIG_BLOCK, SIG_DFL, SIG_IGN, SIGKILL, SIGSTOP, SIGTERM, SIGUSR1, SIGUSR2, SS_DISABLE,
    SS_ONSTACK, SignalSet, SignalStack,
};

use crate::ensure;
use crate::support::{
    HANDLED, LAST_SIGNAL, SEEN_CODE, SEEN_PID, SEEN_SIGNAL, counting_handler, expect_exit,
    expect_signalled, in_child, information_handler, install, reset_counters, restore, set_plain,
    sleep_milliseconds, spin_until,
};

/// Every handler check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "sigaction:handler-runs",
        covers: &["sigaction", "rt_sigaction", "kill:raise"],
        run: handler_runs,
    },
    Check {
        name: "sigaction:old-action",
        covers: &["sigaction:oldact"],
        run: old_action,
    },
    Check {
        name: "sigaction:EINVAL",
        covers: &["sigaction:EINVAL", "sigaction:SIGKILL-SIGSTOP-uncatchable"],
        run: invalid_actions,
    },
    Check {
        name: "sigaction:SA_SIGINFO-si_pid",
        covers: &["sigaction:SA_SIGINFO"],
        run: siginfo_of_raise,
    },
    Check {
        name: "sigaction:SA_RESETHAND",
        covers: &["sigaction:SA_RESETHAND"],
        run: reset_hand,
    },
    Check {
        name: "sigaction:SA_NODEFER",
        covers: &[
            "sigaction:SA_NODEFER",
            "sigaction:signal-blocked-in-handler",
        ],
        run: no_defer,
    },
    Check {
        name: "sigaction:sa_mask-during-handler",
        covers: &["sigaction:sa_mask"],
        run: mask_during_handler,
    },
    Check {
        name: "signal:SIG_IGN-and-previous",
        covers: &["signal"],
        run: signal_ignore,
    },
    Check {
        name: "kill:handler-in-busy-child",
        covers: &["kill:handler", "sigreturn"],
        run: handler_in_busy_child,
    },
    Check {
        name: "sigreturn:registers-and-fpu-restored",
        covers: &["sigreturn:fpu-restored", "rt_sigreturn:user-mode"],
        run: registers_restored,
    },
    Check {
        name: "kill:SIGTERM-ignored-survives",
        covers: &["kill:SIG_IGN"],
        run: ignored_sigterm,
    },
    Check {
        name: "sigaltstack:SA_ONSTACK",
        covers: &["sigaltstack", "sigaction:SA_ONSTACK"],
        run: alternate_stack,
    },
    Check {
        name: "sigaltstack:errors",
        covers: &["sigaltstack:ENOMEM", "sigaltstack:SS_DISABLE"],
        run: alternate_stack_errors,
    },
    Check {
        name: "fork:inherits-handlers-and-mask",
        covers: &["fork:signal-dispositions", "fork:signal-mask"],
        run: fork_inherits,
    },
];

fn handler_runs() -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    raise(SIGUSR1).map_err(|e| alloc::format!("raise: {e:?}"))?;
    let handled = HANDLED.load(Ordering::SeqCst);
    restore(SIGUSR1);
    ensure!(handled == 1, "the handler ran {handled} times");
    ensure!(
        LAST_SIGNAL.load(Ordering::SeqCst) == SIGUSR1,
        "wrong signal number"
    );
    Ok(())
}

fn old_action() -> CheckOutcome {
    let mask = SignalSet::EMPTY.with(SIGUSR2);
    install(SIGUSR1, counting_handler, SA_RESTART, mask)?;
    let mut old = KernelSigaction::default();
    sigaction(SIGUSR1, None, Some(&mut old)).map_err(|e| alloc::format!("{e:?}"))?;
    restore(SIGUSR1);
    let mut after = KernelSigaction::default();
    sigaction(SIGUSR1, None, Some(&mut after)).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        old.sa_handler == counting_handler as *const () as usize
            && old.sa_flags == SA_RESTART
            && old.sa_mask == mask,
        "old action {old:?}"
    );
    ensure!(
        after.sa_handler == SIG_DFL,
        "not back to SIG_DFL: {after:?}"
    );
    Ok(())
}

fn invalid_actions() -> CheckOutcome {
    let action = KernelSigaction {
        sa_handler: counting_handler as *const () as usize,
        ..KernelSigaction::default()
    };
    for signal in [SIGKILL, SIGSTOP, 0, 65, -1] {
        ensure!(
            sigaction(signal, Some(&action), None) == Err(Errno::EINVAL),
            "sigaction({signal}) was not EINVAL"
        );
    }
    let ignore = KernelSigaction {
        sa_handler: SIG_IGN,
        ..KernelSigaction::default()
    };
    ensure!(
        sigaction(SIGKILL, Some(&ignore), None) == Err(Errno::EINVAL),
        "SIGKILL could be ignored"
    );
    // Reading SIGKILL's action is allowed.
    ensure!(
        sigaction(SIGKILL, None, None).is_ok(),
        "reading SIGKILL failed"
    );
    Ok(())
}

fn siginfo_of_raise() -> CheckOutcome {
    reset_counters();
    install(SIGUSR2, information_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    raise(SIGUSR2).map_err(|e| alloc::format!("raise: {e:?}"))?;
    restore(SIGUSR2);
    let me = getpid().map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        HANDLED.load(Ordering::SeqCst) == 1,
        "the handler did not run"
    );
    ensure!(
        SEEN_SIGNAL.load(Ordering::SeqCst) == SIGUSR2
            // `raise` is `tgkill` to the calling thread, as in the C library: `SI_TKILL`.
            && SEEN_CODE.load(Ordering::SeqCst) == SI_TKILL
            && SEEN_PID.load(Ordering::SeqCst) == me,
        "siginfo: signo {} code {} pid {} (expected {SIGUSR2}, {SI_TKILL}, {me})",
        SEEN_SIGNAL.load(Ordering::SeqCst),
        SEEN_CODE.load(Ordering::SeqCst),
        SEEN_PID.load(Ordering::SeqCst)
    );
    Ok(())
}

fn reset_hand() -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, SA_RESETHAND, SignalSet::EMPTY)?;
    raise(SIGUSR1).map_err(|e| alloc::format!("raise: {e:?}"))?;
    let mut after = KernelSigaction::default();
    sigaction(SIGUSR1, None, Some(&mut after)).map_err(|e| alloc::format!("{e:?}"))?;
    restore(SIGUSR1);
    ensure!(
        HANDLED.load(Ordering::SeqCst) == 1,
        "the handler did not run"
    );
    ensure!(
        after.sa_handler == SIG_DFL,
        "the action was not reset: {after:?}"
    );
    // And the default action applies to the next one: a child shows it.
    let child = in_child(|| {
        let _ = install(SIGUSR1, counting_handler, SA_RESETHAND, SignalSet::EMPTY);
        let _ = raise(SIGUSR1);
        let _ = raise(SIGUSR1);
        0
    })?;
    expect_signalled(child, SIGUSR1)
}

/// The mask seen inside the nesting handler.
static MASK_IN_HANDLER: AtomicU64 = AtomicU64::new(0);
/// How deep the nesting handler went.
static DEPTH: AtomicU64 = AtomicU64::new(0);

extern "C" fn nesting_handler(
    signal: i32,
    _: *mut libposix_sys::siginfo::Siginfo,
    _: *mut core::ffi::c_void,
) {
    let mut mask = SignalSet::EMPTY;
    let _ = sigprocmask(SIG_BLOCK, None, Some(&mut mask));
    MASK_IN_HANDLER.store(mask.bits, Ordering::SeqCst);
    // Raise once more from inside: with SA_NODEFER it nests at once, else it waits.
    if DEPTH.fetch_add(1, Ordering::SeqCst) == 0 {
        let _ = raise(signal);
    }
}

fn no_defer() -> CheckOutcome {
    DEPTH.store(0, Ordering::SeqCst);
    install(SIGUSR1, nesting_handler, 0, SignalSet::EMPTY)?;
    raise(SIGUSR1).map_err(|e| alloc::format!("raise: {e:?}"))?;
    let deferred_mask = MASK_IN_HANDLER.load(Ordering::SeqCst);
    let deferred_depth = DEPTH.load(Ordering::SeqCst);
    DEPTH.store(0, Ordering::SeqCst);
    install(SIGUSR1, nesting_handler, SA_NODEFER, SignalSet::EMPTY)?;
    raise(SIGUSR1).map_err(|e| alloc::format!("raise: {e:?}"))?;
    let nodefer_mask = MASK_IN_HANDLER.load(Ordering::SeqCst);
    restore(SIGUSR1);
    ensure!(
        SignalSet::from_bits(deferred_mask).contains(SIGUSR1),
        "without SA_NODEFER the signal was not blocked in its handler"
    );
    ensure!(
        deferred_depth == 2,
        "the deferred second signal ran {deferred_depth} times in all"
    );
    ensure!(
        !SignalSet::from_bits(nodefer_mask).contains(SIGUSR1),
        "with SA_NODEFER the signal was blocked in its handler"
    );
    Ok(())
}

fn mask_during_handler() -> CheckOutcome {
    install(SIGUSR1, nesting_handler, 0, SignalSet::EMPTY.with(SIGUSR2))?;
    DEPTH.store(1, Ordering::SeqCst);
    raise(SIGUSR1).map_err(|e| alloc::format!("raise: {e:?}"))?;
    restore(SIGUSR1);
    let mut after = SignalSet::EMPTY;
    sigprocmask(SIG_BLOCK, None, Some(&mut after)).map_err(|e| alloc::format!("{e:?}"))?;
    let during = SignalSet::from_bits(MASK_IN_HANDLER.load(Ordering::SeqCst));
    ensure!(
        during.contains(SIGUSR2) && during.contains(SIGUSR1),
        "mask in the handler {during:?}"
    );
    ensure!(!after.contains(SIGUSR2), "sa_mask stayed after the handler");
    Ok(())
}

fn signal_ignore() -> CheckOutcome {
    let previous = signal(SIGUSR2, SIG_IGN).map_err(|e| alloc::format!("{e:?}"))?;
    raise(SIGUSR2).map_err(|e| alloc::format!("raise: {e:?}"))?;
    let back = signal(SIGUSR2, previous).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(previous == SIG_DFL, "previous handler {previous:#x}");
    ensure!(back == SIG_IGN, "the handler read back {back:#x}");
    Ok(())
}

fn handler_in_busy_child() -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    let child = in_child(|| {
        // No kernel call in this loop: only a forced entry can run the handler.
        i32::from(!spin_until(&HANDLED, 1, 5_000))
    })?;
    restore(SIGUSR1);
    sleep_milliseconds(50);
    kill(child, SIGUSR1).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_exit(child, 0)
}

/// Set by the handler that clobbers registers.
static CLOBBERED: AtomicU64 = AtomicU64::new(0);

extern "C" fn clobbering_handler(
    _: i32,
    _: *mut libposix_sys::siginfo::Siginfo,
    _: *mut core::ffi::c_void,
) {
    // SAFETY: overwrites caller-saved general registers and xmm0/xmm1, which the trampoline
    // must restore for the interrupted code; declared as clobbered where Rust could see them.
    unsafe {
        core::arch::asm!(
            "mov r8, 0x1111",
            "mov r9, 0x2222",
            "mov r10, 0x3333",
            "mov r11, 0x4444",
            "pxor xmm0, xmm0",
            "pxor xmm1, xmm1",
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
        );
    }
    CLOBBERED.store(1, Ordering::SeqCst);
}

/// Loads patterns into registers, spins until [`CLOBBERED`] is set, and returns a bit per
/// register that no longer holds its pattern.
fn spin_with_patterns() -> u64 {
    let flag = CLOBBERED.as_ptr();
    let mismatches: u64;
    // SAFETY: only registers declared here are written; `flag` points at a live static.
    unsafe {
        core::arch::asm!(
            "mov r8, 0x0808080808080808",
            "mov r9, 0x0909090909090909",
            "mov r10, 0x1010101010101010",
            "mov r11, 0x1111111111111111",
            "mov r12, 0x1212121212121212",
            "movq xmm0, r12",
            "movq xmm1, r11",
            "2:",
            "pause",
            "cmp qword ptr [{flag}], 0",
            "je 2b",
            "xor {out}, {out}",
            "mov rax, 0x0808080808080808",
            "cmp r8, rax",
            "je 3f",
            "or {out}, 1",
            "3:",
            "mov rax, 0x0909090909090909",
            "cmp r9, rax",
            "je 3f",
            "or {out}, 2",
            "3:",
            "mov rax, 0x1010101010101010",
            "cmp r10, rax",
            "je 3f",
            "or {out}, 4",
            "3:",
            "mov rax, 0x1111111111111111",
            "cmp r11, rax",
            "je 3f",
            "or {out}, 8",
            "3:",
            "movq rax, xmm0",
            "cmp rax, r12",
            "je 3f",
            "or {out}, 16",
            "3:",
            "movq rax, xmm1",
            "cmp rax, r11",
            "je 3f",
            "or {out}, 32",
            "3:",
            flag = in(reg) flag,
            out = out(reg) mismatches,
            out("rax") _,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
            out("r12") _,
        );
    }
    mismatches
}

fn registers_restored() -> CheckOutcome {
    CLOBBERED.store(0, Ordering::SeqCst);
    install(SIGUSR2, clobbering_handler, 0, SignalSet::EMPTY)?;
    let child = in_child(|| spin_with_patterns() as i32)?;
    restore(SIGUSR2);
    sleep_milliseconds(50);
    kill(child, SIGUSR2).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_exit(child, 0)
        .map_err(|e| alloc::format!("{e} (bits: r8 1, r9 2, r10 4, r11 8, xmm0 16, xmm1 32)"))
}

fn ignored_sigterm() -> CheckOutcome {
    let child = in_child(|| {
        set_plain(SIGTERM, SIG_IGN);
        // Tell the parent we are ready by exiting only after a long wait; it kills us first.
        sleep_milliseconds(3_000);
        5
    })?;
    sleep_milliseconds(50);
    kill(child, SIGTERM).map_err(|e| alloc::format!("kill: {e:?}"))?;
    sleep_milliseconds(50);
    let alive = libos::process::identity::waitpid(child, None, libposix_sys::wait::WNOHANG);
    kill(child, SIGKILL).map_err(|e| alloc::format!("kill: {e:?}"))?;
    expect_signalled(child, SIGKILL)?;
    ensure!(
        alive == Ok(0),
        "the child ignoring SIGTERM ended: {alive:?}"
    );
    Ok(())
}

/// The address of a local in the alternate-stack handler, and what `sigaltstack` said there.
static HANDLER_STACK: AtomicU64 = AtomicU64::new(0);
static HANDLER_STACK_FLAGS: AtomicU64 = AtomicU64::new(0);

extern "C" fn stack_handler(
    _: i32,
    _: *mut libposix_sys::siginfo::Siginfo,
    _: *mut core::ffi::c_void,
) {
    let local = 0u8;
    HANDLER_STACK.store(core::ptr::from_ref(&local) as u64, Ordering::SeqCst);
    let mut current = SignalStack::default();
    let _ = sigaltstack(None, Some(&mut current));
    HANDLER_STACK_FLAGS.store(current.ss_flags as u64, Ordering::SeqCst);
}

fn alternate_stack() -> CheckOutcome {
    let stack = vec![0u8; 4 * MINSIGSTKSZ].leak();
    let base = stack.as_ptr() as u64;
    let size = stack.len() as u64;
    let new = SignalStack {
        ss_sp: base as usize,
        ss_flags: 0,
        ss_size: size as usize,
    };
    sigaltstack(Some(&new), None).map_err(|e| alloc::format!("sigaltstack: {e:?}"))?;
    install(SIGUSR1, stack_handler, SA_ONSTACK, SignalSet::EMPTY)?;
    raise(SIGUSR1).map_err(|e| alloc::format!("raise: {e:?}"))?;
    let synchronous = HANDLER_STACK.load(Ordering::SeqCst);
    let flags = HANDLER_STACK_FLAGS.load(Ordering::SeqCst) as i32;
    // And through a forced entry into a running child.
    HANDLER_STACK.store(0, Ordering::SeqCst);
    let child = in_child(|| {
        let end = libos::clock::clock_monotonic() + 5_000_000_000;
        while HANDLER_STACK.load(Ordering::SeqCst) == 0 {
            if libos::clock::clock_monotonic() > end {
                return 2;
            }
        }
        let at = HANDLER_STACK.load(Ordering::SeqCst);
        i32::from(!(base..base + size).contains(&at))
    })?;
    sleep_milliseconds(50);
    kill(child, SIGUSR1).map_err(|e| alloc::format!("kill: {e:?}"))?;
    let forced = expect_exit(child, 0);
    restore(SIGUSR1);
    let disable = SignalStack {
        ss_flags: SS_DISABLE,
        ..SignalStack::default()
    };
    sigaltstack(Some(&disable), None).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        (base..base + size).contains(&synchronous),
        "the handler ran at {synchronous:#x}, not on the stack at {base:#x}+{size:#x}"
    );
    ensure!(
        flags == SS_ONSTACK,
        "sigaltstack in the handler said flags {flags}"
    );
    forced.map_err(|e| alloc::format!("forced entry: {e}"))
}

fn alternate_stack_errors() -> CheckOutcome {
    let small = SignalStack {
        ss_sp: 0x1000,
        ss_flags: 0,
        ss_size: MINSIGSTKSZ - 1,
    };
    ensure!(
        sigaltstack(Some(&small), None) == Err(Errno::ENOMEM),
        "a small stack was not ENOMEM"
    );
    let bad = SignalStack {
        ss_sp: 0x1000,
        ss_flags: 0x55,
        ss_size: MINSIGSTKSZ,
    };
    ensure!(
        sigaltstack(Some(&bad), None) == Err(Errno::EINVAL),
        "bad flags were not EINVAL"
    );
    let mut old = SignalStack::default();
    sigaltstack(None, Some(&mut old)).map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(
        old.ss_flags == SS_DISABLE,
        "no stack: flags {}",
        old.ss_flags
    );
    Ok(())
}

fn fork_inherits() -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    sigprocmask(SIG_BLOCK, Some(&SignalSet::EMPTY.with(SIGUSR2)), None)
        .map_err(|e| alloc::format!("{e:?}"))?;
    let parent = getpid().map_err(|e| alloc::format!("{e:?}"))?;
    let child = in_child(|| {
        let mut mask = SignalSet::EMPTY;
        let _ = sigprocmask(SIG_BLOCK, None, Some(&mut mask));
        if !mask.contains(SIGUSR2) {
            return 3;
        }
        if getppid() != Ok(parent) || raise(SIGUSR1).is_err() {
            return 4;
        }
        i32::from(HANDLED.load(Ordering::SeqCst) != 1)
    })?;
    restore(SIGUSR1);
    sigprocmask(
        libposix_sys::signal::SIG_UNBLOCK,
        Some(&SignalSet::EMPTY.with(SIGUSR2)),
        None,
    )
    .map_err(|e| alloc::format!("{e:?}"))?;
    expect_exit(child, 0)
}
