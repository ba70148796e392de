//! `execve` in a process with threads, and many threads in one process: the other threads end
//! before the new image runs (POSIX: they are destroyed; the exec'ing thread becomes the main
//! thread and the pid stays), whether the main thread or another one calls `execve`; and a
//! process runs 256 threads at once, its 257th `clone` is `EAGAIN`, and all of them join.
//!
//! The exec checks fork a child whose threads bump a counter in memory shared with the parent
//! or sleep in `FutexWait`; the child's `execve` starts `posix-thread-tests exec-probe`, which
//! reports through a pipe its pid, its tid and how many of the old image's thread ids still name
//! a thread (`tgkill(pid, tid, 0)`, answered by the process server), and waits on another pipe
//! until the parent has seen the counter stand still.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

use libos::clock::clock_monotonic;
use libos::io::{close, pipe, read, write};
use libos::memory::{mmap, munmap};
use libos::process::fork;
use libos::process::identity::{_exit, getpid, waitpid};
use libos::signal::tgkill;
use libos::test_protocol::{Check, CheckOutcome};
use libos::thread::clone::{THREAD_FLAGS, clone_thread};
use libos::thread::{futex, gettid};
use libposix_sys::Errno;
use libposix_sys::mman::{MAP_ANONYMOUS, MAP_SHARED, PROT_READ, PROT_WRITE};
use libposix_sys::sched::{CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID};
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

use crate::ensure;

pub const CHECKS: &[Check] = &[
    Check {
        name: "execve_from_the_main_thread_ends_the_others",
        covers: &["execve:ends-other-threads"],
        run: execve_from_main,
    },
    Check {
        name: "execve_from_a_thread_runs_as_the_main_thread",
        covers: &["execve:from-a-thread"],
        run: execve_from_thread,
    },
    Check {
        name: "exec_handover_raw_calls_refused",
        covers: &[],
        run: exec_handover_refused,
    },
    Check {
        name: "clone_256_threads_then_eagain_and_all_join",
        covers: &["clone:EAGAIN-beyond-thread-limit"],
        run: many_threads_in_a_fresh_child,
    },
];

fn failed<E: core::fmt::Debug>(what: &'static str) -> impl Fn(E) -> String {
    move |error| format!("{what}: {error:?}")
}

/// A thread stack of 16 KiB (leaked in the exec child, whose image goes away anyway); its top.
fn new_stack() -> u64 {
    let stack = Box::leak(alloc::vec![0u8; 16 * 1024].into_boxed_slice());
    stack.as_ptr() as u64 + stack.len() as u64
}

/// Bumps the counter at `argument` (in the shared page) for ever.
extern "C" fn spinning_body(argument: u64) -> i32 {
    // SAFETY: the word is in the shared page the child mapped, alive as long as its image.
    let counter = unsafe { &*(argument as *const AtomicU64) };
    loop {
        counter.fetch_add(1, Ordering::SeqCst);
        libos::kernel::yield_now();
    }
}

/// A word nobody wakes: a thread blocked on it sits in `FutexWait` for ever.
static NEVER: AtomicU32 = AtomicU32::new(0);

extern "C" fn blocked_body(_argument: u64) -> i32 {
    loop {
        let _ = futex::wait(&NEVER, 0, None);
    }
}

/// The probe's pipe ends in the exec child (the report's write end, the hold's read end).
static PROBE_ENDS: [AtomicI32; 2] = [AtomicI32::new(-1), AtomicI32::new(-1)];
/// The exec child's thread ids besides the main thread's (0: none), for the probe to look for.
static OLD_TIDS: [AtomicI32; 2] = [AtomicI32::new(0), AtomicI32::new(0)];

/// Waits until the counter at `counter` has moved 20 times, then runs the probe.
fn exec_probe_when_running(counter: &AtomicU64) -> ! {
    while counter.load(Ordering::SeqCst) < 20 {
        libos::kernel::yield_now();
    }
    let report = format!("{}", PROBE_ENDS[0].load(Ordering::SeqCst));
    let hold = format!("{}", PROBE_ENDS[1].load(Ordering::SeqCst));
    let tids: Vec<String> = OLD_TIDS
        .iter()
        .map(|tid| format!("{}", tid.load(Ordering::SeqCst)))
        .collect();
    let _ = libos::process::execve(
        "/bin/posix-thread-tests",
        &[
            "posix-thread-tests",
            "exec-probe",
            &report,
            &hold,
            &tids[0],
            &tids[1],
        ],
        &[],
    );
    _exit(1)
}

extern "C" fn exec_body(argument: u64) -> i32 {
    OLD_TIDS[0].store(gettid(), Ordering::SeqCst);
    // SAFETY: as in `spinning_body`.
    exec_probe_when_running(unsafe { &*(argument as *const AtomicU64) })
}

/// `posix-thread-tests exec-probe REPORT HOLD TID TID`: the new image writes to `REPORT` its
/// pid, its tid and how many of the two old thread ids (0: none) `tgkill(pid, tid, 0)` still
/// finds, then reads `HOLD` until its end (the parent closes it when done); status 0.
pub fn exec_probe(words: &[String]) -> i32 {
    let numbers: Vec<i32> = words.iter().filter_map(|word| word.parse().ok()).collect();
    let [report, hold, first, second] = numbers[..] else {
        return 2;
    };
    let pid = getpid().unwrap_or(-1);
    let alive = [first, second]
        .iter()
        .filter(|&&tid| tid > 0 && tgkill(pid, tid, 0) != Err(Errno::ESRCH))
        .count() as i32;
    let mut message = [0u8; 12];
    message[..4].copy_from_slice(&pid.to_le_bytes());
    message[4..8].copy_from_slice(&gettid().to_le_bytes());
    message[8..].copy_from_slice(&alive.to_le_bytes());
    if write(report, &message) != Ok(12) {
        return 3;
    }
    let mut byte = [0u8; 1];
    while read(hold, &mut byte).is_ok_and(|length| length > 0) {}
    0
}

/// Forks a child that starts threads as `start` says (given the shared page; it returns only
/// in the child, to run the main thread's part) and checks what the probe and the counters
/// show: the pid kept, the probe on the main thread, and no counter moving after the exec.
fn exec_with_threads(start: fn(u64) -> !) -> CheckOutcome {
    let shared = mmap(
        0,
        4096,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_ANONYMOUS,
        -1,
        0,
    )
    .map_err(failed("mmap"))?;
    // SAFETY: a fresh shared page, zeroed, large enough for two counters.
    let counters = unsafe { &*(shared as *const [AtomicU64; 2]) };
    let [report_read, report_write] = pipe().map_err(failed("pipe"))?;
    let [hold_read, hold_write] = pipe().map_err(failed("pipe"))?;
    let child = fork().map_err(failed("fork"))?;
    if child == 0 {
        let _ = close(report_read);
        let _ = close(hold_write);
        PROBE_ENDS[0].store(report_write, Ordering::SeqCst);
        PROBE_ENDS[1].store(hold_read, Ordering::SeqCst);
        start(shared);
    }
    let _ = close(report_write);
    let _ = close(hold_read);
    let outcome = (|| -> CheckOutcome {
        let mut message = [0u8; 12];
        let mut got = 0;
        while got < 12 {
            match read(report_read, &mut message[got..]) {
                Ok(0) => return Err(String::from("the child ended without running the probe")),
                Ok(length) => got += length,
                Err(Errno::EINTR) => {}
                Err(error) => return Err(format!("read: {error:?}")),
            }
        }
        let pid = i32::from_le_bytes([message[0], message[1], message[2], message[3]]);
        let tid = i32::from_le_bytes([message[4], message[5], message[6], message[7]]);
        let alive = i32::from_le_bytes([message[8], message[9], message[10], message[11]]);
        ensure!(
            pid == child && tid == child,
            "the new image has pid {pid} and tid {tid}; the child was {child}"
        );
        ensure!(
            alive == 0,
            "{alive} thread id(s) of the old image still name a thread after execve"
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
            before[0] >= 20,
            "the child's threads had not run: {before:?}"
        );
        ensure!(
            before == after,
            "threads of the old image still ran after execve: {before:?} then {after:?}"
        );
        Ok(())
    })();
    let _ = close(report_read);
    let _ = close(hold_write);
    let mut status = 0;
    waitpid(child, Some(&mut status), 0).map_err(failed("waitpid"))?;
    let _ = munmap(shared, 4096);
    outcome?;
    ensure!(
        WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "the probe's status is {status:#x}"
    );
    Ok(())
}

fn execve_from_main() -> CheckOutcome {
    exec_with_threads(|shared| {
        let spinning = clone_thread(spinning_body, shared, new_stack(), THREAD_FLAGS, 0, 0, 0);
        let blocked = clone_thread(blocked_body, 0, new_stack(), THREAD_FLAGS, 0, 0, 0);
        let (Ok(spinning), Ok(blocked)) = (spinning, blocked) else {
            _exit(4);
        };
        OLD_TIDS[0].store(spinning, Ordering::SeqCst);
        OLD_TIDS[1].store(blocked, Ordering::SeqCst);
        // SAFETY: the shared page stays mapped in this image.
        exec_probe_when_running(unsafe { &*(shared as *const AtomicU64) })
    })
}

fn execve_from_thread() -> CheckOutcome {
    exec_with_threads(|shared| {
        // The blocked thread first: the exec'ing one may run (and exec) at once.
        let Ok(blocked) = clone_thread(blocked_body, 0, new_stack(), THREAD_FLAGS, 0, 0, 0) else {
            _exit(4);
        };
        OLD_TIDS[1].store(blocked, Ordering::SeqCst);
        if clone_thread(exec_body, shared, new_stack(), THREAD_FLAGS, 0, 0, 0).is_err() {
            _exit(4);
        }
        // The main thread bumps the counter until the thread's execve ends it.
        spinning_body(shared);
        _exit(5)
    })
}

/// `EXEC_HANDOVER` sent by hand, bypassing the LibOS: the errno the server answered.
fn raw_handover(tid: i32) -> u64 {
    use libos::abi::{Call, OptionalSlot};
    libos::kernel::call(Call::IpcCall {
        endpoint: libos::process::identity::PROCESS_SERVER,
        word0: libos::process::protocol::EXEC_HANDOVER,
        word1: u64::from(tid as u32),
        word2: 0,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map_or(u64::MAX, |reply| reply[1])
}

/// Raw `EXEC_HANDOVER` calls: a tid that is none of the caller's threads (its own pid, another
/// process's thread) is `ESRCH`; a thread of the caller's while the main environment runs is
/// `EINVAL`, and that thread goes on running.
fn exec_handover_refused() -> CheckOutcome {
    let go = alloc::sync::Arc::new(AtomicU32::new(0));
    let for_thread = alloc::sync::Arc::clone(&go);
    let thread = libos::thread::spawn(move || {
        while for_thread.load(Ordering::SeqCst) == 0 {
            let _ = futex::wait(&for_thread, 0, None);
        }
        7
    })
    .map_err(failed("spawn"))?;
    let tid = thread.id();
    let outcome = (|| -> CheckOutcome {
        let pid = getpid().map_err(failed("getpid"))?;
        ensure!(
            raw_handover(pid) == 3,
            "EXEC_HANDOVER naming the pid was not ESRCH"
        );
        ensure!(
            raw_handover(tid) == 22,
            "EXEC_HANDOVER with the main thread running was not EINVAL"
        );
        let child = fork().map_err(failed("fork"))?;
        if child == 0 {
            _exit(i32::from(raw_handover(tid) != 3));
        }
        let mut status = 0;
        waitpid(child, Some(&mut status), 0).map_err(failed("waitpid"))?;
        ensure!(
            WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "EXEC_HANDOVER naming another process's thread was not ESRCH ({status:#x})"
        );
        Ok(())
    })();
    go.store(1, Ordering::SeqCst);
    futex::wake(&go, 1);
    let joined = thread.join().map_err(failed("join"))?;
    outcome?;
    ensure!(
        joined == 7,
        "the thread named by the refused calls did not run on"
    );
    Ok(())
}

/// What the many threads share: how many have run, and the word they wait on to end.
struct Crowd {
    ran: AtomicU32,
    release: AtomicU32,
}

extern "C" fn crowd_body(argument: u64) -> i32 {
    // SAFETY: `many_threads` keeps the crowd alive until every clear-tid word is 0.
    let crowd = unsafe { &*(argument as *const Crowd) };
    crowd.ran.fetch_add(1, Ordering::SeqCst);
    futex::wake(&crowd.ran, 1);
    while crowd.release.load(Ordering::SeqCst) == 0 {
        let _ = futex::wait(&crowd.release, 0, None);
    }
    0
}

/// How many threads (besides the main one) the process server lets a process have.
const LIMIT: usize = libos::process::protocol::MAXIMUM_THREADS;

/// Runs [`many_threads`] in a child started afresh (`posix-thread-tests many-threads`): this
/// process has forked, so the stacks' writes here would be copy-on-write faults, and its copy
/// pool holds 256 frames at a time.
fn many_threads_in_a_fresh_child() -> CheckOutcome {
    let pid = libos::process::posix_spawn(
        "/bin/posix-thread-tests",
        &[],
        None,
        &["posix-thread-tests", "many-threads"],
        &[],
    )
    .map_err(failed("posix_spawn"))?;
    let mut status = 0;
    waitpid(pid, Some(&mut status), 0).map_err(failed("waitpid"))?;
    ensure!(
        WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "posix-thread-tests many-threads: status {status:#x} (its reason is on the console)"
    );
    Ok(())
}

/// `posix-thread-tests many-threads`: [`many_threads`], its failure printed; the exit status.
pub fn many_threads_child() -> i32 {
    match many_threads() {
        Ok(()) => 0,
        Err(reason) => {
            libos::println!("many-threads: {reason}");
            1
        }
    }
}

fn many_threads() -> CheckOutcome {
    let crowd = Box::new(Crowd {
        ran: AtomicU32::new(0),
        release: AtomicU32::new(0),
    });
    let argument = core::ptr::from_ref(&*crowd) as u64;
    let stacks: Vec<Box<[u8]>> = (0..=LIMIT)
        .map(|_| alloc::vec![0u8; 16 * 1024].into_boxed_slice())
        .collect();
    let words: Vec<AtomicU32> = (0..=LIMIT).map(|_| AtomicU32::new(0)).collect();
    let flags = THREAD_FLAGS | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
    let mut started = 0;
    let mut refusal = None;
    for (stack, word) in stacks.iter().zip(&words) {
        let top = stack.as_ptr() as u64 + stack.len() as u64;
        let child_word = core::ptr::from_ref(word) as u64;
        match clone_thread(crowd_body, argument, top, flags, 0, child_word, 0) {
            Ok(_) => started += 1,
            Err(error) => {
                refusal = Some(error);
                break;
            }
        }
    }
    // Whatever happened, every started thread is released and joined before the check ends.
    let deadline = clock_monotonic() + 10_000_000_000;
    let mut ran = crowd.ran.load(Ordering::SeqCst);
    while (ran as usize) < started && clock_monotonic() < deadline {
        let _ = futex::wait(&crowd.ran, ran, Some(100_000_000));
        ran = crowd.ran.load(Ordering::SeqCst);
    }
    crowd.release.store(1, Ordering::SeqCst);
    futex::wake(&crowd.release, u32::MAX);
    let mut joined = 0;
    for word in words.iter().take(started) {
        loop {
            let value = word.load(Ordering::SeqCst);
            if value == 0 {
                joined += 1;
                break;
            }
            let now = clock_monotonic();
            if now > deadline {
                break;
            }
            let _ = futex::wait(word, value, Some(deadline - now));
        }
    }
    ensure!(
        joined == started,
        "only {joined} of {started} threads were joined"
    );
    ensure!(
        started == LIMIT && refusal == Some(Errno::EAGAIN),
        "{started} threads started (the limit is {LIMIT}), then {refusal:?} (expected EAGAIN)"
    );
    ensure!(
        ran as usize == started,
        "only {ran} of {started} threads ran"
    );
    drop(stacks);
    drop(crowd);
    Ok(())
}
