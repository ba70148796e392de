//! `sigaction` and `signal`: each signal's disposition. The handler, flags and mask live in
//! this process's memory; the class (default, ignore, catch) and the flags the process server
//! acts on are mirrored into the signal page, so that setting an action costs no message.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use libposix_sys::errno::Errno;
use libposix_sys::signal::{
    DefaultAction, KernelSigaction, SA_NOCLDSTOP, SA_NOCLDWAIT, SA_ONSTACK, SA_RESTART, SIG_DFL,
    SIG_IGN, SIGCHLD, SIGKILL, SIGSTOP, SignalSet, default_action, is_valid,
};

use super::page::{bit, page};

/// One signal's action as this process keeps it.
pub(crate) struct Action {
    pub(crate) handler: AtomicUsize,
    pub(crate) flags: AtomicU64,
    pub(crate) mask: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)]
const DEFAULT: Action = Action {
    handler: AtomicUsize::new(SIG_DFL),
    flags: AtomicU64::new(0),
    mask: AtomicU64::new(0),
};

/// Every signal's action, by `signal - 1`.
pub(crate) static ACTIONS: [Action; 64] = [DEFAULT; 64];

/// The action of a valid signal.
pub(crate) fn action(signal: i32) -> &'static Action {
    &ACTIONS[(signal - 1) as usize]
}

/// The signals whose action is raised by a fault: they need the exception upcall.
const FAULT_SIGNALS: [i32; 5] = [
    libposix_sys::signal::SIGSEGV,
    libposix_sys::signal::SIGBUS,
    libposix_sys::signal::SIGILL,
    libposix_sys::signal::SIGFPE,
    libposix_sys::signal::SIGTRAP,
];

/// Whether `signal` is discarded when it arrives with `handler`.
fn is_ignored(signal: i32, handler: usize) -> bool {
    handler == SIG_IGN
        || (handler == SIG_DFL && matches!(default_action(signal), Some(DefaultAction::Ignore)))
}

/// `rt_sigaction`: reads and/or sets the action of `signal`. Handlers are `extern "C"` functions
/// taking `(signal, *mut Siginfo, *mut c_void)` (the last two only meaningful with
/// `SA_SIGINFO`); the third argument points at a Linux `ucontext_t`
/// (`libposix_sys::ucontext::Ucontext`, [`super::context`]): the interrupted registers when the
/// handler interrupted the program (a signal forced in, a fault), the call site's when it runs at
/// one of the LibOS's own safe points (after a call to the process server, on unblocking).
///
/// # Errors
/// `EINVAL` for an invalid signal, or an attempt to change `SIGKILL` or `SIGSTOP`; `ENOSYS` when
/// this process has no process server (nothing could deliver a signal).
pub fn sigaction(
    signal: i32,
    new: Option<&KernelSigaction>,
    old: Option<&mut KernelSigaction>,
) -> Result<(), Errno> {
    if !is_valid(signal) || (new.is_some() && (signal == SIGKILL || signal == SIGSTOP)) {
        return Err(Errno::EINVAL);
    }
    // Map the page first: a new image learns there which signals it inherited as ignored.
    let page = page();
    let entry = action(signal);
    if let Some(old) = old {
        *old = KernelSigaction {
            sa_handler: entry.handler.load(Ordering::Acquire),
            sa_flags: entry.flags.load(Ordering::Acquire),
            sa_restorer: 0,
            sa_mask: SignalSet::from_bits(entry.mask.load(Ordering::Acquire)),
        };
    }
    let Some(new) = new else {
        return Ok(());
    };
    let page = page?;
    if FAULT_SIGNALS.contains(&signal) && new.sa_handler > SIG_IGN {
        crate::process::copy_on_write::ensure_private_area().map_err(|_| Errno::ENOMEM)?;
    }
    entry.flags.store(new.sa_flags, Ordering::Release);
    entry.mask.store(
        new.sa_mask.difference(SignalSet::UNBLOCKABLE).bits,
        Ordering::Release,
    );
    entry.handler.store(new.sa_handler, Ordering::Release);
    publish(signal, new.sa_handler, new.sa_flags);
    if is_ignored(signal, new.sa_handler) {
        // POSIX: setting a pending signal to be ignored discards it.
        page.pending.fetch_and(!bit(signal), Ordering::AcqRel);
        super::queue::of(page).discard(signal);
    }
    Ok(())
}

/// Mirrors `signal`'s class and the flags the server needs into the signal page.
pub(crate) fn publish(signal: i32, handler: usize, flags: u64) {
    let Some(page) = super::page::page_if_mapped() else {
        return;
    };
    let mask = bit(signal);
    let set = |word: &AtomicU64, on: bool| {
        if on {
            word.fetch_or(mask, Ordering::AcqRel);
        } else {
            word.fetch_and(!mask, Ordering::AcqRel);
        }
    };
    set(&page.caught, handler > SIG_IGN);
    set(&page.ignored, handler == SIG_IGN);
    set(&page.on_alternate_stack, flags & SA_ONSTACK != 0);
    if signal == SIGCHLD {
        page.child_flags
            .store(flags & (SA_NOCLDSTOP | SA_NOCLDWAIT), Ordering::Release);
    }
}

/// Resets `signal` to its default action (`SA_RESETHAND`, and `execve`).
pub(crate) fn reset(signal: i32) {
    let entry = action(signal);
    entry.handler.store(SIG_DFL, Ordering::Release);
    entry.flags.store(0, Ordering::Release);
    entry.mask.store(0, Ordering::Release);
    publish(signal, SIG_DFL, 0);
}

/// `signal`: sets a handler (or `SIG_DFL`/`SIG_IGN`) with BSD semantics — `SA_RESTART`, as
/// glibc's and musl's `signal` do — and returns the previous handler.
///
/// # Errors
/// As [`sigaction`].
pub fn signal(signal: i32, handler: usize) -> Result<usize, Errno> {
    let mut old = KernelSigaction::default();
    let new = KernelSigaction {
        sa_handler: handler,
        sa_flags: SA_RESTART,
        sa_restorer: 0,
        sa_mask: SignalSet::EMPTY,
    };
    sigaction(signal, Some(&new), Some(&mut old))?;
    Ok(old.sa_handler)
}
