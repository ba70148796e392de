//! The terminal behind `/dev/console`, `/dev/tty` and descriptors 0–2: the line discipline
//! (the `line-discipline` crate: canonical and raw modes, echo, editing, signal characters)
//! over the kernel console.
//!
//! With a terminal server (`apps/tty-server`; this process holds a capability to it at
//! `well_known_slots::TERMINAL_SERVER`), the discipline's state is the server's, shared by
//! every process on the terminal: a read is one call (`terminal_protocol::READ`, the bytes in a
//! page this process handed the server on its first use), and a read that must wait sleeps on a
//! notification the server signals when input arrives. The server decides job control (a
//! background reader gets `SIGTTIN`) and sends `^C`, `^\`, `^Z` to the foreground group.
//!
//! Without one (the servers `init` starts before it, programs booted without it), the
//! discipline is this process's own, over `ConsoleRead`/`ConsoleNotify` as below, and signal
//! characters signal the reading process itself.
//!
//! Output is a direct `ConsoleWrite` after the discipline's output processing (`OPOST` with
//! `ONLCR`, `OCRNL`), in the writing process: no server round trip. With a server, the output
//! flags are those this process last read or set (the defaults otherwise).

use alloc::vec::Vec;

use exokernel_abi::{Call, KernelError, Slot, UserAddress, initial};
use libposix_sys::errno::Errno;
use libposix_sys::termios::{TCSADRAIN, TCSAFLUSH, TCSANOW, Termios, Winsize};
use line_discipline::{LineDiscipline, ReadOutcome, Signal};

use super::terminal_client::{self as client, request, served};
use super::terminal_protocol as protocol;
use crate::kernel::call;

/// This process's view of the terminal.
static TERMINAL: spin::Mutex<LineDiscipline> = spin::Mutex::new(LineDiscipline::new());

/// Typed bytes taken in so far: the activity count edge-triggered `epoll` compares.
static INPUT_ACTIVITY: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// This process's notification for console input, created on the first blocking read.
static CONSOLE_INPUT: spin::Mutex<Option<Slot>> = spin::Mutex::new(None);

/// How long a blocked read waits before binding console input to itself again: the kernel
/// tells one binder, the latest, so a reader that another process displaced picks the input up
/// again within this time. A reader that holds the binding wakes at once.
const RECHECK_NANOSECONDS: u64 = 1_000_000_000;
const NANOSECONDS_PER_TENTH: u64 = 100_000_000;
/// The most bytes taken from the kernel at once (its `ConsoleRead` limit).
const PULL_BYTES: usize = 256;

/// Reads from the terminal: a line in canonical mode (0 at end of file), else by
/// `VMIN`/`VTIME`.
///
/// # Errors
/// `EAGAIN` (nonblocking, nothing to read), `EINTR`, `EIO`.
pub fn read(buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
    if let Some(result) = served(|| {
        let wake = console_input_notification(false)?;
        client::read(buffer, nonblocking, wake)
    }) {
        return result;
    }
    let started = crate::clock::clock_monotonic();
    let epoch = crate::signal::delivery::Epoch::now();
    let mut last_arrival = started;
    loop {
        if pull_input(buffer.len())? {
            last_arrival = crate::clock::clock_monotonic();
        }
        let now = crate::clock::clock_monotonic();
        let mut terminal = TERMINAL.lock();
        let since = if terminal.available() > 0 {
            last_arrival
        } else {
            started
        };
        let waited_tenths = now.saturating_sub(since) / NANOSECONDS_PER_TENTH;
        if terminal.read_satisfied(buffer.len(), waited_tenths) {
            return match terminal.read(buffer) {
                ReadOutcome::Bytes(count) => Ok(count),
                ReadOutcome::EndOfFile | ReadOutcome::Empty => Ok(0),
            };
        }
        if nonblocking {
            return Err(Errno::EAGAIN);
        }
        let timeout_tenths = terminal.read_timeout_tenths();
        drop(terminal);
        let timeout = if timeout_tenths == 0 {
            RECHECK_NANOSECONDS
        } else {
            let deadline = since + timeout_tenths * NANOSECONDS_PER_TENTH;
            deadline.saturating_sub(now).clamp(1, RECHECK_NANOSECONDS)
        };
        // A handler ends the read (`EINTR`) unless it had `SA_RESTART`, as on Linux.
        crate::signal::restart::interrupted_since(epoch)?;
        crate::signal::restart::after_sleep(epoch, wait_for_console_input(timeout))?;
    }
}

/// Writes to the terminal; returns the bytes written.
pub fn write(bytes: &[u8]) -> usize {
    let mut processed = Vec::with_capacity(bytes.len() + bytes.len() / 8);
    if let Some(Ok((settings, _))) = served(client::settings) {
        // The output flags are the terminal's, as the server last published them.
        let mut discipline = LineDiscipline::new();
        discipline.set_settings(settings, false);
        discipline.process_output(bytes, &mut processed);
        crate::console::write_raw(&processed);
        return bytes.len();
    }
    TERMINAL.lock().process_output(bytes, &mut processed);
    crate::console::write_raw(&processed);
    bytes.len()
}

/// The attributes (`tcgetattr`, `TCGETS`).
#[must_use]
pub fn attributes() -> Termios {
    if let Some(Ok((settings, _))) = served(client::settings) {
        return settings;
    }
    TERMINAL.lock().settings()
}

/// Sets the attributes (`tcsetattr`): `TCSANOW` and `TCSADRAIN` (output is written
/// synchronously, so it has always drained) apply them, `TCSAFLUSH` also discards typed input
/// nobody read (that still in the kernel's UART included).
///
/// # Errors
/// `EINVAL` for another `action`; `EIO`.
pub fn set_attributes(action: i32, settings: &Termios) -> Result<(), Errno> {
    let flush = match action {
        TCSANOW | TCSADRAIN => false,
        TCSAFLUSH => true,
        _ => return Err(Errno::EINVAL),
    };
    if let Some(result) = served(|| client::set_attributes(action, settings)) {
        return result;
    }
    if flush {
        discard_kernel_input()?;
    }
    TERMINAL.lock().set_settings(*settings, flush);
    Ok(())
}

/// Discards typed input nobody read, that still in the kernel's UART included (`TCIFLUSH`).
///
/// # Errors
/// `EIO`.
pub fn flush_input() -> Result<(), Errno> {
    if let Some(result) = served(|| request(protocol::FLUSH_INPUT, 0, 0, None).map(|_| ())) {
        return result;
    }
    discard_kernel_input()?;
    TERMINAL.lock().flush_input();
    Ok(())
}

fn discard_kernel_input() -> Result<(), Errno> {
    let mut discard = [0u8; PULL_BYTES];
    while read_kernel_input(&mut discard)? > 0 {}
    Ok(())
}

/// The window size (`TIOCGWINSZ`).
#[must_use]
pub fn window() -> Winsize {
    if let Some(Ok((_, window))) = served(client::settings) {
        return window;
    }
    TERMINAL.lock().window()
}

/// Sets the window size (`TIOCSWINSZ`).
pub fn set_window(window: &Winsize) {
    let word = protocol::window_to_word(window);
    if served(|| request(protocol::SET_WINDOW, word, 0, None)).is_some() {
        return;
    }
    TERMINAL.lock().set_window(*window);
}

/// Bytes a read could take now (`FIONREAD`), after taking what the kernel holds.
///
/// # Errors
/// `EIO`.
pub fn available() -> Result<usize, Errno> {
    if let Some(reply) = served(client::status) {
        return reply.map(|(available, _)| available);
    }
    pull_input(PULL_BYTES)?;
    Ok(TERMINAL.lock().available())
}

/// Readiness for `poll`/`select`/`epoll`: whether a read would return without waiting (see
/// `LineDiscipline::poll_readable`), taking typed bytes in as a read would. Writes are always
/// ready: they are synchronous.
///
/// # Errors
/// `EIO`.
pub fn read_ready() -> Result<bool, Errno> {
    if let Some(reply) = served(client::status) {
        return reply.map(|(_, readable)| readable);
    }
    let request = TERMINAL.lock().poll_request();
    pull_input(request)?;
    Ok(TERMINAL.lock().poll_readable())
}

/// Typed bytes taken in so far (grows when input arrives; for edge-triggered `epoll`).
#[must_use]
pub fn input_activity() -> u64 {
    if let Some(activity) = served(client::activity) {
        return activity;
    }
    INPUT_ACTIVITY.load(core::sync::atomic::Ordering::Relaxed)
}

/// For a poller that waits on its own notification for several descriptors: asks the kernel to
/// signal `notification` (its badge, or `bits`) when console input arrives — at once if some is
/// waiting. The console has one binding, the latest, so bind again before each wait (and check
/// [`read_ready`] after binding, so no input slips between the check and the wait).
///
/// # Errors
/// `EIO` (the console or the notification capability is unusable).
pub fn notify_input(notification: Slot, bits: u64) -> Result<(), Errno> {
    if let Some(result) = served(|| client::watch(notification, bits)) {
        return result;
    }
    call(Call::ConsoleNotify {
        console: initial::CONSOLE,
        notification,
        bits,
    })
    .map(|_| ())
    .map_err(|_| Errno::EIO)
}

/// Takes bytes waiting in the kernel into the discipline — only as many as a read of
/// `requested` bytes needs, so type-ahead stays in the kernel for whoever reads next (this
/// process's discipline is its own) — echoing them and sending the signals they raise.
/// Returns whether any came.
fn pull_input(requested: usize) -> Result<bool, Errno> {
    let mut arrived = false;
    loop {
        let wanted = TERMINAL.lock().input_wanted(requested).min(PULL_BYTES);
        if wanted == 0 {
            return Ok(arrived);
        }
        let mut bytes = [0u8; PULL_BYTES];
        let count = read_kernel_input(&mut bytes[..wanted])?;
        if count == 0 {
            return Ok(arrived);
        }
        arrived = true;
        INPUT_ACTIVITY.fetch_add(count as u64, core::sync::atomic::Ordering::Relaxed);
        let mut echo = Vec::new();
        let mut processed = Vec::new();
        let signals = {
            let mut terminal = TERMINAL.lock();
            let signals = terminal.receive(&bytes[..count], &mut echo);
            terminal.process_output(&echo, &mut processed);
            signals
        };
        if !processed.is_empty() {
            crate::console::write_raw(&processed);
        }
        send_signals(&signals);
    }
}

/// Sends the signals typed at the terminal. Until the terminal has a foreground process group,
/// to the reading process (its stand-in); `SIGTSTP` stops it.
fn send_signals(signals: &[Signal]) {
    for signal in signals {
        if let Ok(pid) = crate::process::identity::getpid() {
            let _ = crate::signal::kill(pid, signal.number());
        }
    }
}

/// The bytes that have arrived at the console, without waiting (one kernel call).
fn read_kernel_input(buffer: &mut [u8]) -> Result<usize, Errno> {
    let words = call(Call::ConsoleRead {
        console: initial::CONSOLE,
        buffer: UserAddress(buffer.as_mut_ptr() as u64),
        length: buffer.len() as u64,
    })
    .map_err(|_| Errno::EIO)?;
    Ok((words[0] as usize).min(buffer.len()))
}

/// Blocks until console input arrives or `timeout` nanoseconds pass (the kernel signals the
/// notification bound with `ConsoleNotify`; binding again before each wait costs one call,
/// only when about to block: an idle blocked reader makes three calls a second — look, bind,
/// wait — where polling every 10 ms made two hundred).
fn wait_for_console_input(timeout: u64) -> Result<(), Errno> {
    let mut notification = console_input_notification(false)?;
    if notify_input(notification, 1).is_err() {
        // A fork child inherits the slot number but maybe not the capability: make a new one.
        notification = console_input_notification(true)?;
        notify_input(notification, 1)?;
    }
    match call(Call::NotificationWait {
        notification,
        timeout,
    }) {
        Ok(_) | Err(KernelError::TimedOut) => Ok(()),
        Err(KernelError::Interrupted) => Err(Errno::EINTR),
        Err(_) => Err(Errno::EIO),
    }
}

/// The notification console input signals, created once per process (again when `renew`: the
/// one held is unusable).
fn console_input_notification(renew: bool) -> Result<Slot, Errno> {
    let mut held = CONSOLE_INPUT.lock();
    match *held {
        Some(slot) if !renew => return Ok(slot),
        Some(slot) => {
            let _ = call(Call::CapabilityDelete { slot });
            crate::slots::free(slot);
            *held = None;
        }
        None => {}
    }
    let slot = crate::slots::allocate().ok_or(Errno::EMFILE)?;
    if let Err(error) = call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: slot,
    }) {
        crate::slots::free(slot);
        return Err(match error {
            KernelError::QuotaExhausted | KernelError::OutOfMemory => Errno::ENOMEM,
            _ => Errno::EIO,
        });
    }
    *held = Some(slot);
    Ok(slot)
}
