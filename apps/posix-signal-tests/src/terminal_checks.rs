//! Job control at the terminal: the foreground process group (`tcgetpgrp`, `tcsetpgrp`,
//! `tcgetsid`), `TIOCSCTTY`, `SIGTTIN` for a background reader and `SIGTTOU` for a background
//! `tcsetpgrp`, decided by the process server (which owns the terminal's session and foreground
//! group) and the terminal server; and raw calls to both servers that try to act beyond the
//! caller's session. Each check leaves this program's group in the foreground.

use alloc::format;
use alloc::string::String;

use libos::abi::{Call, OptionalSlot, Slot, initial};
use libos::fs::open;
use libos::io::{Request, close, ioctl, read, tcgetattr, tcgetpgrp, tcgetsid, tcsetpgrp};
use libos::kernel::call;
use libos::process::identity::{PROCESS_SERVER, getpgrp, getsid, setpgid, setsid, waitpid};
use libos::process::protocol;
use libos::signal::{kill, sigprocmask};
use libos::test_protocol::{Check, CheckOutcome};
use libos::well_known_slots::TERMINAL_SERVER;
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::O_RDWR;
use libposix_sys::signal::{SIG_BLOCK, SIG_IGN, SIG_SETMASK, SIGKILL, SIGTTIN, SIGTTOU, SignalSet};
use libposix_sys::wait::{WIFSTOPPED, WSTOPSIG, WUNTRACED};

use crate::ensure;
use crate::support::{expect_exit, expect_signalled, in_child, set_plain, sleep_milliseconds};

/// Every terminal check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "tcgetpgrp:foreground-is-ours",
        covers: &["tcgetpgrp"],
        run: foreground_is_ours,
    },
    Check {
        name: "tcsetpgrp:group-of-our-session",
        covers: &["tcsetpgrp", "ioctl:TIOCSPGRP", "ioctl:TIOCGPGRP"],
        run: set_foreground,
    },
    Check {
        name: "tcsetpgrp:SIGTTOU-from-background",
        covers: &["tcsetpgrp:SIGTTOU"],
        run: background_tcsetpgrp,
    },
    Check {
        name: "read:SIGTTIN-from-background",
        covers: &["read:SIGTTIN", "read:EIO-SIGTTIN-ignored"],
        run: background_read,
    },
    Check {
        name: "ioctl:TIOCSCTTY-session-rules",
        covers: &["ioctl:TIOCSCTTY"],
        run: controlling_terminal,
    },
    Check {
        name: "tcsetpgrp:raw-calls-beyond-session-refused",
        covers: &["tcsetpgrp:EPERM-raw"],
        run: raw_calls_refused,
    },
];

fn failed(what: &str, error: Errno) -> String {
    format!("{what}: {error:?}")
}

/// Sets the foreground group with `SIGTTOU` blocked (as a job-control shell does when it takes
/// the terminal back from the background).
fn set_foreground_quietly(group: i32) -> Result<(), Errno> {
    let mut old = SignalSet::EMPTY;
    let _ = sigprocmask(
        SIG_BLOCK,
        Some(&SignalSet::EMPTY.with(SIGTTOU)),
        Some(&mut old),
    );
    let result = tcsetpgrp(0, group);
    let _ = sigprocmask(SIG_SETMASK, Some(&old), None);
    result
}

/// A forked child in a process group of its own that waits to be killed.
fn child_in_own_group() -> Result<i32, String> {
    let child = in_child(|| {
        let _ = setpgid(0, 0);
        loop {
            sleep_milliseconds(1000);
        }
    })?;
    // Either order works: whichever comes first makes the group.
    let _ = setpgid(child, child);
    Ok(child)
}

fn foreground_is_ours() -> CheckOutcome {
    let group = getpgrp().map_err(|e| failed("getpgrp", e))?;
    let foreground = tcgetpgrp(0).map_err(|e| failed("tcgetpgrp", e))?;
    ensure!(
        foreground == group,
        "the foreground group is {foreground}, ours {group}"
    );
    let session = tcgetsid(0).map_err(|e| failed("tcgetsid", e))?;
    let ours = getsid(0).map_err(|e| failed("getsid", e))?;
    ensure!(session == ours, "tcgetsid {session}, getsid {ours}");
    let null = open("/dev/null", O_RDWR, 0).map_err(|e| failed("open", e))?;
    let on_null = (tcgetpgrp(null), tcgetsid(null));
    let _ = close(null);
    ensure!(
        on_null == (Err(Errno::ENOTTY), Err(Errno::ENOTTY)),
        "/dev/null gave {on_null:?}"
    );
    Ok(())
}

fn set_foreground() -> CheckOutcome {
    let ours = getpgrp().map_err(|e| failed("getpgrp", e))?;
    let child = child_in_own_group()?;
    let given = tcsetpgrp(0, child);
    let seen = tcgetpgrp(0);
    // We are in the background now: taking the terminal back needs SIGTTOU blocked.
    let back = set_foreground_quietly(ours);
    let _ = kill(child, SIGKILL);
    expect_signalled(child, SIGKILL)?;
    ensure!(given.is_ok(), "tcsetpgrp to the child's group: {given:?}");
    ensure!(seen == Ok(child), "tcgetpgrp after it: {seen:?}");
    ensure!(back.is_ok(), "taking it back: {back:?}");
    ensure!(tcgetpgrp(0) == Ok(ours), "the foreground is not ours again");
    let errors = (tcsetpgrp(0, -1), tcsetpgrp(0, 999_999), tcsetpgrp(0, child));
    ensure!(
        errors == (Err(Errno::EINVAL), Err(Errno::EPERM), Err(Errno::EPERM)),
        "negative, unknown and ended groups gave {errors:?}"
    );
    let null = open("/dev/null", O_RDWR, 0).map_err(|e| failed("open", e))?;
    let on_null = tcsetpgrp(null, ours);
    let _ = close(null);
    ensure!(on_null == Err(Errno::ENOTTY), "/dev/null gave {on_null:?}");
    Ok(())
}

fn background_tcsetpgrp() -> CheckOutcome {
    let ours = getpgrp().map_err(|e| failed("getpgrp", e))?;
    // In the background with SIGTTOU at its default action: stopped by it.
    let stopped = in_child(|| {
        let _ = setpgid(0, 0);
        let group = getpgrp().unwrap_or(0);
        match tcsetpgrp(0, group) {
            Ok(()) => 3,
            Err(_) => 4,
        }
    })?;
    let _ = setpgid(stopped, stopped);
    let mut status = 0;
    let waited = waitpid(stopped, Some(&mut status), WUNTRACED);
    let _ = kill(stopped, SIGKILL);
    let _ = waitpid(stopped, None, 0);
    ensure!(
        waited == Ok(stopped) && WIFSTOPPED(status) && WSTOPSIG(status) == SIGTTOU,
        "the background tcsetpgrp gave {waited:?}, status {status:#x}"
    );
    ensure!(tcgetpgrp(0) == Ok(ours), "the foreground moved");
    // With SIGTTOU blocked it may: it takes the terminal and gives it back.
    let allowed = in_child(move || {
        let _ = setpgid(0, 0);
        let group = getpgrp().unwrap_or(0);
        let taken = set_foreground_quietly(group).is_ok() && tcgetpgrp(0) == Ok(group);
        let given_back = set_foreground_quietly(ours).is_ok();
        if taken && given_back { 0 } else { 1 }
    })?;
    let _ = setpgid(allowed, allowed);
    expect_exit(allowed, 0)?;
    ensure!(
        tcgetpgrp(0) == Ok(ours),
        "the foreground was not given back"
    );
    Ok(())
}

fn background_read() -> CheckOutcome {
    // A background reader is stopped by SIGTTIN before it takes a byte.
    let reader = in_child(|| {
        let _ = setpgid(0, 0);
        let mut byte = [0u8; 1];
        match read(0, &mut byte) {
            Ok(_) => 3,
            Err(_) => 4,
        }
    })?;
    let _ = setpgid(reader, reader);
    let mut status = 0;
    let waited = waitpid(reader, Some(&mut status), WUNTRACED);
    let _ = kill(reader, SIGKILL);
    let _ = waitpid(reader, None, 0);
    ensure!(
        waited == Ok(reader) && WIFSTOPPED(status) && WSTOPSIG(status) == SIGTTIN,
        "the background read gave {waited:?}, status {status:#x}"
    );
    // One that ignores SIGTTIN gets EIO instead.
    let ignoring = in_child(|| {
        set_plain(SIGTTIN, SIG_IGN);
        let _ = setpgid(0, 0);
        let mut byte = [0u8; 1];
        match read(0, &mut byte) {
            Err(Errno::EIO) => 0,
            Ok(_) => 3,
            Err(_) => 4,
        }
    })?;
    let _ = setpgid(ignoring, ignoring);
    expect_exit(ignoring, 0)
}

fn controlling_terminal() -> CheckOutcome {
    // Not a session leader: EPERM, even for its own controlling terminal.
    let member = in_child(|| match ioctl(0, Request::SetControllingTerminal(0)) {
        Err(Errno::EPERM) => 0,
        _ => 1,
    })?;
    expect_exit(member, 0)?;
    // The leader of a new session has no controlling terminal, and may not take ours while
    // our session holds it.
    let leader = in_child(|| {
        if setsid().is_err() {
            return 2;
        }
        if tcgetpgrp(0) != Err(Errno::ENOTTY) {
            return 3;
        }
        match ioctl(0, Request::SetControllingTerminal(0)) {
            Err(Errno::EPERM) => 0,
            _ => 4,
        }
    })?;
    expect_exit(leader, 0)?;
    ensure!(tcgetpgrp(0) == getpgrp(), "the terminal changed hands");
    Ok(())
}

/// One call to `endpoint` straight through the kernel: `[errno, word 1, word 2]`.
fn raw(endpoint: Slot, operation: u64, first: u64, transfer: Option<Slot>) -> [u64; 3] {
    match call(Call::IpcCall {
        endpoint,
        word0: operation,
        word1: first,
        word2: 0,
        transfer: OptionalSlot(transfer),
        receive: OptionalSlot(None),
    }) {
        Ok(words) => [words[1], words[2], words[3]],
        Err(_) => [u64::MAX, 0, 0],
    }
}

fn raw_calls_refused() -> CheckOutcome {
    let perm = Errno::EPERM.as_raw() as u64;
    // Only the terminal server may send the terminal's signals or ask about readers; only init
    // may name the terminal server.
    let signal = raw(
        PROCESS_SERVER,
        protocol::TERMINAL_SIGNAL,
        SIGKILL as u64,
        None,
    );
    let interrupt = raw(PROCESS_SERVER, protocol::TERMINAL_SIGNAL, 2, None);
    let access = raw(PROCESS_SERVER, protocol::TERMINAL_ACCESS, 1, None);
    let service = raw(
        PROCESS_SERVER,
        protocol::TERMINAL_SERVICE,
        0,
        Some(TERMINAL_SERVER),
    );
    ensure!(
        [signal[0], interrupt[0], access[0], service[0]] == [perm; 4],
        "raw terminal-server calls from a client gave {signal:?} {interrupt:?} {access:?} {service:?}"
    );
    // A group of another session is never ours to put in the foreground.
    let other = in_child(|| {
        let _ = setsid();
        loop {
            sleep_milliseconds(1000);
        }
    })?;
    sleep_milliseconds(50);
    let foreign = raw(PROCESS_SERVER, protocol::SET_FOREGROUND, other as u64, None);
    let huge = raw(PROCESS_SERVER, protocol::SET_FOREGROUND, u64::MAX, None);
    let _ = kill(other, SIGKILL);
    let _ = waitpid(other, None, 0);
    ensure!(
        foreign[0] == perm && huge[0] == Errno::EINVAL.as_raw() as u64,
        "another session's group gave {foreign:?}, a huge one {huge:?}"
    );
    // The terminal server refuses garbage and keeps serving.
    use libos::io::terminal_protocol as tty;
    let inval = Errno::EINVAL.as_raw() as u64;
    let answers = [
        raw(TERMINAL_SERVER, tty::CONNECT, 0, None)[0],
        raw(
            TERMINAL_SERVER,
            tty::CONNECT,
            0,
            Some(initial::SELF_ENVIRONMENT),
        )[0],
        raw(TERMINAL_SERVER, tty::WATCH, 1, None)[0],
        raw(TERMINAL_SERVER, tty::SET_ATTRIBUTES, 99, None)[0],
        raw(TERMINAL_SERVER, 77, 0, None)[0],
    ];
    ensure!(
        answers == [inval, inval, inval, inval, Errno::ENOSYS.as_raw() as u64],
        "the terminal server answered {answers:?}"
    );
    let still = tcgetattr(0)
        .map(|_| ())
        .and_then(|()| tcgetpgrp(0).map(|_| ()));
    ensure!(still.is_ok(), "the terminal after the garbage: {still:?}");
    Ok(())
}
