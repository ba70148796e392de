//! Process identity and its authority: the client side of the process server.
//!
//! Pids, the parent/child tree and exit statuses live in the process server
//! (`apps/process-server`, `docs/process-server.md`), which knows each process only by the badge
//! of the endpoint it minted for it; this LibOS holds that endpoint at [`PROCESS_SERVER`] and can
//! name nothing else. `getpid`/`getppid` are asked once and cached (a process's pid never
//! changes; its parent only by orphaning, which the server announces in the reparent epoch).

use core::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use exokernel_abi::{Call, KernelError, OptionalSlot, Slot};
use libposix_sys::errno::Errno;
use libposix_sys::wait::{WCONTINUED, WNOHANG, WUNTRACED};

use super::protocol;
use crate::kernel::call;
use crate::runtime::parent_cache;
use crate::slots;

/// Where every registered process holds its badged endpoint to the process server.
pub const PROCESS_SERVER: Slot = crate::well_known_slots::PROCESS_SERVER;

/// Our pid once asked (0: not yet).
static PID: AtomicI32 = AtomicI32::new(0);
/// The slot of the notification subscribed for child events (0: none yet).
static CHILD_EVENTS: AtomicU32 = AtomicU32::new(0);

/// Maps a kernel error of a call to the server onto the errno the caller sees.
pub(crate) fn server_error(error: KernelError) -> Errno {
    match error {
        KernelError::EmptySlot | KernelError::InvalidSlot | KernelError::PeerGone => Errno::ENOSYS,
        KernelError::Interrupted => Errno::EINTR,
        KernelError::OutOfMemory => Errno::ENOMEM,
        _ => Errno::EIO,
    }
}

/// One call to the process server: `[result words 1, 2]`, or the errno it answered.
pub(crate) fn request(
    operation: u64,
    words: [u64; 2],
    transfer: Option<Slot>,
    receive: Option<Slot>,
) -> Result<[u64; 2], Errno> {
    let reply = loop {
        match call(Call::IpcCall {
            endpoint: PROCESS_SERVER,
            word0: operation,
            word1: words[0],
            word2: words[1],
            transfer: OptionalSlot(transfer),
            receive: OptionalSlot(receive),
        }) {
            Ok(reply) => break reply,
            // Cut short while still queued (a signal stopped us): the server never saw it, so
            // asking again is safe.
            Err(KernelError::Interrupted) => crate::signal::delivery::deliver_pending(),
            Err(error) => return Err(server_error(error)),
        }
    };
    if reply[1] != 0 {
        return Err(Errno::from_raw(reply[1] as i32).unwrap_or(Errno::EIO));
    }
    Ok([reply[2], reply[3]])
}

/// Whether this process is registered with a process server.
#[must_use]
pub fn is_registered() -> bool {
    getpid().is_ok()
}

/// `getpid`: this process's pid, as the process server knows it (asked once, then cached).
///
/// # Errors
/// `ENOSYS` when this process is not registered with a process server (the server itself, or
/// a program started before one ran).
pub fn getpid() -> Result<i32, Errno> {
    let cached = PID.load(Ordering::Relaxed);
    if cached != 0 {
        return Ok(cached);
    }
    let [pid, _] = request(protocol::IDENTITY, [0, 0], None, None)?;
    PID.store(pid as i32, Ordering::Relaxed);
    Ok(pid as i32)
}

/// `getppid`: the parent's pid (`init`'s, 1, once the parent has ended). Answered from a cache
/// with no kernel entry: the server counts every reparenting in a page we may only read (the
/// reparent epoch, mapped on first use), and the cache is asked afresh only when that count has
/// moved since it was filled.
///
/// # Errors
/// `ENOSYS` when this process is not registered with a process server.
#[inline]
pub fn getppid() -> Result<i32, Errno> {
    match parent_cache::cached_parent() {
        Some(parent) => Ok(parent),
        None => ask_parent(),
    }
}

/// The slow path of [`getppid`]: asks the server (and, the first time, for the epoch page,
/// which it maps) and caches the answer with the epoch read before asking (a reparenting after
/// the answer moves the epoch again).
#[cold]
fn ask_parent() -> Result<i32, Errno> {
    let epoch = parent_cache::epoch();
    let receive = if epoch.is_none() && parent_cache::wants_page() {
        slots::allocate()
    } else {
        None
    };
    let asked = request(
        protocol::IDENTITY,
        [u64::from(receive.is_some()), 0],
        None,
        receive,
    );
    if let Some(slot) = receive {
        let arrived = call(Call::CapabilityIdentify { slot }).is_ok();
        if arrived {
            parent_cache::map_page(slot);
        } else {
            slots::free(slot);
        }
    }
    let [_, parent] = asked?;
    if let Some(epoch) = epoch {
        parent_cache::remember(parent as i32, epoch);
    }
    Ok(parent as i32)
}

/// Forgets the cached identity: the child side of `fork` calls this, its pid being new and its
/// subscription the parent's (fork does not copy that slot).
pub(crate) fn forget_after_fork() {
    PID.store(0, Ordering::Relaxed);
    parent_cache::forget();
    let events = CHILD_EVENTS.swap(0, Ordering::Relaxed);
    if events != 0 {
        // The slot holds our copy of the parent's notification: not ours to wait on.
        let _ = call(Call::CapabilityDelete { slot: Slot(events) });
        slots::free(Slot(events));
    }
}

/// The slot of our child-event notification, if subscribed.
pub(crate) fn child_events_slot() -> Option<Slot> {
    match CHILD_EVENTS.load(Ordering::Relaxed) {
        0 => None,
        slot => Some(Slot(slot)),
    }
}

/// Registers `environment` (a child we created, not started) as our child (`forked`: a copy
/// of us, keeping our signal handlers). Returns its pid and
/// a slot of ours holding its badged endpoint, which the caller grants to the child at
/// [`PROCESS_SERVER`] and then deletes.
///
/// # Errors
/// `ENOSYS` when we are not registered; `EAGAIN` when the server is full; `ENOMEM` when we have
/// no free slot.
pub(crate) fn register_child(environment: Slot, forked: bool) -> Result<(i32, Slot), Errno> {
    let endpoint = slots::allocate().ok_or(Errno::ENOMEM)?;
    match request(
        protocol::REGISTER_CHILD,
        [if forked { protocol::REGISTER_FORK } else { 0 }, 0],
        Some(environment),
        Some(endpoint),
    ) {
        Ok([pid, _]) => Ok((pid as i32, endpoint)),
        Err(error) => {
            let _ = call(Call::CapabilityDelete { slot: endpoint });
            slots::free(endpoint);
            Err(error)
        }
    }
}

/// The notification the server signals when a child of ours changes state
/// ([`protocol::CHILD_EVENT_BIT`]) or a signal is made pending here
/// ([`protocol::SIGNAL_EVENT_BIT`]), subscribed on first use.
///
/// # Errors
/// `ENOSYS` without a process server; `ENOMEM`.
pub(crate) fn events_notification() -> Result<Slot, Errno> {
    child_events()
}

pub(crate) fn child_events() -> Result<Slot, Errno> {
    let slot = CHILD_EVENTS.load(Ordering::Relaxed);
    if slot != 0 {
        return Ok(Slot(slot));
    }
    let slot = slots::allocate().ok_or(Errno::ENOMEM)?;
    let result = call(Call::NotificationCreate {
        quota: exokernel_abi::initial::MEMORY_QUOTA,
        destination: slot,
    })
    .map_err(server_error)
    .and_then(|_| request(protocol::SUBSCRIBE, [0, 0], Some(slot), None));
    if let Err(error) = result {
        let _ = call(Call::CapabilityDelete { slot });
        slots::free(slot);
        return Err(error);
    }
    CHILD_EVENTS.store(slot.0, Ordering::Relaxed);
    Ok(slot)
}

/// `wait4`: waits for a child to end and collects it (the zombie is gone afterwards); `rusage`
/// gets the collected child's processor times (user and system, as the kernel measured them).
/// `pid` is a child's pid, -1 for any child, 0 for any child in our process group, or -pgid for
/// any child in that group; `options` may hold `WNOHANG` (return `Ok(0)` instead of waiting),
/// `WUNTRACED` (also report a child stopped by a signal, once) and `WCONTINUED` (also report a
/// stopped child continued by `SIGCONT`, once); those reports do not collect the child (their
/// `rusage` is zero). The status is Linux's encoding (`libposix_sys::wait`).
///
/// # Errors
/// `ECHILD` when no child matches (the server decides: a pid that is not our child is never
/// ours to collect); `EINVAL` for unknown options; `EINTR` when a handler without `SA_RESTART`
/// ran while it waited (with `SA_RESTART` it goes on waiting); `ENOSYS` when we are not
/// registered.
pub fn wait4(
    pid: i32,
    status: Option<&mut i32>,
    options: i32,
    rusage: Option<&mut libposix_sys::resource::Rusage>,
) -> Result<i32, Errno> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED) != 0 || pid == i32::MIN {
        return Err(Errno::EINVAL);
    }
    let (collected, wait_status) = wait_reporting(
        pid,
        options & (WUNTRACED | WCONTINUED),
        options & WNOHANG != 0,
        0,
    )?;
    if let Some(status) = status {
        *status = wait_status;
    }
    if let Some(rusage) = rusage {
        let reported = libposix_sys::wait::WIFSTOPPED(wait_status)
            || libposix_sys::wait::WIFCONTINUED(wait_status);
        *rusage = if collected == 0 || reported {
            libposix_sys::resource::Rusage::default()
        } else {
            let (user, system) = super::resource_usage::children_times(true)?;
            super::resource_usage::usage(user, system)
        };
    }
    // A `SIGCHLD` made pending while the server answered us runs its handler now.
    crate::signal::delivery::deliver_pending();
    Ok(collected)
}

/// `waitpid`: [`wait4`] without resource usage.
///
/// # Errors
/// As [`wait4`].
pub fn waitpid(pid: i32, status: Option<&mut i32>, options: i32) -> Result<i32, Errno> {
    wait4(pid, status, options, None)
}

/// `wait`: waits for any child.
///
/// # Errors
/// As [`wait4`].
pub fn wait(status: Option<&mut i32>) -> Result<i32, Errno> {
    wait4(-1, status, 0, None)
}

/// Asks the server for an ended child matching `pid`; unless `no_hang`, waits on the child
/// events (each wait at most `timeout` nanoseconds, 0 = forever: `TimedOut` ends it with
/// `EAGAIN`). Returns `(pid, status)`, or `(0, 0)` with `no_hang` when none has ended.
pub(crate) fn wait_for(pid: i32, no_hang: bool, timeout: u64) -> Result<(i32, i32), Errno> {
    wait_reporting(pid, 0, no_hang, timeout)
}

/// [`wait_for`] that also reports stops (`WUNTRACED`) and continues (`WCONTINUED`) as
/// `report` asks.
fn wait_reporting(pid: i32, report: i32, no_hang: bool, timeout: u64) -> Result<(i32, i32), Errno> {
    let (collected, word) = wait_word(pid, report as u64, no_hang, timeout)?;
    Ok((collected, word as i32))
}

/// Asks the server's `WAIT` with `flags` (word 2: `WUNTRACED`, `WCONTINUED`,
/// [`protocol::WAIT_NO_REAP`]) until a child matching `pid` is found; unless `no_hang`, waits on
/// the child events meanwhile (each wait at most `timeout` nanoseconds, 0 = forever). Returns
/// the pid and the reply word (`wait status | real uid << 32`), or `(0, 0)` with `no_hang`.
///
/// # Errors
/// `ECHILD`, `EINTR` (a handler without `SA_RESTART` ran while it waited), `EAGAIN` (timed
/// out), `ENOSYS`.
pub(crate) fn wait_word(
    pid: i32,
    flags: u64,
    no_hang: bool,
    timeout: u64,
) -> Result<(i32, u64), Errno> {
    super::child::revoke_released_quotas();
    // Subscribe before asking, so that an end after the answer still wakes us.
    let events = if no_hang { None } else { Some(child_events()?) };
    let epoch = crate::signal::delivery::Epoch::now();
    // A child of ours whose environment is still runnable has not ended (the server makes a
    // zombie only of an environment that ended or that it stopped), so without stops or
    // continues to report there is nothing to ask the server until the child's next event:
    // one kernel call instead of an IPC (two address-space switches). Any end after this
    // look signals the events we are subscribed to.
    let mut ask = !(flags == 0
        && pid > 0
        && events.is_some_and(|events| {
            // Wake-ups already pending are stale here (an end we heard of twice: from our own
            // watch of the child and from the server): alone in the process, we drop them, as
            // the signals they may announce are looked for before we wait anyway.
            if !crate::thread::registry::has_threads() {
                let _ = call(Call::NotificationPoll {
                    notification: events,
                });
            }
            super::child::adopted_is_runnable(pid)
        }));
    loop {
        let [collected, word] = if ask {
            request(protocol::WAIT, [pid as i64 as u64, flags], None, None)?
        } else {
            [0, 0]
        };
        ask = true;
        if collected != 0 {
            let status = word as i32;
            if flags & protocol::WAIT_NO_REAP == 0
                && !libposix_sys::wait::WIFSTOPPED(status)
                && !libposix_sys::wait::WIFCONTINUED(status)
            {
                super::child::release_adopted(
                    collected as i32,
                    collected & protocol::QUOTA_KEPT != 0,
                );
            }
            return Ok((collected as i32, word));
        }
        let Some(events) = events else {
            return Ok((0, 0));
        };
        // A child that ended is collected even if a handler (its SIGCHLD's, say) ran meanwhile,
        // as on Linux; only a wait with nothing to collect is cut short.
        crate::signal::delivery::deliver_pending();
        if epoch.must_interrupt() {
            return Err(Errno::EINTR);
        }
        match call(Call::NotificationWait {
            notification: events,
            timeout,
        }) {
            Ok(_) | Err(KernelError::Interrupted) => {}
            Err(KernelError::TimedOut) => return Err(Errno::EAGAIN),
            Err(error) => return Err(server_error(error)),
        }
    }
}

/// The pids of collected children whose kept quotas may now be revoked
/// ([`protocol::LINGER_RELEASED`]; 0 where there is none).
///
/// # Errors
/// `ENOSYS` when we are not registered; the server's error.
pub(crate) fn released_quotas() -> Result<[i32; 2], Errno> {
    let [first, second] = request(protocol::LINGER_RELEASED, [0, 0], None, None)?;
    Ok([first as i32, second as i32])
}

/// `_exit`: ends this process — every thread — with `status & 0xff` (`exit_group`); the process
/// server reports it to the parent as `W_EXITCODE(status, 0)`.
pub fn _exit(status: i32) -> ! {
    super::exit::exit_group(status)
}

/// `setpgid`: puts process `pid` (0: ourselves) into process group `group` (0: `pid`'s own
/// number), creating the group if it is the process's own number. The process server enforces
/// POSIX's rules.
///
/// # Errors
/// `EINVAL` (a negative group), `ESRCH` (`pid` is neither us nor a child of ours), `EPERM` (a
/// session leader, a child in another session, or a group of another session), `EACCES` (the
/// child has run `execve`), `ENOSYS` (no process server).
pub fn setpgid(pid: i32, group: i32) -> Result<(), Errno> {
    if pid < 0 || group < 0 {
        return Err(Errno::EINVAL);
    }
    request(
        protocol::SET_PROCESS_GROUP,
        [pid as u64, group as u64],
        None,
        None,
    )
    .map(|_| ())
}

/// `getpgid`: the process group of `pid` (0: ourselves).
///
/// # Errors
/// `ESRCH` (no such process), `ENOSYS`.
pub fn getpgid(pid: i32) -> Result<i32, Errno> {
    if pid < 0 {
        return Err(Errno::ESRCH);
    }
    let [group, _] = request(protocol::GET_PROCESS_GROUP, [pid as u64, 0], None, None)?;
    Ok(group as i32)
}

/// `getpgrp`: our process group.
///
/// # Errors
/// `ENOSYS` without a process server.
pub fn getpgrp() -> Result<i32, Errno> {
    getpgid(0)
}

/// `setsid`: makes us the leader of a new session and of a new process group, both numbered
/// with our pid; returns the session.
///
/// # Errors
/// `EPERM` when we already lead a process group; `ENOSYS`.
pub fn setsid() -> Result<i32, Errno> {
    let [session, _] = request(protocol::SET_SESSION, [0, 0], None, None)?;
    Ok(session as i32)
}

/// `getsid`: the session of `pid` (0: ourselves).
///
/// # Errors
/// `ESRCH` (no such process), `ENOSYS`.
pub fn getsid(pid: i32) -> Result<i32, Errno> {
    if pid < 0 {
        return Err(Errno::ESRCH);
    }
    let [session, _] = request(protocol::GET_SESSION, [pid as u64, 0], None, None)?;
    Ok(session as i32)
}

/// Tells the server we are about to run a new image (`setpgid` by our parent becomes
/// `EACCES`), from thread `tid`: every other thread of the process ends, and the ids become the
/// new image's (the set-ID request `flags`, `owner_and_group` as `EXECUTED` takes them).
/// Answers the reply's word 2 (`EXEC_HONOURED`, `EXEC_IDS_CHANGED`; 0 on failure).
pub(crate) fn note_exec(tid: i32, flags: u64, owner_and_group: u64) -> u64 {
    request(
        protocol::EXECUTED | flags,
        [u64::from(tid as u32), owner_and_group],
        None,
        None,
    )
    .map_or(0, |answer| answer[1])
}
