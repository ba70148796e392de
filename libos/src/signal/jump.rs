//! Leaving a handler non-locally: `sigsetjmp`/`siglongjmp` as a Rust API. Rust has no
//! `returns_twice`, so instead of a `sigsetjmp` that returns twice, [`catch_jump`] runs a body
//! and returns `Err(value)` if something inside it (a signal handler, typically) called
//! [`siglongjmp`] on its [`JumpPoint`]. Like C's `longjmp`, the frames jumped over are abandoned:
//! their destructors do not run, so they must not own anything that needs dropping.

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::sync::atomic::Ordering;

use core::arch::naked_asm;

/// Where [`siglongjmp`] returns to: the callee-saved registers, stack and return address of
/// [`catch_jump`]'s call, and the signal mask to restore (as `sigsetjmp(env, 1)` saves it).
pub struct JumpPoint {
    registers: UnsafeCell<[u64; 8]>,
    mask: u64,
}

/// Runs `body` with a jump point. Returns `Ok(())` when `body` returns, `Err(value)` when
/// `siglongjmp(point, value)` was called during it (from a handler or anywhere below); the
/// blocked mask is then back to what it was when `catch_jump` was called.
pub fn catch_jump<F: FnOnce(&JumpPoint)>(body: F) -> Result<(), i32> {
    let point = JumpPoint {
        registers: UnsafeCell::new([0; 8]),
        mask: super::page::thread_page_if_mapped()
            .map_or(0, |page| page.blocked.load(Ordering::Acquire)),
    };
    let mut state = (Some(body), &raw const point);
    fn run<F: FnOnce(&JumpPoint)>(data: *mut c_void) {
        // SAFETY: `catch_jump` passes its `state`, alive for the whole call.
        let (body, point) = unsafe { &mut *data.cast::<(Option<F>, *const JumpPoint)>() };
        if let Some(body) = body.take() {
            // SAFETY: the point lives in `catch_jump`'s frame, below which we run.
            body(unsafe { &**point });
        }
    }
    extern "C" fn trampoline<F: FnOnce(&JumpPoint)>(data: *mut c_void) {
        run::<F>(data);
    }
    // SAFETY: `libos_catch` saves the callee-saved registers into `point`'s buffer and calls
    // `trampoline(state)`; it returns 0 normally or the value given to `libos_throw`, which
    // restores exactly those registers: the System V ABI sees an ordinary return.
    let value = unsafe {
        libos_catch(
            point.registers.get().cast(),
            trampoline::<F>,
            (&raw mut state).cast(),
        )
    };
    core::hint::black_box(&point);
    if value == 0 {
        Ok(())
    } else {
        if let Some(page) = super::page::thread_page_if_mapped() {
            page.blocked.store(point.mask, Ordering::Release);
            super::delivery::deliver_pending();
        }
        Err(value as i32)
    }
}

/// `siglongjmp`: returns from the [`catch_jump`] that made `point` with `Err(value)` (1 if
/// `value` is 0), restoring the signal mask it saved.
pub fn siglongjmp(point: &JumpPoint, value: i32) -> ! {
    let value = if value == 0 { 1 } else { i64::from(value) };
    // SAFETY: `point` is borrowed, so the `catch_jump` that made it is still running below us
    // on this stack; its saved registers are valid to return to.
    unsafe { libos_throw(point.registers.get().cast(), value) }
}

/// Saves `rbx, rbp, r12–r15`, the caller's `rsp` and return address in `buffer`, then calls
/// `function(data)`; returns 0 after it, or `libos_throw`'s value.
#[unsafe(naked)]
unsafe extern "C" fn libos_catch(
    buffer: *mut u64,
    function: extern "C" fn(*mut c_void),
    data: *mut c_void,
) -> i64 {
    naked_asm!(
        "mov [rdi], rbx",
        "mov [rdi + 8], rbp",
        "mov [rdi + 16], r12",
        "mov [rdi + 24], r13",
        "mov [rdi + 32], r14",
        "mov [rdi + 40], r15",
        "lea rax, [rsp + 8]",
        "mov [rdi + 48], rax",
        "mov rax, [rsp]",
        "mov [rdi + 56], rax",
        "sub rsp, 8",
        "mov rdi, rdx",
        "call rsi",
        "add rsp, 8",
        "xor eax, eax",
        "ret",
    )
}

/// Restores what `libos_catch` saved in `buffer` and returns `value` from it.
#[unsafe(naked)]
unsafe extern "C" fn libos_throw(buffer: *const u64, value: i64) -> ! {
    naked_asm!(
        "mov rbx, [rdi]",
        "mov rbp, [rdi + 8]",
        "mov r12, [rdi + 16]",
        "mov r13, [rdi + 24]",
        "mov r14, [rdi + 32]",
        "mov r15, [rdi + 40]",
        "mov rsp, [rdi + 48]",
        "mov rax, rsi",
        "jmp qword ptr [rdi + 56]",
    )
}
