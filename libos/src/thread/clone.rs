//! `clone` with the thread flags: a new thread of this process resuming a given register state
//! on its own stack, with the TLS, parent/child tid words and clear-tid word Linux's flags ask
//! for; [`clone_thread`] is the native form (musl's `__clone`: a function and its argument).

use alloc::boxed::Box;
use core::sync::atomic::Ordering;

use exokernel_abi::{Call, RegisterSet, Slot};
use libposix_sys::Errno;
use libposix_sys::sched::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_DETACHED, CLONE_FILES, CLONE_FS, CLONE_NEWNS,
    CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
    CSIGNAL,
};

use super::control_block::{ControlBlock, current};
use super::start;
use crate::kernel::call;

/// The flags that make a thread: this process's memory, file-system state, descriptors and
/// signal handlers, in its thread group. Every one is needed (a process sharing only some of
/// them is not built).
pub const THREAD_FLAGS: u64 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
/// The flags a thread may add.
const OPTIONAL_FLAGS: u64 = CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_SYSVSEM
    | CLONE_DETACHED;

/// Checks `flags` as Linux does, then against what is built.
fn check_flags(flags: u64) -> Result<(), Errno> {
    if flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (CLONE_FS | CLONE_NEWNS) == CLONE_FS | CLONE_NEWNS {
        return Err(Errno::EINVAL);
    }
    let rest = flags & !CSIGNAL;
    if rest & THREAD_FLAGS != THREAD_FLAGS || rest & !(THREAD_FLAGS | OPTIONAL_FLAGS) != 0 {
        // A process (use `fork`), a process sharing memory, namespaces, vfork, pidfds…
        return Err(Errno::ENOSYS);
    }
    Ok(())
}

/// Stores `tid` at the 32-bit word `address` (not 0: checked before).
fn store_tid(address: u64, tid: i32) {
    // SAFETY: the caller of `clone` gave this address of its memory for the tid, as on Linux
    // (an unmapped one faults in the caller, as the program's own store would).
    unsafe { core::ptr::write_volatile(address as *mut i32, tid) };
}

/// `clone(flags, stack, parent_tid, child_tid, tls)`: a new thread of this process that resumes
/// `continuation` (the caller's registers at the call, as Linux's child does) with `rax` 0 on
/// `stack` (0: `continuation`'s own stack pointer). `CLONE_SETTLS` gives it FS base `tls`
/// (otherwise the caller's); `CLONE_PARENT_SETTID` stores its tid at `parent_tid`,
/// `CLONE_CHILD_SETTID` at `child_tid` (before it runs: the memory is shared);
/// `CLONE_CHILD_CLEARTID` makes `child_tid` its clear-tid word (zeroed and futex-woken when it
/// ends). The exit signal in the low byte is ignored, as Linux does for threads. Returns the new
/// thread's tid. One IPC to the process server (which makes the environment and the tid), one
/// more for its signal page when the process uses signals, and six kernel calls.
///
/// # Errors
/// `EINVAL` for combinations Linux refuses (`CLONE_SIGHAND` without `CLONE_VM`, `CLONE_THREAD`
/// without `CLONE_SIGHAND`, `CLONE_FS` with `CLONE_NEWNS`); `ENOSYS` for anything but a thread
/// (all of `CLONE_VM`, `CLONE_FS`, `CLONE_FILES`, `CLONE_SIGHAND`, `CLONE_THREAD`) with the
/// optional flags above; `EFAULT` for a zero tid address a flag needs; `EAGAIN` when memory,
/// slots or the process server's per-process thread limit run out.
pub fn clone(
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
    continuation: &RegisterSet,
) -> Result<i32, Errno> {
    check_flags(flags)?;
    if flags & CLONE_PARENT_SETTID != 0 && parent_tid == 0
        || flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID) != 0 && child_tid == 0
    {
        return Err(Errno::EFAULT);
    }
    let control = Box::leak(ControlBlock::new_thread());
    control.detached.store(true, Ordering::Release);
    if flags & CLONE_CHILD_CLEARTID != 0 {
        control.clear_child_tid.store(child_tid, Ordering::Release);
    }
    let give_back = |control: &'static mut ControlBlock| {
        // SAFETY: `control` came from `Box::leak` above and no thread uses it.
        drop(unsafe { Box::from_raw(core::ptr::from_mut(control)) });
    };
    if start::prepare(control).is_err() {
        give_back(control);
        return Err(Errno::EAGAIN);
    }
    let tid = control.id();
    if flags & CLONE_PARENT_SETTID != 0 {
        store_tid(parent_tid, tid);
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        store_tid(child_tid, tid);
    }
    let mut registers = *continuation;
    registers.rax = 0;
    if stack != 0 {
        registers.rsp = stack;
    }
    registers.fs_base = if flags & CLONE_SETTLS != 0 {
        tls
    } else {
        current().fs_base.load(Ordering::Acquire)
    };
    if start::launch(control, registers).is_err() {
        let environment = control.environment.swap(0, Ordering::AcqRel);
        let _ = call(Call::CapabilityRevoke {
            slot: Slot(environment),
        });
        let _ = call(Call::CapabilityDelete {
            slot: Slot(environment),
        });
        crate::slots::free(Slot(environment));
        start::release_resources(control);
        give_back(control);
        return Err(Errno::EAGAIN);
    }
    Ok(tid)
}

/// Where a thread made by [`clone_thread`] starts: runs `entry(argument)` and ends the thread
/// with its value.
extern "C" fn clone_start(entry: u64, argument: u64) -> ! {
    // SAFETY: `clone_thread` put an `extern "C" fn(u64) -> i32` here.
    let entry = unsafe { core::mem::transmute::<u64, extern "C" fn(u64) -> i32>(entry) };
    let status = entry(argument);
    super::exit::exit(status)
}

/// The native form of `clone` (musl's `__clone`): a new thread running `entry(argument)` on
/// `stack` (the end of memory the caller owns until the thread has ended), ending with
/// `exit(entry's value)`; `flags`, `parent_tid`, `child_tid` and `tls` as for [`clone`].
///
/// # Errors
/// As [`clone`]; `EINVAL` for a zero stack.
pub fn clone_thread(
    entry: extern "C" fn(u64) -> i32,
    argument: u64,
    stack: u64,
    flags: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> Result<i32, Errno> {
    if stack == 0 {
        return Err(Errno::EINVAL);
    }
    let continuation = RegisterSet {
        rip: clone_start as *const () as usize as u64,
        rdi: entry as usize as u64,
        rsi: argument,
        // As if called: the return-address slot below a 16-byte-aligned top.
        rsp: (stack & !15) - 8,
        ..RegisterSet::default()
    };
    clone(
        flags,
        (stack & !15) - 8,
        parent_tid,
        child_tid,
        tls,
        &continuation,
    )
}
