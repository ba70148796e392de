//! Anonymous memory: `mmap` zero-fills and honours MAP_FIXED and MAP_FIXED_NOREPLACE, `munmap`
//! and `mprotect` work on parts of mappings (faults proved through the exception upcall, until
//! signals exist), `madvise(MADV_DONTNEED)` zero-fills, and `brk`/`sbrk` move the break.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{ExceptionFrame, HandlerOptions, initial};
use libos::memory::{
    BREAK_LIMIT, MMAP_AREA_END, MMAP_AREA_START, brk, madvise, mmap, mprotect, munmap, sbrk,
};
use libos::test_protocol::{Check, CheckOutcome};
use libos::upcall::{remove_handler, resume, set_handler};
use libposix_sys::Errno;
use libposix_sys::mman::{
    MADV_DONTNEED, MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_PRIVATE, PROT_NONE,
    PROT_READ, PROT_WRITE,
};

use crate::ensure;

const PAGE: u64 = 4096;
const ANONYMOUS: i32 = MAP_PRIVATE | MAP_ANONYMOUS;
const READ_WRITE: i32 = PROT_READ | PROT_WRITE;

pub const CHECKS: &[Check] = &[
    Check {
        name: "mmap_anonymous_is_zeroed_and_writable",
        covers: &["mmap:MAP_ANONYMOUS", "mmap:EINVAL"],
        run: mmap_anonymous,
    },
    Check {
        name: "mmap_fixed_and_fixed_noreplace",
        covers: &["mmap:MAP_FIXED", "mmap:MAP_FIXED_NOREPLACE"],
        run: mmap_fixed,
    },
    Check {
        name: "munmap_partial_range",
        covers: &["munmap:partial-range", "munmap:EINVAL"],
        run: munmap_partial,
    },
    Check {
        name: "mprotect_read_only_write_faults",
        covers: &[
            "mprotect:PROT_READ",
            "mprotect:PROT_NONE",
            "mprotect:ENOMEM",
        ],
        run: mprotect_faults,
    },
    Check {
        name: "madvise_dontneed_zero_fills",
        covers: &["madvise:MADV_DONTNEED"],
        run: madvise_dontneed,
    },
    Check {
        name: "brk_and_sbrk_move_the_break",
        covers: &["brk:grow-and-shrink", "brk:ENOMEM"],
        run: brk_moves,
    },
];

fn mapped(what: &str, result: Result<u64, Errno>) -> Result<u64, String> {
    result.map_err(|error| format!("{what}: {error:?}"))
}

fn done(what: &str, result: Result<(), Errno>) -> CheckOutcome {
    result.map_err(|error| format!("{what}: {error:?}"))
}

fn read(address: u64) -> u8 {
    // SAFETY: only called on pages this check mapped readable (or under `probe`).
    unsafe { core::ptr::read_volatile(address as *const u8) }
}

fn write(address: u64, value: u8) {
    // SAFETY: only called on pages this check mapped writable.
    unsafe { core::ptr::write_volatile(address as *mut u8, value) }
}

/// The fault address the probe handler saw (0: none).
static FAULT_ADDRESS: AtomicU64 = AtomicU64::new(0);
/// The page-fault error code it saw.
static FAULT_ERROR: AtomicU64 = AtomicU64::new(0);

/// Records a page fault and skips the 2-byte probe instruction that caused it.
extern "C" fn probe_handler(frame: *mut ExceptionFrame) -> ! {
    // SAFETY: the kernel passes a pointer to the frame it wrote on our upcall stack, which
    // nothing else uses while the handler runs.
    let frame_value = unsafe { &mut *frame };
    if frame_value.vector != 14 {
        libos::kernel::exit(200 + frame_value.vector.min(50));
    }
    FAULT_ADDRESS.store(frame_value.fault_address, Ordering::SeqCst);
    FAULT_ERROR.store(frame_value.error_code, Ordering::SeqCst);
    frame_value.registers.rip += 2;
    resume(frame)
}

/// Reads (or writes) the byte at `address` under the probe handler; returns the fault address
/// and error code if it faulted.
fn probe(address: u64, store: bool) -> Result<Option<(u64, u64)>, String> {
    let stack = mapped(
        "handler stack",
        mmap(0, 4 * PAGE, READ_WRITE, ANONYMOUS, -1, 0),
    )?;
    set_handler(
        initial::SELF_ENVIRONMENT,
        probe_handler,
        stack + 4 * PAGE,
        HandlerOptions::empty(),
    )
    .map_err(|error| format!("set handler: {error:?}"))?;
    FAULT_ADDRESS.store(0, Ordering::SeqCst);
    if store {
        // SAFETY: a probe: the store either succeeds on a mapped page of this check's, or
        // faults, and the handler skips the 2-byte `mov byte ptr [rdi], al`.
        unsafe {
            core::arch::asm!("mov byte ptr [rdi], al", in("rdi") address, in("al") 0x5a_u8, options(nostack));
        }
    } else {
        // SAFETY: as above, for the 2-byte `mov al, byte ptr [rdi]`.
        unsafe {
            core::arch::asm!("mov al, byte ptr [rdi]", in("rdi") address, out("al") _, options(nostack));
        }
    }
    let fault = FAULT_ADDRESS.load(Ordering::SeqCst);
    let error = FAULT_ERROR.load(Ordering::SeqCst);
    let _ = remove_handler(initial::SELF_ENVIRONMENT);
    let _ = munmap(stack, 4 * PAGE);
    Ok((fault != 0).then_some((fault, error)))
}

fn mmap_anonymous() -> CheckOutcome {
    let size = 5 * PAGE;
    let base = mapped("mmap", mmap(0, size, READ_WRITE, ANONYMOUS, -1, 0))?;
    ensure!(
        (MMAP_AREA_START..MMAP_AREA_END).contains(&base) && base % PAGE == 0,
        "mapped at {base:#x}"
    );
    for offset in (0..size).step_by(512) {
        ensure!(read(base + offset) == 0, "byte {offset} not zero");
    }
    for page in 0..5 {
        write(base + page * PAGE + 7, page as u8 + 1);
    }
    for page in 0..5 {
        ensure!(
            read(base + page * PAGE + 7) == page as u8 + 1,
            "page {page} lost its byte"
        );
    }
    // A second mapping lands elsewhere; a length that is not a page multiple is rounded up.
    let other = mapped("second mmap", mmap(0, 100, READ_WRITE, ANONYMOUS, -1, 0))?;
    ensure!(
        other + PAGE <= base || other >= base + size,
        "mappings overlap"
    );
    write(other + PAGE - 1, 9);
    done("munmap", munmap(base, size))?;
    done("munmap other", munmap(other, 100))?;
    ensure!(
        mmap(0, 0, READ_WRITE, ANONYMOUS, -1, 0) == Err(Errno::EINVAL),
        "zero length accepted"
    );
    ensure!(
        mmap(0, PAGE, READ_WRITE, MAP_ANONYMOUS, -1, 0) == Err(Errno::EINVAL),
        "neither MAP_PRIVATE nor MAP_SHARED accepted"
    );
    ensure!(
        mmap(0, PAGE, 0x40, ANONYMOUS, -1, 0) == Err(Errno::EINVAL),
        "unknown protection accepted"
    );
    ensure!(
        mmap(0, PAGE, READ_WRITE, MAP_PRIVATE, 999, 0) == Err(Errno::EBADF),
        "a mapping of a closed fd did not answer EBADF"
    );
    Ok(())
}

fn mmap_fixed() -> CheckOutcome {
    let base = mapped("mmap", mmap(0, 4 * PAGE, READ_WRITE, ANONYMOUS, -1, 0))?;
    for page in 0..4 {
        write(base + page * PAGE, 0x11 * (page as u8 + 1));
    }
    ensure!(
        mmap(
            base + PAGE,
            PAGE,
            READ_WRITE,
            ANONYMOUS | MAP_FIXED_NOREPLACE,
            -1,
            0
        ) == Err(Errno::EEXIST),
        "MAP_FIXED_NOREPLACE over a mapping did not fail with EEXIST"
    );
    ensure!(
        read(base + PAGE) == 0x22,
        "a refused mapping changed memory"
    );
    let fixed = mapped(
        "MAP_FIXED",
        mmap(
            base + PAGE,
            2 * PAGE,
            READ_WRITE,
            ANONYMOUS | MAP_FIXED,
            -1,
            0,
        ),
    )?;
    ensure!(fixed == base + PAGE, "MAP_FIXED placed at {fixed:#x}");
    ensure!(
        read(base + PAGE) == 0 && read(base + 2 * PAGE) == 0,
        "MAP_FIXED did not replace the pages with zeroed ones"
    );
    ensure!(
        read(base) == 0x11 && read(base + 3 * PAGE) == 0x44,
        "MAP_FIXED changed pages outside its range"
    );
    done("munmap", munmap(base, 4 * PAGE))?;
    let free = mapped(
        "MAP_FIXED_NOREPLACE on free pages",
        mmap(
            base + PAGE,
            PAGE,
            READ_WRITE,
            ANONYMOUS | MAP_FIXED_NOREPLACE,
            -1,
            0,
        ),
    )?;
    ensure!(
        free == base + PAGE,
        "MAP_FIXED_NOREPLACE placed at {free:#x}"
    );
    done("munmap", munmap(free, PAGE))?;
    ensure!(
        mmap(base + 1, PAGE, READ_WRITE, ANONYMOUS | MAP_FIXED, -1, 0) == Err(Errno::EINVAL),
        "an unaligned MAP_FIXED address was accepted"
    );
    Ok(())
}

fn munmap_partial() -> CheckOutcome {
    let base = mapped("mmap", mmap(0, 6 * PAGE, READ_WRITE, ANONYMOUS, -1, 0))?;
    for page in 0..6 {
        write(base + page * PAGE, page as u8 + 1);
    }
    done("munmap middle", munmap(base + 2 * PAGE, 2 * PAGE))?;
    for page in [0, 1, 4, 5] {
        ensure!(
            read(base + page * PAGE) == page as u8 + 1,
            "page {page} lost its data"
        );
    }
    let fault = probe(base + 2 * PAGE + 8, false)?;
    ensure!(
        fault.map(|(address, _)| address) == Some(base + 2 * PAGE + 8),
        "reading an unmapped page gave {fault:?}"
    );
    ensure!(
        probe(base + 4 * PAGE, false)?.is_none(),
        "a kept page faulted"
    );
    // The hole is free again.
    let refill = mapped(
        "refill the hole",
        mmap(
            base + 2 * PAGE,
            2 * PAGE,
            READ_WRITE,
            ANONYMOUS | MAP_FIXED_NOREPLACE,
            -1,
            0,
        ),
    )?;
    ensure!(read(refill) == 0, "the refilled hole is not zeroed");
    done("munmap all", munmap(base, 6 * PAGE))?;
    ensure!(
        munmap(base + 1, PAGE) == Err(Errno::EINVAL),
        "unaligned munmap accepted"
    );
    ensure!(
        munmap(base, 0) == Err(Errno::EINVAL),
        "zero-length munmap accepted"
    );
    ensure!(
        munmap(base, PAGE) == Ok(()),
        "munmap of unmapped pages failed"
    );
    // Unmapped pages go back to the quota: a warm-up cycle first, so that the heap behind the
    // region map has already grown.
    for round in 0..2 {
        let before = quota_remaining()?;
        let area = mapped(
            "mmap 64 pages",
            mmap(0, 64 * PAGE, READ_WRITE, ANONYMOUS, -1, 0),
        )?;
        let during = quota_remaining()?;
        done("munmap 64 pages", munmap(area, 64 * PAGE))?;
        let after = quota_remaining()?;
        ensure!(
            before - during >= 64,
            "64 pages took {} from the quota",
            before - during
        );
        ensure!(
            round == 0 || after == before,
            "munmap left {} pages charged",
            before.saturating_sub(after)
        );
    }
    Ok(())
}

fn quota_remaining() -> Result<u64, String> {
    libos::kernel::call(libos::abi::Call::MemoryStatus {
        quota: initial::MEMORY_QUOTA,
    })
    .map(|words| words[0])
    .map_err(|error| format!("MemoryStatus: {error:?}"))
}

/// Prints what an eager anonymous mapping costs per page: `mmap` of 1 MiB and 16 MiB, the first
/// write to each page, and `munmap`.
pub fn measure_eager_mapping() {
    for pages in [256_u64, 4096] {
        let start = libos::clock::clock_monotonic();
        let Ok(area) = mmap(0, pages * PAGE, READ_WRITE, ANONYMOUS, -1, 0) else {
            libos::println!("mmap of {pages} pages failed");
            return;
        };
        let mapped_at = libos::clock::clock_monotonic();
        for page in 0..pages {
            write(area + page * PAGE, 1);
        }
        let touched = libos::clock::clock_monotonic();
        let _ = munmap(area, pages * PAGE);
        let end = libos::clock::clock_monotonic();
        libos::println!(
            "eager mmap of {pages} pages: mmap {} ns/page, first writes {} ns/page, munmap {} ns/page",
            (mapped_at - start) / pages,
            (touched - mapped_at) / pages,
            (end - touched) / pages
        );
    }
}

fn mprotect_faults() -> CheckOutcome {
    let base = mapped("mmap", mmap(0, 3 * PAGE, READ_WRITE, ANONYMOUS, -1, 0))?;
    write(base + PAGE + 16, 0x77);
    done(
        "mprotect middle read-only",
        mprotect(base + PAGE, PAGE, PROT_READ),
    )?;
    let fault = probe(base + PAGE + 16, true)?;
    match fault {
        Some((address, error)) => {
            ensure!(address == base + PAGE + 16, "fault at {address:#x}");
            ensure!(
                error & 0b11 == 0b11,
                "error code {error:#x}: not a write to a present page"
            );
        }
        None => return Err(String::from("a write to a read-only page did not fault")),
    }
    ensure!(
        read(base + PAGE + 16) == 0x77,
        "the read-only page lost its data"
    );
    ensure!(
        probe(base + PAGE + 16, false)?.is_none(),
        "reading a read-only page faulted"
    );
    ensure!(
        probe(base + 2 * PAGE, true)?.is_none(),
        "the next page stopped being writable"
    );
    done("mprotect PROT_NONE", mprotect(base + PAGE, PAGE, PROT_NONE))?;
    ensure!(
        probe(base + PAGE + 16, false)?.is_some(),
        "reading a PROT_NONE page did not fault"
    );
    done("mprotect back", mprotect(base + PAGE, PAGE, READ_WRITE))?;
    ensure!(
        read(base + PAGE + 16) == 0x77,
        "PROT_NONE and back lost the data"
    );
    write(base + PAGE + 16, 0x78);
    done("munmap", munmap(base, 3 * PAGE))?;
    ensure!(
        mprotect(base, PAGE, PROT_READ) == Err(Errno::ENOMEM),
        "mprotect of unmapped pages did not fail with ENOMEM"
    );
    ensure!(
        mprotect(base + 3, PAGE, PROT_READ) == Err(Errno::EINVAL),
        "unaligned accepted"
    );
    Ok(())
}

fn madvise_dontneed() -> CheckOutcome {
    let base = mapped("mmap", mmap(0, 3 * PAGE, READ_WRITE, ANONYMOUS, -1, 0))?;
    for page in 0..3 {
        write(base + page * PAGE + 100, 0x33);
    }
    done("madvise", madvise(base + PAGE, PAGE, MADV_DONTNEED))?;
    ensure!(
        read(base + PAGE + 100) == 0,
        "MADV_DONTNEED did not zero-fill"
    );
    ensure!(
        read(base + 100) == 0x33 && read(base + 2 * PAGE + 100) == 0x33,
        "MADV_DONTNEED touched pages outside its range"
    );
    write(base + PAGE + 100, 1);
    ensure!(
        read(base + PAGE + 100) == 1,
        "the zero-filled page is not writable"
    );
    done("munmap", munmap(base, 3 * PAGE))?;
    ensure!(
        madvise(base, PAGE, MADV_DONTNEED) == Err(Errno::ENOMEM),
        "madvise on unmapped pages did not fail with ENOMEM"
    );
    Ok(())
}

fn brk_moves() -> CheckOutcome {
    let start = mapped("brk(0)", brk(0))?;
    let grown = mapped("brk grow", brk(start + 3 * PAGE + 5))?;
    ensure!(grown == start + 3 * PAGE + 5, "brk returned {grown:#x}");
    for offset in [0, PAGE, 3 * PAGE + 4] {
        ensure!(
            read(start + offset) == 0,
            "new break memory at +{offset} not zero"
        );
        write(start + offset, 0x5e);
    }
    let old = mapped("sbrk", sbrk(PAGE as i64))?;
    ensure!(
        old == grown,
        "sbrk returned {old:#x}, not the old break {grown:#x}"
    );
    write(grown + PAGE - 1, 1);
    let before_shrink = mapped("sbrk shrink", sbrk(-(4 * PAGE as i64) - 5))?;
    ensure!(
        before_shrink == grown + PAGE,
        "sbrk shrink returned {before_shrink:#x}"
    );
    ensure!(
        brk(0) == Ok(start),
        "the break did not come back to the start"
    );
    ensure!(
        probe(start + PAGE, false)?.is_some(),
        "memory above a lowered break is still mapped"
    );
    ensure!(
        brk(BREAK_LIMIT + PAGE) == Err(Errno::ENOMEM),
        "brk past the limit accepted"
    );
    ensure!(brk(0) == Ok(start), "a refused brk moved the break");
    Ok(())
}
