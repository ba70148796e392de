//! The blocked mask (`sigprocmask`), the pending set (`sigpending`) and the alternate stack
//! (`sigaltstack`): plain loads and stores on the signal page, no message.

use core::sync::atomic::Ordering;

use libposix_sys::errno::Errno;
use libposix_sys::signal::{
    MINSIGSTKSZ, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SS_DISABLE, SS_ONSTACK, SignalSet,
    SignalStack,
};

use super::delivery::{current_stack, deliver_pending};
use super::page::{page, thread_page};

/// `rt_sigprocmask`: changes the blocked mask (`SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK`) and/or
/// reads the old one. `SIGKILL` and `SIGSTOP` are silently never blocked. Signals that become
/// unblocked and are pending are delivered before it returns. The mask is the calling thread's
/// alone (`pthread_sigmask`), in its own signal page, which the process server reads to decide
/// which thread may take a signal.
///
/// # Errors
/// `EINVAL` for an unknown `how`; `ENOSYS` without a process server.
pub fn sigprocmask(
    how: i32,
    new: Option<&SignalSet>,
    old: Option<&mut SignalSet>,
) -> Result<(), Errno> {
    if new.is_some() && !matches!(how, SIG_BLOCK | SIG_UNBLOCK | SIG_SETMASK) {
        return Err(Errno::EINVAL);
    }
    let page = thread_page()?;
    let current = SignalSet::from_bits(page.blocked.load(Ordering::Acquire));
    if let Some(old) = old {
        *old = current;
    }
    if let Some(new) = new {
        let next = match how {
            SIG_BLOCK => current.union(*new),
            SIG_UNBLOCK => current.difference(*new),
            _ => *new,
        }
        .difference(SignalSet::UNBLOCKABLE);
        page.blocked.store(next.bits, Ordering::Release);
        deliver_pending();
    }
    Ok(())
}

/// `rt_sigpending`: the signals pending — for the process or for the calling thread alone — and
/// blocked by the calling thread.
///
/// # Errors
/// `ENOSYS` without a process server.
pub fn sigpending() -> Result<SignalSet, Errno> {
    let process = page()?;
    let thread = thread_page()?;
    Ok(SignalSet::from_bits(
        (process.pending.load(Ordering::Acquire) | thread.thread_pending.load(Ordering::Acquire))
            & thread.blocked.load(Ordering::Acquire),
    ))
}

/// `sigaltstack`: sets and/or reads the alternate signal stack used by `SA_ONSTACK` handlers.
///
/// # Errors
/// `EPERM` when changing it while running on it; `EINVAL` for unknown flags; `ENOMEM` for a
/// stack smaller than `MINSIGSTKSZ`; `ENOSYS` without a process server.
pub fn sigaltstack(new: Option<&SignalStack>, old: Option<&mut SignalStack>) -> Result<(), Errno> {
    let page = thread_page()?;
    let base = page.alternate_stack_base.load(Ordering::Acquire);
    let size = page.alternate_stack_size.load(Ordering::Acquire);
    let here = current_stack();
    let on_it = size != 0 && (base..base.saturating_add(size)).contains(&here);
    if let Some(old) = old {
        *old = SignalStack {
            ss_sp: base as usize,
            ss_flags: if size == 0 {
                SS_DISABLE
            } else if on_it {
                SS_ONSTACK
            } else {
                0
            },
            ss_size: size as usize,
        };
    }
    let Some(new) = new else {
        return Ok(());
    };
    if on_it {
        return Err(Errno::EPERM);
    }
    match new.ss_flags {
        SS_DISABLE => {
            page.alternate_stack_size.store(0, Ordering::Release);
            Ok(())
        }
        0 | SS_ONSTACK => {
            if new.ss_size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            page.alternate_stack_size.store(0, Ordering::Release);
            page.alternate_stack_base
                .store(new.ss_sp as u64, Ordering::Release);
            page.alternate_stack_size
                .store(new.ss_size as u64, Ordering::Release);
            Ok(())
        }
        _ => Err(Errno::EINVAL),
    }
}
