//! Whether a blocking call that a signal cut short fails with `EINTR` or goes on, by Linux's
//! rules (signal(7)): a call Linux restarts under `SA_RESTART` (`accept`, `connect`, `read` and
//! `write` on sockets, terminals, eventfds and timerfds, `futex` waits; `wait4` and pipes apply the same rule in
//! their own loops) ends with `EINTR` only when a handler
//! without `SA_RESTART` ran while it waited; after handlers that all had it, or a stop and a
//! continue, it checks again and goes on waiting — the transparent restart. Calls Linux never
//! restarts (`poll`, `select`, `epoll_wait`, `nanosleep`, `pause`, `sigsuspend`) do not use this.
//!
//! No server ever holds such a call: every long wait is the caller's own sleep on its
//! notification or a futex, which the process server's forced entry cuts short (`Interrupted`),
//! and a server call cut short while still queued was never delivered and is sent again. So a
//! server never sees a request abandoned by a signal.

use libposix_sys::errno::Errno;

use super::delivery::{Epoch, deliver_pending};

/// Runs the handlers of signals left pending — one sent while this thread was in a server call,
/// whose forced entry could not cut a call the server had taken — and answers `EINTR` when a
/// handler without `SA_RESTART` has run since the blocking call began (`epoch`). Called before
/// each sleep of a restartable call, so such a signal ends the call instead of waiting for the
/// next wake-up.
///
/// # Errors
/// `EINTR` as above.
pub fn interrupted_since(epoch: Epoch) -> Result<(), Errno> {
    deliver_pending();
    if epoch.must_interrupt() {
        Err(Errno::EINTR)
    } else {
        Ok(())
    }
}

/// The outcome of one sleep of a restartable call begun at `epoch`: a sleep the kernel cut short
/// (`EINTR`) ends the call only by [`interrupted_since`]'s rule; otherwise the caller checks
/// again and may sleep again. Other errors pass through.
///
/// # Errors
/// `EINTR` as above; the sleep's other errors.
pub fn after_sleep(epoch: Epoch, slept: Result<(), Errno>) -> Result<(), Errno> {
    match slept {
        Err(Errno::EINTR) => interrupted_since(epoch),
        other => other,
    }
}
