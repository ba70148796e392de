//! Running handlers: the trampoline the process server (or the fault upcall) forces a process
//! into, the synchronous path for signals found pending at a safe point, and the return to the
//! interrupted context (`sigreturn`, entirely in user mode: no kernel entry).
//!
//! Forced entry: the server stops the process, copies its registers into the signal page
//! (`interrupted`), points `rip` at [`trampoline`] and `rsp` at a 64-byte-aligned address below
//! the interrupted stack's 128-byte red zone (or on the alternate stack), and starts it. The
//! trampoline reserves a [`SignalFrame`] on that stack and below it saves the floating-point and
//! vector state (`xsave64` of every component XCR0 enables, AVX included, or `fxsave64` without
//! XSAVE: [`super::extended_state`]), copies the registers out of the page, runs every
//! deliverable handler, and then restores everything: that state, general registers, flags, and
//! `rsp`/`rip` through a `ret 128` from a word stored just below the red zone (so the red zone is
//! never written).

use core::arch::naked_asm;
use core::ffi::c_void;
use core::sync::atomic::{AtomicU64, Ordering};

use exokernel_abi::RegisterSet;
use libposix_sys::siginfo::{SI_USER, Siginfo};
use libposix_sys::signal::{
    DefaultAction, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SIG_DFL, SIG_IGN, SIGCHLD,
    SIGKILL, SIGSTOP, default_action,
};
use libposix_sys::ucontext::Ucontext;

use super::action::{action, reset};
use super::page::{SignalPage, bit, page_if_mapped, thread_page_if_mapped};

/// What the trampoline keeps on the stack while handlers run, just above the saved
/// floating-point and vector state.
#[repr(C, align(64))]
pub struct SignalFrame {
    /// The interrupted general registers, `rip`, `rsp` and flags.
    pub registers: RegisterSet,
    /// Where the return sequence takes `rip` from (`registers.rsp - 136`).
    return_stack: u64,
    /// The third argument of an `SA_SIGINFO` handler: Linux's `ucontext_t`, whose registers
    /// (`uc_mcontext.gregs`, `REG_RIP` and the rest) and mask (`uc_sigmask`) a handler may
    /// edit: the interrupted code resumes with them ([`super::context`]).
    pub context: Ucontext,
}

const FRAME_SIZE: usize = core::mem::size_of::<SignalFrame>();
const REGISTERS: usize = 0;
const _: () = assert!(FRAME_SIZE.is_multiple_of(64));
const _: () = assert!(core::mem::offset_of!(SignalFrame, registers) == REGISTERS);
const _: () = assert!(core::mem::offset_of!(SignalFrame, return_stack) == REGISTERS + 160);
/// The `xsave` header (`XSTATE_BV`, `XCOMP_BV`, reserved): `xsave` writes only the `XSTATE_BV`
/// bits of the components XCR0 enables and leaves the rest as the stack had them, and `xrstor`
/// faults on any stray bit, so the trampoline zeroes the header first.
const XSAVE_HEADER: usize = 512;

/// Handlers run so far, and how many of them had no `SA_RESTART`: a blocking call cut short
/// returns `EINTR` when the second count moved while it waited.
static HANDLERS_RUN: AtomicU64 = AtomicU64::new(0);
static INTERRUPTING_HANDLERS_RUN: AtomicU64 = AtomicU64::new(0);

/// A snapshot of the handler counts, taken before a blocking call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epoch {
    run: u64,
    interrupting: u64,
}

impl Epoch {
    /// The counts now.
    #[must_use]
    pub fn now() -> Self {
        Epoch {
            run: HANDLERS_RUN.load(Ordering::Acquire),
            interrupting: INTERRUPTING_HANDLERS_RUN.load(Ordering::Acquire),
        }
    }

    /// Whether any handler ran since this snapshot.
    #[must_use]
    pub fn handler_ran(self) -> bool {
        HANDLERS_RUN.load(Ordering::Acquire) != self.run
    }

    /// Whether a handler without `SA_RESTART` ran since this snapshot: the interrupted call
    /// must fail with `EINTR` rather than restart.
    #[must_use]
    pub fn must_interrupt(self) -> bool {
        INTERRUPTING_HANDLERS_RUN.load(Ordering::Acquire) != self.interrupting
    }
}

/// The trampoline's address, registered in the signal page (the save area is worked out first).
#[must_use]
pub fn trampoline_address() -> u64 {
    if super::extended_state::XSAVE_AREA_SIZE.load(Ordering::Acquire) == 0 {
        super::extended_state::prepare();
    }
    trampoline as *const () as usize as u64
}

/// The part of both entries after their registers are saved (the frame is at `rsp`, `rbx`
/// holds the Rust half to call): saves the floating-point and vector state below the frame,
/// calls the Rust half with the frame and that state, restores the state, the general
/// registers and flags, and resumes at the frame's `rip` and `rsp` through a `ret 128` from
/// the word the Rust half stored at `rsp - 136`.
macro_rules! save_call_and_resume {
    () => {
        concat!(
            "mov rcx, [rip + {xsave_size}]\n",
            "test rcx, rcx\n",
            "jz 2f\n",
            // XSAVE: the area (a multiple of 64 bytes) just below the frame.
            "sub rsp, rcx\n",
            "xor eax, eax\n",
            "mov [rsp + {header}], rax\n",
            "mov [rsp + {header} + 8], rax\n",
            "mov [rsp + {header} + 16], rax\n",
            "mov [rsp + {header} + 24], rax\n",
            "mov [rsp + {header} + 32], rax\n",
            "mov [rsp + {header} + 40], rax\n",
            "mov [rsp + {header} + 48], rax\n",
            "mov [rsp + {header} + 56], rax\n",
            "mov eax, -1\n",
            "mov edx, -1\n",
            "xsave64 [rsp]\n",
            "lea rdi, [rsp + rcx]\n",
            "mov rsi, rsp\n",
            "call rbx\n",
            "mov eax, -1\n",
            "mov edx, -1\n",
            "xrstor64 [rsp]\n",
            "add rsp, [rip + {xsave_size}]\n",
            "jmp 3f\n",
            // No XSAVE: the 512-byte `fxsave` image.
            "2:\n",
            "sub rsp, {legacy}\n",
            "fxsave64 [rsp]\n",
            "lea rdi, [rsp + {legacy}]\n",
            "mov rsi, rsp\n",
            "call rbx\n",
            "fxrstor64 [rsp]\n",
            "add rsp, {legacy}\n",
            "3:\n",
            "mov rax, [rsp + {r} + 136]\n",
            "push rax\n",
            "popfq\n",
            "mov rbx, [rsp + {r} + 8]\n",
            "mov rcx, [rsp + {r} + 16]\n",
            "mov rdx, [rsp + {r} + 24]\n",
            "mov rsi, [rsp + {r} + 32]\n",
            "mov rdi, [rsp + {r} + 40]\n",
            "mov rbp, [rsp + {r} + 48]\n",
            "mov r8, [rsp + {r} + 64]\n",
            "mov r9, [rsp + {r} + 72]\n",
            "mov r10, [rsp + {r} + 80]\n",
            "mov r11, [rsp + {r} + 88]\n",
            "mov r12, [rsp + {r} + 96]\n",
            "mov r13, [rsp + {r} + 104]\n",
            "mov r14, [rsp + {r} + 112]\n",
            "mov r15, [rsp + {r} + 120]\n",
            "mov rax, [rsp + {r} + 0]\n",
            "mov rsp, [rsp + {r} + 160]\n",
            "ret 128\n",
        )
    };
}

/// The forced entry. `rsp` is 64-byte aligned, every other register is the interrupted one's
/// (saved in the page as well, so the general registers may be used before the call; the
/// floating-point and vector registers are saved before any Rust code runs).
#[unsafe(naked)]
extern "C" fn trampoline() {
    naked_asm!(
        "sub rsp, {frame}",
        "lea rbx, [rip + {entry}]",
        save_call_and_resume!(),
        frame = const FRAME_SIZE,
        r = const REGISTERS,
        header = const XSAVE_HEADER,
        legacy = const super::extended_state::LEGACY_AREA_SIZE,
        xsave_size = sym super::extended_state::XSAVE_AREA_SIZE,
        entry = sym signal_entry,
    )
}

/// The entry at a checkpoint, called like a function: saves every general register and the
/// flags in a frame below the caller's stack (`rip` the return address, `rsp` the caller's
/// after the return), then goes on as the trampoline does, so that a handler's `ucontext_t`
/// holds the call site's registers and whatever it changes there is what the caller resumes
/// with.
///
/// # Safety
/// A signal page is mapped for the calling thread.
#[unsafe(naked)]
unsafe extern "C" fn checkpoint() {
    naked_asm!(
        "push rax",
        "pushfq",
        // rax: the flags, then the caller's rax, then the return address.
        "mov rax, rsp",
        "sub rsp, 256",
        "and rsp, -64",
        "sub rsp, {frame}",
        "mov [rsp + {r} + 8], rbx",
        "mov [rsp + {r} + 16], rcx",
        "mov [rsp + {r} + 24], rdx",
        "mov [rsp + {r} + 32], rsi",
        "mov [rsp + {r} + 40], rdi",
        "mov [rsp + {r} + 48], rbp",
        "mov [rsp + {r} + 64], r8",
        "mov [rsp + {r} + 72], r9",
        "mov [rsp + {r} + 80], r10",
        "mov [rsp + {r} + 88], r11",
        "mov [rsp + {r} + 96], r12",
        "mov [rsp + {r} + 104], r13",
        "mov [rsp + {r} + 112], r14",
        "mov [rsp + {r} + 120], r15",
        "mov rcx, [rax + 8]",
        "mov [rsp + {r}], rcx",
        "mov rcx, [rax]",
        "mov [rsp + {r} + 136], rcx",
        "mov rcx, [rax + 16]",
        "mov [rsp + {r} + 128], rcx",
        "lea rcx, [rax + 24]",
        "mov [rsp + {r} + 56], rcx",
        "lea rbx, [rip + {entry}]",
        save_call_and_resume!(),
        frame = const FRAME_SIZE,
        r = const REGISTERS,
        header = const XSAVE_HEADER,
        legacy = const super::extended_state::LEGACY_AREA_SIZE,
        xsave_size = sym super::extended_state::XSAVE_AREA_SIZE,
        entry = sym checkpoint_entry,
    )
}

/// The Rust half of the trampoline: takes the interrupted registers out of the page, runs the
/// handlers, and prepares the return word. `floating_point` is the saved state (its first 512
/// bytes in the `fxsave` layout, as `uc_mcontext.fpregs` shows it).
extern "C" fn signal_entry(frame: *mut SignalFrame, floating_point: *mut u8) {
    // SAFETY: the trampoline passes its own frame on its stack, alive until it returns.
    let frame = unsafe { &mut *frame };
    // The server (or the fault upcall) saved the registers in this thread's own page.
    if let (Some(process), Some(page)) = (
        super::page::page_for_trampoline(),
        super::page::thread_page_for_trampoline(),
    ) {
        let mut words = [0u64; super::page::REGISTER_WORDS];
        for (word, saved) in words.iter_mut().zip(&page.interrupted) {
            *word = saved.load(Ordering::Acquire);
        }
        page.entry_busy.store(0, Ordering::Release);
        // SAFETY: `RegisterSet` is `repr(C)`, twenty `u64`s, valid for any bits.
        frame.registers = unsafe { core::mem::transmute::<[u64; 20], RegisterSet>(words) };
        frame.context = super::context::build(page, &frame.registers, floating_point as usize);
        deliver_with_context(
            process,
            page,
            core::ptr::from_mut(&mut frame.context).cast(),
        );
        super::context::apply(page, &frame.context, &mut frame.registers);
    }
    store_return_word(frame);
}

/// The Rust half of [`checkpoint`]: the frame already holds the call site's registers.
extern "C" fn checkpoint_entry(frame: *mut SignalFrame, floating_point: *mut u8) {
    // SAFETY: `checkpoint` passes its own frame on its stack, alive until it returns.
    let frame = unsafe { &mut *frame };
    frame.registers.fs_base = 0;
    frame.registers.gs_base = 0;
    if let (Some(process), Some(page)) = (page_if_mapped(), thread_page_if_mapped()) {
        frame.context = super::context::build(page, &frame.registers, floating_point as usize);
        deliver_with_context(
            process,
            page,
            core::ptr::from_mut(&mut frame.context).cast(),
        );
        super::context::apply(page, &frame.context, &mut frame.registers);
    }
    store_return_word(frame);
}

/// Stores the `rip` to resume at just below the red zone of the `rsp` to resume with, where the
/// return sequence's `ret 128` takes it from.
fn store_return_word(frame: &mut SignalFrame) {
    let return_stack = frame.registers.rsp.wrapping_sub(136);
    frame.return_stack = return_stack;
    // SAFETY: the word just below the interrupted code's red zone is free for us to use by the
    // System V ABI (anything below `rsp - 128` may be clobbered asynchronously). An invalid
    // `rsp` faults here, as the interrupted code itself would have.
    unsafe { core::ptr::write_volatile(return_stack as *mut u64, frame.registers.rip) };
}

/// Runs every handler whose signal is pending and not blocked, now, on this stack (or the
/// alternate one): called where the LibOS knows it is safe — after a call to the process server,
/// after a blocking call was cut short, after unblocking signals. An `SA_SIGINFO` handler's
/// third argument holds the registers of this call's site, as if the signal had interrupted the
/// caller at its return address ([`checkpoint`]); the state is saved only when some signal is
/// deliverable, so the common case costs two loads.
pub fn deliver_pending() {
    if let (Some(process), Some(thread)) = (page_if_mapped(), thread_page_if_mapped())
        && deliverable(process, thread)
    {
        // SAFETY: the thread's signal page is mapped (just checked).
        unsafe { checkpoint() };
    }
}

/// Whether some signal pending for the calling thread (sent to it, or to the process) is not
/// blocked by it.
fn deliverable(process: &SignalPage, thread: &SignalPage) -> bool {
    let pending =
        thread.thread_pending.load(Ordering::Acquire) | process.pending.load(Ordering::Acquire);
    pending & !thread.blocked.load(Ordering::Acquire) != 0
}

/// Takes the lowest pending signal the calling thread does not block (sent to it alone first,
/// then to the process, its oldest queued instance: `super::queue`) out of its pending set, with
/// its record.
fn take_deliverable(process: &SignalPage, thread: &SignalPage) -> Option<Siginfo> {
    super::wait::take_for_thread(process, thread, !thread.blocked.load(Ordering::Acquire))
}

/// The `siginfo_t` of a pending `signal`, from its record.
pub(crate) fn information(page: &SignalPage, signal: i32) -> Siginfo {
    let record = &page.records[(signal - 1) as usize];
    let head = record.head.load(Ordering::Acquire);
    let value = record.value.load(Ordering::Acquire);
    let code = head as u32 as i32;
    let pid = (head >> 32) as u32 as i32;
    match signal {
        libposix_sys::signal::SIGSEGV
        | libposix_sys::signal::SIGBUS
        | libposix_sys::signal::SIGILL
        | libposix_sys::signal::SIGFPE
        | libposix_sys::signal::SIGTRAP
            if code > 0 =>
        {
            Siginfo::fault(signal, code, value as usize)
        }
        SIGCHLD if code > 0 => Siginfo::child(code, pid, 0, value as i32, 0, 0),
        // A timer's expiry whose value did not need the queue (0): id and overrun.
        _ if code == libposix_sys::siginfo::SI_TIMER => {
            Siginfo::timer(signal, pid, value as i32, 0)
        }
        _ if code == SI_USER || code < 0 => Siginfo::sent(signal, code, pid, value as u32),
        _ => Siginfo::new(signal, code),
    }
}

fn deliver_with_context(process: &SignalPage, thread: &SignalPage, context: *mut c_void) {
    while let Some(information) = take_deliverable(process, thread) {
        dispatch(thread, information, context);
    }
}

/// Applies one delivered signal's action (`page`: the calling thread's own page, whose mask and
/// alternate stack apply).
fn dispatch(page: &SignalPage, mut information: Siginfo, context: *mut c_void) {
    let signal = information.si_signo;
    let entry = action(signal);
    let handler = entry.handler.load(Ordering::Acquire);
    if handler == SIG_IGN {
        return;
    }
    if handler == SIG_DFL {
        match default_action(signal) {
            Some(DefaultAction::Ignore | DefaultAction::Continue) | None => {}
            // The server applies default actions: ask it for this one, now unblocked.
            Some(_) => {
                if let Ok(pid) = crate::process::identity::getpid() {
                    let _ = super::kill(pid, signal);
                }
            }
        }
        return;
    }
    let flags = entry.flags.load(Ordering::Acquire);
    let mut during = entry.mask.load(Ordering::Acquire);
    if flags & SA_NODEFER == 0 {
        during |= bit(signal);
    }
    during &= !(bit(SIGKILL) | bit(SIGSTOP));
    let before = page.blocked.fetch_or(during, Ordering::AcqRel);
    if flags & SA_RESETHAND != 0 {
        reset(signal);
    }
    HANDLERS_RUN.fetch_add(1, Ordering::AcqRel);
    if flags & SA_RESTART == 0 {
        INTERRUPTING_HANDLERS_RUN.fetch_add(1, Ordering::AcqRel);
    }
    let call = Call {
        handler,
        signal,
        information: &raw mut information,
        context,
    };
    match alternate_stack_top(page, flags) {
        // SAFETY: `call_on_stack` switches to a stack the process registered with
        // `sigaltstack` and calls `run_handler` with our `Call`, alive across the call.
        Some(top) => unsafe {
            call_on_stack(core::ptr::from_ref(&call).cast(), run_handler, top);
        },
        None => run_handler(core::ptr::from_ref(&call).cast()),
    }
    page.blocked.store(before, Ordering::Release);
}

/// One handler invocation, passed through [`call_on_stack`].
struct Call {
    handler: usize,
    signal: i32,
    information: *mut Siginfo,
    context: *mut c_void,
}

type Handler = extern "C" fn(i32, *mut Siginfo, *mut c_void);

extern "C" fn run_handler(call: *const c_void) {
    // SAFETY: `dispatch` passes a `Call` that outlives this function.
    let call = unsafe { &*call.cast::<Call>() };
    // SAFETY: the process registered `handler` with `sigaction` as an `extern "C"` function
    // taking (at most) these three arguments; extra argument registers are harmless to a
    // one-argument handler under the System V ABI.
    let handler: Handler = unsafe { core::mem::transmute::<usize, Handler>(call.handler) };
    handler(call.signal, call.information, call.context);
}

/// The top of the alternate stack when the handler asks for it and we are not on it already.
fn alternate_stack_top(page: &SignalPage, flags: u64) -> Option<u64> {
    if flags & SA_ONSTACK == 0 {
        return None;
    }
    let base = page.alternate_stack_base.load(Ordering::Acquire);
    let size = page.alternate_stack_size.load(Ordering::Acquire);
    if size == 0 {
        return None;
    }
    let here = current_stack();
    if (base..base.saturating_add(size)).contains(&here) {
        return None;
    }
    Some(base.saturating_add(size) & !15)
}

/// An address on the current stack.
#[inline(always)]
pub(crate) fn current_stack() -> u64 {
    let marker = 0u8;
    core::ptr::from_ref(&marker) as u64
}

/// Calls `function(argument)` on the stack ending at `top`, then returns on ours.
///
/// # Safety
/// `top` must be the 16-byte-aligned end of writable memory large enough for `function`.
#[unsafe(naked)]
unsafe extern "C" fn call_on_stack(
    argument: *const c_void,
    function: extern "C" fn(*const c_void),
    top: u64,
) {
    naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "mov rsp, rdx",
        "and rsp, -16",
        "call rsi",
        "mov rsp, rbp",
        "pop rbp",
        "ret",
    )
}

/// The signal and `si_code` a fatal exception raises, as Linux reports them, and the address.
#[must_use]
pub fn fault_signal(vector: u64, error_code: u64, fault_address: u64, rip: u64) -> (i32, i32, u64) {
    use libposix_sys::siginfo::{
        BUS_ADRALN, BUS_ADRERR, FPE_FLTINV, FPE_INTDIV, ILL_ILLOPN, SEGV_ACCERR, SEGV_MAPERR,
        SI_KERNEL, TRAP_TRACE,
    };
    use libposix_sys::signal::{SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP};
    match vector {
        0 => (SIGFPE, FPE_INTDIV, rip),
        16 | 19 => (SIGFPE, FPE_FLTINV, rip),
        1 => (SIGTRAP, TRAP_TRACE, rip),
        3 => (SIGTRAP, SI_KERNEL, 0),
        6 => (SIGILL, ILL_ILLOPN, rip),
        17 => (SIGBUS, BUS_ADRALN, fault_address),
        // A page of a file mapping past the end of the file: Linux's SIGBUS.
        14 if crate::memory::beyond_end_of_file::is_bus_error(
            vector,
            error_code,
            fault_address,
        ) =>
        {
            (SIGBUS, BUS_ADRERR, fault_address)
        }
        14 if error_code & 1 != 0 => (SIGSEGV, SEGV_ACCERR, fault_address),
        14 => (SIGSEGV, SEGV_MAPERR, fault_address),
        _ => (SIGSEGV, SI_KERNEL, 0),
    }
}

/// Called by the exception upcall for a fault it did not resolve: when the process catches the
/// fault's signal and has not blocked it, records it as pending with its `si_addr`/`si_code`,
/// saves the faulting registers in the signal page and points them at the trampoline. Returns
/// whether it did (else the process dies of the fault, as POSIX's default action says).
/// Touches only the signal page (writable) and reads the action table: other pages may be
/// read-only while a fork is copying them.
pub fn enter_from_fault(
    registers: &mut RegisterSet,
    vector: u64,
    error_code: u64,
    address: u64,
) -> bool {
    let (Some(process), Some(page)) = (page_if_mapped(), thread_page_if_mapped()) else {
        return false;
    };
    let (signal, code, value) = fault_signal(vector, error_code, address, registers.rip);
    let mask = bit(signal);
    let trampoline = process.trampoline.load(Ordering::Acquire);
    if process.caught.load(Ordering::Acquire) & mask == 0
        || page.blocked.load(Ordering::Acquire) & mask != 0
        || trampoline != trampoline_address()
        || page.entry_busy.swap(1, Ordering::AcqRel) != 0
    {
        return false;
    }
    let record = &page.records[(signal - 1) as usize];
    record.head.store(u64::from(code as u32), Ordering::Release);
    record.value.store(value, Ordering::Release);
    // A fault's signal is the faulting thread's alone.
    page.thread_pending.fetch_or(mask, Ordering::AcqRel);
    divert(page, registers, signal, trampoline);
    true
}

/// Saves `registers` in the page and points them at the trampoline, on the stack `signal`'s
/// action asks for. The page's busy flag is already ours.
fn divert(page: &SignalPage, registers: &mut RegisterSet, signal: i32, trampoline: u64) {
    // SAFETY: `RegisterSet` is `repr(C)`, twenty `u64`s.
    let words = unsafe { core::mem::transmute::<RegisterSet, [u64; 20]>(*registers) };
    for (saved, word) in page.interrupted.iter().zip(words) {
        saved.store(word, Ordering::Release);
    }
    let flags = action(signal).flags.load(Ordering::Acquire);
    let top = alternate_stack_top_for(page, flags, registers.rsp)
        .unwrap_or(registers.rsp.wrapping_sub(128));
    registers.rsp = top.wrapping_sub(256) & !63;
    registers.rip = trampoline;
}

/// [`alternate_stack_top`] for an interrupted stack pointer `rsp`.
fn alternate_stack_top_for(page: &SignalPage, flags: u64, rsp: u64) -> Option<u64> {
    if flags & SA_ONSTACK == 0 {
        return None;
    }
    let base = page.alternate_stack_base.load(Ordering::Acquire);
    let size = page.alternate_stack_size.load(Ordering::Acquire);
    if size == 0 || (base..base.saturating_add(size)).contains(&rsp) {
        return None;
    }
    Some(base.saturating_add(size))
}
