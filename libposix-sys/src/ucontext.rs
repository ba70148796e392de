//! The third argument of an `SA_SIGINFO` handler: `ucontext_t` with its machine context
//! (`mcontext_t`: the general registers at the `REG_*` indices, a pointer to the `fxsave`
//! image) and the signal mask, laid out as Linux's kernel writes it on the signal stack. The
//! C libraries' `ucontext_t` has the same layout up to and including `uc_sigmask` (theirs is a
//! 128-byte `sigset_t`, of which the kernel's 8 bytes are the first), then private space.

use crate::signal::{SignalSet, SignalStack};

/// Indices into [`MachineContext::gregs`] (`<sys/ucontext.h>`).
pub const REG_R8: i32 = 0;
/// `r9`.
pub const REG_R9: i32 = 1;
/// `r10`.
pub const REG_R10: i32 = 2;
/// `r11`.
pub const REG_R11: i32 = 3;
/// `r12`.
pub const REG_R12: i32 = 4;
/// `r13`.
pub const REG_R13: i32 = 5;
/// `r14`.
pub const REG_R14: i32 = 6;
/// `r15`.
pub const REG_R15: i32 = 7;
/// `rdi`.
pub const REG_RDI: i32 = 8;
/// `rsi`.
pub const REG_RSI: i32 = 9;
/// `rbp`.
pub const REG_RBP: i32 = 10;
/// `rbx`.
pub const REG_RBX: i32 = 11;
/// `rdx`.
pub const REG_RDX: i32 = 12;
/// `rax`.
pub const REG_RAX: i32 = 13;
/// `rcx`.
pub const REG_RCX: i32 = 14;
/// `rsp`.
pub const REG_RSP: i32 = 15;
/// `rip`.
pub const REG_RIP: i32 = 16;
/// `rflags`.
pub const REG_EFL: i32 = 17;
/// `cs`, `gs`, `fs` and `ss` packed in 16-bit fields.
pub const REG_CSGSFS: i32 = 18;
/// The exception's error code.
pub const REG_ERR: i32 = 19;
/// The exception vector.
pub const REG_TRAPNO: i32 = 20;
/// The old signal mask (unused on x86_64).
pub const REG_OLDMASK: i32 = 21;
/// A page fault's address.
pub const REG_CR2: i32 = 22;
/// How many general registers [`MachineContext::gregs`] holds.
pub const NGREG: usize = 23;

/// `mcontext_t` (the kernel's `struct sigcontext`), 256 bytes.
#[doc(alias = "mcontext_t", alias = "sigcontext")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MachineContext {
    /// The general registers, by `REG_*` index.
    pub gregs: [u64; NGREG],
    /// The address of the 512-byte `fxsave` image (`struct _libc_fpstate`), or 0.
    pub fpregs: usize,
    /// Reserved.
    pub reserved: [u64; 8],
}

/// `ucontext_t` as the kernel lays it out on the signal stack (304 bytes).
#[doc(alias = "ucontext_t")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ucontext {
    /// Flags (0).
    pub uc_flags: u64,
    /// The context to resume after this one (unused by signal delivery: 0).
    pub uc_link: usize,
    /// The alternate signal stack at the time of the signal.
    pub uc_stack: SignalStack,
    /// The interrupted registers.
    pub uc_mcontext: MachineContext,
    /// The blocked mask the interrupted code had (restored when the handler returns).
    pub uc_sigmask: SignalSet,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            REG_R8,
            REG_R9,
            REG_R10,
            REG_R11,
            REG_R12,
            REG_R13,
            REG_R14,
            REG_R15,
            REG_RDI,
            REG_RSI,
            REG_RBP,
            REG_RBX,
            REG_RDX,
            REG_RAX,
            REG_RCX,
            REG_RSP,
            REG_RIP,
            REG_EFL,
            REG_CSGSFS,
            REG_ERR,
            REG_TRAPNO,
            REG_OLDMASK,
            REG_CR2,
            NGREG = 23,
        );
        assert_every_constant_checked(include_str!("ucontext.rs"), &[checked]);
    }

    #[test]
    fn layout_matches_libc() {
        check_layout!(MachineContext, libc::mcontext_t, { gregs, fpregs, reserved = _ });
        // The C library's structure continues past `uc_sigmask` with private space: the
        // fields the kernel writes sit at the same offsets.
        assert_eq!(
            core::mem::offset_of!(Ucontext, uc_flags),
            core::mem::offset_of!(libc::ucontext_t, uc_flags)
        );
        assert_eq!(
            core::mem::offset_of!(Ucontext, uc_link),
            core::mem::offset_of!(libc::ucontext_t, uc_link)
        );
        assert_eq!(
            core::mem::offset_of!(Ucontext, uc_stack),
            core::mem::offset_of!(libc::ucontext_t, uc_stack)
        );
        assert_eq!(
            core::mem::offset_of!(Ucontext, uc_mcontext),
            core::mem::offset_of!(libc::ucontext_t, uc_mcontext)
        );
        assert_eq!(
            core::mem::offset_of!(Ucontext, uc_sigmask),
            core::mem::offset_of!(libc::ucontext_t, uc_sigmask)
        );
        assert_eq!(core::mem::size_of::<Ucontext>(), 304);
        assert_eq!(
            core::mem::offset_of!(Ucontext, uc_mcontext) + 8 * REG_RIP as usize,
            168
        );
    }
}
