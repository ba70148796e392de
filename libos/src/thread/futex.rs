//! Futexes: the kernel's `FutexWait`/`FutexWake` on a 32-bit word, and `futex` in Linux form.

use core::sync::atomic::AtomicU32;

use exokernel_abi::{Call, KernelError, UserAddress};
use libposix_sys::Errno;
use libposix_sys::futex::{
    FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_CMP_REQUEUE, FUTEX_PRIVATE_FLAG,
    FUTEX_REQUEUE, FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET,
};
use libposix_sys::time::Timespec;

use crate::kernel::call;

fn address_of(word: &AtomicU32) -> UserAddress {
    UserAddress(word.as_ptr() as u64)
}

/// Blocks while `word` holds `expected`, until woken or `timeout` nanoseconds pass (`None`:
/// forever; `Some(0)` returns `TimedOut` at once).
///
/// # Errors
/// `WouldBlock` when the word does not hold `expected`, `TimedOut`, `Interrupted`.
pub fn wait(word: &AtomicU32, expected: u32, timeout: Option<u64>) -> Result<(), KernelError> {
    let timeout = match timeout {
        None => 0,
        Some(0) => {
            if word.load(core::sync::atomic::Ordering::SeqCst) != expected {
                return Err(KernelError::WouldBlock);
            }
            return Err(KernelError::TimedOut);
        }
        Some(nanoseconds) => nanoseconds,
    };
    call(Call::FutexWait {
        address: address_of(word),
        expected: u64::from(expected),
        timeout,
    })
    .map(|_| ())
}

/// Wakes up to `count` waiters on `word`; returns how many were woken.
pub fn wake(word: &AtomicU32, count: u32) -> u32 {
    call(Call::FutexWake {
        address: address_of(word),
        count: u64::from(count),
    })
    .map_or(0, |words| u32::try_from(words[0]).unwrap_or(u32::MAX))
}

fn errno_of(error: KernelError) -> Errno {
    match error {
        KernelError::WouldBlock => Errno::EAGAIN,
        KernelError::TimedOut => Errno::ETIMEDOUT,
        KernelError::Interrupted => Errno::EINTR,
        KernelError::InvalidAddress => Errno::EFAULT,
        _ => Errno::EINVAL,
    }
}

/// Nanoseconds of a valid relative `timespec`.
fn relative_nanoseconds(timeout: &Timespec) -> Result<u64, Errno> {
    if !timeout.is_valid() || timeout.tv_sec < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(u64::try_from(timeout.as_nanoseconds()).unwrap_or(u64::MAX))
}

/// `futex(word, operation, value, timeout, value3)` with the second word `FUTEX_REQUEUE` and
/// `FUTEX_CMP_REQUEUE` take (Linux passes it in place of the timeout; here `requeue` holds it and
/// the count to move, Linux's `val2`). See [`futex`].
///
/// FUTEX_REQUEUE and FUTEX_CMP_REQUEUE wake the waiters they would move instead of moving them
/// (the kernel cannot move waiters): a waiter woken so returns 0 as if spuriously woken, which
/// every futex user must already handle (it re-checks its word and waits again, now on the
/// second word). The result counts every waiter woken.
///
/// # Errors
/// As [`futex`]; `EAGAIN` from FUTEX_CMP_REQUEUE when `word` does not hold `value3`.
pub fn futex_requeue(
    word: &AtomicU32,
    operation: i32,
    value: u32,
    requeue: (&AtomicU32, u32),
    value3: u32,
) -> Result<u64, Errno> {
    let command = operation & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let (_second, moved) = requeue;
    match command {
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if i32::try_from(value).is_err() || i32::try_from(moved).is_err() {
                return Err(Errno::EINVAL);
            }
            if command == FUTEX_CMP_REQUEUE
                && word.load(core::sync::atomic::Ordering::SeqCst) != value3
            {
                return Err(Errno::EAGAIN);
            }
            Ok(u64::from(wake(word, value.saturating_add(moved))))
        }
        _ => futex(word, operation, value, None, value3),
    }
}

/// `futex(word, operation, value, timeout, value3)` for FUTEX_WAIT (relative `timeout` on
/// CLOCK_MONOTONIC), FUTEX_WAKE, and FUTEX_WAIT_BITSET/FUTEX_WAKE_BITSET with the match-any bit
/// set (absolute `timeout` on CLOCK_MONOTONIC, or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME);
/// FUTEX_PRIVATE_FLAG is accepted (every futex here is keyed by physical address, which serves
/// private and shared ones alike). Returns 0 after a wait, the number woken after a wake. The
/// requeue operations, which take a second word, are [`futex_requeue`].
///
/// # Errors
/// `EAGAIN` when the word does not hold `value`, `ETIMEDOUT`, `EINTR`, `EINVAL` for a bad
/// `timespec` or a zero bit set; `ENOSYS` for bit sets other than FUTEX_BITSET_MATCH_ANY (the
/// kernel keeps no bit sets) and for other operations (the requeue ones here, for want of their
/// second word: see [`futex_requeue`]).
pub fn futex(
    word: &AtomicU32,
    operation: i32,
    value: u32,
    timeout: Option<&Timespec>,
    value3: u32,
) -> Result<u64, Errno> {
    let command = operation & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let realtime = operation & FUTEX_CLOCK_REALTIME != 0;
    match command {
        FUTEX_WAIT => {
            let nanoseconds = timeout.map(relative_nanoseconds).transpose()?;
            wait(word, value, nanoseconds).map_err(errno_of)?;
            Ok(0)
        }
        FUTEX_WAIT_BITSET => {
            if value3 == 0 {
                return Err(Errno::EINVAL);
            }
            if value3 != FUTEX_BITSET_MATCH_ANY {
                return Err(Errno::ENOSYS);
            }
            let nanoseconds = match timeout {
                None => None,
                Some(deadline) => {
                    if !deadline.is_valid() || deadline.tv_sec < 0 {
                        return Err(Errno::EINVAL);
                    }
                    let clock = if realtime {
                        libposix_sys::clock::CLOCK_REALTIME
                    } else {
                        libposix_sys::clock::CLOCK_MONOTONIC
                    };
                    let now = crate::time::clock_gettime(clock)?;
                    let remaining = deadline.as_nanoseconds() - now.as_nanoseconds();
                    Some(u64::try_from(remaining.max(0)).unwrap_or(u64::MAX))
                }
            };
            wait(word, value, nanoseconds).map_err(errno_of)?;
            Ok(0)
        }
        FUTEX_WAKE => Ok(u64::from(wake(word, value))),
        FUTEX_WAKE_BITSET => {
            if value3 == 0 {
                return Err(Errno::EINVAL);
            }
            if value3 != FUTEX_BITSET_MATCH_ANY {
                return Err(Errno::ENOSYS);
            }
            Ok(u64::from(wake(word, value)))
        }
        _ => Err(Errno::ENOSYS),
    }
}
