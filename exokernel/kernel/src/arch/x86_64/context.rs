//! Switching between user environments: address space, segment bases, and the first entry
//! into ring 3.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::VirtAddr;
use x86_64::registers::model_specific::{FsBase, KernelGsBase};

use super::descriptor_tables::kernel_stack_top;
use super::interrupts::TrapFrame;

// The user selectors and flags are defined once, with the function that enforces them.
pub use exokernel_abi::registers::{
    USER_CODE_SELECTOR, USER_DATA_SELECTOR, USER_FLAGS_FORCED, USER_FLAGS_MASK,
};

/// The FS and GS bases last written to the MSRs (one CPU; nothing else writes them, and ring 3
/// cannot: CR4.FSGSBASE stays off). Starts non-canonical so the first call writes.
static LOADED_FS_BASE: AtomicU64 = AtomicU64::new(u64::MAX);
static LOADED_GS_BASE: AtomicU64 = AtomicU64::new(u64::MAX);

/// Sets the FS and (user) GS bases for the next return to user mode. An MSR is written only when
/// its value changes: most returns go back to the environment that trapped, or to one with the
/// same bases, and under QEMU's TCG each `wrmsr` also ends the translated block.
pub fn set_segment_bases(fs_base: u64, gs_base: u64) {
    let canonical = |address: u64| VirtAddr::try_new(address).unwrap_or(VirtAddr::zero());
    let (fs_base, gs_base) = (canonical(fs_base), canonical(gs_base));
    if LOADED_FS_BASE.swap(fs_base.as_u64(), Ordering::Relaxed) != fs_base.as_u64() {
        FsBase::write(fs_base);
    }
    if LOADED_GS_BASE.swap(gs_base.as_u64(), Ordering::Relaxed) != gs_base.as_u64() {
        // The kernel never runs `swapgs`, so the user GS base is the active one; keep the
        // swap slot equal to avoid surprises if it ever does.
        x86_64::registers::model_specific::GsBase::write(gs_base);
        KernelGsBase::write(gs_base);
    }
}

/// A frame that enters ring 3 at `entry` with stack `stack` and the given argument registers.
#[must_use]
pub fn initial_user_frame(entry: u64, stack: u64) -> TrapFrame {
    TrapFrame {
        rip: entry,
        cs: USER_CODE_SELECTOR,
        rflags: USER_FLAGS_FORCED,
        rsp: stack,
        ss: USER_DATA_SELECTOR,
        ..TrapFrame::default()
    }
}

/// Leaves the boot path for good: copies `frame` to the top of the kernel stack and returns
/// through it, as if from an interrupt.
pub fn enter_user(frame: &TrapFrame) -> ! {
    let top = kernel_stack_top() - core::mem::size_of::<TrapFrame>() as u64;
    // SAFETY: the kernel stack is otherwise unused at this point (the boot path runs on the
    // boot stack and never returns); `trap_return` pops exactly a `TrapFrame` and `iretq`s.
    unsafe {
        core::ptr::write(top as *mut TrapFrame, *frame);
        asm!("mov rsp, {top}", "jmp trap_return", top = in(reg) top, options(noreturn));
    }
}
