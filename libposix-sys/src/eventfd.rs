//! `eventfd2` and `timerfd_create`/`timerfd_settime` flags.

/// `eventfd2`: reads take 1, not the whole counter.
pub const EFD_SEMAPHORE: i32 = 1;
/// `eventfd2`: close on `execve`.
pub const EFD_CLOEXEC: i32 = crate::fcntl::O_CLOEXEC;
/// `eventfd2`: non-blocking reads and writes.
pub const EFD_NONBLOCK: i32 = crate::fcntl::O_NONBLOCK;
/// `timerfd_create`: close on `execve`.
pub const TFD_CLOEXEC: i32 = crate::fcntl::O_CLOEXEC;
/// `timerfd_create`: non-blocking reads.
pub const TFD_NONBLOCK: i32 = crate::fcntl::O_NONBLOCK;
/// `timerfd_settime`: the first expiry is an absolute time on the timer's clock.
pub const TFD_TIMER_ABSTIME: i32 = 1;
/// `timerfd_settime`: a realtime timer is cancelled when the clock is set.
pub const TFD_TIMER_CANCEL_ON_SET: i32 = 2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            EFD_SEMAPHORE,
            EFD_CLOEXEC,
            EFD_NONBLOCK,
            TFD_CLOEXEC,
            TFD_NONBLOCK,
            TFD_TIMER_ABSTIME,
            TFD_TIMER_CANCEL_ON_SET,
        );
        assert_every_constant_checked(include_str!("eventfd.rs"), &[checked]);
    }
}
