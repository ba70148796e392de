//! `FutexRequeue` and futex bit sets: waiters moved to another word stay asleep until a wake on
//! that word, a stopped moved waiter leaves the queue it was moved to, a wake's mask wakes only
//! waiters whose bit set meets it, and hostile arguments get errors.

use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{
    Call, EnvironmentState, FUTEX_BATCH_LIMIT, FUTEX_MATCH_ANY, KernelError, UserAddress,
};
use libos::kernel::{call, exit};
use libos::process::{Child, Ending, spawn_thread};

use crate::ensure;
use crate::support::{Outcome, expect_error, step, wait_until};

/// The word the waiters sleep on (its low half), and the word they are moved to.
static FIRST: AtomicU64 = AtomicU64::new(0);
static SECOND: AtomicU64 = AtomicU64::new(0);

fn first() -> UserAddress {
    UserAddress(&raw const FIRST as u64)
}

fn second() -> UserAddress {
    UserAddress(&raw const SECOND as u64)
}

/// Waits once on [`FIRST`] with the bit set `bitset`; exits 7 when woken, 9 when interrupted,
/// 8 otherwise (a timeout: nobody woke it).
extern "C" fn waiter(bitset: u64) -> ! {
    let result = call(Call::FutexWait {
        address: first(),
        expected: 0,
        timeout: 5_000_000_000,
        bitset,
    });
    exit(match result {
        Ok(_) => 7,
        Err(KernelError::Interrupted) => 9,
        Err(_) => 8,
    })
}

fn blocked(child: &Child) -> bool {
    call(Call::EnvironmentStatus {
        environment: child.environment(),
    })
    .is_ok_and(|status| status[0] == EnvironmentState::Blocked as u64)
}

fn wake(address: UserAddress, mask: u64) -> Result<u64, String> {
    Ok(step(
        "wake",
        call(Call::FutexWake {
            address,
            count: 10,
            mask,
        }),
    )?[0])
}

fn ends_with(child: Child, status: u64) -> Outcome {
    let ending = step("wait for waiter", child.wait(5_000_000_000))?;
    child.reap();
    ensure!(
        ending == Ending::Exited(status),
        "waiter ended {ending:?}, not exit {status}"
    );
    Ok(())
}

pub fn requeue_moves_waiters_and_masks_select() -> Outcome {
    FIRST.store(0, Ordering::SeqCst);
    SECOND.store(0, Ordering::SeqCst);
    let low = step("start waiter", spawn_thread(waiter, 0b01, &[]))?;
    let high = step("start waiter", spawn_thread(waiter, 0b10, &[]))?;
    let third = step("start waiter", spawn_thread(waiter, FUTEX_MATCH_ANY, &[]))?;
    ensure!(
        wait_until(5_000_000_000, || blocked(&low)
            && blocked(&high)
            && blocked(&third)),
        "the waiters never blocked"
    );
    // A mask meeting nobody's bit set wakes nobody; 0b10 wakes `high` and `third` only.
    ensure!(
        wake(first(), 0b100_0000)? == 1,
        "0b100_0000 should wake only the match-any waiter"
    );
    ends_with(third, 7)?;
    ensure!(
        wake(first(), 0b10)? == 1,
        "0b10 woke the wrong number of waiters"
    );
    ends_with(high, 7)?;
    ensure!(blocked(&low), "a mask missing the waiter's bit set woke it");
    let stale = call(Call::FutexRequeue {
        address: first(),
        count: 1,
        target: second(),
        requeue: 1,
        expected: 5,
    });
    expect_error("compare a stale value", stale, KernelError::WouldBlock)?;
    ensure!(blocked(&low), "a failed compare woke the waiter");
    // Move it: woken 0, moved 1; it stays asleep and only a wake on the second word ends it.
    let moved = step(
        "requeue",
        call(Call::FutexRequeue {
            address: first(),
            count: 0,
            target: second(),
            requeue: u64::MAX,
            expected: 0,
        }),
    )?;
    ensure!(
        moved[0] == 0 && moved[1] == 1,
        "requeue gave {:?}",
        &moved[..2]
    );
    ensure!(
        wake(first(), FUTEX_MATCH_ANY)? == 0,
        "a wake on the first word found the moved waiter"
    );
    ensure!(blocked(&low), "the moved waiter woke");
    ensure!(
        wake(second(), 0b01)? == 1,
        "a wake on the second word missed the moved waiter"
    );
    ends_with(low, 7)?;

    // A moved waiter that is stopped leaves the second word's queue.
    let stopped = step("start waiter", spawn_thread(waiter, FUTEX_MATCH_ANY, &[]))?;
    ensure!(
        wait_until(5_000_000_000, || blocked(&stopped)),
        "the waiter never blocked"
    );
    let moved = step(
        "requeue",
        call(Call::FutexRequeue {
            address: first(),
            count: 0,
            target: second(),
            requeue: 1,
            expected: u64::MAX,
        }),
    )?;
    ensure!(moved[1] == 1, "requeue moved {}", moved[1]);
    step(
        "stop",
        call(Call::EnvironmentStop {
            environment: stopped.environment(),
        }),
    )?;
    ensure!(
        wake(second(), FUTEX_MATCH_ANY)? == 0,
        "a stopped waiter was still queued"
    );
    step(
        "start",
        call(Call::EnvironmentStart {
            environment: stopped.environment(),
        }),
    )?;
    ends_with(stopped, 9)
}

pub fn futex_calls_refuse_hostile_arguments() -> Outcome {
    FIRST.store(0, Ordering::SeqCst);
    let requeue = |address: UserAddress, target: UserAddress, expected: u64| {
        call(Call::FutexRequeue {
            address,
            count: u64::MAX,
            target,
            requeue: u64::MAX,
            expected,
        })
    };
    let unaligned = UserAddress(second().0 + 2);
    expect_error(
        "unaligned target",
        requeue(first(), unaligned, 0),
        KernelError::InvalidArgument,
    )?;
    let unmapped = UserAddress(0x10);
    expect_error(
        "unmapped target",
        requeue(first(), unmapped, 0),
        KernelError::InvalidAddress,
    )?;
    expect_error(
        "unmapped word",
        requeue(unmapped, second(), 0),
        KernelError::InvalidAddress,
    )?;
    // A kernel address does not even decode.
    ensure!(
        call_raw_requeue(0xffff_8000_0000_0000) == KernelError::InvalidAddress.code(),
        "a kernel-half target was not refused"
    );
    // Unbounded counts on empty queues: bounded work, nothing woken or moved.
    let empty = step("empty requeue", requeue(first(), second(), u64::MAX))?;
    ensure!(
        empty[0] == 0 && empty[1] == 0,
        "an empty requeue gave {:?}",
        &empty[..2]
    );
    let same = step("requeue onto itself", requeue(first(), first(), 0))?;
    ensure!(
        same[0] == 0 && same[1] == 0,
        "requeue onto itself gave {:?}",
        &same[..2]
    );
    for bits in [0, 1 << 32, u64::MAX] {
        let wait = call(Call::FutexWait {
            address: first(),
            expected: 0,
            timeout: 1,
            bitset: bits,
        });
        expect_error("bad bit set", wait, KernelError::InvalidArgument)?;
        let wake = call(Call::FutexWake {
            address: first(),
            count: u64::MAX,
            mask: bits,
        });
        expect_error("bad mask", wake, KernelError::InvalidArgument)?;
    }
    ensure!(
        FUTEX_BATCH_LIMIT >= 64,
        "the batch limit is too small for thread libraries"
    );
    Ok(())
}

/// The status of `FutexRequeue` with `target` a raw (possibly undecodable) address.
fn call_raw_requeue(target: u64) -> u64 {
    let mut raw = Call::FutexRequeue {
        address: first(),
        count: 1,
        target: UserAddress(0),
        requeue: 1,
        expected: u64::MAX,
    }
    .encode();
    raw.arguments[2] = target;
    libos::kernel::call_raw(&raw).status
}
