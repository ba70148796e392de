//! Tests of the kernel mechanisms the LibOS builds on: foreign system calls, handlers set on
//! another environment, interrupted calls, bound notifications, reply-and-receive, the time
//! page and timers.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use libos::abi::{
    ExceptionFrame, FOREIGN_SYSTEM_CALL_VECTOR, HandlerOptions, KernelError, RawCall, initial,
};
use libos::kernel::{call_raw, exit, yield_now};
use libos::memory::allocate_and_map;
use libos::process::{Ending, spawn_thread};
use libos::upcall::{remove_handler, resume, set_handler};

use crate::ensure;
use crate::support::{Outcome, release, step, test_address};
use crate::tests::Test;

/// Every mechanism test, in order.
pub const ALL: &[Test] = &[
    Test {
        name: "linux_numbered_syscalls_reach_the_foreign_call_handler",
        run: linux_numbered_syscalls_reach_the_foreign_call_handler,
    },
    Test {
        name: "creator_sets_another_environments_handler",
        run: creator_sets_another_environments_handler,
    },
];

/// Linux x86_64 `write`.
const LINUX_WRITE: u64 = 1;
/// Linux x86_64 `getpid`.
const LINUX_GETPID: u64 = 39;
/// What the test's "personality" answers to `getpid`.
const FAKE_PROCESS_ID: u64 = 4242;

static FOREIGN_CALLS: AtomicU64 = AtomicU64::new(0);
static LAST_VECTOR: AtomicU64 = AtomicU64::new(0);

/// A tiny Linux personality: `getpid` answers [`FAKE_PROCESS_ID`], `write` claims every byte
/// (returns `rdx`), anything else `-ENOSYS`. A non-foreign upcall exits with 200 + vector.
extern "C" fn personality(frame: *mut ExceptionFrame) -> ! {
    // SAFETY: the kernel passes a pointer to the frame it wrote on our upcall stack, which
    // nothing else uses while the handler runs.
    let frame_value = unsafe { &mut *frame };
    LAST_VECTOR.store(frame_value.vector, Ordering::SeqCst);
    if frame_value.vector != FOREIGN_SYSTEM_CALL_VECTOR {
        exit(200 + frame_value.vector.min(50));
    }
    FOREIGN_CALLS.fetch_add(1, Ordering::SeqCst);
    let registers = &mut frame_value.registers;
    registers.rax = match registers.rax {
        LINUX_GETPID => FAKE_PROCESS_ID,
        LINUX_WRITE => registers.rdx,
        _ => (-38i64) as u64,
    };
    resume(frame)
}

fn raw(number: u64, arguments: [u64; 6]) -> u64 {
    call_raw(&RawCall { number, arguments }).status
}

fn linux_numbered_syscalls_reach_the_foreign_call_handler() -> Outcome {
    let stack = test_address();
    let stack_frame = step(
        "upcall stack",
        allocate_and_map(initial::MEMORY_QUOTA, stack, 4, true),
    )?;
    let own = initial::SELF_ENVIRONMENT;
    // A handler without the option: foreign calls still fail, nothing is delivered.
    step(
        "set handler for exceptions only",
        set_handler(own, personality, stack + 4 * 4096, HandlerOptions::empty()),
    )?;
    FOREIGN_CALLS.store(0, Ordering::SeqCst);
    let plain = raw(LINUX_GETPID, [0; 6]);
    ensure!(
        plain == KernelError::UnknownCall.code() && FOREIGN_CALLS.load(Ordering::SeqCst) == 0,
        "getpid without the option returned {plain} after {} upcalls",
        FOREIGN_CALLS.load(Ordering::SeqCst)
    );
    step(
        "set handler for foreign calls",
        set_handler(
            own,
            personality,
            stack + 4 * 4096,
            HandlerOptions::FOREIGN_SYSTEM_CALLS,
        ),
    )?;
    let process_id = raw(LINUX_GETPID, [0; 6]);
    let written = raw(LINUX_WRITE, [1, 0x1000, 17, 0, 0, 0]);
    let unknown = raw(999, [0; 6]);
    // Kernel calls still reach the kernel while the option is on.
    let clock = libos::kernel::clock_nanoseconds();
    let calls = FOREIGN_CALLS.load(Ordering::SeqCst);
    step("remove handler", remove_handler(own))?;
    let after = raw(LINUX_GETPID, [0; 6]);
    release(stack_frame);
    ensure!(
        LAST_VECTOR.load(Ordering::SeqCst) == FOREIGN_SYSTEM_CALL_VECTOR,
        "the upcall came with vector {}",
        LAST_VECTOR.load(Ordering::SeqCst)
    );
    ensure!(
        process_id == FAKE_PROCESS_ID,
        "getpid resumed with {process_id}"
    );
    ensure!(written == 17, "write resumed with {written}");
    ensure!(
        unknown == (-38i64) as u64,
        "syscall 999 resumed with {unknown:#x}"
    );
    ensure!(
        calls == 3,
        "{calls} foreign calls reached the handler, not 3"
    );
    ensure!(clock != 0, "ClockRead did not reach the kernel");
    ensure!(
        after == KernelError::UnknownCall.code(),
        "getpid after removing the handler returned {after}"
    );
    Ok(())
}

static THREAD_GO: AtomicBool = AtomicBool::new(false);

extern "C" fn foreign_caller(_: u64) -> ! {
    while !THREAD_GO.load(Ordering::SeqCst) {
        yield_now();
    }
    exit(raw(LINUX_GETPID, [0; 6]))
}

fn creator_sets_another_environments_handler() -> Outcome {
    let stack = test_address();
    let stack_frame = step(
        "upcall stack",
        allocate_and_map(initial::MEMORY_QUOTA, stack, 4, true),
    )?;
    THREAD_GO.store(false, Ordering::SeqCst);
    let child = step("start thread", spawn_thread(foreign_caller, 0, &[]))?;
    let set = set_handler(
        child.environment(),
        personality,
        stack + 4 * 4096,
        HandlerOptions::FOREIGN_SYSTEM_CALLS,
    );
    let bad_options = set_handler(
        child.environment(),
        personality,
        stack + 4 * 4096,
        HandlerOptions::from_bits_retain(1 << 40),
    );
    THREAD_GO.store(true, Ordering::SeqCst);
    let ending = child.wait(5_000_000_000);
    child.reap();
    release(stack_frame);
    step("set the thread's handler", set)?;
    ensure!(
        bad_options == Err(KernelError::InvalidArgument),
        "unknown option bits gave {bad_options:?}"
    );
    let ending = step("wait for the thread", ending)?;
    ensure!(
        ending == Ending::Exited(FAKE_PROCESS_ID),
        "the thread ended {ending:?}, not with the handler's answer"
    );
    Ok(())
}
