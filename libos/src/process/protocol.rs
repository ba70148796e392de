//! The process server's IPC protocol (`docs/process-server.md`): operation numbers in word 0 of
//! a call, results in word 0 of the reply (0 or a positive Linux errno), shared by the server
//! (`apps/process-server`) and the LibOS client ([`super::identity`]).
//!
//! The server knows a caller only by the badge of the endpoint capability it called through:
//! the server mints one per registered process, badge = pid. Nothing a caller writes in a
//! message names the caller.

use exokernel_abi::Slot;

/// Where the process server finds its own (unbadged) endpoint.
pub const SERVER_ENDPOINT: Slot = crate::well_known_slots::PROCESS_SERVER_ENDPOINT;

/// `init` registers itself as pid 1: callable once, only through the unbadged endpoint, with
/// the caller's environment capability transferred. Reply `[0, 1, 0]` and the badged endpoint.
pub const FOUNDER: u64 = 1;
/// Registers a new child of the caller: the child's environment capability (READ and
/// CONTROL) is transferred. Reply `[0, pid, 0]` and the child's badged endpoint.
pub const REGISTER_CHILD: u64 = 2;
/// The caller's identity. Reply `[0, pid, parent pid]`.
pub const IDENTITY: u64 = 3;
/// Collects an ended child: word 1 the pid (as `i64`: a pid, or -1 for any child). Never
/// blocks. Reply `[0, pid, wait status]` for a collected child, `[0, 0, 0]` when matching
/// children exist but none has ended, `[ECHILD, 0, 0]` when none match.
pub const WAIT: u64 = 4;
/// Subscribes a notification (transferred, SIGNAL) that the server signals with
/// [`CHILD_EVENT_BIT`] whenever a child of the caller ends. Reply `[0, 0, 0]`.
pub const SUBSCRIBE: u64 = 5;

/// Sends a signal: word 1 the target pid (as `i64`, > 0), word 2 the signal (0 only checks).
/// Allowed for the caller itself and its descendants (there are no credentials yet). With no
/// handlers in any process yet, the default action applies: terminate (the target is stopped
/// and reported as killed by the signal), ignore, or — for stop signals — `ENOSYS`. Reply
/// `[0, 0, 0]`; `ESRCH` (no such live process), `EPERM` (not ours to signal), `EINVAL` (not
/// a signal, or a pid ≤ 0: no process groups yet).
pub const KILL: u64 = 6;

/// The bit the server sets in a subscribed notification when a child's state changed.
pub const CHILD_EVENT_BIT: u64 = 1;
/// The pid of `init`, the founder and the parent of every orphan.
pub const INIT_PID: i32 = 1;
