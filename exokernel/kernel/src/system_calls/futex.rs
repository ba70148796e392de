//! Futex calls: block on a user word keyed by its physical location, wake its waiters (those
//! whose bit set shares a bit with the wake's mask), and move waiters from one word to another.
//! No capability is needed: being able to read the word is the authority.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use exokernel_abi::{FUTEX_BATCH_LIMIT, KernelError, PAGE_SIZE};

use super::{Caller, Outcome, deadline};
use crate::arch::user_memory::read_user;
use crate::kernel_state::KernelState;
use crate::objects::environment::{BlockedOn, FutexWaiter, Life};

/// The physical address of the aligned 32-bit word at `address`.
fn key(caller: Caller, address: u64) -> Result<u64, KernelError> {
    if !address.is_multiple_of(4) {
        return Err(KernelError::InvalidArgument);
    }
    caller
        .root
        .translate(address)
        .map(|(physical, _)| physical)
        .ok_or(KernelError::InvalidAddress)
}

/// A bit set or mask: nonzero and within 32 bits.
fn bits(value: u64) -> Result<u32, KernelError> {
    match u32::try_from(value) {
        Ok(bits) if bits != 0 => Ok(bits),
        _ => Err(KernelError::InvalidArgument),
    }
}

pub fn wait(
    kernel: &mut KernelState,
    caller: Caller,
    address: u64,
    expected: u64,
    timeout: u64,
    bitset: u64,
) -> Outcome {
    let (key, bitset) = match key(caller, address).and_then(|key| Ok((key, bits(bitset)?))) {
        Ok(found) => found,
        Err(error) => return Outcome::Return(Err(error)),
    };
    // The word was translated above; reading it through the page tables cannot fail unless
    // it is unmapped meanwhile, which nothing in between can do.
    let value = match read_user::<u32>(caller.root, address) {
        Ok(value) => value,
        Err(_) => return Outcome::Return(Err(KernelError::InvalidAddress)),
    };
    if u64::from(value) != expected & 0xffff_ffff {
        return Outcome::Return(Err(KernelError::WouldBlock));
    }
    kernel
        .futex_waiters
        .entry(key)
        .or_default()
        .push_back(FutexWaiter {
            environment: caller.id,
            bitset,
        });
    kernel.block(caller.id, BlockedOn::Futex { key }, deadline(timeout));
    Outcome::Blocked
}

/// Moves the waiters of `address_space` keyed in the page at physical `old_page` to the same
/// offsets in `new_page`, after a private copy took that page's place (copy-on-write): a waiter
/// left on the old frame would never see a wake-up through the new one. Waiters of other
/// address spaces (a forked child still mapping the old frame) stay where they are.
pub fn move_page_waiters(
    kernel: &mut KernelState,
    address_space: u32,
    old_page: u64,
    new_page: u64,
) {
    let keys: Vec<u64> = kernel
        .futex_waiters
        .range(old_page..old_page + PAGE_SIZE)
        .map(|(key, _)| *key)
        .collect();
    for key in keys {
        let destination = new_page + (key - old_page);
        let Some(waiters) = kernel.futex_waiters.get_mut(&key) else {
            continue;
        };
        let (moved, kept): (VecDeque<FutexWaiter>, VecDeque<FutexWaiter>) =
            waiters.drain(..).partition(|waiter| {
                kernel
                    .environments
                    .get(waiter.environment)
                    .is_some_and(|environment| environment.address_space == address_space)
            });
        *waiters = kept;
        drop_if_empty(kernel, key);
        for waiter in &moved {
            if let Some(environment) = kernel.environments.get_mut(waiter.environment)
                && let Life::Blocked { on, .. } = &mut environment.life
            {
                *on = BlockedOn::Futex { key: destination };
            }
        }
        if !moved.is_empty() {
            kernel
                .futex_waiters
                .entry(destination)
                .or_default()
                .extend(moved);
        }
    }
}

/// Forgets the queue of `key` once it is empty.
fn drop_if_empty(kernel: &mut KernelState, key: u64) {
    if kernel
        .futex_waiters
        .get(&key)
        .is_some_and(|waiters| waiters.is_empty())
    {
        kernel.futex_waiters.remove(&key);
    }
}

/// Wakes up to `count` (at most [`FUTEX_BATCH_LIMIT`]) waiters of `key` whose bit set meets
/// `mask`, oldest first; returns how many.
fn wake_matching(kernel: &mut KernelState, key: u64, count: u64, mask: u32) -> u64 {
    let count = count.min(FUTEX_BATCH_LIMIT);
    let mut woken = 0;
    let mut index = 0;
    while woken < count {
        let Some(waiters) = kernel.futex_waiters.get_mut(&key) else {
            break;
        };
        let Some(waiter) = waiters.get(index).copied() else {
            break;
        };
        if waiter.bitset & mask == 0 {
            index += 1;
            continue;
        }
        waiters.remove(index);
        kernel.wake(waiter.environment, Ok([0; 6]));
        woken += 1;
    }
    drop_if_empty(kernel, key);
    woken
}

pub fn wake(
    kernel: &mut KernelState,
    caller: Caller,
    address: u64,
    count: u64,
    mask: u64,
) -> Result<[u64; 6], KernelError> {
    let key = key(caller, address)?;
    let mask = bits(mask)?;
    let woken = wake_matching(kernel, key, count, mask);
    Ok([woken, 0, 0, 0, 0, 0])
}

/// Wakes up to `count` waiters of the word at `address`, then moves up to `requeue` of the rest
/// (oldest first) to the word at `target`, still blocked; with `expected` within 32 bits, first
/// checks that the word at `address` holds it. Returns how many were woken and how many moved.
pub fn requeue(
    kernel: &mut KernelState,
    caller: Caller,
    (address, count): (u64, u64),
    (target, requeue): (u64, u64),
    expected: u64,
) -> Result<[u64; 6], KernelError> {
    let source = key(caller, address)?;
    let destination = key(caller, target)?;
    if let Ok(expected) = u32::try_from(expected) {
        let value =
            read_user::<u32>(caller.root, address).map_err(|_| KernelError::InvalidAddress)?;
        if value != expected {
            return Err(KernelError::WouldBlock);
        }
    }
    let woken = wake_matching(kernel, source, count, u32::MAX);
    let requeue = requeue.min(FUTEX_BATCH_LIMIT);
    if source == destination {
        // Moving waiters to the word they wait on leaves them where they are.
        let left = kernel
            .futex_waiters
            .get(&source)
            .map_or(0, |queue| queue.len());
        return Ok([woken, requeue.min(left as u64), 0, 0, 0, 0]);
    }
    let mut moved = 0;
    while moved < requeue {
        let Some(waiter) = kernel
            .futex_waiters
            .get_mut(&source)
            .and_then(|waiters| waiters.pop_front())
        else {
            break;
        };
        if let Some(environment) = kernel.environments.get_mut(waiter.environment)
            && let Life::Blocked { on, .. } = &mut environment.life
        {
            *on = BlockedOn::Futex { key: destination };
        }
        kernel
            .futex_waiters
            .entry(destination)
            .or_default()
            .push_back(waiter);
        moved += 1;
    }
    drop_if_empty(kernel, source);
    Ok([woken, moved, 0, 0, 0, 0])
}
