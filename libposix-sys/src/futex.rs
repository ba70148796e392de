//! `futex` operations and flags (`FUTEX_*`), the second argument of the `futex` system call.

/// Waits while the word holds the expected value (relative timeout).
pub const FUTEX_WAIT: i32 = 0;
/// Wakes up to `val` waiters.
pub const FUTEX_WAKE: i32 = 1;
/// Wakes `val` waiters and moves up to `val2` others to a second word.
pub const FUTEX_REQUEUE: i32 = 3;
/// `FUTEX_REQUEUE` only while the word still holds `val3`.
pub const FUTEX_CMP_REQUEUE: i32 = 4;
/// Waits like `FUTEX_WAIT` with an absolute timeout and a bit set (`val3`).
pub const FUTEX_WAIT_BITSET: i32 = 9;
/// Wakes waiters whose bit set intersects `val3`.
pub const FUTEX_WAKE_BITSET: i32 = 10;
/// The word is private to the process (no cross-process key needed).
pub const FUTEX_PRIVATE_FLAG: i32 = 128;
/// The absolute timeout of `FUTEX_WAIT_BITSET` is on `CLOCK_REALTIME`, not `CLOCK_MONOTONIC`.
pub const FUTEX_CLOCK_REALTIME: i32 = 256;
/// The bit set matching every waiter.
pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            FUTEX_WAIT,
            FUTEX_WAKE,
            FUTEX_REQUEUE,
            FUTEX_CMP_REQUEUE,
            FUTEX_WAIT_BITSET,
            FUTEX_WAKE_BITSET,
            FUTEX_PRIVATE_FLAG,
            FUTEX_CLOCK_REALTIME,
            FUTEX_BITSET_MATCH_ANY = 0xffff_ffff_u32,
        );
        assert_every_constant_checked(include_str!("futex.rs"), &[checked]);
    }
}
