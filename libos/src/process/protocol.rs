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
/// Collects an ended child: word 1 the pid (as `i64`: a pid, -1 for any child, 0 for the
/// caller's group, -pgid for a group), word 2 the `wait4` options (`WUNTRACED`, `WCONTINUED`
/// also report stopped and continued children, without collecting them). Never blocks. Reply `[0, pid, wait status]` for a collected child, `[0, 0, 0]` when matching
/// children exist but none has ended, `[ECHILD, 0, 0]` when none match.
pub const WAIT: u64 = 4;
/// Subscribes a notification (transferred, SIGNAL) that the server signals with
/// [`CHILD_EVENT_BIT`] whenever a child of the caller ends. Reply `[0, 0, 0]`.
pub const SUBSCRIBE: u64 = 5;

/// Sends a signal: word 1 the target (as `i64`: a pid, 0 for the caller's group, -1 for all,
/// -pgid for a group), word 2 the signal (0 only checks). Reply `[0, 0, 0]`; `ESRCH`, `EPERM`,
/// `EINVAL` (docs/process-server.md).
pub const KILL: u64 = 6;
/// The caller's signal page: reply `[0, 0, 0]` with a frame capability (READ, WRITE, MAP).
pub const SIGNAL_PAGE: u64 = 7;
/// `setpgid`: word 1 the pid (0: the caller), word 2 the group (0: the pid). Reply `[0, 0, 0]`.
pub const SET_PROCESS_GROUP: u64 = 8;
/// `getpgid`: word 1 the pid (0: the caller). Reply `[0, group, 0]`.
pub const GET_PROCESS_GROUP: u64 = 9;
/// `setsid`. Reply `[0, session, 0]`.
pub const SET_SESSION: u64 = 10;
/// `getsid`: word 1 the pid (0: the caller). Reply `[0, session, 0]`.
pub const GET_SESSION: u64 = 11;
/// Sets the caller's `ITIMER_REAL`: word 1 nanoseconds to the first expiry (0 disarms), word 2
/// the period. Reply `[0, previous remaining, previous period]`.
pub const SET_ALARM: u64 = 12;
/// Reads the caller's `ITIMER_REAL`. Reply `[0, remaining, period]`.
pub const GET_ALARM: u64 = 13;
/// Tells the server the caller replaced its image (`execve`): `setpgid` on it by its parent is
/// `EACCES` from now on. Reply `[0, 0, 0]`.
pub const EXECUTED: u64 = 14;

/// `REGISTER_CHILD` word 1: the child is a `fork` copy (it keeps the caller's handlers);
/// otherwise a new program (caught signals reset to the default action).
pub const REGISTER_FORK: u64 = 1;

/// The bit the server sets in a subscribed notification when a child's state changed.
pub const CHILD_EVENT_BIT: u64 = 1;
/// The bit the server sets in a subscribed notification when it made a signal pending.
pub const SIGNAL_EVENT_BIT: u64 = 2;
/// The pid of `init`, the founder and the parent of every orphan.
pub const INIT_PID: i32 = 1;
