//! Checks of the third argument of an `SA_SIGINFO` handler as Linux's `ucontext_t`: the
//! interrupted registers read at Linux's offsets (`REG_RIP`, `REG_RSP`), the interrupted mask in
//! `uc_sigmask`, and a handler that moves `REG_RIP` past a faulting instruction resuming there.

use core::sync::atomic::{AtomicU64, Ordering};

use libos::signal::sigprocmask;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::siginfo::Siginfo;
use libposix_sys::signal::{SA_SIGINFO, SIG_BLOCK, SIG_SETMASK, SIGILL, SIGUSR2, SignalSet};
use libposix_sys::ucontext::{REG_RIP, REG_RSP};

use crate::ensure;
use crate::support::{install, restore};

/// Every check of this file.
pub const ALL: &[Check] = &[Check {
    name: "sigaction:SA_SIGINFO-ucontext-REG_RIP",
    covers: &["sigaction:SA_SIGINFO-ucontext"],
    run: context_registers,
}];

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
