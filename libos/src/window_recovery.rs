//! Surviving the death of a shared window's frame: when the process that paid for a pipe ring,
//! a socket's rings or an eventfd page ends, its quota is revoked and the frame goes from every
//! address space that mapped it. The next access by a surviving holder page-faults; the exception
//! upcall lands here, maps private replacement pages over the window, marks the window dead and
//! resumes, so the interrupted copy finishes harmlessly and the owner of the window (pipe,
//! socket, eventfd, server buffer) sees [`is_dead`] and reports end of file, `EPIPE` or
//! `ECONNRESET` instead of the process being killed.
//!
//! The replacement is a 2-page frame of our own quota, created in the very slot the dead frame's
//! capability was in (revoking the payer's quota emptied it): page 0 over the window's first page
//! and page 1 over every other page. Its data is never trusted, so the aliasing is harmless, and
//! deleting the slot when the end closes takes the replacement with it.
//!
//! The handler runs on its own stack (a static one until the first `fork`, the copy-on-write
//! private area's after it, whose handler chains here) and writes nothing but the dead bits,
//! which `fork` makes private again in both processes before returning ([`after_fork`]), so the
//! handler never writes a copy-on-write page. It makes its kernel calls uncounted for the same
//! reason. A not-present fault inside an in-use window can only mean the frame is gone (every
//! page of a live window stays mapped), so the first thread to see it does the repair while any
//! other faulting thread simply retries.
//!
//! Threads started by `thread::start` get this handler too, on the top pages of their own stack
//! area, so that the thread that meets the dead window is the one repaired; threads racing on
//! one window are ordered by its dead bit (the first repairs, the others re-run until mapped).
//! Limits: a program that replaces or removes the handler gives the protection up; a thread's
//! other faults (copy-on-write after a `fork` included) still end it, as before.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use exokernel_abi::{
    Call, ExceptionFrame, HandlerOptions, MapOperation, MapOperationKind, PAGE_SIZE, PageCount,
    Rights, Slot, UserAddress, initial,
};

use crate::kernel::call_uncounted;
use crate::shared_window::{WINDOW_BASE, WINDOW_COUNT, WINDOW_PAGES};

/// Bit `i` set: window `i`'s frame died and private pages stand in for it. On a page of its own
/// (see [`after_fork`]).
#[repr(C, align(4096))]
struct DeadBits([AtomicU64; WINDOW_COUNT / 64]);

static DEAD: DeadBits = DeadBits([const { AtomicU64::new(0) }; WINDOW_COUNT / 64]);

/// Per window: 0 when unused, else `slot + 1` in the low half and its page count in the high
/// half. Written by ordinary code when a window is mapped; only read by the handler.
static FRAMES: [AtomicU64; WINDOW_COUNT] = [const { AtomicU64::new(0) }; WINDOW_COUNT];

/// Bytes of the handler's own stack (used until `fork` moves the handler to the private area).
const STACK_BYTES: usize = 4 * PAGE_SIZE as usize;

#[repr(C, align(16))]
struct HandlerStack(UnsafeCell<[u8; STACK_BYTES]>);

// SAFETY: only the kernel writes the stack (an upcall frame) and only the one environment the
// handler is set on runs on it; Rust code never forms a reference to its bytes.
unsafe impl Sync for HandlerStack {}

static STACK: HandlerStack = HandlerStack(UnsafeCell::new([0; STACK_BYTES]));

/// Whether this process set a handler (ours or the copy-on-write one, which chains here).
static HANDLER_SET: AtomicBool = AtomicBool::new(false);

fn window_base(index: usize) -> u64 {
    WINDOW_BASE + index as u64 * WINDOW_PAGES * PAGE_SIZE
}

/// Records that window `index` maps `pages` pages of the frame in `frame`, alive; makes sure a
/// fault in it reaches [`recover`].
pub(crate) fn window_mapped(index: usize, frame: Slot, pages: u64) {
    FRAMES[index].store((u64::from(frame.0) + 1) | (pages << 32), Ordering::Release);
    DEAD.0[index / 64].fetch_and(!(1 << (index % 64)), Ordering::AcqRel);
    ensure_handler();
}

/// Records that window `index` is unmapped.
pub(crate) fn window_unmapped(index: usize) {
    FRAMES[index].store(0, Ordering::Release);
    DEAD.0[index / 64].fetch_and(!(1 << (index % 64)), Ordering::AcqRel);
}

/// Whether window `index`'s frame died (private pages stand in for it).
#[must_use]
pub(crate) fn is_dead(index: usize) -> bool {
    DEAD.0[index / 64].load(Ordering::Acquire) & (1 << (index % 64)) != 0
}

/// Sets [`upcall`] as this environment's exception handler unless one that reaches
/// [`recover`] is set already. Without it (the kernel refused), a window's death still kills
/// this process, as before. (Also for a file mapping's pages past the end of the file, whose
/// SIGBUS the handler raises.)
pub(crate) fn ensure_handler() {
    if HANDLER_SET.load(Ordering::Acquire) || crate::process::copy_on_write::is_ready() {
        return;
    }
    let stack_top = STACK.0.get() as u64 + STACK_BYTES as u64;
    if crate::upcall::set_handler(
        initial::SELF_ENVIRONMENT,
        upcall,
        stack_top,
        HandlerOptions::empty(),
    )
    .is_ok()
    {
        HANDLER_SET.store(true, Ordering::Release);
    }
}

/// Makes the dead bits' page private again after `fork` turned it copy-on-write (in the parent
/// and in the child), so that the handler's one write never lands on a read-only page.
pub(crate) fn after_fork() {
    DEAD.0[0].fetch_or(0, Ordering::AcqRel);
}

/// The handler's entry, for setting it on a thread.
#[must_use]
pub(crate) fn entry() -> u64 {
    upcall as *const () as usize as u64
}

/// Handles a page fault at `address` if it is a shared window whose frame died: maps the
/// replacement, marks the window dead; true when the faulting instruction can be re-run.
/// Touches only the dead bits and its own stack; kernel calls uncounted.
pub(crate) fn recover(vector: u64, error_code: u64, address: u64) -> bool {
    const PAGE_FAULT: u64 = 14;
    const PRESENT: u64 = 1;
    if vector != PAGE_FAULT || error_code & PRESENT != 0 || !crate::shared_window::contains(address)
    {
        return false;
    }
    let index = ((address - WINDOW_BASE) / (WINDOW_PAGES * PAGE_SIZE)) as usize;
    let entry = FRAMES[index].load(Ordering::Acquire);
    if entry == 0 {
        return false;
    }
    let slot = Slot(((entry & 0xffff_ffff) - 1) as u32);
    let pages = (entry >> 32).min(WINDOW_PAGES);
    let base = window_base(index);
    if address >= base + pages * PAGE_SIZE {
        return false;
    }
    let bit = 1 << (index % 64);
    if DEAD.0[index / 64].fetch_or(bit, Ordering::AcqRel) & bit != 0 {
        // Another thread of ours is repairing it (or has): run the instruction again.
        return true;
    }
    if call_uncounted(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: slot,
        pages: PageCount(2),
    })
    .is_err()
    {
        return false;
    }
    let mut operations = [MapOperation::default(); WINDOW_PAGES as usize];
    for (page, operation) in operations.iter_mut().enumerate().take(pages as usize) {
        *operation = MapOperation {
            kind: MapOperationKind::Map as u64,
            frame: u64::from(slot.0),
            virtual_address: base + page as u64 * PAGE_SIZE,
            first_page: u64::from(page != 0),
            page_count: 1,
            rights: u64::from((Rights::READ | Rights::WRITE).bits()),
        };
    }
    call_uncounted(Call::MapBatch {
        address_space: initial::SELF_ADDRESS_SPACE,
        operations: UserAddress(operations.as_ptr() as u64),
        count: pages,
    })
    .is_ok_and(|words| words[1] == 0)
}

/// The exception handler of a process that never forked, and of its threads: a dead window is
/// repaired; anything else removes the faulting environment's handler and re-runs the
/// instruction, so the kernel ends it with the fault as if there had been no handler.
extern "C" fn upcall(frame: *mut ExceptionFrame) -> ! {
    // SAFETY: the kernel wrote a whole frame at `frame` on our handler stack.
    let (vector, error_code, address) =
        unsafe { ((*frame).vector, (*frame).error_code, (*frame).fault_address) };
    // A thread's write to a copy-on-write page (its process forked) gets its copy, as the
    // main thread's does.
    let repaired = crate::process::copy_on_write::resolve_write_fault(vector, error_code, address)
        || recover(vector, error_code, address);
    // A fault the process catches enters its handler on this thread.
    let caught = !repaired && {
        // SAFETY: the frame is ours to edit before resuming it.
        let registers = unsafe { &mut (*frame).registers };
        crate::signal::delivery::enter_from_fault(registers, vector, error_code, address)
    };
    // An uncaught SIGBUS past the end of a mapped file ends the process as SIGBUS.
    let diverted = !repaired && !caught && {
        // SAFETY: as above; the frame is ours to edit before resuming it.
        let registers = unsafe { &mut (*frame).registers };
        crate::memory::beyond_end_of_file::divert_uncaught(registers, vector, error_code, address)
    };
    if !repaired && !caught && !diverted {
        // The faulting environment's own handler (a thread's, or the main one's).
        let _ = call_uncounted(Call::ExceptionHandlerSet {
            entry: UserAddress(0),
            stack_top: UserAddress(0),
        });
    }
    let _ = call_uncounted(Call::ExceptionResume {
        frame: UserAddress(frame as u64),
    });
    let _ = call_uncounted(Call::Exit { status: 255 });
    loop {
        core::hint::spin_loop();
    }
}
