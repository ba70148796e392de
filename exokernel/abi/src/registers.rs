//! The one check every user register state passes before the kernel installs it: canonical
//! user `rip`/`rsp`, RFLAGS limited to the bits a program may choose, the user selectors.
//!
//! `EnvironmentSetRegisters`, `ExceptionResume`, the entry into an exception handler and
//! `init`'s first frame all go through [`sanitise`]; the kernel returns to ring 3 with `iretq`,
//! which faults *in ring 0* on a non-canonical `rip`, so nothing else may reach it. The
//! flags on kernel entry are the other half: [`ENTRY_FLAGS_CLEARED`] is the `SFMASK` value.

use crate::error::KernelError;
use crate::types::{RegisterSet, USER_ADDRESS_LIMIT};

/// RFLAGS bits by name.
pub mod flags {
    /// Carry.
    pub const CARRY: u64 = 1 << 0;
    /// Reserved, always 1.
    pub const RESERVED_ONE: u64 = 1 << 1;
    /// Parity.
    pub const PARITY: u64 = 1 << 2;
    /// Auxiliary carry.
    pub const AUXILIARY_CARRY: u64 = 1 << 4;
    /// Zero.
    pub const ZERO: u64 = 1 << 6;
    /// Sign.
    pub const SIGN: u64 = 1 << 7;
    /// Trap (single-step).
    pub const TRAP: u64 = 1 << 8;
    /// Interrupts enabled.
    pub const INTERRUPT: u64 = 1 << 9;
    /// Direction (string instructions count down).
    pub const DIRECTION: u64 = 1 << 10;
    /// Overflow.
    pub const OVERFLOW: u64 = 1 << 11;
    /// I/O privilege level (two bits).
    pub const IO_PRIVILEGE_LEVEL: u64 = 3 << 12;
    /// Nested task: makes `iretq` in the kernel raise #GP.
    pub const NESTED_TASK: u64 = 1 << 14;
    /// Resume (suppresses instruction breakpoints once).
    pub const RESUME: u64 = 1 << 16;
    /// Virtual-8086 mode.
    pub const VIRTUAL_8086: u64 = 1 << 17;
    /// Alignment check (and, in ring 0, SMAP override).
    pub const ALIGNMENT_CHECK: u64 = 1 << 18;
    /// Virtual interrupt flag.
    pub const VIRTUAL_INTERRUPT: u64 = 1 << 19;
    /// Virtual interrupt pending.
    pub const VIRTUAL_INTERRUPT_PENDING: u64 = 1 << 20;
    /// CPUID available.
    pub const IDENTIFICATION: u64 = 1 << 21;
}

/// The user code selector (ring 3, 64-bit), as laid out by the kernel's GDT.
pub const USER_CODE_SELECTOR: u64 = 0x23;
/// The user data and stack selector (ring 3).
pub const USER_DATA_SELECTOR: u64 = 0x1b;

/// RFLAGS bits a program may choose for an installed context: the arithmetic flags, the
/// direction flag and the trap flag. TF is kept so a debugger can single-step a stopped thread
/// (each step arrives as a debug exception, vector 1, through the exception upcall); the kernel
/// itself never runs with it, because [`ENTRY_FLAGS_CLEARED`] clears it on `syscall` and the CPU
/// clears it on every interrupt and exception.
pub const USER_FLAGS_MASK: u64 = flags::CARRY
    | flags::PARITY
    | flags::AUXILIARY_CARRY
    | flags::ZERO
    | flags::SIGN
    | flags::TRAP
    | flags::DIRECTION
    | flags::OVERFLOW;

/// RFLAGS bits always set in user mode: interrupts on, and the reserved bit 1.
pub const USER_FLAGS_FORCED: u64 = flags::INTERRUPT | flags::RESERVED_ONE;

/// The flags `syscall` clears on kernel entry (the `SFMASK` MSR): every flag Linux clears, so no
/// user choice (NT breaking `iretq`, AC overriding SMAP, TF single-stepping the kernel, DF
/// reversing string copies, IOPL, RF, ID) survives into the kernel.
pub const ENTRY_FLAGS_CLEARED: u64 = flags::CARRY
    | flags::PARITY
    | flags::AUXILIARY_CARRY
    | flags::ZERO
    | flags::SIGN
    | flags::TRAP
    | flags::INTERRUPT
    | flags::DIRECTION
    | flags::OVERFLOW
    | flags::IO_PRIVILEGE_LEVEL
    | flags::NESTED_TASK
    | flags::RESUME
    | flags::ALIGNMENT_CHECK
    | flags::IDENTIFICATION;

/// The highest user stack pointer: the end of the lower canonical half (an empty stack may
/// start there).
pub const USER_STACK_LIMIT: u64 = 0x0000_8000_0000_0000;

/// A register state fit to install: every field of `registers` is what the environment will
/// run with, and the selectors are the user ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRegisters {
    /// The registers, with `rflags` sanitised.
    pub registers: RegisterSet,
    /// The code selector ([`USER_CODE_SELECTOR`]).
    pub code_selector: u64,
    /// The stack selector ([`USER_DATA_SELECTOR`]).
    pub stack_selector: u64,
}

/// Checks and cleans a register state a program (or the kernel on its behalf) wants installed.
///
/// # Errors
/// [`KernelError::InvalidAddress`] if `rip` is not below [`USER_ADDRESS_LIMIT`] or `rsp` is above
/// [`USER_STACK_LIMIT`].
pub fn sanitise(registers: &RegisterSet) -> Result<UserRegisters, KernelError> {
    if registers.rip >= USER_ADDRESS_LIMIT || registers.rsp > USER_STACK_LIMIT {
        return Err(KernelError::InvalidAddress);
    }
    Ok(UserRegisters {
        registers: RegisterSet {
            rflags: sanitise_flags(registers.rflags),
            ..*registers
        },
        code_selector: USER_CODE_SELECTOR,
        stack_selector: USER_DATA_SELECTOR,
    })
}

/// `rflags` limited to [`USER_FLAGS_MASK`], with [`USER_FLAGS_FORCED`] set.
#[must_use]
pub const fn sanitise_flags(rflags: u64) -> u64 {
    (rflags & USER_FLAGS_MASK) | USER_FLAGS_FORCED
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(rip: u64, rsp: u64, rflags: u64) -> RegisterSet {
        RegisterSet {
            rip,
            rsp,
            rflags,
            rax: 1,
            r15: 15,
            fs_base: 0x1000,
            ..RegisterSet::default()
        }
    }

    #[test]
    fn ordinary_registers_pass_unchanged_but_for_forced_flags() {
        let registers = with(0x40_0000, 0x7fff_0000, 0x0);
        let installed = sanitise(&registers).unwrap();
        assert_eq!(installed.registers.rip, 0x40_0000);
        assert_eq!(installed.registers.rsp, 0x7fff_0000);
        assert_eq!(installed.registers.rax, 1);
        assert_eq!(installed.registers.r15, 15);
        assert_eq!(installed.registers.fs_base, 0x1000);
        assert_eq!(installed.registers.rflags, 0x202);
        assert_eq!(installed.code_selector, 0x23);
        assert_eq!(installed.stack_selector, 0x1b);
    }

    #[test]
    fn dangerous_flags_are_dropped() {
        let every_flag = u64::MAX;
        let installed = sanitise(&with(0x1000, 0x2000, every_flag)).unwrap();
        let rflags = installed.registers.rflags;
        for dangerous in [
            flags::NESTED_TASK,
            flags::IO_PRIVILEGE_LEVEL,
            flags::RESUME,
            flags::VIRTUAL_8086,
            flags::ALIGNMENT_CHECK,
            flags::VIRTUAL_INTERRUPT,
            flags::VIRTUAL_INTERRUPT_PENDING,
            flags::IDENTIFICATION,
            1 << 63,
        ] {
            assert_eq!(
                rflags & dangerous,
                0,
                "{dangerous:#x} survived in {rflags:#x}"
            );
        }
        assert_eq!(rflags, USER_FLAGS_MASK | USER_FLAGS_FORCED);
    }

    #[test]
    fn arithmetic_direction_and_trap_flags_are_kept() {
        let chosen = flags::CARRY | flags::ZERO | flags::DIRECTION | flags::TRAP | flags::OVERFLOW;
        let installed = sanitise(&with(0x1000, 0x2000, chosen)).unwrap();
        assert_eq!(installed.registers.rflags, chosen | USER_FLAGS_FORCED);
    }

    #[test]
    fn addresses_outside_user_space_are_refused() {
        for (rip, rsp) in [
            (USER_ADDRESS_LIMIT, 0x2000),
            (0x8000_0000_0000_0000, 0x2000),
            (0xffff_8000_0000_0000, 0x2000),
            (u64::MAX, 0x2000),
            (0x1000, USER_STACK_LIMIT + 1),
            (0x1000, 0xffff_ffff_ffff_fff0),
        ] {
            assert_eq!(
                sanitise(&with(rip, rsp, 0)),
                Err(KernelError::InvalidAddress),
                "rip {rip:#x} rsp {rsp:#x}"
            );
        }
    }

    #[test]
    fn the_edges_of_user_space_are_allowed() {
        assert!(sanitise(&with(0, 0, 0)).is_ok());
        assert!(sanitise(&with(USER_ADDRESS_LIMIT - 1, USER_STACK_LIMIT, 0)).is_ok());
    }

    #[test]
    fn entry_mask_clears_everything_linux_clears() {
        // Linux's MSR_SYSCALL_MASK: CF PF AF ZF SF TF IF DF OF IOPL NT RF AC ID.
        assert_eq!(ENTRY_FLAGS_CLEARED, 0x0025_7fd5);
        assert_eq!(ENTRY_FLAGS_CLEARED & USER_FLAGS_FORCED, flags::INTERRUPT);
    }
}
