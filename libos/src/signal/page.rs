//! The signal page: one frame per process, mapped read-write in the process and in the process
//! server, holding the state both sides need to decide what a signal does without a message —
//! the blocked mask, the pending set, each signal's disposition class, the entry the server
//! forces a process into, and the registers it interrupted.
//!
//! The server creates the frame (it pays for it) and treats every word of it as hostile: any bit
//! pattern is a valid value of every field, the trampoline address is checked before use, and
//! nothing here can make the server block. A process can only corrupt its own page, and with it
//! only its own signal handling.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use exokernel_abi::{Call, KernelError, ObjectKind, OptionalSlot, PAGE_SIZE, Rights, Slot};
use libposix_sys::errno::Errno;

use crate::kernel::call;
use crate::process::protocol;

/// Where a process maps its signal page.
pub const SIGNAL_PAGE_ADDRESS: u64 = 0x0000_7000_0010_0000;
/// The well-known slot holding a process's capability to its signal page (kept across `execve`,
/// so the new image finds it there; not copied by `fork`, whose child gets its own).
pub const SIGNAL_PAGE_SLOT: Slot = crate::well_known_slots::SIGNAL_PAGE;

/// One pending signal's description: `head` holds `si_code` (low 32 bits) and the sender's pid
/// (high 32 bits); `value` the fault address, the child's status or the sender's uid.
#[repr(C)]
pub struct SignalRecord {
    /// `si_code | pid << 32`.
    pub head: AtomicU64,
    /// The address, status or uid (by signal and code).
    pub value: AtomicU64,
}

/// The words of a [`exokernel_abi::RegisterSet`].
pub const REGISTER_WORDS: usize = core::mem::size_of::<exokernel_abi::RegisterSet>() / 8;

/// The page's layout, shared by the LibOS and the process server. Bit `n - 1` of a set stands
/// for signal `n`, as in `sigset_t`.
#[repr(C)]
pub struct SignalPage {
    /// The blocked mask (written by the process).
    pub blocked: AtomicU64,
    /// Signals generated and not yet delivered (set by the server, taken by the process).
    pub pending: AtomicU64,
    /// Signals with a handler (written by the process).
    pub caught: AtomicU64,
    /// Signals set to `SIG_IGN` (written by the process).
    pub ignored: AtomicU64,
    /// Signals whose handler runs on the alternate stack (`SA_ONSTACK`).
    pub on_alternate_stack: AtomicU64,
    /// `SA_NOCLDSTOP` / `SA_NOCLDWAIT` of the `SIGCHLD` action, as Linux's flag bits.
    pub child_flags: AtomicU64,
    /// The LibOS's signal entry ([`super::delivery`]); 0 until the process has mapped its page.
    pub trampoline: AtomicU64,
    /// 1 while [`Self::interrupted`] holds registers the process has not taken yet.
    pub entry_busy: AtomicU64,
    /// The alternate stack's base and size (`sigaltstack`; size 0: none).
    pub alternate_stack_base: AtomicU64,
    /// See [`Self::alternate_stack_base`].
    pub alternate_stack_size: AtomicU64,
    /// Counts every signal the server made pending here (wakes `sigsuspend`).
    pub generated: AtomicU64,
    /// A stack range the server must not force an entry from (`[base, end)`): the exception
    /// upcall's stack, where a handler could not take a nested fault. A signal that arrives
    /// while the upcall runs stays pending until the LibOS's next check.
    pub no_entry_base: AtomicU64,
    /// See [`Self::no_entry_base`].
    pub no_entry_end: AtomicU64,
    /// Signals sent to this thread alone (`tgkill`), pending on it: in a thread's own page, and
    /// for the main thread in the process's page (whose `pending` is the process's).
    pub thread_pending: AtomicU64,
    /// Each pending signal's description, by `signal - 1`.
    pub records: [SignalRecord; 64],
    /// The registers the server (or the fault handler) interrupted to enter the trampoline.
    pub interrupted: [AtomicU64; REGISTER_WORDS],
}

const _: () = assert!(core::mem::size_of::<SignalPage>() <= PAGE_SIZE as usize);

/// The mask bit of `signal` (1..=64); 0 for anything else.
#[must_use]
pub const fn bit(signal: i32) -> u64 {
    if signal >= 1 && signal <= 64 {
        1 << (signal - 1)
    } else {
        0
    }
}

/// Whether our page is mapped at [`SIGNAL_PAGE_ADDRESS`].
static MAPPED: AtomicBool = AtomicBool::new(false);
/// The slot holding our page's capability (0: none yet).
static HELD_IN: AtomicU32 = AtomicU32::new(0);

/// The slot holding our signal page's capability, which `fork` must not copy (the child gets
/// its own page from the server).
#[must_use]
pub fn held_slot() -> Option<Slot> {
    match HELD_IN.load(Ordering::Acquire) {
        0 => None,
        slot => Some(Slot(slot)),
    }
}

/// Our signal page, mapping it first if needed (one question to the process server the first
/// time a process touches signal state, none afterwards).
///
/// # Errors
/// `ENOSYS` when this process is not registered with a process server; `ENOMEM` when it cannot
/// be mapped.
pub fn page() -> Result<&'static SignalPage, Errno> {
    if !MAPPED.load(Ordering::Acquire) {
        map_page()?;
    }
    // SAFETY: the page is mapped read-write at this address for the rest of the process's life
    // (nothing unmaps it), and every field is an atomic, valid for any bits.
    Ok(unsafe { &*(SIGNAL_PAGE_ADDRESS as *const SignalPage) })
}

/// Set while `fork` builds a child: the child's copy of our memory says "mapped" before the
/// child has mapped its own page, so the paths that may run in it before then (the exception
/// upcall, `deliver_pending`) must not touch the page.
static FORKING: AtomicBool = AtomicBool::new(false);

/// The forking thread's mask, which the child (its only thread) starts with.
static FORKING_MASK: AtomicU64 = AtomicU64::new(0);

/// `fork` is about to snapshot our memory (`true`), or is done in the parent (`false`).
pub(crate) fn set_forking(forking: bool) {
    if forking {
        let mask = thread_page_if_mapped().map_or(0, |page| page.blocked.load(Ordering::Acquire));
        FORKING_MASK.store(mask, Ordering::Release);
    }
    FORKING.store(forking, Ordering::Release);
}

/// Our signal page if it is mapped and usable here, without asking for it.
#[must_use]
pub fn page_if_mapped() -> Option<&'static SignalPage> {
    if FORKING.load(Ordering::Acquire) {
        return None;
    }
    page_for_trampoline()
}

/// The calling thread's own signal page — its mask, the signals sent to it alone, its register
/// save area and alternate stack — if the process's page is mapped and usable here: the
/// process's page itself on the main thread; `None` on a thread that has no page yet.
#[must_use]
pub fn thread_page_if_mapped() -> Option<&'static SignalPage> {
    let process = page_if_mapped()?;
    own_page(process)
}

/// [`thread_page_if_mapped`] for the trampoline (see [`page_for_trampoline`]).
#[must_use]
pub fn thread_page_for_trampoline() -> Option<&'static SignalPage> {
    let process = page_for_trampoline()?;
    own_page(process)
}

fn own_page(process: &'static SignalPage) -> Option<&'static SignalPage> {
    if crate::thread::is_main_thread() {
        return Some(process);
    }
    match crate::thread::own_signal_page() {
        0 => None,
        // SAFETY: the thread's page stays mapped at this address until the thread has ended
        // (`thread::start::release_resources`); every field is an atomic.
        address => Some(unsafe { &*(address as *const SignalPage) }),
    }
}

/// The calling thread's own signal page, mapping the process's and the thread's first if
/// needed (a thread made before the process used signals gets its page from the server now,
/// with an empty mask, as its mask has been so far).
///
/// # Errors
/// As [`page`].
pub fn thread_page() -> Result<&'static SignalPage, Errno> {
    let process = page()?;
    if let Some(page) = own_page(process) {
        return Ok(page);
    }
    crate::thread::map_own_signal_page().map_err(|_| Errno::ENOMEM)?;
    own_page(process).ok_or(Errno::ENOMEM)
}

/// Our signal page if it is mapped, for the trampoline: the server only enters it through a
/// page that names the trampoline, so the page is mapped whenever it runs.
#[must_use]
pub fn page_for_trampoline() -> Option<&'static SignalPage> {
    if MAPPED.load(Ordering::Acquire) {
        // SAFETY: as in `page`.
        Some(unsafe { &*(SIGNAL_PAGE_ADDRESS as *const SignalPage) })
    } else {
        None
    }
}

fn map_page() -> Result<(), Errno> {
    let held = call(Call::CapabilityIdentify {
        slot: SIGNAL_PAGE_SLOT,
    });
    let slot = match held {
        Ok(words) if words[0] == ObjectKind::Frame as u64 => SIGNAL_PAGE_SLOT,
        held => {
            // Slot 8 is ours unless a program put something else there (a test granting pipe
            // ends to a child, say): then any free slot does — the server hands out the same
            // page again after `execve` when it is not found at slot 8.
            let slot = if held.is_err() {
                SIGNAL_PAGE_SLOT
            } else {
                crate::slots::allocate().ok_or(Errno::ENOMEM)?
            };
            let reply = call(Call::IpcCall {
                endpoint: crate::process::identity::PROCESS_SERVER,
                word0: protocol::SIGNAL_PAGE,
                word1: 0,
                word2: 0,
                transfer: OptionalSlot(None),
                receive: OptionalSlot(Some(slot)),
            })
            .map_err(|error| match error {
                KernelError::OutOfMemory => Errno::ENOMEM,
                _ => Errno::ENOSYS,
            })?;
            if reply[1] != 0 {
                return Err(Errno::from_raw(reply[1] as i32).unwrap_or(Errno::ENOSYS));
            }
            if reply[0] == 0 {
                return Err(Errno::ENOSYS);
            }
            slot
        }
    };
    crate::memory::map(
        exokernel_abi::initial::SELF_ADDRESS_SPACE,
        slot,
        SIGNAL_PAGE_ADDRESS,
        0,
        1,
        Rights::READ | Rights::WRITE,
    )
    .map_err(|_| Errno::ENOMEM)?;
    HELD_IN.store(slot.0, Ordering::Release);
    MAPPED.store(true, Ordering::Release);
    // SAFETY: just mapped, as in `page`.
    let page = unsafe { &*(SIGNAL_PAGE_ADDRESS as *const SignalPage) };
    page.entry_busy.store(0, Ordering::Release);
    // A new image (after `execve`, or a spawned program) starts with what the page says:
    // ignored signals stay ignored; caught ones were reset to the default before it ran.
    let ignored = page.ignored.load(Ordering::Acquire);
    for signal in 1..=64 {
        if ignored & bit(signal) != 0 {
            super::action::action(signal)
                .handler
                .store(libposix_sys::signal::SIG_IGN, Ordering::Release);
        }
    }
    let upcall_stack = crate::process::copy_on_write::PRIVATE_AREA;
    page.no_entry_base.store(upcall_stack, Ordering::Release);
    page.no_entry_end.store(
        crate::process::copy_on_write::stack_top(),
        Ordering::Release,
    );
    page.trampoline
        .store(super::delivery::trampoline_address(), Ordering::Release);
    Ok(())
}

/// The child side of `fork`: the parent's page is not ours (fork neither maps nor copies it);
/// the server made the child its own copy, which we map now if the parent had one, so that
/// handlers the child inherited can be entered.
pub(crate) fn remap_after_fork() {
    if MAPPED.swap(false, Ordering::AcqRel) {
        FORKING.store(false, Ordering::Release);
        // Fork did not copy the parent's capability: that slot is empty (or free) here.
        HELD_IN.store(0, Ordering::Release);
        if map_page().is_ok() {
            // The server copied the main thread's mask; the child's one thread is the one that
            // forked.
            // SAFETY: as in `page`: just mapped.
            let page = unsafe { &*(SIGNAL_PAGE_ADDRESS as *const SignalPage) };
            page.blocked
                .store(FORKING_MASK.load(Ordering::Acquire), Ordering::Release);
        }
        super::delivery::deliver_pending();
    }
    FORKING.store(false, Ordering::Release);
}

/// Before `execve` replaces the image: caught signals go back to their default action (the
/// handlers are gone with the image), ignored ones and the mask stay. Returns what to restore
/// if the exec fails.
pub(crate) fn reset_for_exec() -> Option<(u64, u64)> {
    let page = page_if_mapped()?;
    let caught = page.caught.swap(0, Ordering::AcqRel);
    let trampoline = page.trampoline.swap(0, Ordering::AcqRel);
    Some((caught, trampoline))
}

/// Undoes [`reset_for_exec`] after a failed exec.
pub(crate) fn restore_after_failed_exec(saved: Option<(u64, u64)>) {
    if let (Some(page), Some((caught, trampoline))) = (page_if_mapped(), saved) {
        page.caught.store(caught, Ordering::Release);
        page.trampoline.store(trampoline, Ordering::Release);
    }
}
