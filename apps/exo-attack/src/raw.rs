//! Kernel calls made the way a hostile program makes them: any general-register and RFLAGS
//! state at the `syscall`, timed with the timestamp counter from ring 3; and the tiny
//! stack-less code the stub environments run.

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, CallNumber, RawCall};
use libos::kernel::{RawResult, call_raw};

/// RFLAGS bits.
pub mod flags {
    /// Trap (single step).
    pub const TRAP: u64 = 1 << 8;
    /// Direction.
    pub const DIRECTION: u64 = 1 << 10;
    /// I/O privilege level (two bits).
    pub const IO_PRIVILEGE: u64 = 3 << 12;
    /// Nested task.
    pub const NESTED_TASK: u64 = 1 << 14;
    /// Resume.
    pub const RESUME: u64 = 1 << 16;
    /// Alignment check.
    pub const ALIGNMENT_CHECK: u64 = 1 << 18;
    /// CPUID available.
    pub const IDENTIFICATION: u64 = 1 << 21;
    /// Interrupts enabled.
    pub const INTERRUPT: u64 = 1 << 9;
    /// What `EnvironmentSetRegisters` and `ExceptionResume` may leave set (docs/abi.md): CF, PF,
    /// AF, ZF, SF, TF, DF, OF taken from the caller, IF and bit 1 forced.
    pub const INSTALLABLE: u64 = 0x0cd5 | 0x202;
}

/// The registers a call is made with besides its number and arguments (`rcx` and `r11` are the
/// CPU's at a `syscall`, `rsp` is ours).
#[derive(Clone, Copy, Debug, Default)]
pub struct HostileState {
    /// `rbx`, `rbp`, `r12`, `r13`, `r14`, `r15`.
    pub preserved: [u64; 6],
    /// RFLAGS at the `syscall` (the CPU ignores what ring 3 may not change).
    pub rflags: u64,
}

/// Makes a call with the registers and flags of `state`, restoring our own flags and registers
/// afterwards.
pub fn call_with_state(raw: &RawCall, state: &HostileState) -> RawResult {
    let [mut rdi, mut rsi, mut rdx, mut r10, mut r8, mut r9] = raw.arguments;
    let status: u64;
    let pair = [state.preserved[0], state.preserved[1]];
    // SAFETY: the attack itself: any RFLAGS value ring 3 can load, and any values in the
    // callee-saved registers, at a `syscall`. rbx and rbp are saved on the stack and restored,
    // our own RFLAGS are restored by the final `popfq`, r12-r15 are declared clobbered, and the
    // kernel touches no memory of ours (the arguments name none that we rely on).
    unsafe {
        asm!(
            "push rbx",
            "push rbp",
            "mov rbx, [r11]",
            "mov rbp, [r11 + 8]",
            "pushfq",
            "push rcx",
            "popfq",
            "syscall",
            "popfq",
            "pop rbp",
            "pop rbx",
            inlateout("rax") raw.number => status,
            inlateout("rdi") rdi,
            inlateout("rsi") rsi,
            inlateout("rdx") rdx,
            inlateout("r10") r10,
            inlateout("r8") r8,
            inlateout("r9") r9,
            inlateout("rcx") state.rflags => _,
            inlateout("r11") pair.as_ptr() => _,
            inlateout("r12") state.preserved[2] => _,
            inlateout("r13") state.preserved[3] => _,
            inlateout("r14") state.preserved[4] => _,
            inlateout("r15") state.preserved[5] => _,
        );
    }
    RawResult {
        status,
        words: [rdi, rsi, rdx, r10, r8, r9],
    }
}

/// The timestamp counter.
pub fn timestamp() -> u64 {
    // SAFETY: `rdtsc` only reads the counter (the kernel leaves CR4.TSD clear); this is how
    // the suite measures from ring 3 how long a call kept the kernel busy.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The longest call measured so far, in timestamp-counter ticks.
static LONGEST_CALL: AtomicU64 = AtomicU64::new(0);

/// Records a measured call duration.
pub fn record_duration(ticks: u64) {
    LONGEST_CALL.fetch_max(ticks, Ordering::Relaxed);
}

/// The longest call measured so far.
pub fn longest_call() -> u64 {
    LONGEST_CALL.load(Ordering::Relaxed)
}

/// Makes a typed call and returns its result and how many ticks it took.
pub fn measure(call: Call) -> (RawResult, u64) {
    let raw = call.encode();
    let start = timestamp();
    let result = call_raw(&raw);
    (result, timestamp().wrapping_sub(start))
}

/// [`measure`], recording the duration as an interrupts-off stretch (right for calls the
/// kernel does not restart; see `watchdog` for those it does).
pub fn timed(call: Call) -> (RawResult, u64) {
    let (result, ticks) = measure(call);
    record_duration(ticks);
    (result, ticks)
}

/// Whether a check failed only on a time bound since this was last taken.
static OVER_BOUND: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Notes that a measured call went over [`MAXIMUM_CALL_MILLISECONDS`].
pub fn note_over_bound() {
    OVER_BOUND.store(true, Ordering::Relaxed);
}

/// Takes (and clears) whether a call went over the bound. The runner runs such a check once
/// more: under TCG on a shared host the virtual CPU can be held up by the host for tens of
/// milliseconds, which reads as a long call from ring 3; a kernel that really does too much work
/// in one call does it again.
pub fn take_over_bound() -> bool {
    OVER_BOUND.swap(false, Ordering::Relaxed)
}

/// The longest any single call may keep the kernel busy (with interrupts off, as every call
/// runs here), in milliseconds: far above what a bounded call needs, far below a hang.
pub const MAXIMUM_CALL_MILLISECONDS: u64 = 50;

/// [`MAXIMUM_CALL_MILLISECONDS`] in timestamp-counter ticks, at the rate `ClockRead` reports.
pub fn maximum_call_ticks() -> u64 {
    let per_microsecond = libos::kernel::call(Call::ClockRead {}).map_or(1000, |words| words[1]);
    MAXIMUM_CALL_MILLISECONDS * 1000 * per_microsecond.max(1)
}

/// Ticks as milliseconds, for messages.
pub fn ticks_to_milliseconds(ticks: u64) -> u64 {
    let per_microsecond = libos::kernel::call(Call::ClockRead {}).map_or(1000, |words| words[1]);
    ticks / per_microsecond.max(1) / 1000
}

global_asm!(
    // Makes the call its registers were set up for, then exits with the call's status.
    ".global exo_attack_one_call",
    "exo_attack_one_call:",
    "syscall",
    "mov rdi, rax",
    "mov rax, {exit}",
    "syscall",
    "ud2",
    // Spins for ever, counting in the word `rdi` points at.
    ".global exo_attack_spin",
    "exo_attack_spin:",
    "lock inc qword ptr [rdi]",
    "jmp exo_attack_spin",
    // Exits with its own RFLAGS as the status (needs a stack).
    ".global exo_attack_exit_with_flags",
    "exo_attack_exit_with_flags:",
    "pushfq",
    "pop rdi",
    "mov rax, {exit}",
    "syscall",
    "ud2",
    // Sets TF and makes the call its registers were set up for, then exits with status 0
    // (needs a stack).
    ".global exo_attack_trap_flag_call",
    "exo_attack_trap_flag_call:",
    "pushfq",
    "or qword ptr [rsp], 0x100",
    "popfq",
    "syscall",
    "nop",
    "xor edi, edi",
    "mov rax, {exit}",
    "syscall",
    "ud2",
    exit = const CallNumber::Exit as u64,
);

unsafe extern "C" {
    fn exo_attack_one_call();
    fn exo_attack_spin();
    fn exo_attack_exit_with_flags();
    fn exo_attack_trap_flag_call();
}

/// Stack-less code that makes the call in its initial registers and exits with its status.
pub fn one_call_entry() -> u64 {
    exo_attack_one_call as *const () as u64
}

/// Stack-less code that spins for ever incrementing the word at `rdi`.
pub fn spin_entry() -> u64 {
    exo_attack_spin as *const () as u64
}

/// Code that exits with its RFLAGS as the status (needs a stack).
pub fn exit_with_flags_entry() -> u64 {
    exo_attack_exit_with_flags as *const () as u64
}

/// Code that sets TF, makes the call in its registers, and exits 0 (needs a stack).
pub fn trap_flag_call_entry() -> u64 {
    exo_attack_trap_flag_call as *const () as u64
}
