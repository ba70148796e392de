//! `ioctl` on descriptors, and the terminal calls built on it (`tcgetattr`, `tcsetattr`,
//! `isatty`).
//!
//! The request is a typed [`Request`] rather than a number and an untyped pointer: each
//! carries the reference its Linux request reads or writes, so the native API needs no
//! `unsafe`; a Linux-personality entry maps numbers and pointers onto it.

use libposix_sys::errno::Errno;
use libposix_sys::termios::{
    TCIFLUSH, TCIOFLUSH, TCOFLUSH, TCSADRAIN, TCSAFLUSH, TCSANOW, Termios, Winsize,
};

use super::description::Backend;
use super::terminal;
use crate::process::protocol;

/// An `ioctl` request with its argument.
#[derive(Debug)]
pub enum Request<'a> {
    /// `TCGETS`: the terminal attributes.
    GetAttributes(&'a mut Termios),
    /// `TCSETS` (`TCSANOW`), `TCSETSW` (`TCSADRAIN`), `TCSETSF` (`TCSAFLUSH`): set them.
    SetAttributes(i32, &'a Termios),
    /// `TIOCGWINSZ`: the window size.
    GetWindowSize(&'a mut Winsize),
    /// `TIOCSWINSZ`: set the window size.
    SetWindowSize(&'a Winsize),
    /// `FIONREAD`: bytes a read could take now (terminals and pipes).
    BytesAvailable(&'a mut i32),
    /// `TCFLSH` (`tcflush`): discard typed input not yet read (`TCIFLUSH`), written output not
    /// yet sent (`TCOFLUSH`: there never is any, writes are synchronous), or both (`TCIOFLUSH`).
    Flush(i32),
    /// `TCSBRK` with a non-zero argument (`tcdrain`): wait until output is sent — at once, as
    /// writes are synchronous.
    Drain,
    /// `TIOCGPGRP` (`tcgetpgrp`): the foreground process group.
    GetForegroundGroup(&'a mut i32),
    /// `TIOCSPGRP` (`tcsetpgrp`): make a group of our session the foreground one.
    SetForegroundGroup(&'a i32),
    /// `TIOCSCTTY`: make the terminal our session's controlling terminal (the argument: 1 lets
    /// a privileged caller take it from another session).
    SetControllingTerminal(i32),
    /// `TIOCGSID` (`tcgetsid`): the session the terminal controls.
    GetSession(&'a mut i32),
}

/// `ioctl`: applies `request` to `fd`. Returns 0.
///
/// # Errors
/// `EBADF` (not open), `ENOTTY` (the request does not apply to what `fd` names), `EINVAL` (a
/// bad `tcsetattr` action), `EIO`.
pub fn ioctl(fd: i32, request: Request<'_>) -> Result<i32, Errno> {
    let description = super::descriptors::description(fd)?;
    match (description.backend(), request) {
        (Backend::Device(device), request) if device.is_terminal() => terminal_request(request),
        (Backend::Pipe(end), Request::BytesAvailable(count)) => {
            *count = i32::try_from(end.available()?).unwrap_or(i32::MAX);
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}

fn terminal_request(request: Request<'_>) -> Result<i32, Errno> {
    match request {
        Request::GetAttributes(settings) => *settings = terminal::attributes(),
        Request::SetAttributes(action, settings) => terminal::set_attributes(action, settings)?,
        Request::GetWindowSize(window) => *window = terminal::window(),
        Request::SetWindowSize(window) => terminal::set_window(window),
        Request::BytesAvailable(count) => {
            *count = i32::try_from(terminal::available()?).unwrap_or(i32::MAX);
        }
        Request::Flush(queue) => match queue {
            TCIFLUSH | TCIOFLUSH => terminal::flush_input()?,
            TCOFLUSH => {}
            _ => return Err(Errno::EINVAL),
        },
        Request::Drain => {}
        Request::GetForegroundGroup(group) => {
            *group = terminal_call(protocol::GET_FOREGROUND, 0)?;
        }
        Request::SetForegroundGroup(group) => set_foreground_group(*group)?,
        Request::SetControllingTerminal(steal) => {
            terminal_call(protocol::SET_CONTROLLING_TERMINAL, steal as u32 as u64)?;
        }
        Request::GetSession(session) => {
            *session = terminal_call(protocol::GET_TERMINAL_SESSION, 0)?;
        }
    }
    Ok(0)
}

/// A call about the controlling terminal to the process server, which owns the terminal's
/// session and foreground group. `ENOTTY` without one (no process server, or none that knows
/// a terminal).
fn terminal_call(operation: u64, word: u64) -> Result<i32, Errno> {
    match crate::process::identity::request(operation, [word, 0], None, None) {
        Ok([answer, _]) => Ok(answer as i32),
        Err(Errno::ENOSYS) => Err(Errno::ENOTTY),
        Err(error) => Err(error),
    }
}

/// Makes `group` the terminal's foreground process group (`tcsetpgrp` without the descriptor:
/// this system has one terminal).
///
/// # Errors
/// `ENOTTY` (not our controlling terminal), `EINVAL`, `EPERM` (no such group in our session),
/// `EINTR` (we are in a background group: `SIGTTOU` was sent).
pub fn set_foreground_group(group: i32) -> Result<(), Errno> {
    if group < 0 {
        return Err(Errno::EINVAL);
    }
    terminal_call(protocol::SET_FOREGROUND, group as u64).map(|_| ())
}

/// `tcgetpgrp`: the foreground process group of the terminal `fd` names.
///
/// # Errors
/// `EBADF`, `ENOTTY` (not a terminal, or not our controlling terminal).
pub fn tcgetpgrp(fd: i32) -> Result<i32, Errno> {
    let mut group = 0;
    ioctl(fd, Request::GetForegroundGroup(&mut group))?;
    Ok(group)
}

/// `tcsetpgrp`: makes `group` (of our session) the foreground group of the terminal `fd` names.
///
/// # Errors
/// `EBADF`, `ENOTTY`, `EINVAL` (a negative group), `EPERM` (no such group in our session),
/// `EINTR` (called from a background group that does not block or ignore `SIGTTOU`).
pub fn tcsetpgrp(fd: i32, group: i32) -> Result<(), Errno> {
    ioctl(fd, Request::SetForegroundGroup(&group)).map(|_| ())
}

/// `tcgetsid`: the session whose controlling terminal `fd` names.
///
/// # Errors
/// `EBADF`, `ENOTTY`.
pub fn tcgetsid(fd: i32) -> Result<i32, Errno> {
    let mut session = 0;
    ioctl(fd, Request::GetSession(&mut session))?;
    Ok(session)
}

/// `tcgetattr`: the attributes of the terminal `fd` names.
///
/// # Errors
/// `EBADF`, `ENOTTY`.
pub fn tcgetattr(fd: i32) -> Result<Termios, Errno> {
    let mut settings = Termios::default();
    ioctl(fd, Request::GetAttributes(&mut settings))?;
    Ok(settings)
}

/// `tcsetattr`: sets them, `TCSANOW`, `TCSADRAIN` or `TCSAFLUSH`.
///
/// # Errors
/// `EBADF`, `ENOTTY`, `EINVAL` (another action).
pub fn tcsetattr(fd: i32, action: i32, settings: &Termios) -> Result<(), Errno> {
    if ![TCSANOW, TCSADRAIN, TCSAFLUSH].contains(&action) {
        // Checked before the descriptor, as glibc does.
        return Err(Errno::EINVAL);
    }
    ioctl(fd, Request::SetAttributes(action, settings)).map(|_| ())
}

/// `tcflush`: discards input, output or both (`TCIFLUSH`, `TCOFLUSH`, `TCIOFLUSH`).
///
/// # Errors
/// `EBADF`, `ENOTTY`, `EINVAL` (another queue).
pub fn tcflush(fd: i32, queue: i32) -> Result<(), Errno> {
    ioctl(fd, Request::Flush(queue)).map(|_| ())
}

/// `tcdrain`: waits until written output is sent (it always has been).
///
/// # Errors
/// `EBADF`, `ENOTTY`.
pub fn tcdrain(fd: i32) -> Result<(), Errno> {
    ioctl(fd, Request::Drain).map(|_| ())
}

/// `isatty`: whether `fd` names a terminal.
///
/// # Errors
/// `EBADF` (not open), `ENOTTY` (open, not a terminal) — where C's `isatty` returns 0 and sets
/// `errno`.
pub fn isatty(fd: i32) -> Result<(), Errno> {
    tcgetattr(fd).map(|_| ())
}
