//! The `ucontext_t` an `SA_SIGINFO` handler gets as its third argument: the interrupted
//! registers at Linux's `REG_*` indices (those of the call site when the LibOS runs the handler
//! at one of its checkpoints), a pointer to the saved floating-point state (its first 512 bytes
//! in the `fxsave` layout), the alternate stack and the blocked mask of the interrupted code.
//! When the handlers return, the registers and mask written there are the ones the interrupted
//! code resumes with, as Linux's `rt_sigreturn` takes them from the frame — so ported code that
//! reads or moves `uc_mcontext.gregs[REG_RIP]` works.

use core::sync::atomic::Ordering;

use exokernel_abi::RegisterSet;
use libposix_sys::signal::{SS_DISABLE, SS_ONSTACK, SignalSet, SignalStack};
use libposix_sys::ucontext::{
    MachineContext, REG_CSGSFS, REG_EFL, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
    REG_R14, REG_R15, REG_RAX, REG_RBP, REG_RBX, REG_RCX, REG_RDI, REG_RDX, REG_RIP, REG_RSI,
    REG_RSP, Ucontext,
};

use super::page::SignalPage;

/// The user code and stack selectors Linux reports in `REG_CSGSFS` (`cs` 0x33, `ss` 0x2b).
const USER_SELECTORS: u64 = 0x33 | (0x2b << 48);

/// Where each register of a [`RegisterSet`] goes in `gregs`.
fn slots(registers: &mut RegisterSet) -> [(i32, &mut u64); 18] {
    [
        (REG_R8, &mut registers.r8),
        (REG_R9, &mut registers.r9),
        (REG_R10, &mut registers.r10),
        (REG_R11, &mut registers.r11),
        (REG_R12, &mut registers.r12),
        (REG_R13, &mut registers.r13),
        (REG_R14, &mut registers.r14),
        (REG_R15, &mut registers.r15),
        (REG_RDI, &mut registers.rdi),
        (REG_RSI, &mut registers.rsi),
        (REG_RBP, &mut registers.rbp),
        (REG_RBX, &mut registers.rbx),
        (REG_RDX, &mut registers.rdx),
        (REG_RAX, &mut registers.rax),
        (REG_RCX, &mut registers.rcx),
        (REG_RSP, &mut registers.rsp),
        (REG_RIP, &mut registers.rip),
        (REG_EFL, &mut registers.rflags),
    ]
}

/// The context of the interrupted `registers`, with the saved state at `floating_point`.
#[must_use]
pub fn build(page: &SignalPage, registers: &RegisterSet, floating_point: usize) -> Ucontext {
    let mut machine = MachineContext {
        fpregs: floating_point,
        ..MachineContext::default()
    };
    let mut copy = *registers;
    for (index, value) in slots(&mut copy) {
        machine.gregs[index as usize] = *value;
    }
    machine.gregs[REG_CSGSFS as usize] = USER_SELECTORS;
    let base = page.alternate_stack_base.load(Ordering::Acquire);
    let size = page.alternate_stack_size.load(Ordering::Acquire);
    let here = super::delivery::current_stack();
    Ucontext {
        uc_flags: 0,
        uc_link: 0,
        uc_stack: SignalStack {
            ss_sp: base as usize,
            ss_flags: if size == 0 {
                SS_DISABLE
            } else if (base..base.saturating_add(size)).contains(&here) {
                SS_ONSTACK
            } else {
                0
            },
            ss_size: size as usize,
        },
        uc_mcontext: machine,
        uc_sigmask: SignalSet::from_bits(page.blocked.load(Ordering::Acquire)),
    }
}

/// After the handlers: the registers and mask the interrupted code resumes with, as the
/// handlers left them in `context`.
pub fn apply(page: &SignalPage, context: &Ucontext, registers: &mut RegisterSet) {
    for (index, value) in slots(registers) {
        *value = context.uc_mcontext.gregs[index as usize];
    }
    page.blocked.store(
        context.uc_sigmask.difference(SignalSet::UNBLOCKABLE).bits,
        Ordering::Release,
    );
}
