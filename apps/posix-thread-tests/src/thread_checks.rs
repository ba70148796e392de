//! Threads: join values, a futex mutex under contention, a condition-variable queue, each
//! thread's own thread-locals, the shared heap across threads, and `futex` in Linux form.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::ensure;

use libos::test_protocol::{Check, CheckOutcome};
use libos::thread::futex::{futex, futex_requeue};
use libos::thread::{Condvar, JoinHandle, LocalKey, Mutex, RwLock, fs_self_address, gettid, spawn};
use libposix_sys::Errno;
use libposix_sys::clock::CLOCK_MONOTONIC;
use libposix_sys::futex::{
    FUTEX_BITSET_MATCH_ANY, FUTEX_CMP_REQUEUE, FUTEX_PRIVATE_FLAG, FUTEX_REQUEUE, FUTEX_WAIT,
    FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET,
};
use libposix_sys::time::Timespec;

pub const CHECKS: &[Check] = &[
    Check {
        name: "spawn_join_returns_values",
        covers: &["gettid:distinct-per-thread"],
        run: spawn_join_returns_values,
    },
    Check {
        name: "threads_give_everything_back_and_report_faults",
        covers: &[],
        run: threads_give_everything_back,
    },
    Check {
        name: "mutex_counter_eight_threads",
        covers: &[],
        run: mutex_counter,
    },
    Check {
        name: "condvar_producer_consumer",
        covers: &[],
        run: condvar_producer_consumer,
    },
    Check {
        name: "rwlock_readers_never_see_a_half_write",
        covers: &[],
        run: rwlock_readers_and_writers,
    },
    Check {
        name: "thread_locals_are_per_thread",
        covers: &[],
        run: thread_locals_are_per_thread,
    },
    Check {
        name: "heap_shared_between_threads",
        covers: &[],
        run: heap_shared_between_threads,
    },
    Check {
        name: "futex_wait_and_wake",
        covers: &[
            "futex:FUTEX_WAIT",
            "futex:FUTEX_WAKE",
            "futex:FUTEX_PRIVATE_FLAG",
            "futex:EAGAIN",
            "futex:ETIMEDOUT",
        ],
        run: futex_wait_and_wake,
    },
    Check {
        name: "futex_cmp_requeue_moves_waiters",
        covers: &["futex:FUTEX_CMP_REQUEUE", "futex:FUTEX_CMP_REQUEUE-EAGAIN"],
        run: futex_cmp_requeue_moves_waiters,
    },
    Check {
        name: "futex_requeue_moves_waiters",
        covers: &["futex:FUTEX_REQUEUE"],
        run: futex_requeue_moves_waiters,
    },
    Check {
        name: "futex_wake_bitset_wakes_matching_waiters",
        covers: &["futex:FUTEX_WAIT_BITSET-mask", "futex:FUTEX_WAKE_BITSET"],
        run: futex_wake_bitset_wakes_matching_waiters,
    },
    Check {
        name: "futex_wait_bitset_absolute_timeout",
        covers: &["futex:FUTEX_WAIT_BITSET"],
        run: futex_wait_bitset,
    },
];

fn started<T>(
    result: Result<JoinHandle<T>, libos::abi::KernelError>,
) -> Result<JoinHandle<T>, String> {
    result.map_err(|error| format!("spawn: {error:?}"))
}

fn joined<T>(handle: JoinHandle<T>) -> Result<T, String> {
    handle.join().map_err(|error| format!("join: {error:?}"))
}

fn spawn_join_returns_values() -> CheckOutcome {
    let main_id = gettid();
    let mut handles = Vec::new();
    for index in 0..4_u64 {
        handles.push(started(spawn(move || (index * 10, gettid())))?);
    }
    let mut ids = Vec::new();
    for (index, handle) in handles.into_iter().enumerate() {
        let expected_id = handle.id();
        let (value, id) = joined(handle)?;
        ensure!(
            value == index as u64 * 10,
            "thread {index} returned {value}"
        );
        ensure!(
            id == expected_id,
            "thread {index}: gettid {id}, handle says {expected_id}"
        );
        ensure!(
            id != main_id,
            "thread {index} has the main thread's id {id}"
        );
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    ensure!(ids.len() == 4, "thread ids not distinct: {ids:?}");
    ensure!(gettid() == main_id, "the main thread's id changed");
    // A thread that returns a heap value.
    let text = joined(started(spawn(|| String::from("from a thread")))?)?;
    ensure!(text == "from a thread", "returned {text:?}");
    Ok(())
}

fn quota_remaining() -> Result<u64, String> {
    libos::kernel::call(libos::abi::Call::MemoryStatus {
        quota: libos::abi::initial::MEMORY_QUOTA,
    })
    .map(|words| words[0])
    .map_err(|error| format!("MemoryStatus: {error:?}"))
}

fn threads_give_everything_back() -> CheckOutcome {
    // A thread that faults ends alone, and join says so.
    let faulting = started(spawn(|| {
        // SAFETY: not sound on purpose: page 0 is never mapped, so this read faults and the
        // kernel ends this thread (it has no exception handler).
        unsafe { core::ptr::read_volatile(0x10 as *const u64) }
    }))?;
    let ending = faulting.join();
    ensure!(
        ending == Err(libos::thread::JoinError::Faulted),
        "a faulting thread joined as {ending:?}"
    );
    // Threads started and joined (or dropped, which joins) give back every page: a warm-up
    // round first, so the heap and the stack pool have grown.
    for round in 0..2 {
        let before = quota_remaining()?;
        for index in 0..16_u64 {
            let handle = started(spawn(move || index * 2))?;
            if index % 2 == 0 {
                ensure!(
                    joined(handle)? == index * 2,
                    "thread {index} returned wrong"
                );
            } else {
                drop(handle);
            }
        }
        let after = quota_remaining()?;
        ensure!(
            round == 0 || after == before,
            "16 threads left {} pages charged",
            before.saturating_sub(after)
        );
    }
    Ok(())
}

fn mutex_counter() -> CheckOutcome {
    const THREADS: u64 = 8;
    const INCREMENTS: u64 = 100_000;
    let counter = Arc::new(Mutex::new(0_u64));
    let mut handles = Vec::new();
    for _ in 0..THREADS {
        let counter = Arc::clone(&counter);
        handles.push(started(spawn(move || {
            for _ in 0..INCREMENTS {
                // A read and a write apart: without the lock, increments would be lost.
                let mut guard = counter.lock();
                let value = *guard;
                *guard = value + 1;
            }
        }))?);
    }
    for handle in handles {
        joined(handle)?;
    }
    let total = *counter.lock();
    ensure!(
        total == THREADS * INCREMENTS,
        "counter {total}, expected {}",
        THREADS * INCREMENTS
    );
    Ok(())
}

fn rwlock_readers_and_writers() -> CheckOutcome {
    const WRITES: u64 = 2000;
    // Two halves a writer changes one after the other: a reader must never see them differ.
    let pair = Arc::new(RwLock::new((0_u64, 0_u64)));
    let mut writers = Vec::new();
    for _ in 0..2 {
        let pair = Arc::clone(&pair);
        writers.push(started(spawn(move || {
            for _ in 0..WRITES {
                let mut guard = pair.write();
                guard.0 += 1;
                core::hint::spin_loop();
                guard.1 += 1;
            }
        }))?);
    }
    let mut readers = Vec::new();
    for _ in 0..3 {
        let pair = Arc::clone(&pair);
        readers.push(started(spawn(move || {
            let mut torn = 0_u64;
            let mut reads = 0_u64;
            loop {
                let guard = pair.read();
                if guard.0 != guard.1 {
                    torn += 1;
                }
                reads += 1;
                if guard.0 == 2 * WRITES {
                    return (torn, reads);
                }
            }
        }))?);
    }
    for writer in writers {
        joined(writer)?;
    }
    for reader in readers {
        let (torn, reads) = joined(reader)?;
        ensure!(
            torn == 0,
            "a reader saw {torn} half-done writes in {reads} reads"
        );
    }
    let final_pair = *pair.read();
    ensure!(
        final_pair == (2 * WRITES, 2 * WRITES),
        "final value {final_pair:?}"
    );
    Ok(())
}

struct Queue {
    items: Mutex<VecDeque<u64>>,
    not_empty: Condvar,
    not_full: Condvar,
}

fn condvar_producer_consumer() -> CheckOutcome {
    const CAPACITY: usize = 4;
    const ITEMS: u64 = 2000;
    let queue = Arc::new(Queue {
        items: Mutex::new(VecDeque::new()),
        not_empty: Condvar::new(),
        not_full: Condvar::new(),
    });
    let consumer_queue = Arc::clone(&queue);
    let consumer = started(spawn(move || {
        let mut sum = 0_u64;
        let mut previous = 0_u64;
        let mut in_order = true;
        for _ in 0..ITEMS {
            let mut items = consumer_queue.items.lock();
            while items.is_empty() {
                items = consumer_queue.not_empty.wait(items);
            }
            let item = items.pop_front().unwrap_or(0);
            drop(items);
            consumer_queue.not_full.notify_one();
            in_order &= item == previous + 1;
            previous = item;
            sum += item;
        }
        (sum, in_order)
    }))?;
    for item in 1..=ITEMS {
        let mut items = queue.items.lock();
        while items.len() == CAPACITY {
            items = queue.not_full.wait(items);
        }
        items.push_back(item);
        drop(items);
        queue.not_empty.notify_one();
    }
    let (sum, in_order) = joined(consumer)?;
    ensure!(
        sum == ITEMS * (ITEMS + 1) / 2,
        "consumer summed {sum}, expected {}",
        ITEMS * (ITEMS + 1) / 2
    );
    ensure!(in_order, "items arrived out of order");
    // A timed wait that nobody notifies times out.
    let lonely = Mutex::new(());
    let condvar = Condvar::new();
    let (_guard, timed_out) = condvar.wait_timeout(lonely.lock(), Some(20_000_000));
    ensure!(timed_out, "an unnotified timed wait did not time out");
    Ok(())
}

static LOCAL_VALUE: LocalKey<Cell<u64>> = LocalKey::new(|| Cell::new(7));

fn thread_locals_are_per_thread() -> CheckOutcome {
    LOCAL_VALUE.with(|value| value.set(1000));
    let mut handles = Vec::new();
    for index in 0..4_u64 {
        handles.push(started(spawn(move || {
            let initial = LOCAL_VALUE.with(Cell::get);
            LOCAL_VALUE.with(|value| value.set(index));
            // Let the other threads write theirs.
            let _ = libos::time::nanosleep(&Timespec {
                tv_sec: 0,
                tv_nsec: 10_000_000,
            });
            (initial, LOCAL_VALUE.with(Cell::get), fs_self_address())
        }))?);
    }
    let mut bases = Vec::new();
    for (index, handle) in handles.into_iter().enumerate() {
        let (initial, last, base) = joined(handle)?;
        ensure!(
            initial == 7,
            "thread {index} started with {initial}, not the initial 7"
        );
        ensure!(last == index as u64, "thread {index} read back {last}");
        ensure!(base != 0, "thread {index} has no FS base");
        bases.push(base);
    }
    bases.sort_unstable();
    bases.dedup();
    ensure!(bases.len() == 4, "FS bases not distinct");
    let main_value = LOCAL_VALUE.with(Cell::get);
    ensure!(
        main_value == 1000,
        "the main thread's value became {main_value}"
    );
    Ok(())
}

/// Heap blocks handed from one thread to another, and the signal that some arrived.
type BlockChannel = (Mutex<Vec<Box<[u8]>>>, Condvar);

fn heap_shared_between_threads() -> CheckOutcome {
    const ROUNDS: usize = 3000;
    let channel: Arc<BlockChannel> = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
    let producer_channel = Arc::clone(&channel);
    let producer = started(spawn(move || {
        for round in 0..ROUNDS {
            let size = 16 + round % 512;
            let block = alloc::vec![(round % 251) as u8; size].into_boxed_slice();
            producer_channel.0.lock().push(block);
            producer_channel.1.notify_one();
        }
    }))?;
    let mut received = 0;
    let mut corrupt = 0;
    while received < ROUNDS {
        let mut blocks = channel.0.lock();
        while blocks.is_empty() {
            blocks = channel.1.wait(blocks);
        }
        let taken: Vec<Box<[u8]>> = core::mem::take(&mut *blocks);
        drop(blocks);
        for block in taken {
            let expected = (received % 251) as u8;
            if block.len() != 16 + received % 512 || block.iter().any(|byte| *byte != expected) {
                corrupt += 1;
            }
            received += 1;
            // Freed here, on another thread than the one that allocated it.
            drop(block);
        }
    }
    joined(producer)?;
    ensure!(corrupt == 0, "{corrupt} of {ROUNDS} blocks arrived corrupt");
    Ok(())
}

fn milliseconds(count: i64) -> Timespec {
    Timespec {
        tv_sec: 0,
        tv_nsec: count * 1_000_000,
    }
}

fn monotonic() -> i128 {
    libos::time::clock_gettime(CLOCK_MONOTONIC).map_or(0, |value| value.as_nanoseconds())
}

fn futex_wait_and_wake() -> CheckOutcome {
    let word = Arc::new(AtomicU32::new(5));
    ensure!(
        futex(&word, FUTEX_WAIT, 6, None, 0) == Err(Errno::EAGAIN),
        "a wait on a changed word did not fail with EAGAIN"
    );
    let start = monotonic();
    let timed = futex(
        &word,
        FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
        5,
        Some(&milliseconds(20)),
        0,
    );
    let waited = monotonic() - start;
    ensure!(timed == Err(Errno::ETIMEDOUT), "timed wait gave {timed:?}");
    ensure!(
        waited >= 20_000_000,
        "timed wait returned after {waited} ns"
    );
    ensure!(
        futex(
            &word,
            FUTEX_WAIT,
            5,
            Some(&Timespec {
                tv_sec: 0,
                tv_nsec: -1
            }),
            0
        ) == Err(Errno::EINVAL),
        "a bad timeout was accepted"
    );

    // A waiter woken by FUTEX_WAKE after the word changed.
    let waiter_word = Arc::clone(&word);
    let done = Arc::new(AtomicBool::new(false));
    let waiter_done = Arc::clone(&done);
    let waiter = started(spawn(move || {
        let mut results = Vec::new();
        while waiter_word.load(Ordering::SeqCst) == 5 {
            results.push(futex(
                &waiter_word,
                FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
                5,
                None,
                0,
            ));
        }
        waiter_done.store(true, Ordering::SeqCst);
        results
    }))?;
    // Wake until the waiter has really been woken once (it may not be asleep yet).
    let deadline = monotonic() + 5_000_000_000;
    let mut woken = 0;
    let _ = libos::time::nanosleep(&milliseconds(20));
    word.store(6, Ordering::SeqCst);
    while monotonic() < deadline {
        woken += futex(&word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, None, 0)
            .map_err(|error| format!("wake: {error:?}"))?;
        if woken >= 1 || done.load(Ordering::SeqCst) {
            break;
        }
        let _ = libos::time::nanosleep(&milliseconds(1));
    }
    let results = joined(waiter)?;
    ensure!(
        results
            .iter()
            .all(|result| matches!(result, Ok(0) | Err(Errno::EAGAIN))),
        "the waiter saw {results:?}"
    );
    ensure!(
        results.contains(&Ok(0)) == (woken >= 1),
        "waiter results {results:?} but {woken} woken"
    );
    ensure!(
        futex(&word, FUTEX_WAKE, 1, None, 0) == Ok(0),
        "a wake with no waiters woke someone"
    );
    Ok(())
}

fn futex_wait_bitset() -> CheckOutcome {
    let word = AtomicU32::new(1);
    let now = libos::time::clock_gettime(CLOCK_MONOTONIC).map_err(|error| format!("{error:?}"))?;
    let deadline = Timespec::from_nanoseconds(now.as_nanoseconds() + 20_000_000);
    let result = futex(
        &word,
        FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG,
        1,
        Some(&deadline),
        FUTEX_BITSET_MATCH_ANY,
    );
    ensure!(
        result == Err(Errno::ETIMEDOUT),
        "bitset wait gave {result:?}"
    );
    ensure!(
        monotonic() >= deadline.as_nanoseconds(),
        "bitset wait returned before its absolute deadline"
    );
    ensure!(
        futex(&word, FUTEX_WAIT_BITSET, 1, Some(&deadline), 0) == Err(Errno::EINVAL),
        "a zero bit set was accepted"
    );
    // An absolute deadline already past times out at once.
    let start = monotonic();
    let past = futex(
        &word,
        FUTEX_WAIT_BITSET,
        1,
        Some(&now),
        FUTEX_BITSET_MATCH_ANY,
    );
    ensure!(past == Err(Errno::ETIMEDOUT), "past deadline gave {past:?}");
    ensure!(monotonic() - start < 5_000_000, "a past deadline waited");
    Ok(())
}

/// How many threads sleep on `word`: a FUTEX_REQUEUE of every waiter onto the word itself,
/// which wakes none and leaves them where they are (as in Linux).
fn waiters_on(word: &AtomicU32) -> Result<u64, String> {
    futex_requeue(word, FUTEX_REQUEUE, 0, (word, i32::MAX as u32), 0)
        .map_err(|error| format!("counting requeue: {error:?}"))
}

/// Starts `count` threads that each wait once on `word` (holding 0) with `bitset` (a bit-set
/// wait when `bitset` is given, else FUTEX_WAIT; either gives up after 5 s) and count
/// themselves in `returned` once the wait ends; returns after all of them sleep (with any
/// already there).
fn start_waiters(
    word: &Arc<AtomicU32>,
    count: u64,
    bitset: Option<u32>,
    returned: &Arc<AtomicU32>,
) -> Result<Vec<JoinHandle<Result<u64, Errno>>>, String> {
    let sleeping = waiters_on(word)? + count;
    let mut handles = Vec::new();
    for _ in 0..count {
        let word = Arc::clone(word);
        let returned = Arc::clone(returned);
        handles.push(started(spawn(move || {
            let result = match bitset {
                Some(bitset) => {
                    let deadline = Timespec::from_nanoseconds(monotonic() + 5_000_000_000);
                    futex(&word, FUTEX_WAIT_BITSET, 0, Some(&deadline), bitset)
                }
                None => futex(
                    &word,
                    FUTEX_WAIT,
                    0,
                    Some(&Timespec {
                        tv_sec: 5,
                        tv_nsec: 0,
                    }),
                    0,
                ),
            };
            returned.fetch_add(1, Ordering::SeqCst);
            result
        }))?);
    }
    let deadline = monotonic() + 5_000_000_000;
    while waiters_on(word)? < sleeping {
        ensure!(monotonic() < deadline, "the waiters never all slept");
        let _ = libos::time::nanosleep(&milliseconds(2));
    }
    Ok(handles)
}

/// Joins waiters that must all have been woken (not timed out).
fn join_woken(handles: Vec<JoinHandle<Result<u64, Errno>>>) -> CheckOutcome {
    for handle in handles {
        let result = joined(handle)?;
        ensure!(result == Ok(0), "a waiter's wait gave {result:?}");
    }
    Ok(())
}

fn futex_cmp_requeue_moves_waiters() -> CheckOutcome {
    let word = Arc::new(AtomicU32::new(0));
    let second = AtomicU32::new(0);
    let returned = Arc::new(AtomicU32::new(0));
    let handles = start_waiters(&word, 3, None, &returned)?;
    let stale = futex_requeue(&word, FUTEX_CMP_REQUEUE, 1, (&second, 3), 7);
    ensure!(stale == Err(Errno::EAGAIN), "a stale value3 gave {stale:?}");
    ensure!(
        waiters_on(&word)? == 3 && returned.load(Ordering::SeqCst) == 0,
        "FUTEX_CMP_REQUEUE failing with EAGAIN woke or moved a waiter"
    );
    // Wake one, move the other two: Linux returns woken plus moved.
    let count = futex_requeue(
        &word,
        FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG,
        1,
        (&second, 3),
        0,
    );
    ensure!(count == Ok(3), "FUTEX_CMP_REQUEUE returned {count:?}");
    ensure!(waiters_on(&word)? == 0, "waiters left on the first word");
    ensure!(
        waiters_on(&second)? == 2,
        "the moved waiters are not on the second word"
    );
    let _ = libos::time::nanosleep(&milliseconds(30));
    ensure!(
        returned.load(Ordering::SeqCst) == 1,
        "{} waiters returned; only the woken one should have",
        returned.load(Ordering::SeqCst)
    );
    let first_wake = futex(&word, FUTEX_WAKE, 10, None, 0);
    ensure!(
        first_wake == Ok(0),
        "a wake on the first word gave {first_wake:?}"
    );
    let second_wake = futex(&second, FUTEX_WAKE, 10, None, 0);
    ensure!(
        second_wake == Ok(2),
        "a wake on the second word gave {second_wake:?}"
    );
    join_woken(handles)?;
    ensure!(
        returned.load(Ordering::SeqCst) == 3,
        "not every waiter returned"
    );
    Ok(())
}

fn futex_requeue_moves_waiters() -> CheckOutcome {
    let word = Arc::new(AtomicU32::new(0));
    let second = AtomicU32::new(0);
    let returned = Arc::new(AtomicU32::new(0));
    let handles = start_waiters(&word, 3, None, &returned)?;
    // FUTEX_REQUEUE compares nothing: value3 is ignored. Wake none, move one.
    let count = futex_requeue(&word, FUTEX_REQUEUE, 0, (&second, 1), 7);
    ensure!(count == Ok(1), "FUTEX_REQUEUE returned {count:?}");
    ensure!(
        waiters_on(&word)? == 2 && waiters_on(&second)? == 1,
        "the waiters were not split two and one"
    );
    let _ = libos::time::nanosleep(&milliseconds(20));
    ensure!(
        returned.load(Ordering::SeqCst) == 0,
        "a moved waiter returned"
    );
    ensure!(
        futex(&second, FUTEX_WAKE, 10, None, 0) == Ok(1),
        "a wake on the second word did not wake the moved waiter"
    );
    ensure!(
        futex(&word, FUTEX_WAKE, 10, None, 0) == Ok(2),
        "a wake on the first word did not wake the two left"
    );
    ensure!(
        futex_requeue(&word, FUTEX_REQUEUE, 1, (&second, 1), 0) == Ok(0),
        "a requeue with no waiters reported some"
    );
    ensure!(
        futex_requeue(&word, FUTEX_REQUEUE, u32::MAX, (&second, 1), 0) == Err(Errno::EINVAL),
        "a negative count was accepted"
    );
    join_woken(handles)
}

fn futex_wake_bitset_wakes_matching_waiters() -> CheckOutcome {
    let word = Arc::new(AtomicU32::new(0));
    let returned = Arc::new(AtomicU32::new(0));
    let low = start_waiters(&word, 1, Some(0b01), &returned)?;
    let high = start_waiters(&word, 1, Some(0b10), &returned)?;
    let none = futex(&word, FUTEX_WAKE_BITSET, 10, None, 0b100);
    ensure!(none == Ok(0), "a mask meeting no bit set gave {none:?}");
    let one = futex(
        &word,
        FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG,
        10,
        None,
        0b10,
    );
    ensure!(one == Ok(1), "a mask meeting one bit set gave {one:?}");
    join_woken(high)?;
    ensure!(
        returned.load(Ordering::SeqCst) == 1 && waiters_on(&word)? == 1,
        "the waiter whose bit set the mask misses was woken"
    );
    ensure!(
        futex(&word, FUTEX_WAKE_BITSET, 10, None, 0) == Err(Errno::EINVAL),
        "a zero mask was accepted"
    );
    // FUTEX_WAKE is the match-any mask.
    let rest = futex(&word, FUTEX_WAKE, 10, None, 0);
    ensure!(rest == Ok(1), "FUTEX_WAKE gave {rest:?}");
    join_woken(low)
}
