//! Checks of the third argument of an `SA_SIGINFO` handler as Linux's `ucontext_t`: the
//! interrupted registers read at Linux's offsets (`REG_RIP`, `REG_RSP`), the interrupted mask in
//! `uc_sigmask`, and a handler that moves `REG_RIP` past a faulting instruction resuming there;
//! and the context of a handler the LibOS runs at one of its checkpoints (here, on unblocking):
//! the call site's registers, the saved floating-point state and a mask the handler can change.

use core::sync::atomic::{AtomicU64, Ordering};

use libos::signal::{raise, sigprocmask};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::siginfo::Siginfo;
use libposix_sys::signal::{
    SA_SIGINFO, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SIGILL, SIGURG, SIGUSR1, SIGUSR2, SignalSet,
};
use libposix_sys::ucontext::{REG_RIP, REG_RSP};

use crate::ensure;
use crate::support::{install, restore};

/// Every check of this file.
pub const ALL: &[Check] = &[
    Check {
        name: "sigaction:SA_SIGINFO-ucontext-REG_RIP",
        covers: &["sigaction:SA_SIGINFO-ucontext"],
        run: context_registers,
    },
    Check {
        name: "sigaction:SA_SIGINFO-context-at-checkpoint",
        covers: &["sigaction:SA_SIGINFO-context-at-checkpoint"],
        run: context_at_checkpoint,
    },
];

static SEEN_RIP: AtomicU64 = AtomicU64::new(0);
static SEEN_ADDRESS: AtomicU64 = AtomicU64::new(0);
static SEEN_RSP: AtomicU64 = AtomicU64::new(0);
static SEEN_MASK: AtomicU64 = AtomicU64::new(0);
static RESUMED: AtomicU64 = AtomicU64::new(0);

/// Reads the context as C code compiled against glibc's `<ucontext.h>` does: `gregs` at offset
/// 40, `uc_sigmask` at offset 296; moves `REG_RIP` past the 2-byte `ud2`.
extern "C" fn skipping_handler(_: i32, information: *mut Siginfo, context: *mut core::ffi::c_void) {
    let base = context.cast::<u8>();
    // SAFETY: the LibOS passes a valid record and a `ucontext_t` for an `SA_SIGINFO` handler
    // entered for a fault; the offsets are Linux's x86_64 layout, inside the structure.
    unsafe {
        let rip = base.add(40 + 8 * REG_RIP as usize).cast::<u64>();
        SEEN_RIP.store(rip.read(), Ordering::SeqCst);
        SEEN_RSP.store(
            base.add(40 + 8 * REG_RSP as usize).cast::<u64>().read(),
            Ordering::SeqCst,
        );
        SEEN_MASK.store(base.add(296).cast::<u64>().read(), Ordering::SeqCst);
        SEEN_ADDRESS.store((*information).si_addr() as u64, Ordering::SeqCst);
        rip.write(rip.read() + 2);
    }
}

fn context_registers() -> CheckOutcome {
    let mut old = SignalSet::EMPTY;
    sigprocmask(
        SIG_BLOCK,
        Some(&SignalSet::EMPTY.with(SIGUSR2)),
        Some(&mut old),
    )
    .map_err(|error| alloc::format!("sigprocmask: {error}"))?;
    install(SIGILL, skipping_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    let marker = 0u64;
    let here = core::ptr::from_ref(&marker) as u64;
    // SAFETY: `ud2` raises #UD; the handler moves `rip` past it, so execution goes on here.
    unsafe { core::arch::asm!("ud2") };
    RESUMED.fetch_add(1, Ordering::SeqCst);
    restore(SIGILL);
    let _ = sigprocmask(SIG_SETMASK, Some(&old), None);
    ensure!(
        RESUMED.load(Ordering::SeqCst) == 1,
        "did not resume after ud2"
    );
    let rip = SEEN_RIP.load(Ordering::SeqCst);
    ensure!(
        rip != 0 && rip == SEEN_ADDRESS.load(Ordering::SeqCst),
        "REG_RIP {rip:#x} is not the faulting instruction {:#x}",
        SEEN_ADDRESS.load(Ordering::SeqCst)
    );
    let rsp = SEEN_RSP.load(Ordering::SeqCst);
    ensure!(
        rsp.abs_diff(here) < 64 * 1024,
        "REG_RSP {rsp:#x} is not near the interrupted stack {here:#x}"
    );
    ensure!(
        SEEN_MASK.load(Ordering::SeqCst) & (1 << (SIGUSR2 - 1)) != 0,
        "uc_sigmask {:#x} lacks the interrupted code's SIGUSR2",
        SEEN_MASK.load(Ordering::SeqCst)
    );
    Ok(())
}

/// What the checkpoint handler saw: the context's address, `REG_RIP`, `REG_RSP`, the byte five
/// before `REG_RIP`, `uc_sigmask`, and the saved MXCSR (`fpregs` + 24), or `u64::MAX` without
/// `fpregs`.
static CHECKPOINT_SEEN: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];

/// Records the context and blocks `SIGURG` in `uc_sigmask`: the mask the code resumes with.
extern "C" fn checkpoint_handler(_: i32, _: *mut Siginfo, context: *mut core::ffi::c_void) {
    let base = context.cast::<u8>();
    CHECKPOINT_SEEN[0].store(base as u64, Ordering::SeqCst);
    if base.is_null() {
        return;
    }
    // SAFETY: a non-null third argument is a `ucontext_t` (Linux's layout: `gregs` at 40,
    // `fpregs` at 224, `uc_sigmask` at 296); `REG_RIP` is a return address in this program's
    // code, readable five bytes back; `fpregs` points at a 512-byte `fxsave` image.
    unsafe {
        let rip = base.add(40 + 8 * REG_RIP as usize).cast::<u64>().read();
        CHECKPOINT_SEEN[1].store(rip, Ordering::SeqCst);
        CHECKPOINT_SEEN[2].store(
            base.add(40 + 8 * REG_RSP as usize).cast::<u64>().read(),
            Ordering::SeqCst,
        );
        if rip > 5 {
            CHECKPOINT_SEEN[3].store(
                u64::from((rip as *const u8).sub(5).read()),
                Ordering::SeqCst,
            );
        }
        let mask = base.add(296).cast::<u64>();
        CHECKPOINT_SEEN[4].store(mask.read(), Ordering::SeqCst);
        mask.write(mask.read() | 1 << (SIGURG - 1));
        let fpregs = base.add(224).cast::<u64>().read();
        CHECKPOINT_SEEN[5].store(
            if fpregs == 0 {
                u64::MAX
            } else {
                u64::from((fpregs as *const u8).add(24).cast::<u32>().read())
            },
            Ordering::SeqCst,
        );
    }
}

fn context_at_checkpoint() -> CheckOutcome {
    let mut old = SignalSet::EMPTY;
    let blocked = SignalSet::EMPTY.with(SIGUSR1).with(SIGUSR2);
    sigprocmask(SIG_BLOCK, Some(&blocked), Some(&mut old))
        .map_err(|error| alloc::format!("sigprocmask: {error}"))?;
    install(SIGUSR2, checkpoint_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    for seen in &CHECKPOINT_SEEN {
        seen.store(0, Ordering::SeqCst);
    }
    let marker = 0u64;
    let here = core::ptr::from_ref(&marker) as u64;
    let raised = raise(SIGUSR2);
    // Unblocking runs the handler at the LibOS's checkpoint, not from an interrupted
    // instruction.
    let unblocked = sigprocmask(SIG_UNBLOCK, Some(&SignalSet::EMPTY.with(SIGUSR2)), None);
    let mut after = SignalSet::EMPTY;
    let _ = sigprocmask(SIG_SETMASK, Some(&old), Some(&mut after));
    restore(SIGUSR2);
    raised.map_err(|error| alloc::format!("raise: {error}"))?;
    unblocked.map_err(|error| alloc::format!("sigprocmask: {error}"))?;
    let seen: [u64; 6] =
        core::array::from_fn(|index| CHECKPOINT_SEEN[index].load(Ordering::SeqCst));
    ensure!(
        seen[0] != 0,
        "the handler ran with a null context (or did not run)"
    );
    ensure!(
        seen[3] == 0xe8,
        "REG_RIP {:#x} is not a return address after a call (byte {:#x} five before)",
        seen[1],
        seen[3]
    );
    ensure!(
        seen[2].abs_diff(here) < 64 * 1024 && seen[2] < here,
        "REG_RSP {:#x} is not on the calling stack below {here:#x}",
        seen[2]
    );
    ensure!(
        seen[4] & (1 << (SIGUSR1 - 1)) != 0 && seen[4] & (1 << (SIGUSR2 - 1)) == 0,
        "uc_sigmask {:#x} is not the mask at the checkpoint (SIGUSR1 blocked, SIGUSR2 not)",
        seen[4]
    );
    ensure!(
        seen[5] != u64::MAX && seen[5] & 0xffff_0000 == 0,
        "fpregs missing or its MXCSR {:#x} is not one",
        seen[5]
    );
    ensure!(
        after.contains(SIGURG),
        "SIGURG, added to uc_sigmask by the handler, is not blocked after it returned ({:#x})",
        after.bits
    );
    Ok(())
}
