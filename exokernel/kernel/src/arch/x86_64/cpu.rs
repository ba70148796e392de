//! Small CPU primitives: halting, interrupt flag, timestamp counter, control registers.

use core::sync::atomic::{AtomicBool, Ordering};

use x86_64::instructions::{hlt, interrupts};

/// Whether SMAP is on (then `clac` exists and matters).
static SMAP_ON: AtomicBool = AtomicBool::new(false);

/// Stops the CPU for good (interrupts off, halt in a loop).
pub fn halt_forever() -> ! {
    interrupts::disable();
    loop {
        hlt();
    }
}

/// Allows maskable interrupts.
pub fn enable_interrupts() {
    interrupts::enable();
}

/// Masks maskable interrupts.
pub fn disable_interrupts() {
    interrupts::disable();
}

/// Enables interrupts and halts until one arrives, atomically (no wake-up is lost).
pub fn wait_for_interrupt() {
    interrupts::enable_and_hlt();
}

/// Runs `function` with maskable interrupts off, restoring the previous state after.
pub fn without_interrupts<T>(function: impl FnOnce() -> T) -> T {
    interrupts::without_interrupts(function)
}

/// Raises a breakpoint exception (`int3`) in the kernel; its handler counts it and returns.
pub fn breakpoint() {
    x86_64::instructions::interrupts::int3();
}

/// The timestamp counter.
#[must_use]
pub fn timestamp_counter() -> u64 {
    // SAFETY: `rdtsc` has no side effects and is available on every x86_64 CPU.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The faulting address of the last page fault.
#[must_use]
pub fn page_fault_address() -> u64 {
    x86_64::registers::control::Cr2::read_raw()
}

/// Whether the CPU supports the no-execute page bit.
#[must_use]
pub fn supports_no_execute() -> bool {
    // CPUID leaf 0x8000_0001 exists on every x86_64 CPU (long mode requires it).
    let extended = core::arch::x86_64::__cpuid(0x8000_0001);
    extended.edx & (1 << 20) != 0
}

/// Which of the supervisor protections CPUID reports: (SMEP, SMAP, UMIP).
#[must_use]
pub fn supervisor_protections() -> (bool, bool, bool) {
    // Leaf 7 exists if the highest basic leaf is at least 7.
    if core::arch::x86_64::__cpuid(0).eax < 7 {
        return (false, false, false);
    }
    let features = core::arch::x86_64::__cpuid_count(7, 0);
    (
        features.ebx & (1 << 7) != 0,
        features.ebx & (1 << 20) != 0,
        features.ecx & (1 << 2) != 0,
    )
}

/// Clears RFLAGS.AC, which in ring 0 would switch SMAP off. `syscall` clears it through
/// `SFMASK`, but interrupts and exceptions keep the user's AC: call this on every entry from
/// user mode.
pub fn clear_alignment_check() {
    if SMAP_ON.load(Ordering::Relaxed) {
        // SAFETY: `clac` only clears RFLAGS.AC; it exists because SMAP is supported.
        unsafe { core::arch::asm!("clac", options(nomem, nostack)) };
    }
}

/// Which supervisor protections are on in CR4: (SMEP, SMAP, UMIP).
#[must_use]
pub fn supervisor_protections_enabled() -> (bool, bool, bool) {
    use x86_64::registers::control::{Cr4, Cr4Flags};
    let flags = Cr4::read();
    (
        flags.contains(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION),
        flags.contains(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION),
        flags.contains(Cr4Flags::USER_MODE_INSTRUCTION_PREVENTION),
    )
}

/// Turns on no-execute pages, write protection in ring 0, global pages, and where the CPU has
/// them SMEP (the kernel never executes user pages), SMAP (the kernel never touches user pages
/// through user addresses: it reaches user memory only through the direct map) and UMIP
/// (`sgdt`, `sidt`, `sldt`, `smsw` and `str` fault in ring 3 instead of revealing kernel
/// addresses).
pub fn enable_protection_features() {
    use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
    use x86_64::registers::model_specific::{Efer, EferFlags};
    if supports_no_execute() {
        // SAFETY: NXE only changes how the NX bit is interpreted; the CPU supports it.
        unsafe { Efer::update(|flags| *flags |= EferFlags::NO_EXECUTE_ENABLE) };
    }
    let (smep, smap, umip) = supervisor_protections();
    let mut protections = Cr4Flags::PAGE_GLOBAL;
    if smep {
        protections |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION;
    }
    if smap {
        protections |= Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION;
        SMAP_ON.store(true, Ordering::Relaxed);
    }
    if umip {
        protections |= Cr4Flags::USER_MODE_INSTRUCTION_PREVENTION;
    }
    // SAFETY: write protection and global pages do not invalidate any existing mapping; the
    // kernel neither executes nor accesses user-half pages, so SMEP and SMAP change nothing
    // for it; the CPU reported each feature it gets.
    unsafe {
        Cr0::update(|flags| *flags |= Cr0Flags::WRITE_PROTECT);
        Cr4::update(|flags| *flags |= protections);
    }
}
