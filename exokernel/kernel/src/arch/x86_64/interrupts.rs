//! The IDT and the assembly entry stubs: every vector saves the full register file into a
//! [`TrapFrame`] on the stack and calls the generic kernel's trap handler; the way back is
//! `iretq`, or `sysretq` when [`super::return_path`] allows it.

use core::arch::global_asm;

use spin::Once;
use x86_64::VirtAddr;
use x86_64::structures::idt::InterruptDescriptorTable;

use super::descriptor_tables::{
    DOUBLE_FAULT_STACK_INDEX, EMERGENCY_STACK_INDEX, MACHINE_CHECK_STACK_INDEX,
};

/// Vector of the local APIC timer.
pub const TIMER_VECTOR: u8 = 32;
/// Vector of the console's receive interrupt (COM1, ISA IRQ 4, through the I/O APIC).
pub const CONSOLE_INPUT_VECTOR: u8 = 33;
/// Vector the local APIC uses for spurious interrupts.
pub const SPURIOUS_VECTOR: u8 = 255;

/// The register file as saved by the entry stubs, lowest address first.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// The interrupt vector.
    pub vector: u64,
    /// The CPU's error code, or 0 for vectors without one.
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// Copies `source` into this frame register by register. A plain assignment of the 176-byte
    /// frame compiles to a `memcpy` call, whose `rep movsq` QEMU's TCG runs as one translated
    /// block per word; the entry path copies a frame two or three times per trap.
    #[inline(always)]
    pub fn copy_from(&mut self, source: &Self) {
        macro_rules! copy_registers {
            ($($register:ident),*) => {
                $(
                    // SAFETY: both are valid, aligned references to frames; a volatile read
                    // keeps the compiler from merging the copies back into one `memcpy`.
                    self.$register = unsafe { core::ptr::read_volatile(&source.$register) };
                )*
            };
        }
        copy_registers!(
            r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax, vector,
            error_code, rip, cs, rflags, rsp, ss
        );
    }

    /// Whether the interrupted code ran in ring 3.
    #[must_use]
    pub fn came_from_user_mode(&self) -> bool {
        self.cs & 3 == 3
    }
}

/// The architectural name of an exception vector.
#[must_use]
pub fn exception_name(vector: u64) -> &'static str {
    match vector {
        0 => "divide error",
        1 => "debug",
        2 => "non-maskable interrupt",
        3 => "breakpoint",
        4 => "overflow",
        5 => "bound range exceeded",
        6 => "invalid opcode",
        7 => "device not available",
        8 => "double fault",
        10 => "invalid TSS",
        11 => "segment not present",
        12 => "stack-segment fault",
        13 => "general protection",
        14 => "page fault",
        16 => "x87 floating point",
        17 => "alignment check",
        18 => "machine check",
        19 => "SIMD floating point",
        20 => "virtualization",
        21 => "control protection",
        28 => "hypervisor injection",
        29 => "VMM communication",
        30 => "security",
        32 => "timer",
        33 => "console input",
        255 => "spurious",
        _ => "reserved",
    }
}

// Vectors 8, 10-14, 17, 21, 29 and 30 push an error code; the others get a zero so that every
// frame has the same shape.
global_asm!(
    r#"
    .macro TRAP_STUB vector, has_error_code
    .balign 16
trap_stub_\vector:
    .if \has_error_code == 0
    pushq $0
    .endif
    pushq $\vector
    jmp trap_common
    .endm

    .text
    TRAP_STUB 0, 0
    TRAP_STUB 1, 0
    TRAP_STUB 2, 0
    TRAP_STUB 3, 0
    TRAP_STUB 4, 0
    TRAP_STUB 5, 0
    TRAP_STUB 6, 0
    TRAP_STUB 7, 0
    TRAP_STUB 8, 1
    TRAP_STUB 9, 0
    TRAP_STUB 10, 1
    TRAP_STUB 11, 1
    TRAP_STUB 12, 1
    TRAP_STUB 13, 1
    TRAP_STUB 14, 1
    TRAP_STUB 15, 0
    TRAP_STUB 16, 0
    TRAP_STUB 17, 1
    TRAP_STUB 18, 0
    TRAP_STUB 19, 0
    TRAP_STUB 20, 0
    TRAP_STUB 21, 1
    TRAP_STUB 22, 0
    TRAP_STUB 23, 0
    TRAP_STUB 24, 0
    TRAP_STUB 25, 0
    TRAP_STUB 26, 0
    TRAP_STUB 27, 0
    TRAP_STUB 28, 0
    TRAP_STUB 29, 1
    TRAP_STUB 30, 1
    TRAP_STUB 31, 0
    TRAP_STUB 32, 0
    TRAP_STUB 33, 0
    TRAP_STUB 255, 0

    .global trap_common
trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    cld
    call trap_entry
    testq %rax, %rax
    jnz sysret_return
    .global trap_return
trap_return:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

    // The frame passed `can_return_with_sysret`: rcx already holds rip and r11 rflags. Only
    // NMIs and machine checks can interrupt between loading the user stack and `sysretq`, and
    // they run on their own IST stack.
sysret_return:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    movq 40(%rsp), %rsp
    sysretq

    .section .rodata
    .balign 8
    .global trap_stub_table
trap_stub_table:
    .quad trap_stub_0, trap_stub_1, trap_stub_2, trap_stub_3
    .quad trap_stub_4, trap_stub_5, trap_stub_6, trap_stub_7
    .quad trap_stub_8, trap_stub_9, trap_stub_10, trap_stub_11
    .quad trap_stub_12, trap_stub_13, trap_stub_14, trap_stub_15
    .quad trap_stub_16, trap_stub_17, trap_stub_18, trap_stub_19
    .quad trap_stub_20, trap_stub_21, trap_stub_22, trap_stub_23
    .quad trap_stub_24, trap_stub_25, trap_stub_26, trap_stub_27
    .quad trap_stub_28, trap_stub_29, trap_stub_30, trap_stub_31
    .quad trap_stub_32, trap_stub_33, trap_stub_255
    .text
    "#,
    options(att_syntax)
);

unsafe extern "C" {
    /// Addresses of the stubs for vectors 0..=33 and 255, in that order.
    static trap_stub_table: [u64; 35];
}

/// Called by `trap_common` with the saved frame; hands it to the generic kernel. Returns
/// non-zero when the frame to resume may be returned to with `sysretq` instead of `iretq`.
#[unsafe(no_mangle)]
extern "C" fn trap_entry(frame: &mut TrapFrame) -> u64 {
    crate::trap::handle(frame);
    u64::from(super::return_path::can_return_with_sysret(frame))
}

static INTERRUPT_DESCRIPTOR_TABLE: Once<InterruptDescriptorTable> = Once::new();

/// Builds and loads the IDT.
pub fn initialise() {
    let table = INTERRUPT_DESCRIPTOR_TABLE.call_once(|| {
        // SAFETY: the table is written by the assembly above and never modified.
        let stubs = unsafe { &trap_stub_table };
        let stub = |index: usize| VirtAddr::new(stubs[index]);
        let mut table = InterruptDescriptorTable::new();
        // SAFETY: every `set_handler_addr` below installs an entry stub above that saves the
        // frame, calls the handler and returns with `iretq`, matching its vector's error-code
        // convention.
        unsafe {
            table.divide_error.set_handler_addr(stub(0));
            table.debug.set_handler_addr(stub(1));
            table
                .non_maskable_interrupt
                .set_handler_addr(stub(2))
                .set_stack_index(EMERGENCY_STACK_INDEX);
            // Breakpoints may be raised from ring 3 (`int3`), so the gate allows it.
            table
                .breakpoint
                .set_handler_addr(stub(3))
                .set_privilege_level(x86_64::PrivilegeLevel::Ring3);
            table.overflow.set_handler_addr(stub(4));
            table.bound_range_exceeded.set_handler_addr(stub(5));
            table.invalid_opcode.set_handler_addr(stub(6));
            table.device_not_available.set_handler_addr(stub(7));
            table
                .double_fault
                .set_handler_addr(stub(8))
                .set_stack_index(DOUBLE_FAULT_STACK_INDEX);
            table.invalid_tss.set_handler_addr(stub(10));
            table.segment_not_present.set_handler_addr(stub(11));
            table.stack_segment_fault.set_handler_addr(stub(12));
            table.general_protection_fault.set_handler_addr(stub(13));
            table.page_fault.set_handler_addr(stub(14));
            table.x87_floating_point.set_handler_addr(stub(16));
            table.alignment_check.set_handler_addr(stub(17));
            table
                .machine_check
                .set_handler_addr(stub(18))
                .set_stack_index(MACHINE_CHECK_STACK_INDEX);
            table.simd_floating_point.set_handler_addr(stub(19));
            table.virtualization.set_handler_addr(stub(20));
            table.cp_protection_exception.set_handler_addr(stub(21));
            table.hv_injection_exception.set_handler_addr(stub(28));
            table.vmm_communication_exception.set_handler_addr(stub(29));
            table.security_exception.set_handler_addr(stub(30));
            table[TIMER_VECTOR].set_handler_addr(stub(32));
            table[CONSOLE_INPUT_VECTOR].set_handler_addr(stub(33));
            table[SPURIOUS_VECTOR].set_handler_addr(stub(34));
        }
        table
    });
    table.load();
}
