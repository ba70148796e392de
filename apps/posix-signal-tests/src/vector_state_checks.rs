//! Checks that a handler's use of the vector registers does not reach the code it interrupted:
//! the interrupted code fills `ymm0`–`ymm15` (the AVX upper halves included), takes a fault
//! whose handler overwrites all sixteen, and finds its own values again after the handler.

use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::signal::extended_state::saved_components;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::siginfo::Siginfo;
use libposix_sys::signal::{SA_SIGINFO, SIGILL, SignalSet};
use libposix_sys::ucontext::REG_RIP;

use crate::ensure;
use crate::support::{install, restore};

/// Every check of this file.
pub const ALL: &[Check] = &[Check {
    name: "sigaction:handler-preserves-avx-state",
    covers: &["sigaction:handler-preserves-avx-state"],
    run: vector_state_preserved,
}];

/// XCR0's AVX bit: the upper halves of `ymm0`–`ymm15` are saved state.
const AVX_COMPONENT: u64 = 1 << 2;

static HANDLED: AtomicU64 = AtomicU64::new(0);

/// Sets every bit of `ymm0`–`ymm15` (`vcmpps` with the always-true predicate).
///
/// # Safety
/// The CPU has AVX and the kernel enabled it (XCR0 bit 2).
unsafe fn clobber_vector_registers() {
    // SAFETY: only vector registers are written. This target is soft-float: compiled code never
    // keeps a value in them, so they need no clobber declarations (which it cannot express).
    unsafe {
        core::arch::asm!(
            "vcmpps ymm0, ymm0, ymm0, 15",
            "vcmpps ymm1, ymm1, ymm1, 15",
            "vcmpps ymm2, ymm2, ymm2, 15",
            "vcmpps ymm3, ymm3, ymm3, 15",
            "vcmpps ymm4, ymm4, ymm4, 15",
            "vcmpps ymm5, ymm5, ymm5, 15",
            "vcmpps ymm6, ymm6, ymm6, 15",
            "vcmpps ymm7, ymm7, ymm7, 15",
            "vcmpps ymm8, ymm8, ymm8, 15",
            "vcmpps ymm9, ymm9, ymm9, 15",
            "vcmpps ymm10, ymm10, ymm10, 15",
            "vcmpps ymm11, ymm11, ymm11, 15",
            "vcmpps ymm12, ymm12, ymm12, 15",
            "vcmpps ymm13, ymm13, ymm13, 15",
            "vcmpps ymm14, ymm14, ymm14, 15",
            "vcmpps ymm15, ymm15, ymm15, 15",
            options(nomem, nostack),
        );
    }
}

/// Overwrites every vector register, then resumes past the 2-byte `ud2`.
extern "C" fn clobbering_handler(_: i32, _: *mut Siginfo, context: *mut core::ffi::c_void) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the check installs this handler only after seeing AVX enabled in XCR0.
    unsafe { clobber_vector_registers() };
    let base = context.cast::<u8>();
    // SAFETY: the LibOS passes a `ucontext_t` for a handler entered for a fault; `gregs` is at
    // offset 40 (Linux's layout).
    unsafe {
        let rip = base.add(40 + 8 * REG_RIP as usize).cast::<u64>();
        rip.write(rip.read() + 2);
    }
}

/// Loads `ymm0`–`ymm15` from `pattern` (register `i` gets its 32 bytes at `32 i`), executes
/// `ud2`, and stores the sixteen registers as they are afterwards into `after`.
///
/// # Safety
/// As [`clobber_vector_registers`]; a handler for `SIGILL` that resumes past the `ud2` is
/// installed.
unsafe fn fault_between(pattern: &[u8; 512], after: &mut [u8; 512]) {
    // SAFETY: reads `pattern` and writes `after`, 512 bytes each; `ud2` raises #UD, whose
    // handler moves `rip` past it; compiled code keeps nothing in vector registers on this
    // soft-float target.
    unsafe {
        core::arch::asm!(
            "vmovdqu ymm0, [{p}]",
            "vmovdqu ymm1, [{p} + 32]",
            "vmovdqu ymm2, [{p} + 64]",
            "vmovdqu ymm3, [{p} + 96]",
            "vmovdqu ymm4, [{p} + 128]",
            "vmovdqu ymm5, [{p} + 160]",
            "vmovdqu ymm6, [{p} + 192]",
            "vmovdqu ymm7, [{p} + 224]",
            "vmovdqu ymm8, [{p} + 256]",
            "vmovdqu ymm9, [{p} + 288]",
            "vmovdqu ymm10, [{p} + 320]",
            "vmovdqu ymm11, [{p} + 352]",
            "vmovdqu ymm12, [{p} + 384]",
            "vmovdqu ymm13, [{p} + 416]",
            "vmovdqu ymm14, [{p} + 448]",
            "vmovdqu ymm15, [{p} + 480]",
            "ud2",
            "vmovdqu [{a}], ymm0",
            "vmovdqu [{a} + 32], ymm1",
            "vmovdqu [{a} + 64], ymm2",
            "vmovdqu [{a} + 96], ymm3",
            "vmovdqu [{a} + 128], ymm4",
            "vmovdqu [{a} + 160], ymm5",
            "vmovdqu [{a} + 192], ymm6",
            "vmovdqu [{a} + 224], ymm7",
            "vmovdqu [{a} + 256], ymm8",
            "vmovdqu [{a} + 288], ymm9",
            "vmovdqu [{a} + 320], ymm10",
            "vmovdqu [{a} + 352], ymm11",
            "vmovdqu [{a} + 384], ymm12",
            "vmovdqu [{a} + 416], ymm13",
            "vmovdqu [{a} + 448], ymm14",
            "vmovdqu [{a} + 480], ymm15",
            "vzeroupper",
            p = in(reg) pattern.as_ptr(),
            a = in(reg) after.as_mut_ptr(),
            options(nostack),
        );
    }
}

fn vector_state_preserved() -> CheckOutcome {
    let mut pattern = [0u8; 512];
    for (index, byte) in pattern.iter_mut().enumerate() {
        // No byte is 0xff, so a register the handler's all-ones leaked into shows.
        *byte = (index % 251) as u8;
    }
    let mut after = [0u8; 512];
    HANDLED.store(0, Ordering::SeqCst);
    install(SIGILL, clobbering_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    // Known once the trampoline is registered (by the first `sigaction` of a handler).
    let components = saved_components();
    if components & AVX_COMPONENT == 0 {
        restore(SIGILL);
        return Err(alloc::format!(
            "the trampoline does not save AVX state (components {components:#x}): this CPU or \
             kernel has no AVX enabled"
        ));
    }
    // SAFETY: AVX is enabled (above) and the SIGILL handler resumes past the `ud2`.
    unsafe { fault_between(&pattern, &mut after) };
    restore(SIGILL);
    ensure!(
        HANDLED.load(Ordering::SeqCst) == 1,
        "the handler ran {} times, not once",
        HANDLED.load(Ordering::SeqCst)
    );
    if let Some(register) = (0..16).find(|register| {
        pattern[32 * register..32 * register + 32] != after[32 * register..32 * register + 32]
    }) {
        let half = if pattern[32 * register..32 * register + 16]
            == after[32 * register..32 * register + 16]
        {
            "upper"
        } else {
            "lower"
        };
        let mut shown = String::new();
        for byte in &after[32 * register..32 * register + 32] {
            let _ = core::fmt::Write::write_fmt(&mut shown, format_args!("{byte:02x}"));
        }
        return Err(alloc::format!(
            "ymm{register}'s {half} half changed across the handler: now {shown}"
        ));
    }
    Ok(())
}
