//! Futexes: the kernel's `FutexWait`/`FutexWake`/`FutexRequeue` on 32-bit words (with bit
//! sets), and `futex` in Linux form.

use core::sync::atomic::AtomicU32;

use exokernel_abi::{Call, FUTEX_BATCH_LIMIT, KernelError, UserAddress};
use libposix_sys::Errno;
use libposix_sys::futex::{
    FUTEX_CLOCK_REALTIME, FUTEX_CMP_REQUEUE, FUTEX_PRIVATE_FLAG, FUTEX_REQUEUE, FUTEX_WAIT,
    FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET,
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
    wait_with_bitset(word, expected, timeout, u32::MAX)
}

/// [`wait`] that only a wake whose mask shares a bit with the nonzero `bitset` ends.
///
/// # Errors
/// As [`wait`]; `InvalidArgument` for a zero `bitset`.
pub fn wait_with_bitset(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<u64>,
    bitset: u32,
) -> Result<(), KernelError> {
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
        bitset: u64::from(bitset),
    })
    .map(|_| ())
}

/// Wakes up to `count` waiters on `word`; returns how many were woken.
pub fn wake(word: &AtomicU32, count: u32) -> u32 {
    wake_with_mask(word, count, u32::MAX)
}

/// Wakes up to `count` waiters on `word` whose bit set shares a bit with `mask`, in batches of
/// the kernel's [`FUTEX_BATCH_LIMIT`]; returns how many were woken.
pub fn wake_with_mask(word: &AtomicU32, count: u32, mask: u32) -> u32 {
    let mut woken: u32 = 0;
    while woken < count {
        let asked = u64::from(count - woken).min(FUTEX_BATCH_LIMIT);
        let batch = call(Call::FutexWake {
            address: address_of(word),
            count: asked,
            mask: u64::from(mask),
        })
        .map_or(0, |words| words[0]);
        woken = woken.saturating_add(u32::try_from(batch).unwrap_or(u32::MAX));
        if batch < asked {
            break;
        }
    }
    woken
}

/// Wakes up to `count` waiters on `word` and moves up to `requeue` of the rest to `target`,
/// first checking (atomically with respect to waiters) that `word` holds `expected` when given;
/// returns how many were woken plus how many were moved. Counts above the kernel's
/// [`FUTEX_BATCH_LIMIT`] take further calls, which no longer compare.
///
/// # Errors
/// `WouldBlock` when `word` does not hold `expected`.
pub fn requeue(
    word: &AtomicU32,
    count: u32,
    target: &AtomicU32,
    requeue: u32,
    expected: Option<u32>,
) -> Result<u64, KernelError> {
    let (mut wake_left, mut move_left) = (u64::from(count), u64::from(requeue));
    let mut expected = expected.map_or(u64::MAX, u64::from);
    let mut total = 0;
    loop {
        let asked = (
            wake_left.min(FUTEX_BATCH_LIMIT),
            move_left.min(FUTEX_BATCH_LIMIT),
        );
        let [woken, moved, ..] = call(Call::FutexRequeue {
            address: address_of(word),
            count: asked.0,
            target: address_of(target),
            requeue: asked.1,
            expected,
        })?;
        total += woken + moved;
        wake_left -= woken;
        move_left -= moved;
        expected = u64::MAX;
        // Fewer than asked means the queue ran dry; otherwise go on while counts are left.
        if woken < asked.0 || moved < asked.1 || (wake_left == 0 && move_left == 0) {
            return Ok(total);
        }
    }
}

/// The system call's wait: cut short by a stop, or by handlers that all had `SA_RESTART`, it
/// waits again (the word checked again, for what is left of the timeout), as Linux restarts it;
/// after a handler without `SA_RESTART` it fails with `EINTR`.
fn wait_restarting(
    word: &AtomicU32,
    expected: u32,
    timeout: Option<u64>,
    bitset: u32,
) -> Result<(), Errno> {
    let epoch = crate::signal::delivery::Epoch::now();
    let deadline =
        timeout.map(|nanoseconds| crate::clock::clock_monotonic().saturating_add(nanoseconds));
    loop {
        let left =
            deadline.map(|deadline| deadline.saturating_sub(crate::clock::clock_monotonic()));
        match wait_with_bitset(word, expected, left, bitset) {
            Err(KernelError::Interrupted) => crate::signal::restart::interrupted_since(epoch)?,
            other => return other.map_err(errno_of),
        }
    }
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
/// Wakes up to `value` waiters on `word` and moves up to the count in `requeue` of the others
/// to the second word, where they stay asleep until a wake on that word; FUTEX_CMP_REQUEUE first
/// checks, atomically with respect to the waiters, that `word` holds `value3`. Returns how many
/// were woken plus how many were moved, as Linux does.
///
/// # Errors
/// As [`futex`]; `EAGAIN` from FUTEX_CMP_REQUEUE when `word` does not hold `value3`; `EINVAL`
/// for a count above `i32::MAX` (a negative count in Linux).
pub fn futex_requeue(
    word: &AtomicU32,
    operation: i32,
    value: u32,
    requeue: (&AtomicU32, u32),
    value3: u32,
) -> Result<u64, Errno> {
    let command = operation & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let (second, moved) = requeue;
    match command {
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if i32::try_from(value).is_err() || i32::try_from(moved).is_err() {
                return Err(Errno::EINVAL);
            }
            let expected = (command == FUTEX_CMP_REQUEUE).then_some(value3);
            self::requeue(word, value, second, moved, expected).map_err(errno_of)
        }
        _ => futex(word, operation, value, None, value3),
    }
}

/// `futex(word, operation, value, timeout, value3)` for FUTEX_WAIT (relative `timeout` on
/// CLOCK_MONOTONIC), FUTEX_WAKE, and FUTEX_WAIT_BITSET/FUTEX_WAKE_BITSET with any nonzero bit
/// set `value3` (absolute `timeout` on CLOCK_MONOTONIC, or CLOCK_REALTIME with
/// FUTEX_CLOCK_REALTIME; a bit-set wake wakes only waiters whose bit set shares a bit with it,
/// and FUTEX_WAIT/FUTEX_WAKE use the match-any set);
/// FUTEX_PRIVATE_FLAG is accepted (every futex here is keyed by physical address, which serves
/// private and shared ones alike). Returns 0 after a wait, the number woken after a wake. The
/// requeue operations, which take a second word, are [`futex_requeue`].
///
/// # Errors
/// `EAGAIN` when the word does not hold `value`, `ETIMEDOUT`, `EINTR`, `EINVAL` for a bad
/// `timespec` or a zero bit set; `ENOSYS` for other operations (the requeue ones here, for want
/// of their second word: see [`futex_requeue`]).
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
            wait_restarting(word, value, nanoseconds, u32::MAX)?;
            Ok(0)
        }
        FUTEX_WAIT_BITSET => {
            if value3 == 0 {
                return Err(Errno::EINVAL);
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
            wait_restarting(word, value, nanoseconds, value3)?;
            Ok(0)
        }
        FUTEX_WAKE => Ok(u64::from(wake(word, value))),
        FUTEX_WAKE_BITSET => {
            if value3 == 0 {
                return Err(Errno::EINVAL);
            }
            Ok(u64::from(wake_with_mask(word, value, value3)))
        }
        _ => Err(Errno::ENOSYS),
    }
}
