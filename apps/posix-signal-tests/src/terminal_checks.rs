//! Job control at the terminal: the foreground process group (`tcgetpgrp`, `tcsetpgrp`,
//! `tcgetsid`), `TIOCSCTTY`, `SIGTTIN` for a background reader and `SIGTTOU` for a background
//! `tcsetpgrp`, decided by the process server (which owns the terminal's session and foreground
//! group) and the terminal server; and raw calls to both servers that try to act beyond the
//! caller's session. Each check leaves this program's group in the foreground.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, OptionalSlot, Slot, initial};
use libos::fs::open;
use libos::io::{
    Request, close, ioctl, read, tcgetattr, tcgetpgrp, tcgetsid, tcsetattr, tcsetpgrp, write,
};
use libos::kernel::call;
use libos::process::identity::{PROCESS_SERVER, getpgrp, getsid, setpgid, setsid, waitpid};
use libos::process::protocol;
use libos::signal::{kill, sigprocmask};
use libos::test_protocol::{Check, CheckOutcome};
use libos::well_known_slots::TERMINAL_SERVER;
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::O_RDWR;
use libposix_sys::signal::{
    SIG_BLOCK, SIG_IGN, SIG_SETMASK, SIGHUP, SIGKILL, SIGTTIN, SIGTTOU, SignalSet,
};
use libposix_sys::termios::{TCSANOW, TOSTOP};
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
    Check {
        name: "termios:TOSTOP-sends-SIGTTOU",
        covers: &["write:TOSTOP-SIGTTOU"],
        run: background_write_with_tostop,
    },
];

/// The check that takes the terminal from our session for good (the controlling process it
/// makes ends, which hangs the terminal up), run alone in a boot of its own:
/// `posix-signal-tests hangup`.
pub const HANGUP: &[Check] = &[Check {
    name: "exit:SIGHUP-to-foreground-on-session-leader-exit",
    covers: &["exit:SIGHUP-to-foreground-group"],
    run: hangup_on_controlling_process_exit,
}];

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

/// Sets or clears `TOSTOP` (with `SIGTTOU` blocked: we may be asked from the background).
fn set_tostop(on: bool) -> Result<(), String> {
    let mut settings = tcgetattr(0).map_err(|e| failed("tcgetattr", e))?;
    if on {
        settings.c_lflag |= TOSTOP;
    } else {
        settings.c_lflag &= !TOSTOP;
    }
    tcsetattr(0, TCSANOW, &settings).map_err(|e| failed("tcsetattr", e))
}

/// A child in a background group of its own that writes one newline to the terminal; its
/// result: 0 written, 5 `EINTR`, 6 `EIO`, 7 another error.
fn background_writer(prepare: fn()) -> Result<i32, String> {
    let child = in_child(move || {
        prepare();
        let _ = setpgid(0, 0);
        match write(1, b"\n") {
            Ok(1) => 0,
            Ok(_) => 4,
            Err(Errno::EINTR) => 5,
            Err(Errno::EIO) => 6,
            Err(_) => 7,
        }
    })?;
    let _ = setpgid(child, child);
    Ok(child)
}

fn background_write_with_tostop() -> CheckOutcome {
    // Without TOSTOP a background job writes as it likes.
    set_tostop(false)?;
    let free = background_writer(|| {})?;
    expect_exit(free, 0)?;
    set_tostop(true)?;
    let outcome = (|| {
        // With it, a background writer at SIGTTOU's default action is stopped before it writes.
        let stopped = background_writer(|| {})?;
        let mut status = 0;
        let waited = waitpid(stopped, Some(&mut status), WUNTRACED);
        let _ = kill(stopped, SIGKILL);
        let _ = waitpid(stopped, None, 0);
        ensure!(
            waited == Ok(stopped) && WIFSTOPPED(status) && WSTOPSIG(status) == SIGTTOU,
            "the background write gave {waited:?}, status {status:#x}"
        );
        // One that ignores or blocks SIGTTOU writes.
        let ignoring = background_writer(|| set_plain(SIGTTOU, SIG_IGN))?;
        expect_exit(ignoring, 0)?;
        let blocking = background_writer(|| {
            let _ = sigprocmask(SIG_BLOCK, Some(&SignalSet::EMPTY.with(SIGTTOU)), None);
        })?;
        expect_exit(blocking, 0)?;
        // One that catches it without SA_RESTART gets EINTR after its handler ran.
        let catching = background_writer(|| {
            let _ = crate::support::install(
                SIGTTOU,
                crate::support::counting_handler,
                0,
                SignalSet::EMPTY,
            );
        })?;
        expect_exit(catching, 5)?;
        // We are in the foreground: our own writes go through.
        let ours = write(1, b"\n");
        ensure!(
            ours == Ok(1),
            "a foreground write with TOSTOP gave {ours:?}"
        );
        Ok(())
    })();
    set_tostop(false)?;
    outcome
}

/// Reads what the helpers of the hang-up check report through the pipe, until `count` bytes
/// came or `milliseconds` passed.
fn read_reports(fd: i32, count: usize, milliseconds: u64) -> Vec<u8> {
    let mut reports = Vec::new();
    let end = libos::clock::clock_monotonic() + milliseconds * 1_000_000;
    while reports.len() < count && libos::clock::clock_monotonic() < end {
        let mut byte = [0u8; 8];
        match read(fd, &mut byte) {
            Ok(length) if length > 0 => reports.extend_from_slice(&byte[..length]),
            _ => sleep_milliseconds(10),
        }
    }
    reports
}

/// Set by the hang-up helpers' `SIGHUP` handler.
static HUNG_UP: AtomicU64 = AtomicU64::new(0);

extern "C" fn note_hang_up(
    _: i32,
    _: *mut libposix_sys::siginfo::Siginfo,
    _: *mut core::ffi::c_void,
) {
    HUNG_UP.store(1, Ordering::SeqCst);
}

/// A helper of the hang-up check: says `ready` through `report`, then waits up to 3 s for
/// `SIGHUP` and reports `hung_up` if it came, `not_hung_up` if not.
fn hang_up_witness(report: i32, ready: u8, hung_up: u8, not_hung_up: u8) -> i32 {
    if crate::support::install(SIGHUP, note_hang_up, 0, SignalSet::EMPTY).is_err() {
        return 9;
    }
    let _ = write(report, &[ready]);
    let end = libos::clock::clock_monotonic() + 3_000_000_000;
    while HUNG_UP.load(Ordering::SeqCst) == 0 && libos::clock::clock_monotonic() < end {
        sleep_milliseconds(10);
    }
    let seen = HUNG_UP.load(Ordering::SeqCst) != 0;
    let _ = write(report, &[if seen { hung_up } else { not_hung_up }]);
    0
}

/// POSIX `_exit`: when a controlling process ends, its terminal's foreground process group is
/// sent `SIGHUP` (and a background group of its session is not), and the terminal no longer
/// belongs to the session. A child makes a session, takes the terminal (`TIOCSCTTY` with 1: we
/// are privileged), starts one witness in its foreground group and one in a background group
/// of its session, waits until both are ready, and exits.
fn hangup_on_controlling_process_exit() -> CheckOutcome {
    let [reports, report] =
        libos::io::pipe2(libposix_sys::fcntl::O_NONBLOCK).map_err(|e| failed("pipe2", e))?;
    let leader = in_child(move || {
        if setsid().is_err() {
            return 2;
        }
        if ioctl(0, Request::SetControllingTerminal(1)).is_err() {
            return 3;
        }
        let me = libos::process::identity::getpid().unwrap_or(0);
        if tcgetpgrp(0) != Ok(me) {
            return 4;
        }
        let (Ok(_foreground), Ok(background)) = (
            in_child(move || hang_up_witness(report, b'f', b'H', b'n')),
            in_child(move || {
                let _ = setpgid(0, 0);
                hang_up_witness(report, b'b', b'X', b'q')
            }),
        ) else {
            return 5;
        };
        let _ = setpgid(background, background);
        // Both witnesses ready before the controlling process ends (a generous bound for a
        // loaded machine: it returns as soon as they are).
        let end = libos::clock::clock_monotonic() + 10_000_000_000;
        let mut ready = 0;
        while ready < 2 && libos::clock::clock_monotonic() < end {
            let mut byte = [0u8; 2];
            match read(reports, &mut byte) {
                Ok(length) => ready += length,
                Err(_) => sleep_milliseconds(10),
            }
        }
        if ready == 2 { 0 } else { 6 }
    })?;
    let _ = close(report);
    let ended = expect_exit(leader, 0);
    let seen = read_reports(reports, 2, 10_000);
    let _ = close(reports);
    ended?;
    ensure!(
        seen.contains(&b'H') && seen.contains(&b'q') && seen.len() == 2,
        "the witnesses reported {:?} (H: the foreground one got SIGHUP, q: the background one \
         did not)",
        core::str::from_utf8(&seen)
    );
    // The terminal is nobody's now: not the ended session's, and not ours again.
    ensure!(
        tcgetpgrp(0) == Err(Errno::ENOTTY),
        "after the hang-up tcgetpgrp gave {:?}",
        tcgetpgrp(0)
    );
    Ok(())
}
