//! Stopping an environment in a blocking call, with an outcome its LibOS can act on (EINTR or
//! SA_RESTART) without guessing:
//!
//! - a call still waiting — queued on an endpoint no server has taken it from, a receive, a
//!   notification or futex wait — ends at once with `Interrupted`, and did nothing: a queued
//!   `IpcCall` was never delivered;
//! - an `IpcCall` a server has already received is never cut short: the stop is *deferred* until
//!   the reply (or `PeerGone`) arrives, the reply lands in the caller's registers, and only then
//!   does it stop. So a delivered call always has its real result. A LibOS that wants to cut a
//!   long server wait short asks the server (which then replies early, e.g. with EINTR).

use exokernel_abi::KernelError;

use crate::kernel_state::KernelState;
use crate::objects::environment::{BlockedOn, Environment, Life};

/// Stops environment `id`, blocked on `on`. Returns `[1, …]` when the stop is deferred until a
/// server's reply, `[0, …]` when the environment stopped now (its call returns `Interrupted`).
pub fn stop_blocked(
    kernel: &mut KernelState,
    id: u32,
    on: BlockedOn,
) -> Result<[u64; 6], KernelError> {
    if matches!(on, BlockedOn::Reply { .. }) {
        let environment = kernel
            .environments
            .get_mut(id)
            .ok_or(KernelError::InvalidState)?;
        if environment.stop_pending {
            return Err(KernelError::InvalidState);
        }
        environment.stop_pending = true;
        return Ok([1, 0, 0, 0, 0, 0]);
    }
    kernel.wake(id, Err(KernelError::Interrupted));
    stop_now(kernel, id);
    Ok([0; 6])
}

/// Moves `id` to `Stopped` and off the CPU and the run queue.
pub fn stop_now(kernel: &mut KernelState, id: u32) {
    if let Some(environment) = kernel.environments.get_mut(id) {
        environment.life = Life::Stopped;
        environment.stop_pending = false;
    }
    kernel.run_queue.remove(&mut kernel.environments, id);
    if kernel.current == Some(id) {
        kernel.current = None;
    }
}

/// `EnvironmentStart` on an environment whose stop is still deferred: cancels the stop (it goes
/// on waiting for its reply and runs when it arrives). Returns whether there was one.
pub fn cancel_pending_stop(environment: &mut Environment) -> bool {
    let pending = environment.stop_pending && matches!(environment.life, Life::Blocked { .. });
    if pending {
        environment.stop_pending = false;
    }
    pending
}
