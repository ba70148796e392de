//! The `syscall` entry: switches to the kernel stack and builds the same frame an interrupt
//! does, so every entry from user mode takes one path (`trap_common`); the return is `sysretq`
//! only for frames `return_path::can_return_with_sysret` accepts (canonical user rip among
//! them, so the `sysret` non-canonical-address trap cannot happen), `iretq` otherwise.

use core::arch::global_asm;

use x86_64::VirtAddr;
use x86_64::registers::model_specific::{Efer, EferFlags, LStar, SFMask, Star};
use x86_64::registers::rflags::RFlags;

use super::descriptor_tables::{Selectors, kernel_stack_top};

/// The vector number recorded in the frame of a system call.
pub const SYSTEM_CALL_VECTOR: u64 = 0x100;

/// The user stack pointer, parked while the entry switches stacks (one CPU).
#[unsafe(no_mangle)]
static mut SYSTEM_CALL_USER_STACK: u64 = 0;
/// The kernel stack top the entry switches to.
#[unsafe(no_mangle)]
static mut SYSTEM_CALL_KERNEL_STACK: u64 = 0;

global_asm!(
    r#"
    .text
    .global system_call_entry
system_call_entry:
    movq %rsp, SYSTEM_CALL_USER_STACK(%rip)
    movq SYSTEM_CALL_KERNEL_STACK(%rip), %rsp
    pushq $0x1b
    pushq SYSTEM_CALL_USER_STACK(%rip)
    pushq %r11
    pushq $0x23
    pushq %rcx
    pushq $0
    pushq $0x100
    jmp trap_common
    "#,
    options(att_syntax)
);

unsafe extern "C" {
    fn system_call_entry();
}

/// Enables `syscall` and points it at the entry above.
pub fn initialise(selectors: &Selectors) {
    // The entry hard-codes the user selectors; check the GDT agrees.
    assert_eq!(selectors.user_data.0, 0x1b, "user data selector");
    assert_eq!(selectors.user_code.0, 0x23, "user code selector");
    // SAFETY: written once at boot before any user code runs; the entry reads it with
    // interrupts masked.
    unsafe { SYSTEM_CALL_KERNEL_STACK = kernel_stack_top() };
    Star::write(
        selectors.user_code,
        selectors.user_data,
        selectors.kernel_code,
        selectors.kernel_data,
    )
    .expect("the GDT is laid out for syscall/sysret");
    LStar::write(VirtAddr::new(system_call_entry as *const () as u64));
    // Every flag Linux clears is clear on entry: interrupts, tracing, direction, alignment
    // check (the SMAP override), nested task (which would make `iretq` fault), IOPL, RF, ID.
    SFMask::write(RFlags::from_bits_truncate(
        exokernel_abi::registers::ENTRY_FLAGS_CLEARED,
    ));
    // SAFETY: enabling the syscall instruction once LSTAR/STAR/SFMASK are valid.
    unsafe { Efer::update(|flags| *flags |= EferFlags::SYSTEM_CALL_EXTENSIONS) };
}
