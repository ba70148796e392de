//! Futex calls: block on a user word keyed by its physical location, and wake its waiters.
//! No capability is needed: being able to read the word is the authority.

use exokernel_abi::KernelError;

use super::{Caller, Outcome, deadline};
use crate::arch::user_memory::read_user;
use crate::kernel_state::KernelState;
use crate::objects::environment::BlockedOn;

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

pub fn wait(
    kernel: &mut KernelState,
    caller: Caller,
    address: u64,
    expected: u64,
    timeout: u64,
) -> Outcome {
    let key = match key(caller, address) {
        Ok(key) => key,
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
        .push_back(caller.id);
    kernel.block(caller.id, BlockedOn::Futex { key }, deadline(timeout));
    Outcome::Blocked
}

pub fn wake(
    kernel: &mut KernelState,
    caller: Caller,
    address: u64,
    count: u64,
) -> Result<[u64; 6], KernelError> {
    let key = key(caller, address)?;
    let mut woken = 0;
    while woken < count {
        let Some(waiter) = kernel
            .futex_waiters
            .get_mut(&key)
            .and_then(|waiters| waiters.pop_front())
        else {
            break;
        };
        kernel.wake(waiter, Ok([0; 6]));
        woken += 1;
    }
    if kernel
        .futex_waiters
        .get(&key)
        .is_some_and(|waiters| waiters.is_empty())
    {
        kernel.futex_waiters.remove(&key);
    }
    Ok([woken, 0, 0, 0, 0, 0])
}
