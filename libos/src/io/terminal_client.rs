//! This process's connection to the terminal server (`apps/tty-server`,
//! `super::terminal_protocol`): made on the first terminal read or control call — a page of
//! ours handed to the server for the bytes — and made again in a `fork` child (the parent's
//! page stays the parent's) and after `execve` (a new LibOS).

use exokernel_abi::{Call, KernelError, ObjectKind, OptionalSlot, PageCount, Slot, initial};
use libposix_sys::errno::Errno;
use libposix_sys::termios::Termios;

use super::terminal_protocol::{self as protocol, BUFFER_BYTES, NONBLOCKING, TERMINAL_SERVER};
use crate::kernel::call;
use crate::shared_window::SharedWindow;

/// How long a blocked read sleeps before asking again (a lost wake-up costs at most this).
const RECHECK_NANOSECONDS: u64 = 1_000_000_000;

/// Where the server's settings page is mapped (read-only), after the reparent-epoch page.
pub const SETTINGS_PAGE_ADDRESS: u64 = crate::runtime::clock::TIME_PAGE_ADDRESS + 0x2000;

/// Whether the settings page is mapped (a fork child inherits the mapping and this flag).
static SETTINGS_MAPPED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

enum Connection {
    /// Not tried yet.
    Unknown,
    /// No terminal server: the LibOS's own discipline serves.
    Absent,
    /// Connected as `pid`, with our page and the notification the server wakes.
    Connected {
        pid: i32,
        frame: Slot,
        window: SharedWindow,
        watching: Option<(Slot, u64)>,
    },
}

static CONNECTION: spin::Mutex<Connection> = spin::Mutex::new(Connection::Unknown);

/// Held from a `READ` (or `tcsetattr`) to the copy out of (or into) our page: threads share the
/// page.
static PAGE_IN_USE: spin::Mutex<()> = spin::Mutex::new(());

/// Typed bytes the server had taken in at our last status call (edge-triggered `epoll`).
static ACTIVITY: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Runs `operation` when this process reaches a terminal server (connecting first if needed);
/// `None` when it has none, so the caller uses its own discipline.
pub(super) fn served<T>(operation: impl FnOnce() -> T) -> Option<T> {
    let pid = crate::process::identity::getpid().ok()?;
    {
        let mut connection = CONNECTION.lock();
        match &*connection {
            Connection::Absent => return None,
            Connection::Connected { pid: ours, .. } if *ours == pid => {}
            _ => {
                // A fork child holds its parent's page and the slot of its parent's copy.
                if let Connection::Connected { frame, .. } =
                    core::mem::replace(&mut *connection, Connection::Unknown)
                {
                    let _ = call(Call::CapabilityDelete { slot: frame });
                    crate::slots::free(frame);
                }
                *connection = connect(pid).unwrap_or(Connection::Absent);
                if matches!(*connection, Connection::Absent) {
                    return None;
                }
            }
        }
    }
    Some(operation())
}

/// Hands the server a page of ours: `None` when there is no server to hand it to.
fn connect(pid: i32) -> Option<Connection> {
    let identity = call(Call::CapabilityIdentify {
        slot: TERMINAL_SERVER,
    })
    .ok()?;
    if identity[0] != ObjectKind::Endpoint as u64 {
        return None;
    }
    let frame = crate::slots::allocate()?;
    let made = call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: frame,
        pages: PageCount(1),
    });
    let window = made.ok().and_then(|_| SharedWindow::map(frame, 1).ok());
    let page = crate::slots::allocate();
    let connected = window.is_some()
        && page.is_some()
        && call(Call::IpcCall {
            endpoint: TERMINAL_SERVER,
            word0: protocol::CONNECT,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(Some(frame)),
            receive: OptionalSlot(page),
        })
        .is_ok_and(|words| words[1] == 0);
    if let Some(page) = page {
        if connected && !SETTINGS_MAPPED.load(core::sync::atomic::Ordering::Acquire) {
            let mapped = call(Call::Map {
                address_space: initial::SELF_ADDRESS_SPACE,
                frame: page,
                address: exokernel_abi::PageAddress(SETTINGS_PAGE_ADDRESS),
                first_page: 0,
                pages: PageCount(1),
                rights: exokernel_abi::Rights::READ,
            });
            SETTINGS_MAPPED.store(mapped.is_ok(), core::sync::atomic::Ordering::Release);
        }
        // The mapping keeps the page; a fork child keeps it mapped through its own copy.
        if !SETTINGS_MAPPED.load(core::sync::atomic::Ordering::Acquire) {
            let _ = call(Call::CapabilityDelete { slot: page });
            crate::slots::free(page);
        }
    }
    match window {
        Some(window) if connected => Some(Connection::Connected {
            pid,
            frame,
            window,
            watching: None,
        }),
        _ => {
            drop(window);
            let _ = call(Call::CapabilityDelete { slot: frame });
            crate::slots::free(frame);
            None
        }
    }
}

/// One call to the server: the reply's three words, or its errno.
pub(super) fn request(
    operation: u64,
    first: u64,
    second: u64,
    transfer: Option<Slot>,
) -> Result<[u64; 3], Errno> {
    let words = loop {
        match call(Call::IpcCall {
            endpoint: TERMINAL_SERVER,
            word0: operation,
            word1: first,
            word2: second,
            transfer: OptionalSlot(transfer),
            receive: OptionalSlot(None),
        }) {
            // Cut short by a signal while still queued (its handler has run): the server
            // never saw it, so sending it again is safe.
            Err(KernelError::Interrupted) => {}
            other => break other.map_err(|_| Errno::EIO)?,
        }
    };
    if words[1] != 0 {
        return Err(i32::try_from(words[1])
            .ok()
            .and_then(Errno::from_raw)
            .unwrap_or(Errno::EIO));
    }
    Ok([words[1], words[2], words[3]])
}

/// Runs `body` with our page.
fn with_window<T>(body: impl FnOnce(&SharedWindow) -> T) -> Result<T, Errno> {
    match &*CONNECTION.lock() {
        Connection::Connected { window, .. } => Ok(body(window)),
        _ => Err(Errno::EIO),
    }
}

/// Asks the server to signal `notification` with `bits` when input arrives (kept until
/// replaced; asked again only when it changes).
pub(super) fn watch(notification: Slot, bits: u64) -> Result<(), Errno> {
    if let Connection::Connected { watching, .. } = &*CONNECTION.lock()
        && *watching == Some((notification, bits))
    {
        return Ok(());
    }
    request(protocol::WATCH, bits, 0, Some(notification))?;
    if let Connection::Connected { watching, .. } = &mut *CONNECTION.lock() {
        *watching = Some((notification, bits));
    }
    Ok(())
}

/// One `READ`: the count copied into `buffer`, or (`Err(Ok(nanoseconds))`) that it must wait
/// for input — at most that long when not 0.
fn read_once(
    buffer: &mut [u8],
    request_word: u64,
    started: u64,
) -> Result<usize, Result<u64, Errno>> {
    let _page = PAGE_IN_USE.lock();
    let words = call(Call::IpcCall {
        endpoint: TERMINAL_SERVER,
        word0: protocol::READ,
        word1: request_word,
        word2: started,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map_err(|error| {
        Err(match error {
            KernelError::Interrupted => Errno::EINTR,
            _ => Errno::EIO,
        })
    })?;
    match i32::try_from(words[1]).ok() {
        Some(0) => {
            let count = (words[2] as usize).min(buffer.len());
            match with_window(|window| window.copy_out(0, &mut buffer[..count])) {
                Ok(true) => Ok(count),
                Ok(false) => Err(Err(Errno::EIO)),
                Err(error) => Err(Err(error)),
            }
        }
        Some(raw) if raw == Errno::EAGAIN.as_raw() => Err(Ok(words[2])),
        raw => Err(Err(raw.and_then(Errno::from_raw).unwrap_or(Errno::EIO))),
    }
}

/// A read through the server: one call when input is there; otherwise sleeps on `wake`
/// (signalled by the server when input arrives) and asks again.
pub(super) fn read(buffer: &mut [u8], nonblocking: bool, wake: Slot) -> Result<usize, Errno> {
    let started = crate::clock::clock_monotonic();
    let epoch = crate::signal::delivery::Epoch::now();
    let wanted = buffer.len().min(BUFFER_BYTES) as u64;
    let flags = if nonblocking { NONBLOCKING } else { 0 };
    let mut watched = false;
    loop {
        match read_once(buffer, wanted | flags, started) {
            Ok(count) => return Ok(count),
            Err(Ok(_)) if nonblocking => return Err(Errno::EAGAIN),
            Err(Ok(_)) if !watched => {
                // Asked again after watching, so input that came in between is not slept on.
                watch(wake, 1)?;
                watched = true;
            }
            Err(Ok(limit)) => {
                let timeout = if limit == 0 {
                    RECHECK_NANOSECONDS
                } else {
                    limit.min(RECHECK_NANOSECONDS)
                };
                // A signal left pending by a forced entry that found us in a server call ends
                // the read here rather than after the next input.
                crate::signal::restart::interrupted_since(epoch)?;
                match call(Call::NotificationWait {
                    notification: wake,
                    timeout,
                }) {
                    Ok(_) | Err(KernelError::TimedOut) => {}
                    Err(KernelError::Interrupted) => {
                        crate::signal::restart::interrupted_since(epoch)?;
                    }
                    Err(_) => return Err(Errno::EIO),
                }
            }
            // A background reader: its group was sent SIGTTIN (a stop takes effect with the
            // reply). A handler without SA_RESTART ends the read; otherwise read again.
            Err(Err(Errno::EINTR)) => crate::signal::restart::interrupted_since(epoch)?,
            Err(Err(error)) => return Err(error),
        }
    }
}

/// The settings page's words, read consistently (the sequence count even and unchanged around
/// the copy); `None` while it is not mapped.
fn settings_words() -> Option<([u64; 5], u64)> {
    use core::sync::atomic::{AtomicU64, Ordering};
    if !SETTINGS_MAPPED.load(Ordering::Acquire) {
        return None;
    }
    let word = |index: usize| {
        // SAFETY: the page is mapped read-only at SETTINGS_PAGE_ADDRESS for the program's life
        // once SETTINGS_MAPPED is set (never unmapped; a fork child has the same mapping, exec
        // clears the flag with the image); the server writes these words atomically.
        unsafe { &*((SETTINGS_PAGE_ADDRESS + index as u64 * 8) as *const AtomicU64) }
    };
    loop {
        let before = word(protocol::SEQUENCE_WORD).load(Ordering::Acquire);
        let mut attributes = [0u64; 5];
        for (index, value) in attributes.iter_mut().enumerate() {
            *value = word(protocol::ATTRIBUTES_WORD + index).load(Ordering::Acquire);
        }
        let window = word(protocol::WINDOW_WORD).load(Ordering::Acquire);
        if before.is_multiple_of(2)
            && word(protocol::SEQUENCE_WORD).load(Ordering::Acquire) == before
        {
            return Some((attributes, window));
        }
        core::hint::spin_loop();
    }
}

/// The terminal's attributes and window size from the settings page (no kernel entry), or
/// asked of the server when it is not mapped.
pub(super) fn settings() -> Result<(Termios, libposix_sys::termios::Winsize), Errno> {
    if let Some((attributes, window)) = settings_words() {
        return Ok((
            protocol::attributes_from_words(&attributes),
            protocol::window_from_word(window),
        ));
    }
    let attributes = attributes()?;
    let window = request(protocol::GET_WINDOW, 0, 0, None)?;
    Ok((attributes, protocol::window_from_word(window[1])))
}

/// `tcgetattr` through the server.
fn attributes() -> Result<Termios, Errno> {
    let _page = PAGE_IN_USE.lock();
    request(protocol::GET_ATTRIBUTES, 0, 0, None)?;
    let mut bytes = [0u8; core::mem::size_of::<Termios>()];
    if !with_window(|window| window.copy_out(0, &mut bytes))? {
        return Err(Errno::EIO);
    }
    // SAFETY: `Termios` is `repr(C)` plain integers and bytes, valid for any bits.
    Ok(unsafe { core::ptr::read_unaligned(bytes.as_ptr().cast::<Termios>()) })
}

/// `tcsetattr` through the server.
pub(super) fn set_attributes(action: i32, settings: &Termios) -> Result<(), Errno> {
    // SAFETY: `Termios` is `repr(C)` with no padding, so all its bytes are initialised.
    let bytes = unsafe {
        core::slice::from_raw_parts(
            core::ptr::from_ref(settings).cast::<u8>(),
            core::mem::size_of::<Termios>(),
        )
    };
    let _page = PAGE_IN_USE.lock();
    if !with_window(|window| window.copy_in(0, bytes))? {
        return Err(Errno::EIO);
    }
    request(protocol::SET_ATTRIBUTES, action as u32 as u64, 0, None).map(|_| ())
}

/// `(FIONREAD, readable for poll)` through the server.
pub(super) fn status() -> Result<(usize, bool), Errno> {
    let reply = request(protocol::STATUS, 0, 0, None)?;
    ACTIVITY.store(reply[2] >> 1, core::sync::atomic::Ordering::Relaxed);
    Ok((reply[1] as usize, reply[2] & 1 != 0))
}

/// Typed bytes the server had taken in at our last status call.
pub(super) fn activity() -> u64 {
    ACTIVITY.load(core::sync::atomic::Ordering::Relaxed)
}
