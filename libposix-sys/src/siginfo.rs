//! `siginfo_t`: the 128-byte record describing a delivered signal, and its `si_code` values.
//!
//! The C type is three `int`s followed by a union whose member depends on the
//! signal and `si_code`. Here the union is a byte array read and written
//! through named accessors (whose offsets are the x86_64 kernel's), so that no
//! `unsafe` is needed and the record can be copied to user memory as it is.

/// `si_code`: sent by `kill` or `raise`.
pub const SI_USER: i32 = 0;
/// `si_code`: sent by the kernel.
pub const SI_KERNEL: i32 = 0x80;
/// `si_code`: sent by `sigqueue`.
pub const SI_QUEUE: i32 = -1;
/// `si_code`: a POSIX timer expired.
pub const SI_TIMER: i32 = -2;
/// `si_code`: a POSIX message queue changed state.
pub const SI_MESGQ: i32 = -3;
/// `si_code`: an asynchronous I/O request completed.
pub const SI_ASYNCIO: i32 = -4;
/// `si_code`: queued `SIGIO`.
pub const SI_SIGIO: i32 = -5;
/// `si_code`: sent by `tkill` or `tgkill`.
pub const SI_TKILL: i32 = -6;

/// `SIGCHLD`: the child exited.
pub const CLD_EXITED: i32 = 1;
/// `SIGCHLD`: the child was killed by a signal.
pub const CLD_KILLED: i32 = 2;
/// `SIGCHLD`: the child was killed by a signal and dumped core.
pub const CLD_DUMPED: i32 = 3;
/// `SIGCHLD`: a traced child trapped.
pub const CLD_TRAPPED: i32 = 4;
/// `SIGCHLD`: the child stopped.
pub const CLD_STOPPED: i32 = 5;
/// `SIGCHLD`: a stopped child continued.
pub const CLD_CONTINUED: i32 = 6;

/// `SIGSEGV`: the address is not mapped.
pub const SEGV_MAPERR: i32 = 1;
/// `SIGSEGV`: the mapping does not allow the access.
pub const SEGV_ACCERR: i32 = 2;
/// `SIGSEGV`: a protection-key check failed.
pub const SEGV_PKUERR: i32 = 4;

/// `SIGBUS`: misaligned address.
pub const BUS_ADRALN: i32 = 1;
/// `SIGBUS`: nonexistent physical address.
pub const BUS_ADRERR: i32 = 2;
/// `SIGBUS`: object-specific hardware error (such as beyond the end of a mapped file).
pub const BUS_OBJERR: i32 = 3;
/// `SIGBUS`: machine-check error consumed by the access.
pub const BUS_MCEERR_AR: i32 = 4;
/// `SIGBUS`: machine-check error found but not consumed.
pub const BUS_MCEERR_AO: i32 = 5;

/// `SIGILL`: illegal opcode.
pub const ILL_ILLOPC: i32 = 1;
/// `SIGILL`: illegal operand.
pub const ILL_ILLOPN: i32 = 2;
/// `SIGILL`: illegal addressing mode.
pub const ILL_ILLADR: i32 = 3;
/// `SIGILL`: illegal trap.
pub const ILL_ILLTRP: i32 = 4;
/// `SIGILL`: privileged opcode.
pub const ILL_PRVOPC: i32 = 5;
/// `SIGILL`: privileged register.
pub const ILL_PRVREG: i32 = 6;
/// `SIGILL`: coprocessor error.
pub const ILL_COPROC: i32 = 7;
/// `SIGILL`: internal stack error.
pub const ILL_BADSTK: i32 = 8;

/// `SIGFPE`: integer divide by zero.
pub const FPE_INTDIV: i32 = 1;
/// `SIGFPE`: integer overflow.
pub const FPE_INTOVF: i32 = 2;
/// `SIGFPE`: floating-point divide by zero.
pub const FPE_FLTDIV: i32 = 3;
/// `SIGFPE`: floating-point overflow.
pub const FPE_FLTOVF: i32 = 4;
/// `SIGFPE`: floating-point underflow.
pub const FPE_FLTUND: i32 = 5;
/// `SIGFPE`: floating-point inexact result.
pub const FPE_FLTRES: i32 = 6;
/// `SIGFPE`: invalid floating-point operation.
pub const FPE_FLTINV: i32 = 7;
/// `SIGFPE`: subscript out of range.
pub const FPE_FLTSUB: i32 = 8;

/// `SIGTRAP`: breakpoint.
pub const TRAP_BRKPT: i32 = 1;
/// `SIGTRAP`: trace trap (single step).
pub const TRAP_TRACE: i32 = 2;
/// `SIGTRAP`: branch trap.
pub const TRAP_BRANCH: i32 = 3;
/// `SIGTRAP`: hardware breakpoint or watchpoint.
pub const TRAP_HWBKPT: i32 = 4;

/// `SIGIO`/`SIGPOLL`: input available.
pub const POLL_IN: i32 = 1;
/// `SIGIO`/`SIGPOLL`: output possible.
pub const POLL_OUT: i32 = 2;
/// `SIGIO`/`SIGPOLL`: message available.
pub const POLL_MSG: i32 = 3;
/// `SIGIO`/`SIGPOLL`: I/O error.
pub const POLL_ERR: i32 = 4;
/// `SIGIO`/`SIGPOLL`: high-priority input available.
pub const POLL_PRI: i32 = 5;
/// `SIGIO`/`SIGPOLL`: device disconnected.
pub const POLL_HUP: i32 = 6;

/// `SIGSYS`: a seccomp filter rejected the system call.
pub const SYS_SECCOMP: i32 = 1;

/// The size of `siginfo_t` on every Linux architecture.
pub const SIGINFO_SIZE: usize = 128;

/// Where the union starts: after `si_signo`, `si_errno`, `si_code` and padding to 8 bytes.
const UNION_OFFSET: usize = 16;

/// `siginfo_t` as the kernel writes it (x86_64 layout, 128 bytes).
///
/// The accessors are named after the C macros (`si_pid`, `si_addr`, …); which of
/// them is meaningful depends on `si_signo` and `si_code`, exactly as in C.
#[doc(alias = "siginfo_t")]
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Siginfo {
    /// The signal number.
    pub si_signo: i32,
    /// An error number associated with the signal (usually 0).
    pub si_errno: i32,
    /// Why the signal was sent (`SI_*`, or a per-signal code such as `CLD_EXITED`).
    pub si_code: i32,
    padding: i32,
    union: [u8; SIGINFO_SIZE - UNION_OFFSET],
}

impl Default for Siginfo {
    fn default() -> Self {
        Siginfo::new(0, 0)
    }
}

impl Siginfo {
    /// A record for `signal` with `code` and every other field zero.
    pub const fn new(signal: i32, code: i32) -> Self {
        Siginfo {
            si_signo: signal,
            si_errno: 0,
            si_code: code,
            padding: 0,
            union: [0; SIGINFO_SIZE - UNION_OFFSET],
        }
    }

    /// A signal sent by a process with `kill` (`SI_USER`) or `tgkill` (`SI_TKILL`).
    pub const fn sent(signal: i32, code: i32, pid: i32, uid: u32) -> Self {
        let mut info = Siginfo::new(signal, code);
        info.set_u32(16, pid as u32);
        info.set_u32(20, uid);
        info
    }

    /// A signal queued with a value (`sigqueue`: `SI_QUEUE`; also `SI_MESGQ`).
    pub const fn queued(signal: i32, code: i32, pid: i32, uid: u32, value: u64) -> Self {
        let mut info = Siginfo::sent(signal, code, pid, uid);
        info.set_u64(24, value);
        info
    }

    /// `SIGCHLD` (or a `waitid` result) describing a child's change of state.
    ///
    /// `status` is the exit code for `CLD_EXITED` and the signal number otherwise;
    /// the times are in clock ticks.
    pub const fn child(
        code: i32,
        pid: i32,
        uid: u32,
        status: i32,
        user_time: i64,
        system_time: i64,
    ) -> Self {
        let mut info = Siginfo::sent(crate::signal::SIGCHLD, code, pid, uid);
        info.set_u32(24, status as u32);
        info.set_u64(32, user_time as u64);
        info.set_u64(40, system_time as u64);
        info
    }

    /// A fault (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`, `SIGTRAP`) at `address`.
    pub const fn fault(signal: i32, code: i32, address: usize) -> Self {
        let mut info = Siginfo::new(signal, code);
        info.set_u64(16, address as u64);
        info
    }

    /// A POSIX timer expiry (`SI_TIMER`).
    pub const fn timer(signal: i32, timer_id: i32, overrun: i32, value: u64) -> Self {
        let mut info = Siginfo::new(signal, SI_TIMER);
        info.set_u32(16, timer_id as u32);
        info.set_u32(20, overrun as u32);
        info.set_u64(24, value);
        info
    }

    /// `SIGIO`/`SIGPOLL` for descriptor `fd` with `band` (`POLL*` event bits).
    pub const fn poll(signal: i32, code: i32, band: i64, fd: i32) -> Self {
        let mut info = Siginfo::new(signal, code);
        info.set_u64(16, band as u64);
        info.set_u32(24, fd as u32);
        info
    }

    /// `SIGSYS` from a seccomp filter (`SYS_SECCOMP`): the call's address, number and audit arch.
    pub const fn system_call(call_address: usize, number: i32, arch: u32) -> Self {
        let mut info = Siginfo::new(crate::signal::SIGSYS, SYS_SECCOMP);
        info.set_u64(16, call_address as u64);
        info.set_u32(24, number as u32);
        info.set_u32(28, arch);
        info
    }

    /// The sending process (`SI_USER`, `SI_TKILL`, `SI_QUEUE`, `SIGCHLD`).
    pub const fn si_pid(&self) -> i32 {
        self.u32_at(16) as i32
    }

    /// The real user ID of the sending process.
    pub const fn si_uid(&self) -> u32 {
        self.u32_at(20)
    }

    /// `SIGCHLD`: the exit code or the signal number.
    pub const fn si_status(&self) -> i32 {
        self.u32_at(24) as i32
    }

    /// `SIGCHLD`: user CPU time in clock ticks.
    pub const fn si_utime(&self) -> i64 {
        self.u64_at(32) as i64
    }

    /// `SIGCHLD`: system CPU time in clock ticks.
    pub const fn si_stime(&self) -> i64 {
        self.u64_at(40) as i64
    }

    /// `union sigval` of `SI_QUEUE`, `SI_TIMER` and `SI_MESGQ`; `sival_int` is its low 32 bits.
    pub const fn si_value(&self) -> u64 {
        self.u64_at(24)
    }

    /// Faults: the faulting address.
    pub const fn si_addr(&self) -> usize {
        self.u64_at(16) as usize
    }

    /// `SI_TIMER`: the timer ID.
    pub const fn si_timerid(&self) -> i32 {
        self.u32_at(16) as i32
    }

    /// `SI_TIMER`: the overrun count.
    pub const fn si_overrun(&self) -> i32 {
        self.u32_at(20) as i32
    }

    /// `SIGIO`/`SIGPOLL`: the band event (`POLL*` bits).
    pub const fn si_band(&self) -> i64 {
        self.u64_at(16) as i64
    }

    /// `SIGIO`/`SIGPOLL`: the descriptor.
    pub const fn si_fd(&self) -> i32 {
        self.u32_at(24) as i32
    }

    /// `SIGSYS`: the address of the system call instruction.
    pub const fn si_call_addr(&self) -> usize {
        self.u64_at(16) as usize
    }

    /// `SIGSYS`: the system call number.
    pub const fn si_syscall(&self) -> i32 {
        self.u32_at(24) as i32
    }

    /// `SIGSYS`: the `AUDIT_ARCH_*` of the system call.
    pub const fn si_arch(&self) -> u32 {
        self.u32_at(28)
    }

    /// The 128 bytes exactly as they are laid out in memory.
    pub const fn to_bytes(&self) -> [u8; SIGINFO_SIZE] {
        let mut bytes = [0; SIGINFO_SIZE];
        let header = [self.si_signo, self.si_errno, self.si_code, self.padding];
        let mut index = 0;
        while index < header.len() {
            let field = header[index].to_ne_bytes();
            let mut byte = 0;
            while byte < 4 {
                bytes[index * 4 + byte] = field[byte];
                byte += 1;
            }
            index += 1;
        }
        let mut offset = UNION_OFFSET;
        while offset < SIGINFO_SIZE {
            bytes[offset] = self.union[offset - UNION_OFFSET];
            offset += 1;
        }
        bytes
    }

    /// The record stored in `bytes`, as [`Siginfo::to_bytes`] lays it out (for example
    /// a `siginfo_t` that `rt_sigqueueinfo` passes in).
    pub const fn from_bytes(bytes: &[u8; SIGINFO_SIZE]) -> Self {
        const fn header(bytes: &[u8; SIGINFO_SIZE], index: usize) -> i32 {
            i32::from_ne_bytes([
                bytes[index],
                bytes[index + 1],
                bytes[index + 2],
                bytes[index + 3],
            ])
        }
        let mut info = Siginfo::new(header(bytes, 0), header(bytes, 8));
        info.si_errno = header(bytes, 4);
        info.padding = header(bytes, 12);
        let mut offset = UNION_OFFSET;
        while offset < SIGINFO_SIZE {
            info.union[offset - UNION_OFFSET] = bytes[offset];
            offset += 1;
        }
        info
    }

    const fn u32_at(&self, offset: usize) -> u32 {
        let start = offset - UNION_OFFSET;
        let union = &self.union;
        u32::from_ne_bytes([
            union[start],
            union[start + 1],
            union[start + 2],
            union[start + 3],
        ])
    }

    const fn u64_at(&self, offset: usize) -> u64 {
        let low = self.u32_at(offset) as u64;
        let high = self.u32_at(offset + 4) as u64;
        low | (high << 32)
    }

    const fn set_u32(&mut self, offset: usize, value: u32) {
        let start = offset - UNION_OFFSET;
        let bytes = value.to_ne_bytes();
        let mut index = 0;
        while index < 4 {
            self.union[start + index] = bytes[index];
            index += 1;
        }
    }

    const fn set_u64(&mut self, offset: usize, value: u64) {
        self.set_u32(offset, value as u32);
        self.set_u32(offset + 4, (value >> 32) as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn constants_match_libc() {
        let sources = check_constants!(
            SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO, SI_SIGIO, SI_TKILL,
        );
        let child = check_constants!(
            CLD_EXITED,
            CLD_KILLED,
            CLD_DUMPED,
            CLD_TRAPPED,
            CLD_STOPPED,
            CLD_CONTINUED,
        );
        let faults = check_constants!(
            BUS_ADRALN,
            BUS_ADRERR,
            BUS_OBJERR,
            BUS_MCEERR_AR,
            BUS_MCEERR_AO,
            TRAP_BRKPT,
            TRAP_TRACE,
            TRAP_BRANCH,
            TRAP_HWBKPT,
            // The rest are missing from the libc crate; values from uapi asm-generic/siginfo.h.
            SEGV_MAPERR = 1,
            SEGV_ACCERR = 2,
            SEGV_PKUERR = 4,
            ILL_ILLOPC = 1,
            ILL_ILLOPN = 2,
            ILL_ILLADR = 3,
            ILL_ILLTRP = 4,
            ILL_PRVOPC = 5,
            ILL_PRVREG = 6,
            ILL_COPROC = 7,
            ILL_BADSTK = 8,
            FPE_INTDIV = 1,
            FPE_INTOVF = 2,
            FPE_FLTDIV = 3,
            FPE_FLTOVF = 4,
            FPE_FLTUND = 5,
            FPE_FLTRES = 6,
            FPE_FLTINV = 7,
            FPE_FLTSUB = 8,
            SYS_SECCOMP = 1,
        );
        let poll = check_constants!(
            POLL_IN = 1,
            POLL_OUT = 2,
            POLL_MSG = 3,
            POLL_ERR = 4,
            POLL_PRI = 5,
            POLL_HUP = 6,
        );
        let size = check_constants!(SIGINFO_SIZE = size_of::<libc::siginfo_t>());
        assert_every_constant_checked(
            include_str!("siginfo.rs"),
            &[sources, child, faults, poll, size],
        );
    }

    #[test]
    fn layout_matches_libc() {
        assert_eq!(size_of::<Siginfo>(), size_of::<libc::siginfo_t>());
        assert_eq!(align_of::<Siginfo>(), align_of::<libc::siginfo_t>());
        assert_eq!(
            offset_of!(Siginfo, si_signo),
            offset_of!(libc::siginfo_t, si_signo)
        );
        assert_eq!(
            offset_of!(Siginfo, si_errno),
            offset_of!(libc::siginfo_t, si_errno)
        );
        assert_eq!(
            offset_of!(Siginfo, si_code),
            offset_of!(libc::siginfo_t, si_code)
        );
        assert_eq!(offset_of!(Siginfo, union), UNION_OFFSET);
    }

    #[test]
    fn constructors_and_accessors_agree() {
        let child = Siginfo::child(CLD_EXITED, 42, 1000, 3, 7, -1);
        assert_eq!(child.si_signo, crate::signal::SIGCHLD);
        assert_eq!(
            (child.si_pid(), child.si_uid(), child.si_status()),
            (42, 1000, 3)
        );
        assert_eq!((child.si_utime(), child.si_stime()), (7, -1));
        let queued = Siginfo::queued(40, SI_QUEUE, -5, u32::MAX, 0x1234_5678_9abc_def0);
        assert_eq!((queued.si_pid(), queued.si_uid()), (-5, u32::MAX));
        assert_eq!(queued.si_value(), 0x1234_5678_9abc_def0);
        let fault = Siginfo::fault(crate::signal::SIGSEGV, SEGV_MAPERR, 0xdead_beef_0000);
        assert_eq!(fault.si_addr(), 0xdead_beef_0000);
        let timer = Siginfo::timer(crate::signal::SIGALRM, 3, 9, 77);
        assert_eq!(
            (timer.si_timerid(), timer.si_overrun(), timer.si_value()),
            (3, 9, 77)
        );
        let poll = Siginfo::poll(crate::signal::SIGIO, POLL_IN, 0x41, 6);
        assert_eq!((poll.si_band(), poll.si_fd()), (0x41, 6));
        let bytes = child.to_bytes();
        assert_eq!(bytes[0..4], crate::signal::SIGCHLD.to_ne_bytes());
        assert_eq!(bytes[8..12], CLD_EXITED.to_ne_bytes());
        assert_eq!(bytes[16..20], 42_i32.to_ne_bytes());
        assert_eq!(bytes[24..28], 3_i32.to_ne_bytes());
        assert_eq!(Siginfo::default(), Siginfo::new(0, 0));
        assert_eq!(Siginfo::from_bytes(&bytes), child);
        let sys = Siginfo::system_call(0x40_1000, 39, 0xc000_003e);
        assert_eq!(
            (sys.si_call_addr(), sys.si_syscall(), sys.si_arch()),
            (0x40_1000, 39, 0xc000_003e)
        );
    }
}
