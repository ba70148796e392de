//! Ending one thread: `exit` (the Linux system call, not the C library's), `set_tid_address`,
//! and the clear-tid word zeroed and futex-woken as the thread ends, so a join on it works.

use core::sync::atomic::{AtomicI32, Ordering};

use exokernel_abi::{Call, UserAddress};

use super::control_block::{current, is_main_thread};
use super::registry;

/// `status + 1` of the main thread once it has ended by [`exit`] while other threads lived
/// (0: it has not). The process ends with it when its last thread ends.
static MAIN_ENDED: AtomicI32 = AtomicI32::new(0);

/// `set_tid_address`: the calling thread's clear-tid word becomes `word` (0: none); returns the
/// caller's tid. When the thread ends, the 32-bit word is zeroed and one futex waiter on it
/// woken.
#[must_use]
pub fn set_tid_address(word: u64) -> i32 {
    let control = current();
    control.clear_child_tid.store(word, Ordering::Release);
    control.id()
}

/// `exit`: ends the calling thread only, with `status` (the process goes on while another
/// thread lives; the last thread's end ends it, with the status of `exit_group` or of the main
/// thread). Its clear-tid word, if any, is zeroed and futex-woken as it ends.
pub fn exit(status: i32) -> ! {
    let control = current();
    if is_main_thread() {
        if !registry::has_threads() {
            crate::process::identity::_exit(status);
        }
        // The main thread's environment is the process as the process server knows it: it
        // stays, parked with every signal blocked (so that signals go to the other threads),
        // until the last thread ends the process with the main thread's status.
        MAIN_ENDED.store((status & 0xff) + 1, Ordering::Release);
        if let Some(page) = crate::signal::page::thread_page_if_mapped() {
            page.blocked.store(u64::MAX, Ordering::Release);
        }
        if !registry::has_threads() {
            crate::process::exit_group(status);
        }
        let word = core::sync::atomic::AtomicU32::new(0);
        loop {
            let _ = super::futex::wait(&word, 0, None);
        }
    }
    let tid = control.id();
    // No signal may be forced into this thread any more: its page and block go away.
    if let Some(page) = crate::signal::page::thread_page_if_mapped() {
        page.blocked.store(u64::MAX, Ordering::Release);
    }
    control.end_thread();
    let remaining = registry::remove(tid);
    let main_status = MAIN_ENDED.load(Ordering::Acquire);
    if remaining == 0 && main_status != 0 {
        crate::process::exit_group(main_status - 1);
    }
    let clear = control.clear_child_tid.load(Ordering::Acquire);
    if control.detached.load(Ordering::Acquire) {
        let environment = control.environment.load(Ordering::Acquire);
        registry::retire(exokernel_abi::Slot(environment), control.address());
    }
    clear_and_exit(clear, (status & 0xff) as u64)
}

/// Zeroes the 32-bit word at `word` (unless 0), wakes one futex waiter on it and ends this
/// environment with `status` — touching no stack after the store, since a joiner woken by it
/// may free the stack at once.
fn clear_and_exit(word: u64, status: u64) -> ! {
    let wake = Call::FutexWake {
        address: UserAddress(word),
        count: 1,
        mask: exokernel_abi::FUTEX_MATCH_ANY,
    }
    .encode();
    let exit = Call::Exit { status }.encode();
    // SAFETY: `word` is the clear-tid address the thread's creator gave (`CLONE_CHILD_CLEARTID`
    // or `set_tid_address`), a 32-bit word of this process's memory, as on Linux; a bad one
    // faults in this thread alone, as it would have in the program. The two `syscall`s take
    // their arguments in registers; the kernel keeps r12–r15, which hold what the second needs.
    // Nothing after the store touches memory, and `Exit` does not return.
    unsafe {
        core::arch::asm!(
            "test r14, r14",
            "jz 2f",
            "mov dword ptr [r14], 0",
            "syscall",
            "2:",
            "mov rax, r12",
            "mov rdi, r13",
            "syscall",
            "ud2",
            in("r14") word,
            in("rax") wake.number,
            in("rdi") wake.arguments[0],
            in("rsi") wake.arguments[1],
            in("rdx") wake.arguments[2],
            in("r10") wake.arguments[3],
            in("r8") wake.arguments[4],
            in("r9") wake.arguments[5],
            in("r12") exit.number,
            in("r13") exit.arguments[0],
            options(noreturn, nostack),
        );
    }
}
