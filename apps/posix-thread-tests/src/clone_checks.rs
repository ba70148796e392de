//! Threads as Linux makes them: `clone` with the thread flags (tid words, TLS, the clear-tid
//! word a join waits on), `set_tid_address`, `gettid`, `exit` of one thread against
//! `exit_group` of all, signals to one thread (`tgkill`, `tkill`) and per-thread masks, and
//! `fork` from a process with threads (copy-on-write faults on any thread; only the caller is
//! copied).

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};

use libos::clock::clock_monotonic;
use libos::memory::{mmap, munmap};
use libos::process::fork;
use libos::process::identity::{_exit, getpid, waitpid};
use libos::signal::{kill, sigaction, sigpending, sigprocmask, tgkill, tkill};
use libos::test_protocol::{Check, CheckOutcome};
use libos::thread::clone::{THREAD_FLAGS, clone_thread};
use libos::thread::exit::set_tid_address;
use libos::thread::futex;
use libos::thread::{gettid, spawn};
use libposix_sys::Errno;
use libposix_sys::mman::{MAP_ANONYMOUS, MAP_SHARED, PROT_READ, PROT_WRITE};
use libposix_sys::sched::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_FS, CLONE_PARENT_SETTID,
    CLONE_SETTLS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VM,
};
use libposix_sys::signal::{
    KernelSigaction, SIG_BLOCK, SIG_DFL, SIG_SETMASK, SIG_UNBLOCK, SIGUSR1, SIGUSR2, SignalSet,
};
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

use crate::ensure;

pub const CHECKS: &[Check] = &[
    Check {
        name: "clone_child_cleartid_wakes_a_join",
        covers: &[
            "clone:CLONE_CHILD_CLEARTID-wakes",
            "clone:CLONE_PARENT_SETTID",
            "clone:CLONE_CHILD_SETTID",
            "exit:ends-one-thread",
        ],
        run: clone_child_cleartid_wakes,
    },
    Check {
        name: "clone_settls_sets_the_fs_base",
        covers: &["clone:CLONE_SETTLS"],
        run: clone_settls,
    },
    Check {
        name: "clone_refuses_what_linux_refuses",
        covers: &["clone:EINVAL", "clone:ENOSYS"],
        run: clone_refuses,
    },
    Check {
        name: "set_tid_address_word_cleared_at_exit",
        covers: &["set_tid_address"],
        run: set_tid_address_cleared,
    },
    Check {
        name: "gettid_main_thread_is_pid",
        covers: &["gettid:main-is-pid"],
        run: gettid_main_is_pid,
    },
    Check {
        name: "exit_group_ends_every_thread",
        covers: &["exit_group:ends-all-threads"],
        run: exit_group_ends_all,
    },
    Check {
        name: "tgkill_runs_the_handler_on_that_thread",
        covers: &[
            "tgkill:targets-thread",
            "tkill:targets-thread",
            "tgkill:ESRCH",
        ],
        run: tgkill_targets_thread,
    },
    Check {
        name: "rt_sigprocmask_is_per_thread",
        covers: &[
            "rt_sigprocmask:per-thread",
            "rt_sigpending:per-thread",
            "tgkill:blocked-stays-pending-on-thread",
        ],
        run: sigprocmask_per_thread,
    },
    Check {
        name: "kill_goes_to_a_thread_that_does_not_block",
        covers: &["kill:to-thread-not-blocking"],
        run: kill_to_unblocking_thread,
    },
    Check {
        name: "fork_copies_only_the_calling_thread",
        covers: &["fork:only-calling-thread", "fork:copy-on-write-in-thread"],
        run: fork_with_threads,
    },
    Check {
        name: "another_process_cannot_reach_a_threads_signal_page",
        covers: &["rt_sigprocmask:mask-unreachable-by-other-process"],
        run: thread_page_refused_to_others,
    },
    Check {
        name: "fork_from_a_thread",
        covers: &["fork:from-thread"],
        run: fork_from_thread,
    },
];

fn failed<E: core::fmt::Debug>(what: &'static str) -> impl Fn(E) -> String {
    move |error| format!("{what}: {error:?}")
}

/// Waits (up to 5 s) until `done` says so.
fn wait_until(what: &str, done: impl Fn() -> bool) -> Result<(), String> {
    let deadline = clock_monotonic() + 5_000_000_000;
    while !done() {
        if clock_monotonic() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        libos::kernel::yield_now();
    }
    Ok(())
}

/// A thread stack of 64 KiB, given up when the check is done; returns its top.
fn new_stack() -> (Box<[u8]>, u64) {
    let stack = vec![0u8; 64 * 1024].into_boxed_slice();
    let top = stack.as_ptr() as u64 + stack.len() as u64;
    (stack, top)
}

/// Waits on the clear-tid `word` with `FUTEX_WAIT` until the thread's exit zeroes it.
fn join_on(word: &AtomicU32) -> Result<(), String> {
    let deadline = clock_monotonic() + 5_000_000_000;
    loop {
        let value = word.load(Ordering::SeqCst);
        if value == 0 {
            return Ok(());
        }
        let now = clock_monotonic();
        if now > deadline {
            return Err(format!("the clear-tid word still holds {value}"));
        }
        let _ = futex::wait(word, value, Some(deadline - now));
    }
}

/// The flags that make a thread.
const THREAD: u64 = THREAD_FLAGS;

struct ClearTidShared {
    child_tid: AtomicU32,
    parent_tid: AtomicI32,
    seen_tid: AtomicI32,
    seen_child_word: AtomicU32,
    finished: AtomicBool,
}

extern "C" fn cleartid_body(argument: u64) -> i32 {
    // SAFETY: the check passes a `ClearTidShared` that outlives this thread (it waits for the
    // clear-tid word before dropping it).
    let shared = unsafe { &*(argument as *const ClearTidShared) };
    shared.seen_tid.store(gettid(), Ordering::SeqCst);
    shared
        .seen_child_word
        .store(shared.child_tid.load(Ordering::SeqCst), Ordering::SeqCst);
    // Long enough that a join that did not wait would see `finished` false.
    let until = clock_monotonic() + 30_000_000;
    while clock_monotonic() < until {
        libos::kernel::yield_now();
    }
    shared.finished.store(true, Ordering::SeqCst);
    7
}

fn clone_child_cleartid_wakes() -> CheckOutcome {
    let shared = Box::new(ClearTidShared {
        child_tid: AtomicU32::new(u32::MAX),
        parent_tid: AtomicI32::new(0),
        seen_tid: AtomicI32::new(0),
        seen_child_word: AtomicU32::new(0),
        finished: AtomicBool::new(false),
    });
    // Another thread that keeps running while the cloned one ends by itself.
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let (stop_copy, counter_copy) = (Arc::clone(&stop), Arc::clone(&counter));
    let other = spawn(move || {
        while !stop_copy.load(Ordering::SeqCst) {
            counter_copy.fetch_add(1, Ordering::SeqCst);
            libos::kernel::yield_now();
        }
    })
    .map_err(failed("spawn"))?;
    let (stack, top) = new_stack();
    let tid = clone_thread(
        cleartid_body,
        core::ptr::from_ref(&*shared) as u64,
        top,
        THREAD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
        shared.parent_tid.as_ptr() as u64,
        shared.child_tid.as_ptr() as u64,
        0,
    )
    .map_err(failed("clone"))?;
    join_on(&shared.child_tid)?;
    ensure!(
        shared.finished.load(Ordering::SeqCst),
        "the clear-tid word was cleared before the thread finished"
    );
    ensure!(
        shared.parent_tid.load(Ordering::SeqCst) == tid,
        "CLONE_PARENT_SETTID stored {}, clone returned {tid}",
        shared.parent_tid.load(Ordering::SeqCst)
    );
    ensure!(
        shared.seen_tid.load(Ordering::SeqCst) == tid,
        "the thread's gettid was {}, clone returned {tid}",
        shared.seen_tid.load(Ordering::SeqCst)
    );
    ensure!(
        shared.seen_child_word.load(Ordering::SeqCst) == tid as u32,
        "CLONE_CHILD_SETTID: the thread saw {} in its word",
        shared.seen_child_word.load(Ordering::SeqCst)
    );
    ensure!(tid != gettid(), "the thread has the main thread's tid");
    // The process and its other thread go on after one thread's exit.
    let before = counter.load(Ordering::SeqCst);
    wait_until("the other thread to go on", || {
        counter.load(Ordering::SeqCst) > before + 2
    })?;
    stop.store(true, Ordering::SeqCst);
    other.join().map_err(failed("join"))?;
    drop(stack);
    Ok(())
}

extern "C" fn settls_body(argument: u64) -> i32 {
    // SAFETY: the check passes an `AtomicU64` pair that outlives this thread.
    let result = unsafe { &*(argument as *const [AtomicU64; 2]) };
    let (first, second): (u64, u64);
    // SAFETY: this thread's FS base is the TLS block the check gave `clone` (two words).
    unsafe {
        core::arch::asm!("mov {}, fs:0", out(reg) first, options(nostack, readonly));
        core::arch::asm!("mov {}, fs:8", out(reg) second, options(nostack, readonly));
    }
    result[0].store(first, Ordering::SeqCst);
    result[1].store(second, Ordering::SeqCst);
    0
}

fn clone_settls() -> CheckOutcome {
    let block = Box::new([0u64, 0x5e77_1500_0000_0042]);
    let tls = block.as_ptr() as u64;
    let mut with_self = block;
    with_self[0] = tls;
    let result = Box::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let child_tid = Box::new(AtomicU32::new(1));
    let (stack, top) = new_stack();
    clone_thread(
        settls_body,
        core::ptr::from_ref(&*result) as u64,
        top,
        THREAD | CLONE_SETTLS | CLONE_CHILD_CLEARTID,
        0,
        child_tid.as_ptr() as u64,
        tls,
    )
    .map_err(failed("clone"))?;
    join_on(&child_tid)?;
    ensure!(
        result[0].load(Ordering::SeqCst) == tls
            && result[1].load(Ordering::SeqCst) == 0x5e77_1500_0000_0042,
        "fs:0 = {:#x}, fs:8 = {:#x}; the TLS block is at {tls:#x}",
        result[0].load(Ordering::SeqCst),
        result[1].load(Ordering::SeqCst)
    );
    drop((stack, with_self));
    Ok(())
}

extern "C" fn never_body(_argument: u64) -> i32 {
    0
}

fn clone_refuses() -> CheckOutcome {
    let (stack, top) = new_stack();
    let attempt = |flags: u64| clone_thread(never_body, 0, top, flags, 0, 0, 0);
    ensure!(
        attempt(CLONE_SIGHAND | CLONE_FS | CLONE_FILES) == Err(Errno::EINVAL),
        "CLONE_SIGHAND without CLONE_VM: {:?}",
        attempt(CLONE_SIGHAND | CLONE_FS | CLONE_FILES)
    );
    ensure!(
        attempt(CLONE_VM | CLONE_THREAD) == Err(Errno::EINVAL),
        "CLONE_THREAD without CLONE_SIGHAND: {:?}",
        attempt(CLONE_VM | CLONE_THREAD)
    );
    ensure!(
        attempt(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND) == Err(Errno::ENOSYS),
        "a process sharing memory (no CLONE_THREAD) is not built: {:?}",
        attempt(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND)
    );
    ensure!(
        attempt(THREAD | CLONE_CHILD_CLEARTID) == Err(Errno::EFAULT),
        "CLONE_CHILD_CLEARTID with no word"
    );
    drop(stack);
    Ok(())
}

fn set_tid_address_cleared() -> CheckOutcome {
    let word = Arc::new(AtomicU32::new(u32::MAX));
    let copy = Arc::clone(&word);
    let handle = spawn(move || {
        let tid = set_tid_address(copy.as_ptr() as u64);
        copy.store(tid as u32, Ordering::SeqCst);
        (tid, gettid())
    })
    .map_err(failed("spawn"))?;
    let expected = handle.id();
    join_on(&word)?;
    let (returned, own) = handle.join().map_err(failed("join"))?;
    ensure!(
        returned == expected && own == expected,
        "set_tid_address returned {returned}, gettid {own}, the thread is {expected}"
    );
    Ok(())
}

fn gettid_main_is_pid() -> CheckOutcome {
    let pid = getpid().map_err(failed("getpid"))?;
    ensure!(
        gettid() == pid,
        "main thread: gettid {} != pid {pid}",
        gettid()
    );
    let handle = spawn(gettid).map_err(failed("spawn"))?;
    let id = handle.id();
    let seen = handle.join().map_err(failed("join"))?;
    ensure!(
        seen == id && id != pid && id > 0,
        "thread tid {seen} (handle {id}), pid {pid}"
    );
    // A fork child's main thread has the child's pid as its tid.
    let child = fork().map_err(failed("fork"))?;
    if child == 0 {
        let ok = getpid().is_ok_and(|own| own == gettid() && own != pid);
        _exit(if ok { 0 } else { 1 });
    }
    let mut status = 0;
    waitpid(child, Some(&mut status), 0).map_err(failed("waitpid"))?;
    ensure!(
        WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "in a fork child gettid != getpid (status {status:#x})"
    );
    Ok(())
}

/// The counters the threads of the exit_group child bump, in memory shared with the parent.
extern "C" fn spinning_body(argument: u64) -> i32 {
    // SAFETY: the word is in the shared page the child mapped, alive as long as the process.
    let counter = unsafe { &*(argument as *const AtomicU64) };
    loop {
        counter.fetch_add(1, Ordering::SeqCst);
        libos::kernel::yield_now();
    }
}

extern "C" fn exit_group_body(argument: u64) -> i32 {
    // SAFETY: as in `spinning_body`.
    let counters = unsafe { &*(argument as *const [AtomicU64; 3]) };
    while counters[0].load(Ordering::SeqCst) < 20 || counters[1].load(Ordering::SeqCst) < 20 {
        libos::kernel::yield_now();
    }
    libos::process::exit_group(42)
}

fn exit_group_ends_all() -> CheckOutcome {
    let shared = mmap(
        0,
        2 * 4096,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_ANONYMOUS,
        -1,
        0,
    )
    .map_err(failed("mmap"))?;
    // SAFETY: a fresh shared page, zeroed, large enough for three counters.
    let counters = unsafe { &*(shared as *const [AtomicU64; 3]) };
    counters[2].store(1, Ordering::SeqCst);
    let pid = fork().map_err(failed("fork"))?;
    if pid == 0 {
        if counters[2].load(Ordering::SeqCst) != 1 {
            _exit(44);
        }
        counters[2].store(5, Ordering::SeqCst);
        let (_stack_a, top_a) = new_stack();
        let (_stack_b, top_b) = new_stack();
        let started = clone_thread(spinning_body, shared, top_a, THREAD, 0, 0, 0).is_ok()
            && clone_thread(exit_group_body, shared, top_b, THREAD, 0, 0, 0).is_ok();
        if !started {
            _exit(1);
        }
        // The main thread spins too, on the second counter, until the other thread's
        // exit_group ends it.
        spinning_body(shared + 8);
    }
    let mut status = 0;
    waitpid(pid, Some(&mut status), 0).map_err(failed("waitpid"))?;
    ensure!(
        WIFEXITED(status) && WEXITSTATUS(status) == 42,
        "the child's status is {status:#x}, not exit_group's 42"
    );
    let before = [
        counters[0].load(Ordering::SeqCst),
        counters[1].load(Ordering::SeqCst),
    ];
    libos::time::nanosleep(&libposix_sys::time::Timespec::from_nanoseconds(100_000_000))
        .map_err(failed("nanosleep"))?;
    let after = [
        counters[0].load(Ordering::SeqCst),
        counters[1].load(Ordering::SeqCst),
    ];
    ensure!(
        counters[2].load(Ordering::SeqCst) == 5,
        "the child's writes to the shared page did not arrive"
    );
    ensure!(
        before[0] >= 20 && before[1] >= 20,
        "the threads had not run: {before:?}"
    );
    ensure!(
        before == after,
        "threads still ran after exit_group: {before:?} then {after:?}"
    );
    munmap(shared, 2 * 4096).map_err(failed("munmap"))
}

/// Which thread last ran the test handler, and how often it ran.
static HANDLED_ON: AtomicI32 = AtomicI32::new(0);
static HANDLED: AtomicU32 = AtomicU32::new(0);

extern "C" fn recording_handler(_signal: i32) {
    HANDLED_ON.store(gettid(), Ordering::SeqCst);
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

fn install(signal: i32) -> Result<(), String> {
    let action = KernelSigaction {
        sa_handler: recording_handler as *const () as usize,
        ..KernelSigaction::default()
    };
    sigaction(signal, Some(&action), None).map_err(failed("sigaction"))
}

fn restore(signal: i32) {
    let action = KernelSigaction {
        sa_handler: SIG_DFL,
        ..KernelSigaction::default()
    };
    let _ = sigaction(signal, Some(&action), None);
}

/// A thread that waits in the kernel (futex with a timeout) until `stop`, returning how many
/// handlers had run on it.
fn waiting_thread(
    stop: &Arc<AtomicU32>,
    ready: &Arc<AtomicI32>,
    setup: impl FnOnce() + Send + 'static,
) -> Result<libos::thread::JoinHandle<()>, String> {
    let (stop, ready) = (Arc::clone(stop), Arc::clone(ready));
    spawn(move || {
        setup();
        ready.store(gettid(), Ordering::SeqCst);
        while stop.load(Ordering::SeqCst) == 0 {
            let _ = futex::wait(&stop, 0, Some(10_000_000));
        }
    })
    .map_err(failed("spawn"))
}

fn tgkill_targets_thread() -> CheckOutcome {
    install(SIGUSR1)?;
    let pid = getpid().map_err(failed("getpid"))?;
    let stop = Arc::new(AtomicU32::new(0));
    let ready = Arc::new(AtomicI32::new(0));
    let thread = waiting_thread(&stop, &ready, || {})?;
    let outcome = (|| {
        wait_until("the thread to start", || ready.load(Ordering::SeqCst) != 0)?;
        let tid = ready.load(Ordering::SeqCst);
        HANDLED_ON.store(0, Ordering::SeqCst);
        tgkill(pid, tid, SIGUSR1).map_err(failed("tgkill"))?;
        wait_until("the handler", || HANDLED_ON.load(Ordering::SeqCst) != 0)?;
        ensure!(
            HANDLED_ON.load(Ordering::SeqCst) == tid,
            "tgkill to {tid}: the handler ran on {}",
            HANDLED_ON.load(Ordering::SeqCst)
        );
        HANDLED_ON.store(0, Ordering::SeqCst);
        tkill(tid, SIGUSR1).map_err(failed("tkill"))?;
        wait_until("the handler", || HANDLED_ON.load(Ordering::SeqCst) != 0)?;
        ensure!(
            HANDLED_ON.load(Ordering::SeqCst) == tid,
            "tkill to {tid}: the handler ran on {}",
            HANDLED_ON.load(Ordering::SeqCst)
        );
        // To ourselves: the handler has run on this thread when it returns.
        HANDLED_ON.store(0, Ordering::SeqCst);
        tgkill(pid, gettid(), SIGUSR1).map_err(failed("tgkill self"))?;
        ensure!(
            HANDLED_ON.load(Ordering::SeqCst) == gettid(),
            "tgkill to ourselves ran on {}",
            HANDLED_ON.load(Ordering::SeqCst)
        );
        // The thread is not init's.
        ensure!(
            tgkill(1, tid, 0) == Err(Errno::ESRCH),
            "tgkill(1, {tid}) found the thread in init: {:?}",
            tgkill(1, tid, 0)
        );
        Ok(())
    })();
    stop.store(1, Ordering::SeqCst);
    futex::wake(&stop, 1);
    let joined = thread.join();
    restore(SIGUSR1);
    outcome?;
    joined.map_err(failed("join"))
}

fn sigprocmask_per_thread() -> CheckOutcome {
    install(SIGUSR2)?;
    let pid = getpid().map_err(failed("getpid"))?;
    let go = Arc::new(AtomicU32::new(0));
    let ready = Arc::new(AtomicI32::new(0));
    let report = Arc::new(AtomicU64::new(0));
    let (go_copy, ready_copy, report_copy) =
        (Arc::clone(&go), Arc::clone(&ready), Arc::clone(&report));
    HANDLED.store(0, Ordering::SeqCst);
    let thread = spawn(move || {
        let block = SignalSet::EMPTY.with(SIGUSR2);
        let _ = sigprocmask(SIG_BLOCK, Some(&block), None);
        ready_copy.store(gettid(), Ordering::SeqCst);
        while go_copy.load(Ordering::SeqCst) == 0 {
            let _ = futex::wait(&go_copy, 0, Some(10_000_000));
        }
        let pending_here = sigpending().is_ok_and(|set| set.contains(SIGUSR2));
        let before = HANDLED.load(Ordering::SeqCst);
        // Unblocking delivers it here, before sigprocmask returns.
        let _ = sigprocmask(SIG_UNBLOCK, Some(&block), None);
        let ran_here = HANDLED.load(Ordering::SeqCst) == before + 1
            && HANDLED_ON.load(Ordering::SeqCst) == gettid();
        report_copy.store(
            u64::from(pending_here) | u64::from(ran_here) << 1 | 1 << 2,
            Ordering::SeqCst,
        );
    })
    .map_err(failed("spawn"))?;
    let outcome = (|| {
        wait_until("the thread to block SIGUSR2", || {
            ready.load(Ordering::SeqCst) != 0
        })?;
        let tid = ready.load(Ordering::SeqCst);
        let mut own = SignalSet::EMPTY;
        sigprocmask(SIG_SETMASK, None, Some(&mut own)).map_err(failed("sigprocmask"))?;
        ensure!(
            !own.contains(SIGUSR2),
            "the other thread's sigprocmask changed the main thread's mask"
        );
        tgkill(pid, tid, SIGUSR2).map_err(failed("tgkill"))?;
        let until = clock_monotonic() + 50_000_000;
        while clock_monotonic() < until {
            libos::kernel::yield_now();
        }
        ensure!(
            HANDLED.load(Ordering::SeqCst) == 0,
            "the handler ran although the target thread blocks the signal"
        );
        let pending = sigpending().map_err(failed("sigpending"))?;
        ensure!(
            !pending.contains(SIGUSR2),
            "the signal sent to the other thread is pending on the main thread"
        );
        Ok(())
    })();
    go.store(1, Ordering::SeqCst);
    futex::wake(&go, 1);
    let joined = thread.join();
    restore(SIGUSR2);
    outcome?;
    joined.map_err(failed("join"))?;
    let report = report.load(Ordering::SeqCst);
    ensure!(report & 4 != 0, "the thread did not report");
    ensure!(
        report & 1 != 0,
        "sigpending on the target thread did not show SIGUSR2"
    );
    ensure!(
        report & 2 != 0,
        "unblocking did not run the handler on the target thread"
    );
    Ok(())
}

fn kill_to_unblocking_thread() -> CheckOutcome {
    install(SIGUSR1)?;
    let pid = getpid().map_err(failed("getpid"))?;
    let block = SignalSet::EMPTY.with(SIGUSR1);
    let stop = Arc::new(AtomicU32::new(0));
    let ready = Arc::new(AtomicI32::new(0));
    // The new thread starts with our mask: it unblocks SIGUSR1 for itself.
    sigprocmask(SIG_BLOCK, Some(&block), None).map_err(failed("sigprocmask"))?;
    let thread = waiting_thread(&stop, &ready, move || {
        let _ = sigprocmask(SIG_UNBLOCK, Some(&block), None);
    });
    let outcome = (|| {
        let thread = thread?;
        let result = (|| {
            wait_until("the thread to start", || ready.load(Ordering::SeqCst) != 0)?;
            let tid = ready.load(Ordering::SeqCst);
            HANDLED_ON.store(0, Ordering::SeqCst);
            kill(pid, SIGUSR1).map_err(failed("kill"))?;
            wait_until("the handler", || HANDLED_ON.load(Ordering::SeqCst) != 0)?;
            ensure!(
                HANDLED_ON.load(Ordering::SeqCst) == tid,
                "kill with the main thread blocking: the handler ran on {}, not {tid}",
                HANDLED_ON.load(Ordering::SeqCst)
            );
            Ok(())
        })();
        stop.store(1, Ordering::SeqCst);
        futex::wake(&stop, 1);
        let joined = thread.join();
        result?;
        joined.map_err(failed("join"))
    })();
    let _ = sigprocmask(SIG_UNBLOCK, Some(&block), None);
    restore(SIGUSR1);
    outcome
}

fn fork_with_threads() -> CheckOutcome {
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let (stop_copy, counter_copy) = (Arc::clone(&stop), Arc::clone(&counter));
    // The thread writes private memory (its heap buffer, its stack, the counter) all along:
    // after the fork every such page is copy-on-write, and its first write is a fault taken
    // on this thread.
    let thread = spawn(move || {
        let mut buffer = vec![0u8; 8 * 4096];
        let mut round = 0u8;
        while !stop_copy.load(Ordering::SeqCst) {
            round = round.wrapping_add(1);
            for page in buffer.chunks_mut(4096) {
                page[0] = round;
            }
            counter_copy.fetch_add(1, Ordering::SeqCst);
            libos::kernel::yield_now();
        }
        buffer.iter().step_by(4096).all(|&byte| byte == round)
    })
    .map_err(failed("spawn"))?;
    let outcome = (|| {
        wait_until("the thread to run", || counter.load(Ordering::SeqCst) > 2)?;
        let pid = fork().map_err(failed("fork"))?;
        if pid == 0 {
            // Only the calling thread was copied: our copy of the counter stays still.
            let first = counter.load(Ordering::SeqCst);
            let until = clock_monotonic() + 50_000_000;
            while clock_monotonic() < until {
                libos::kernel::yield_now();
            }
            _exit(if counter.load(Ordering::SeqCst) == first {
                0
            } else {
                1
            });
        }
        let at_fork = counter.load(Ordering::SeqCst);
        let mut status = 0;
        waitpid(pid, Some(&mut status), 0).map_err(failed("waitpid"))?;
        ensure!(
            WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "the fork child saw the parent's thread run in it (status {status:#x})"
        );
        wait_until("the thread to go on writing after the fork", || {
            counter.load(Ordering::SeqCst) > at_fork + 3
        })?;
        Ok(())
    })();
    stop.store(true, Ordering::SeqCst);
    let joined = thread.join();
    outcome?;
    let intact = joined.map_err(|error| format!("the writing thread ended: {error:?}"))?;
    ensure!(intact, "the thread's buffer lost writes");
    Ok(())
}

fn fork_from_thread() -> CheckOutcome {
    let pid = getpid().map_err(failed("getpid"))?;
    let handle = spawn(move || -> Result<i32, String> {
        let child = fork().map_err(failed("fork"))?;
        if child == 0 {
            let ok = getpid().is_ok_and(|own| own != pid && own == gettid());
            _exit(if ok { 3 } else { 1 });
        }
        let mut status = 0;
        waitpid(child, Some(&mut status), 0).map_err(failed("waitpid"))?;
        Ok(status)
    })
    .map_err(failed("spawn"))?;
    let status = handle.join().map_err(failed("join"))??;
    ensure!(
        WIFEXITED(status) && WEXITSTATUS(status) == 3,
        "the child forked by a thread: status {status:#x}"
    );
    Ok(())
}

/// One raw call to the process server, bypassing the LibOS: the errno it answered (0: none).
fn raw_server_call(
    operation: u64,
    word1: u64,
    word2: u64,
    receive: Option<libos::abi::Slot>,
) -> u64 {
    use libos::abi::{Call, OptionalSlot};
    libos::kernel::call(Call::IpcCall {
        endpoint: libos::process::identity::PROCESS_SERVER,
        word0: operation,
        word1,
        word2,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(receive),
    })
    .map_or(u64::MAX, |reply| reply[1])
}

fn thread_page_refused_to_others() -> CheckOutcome {
    use libos::process::protocol::{THREAD_CREATE, THREAD_SIGNAL_PAGE};
    let stop = Arc::new(AtomicU32::new(0));
    let ready = Arc::new(AtomicI32::new(0));
    // A thread of ours that has a signal page (this process uses signals by now).
    let block = SignalSet::EMPTY.with(SIGUSR2);
    let thread = waiting_thread(&stop, &ready, move || {
        let _ = sigprocmask(SIG_BLOCK, Some(&block), None);
    })?;
    let outcome = (|| {
        wait_until("the thread to start", || ready.load(Ordering::SeqCst) != 0)?;
        let tid = ready.load(Ordering::SeqCst);
        let child = fork().map_err(failed("fork"))?;
        if child == 0 {
            // The child asks for our thread's page, and makes a "thread" of nothing.
            let slot = libos::slots::allocate();
            let page = raw_server_call(THREAD_SIGNAL_PAGE, tid as u64, 0, slot);
            let created = raw_server_call(THREAD_CREATE, 0, 0, slot);
            let code = match (page, created) {
                (3, 22) => 0, // ESRCH, EINVAL
                (3, _) => 2,
                _ => 1,
            };
            _exit(code);
        }
        let mut status = 0;
        waitpid(child, Some(&mut status), 0).map_err(failed("waitpid"))?;
        ensure!(
            WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "raw calls from another process: status {status:#x} (1: the thread's page was handed \
             out, 2: a thread was made without a quota)"
        );
        // Our thread's mask is as it set it.
        tgkill(getpid().map_err(failed("getpid"))?, tid, SIGUSR2).map_err(failed("tgkill"))?;
        ensure!(
            HANDLED_ON.load(Ordering::SeqCst) != tid,
            "the blocked signal ran on the thread"
        );
        Ok(())
    })();
    stop.store(1, Ordering::SeqCst);
    futex::wake(&stop, 1);
    let joined = thread.join();
    outcome?;
    joined.map_err(failed("join"))
}
