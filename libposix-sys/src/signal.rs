//! Signals as the kernel sees them: numbers, `SA_*`, `SIG_*`, the 64-bit `sigset_t` and `struct sigaction`.
//!
//! C libraries present a different `struct sigaction` (glibc's has a 1024-bit
//! mask) and reserve the first real-time signals for themselves (glibc's
//! `SIGRTMIN()` is 34); the system call ABI defined here has the 64-bit mask
//! and real-time signals 32..=64.

use core::fmt;

/// Hangup of the controlling terminal, or death of the controlling process.
pub const SIGHUP: i32 = 1;
/// Interrupt from the keyboard (Ctrl-C).
pub const SIGINT: i32 = 2;
/// Quit from the keyboard (Ctrl-\\).
pub const SIGQUIT: i32 = 3;
/// Illegal instruction.
pub const SIGILL: i32 = 4;
/// Trace or breakpoint trap.
pub const SIGTRAP: i32 = 5;
/// Abort (`abort`).
pub const SIGABRT: i32 = 6;
/// Old name of `SIGABRT`.
pub const SIGIOT: i32 = SIGABRT;
/// Bus error (bad memory access).
pub const SIGBUS: i32 = 7;
/// Arithmetic exception.
pub const SIGFPE: i32 = 8;
/// Kill; cannot be caught, blocked or ignored.
pub const SIGKILL: i32 = 9;
/// User-defined signal 1.
pub const SIGUSR1: i32 = 10;
/// Invalid memory reference.
pub const SIGSEGV: i32 = 11;
/// User-defined signal 2.
pub const SIGUSR2: i32 = 12;
/// Write to a pipe with no readers.
pub const SIGPIPE: i32 = 13;
/// Timer from `alarm`.
pub const SIGALRM: i32 = 14;
/// Termination request.
pub const SIGTERM: i32 = 15;
/// Coprocessor stack fault (unused).
pub const SIGSTKFLT: i32 = 16;
/// A child stopped, continued or terminated.
pub const SIGCHLD: i32 = 17;
/// Continue if stopped.
pub const SIGCONT: i32 = 18;
/// Stop; cannot be caught, blocked or ignored.
pub const SIGSTOP: i32 = 19;
/// Stop from the terminal (Ctrl-Z).
pub const SIGTSTP: i32 = 20;
/// Terminal read by a background process.
pub const SIGTTIN: i32 = 21;
/// Terminal write by a background process.
pub const SIGTTOU: i32 = 22;
/// Urgent data on a socket.
pub const SIGURG: i32 = 23;
/// CPU time limit exceeded.
pub const SIGXCPU: i32 = 24;
/// File size limit exceeded.
pub const SIGXFSZ: i32 = 25;
/// Virtual timer expired.
pub const SIGVTALRM: i32 = 26;
/// Profiling timer expired.
pub const SIGPROF: i32 = 27;
/// The terminal window size changed.
pub const SIGWINCH: i32 = 28;
/// I/O is possible.
pub const SIGIO: i32 = 29;
/// System V name of `SIGIO`.
pub const SIGPOLL: i32 = SIGIO;
/// Power failure.
pub const SIGPWR: i32 = 30;
/// Bad system call.
pub const SIGSYS: i32 = 31;
/// The first real-time signal as the kernel numbers them (C libraries reserve a few).
pub const SIGRTMIN: i32 = 32;
/// The last real-time signal, and the highest signal number.
pub const SIGRTMAX: i32 = 64;

/// `sa_flags`: do not send `SIGCHLD` when a child stops or continues.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
/// `sa_flags`: do not turn terminated children into zombies.
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
/// `sa_flags`: the handler takes `(signal, siginfo, context)`.
pub const SA_SIGINFO: u64 = 0x0000_0004;
/// `sa_flags`: a bit the kernel never supports, to probe which flags it does.
pub const SA_UNSUPPORTED: u64 = 0x0000_0400;
/// `sa_flags`: keep the address tag bits in `si_addr`.
pub const SA_EXPOSE_TAGBITS: u64 = 0x0000_0800;
/// `sa_flags`: `sa_restorer` holds the address of the `rt_sigreturn` trampoline.
pub const SA_RESTORER: u64 = 0x0400_0000;
/// `sa_flags`: run the handler on the alternate signal stack.
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// `sa_flags`: restart interrupted system calls.
pub const SA_RESTART: u64 = 0x1000_0000;
/// `sa_flags`: do not block the signal while its handler runs.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// `sa_flags`: reset the action to `SIG_DFL` when the handler is entered.
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// `sa_handler`: the default action.
pub const SIG_DFL: usize = 0;
/// `sa_handler`: ignore the signal.
pub const SIG_IGN: usize = 1;
/// The C library's error return of `signal`, `(sighandler_t)-1`.
pub const SIG_ERR: usize = usize::MAX;

/// `rt_sigprocmask`: add the set to the mask.
pub const SIG_BLOCK: i32 = 0;
/// `rt_sigprocmask`: remove the set from the mask.
pub const SIG_UNBLOCK: i32 = 1;
/// `rt_sigprocmask`: replace the mask with the set.
pub const SIG_SETMASK: i32 = 2;

/// `ss_flags`: the thread is running on the alternate stack.
pub const SS_ONSTACK: i32 = 1;
/// `ss_flags`: the alternate stack is disabled.
pub const SS_DISABLE: i32 = 2;
/// `ss_flags`: disable the alternate stack while a handler runs on it.
pub const SS_AUTODISARM: i32 = i32::MIN;
/// The smallest alternate signal stack the kernel accepts (x86 uapi value).
pub const MINSIGSTKSZ: usize = 2048;
/// A comfortable alternate signal stack size.
pub const SIGSTKSZ: usize = 8192;

/// The size in bytes of the kernel's signal set, the `sigsetsize` argument of the `rt_sig*` calls.
pub const KERNEL_SIGSET_SIZE: usize = 8;

/// Whether `signal` is a valid signal number (1..=64).
pub const fn is_valid(signal: i32) -> bool {
    signal >= 1 && signal <= SIGRTMAX
}

/// Whether `signal` is a real-time (queued, ordered) signal.
pub const fn is_realtime(signal: i32) -> bool {
    signal >= SIGRTMIN && signal <= SIGRTMAX
}

/// What happens when a signal whose action is `SIG_DFL` is delivered (signal(7)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefaultAction {
    /// Terminate the process.
    Terminate,
    /// Terminate the process and dump core.
    CoreDump,
    /// Discard the signal.
    Ignore,
    /// Stop the process.
    Stop,
    /// Continue the process if it is stopped.
    Continue,
}

/// The default action of a valid signal number; `None` for an invalid one.
pub const fn default_action(signal: i32) -> Option<DefaultAction> {
    Some(match signal {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => DefaultAction::CoreDump,
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGCONT => DefaultAction::Continue,
        _ if is_valid(signal) => DefaultAction::Terminate,
        _ => return None,
    })
}

/// A set of signals as the kernel stores it: bit `n - 1` stands for signal `n`.
#[doc(alias = "sigset_t")]
#[repr(transparent)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SignalSet {
    /// The raw mask.
    pub bits: u64,
}

impl SignalSet {
    /// No signals.
    pub const EMPTY: SignalSet = SignalSet { bits: 0 };
    /// Every signal 1..=64.
    pub const FULL: SignalSet = SignalSet { bits: u64::MAX };
    /// `SIGKILL` and `SIGSTOP`, which no mask can block.
    pub const UNBLOCKABLE: SignalSet = SignalSet::EMPTY.with(SIGKILL).with(SIGSTOP);

    /// The set with this raw mask.
    pub const fn from_bits(bits: u64) -> Self {
        SignalSet { bits }
    }

    /// The mask bit of `signal`, or 0 if it is not a valid signal number.
    const fn bit(signal: i32) -> u64 {
        if is_valid(signal) {
            1 << (signal - 1)
        } else {
            0
        }
    }

    /// Whether `signal` is in the set; `false` for an invalid number.
    pub const fn contains(self, signal: i32) -> bool {
        self.bits & SignalSet::bit(signal) != 0
    }

    /// The set with `signal` added (unchanged for an invalid number).
    #[must_use]
    pub const fn with(self, signal: i32) -> Self {
        SignalSet {
            bits: self.bits | SignalSet::bit(signal),
        }
    }

    /// The set with `signal` removed.
    #[must_use]
    pub const fn without(self, signal: i32) -> Self {
        SignalSet {
            bits: self.bits & !SignalSet::bit(signal),
        }
    }

    /// Signals in either set.
    #[must_use]
    pub const fn union(self, other: SignalSet) -> Self {
        SignalSet {
            bits: self.bits | other.bits,
        }
    }

    /// Signals in both sets.
    #[must_use]
    pub const fn intersection(self, other: SignalSet) -> Self {
        SignalSet {
            bits: self.bits & other.bits,
        }
    }

    /// Signals in this set and not in `other`.
    #[must_use]
    pub const fn difference(self, other: SignalSet) -> Self {
        SignalSet {
            bits: self.bits & !other.bits,
        }
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.bits == 0
    }

    /// The lowest-numbered signal in the set, the one Linux delivers first.
    pub const fn lowest(self) -> Option<i32> {
        if self.bits == 0 {
            None
        } else {
            Some(self.bits.trailing_zeros() as i32 + 1)
        }
    }
}

impl fmt::Debug for SignalSet {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = formatter.debug_set();
        let mut remaining = *self;
        while let Some(signal) = remaining.lowest() {
            list.entry(&signal);
            remaining = remaining.without(signal);
        }
        list.finish()
    }
}

/// `struct sigaction` as `rt_sigaction` reads and writes it on x86_64 (the kernel's, not glibc's).
#[doc(alias = "sigaction", alias = "k_sigaction", alias = "kernel_sigaction")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelSigaction {
    /// The handler's address, or `SIG_DFL` / `SIG_IGN`.
    pub sa_handler: usize,
    /// `SA_*` flags.
    pub sa_flags: u64,
    /// With `SA_RESTORER`, the address the handler returns to (which calls `rt_sigreturn`).
    pub sa_restorer: usize,
    /// Signals blocked while the handler runs (besides the signal itself unless `SA_NODEFER`).
    pub sa_mask: SignalSet,
}

/// An alternate signal stack (`stack_t`), as `sigaltstack` takes it and `ucontext` holds it.
#[doc(alias = "stack_t", alias = "sigaltstack")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalStack {
    /// The lowest address of the stack.
    pub ss_sp: usize,
    /// `SS_ONSTACK`, `SS_DISABLE`, `SS_AUTODISARM`.
    pub ss_flags: i32,
    /// The size of the stack in bytes.
    pub ss_size: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};
    use core::mem::{offset_of, size_of};

    #[test]
    fn constants_match_libc() {
        let numbers = check_constants!(
            SIGHUP,
            SIGINT,
            SIGQUIT,
            SIGILL,
            SIGTRAP,
            SIGABRT,
            SIGIOT,
            SIGBUS,
            SIGFPE,
            SIGKILL,
            SIGUSR1,
            SIGSEGV,
            SIGUSR2,
            SIGPIPE,
            SIGALRM,
            SIGTERM,
            SIGSTKFLT,
            SIGCHLD,
            SIGCONT,
            SIGSTOP,
            SIGTSTP,
            SIGTTIN,
            SIGTTOU,
            SIGURG,
            SIGXCPU,
            SIGXFSZ,
            SIGVTALRM,
            SIGPROF,
            SIGWINCH,
            SIGIO,
            SIGPOLL,
            SIGPWR,
            SIGSYS,
            SIGRTMAX = libc::SIGRTMAX(),
            // uapi asm/signal.h; glibc's SIGRTMIN() is higher because it reserves two.
            SIGRTMIN = 32,
        );
        let flags = check_constants!(
            SA_NOCLDSTOP,
            SA_NOCLDWAIT,
            SA_SIGINFO,
            SA_ONSTACK,
            SA_RESTART,
            SA_NODEFER,
            SA_RESETHAND = libc::SA_RESETHAND as u32,
            // uapi asm/signal.h and asm-generic/signal-defs.h
            SA_RESTORER = 0x0400_0000,
            SA_UNSUPPORTED = 0x0000_0400,
            SA_EXPOSE_TAGBITS = 0x0000_0800,
        );
        let actions = check_constants!(
            SIG_DFL,
            SIG_IGN,
            SIG_ERR,
            SIG_BLOCK,
            SIG_UNBLOCK,
            SIG_SETMASK,
            SS_ONSTACK,
            SS_DISABLE,
            MINSIGSTKSZ,
            SIGSTKSZ,
            // uapi linux/signal.h: (1U << 31) in an int field
            SS_AUTODISARM = (1_u32 << 31) as i32,
            KERNEL_SIGSET_SIZE = 64 / 8,
        );
        assert_every_constant_checked(include_str!("signal.rs"), &[numbers, flags, actions]);
    }

    #[test]
    fn kernel_sigaction_layout() {
        assert_eq!(size_of::<KernelSigaction>(), 32);
        assert_eq!(offset_of!(KernelSigaction, sa_handler), 0);
        assert_eq!(offset_of!(KernelSigaction, sa_flags), 8);
        assert_eq!(offset_of!(KernelSigaction, sa_restorer), 16);
        assert_eq!(offset_of!(KernelSigaction, sa_mask), 24);
        assert_eq!(size_of::<SignalSet>(), KERNEL_SIGSET_SIZE);
    }

    #[test]
    fn signal_stack_layout_matches_libc() {
        check_layout!(SignalStack, libc::stack_t, { ss_sp, ss_flags, ss_size });
    }

    #[test]
    fn signal_set_operations() {
        let set = SignalSet::EMPTY
            .with(SIGINT)
            .with(SIGRTMAX)
            .with(0)
            .with(65);
        assert_eq!(set.bits, (1 << 1) | (1 << 63));
        assert!(set.contains(SIGINT) && set.contains(SIGRTMAX));
        assert!(!set.contains(SIGTERM) && !set.contains(0) && !set.contains(65));
        assert_eq!(set.lowest(), Some(SIGINT));
        assert_eq!(set.without(SIGINT).lowest(), Some(SIGRTMAX));
        assert_eq!(SignalSet::EMPTY.lowest(), None);
        assert!(SignalSet::FULL.difference(SignalSet::FULL).is_empty());
        assert_eq!(SignalSet::UNBLOCKABLE.bits, (1 << 8) | (1 << 18));
        assert_eq!(set.intersection(SignalSet::UNBLOCKABLE), SignalSet::EMPTY);
        assert_eq!(set.union(SignalSet::UNBLOCKABLE).bits.count_ones(), 4);
        assert_eq!(SignalSet::from_bits(0b101).bits, 0b101);
    }

    #[test]
    fn default_actions_follow_signal_7() {
        assert_eq!(default_action(SIGKILL), Some(DefaultAction::Terminate));
        assert_eq!(default_action(SIGSEGV), Some(DefaultAction::CoreDump));
        assert_eq!(default_action(SIGCHLD), Some(DefaultAction::Ignore));
        assert_eq!(default_action(SIGTSTP), Some(DefaultAction::Stop));
        assert_eq!(default_action(SIGCONT), Some(DefaultAction::Continue));
        assert_eq!(default_action(SIGRTMIN), Some(DefaultAction::Terminate));
        assert_eq!(default_action(0), None);
        assert_eq!(default_action(65), None);
        assert!(is_realtime(40) && !is_realtime(31));
    }
}
