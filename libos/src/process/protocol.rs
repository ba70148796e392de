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
/// The caller's identity. Reply `[0, pid, parent pid]`; with word 1 [`WITH_EPOCH_PAGE`], a
/// read-only capability to the reparent-epoch page comes with it.
pub const IDENTITY: u64 = 3;
/// Word 1 of [`IDENTITY`]: send the reparent-epoch page too.
pub const WITH_EPOCH_PAGE: u64 = 1;
/// Collects an ended child: word 1 the pid (as `i64`: a pid, -1 for any child, 0 for the
/// caller's group, -pgid for a group), word 2 options in Linux's bits: `WUNTRACED` and
/// `WCONTINUED` also report stopped and continued children (without collecting them, once
/// each), [`WAIT_NO_REAP`] leaves the child found as it was (a zombie stays a zombie, a report
/// stays unreported). Never blocks. Reply `[0, pid, wait status | real uid << 32]` for a
/// child found, `[0, 0, 0]` when matching
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
/// Tells the server the caller is replacing its image (`execve`) from thread word 1 (its tid;
/// the pid on the main thread): every other thread of the process is stopped and forgotten, and
/// `setpgid` on it by its parent is `EACCES` from now on. Reply `[0, 0, 0]`.
/// With [`EXEC_SET_USER_ID`] or [`EXEC_SET_GROUP_ID`] in word 0, word 2 is the executed file's
/// `owner | group << 32` and the server applies the set-ID rule (`credentials::Credentials::
/// execute`: honoured only within the ids the caller could take itself); every `EXECUTED` makes
/// the saved ids the effective ones. Reply word 2: [`EXEC_HONOURED`] and [`EXEC_IDS_CHANGED`].
pub const EXECUTED: u64 = 14;
/// `EXECUTED`'s word-0 flag: the file has `S_ISUID` (its owner is word 2's low half).
pub const EXEC_SET_USER_ID: u64 = 1 << 8;
/// `EXECUTED`'s word-0 flag: the file has `S_ISGID` and group execute (its group is word 2's
/// high half).
pub const EXEC_SET_GROUP_ID: u64 = 1 << 9;
/// `EXECUTED`'s reply bit: the set-ID request was honoured.
pub const EXEC_HONOURED: u64 = 1;
/// `EXECUTED`'s reply bit: some id changed (the exec is past its point of no return).
pub const EXEC_IDS_CHANGED: u64 = 2;
/// The caller's ids become those of a new program whose file's set-ID bits are word 0's
/// [`EXEC_SET_USER_ID`]/[`EXEC_SET_GROUP_ID`] and whose `owner | group << 32` is word 2, by
/// `EXECUTED`'s rule (honoured within reach; the saved ids follow the effective ones). Sent by
/// `posix_spawn` through a child's endpoint before the child starts. Reply `[0, 0,
/// EXEC_HONOURED | EXEC_IDS_CHANGED]`; `ESRCH`.
pub const SET_ID_PROGRAM: u64 = 115;

/// Registers the caller's wake-up notification (transferred, SIGNAL): the server signals it
/// with [`SIGNAL_WAKE_BIT`] whenever it makes a signal pending for the caller (replacing any
/// registered before). Reply `[0, 0, 0]`; `EINVAL` without a notification.
pub const SIGNAL_WAKE: u64 = 30;
/// The bit [`SIGNAL_WAKE`] signals: the wake-up notification's "progress" bit
/// (`libos::event::wake::PROGRESS`).
pub const SIGNAL_WAKE_BIT: u64 = 1;
/// `sigqueue`/`rt_sigqueueinfo`: word 0 `QUEUE_SIGNAL | signal << 8 | (si_code as u32) << 32`,
/// word 1 the target pid (as `i64`, > 0), word 2 `si_value`. Reply `[0, 0, 0]`; `EINVAL`,
/// `ESRCH`, `EPERM` (the user-id rule, or a `si_code` that is not negative — or is `SI_TKILL` —
/// for another process), `EAGAIN` (the target's queue is full for a real-time signal).
pub const QUEUE_SIGNAL: u64 = 31;

// Threads (issue 10): numbers from 50 on.

/// Makes a thread of the caller's process: the caller's memory-quota capability is transferred
/// (the thread's environment is charged to it). The server makes the environment itself
/// (`EnvironmentCreateThread` on the process's environment), so what it later signals as a thread
/// of the process really is one. Reply `[0, tid, 0]` with a capability to the new, unstarted
/// environment; `EAGAIN` past [`MAXIMUM_THREADS`] live threads, `EINVAL`.
pub const THREAD_CREATE: u64 = 50;
/// The per-thread signal page of thread `tid` (word 1) of the caller's process, made now if it
/// has none: reply `[0, 0, 0]` with a frame capability (READ, WRITE, MAP); `ESRCH`.
pub const THREAD_SIGNAL_PAGE: u64 = 51;
/// `tgkill`/`tkill`: word 1 the thread group (as `i64`; -1: any, for `tkill`), word 2
/// `tid | signal << 32`. Reply `[0, 0, 0]`; `ESRCH`, `EPERM`, `EINVAL`.
pub const THREAD_KILL: u64 = 52;
/// `exit_group`: word 1 the exit status. Every thread of the caller's process (the caller
/// included, once the reply is sent) is stopped and the process ends with `W_EXITCODE(status)`.
pub const EXIT_GROUP: u64 = 53;
/// Live threads (besides the main one) the server keeps per process: each costs the server two
/// or three slots of its own, so the bound keeps one process from taking them all.
pub const MAXIMUM_THREADS: usize = 256;

// `execve` on a thread (issue 10): numbers 95–99.

/// From thread word 1 (its tid) of the caller's process, after `EXECUTED` and once it has put a
/// new image into the process's stopped main environment (`EnvironmentReplaceImage`): the
/// server stops the caller (as it replies) and forgets it, and starts the main environment
/// (unless the process is stopped by a signal: `SIGCONT` starts it). Reply `[0, 0, 0]`;
/// `ESRCH` (no such thread of the caller's), `EINVAL` (the main environment is not stopped).
pub const EXEC_HANDOVER: u64 = 95;

// The controlling terminal (`docs/files.md`, "The terminal"): the server owns which session
// controls the terminal and its foreground process group, so neither can be changed by a LibOS
// on its own; the terminal server (`apps/tty-server`) asks it before it lets a read through and
// sends the terminal's signals through it. Numbers from 60 on.

/// From `init` (pid 1) only, once: word 1 the terminal server's pid, and its unbadged SEND
/// capability transferred, from which the server mints every later process's capability badged
/// with its pid at [`crate::well_known_slots::TERMINAL_SERVER`]. The terminal starts controlled
/// by `init`'s session with `init`'s group in the foreground. Reply `[0, 0, 0]`.
pub const TERMINAL_SERVICE: u64 = 60;
/// `tcgetpgrp` (`TIOCGPGRP`): reply `[0, foreground group, 0]`; `ENOTTY` when the caller's
/// session does not control the terminal.
pub const GET_FOREGROUND: u64 = 61;
/// `tcsetpgrp` (`TIOCSPGRP`): word 1 the group. Reply `[0, 0, 0]`; `ENOTTY` (not the caller's
/// controlling terminal), `EINVAL` (a negative group), `EPERM` (no such group in the caller's
/// session), `EINTR` (the caller is in a background group and neither blocks nor ignores
/// `SIGTTOU`: its group was sent `SIGTTOU`).
pub const SET_FOREGROUND: u64 = 62;
/// From the terminal server only: sends word 1 (`SIGINT`, `SIGQUIT` or `SIGTSTP`, nothing
/// else) to the terminal's foreground group (never to `init`). Reply `[0, 0, 0]`; `EPERM`
/// from anyone else, `EINVAL` for another signal.
pub const TERMINAL_SIGNAL: u64 = 63;
/// From the terminal server only: may pid word 1 read the terminal now? Reply `[0, 0, 0]`
/// (yes: it is in the foreground group, or the terminal is not its controlling terminal),
/// `EINTR` (it is in a background group: its group was sent `SIGTTIN`), `EIO` (a background
/// group that blocks or ignores `SIGTTIN`, or an orphaned one), `ESRCH`, `EPERM`.
pub const TERMINAL_ACCESS: u64 = 64;
/// `TIOCSCTTY`: makes the terminal the controlling terminal of the caller's session; word 1
/// the ioctl's argument (1: a privileged caller may take it from another session). Reply
/// `[0, 0, 0]`; `EPERM` (not a session leader, or another session holds it).
pub const SET_CONTROLLING_TERMINAL: u64 = 65;
/// `TIOCGSID`: reply `[0, the session controlling the terminal, 0]`; `ENOTTY` when it is not
/// the caller's controlling terminal.
pub const GET_TERMINAL_SESSION: u64 = 66;
/// `write` to the terminal with `TOSTOP` set (the LibOS reads it from the terminal's settings
/// page and asks only then): may the caller write now? Reply `[0, 0, 0]` (yes: it is in the
/// foreground group, blocks or ignores `SIGTTOU`, or the terminal is not its controlling
/// terminal), `EINTR` (it is in a background group: its group was sent `SIGTTOU`), `EIO` (a
/// background group that is orphaned).
pub const TERMINAL_WRITE_ACCESS: u64 = 90;

// POSIX timers (`timer_create` and the rest): numbers from 70 on; word 0 carries the timer id
// above the operation (`| id << 8`).

/// `timer_create`: word 1 the signal to send (0: `SIGEV_NONE`), with [`TIMER_VALUE_IS_ID`]
/// when its `si_value` is to be the new timer's id, word 2 its `si_value` otherwise. Reply
/// `[0, id, 0]`; `EINVAL` (not a signal), `EAGAIN` (32 timers already).
pub const TIMER_CREATE: u64 = 70;
/// In word 1 of [`TIMER_CREATE`]: the signal's value is the timer's id (POSIX's default
/// notification).
pub const TIMER_VALUE_IS_ID: u64 = 1 << 32;
/// In word 1 of [`TIMER_CREATE`]: the timer is on the process's processor time
/// (CLOCK_PROCESS_CPUTIME_ID): its times are processor time, its expiry looked for by the server.
pub const TIMER_PROCESS_CPU_CLOCK: u64 = 1 << 33;
/// `timer_settime`: word 1 nanoseconds to the first expiry (0 disarms), word 2 the period.
/// Reply `[0, previous remaining, previous period]`; `EINVAL` (no such timer).
pub const TIMER_SET: u64 = 71;
/// `timer_gettime`. Reply `[0, remaining, period]`; `EINVAL`.
pub const TIMER_GET: u64 = 72;
/// `timer_getoverrun`. Reply `[0, overrun count, 0]`; `EINVAL`.
pub const TIMER_OVERRUN: u64 = 73;
/// `timer_delete`. Reply `[0, 0, 0]`; `EINVAL`.
pub const TIMER_DELETE: u64 = 74;

/// `REGISTER_CHILD` word 1: the child is a `fork` copy (it keeps the caller's handlers);
/// otherwise a new program (caught signals reset to the default action).
pub const REGISTER_FORK: u64 = 1;

/// In word 2 of [`WAIT`]: report the child but leave it as it was (Linux's `WNOWAIT` bit).
pub const WAIT_NO_REAP: u64 = 0x0100_0000;
/// In word 1 of [`WAIT`]'s reply, above the pid: processes made from the collected child's
/// quota still live (orphans), so the caller, its creator, must keep that quota instead of
/// revoking it until [`LINGER_RELEASED`] names the child.
pub const QUOTA_KEPT: u64 = 1 << 32;
/// Which collected children's kept quotas ([`QUOTA_KEPT`]) may now be revoked: reply
/// `[0, pid, pid]`, 0 where there is none (ask again while the answer is full).
pub const LINGER_RELEASED: u64 = 15;

/// The bit the server sets in a subscribed notification when a child's state changed.
pub const CHILD_EVENT_BIT: u64 = 1;
/// The bit the server sets in a subscribed notification when it made a signal pending.
pub const SIGNAL_EVENT_BIT: u64 = 2;
/// The pid of `init`, the founder and the parent of every orphan.
pub const INIT_PID: i32 = 1;

// Credentials, limits and resource usage (`docs/process-server.md`): numbers from 20 on.

/// The caller's ids: word 1 [`USERS`] or [`GROUPS`]. Reply `[0, real | effective << 32, saved]`.
pub const CREDENTIALS: u64 = 20;
/// Word 1 of [`CREDENTIALS`] and the group bit of [`CHANGE_IDS`]: the user ids.
pub const USERS: u64 = 0;
/// Word 1 of [`CREDENTIALS`] and the group bit of [`CHANGE_IDS`]: the group ids.
pub const GROUPS: u64 = 1;
/// Changes the caller's ids: word 0 `CHANGE_IDS | kind << 8 | which << 16` (kind
/// [`SET_ID`], [`SET_REAL_EFFECTIVE`] or [`SET_ALL`]; which [`USERS`] or [`GROUPS`]), word 1
/// `first | second << 32`, word 2 the third id (`u32::MAX`: unchanged). Reply as
/// [`CREDENTIALS`] with the new ids; `EPERM`, `EINVAL`. A change of the effective user or group
/// id replaces the caller's file-server capability (the old one is revoked).
pub const CHANGE_IDS: u64 = 21;
/// Kind of [`CHANGE_IDS`]: `setuid`/`setgid` (word 1 the id).
pub const SET_ID: u64 = 0;
/// Kind of [`CHANGE_IDS`]: `setreuid`/`setregid` (word 1 `real | effective << 32`).
pub const SET_REAL_EFFECTIVE: u64 = 1;
/// Kind of [`CHANGE_IDS`]: `setresuid`/`setresgid`.
pub const SET_ALL: u64 = 2;
/// Reads the supplementary groups: word 1 an index. Reply `[0, count, group[index] |
/// group[index + 1] << 32]` (missing entries 0).
pub const SUPPLEMENTARY_GROUPS: u64 = 22;
/// Writes the supplementary groups two at a time: word 1 `count | index << 32`, word 2 two
/// groups. Index 0 starts a new list; the list takes effect when its last pair arrives (a
/// count of 0 clears it at once). `EPERM` (unprivileged), `EINVAL` (too many, out of order).
pub const SET_SUPPLEMENTARY_GROUPS: u64 = 23;
/// From `init` (pid 1) only, once: the file server's unbadged SEND capability (transferred),
/// from which the server mints every later process's credentials-badged capability at
/// `libos::fs::protocol::FILE_SERVER_SLOT`. Reply `[0, 0, 0]`.
pub const FILE_SERVICE: u64 = 24;
/// A resource limit of the caller: word 1 the resource. Reply `[0, soft, hard]`; `EINVAL`.
pub const LIMIT: u64 = 25;
/// Sets a resource limit: word 0 `SET_LIMIT | resource << 8`, word 1 soft, word 2 hard.
/// Reply `[0, 0, 0]`; `EINVAL`, `EPERM`.
pub const SET_LIMIT: u64 = 26;
/// Processor time of the caller's collected children: word 1 0 for all of them (with their own
/// collected children, `RUSAGE_CHILDREN`), 1 for the one collected last (`wait4`'s `rusage`).
/// Reply `[0, user nanoseconds, system nanoseconds]`.
pub const CHILD_TIMES: u64 = 27;

// The process listing behind `/proc` and `ps` (`docs/process-server.md`): numbers from 40 on.

/// Lists pids: word 1 a cursor (pids greater than it are listed, every process the table holds,
/// zombies included). Reply `[0, first | second << 32, third | fourth << 32]`, ascending; a 0
/// half means the list has ended.
pub const PROCESS_LIST: u64 = 40;
/// One fact of a process's record: word 0 `PROCESS_RECORD | field << 8 | chunk << 16`, word 1
/// the pid. The fields are the `RECORD_*` constants; `ESRCH` when no such process.
pub const PROCESS_RECORD: u64 = 41;
/// Sets the caller's command (what `/proc/PID/comm` and `cmdline` show): word 0
/// `SET_COMMAND | chunk << 8 | length << 24`, words 1 and 2 up to 16 bytes (`length` of them,
/// little-endian). Chunk 0 is the name (`comm`, at most [`COMMAND_NAME_LIMIT`] bytes); chunk
/// `k ≥ 1` is bytes `16(k-1)..` of the NUL-separated argument list, chunk 1 starting it afresh,
/// each later chunk only after a full previous one; at most [`COMMAND_LINE_LIMIT`] bytes in all.
/// `EINVAL` otherwise. A parent sets a child's through the child's endpoint before granting it.
pub const SET_COMMAND: u64 = 42;

/// [`PROCESS_RECORD`] field: word 1 `parent | state << 32 | command line length << 40`
/// (`state` one of Linux's letters `R`, `S`, `T`, `Z`), word 2 `group | session << 32`.
pub const RECORD_STATE: u64 = 0;
/// [`PROCESS_RECORD`] field: the user ids, as [`CREDENTIALS`] answers them.
pub const RECORD_USERS: u64 = 1;
/// [`PROCESS_RECORD`] field: the group ids, as [`CREDENTIALS`] answers them.
pub const RECORD_GROUPS: u64 = 2;
/// [`PROCESS_RECORD`] field: processor time, user and system nanoseconds (the kernel's).
pub const RECORD_TIMES: u64 = 3;
/// [`PROCESS_RECORD`] field: the collected children's processor time (user, system ns).
pub const RECORD_CHILD_TIMES: u64 = 4;
/// [`PROCESS_RECORD`] field: word 1 the start time (monotonic nanoseconds since boot), word 2
/// the wait status of a zombie (else 0).
pub const RECORD_START: u64 = 5;
/// [`PROCESS_RECORD`] field: a chunk of the command; chunk 0 the name, `k ≥ 1` bytes
/// `16(k-1)..16k` of the argument list (words 1 and 2, little-endian, zero-padded).
pub const RECORD_COMMAND: u64 = 6;
/// [`PROCESS_RECORD`] field: the signal page's pending and blocked sets (0 without a page).
pub const RECORD_SIGNALS: u64 = 7;
/// [`PROCESS_RECORD`] field: the signal page's ignored and caught sets (0 without a page).
pub const RECORD_DISPOSITIONS: u64 = 8;

/// The longest command name (Linux's `TASK_COMM_LEN` less its NUL).
pub const COMMAND_NAME_LIMIT: usize = 15;
/// The most bytes of a command's argument list the server keeps (a longer one is cut).
pub const COMMAND_LINE_LIMIT: usize = 256;

/// From `init` (pid 1) only, once: the socket server's unbadged SEND capability (transferred),
/// from which the server mints every later process's capability at
/// `libos::socket::protocol::SOCKET_SERVER` badged `SOCKET_PROCESS_MARK | pid` (replaced when
/// its effective ids change, revoked when it ends). Reply `[0, 0, 0]`.
pub const SOCKET_SERVICE: u64 = 48;
/// The ids of a live process: word 1 its pid. Reply `[0, effective user | effective group <<
/// 32, real user | real group << 32]`; `ESRCH`. Open to every caller, as Linux's
/// `/proc/PID/status` is: the socket server asks it about the pid in a caller's badge.
pub const PEER_IDENTITY: u64 = 49;

// Interval timers on processor time: 105 and 106 (word 0 carries `which` above the operation,
// `| which << 8`).

/// `setitimer(ITIMER_VIRTUAL or ITIMER_PROF)`: word 1 nanoseconds of the timer's processor time
/// (user time, or user and system time) to the first expiry (0 disarms), word 2 the period.
/// Reply `[0, previous remaining, previous period]`; `EINVAL` (another `which`).
pub const SET_CPU_TIMER: u64 = 105;
/// `getitimer(ITIMER_VIRTUAL or ITIMER_PROF)`. Reply `[0, remaining, period]`; `EINVAL`.
pub const GET_CPU_TIMER: u64 = 106;
