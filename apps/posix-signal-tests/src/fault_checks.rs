//! Checks of synchronous signals from faults: `SIGSEGV` (`SEGV_MAPERR`, `SEGV_ACCERR`),
//! `SIGILL`, `SIGFPE`, `SIGTRAP`, `SIGBUS` past the end of a mapped file, each with its
//! `siginfo_t`, left by `siglongjmp` or by returning; and the default action when nothing
//! catches them.

use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use libos::signal::{JumpPoint, catch_jump, siglongjmp, sigprocmask};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::siginfo::{
    BUS_ADRERR, FPE_INTDIV, ILL_ILLOPN, SEGV_ACCERR, SEGV_MAPERR, SI_KERNEL, Siginfo,
};
use libposix_sys::signal::{
    SA_SIGINFO, SIG_BLOCK, SIG_SETMASK, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP, SIGUSR2,
    SignalSet,
};

use crate::ensure;
use crate::support::{
    HANDLED, SEEN_CODE, SEEN_SIGNAL, SEEN_VALUE, expect_signalled, in_child, information_handler,
    install, reset_counters, restore,
};

/// Every fault check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "sigaction:SA_SIGINFO-si_addr-SEGV_MAPERR",
        covers: &["sigaction:SIGSEGV-si_addr", "sigreturn:siglongjmp"],
        run: segv_unmapped,
    },
    Check {
        name: "sigsegv:SEGV_ACCERR",
        covers: &["sigaction:SEGV_ACCERR"],
        run: segv_read_only,
    },
    Check {
        name: "sigill:ILL_ILLOPN",
        covers: &["sigaction:SIGILL"],
        run: illegal_instruction,
    },
    Check {
        name: "sigfpe:FPE_INTDIV",
        covers: &["sigaction:SIGFPE"],
        run: divide_by_zero,
    },
    Check {
        name: "sigtrap:handler-returns",
        covers: &["sigaction:SIGTRAP", "sigreturn:after-fault"],
        run: breakpoint,
    },
    Check {
        name: "siglongjmp:restores-mask",
        covers: &["sigprocmask:siglongjmp-restores"],
        run: jump_restores_mask,
    },
    Check {
        name: "sigsegv:default-kills",
        covers: &["sigaction:SIGSEGV-default"],
        run: default_kills,
    },
    Check {
        name: "mmap:SIGBUS-beyond-end-of-file",
        covers: &[
            "mmap:SIGBUS-beyond-end-of-file",
            "sigaction:SIGBUS-BUS_ADRERR",
        ],
        run: sigbus_beyond_end_of_file,
    },
];

/// The jump point the fault handler leaves through.
static POINT: AtomicPtr<JumpPoint> = AtomicPtr::new(core::ptr::null_mut());

/// Records the fault like [`information_handler`], then leaves through [`POINT`].
extern "C" fn jumping_handler(
    signal: i32,
    information: *mut Siginfo,
    context: *mut core::ffi::c_void,
) {
    information_handler(signal, information, context);
    let point = POINT.load(Ordering::SeqCst);
    if !point.is_null() {
        // SAFETY: set by `fault_with` to a point of a `catch_jump` still running below us.
        siglongjmp(unsafe { &*point }, signal);
    }
}

/// Catches `signal` with the jumping handler while `body` runs; returns the value the jump
/// returned with (0: no jump).
fn fault_with(signal: i32, body: fn()) -> Result<i32, alloc::string::String> {
    reset_counters();
    install(signal, jumping_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    let result = catch_jump(|point| {
        POINT.store(core::ptr::from_ref(point).cast_mut(), Ordering::SeqCst);
        body();
    });
    POINT.store(core::ptr::null_mut(), Ordering::SeqCst);
    restore(signal);
    Ok(result.err().unwrap_or(0))
}

fn touch_unmapped() {
    // SAFETY: not sound on purpose: address 0x10 is never mapped; the fault is caught.
    let value = unsafe { core::ptr::read_volatile(0x10 as *const u64) };
    core::hint::black_box(value);
}

fn segv_unmapped() -> CheckOutcome {
    let jumped = fault_with(SIGSEGV, touch_unmapped)?;
    ensure!(jumped == SIGSEGV, "no jump out of the handler ({jumped})");
    ensure!(
        SEEN_SIGNAL.load(Ordering::SeqCst) == SIGSEGV
            && SEEN_CODE.load(Ordering::SeqCst) == SEGV_MAPERR
            && SEEN_VALUE.load(Ordering::SeqCst) == 0x10,
        "siginfo: signo {} code {} addr {:#x}",
        SEEN_SIGNAL.load(Ordering::SeqCst),
        SEEN_CODE.load(Ordering::SeqCst),
        SEEN_VALUE.load(Ordering::SeqCst)
    );
    Ok(())
}

/// A read-only byte of this program's image.
static READ_ONLY: [u8; 16] = *b"read-only data!!";

fn write_read_only() {
    // SAFETY: not sound on purpose: the page holding `READ_ONLY` is mapped without WRITE; the
    // fault is caught.
    unsafe { core::ptr::write_volatile(READ_ONLY.as_ptr().cast_mut(), 1) };
}

fn segv_read_only() -> CheckOutcome {
    let jumped = fault_with(SIGSEGV, write_read_only)?;
    let address = READ_ONLY.as_ptr() as u64;
    ensure!(jumped == SIGSEGV, "no jump out of the handler ({jumped})");
    ensure!(
        SEEN_CODE.load(Ordering::SeqCst) == SEGV_ACCERR
            && SEEN_VALUE.load(Ordering::SeqCst) == address,
        "code {} addr {:#x} (expected {SEGV_ACCERR}, {address:#x})",
        SEEN_CODE.load(Ordering::SeqCst),
        SEEN_VALUE.load(Ordering::SeqCst)
    );
    Ok(())
}

fn undefined_instruction() {
    // SAFETY: `ud2` raises #UD, caught as SIGILL; nothing after it runs.
    unsafe { core::arch::asm!("ud2") };
}

fn illegal_instruction() -> CheckOutcome {
    let jumped = fault_with(SIGILL, undefined_instruction)?;
    ensure!(jumped == SIGILL, "no jump out of the handler ({jumped})");
    ensure!(
        SEEN_CODE.load(Ordering::SeqCst) == ILL_ILLOPN && SEEN_VALUE.load(Ordering::SeqCst) != 0,
        "code {} addr {:#x}",
        SEEN_CODE.load(Ordering::SeqCst),
        SEEN_VALUE.load(Ordering::SeqCst)
    );
    Ok(())
}

fn divide() {
    // SAFETY: divides by a zero register: #DE, caught as SIGFPE; nothing after it runs.
    unsafe {
        core::arch::asm!(
            "xor ecx, ecx",
            "mov eax, 1",
            "xor edx, edx",
            "div ecx",
            out("eax") _,
            out("ecx") _,
            out("edx") _,
        );
    }
}

fn divide_by_zero() -> CheckOutcome {
    let jumped = fault_with(SIGFPE, divide)?;
    ensure!(jumped == SIGFPE, "no jump out of the handler ({jumped})");
    ensure!(
        SEEN_CODE.load(Ordering::SeqCst) == FPE_INTDIV,
        "code {}",
        SEEN_CODE.load(Ordering::SeqCst)
    );
    Ok(())
}

/// Incremented after the breakpoint: proves execution resumed after the handler returned.
static AFTER_BREAKPOINT: AtomicU64 = AtomicU64::new(0);

fn breakpoint() -> CheckOutcome {
    reset_counters();
    install(SIGTRAP, information_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    // SAFETY: `int3` raises #BP, caught as SIGTRAP; the handler returns and execution goes on
    // after the instruction.
    unsafe { core::arch::asm!("int3") };
    AFTER_BREAKPOINT.fetch_add(1, Ordering::SeqCst);
    restore(SIGTRAP);
    ensure!(
        HANDLED.load(Ordering::SeqCst) == 1,
        "the SIGTRAP handler did not run"
    );
    ensure!(
        SEEN_CODE.load(Ordering::SeqCst) == SI_KERNEL,
        "code {}",
        SEEN_CODE.load(Ordering::SeqCst)
    );
    ensure!(
        AFTER_BREAKPOINT.load(Ordering::SeqCst) == 1,
        "did not resume"
    );
    Ok(())
}

fn jump_restores_mask() -> CheckOutcome {
    let mut before = SignalSet::EMPTY;
    sigprocmask(SIG_BLOCK, None, Some(&mut before)).map_err(|e| alloc::format!("{e:?}"))?;
    let jumped = fault_with(SIGSEGV, || {
        // Blocked inside the body; the jump puts the saved mask back.
        let _ = sigprocmask(SIG_BLOCK, Some(&SignalSet::EMPTY.with(SIGUSR2)), None);
        touch_unmapped();
    })?;
    let mut after = SignalSet::EMPTY;
    sigprocmask(SIG_SETMASK, Some(&before), Some(&mut after))
        .map_err(|e| alloc::format!("{e:?}"))?;
    ensure!(jumped == SIGSEGV, "no jump ({jumped})");
    ensure!(
        after == before,
        "mask after the jump {after:?}, before {before:?}"
    );
    Ok(())
}

fn default_kills() -> CheckOutcome {
    let child = in_child(|| {
        touch_unmapped();
        0
    })?;
    expect_signalled(child, SIGSEGV)
}

/// The address the next [`touch_target`] reads.
static TARGET: AtomicU64 = AtomicU64::new(0);

fn touch_target() {
    // SAFETY: not sound on purpose when the page is past the end of the mapped file: the fault
    // is caught (the other pages read are mapped).
    let value = unsafe { core::ptr::read_volatile(TARGET.load(Ordering::SeqCst) as *const u8) };
    core::hint::black_box(value);
}

/// A file of one page and 100 bytes, mapped three pages long (shared or private): the partial
/// second page reads zeros past the end of the file, the third page (wholly past it) raises
/// SIGBUS with BUS_ADRERR and the faulting address, and kills a process that does not catch it.
fn sigbus_beyond_end_of_file() -> CheckOutcome {
    use libos::fs::{open, unlink};
    use libos::io::{close, write};
    use libos::memory::{mmap, munmap};
    use libposix_sys::fcntl::{O_CREAT, O_RDWR, O_TRUNC};
    use libposix_sys::mman::{MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE};
    const PAGE: u64 = 4096;
    let path = "/tmp/sigbus-beyond-end";
    let fd =
        open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600).map_err(|e| alloc::format!("open: {e:?}"))?;
    let bytes = alloc::vec![b'f'; PAGE as usize + 100];
    let written = write(fd, &bytes).map_err(|e| alloc::format!("write: {e:?}"))?;
    ensure!(written == bytes.len(), "wrote {written} bytes");
    for flags in [MAP_SHARED, MAP_PRIVATE] {
        let area = mmap(0, 3 * PAGE, PROT_READ | PROT_WRITE, flags, fd, 0)
            .map_err(|e| alloc::format!("mmap {flags:#x}: {e:?}"))?;
        // SAFETY: the first two pages are within the file's last page: mapped.
        let (inside, past) = unsafe {
            (
                core::ptr::read_volatile((area + PAGE + 99) as *const u8),
                core::ptr::read_volatile((area + PAGE + 100) as *const u8),
            )
        };
        ensure!(
            inside == b'f' && past == 0,
            "flags {flags:#x}: last page reads {inside} then {past}"
        );
        let target = area + 2 * PAGE + 8;
        TARGET.store(target, Ordering::SeqCst);
        let jumped = fault_with(SIGBUS, touch_target)?;
        ensure!(jumped == SIGBUS, "flags {flags:#x}: no SIGBUS ({jumped})");
        ensure!(
            SEEN_SIGNAL.load(Ordering::SeqCst) == SIGBUS
                && SEEN_CODE.load(Ordering::SeqCst) == BUS_ADRERR
                && SEEN_VALUE.load(Ordering::SeqCst) == target,
            "flags {flags:#x}: siginfo signo {} code {} addr {:#x} (expected {SIGBUS}, {BUS_ADRERR}, {target:#x})",
            SEEN_SIGNAL.load(Ordering::SeqCst),
            SEEN_CODE.load(Ordering::SeqCst),
            SEEN_VALUE.load(Ordering::SeqCst)
        );
        // Not caught (the default action): the process dies of SIGBUS, as Linux's does.
        let child = in_child(|| {
            touch_target();
            0
        })?;
        expect_signalled(child, SIGBUS)?;
        munmap(area, 3 * PAGE).map_err(|e| alloc::format!("munmap: {e:?}"))?;
    }
    let _ = close(fd);
    let _ = unlink(path);
    Ok(())
}
