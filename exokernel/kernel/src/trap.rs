//! What the kernel does with each interrupt and exception.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::arch::TrapFrame;
use crate::arch::interrupts::{
    CONSOLE_INPUT_VECTOR, SPURIOUS_VECTOR, TIMER_VECTOR, exception_name,
};
use crate::arch::{cpu, local_apic};
use crate::log;

/// Breakpoints taken in kernel mode (a kernel test checks exceptions return correctly).
pub static KERNEL_BREAKPOINTS: AtomicU64 = AtomicU64::new(0);

/// Non-maskable interrupts taken in kernel mode (logged and resumed).
pub static KERNEL_NMIS: AtomicU64 = AtomicU64::new(0);

/// Exit status the kernel reports to QEMU when it fails (panic or fatal exception).
pub const KERNEL_FAILURE_STATUS: u8 = 0x7f;

/// Handles one trap; returning resumes the interrupted code with `frame`.
pub fn handle(frame: &mut TrapFrame) {
    if frame.came_from_user_mode() {
        // Interrupts and exceptions keep the program's AC flag: clear it so SMAP holds in the
        // kernel. `syscall` has already cleared it through SFMASK (and under QEMU's TCG a
        // `clac` also ends the translated block).
        if frame.vector != crate::arch::system_call::SYSTEM_CALL_VECTOR {
            cpu::clear_alignment_check();
        }
        crate::user_trap::handle(frame);
        return;
    }
    match frame.vector {
        vector if vector == u64::from(TIMER_VECTOR) => {
            crate::time::tick();
            local_apic::end_of_interrupt();
        }
        // Taken while the kernel idles: the idle loop hands it on once it holds the kernel lock.
        vector if vector == u64::from(CONSOLE_INPUT_VECTOR) => {
            crate::console::note_input_interrupt();
            local_apic::end_of_interrupt();
        }
        vector if vector == u64::from(SPURIOUS_VECTOR) => {}
        3 if !frame.came_from_user_mode() => {
            KERNEL_BREAKPOINTS.fetch_add(1, Ordering::Relaxed);
        }
        // An NMI (a watchdog, a hardware error report, another CPU) can arrive anywhere, even
        // while the interrupted code holds the log lock: count it, report it without the lock,
        // and resume. It runs on its own IST stack, and the CPU blocks further NMIs until the
        // `iretq`.
        2 => {
            let count = KERNEL_NMIS.fetch_add(1, Ordering::Relaxed) + 1;
            log::emergency_write(format_args!(
                "[warning] non-maskable interrupt in kernel mode at rip={:#x} (#{count}); resuming",
                frame.rip
            ));
        }
        _ => fatal_exception(frame),
    }
}

/// A machine check: the hardware is failing; stop the machine.
pub fn machine_check(frame: &TrapFrame) -> ! {
    fatal_exception(frame)
}

/// Reports an exception nobody can handle and stops the machine with a failure status.
fn fatal_exception(frame: &TrapFrame) -> ! {
    // After a double fault CR2 still holds the page fault that caused it, if one did.
    let fault_address = if matches!(frame.vector, 8 | 14) {
        cpu::page_fault_address()
    } else {
        0
    };
    // A page fault on a guard page, or the double fault it turns into when the CPU cannot push
    // its frame on the overflowed stack, is a kernel stack overflow.
    let overflowed = if matches!(frame.vector, 8 | 14) && !frame.came_from_user_mode() {
        crate::arch::kernel_stacks::overflowed_stack(cpu::page_fault_address())
    } else {
        None
    };
    if let Some(stack) = overflowed {
        log::emergency_write(format_args!(
            "EXCEPTION kernel stack overflow: the {stack} stack ran into its guard page"
        ));
    }
    log::emergency_write(format_args!(
        "EXCEPTION vector={} ({}) error={:#x} cr2={:#x} rip={:#x} in {} mode",
        frame.vector,
        exception_name(frame.vector),
        frame.error_code,
        fault_address,
        frame.rip,
        if frame.came_from_user_mode() {
            "user"
        } else {
            "kernel"
        },
    ));
    log::emergency_write(format_args!(
        "  rax={:#018x} rbx={:#018x} rcx={:#018x} rdx={:#018x}\n  rsi={:#018x} rdi={:#018x} rbp={:#018x} rsp={:#018x}\n  r8={:#018x} r9={:#018x} r10={:#018x} r11={:#018x}\n  r12={:#018x} r13={:#018x} r14={:#018x} r15={:#018x}\n  cs={:#x} ss={:#x} rflags={:#x}",
        frame.rax,
        frame.rbx,
        frame.rcx,
        frame.rdx,
        frame.rsi,
        frame.rdi,
        frame.rbp,
        frame.rsp,
        frame.r8,
        frame.r9,
        frame.r10,
        frame.r11,
        frame.r12,
        frame.r13,
        frame.r14,
        frame.r15,
        frame.cs,
        frame.ss,
        frame.rflags,
    ));
    crate::arch::qemu::exit(KERNEL_FAILURE_STATUS)
}
