//! Kernel calls: the `syscall` instruction and typed helpers over the ABI's [`Call`] table.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use exokernel_abi::{Call, KernelError, RawCall};

/// The raw result of a call: `rax` and the six result registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawResult {
    /// 0 or a [`KernelError`] code.
    pub status: u64,
    /// `rdi, rsi, rdx, r10, r8, r9` on return.
    pub words: [u64; 6],
}

/// Kernel calls this process has made, for measurements (`apps/bench` reports calls per
/// operation); threads of the process share the count.
static CALLS_MADE: AtomicU64 = AtomicU64::new(0);

/// How many kernel calls this process has made so far.
#[must_use]
pub fn calls_made() -> u64 {
    CALLS_MADE.load(Ordering::Relaxed)
}

/// Makes a kernel call from raw registers (any values: the kernel validates them).
#[must_use]
pub fn call_raw(raw: &RawCall) -> RawResult {
    CALLS_MADE.fetch_add(1, Ordering::Relaxed);
    call_raw_uncounted(raw)
}

/// Makes a typed kernel call without counting it and without writing any memory of ours: the
/// copy-on-write fault handler's calls, which run while this process's data may be read-only.
///
/// # Errors
/// The [`KernelError`] the kernel returned.
pub fn call_uncounted(call: Call) -> Result<[u64; 6], KernelError> {
    let result = call_raw_uncounted(&call.encode());
    if result.status == 0 {
        Ok(result.words)
    } else {
        Err(KernelError::from_code(result.status).unwrap_or(KernelError::InvalidArgument))
    }
}

fn call_raw_uncounted(raw: &RawCall) -> RawResult {
    let [mut rdi, mut rsi, mut rdx, mut r10, mut r8, mut r9] = raw.arguments;
    let status: u64;
    // SAFETY: `syscall` enters the kernel, which preserves every register except `rax`,
    // `rcx`, `r11` and the six result registers declared here, and touches no memory of ours
    // except through pointers passed as arguments, which the callers own.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") raw.number => status,
            inlateout("rdi") rdi,
            inlateout("rsi") rsi,
            inlateout("rdx") rdx,
            inlateout("r10") r10,
            inlateout("r8") r8,
            inlateout("r9") r9,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    RawResult {
        status,
        words: [rdi, rsi, rdx, r10, r8, r9],
    }
}

/// Makes a typed kernel call.
///
/// # Errors
/// The [`KernelError`] the kernel returned.
pub fn call(call: Call) -> Result<[u64; 6], KernelError> {
    let result = call_raw(&call.encode());
    if result.status == 0 {
        Ok(result.words)
    } else {
        Err(KernelError::from_code(result.status).unwrap_or(KernelError::InvalidArgument))
    }
}

/// Ends this environment with `status`.
pub fn exit(status: u64) -> ! {
    let _ = call(Call::Exit { status });
    // Exit never returns; if it somehow did, stop here rather than run on.
    loop {
        core::hint::spin_loop();
    }
}

/// Gives up the rest of the time slice.
pub fn yield_now() {
    let _ = call(Call::Yield {});
}

/// Nanoseconds since boot.
#[must_use]
pub fn clock_nanoseconds() -> u64 {
    call(Call::ClockRead {}).map_or(0, |words| words[0])
}
