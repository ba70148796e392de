//! How the signal trampoline saves the interrupted code's floating-point and vector state: with
//! `xsave64`/`xrstor64` over every component the kernel enabled in XCR0 (x87, SSE, and AVX's
//! upper halves, AVX-512 where present), in an area sized from CPUID leaf 0xD, or with
//! `fxsave64` (x87 and SSE) when the kernel did not turn XSAVE on (CR4.OSXSAVE, which CPUID
//! leaf 1 reports to user mode). A handler may then use any vector register without corrupting
//! the code it interrupted, as on Linux.

use core::arch::x86_64::{__cpuid, __cpuid_count};
use core::sync::atomic::{AtomicU64, Ordering};

/// The `fxsave` image's size (also the legacy part of an `xsave` area).
pub const LEGACY_AREA_SIZE: u64 = 512;
/// `xsave`/`xrstor` need a 64-byte-aligned area; the trampoline keeps its stack so.
const AREA_ALIGNMENT: u64 = 64;

/// The `xsave` area's size for the components XCR0 enables, a multiple of 64; 0 when the
/// trampoline uses `fxsave64` instead. Read by the trampoline's assembly; written once, before
/// the trampoline is registered ([`prepare`]).
pub(super) static XSAVE_AREA_SIZE: AtomicU64 = AtomicU64::new(0);

/// Whether `xsave`/`xrstor` may run in user mode: the CPU has XSAVE and the kernel set
/// CR4.OSXSAVE (CPUID.1:ECX bit 27 mirrors it).
fn xsave_enabled() -> bool {
    __cpuid(1).ecx & (1 << 27) != 0 && __cpuid(0).eax >= 0xd
}

/// Works out the save area for this CPU and kernel: call before the trampoline can be entered.
pub fn prepare() {
    let size = if xsave_enabled() {
        // EBX of leaf 0xD, sub-leaf 0: the area size for the components XCR0 enables now.
        u64::from(__cpuid_count(0xd, 0).ebx).next_multiple_of(AREA_ALIGNMENT)
    } else {
        0
    };
    XSAVE_AREA_SIZE.store(size, Ordering::Release);
}

/// The bytes the trampoline reserves for the state below its frame.
#[must_use]
pub fn area_size() -> u64 {
    match XSAVE_AREA_SIZE.load(Ordering::Acquire) {
        0 => LEGACY_AREA_SIZE,
        size => size,
    }
}

/// The state components saved: XCR0 (read with `xgetbv`) under `xsave`, x87 and SSE (bits 0
/// and 1) under `fxsave`.
#[must_use]
pub fn saved_components() -> u64 {
    if XSAVE_AREA_SIZE.load(Ordering::Acquire) == 0 {
        return 0b11;
    }
    let (low, high): (u32, u32);
    // SAFETY: `xgetbv` with ECX = 0 reads XCR0; it is allowed in user mode when CR4.OSXSAVE is
    // set, which `prepare` saw before making the area size non-zero. No memory is touched.
    unsafe {
        core::arch::asm!(
            "xgetbv",
            in("ecx") 0,
            out("eax") low,
            out("edx") high,
            options(nomem, nostack, preserves_flags),
        );
    }
    u64::from(low) | (u64::from(high) << 32)
}
