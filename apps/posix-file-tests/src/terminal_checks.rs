//! Checks of the terminal: `isatty`, `tcgetattr`/`tcsetattr` and their ioctls, the window size,
//! `FIONREAD`, and reads in non-canonical mode with `VMIN`/`VTIME` (the test runner types
//! nothing, so these see no input; what typed input does is the `line-discipline` crate's host
//! tests).

use alloc::format;

use libos::fs::open;
use libos::io::{Request, close, ioctl, isatty, pipe, read, tcgetattr, tcsetattr, write};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_NONBLOCK, O_RDONLY, O_RDWR};
use libposix_sys::termios::{
    ECHO, ICANON, ICRNL, ISIG, ONLCR, OPOST, TCSADRAIN, TCSAFLUSH, TCSANOW, Termios, VEOF, VERASE,
    VINTR, VKILL, VMIN, VQUIT, VSUSP, VTIME, Winsize,
};

use crate::ensure;

fn failed(what: &str, error: Errno) -> alloc::string::String {
    format!("{what}: {error}")
}

fn descriptors_know_whether_they_are_terminals() -> CheckOutcome {
    for fd in 0..3 {
        ensure!(isatty(fd) == Ok(()), "fd {fd} is not a terminal");
    }
    let tty = open("/dev/tty", O_RDWR, 0).map_err(|error| failed("open /dev/tty", error))?;
    let null = open("/dev/null", O_RDWR, 0).map_err(|error| failed("open /dev/null", error))?;
    let [reader, writer] = pipe().map_err(|error| failed("pipe", error))?;
    let results = [isatty(tty), isatty(null), isatty(reader), isatty(writer)];
    for fd in [tty, null, reader, writer] {
        let _ = close(fd);
    }
    ensure!(
        results
            == [
                Ok(()),
                Err(Errno::ENOTTY),
                Err(Errno::ENOTTY),
                Err(Errno::ENOTTY)
            ],
        "isatty of /dev/tty, /dev/null, pipe ends gave {results:?}"
    );
    let closed = isatty(tty);
    ensure!(closed == Err(Errno::EBADF), "a closed fd gave {closed:?}");
    let file_attributes = tcgetattr(null);
    ensure!(
        file_attributes == Err(Errno::EBADF),
        "tcgetattr of a closed fd gave {file_attributes:?}"
    );
    Ok(())
}

/// `isatty`: true for fds 0–2 and `/dev/tty`, `ENOTTY` for a device and pipes, `EBADF` closed.
pub const ISATTY: Check = Check {
    name: "isatty",
    covers: &["isatty"],
    run: descriptors_know_whether_they_are_terminals,
};

fn attributes_round_trip() -> CheckOutcome {
    let original = tcgetattr(0).map_err(|error| failed("tcgetattr", error))?;
    ensure!(
        original.c_lflag & (ICANON | ECHO | ISIG) == ICANON | ECHO | ISIG
            && original.c_iflag & ICRNL != 0
            && original.c_oflag & (OPOST | ONLCR) == OPOST | ONLCR,
        "the default modes are {original:?}"
    );
    let characters = [VINTR, VQUIT, VERASE, VKILL, VEOF, VSUSP].map(|index| original.c_cc[index]);
    ensure!(
        characters == [0x03, 0x1c, 0x7f, 0x15, 0x04, 0x1a],
        "the control characters are {characters:?}"
    );
    let mut raw = original;
    raw.c_lflag &= !(ICANON | ECHO);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    let mut outcome = Ok(());
    for action in [TCSANOW, TCSADRAIN, TCSAFLUSH] {
        raw.c_cc[VMIN] = action as u8 + 1;
        let set = tcsetattr(1, action, &raw);
        let back = tcgetattr(2);
        if set.is_err() || back != Ok(raw) {
            outcome = Err(format!("action {action}: set {set:?}, read back {back:?}"));
            break;
        }
    }
    // The same through the ioctls.
    let mut through_ioctl = Termios::default();
    let get = ioctl(0, Request::GetAttributes(&mut through_ioctl));
    let invalid = tcsetattr(0, 3, &original);
    let restored = ioctl(0, Request::SetAttributes(TCSANOW, &original));
    outcome?;
    ensure!(
        get == Ok(0) && through_ioctl == raw,
        "TCGETS gave {get:?}, {through_ioctl:?}"
    );
    ensure!(invalid == Err(Errno::EINVAL), "action 3 gave {invalid:?}");
    ensure!(
        restored == Ok(0) && tcgetattr(0) == Ok(original),
        "TCSETS did not restore"
    );
    Ok(())
}

/// `tcgetattr`/`tcsetattr` (`TCGETS`, `TCSETS`/`TCSETSW`/`TCSETSF`): Linux's defaults, the
/// three actions, shared by every descriptor of the terminal, `EINVAL` for another action.
pub const ATTRIBUTES: Check = Check {
    name: "terminal-attributes",
    covers: &["ioctl:TCGETS", "ioctl:TCSETS", "ioctl:ICANON-off"],
    run: attributes_round_trip,
};

fn window_size_round_trips() -> CheckOutcome {
    let mut original = Winsize::default();
    ioctl(1, Request::GetWindowSize(&mut original)).map_err(|e| failed("TIOCGWINSZ", e))?;
    ensure!(
        original.ws_row > 0 && original.ws_col > 0,
        "window {original:?}"
    );
    let wanted = Winsize {
        ws_row: 50,
        ws_col: 132,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let set = ioctl(0, Request::SetWindowSize(&wanted));
    let mut back = Winsize::default();
    let get = ioctl(2, Request::GetWindowSize(&mut back));
    let _ = ioctl(0, Request::SetWindowSize(&original));
    ensure!(
        set == Ok(0) && get == Ok(0) && back == wanted,
        "set {set:?}, get {get:?}: {back:?}"
    );
    let null = open("/dev/null", O_RDONLY, 0).map_err(|error| failed("open", error))?;
    let on_null = ioctl(null, Request::GetWindowSize(&mut back));
    let _ = close(null);
    ensure!(on_null == Err(Errno::ENOTTY), "/dev/null gave {on_null:?}");
    Ok(())
}

/// `TIOCGWINSZ`/`TIOCSWINSZ`: the window size round-trips; `ENOTTY` on a non-terminal.
pub const WINDOW_SIZE: Check = Check {
    name: "terminal-window-size",
    covers: &["ioctl:TIOCGWINSZ", "ioctl:TIOCSWINSZ", "ioctl:ENOTTY"],
    run: window_size_round_trips,
};

fn bytes_available() -> CheckOutcome {
    let mut count = -1;
    let on_terminal = ioctl(0, Request::BytesAvailable(&mut count));
    ensure!(
        on_terminal == Ok(0) && count == 0,
        "FIONREAD on the terminal gave {on_terminal:?}, {count}"
    );
    let [reader, writer] = pipe().map_err(|error| failed("pipe", error))?;
    let written = write(writer, b"12345");
    let on_pipe = ioctl(reader, Request::BytesAvailable(&mut count));
    let _ = close(reader);
    let _ = close(writer);
    ensure!(
        written == Ok(5) && on_pipe == Ok(0) && count == 5,
        "FIONREAD on a pipe holding 5 bytes gave {on_pipe:?}, {count}"
    );
    Ok(())
}

/// `FIONREAD`: 0 on a terminal nobody typed at, the bytes waiting in a pipe.
pub const BYTES_AVAILABLE: Check = Check {
    name: "fionread",
    covers: &["ioctl:FIONREAD"],
    run: bytes_available,
};

fn non_canonical_reads_honour_vmin_and_vtime() -> CheckOutcome {
    let original = tcgetattr(0).map_err(|error| failed("tcgetattr", error))?;
    let mut raw = original;
    raw.c_lflag &= !(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    let mut buffer = [0u8; 16];
    let result = (|| {
        tcsetattr(0, TCSANOW, &raw).map_err(|error| failed("tcsetattr", error))?;
        // VMIN 0, VTIME 0: a poll, which returns 0 at once.
        let started = libos::clock::clock_monotonic();
        let polled = read(0, &mut buffer);
        let poll_time = libos::clock::clock_monotonic() - started;
        ensure!(polled == Ok(0), "a polling read gave {polled:?}");
        ensure!(
            poll_time < 100_000_000,
            "a polling read took {poll_time} ns"
        );
        // VMIN 0, VTIME 2: waits 0.2 s for a byte, then returns 0.
        raw.c_cc[VTIME] = 2;
        tcsetattr(0, TCSANOW, &raw).map_err(|error| failed("tcsetattr", error))?;
        let started = libos::clock::clock_monotonic();
        let timed = read(0, &mut buffer);
        let waited = libos::clock::clock_monotonic() - started;
        ensure!(timed == Ok(0), "a timed read gave {timed:?}");
        ensure!(
            (200_000_000..3_000_000_000).contains(&waited),
            "a 0.2 s VTIME read returned after {waited} ns"
        );
        Ok(())
    })();
    let _ = tcsetattr(0, TCSANOW, &original);
    result?;
    // Canonical mode, O_NONBLOCK, nothing typed: EAGAIN.
    let tty = open("/dev/tty", O_RDONLY | O_NONBLOCK, 0).map_err(|e| failed("open", e))?;
    let nonblocking = read(tty, &mut buffer);
    let _ = close(tty);
    ensure!(
        nonblocking == Err(Errno::EAGAIN),
        "a nonblocking read with nothing typed gave {nonblocking:?}"
    );
    Ok(())
}

/// Reads with `ICANON` off: `VMIN` 0 `VTIME` 0 polls, `VTIME` 2 times out after 0.2 s; with it
/// on and `O_NONBLOCK`, `EAGAIN` while no line is complete.
pub const NON_CANONICAL_READS: Check = Check {
    name: "terminal-non-canonical-reads",
    covers: &["read:terminal-VMIN-VTIME", "read:terminal-EAGAIN"],
    run: non_canonical_reads_honour_vmin_and_vtime,
};

/// The `terminal-reader` role, for the typed-input system test (`tests/tests/terminal_input.rs`):
/// copies fd 0 to fd 1 until end of file, with the terminal's settings as they are (canonical,
/// `ISIG`), so `^C` typed while it reads ends it with `SIGINT`. Exits 0 at end of file.
/// First it writes one line with the default output processing and one with `OPOST` off, so the
/// test sees `\r\n` and then a bare `\n`.
pub fn run_terminal_reader() -> i32 {
    let Ok(original) = tcgetattr(1) else {
        return 2;
    };
    let _ = write(1, b"processed\n");
    let mut raw_output = original;
    raw_output.c_oflag &= !OPOST;
    let _ = tcsetattr(1, TCSANOW, &raw_output);
    let _ = write(1, b"unprocessed\n");
    let _ = tcsetattr(1, TCSANOW, &original);
    let mut buffer = [0u8; 256];
    loop {
        match read(0, &mut buffer) {
            Ok(0) => return 0,
            Ok(count) => {
                let _ = write(1, &buffer[..count]);
            }
            Err(_) => return 1,
        }
    }
}

fn calls_cost_what_they_should() -> CheckOutcome {
    use libos::kernel::calls_made;
    let original = tcgetattr(0).map_err(|error| failed("tcgetattr", error))?;
    let mut window = Winsize::default();
    let before = calls_made();
    let attributes = tcgetattr(0);
    let size = ioctl(1, Request::GetWindowSize(&mut window));
    let terminal = isatty(2);
    let settings_calls = calls_made() - before;
    let before = calls_made();
    let set = tcsetattr(0, TCSANOW, &original);
    let set_calls = calls_made() - before;
    ensure!(
        attributes.is_ok() && set.is_ok() && size.is_ok() && terminal.is_ok(),
        "the calls failed"
    );
    ensure!(
        settings_calls == 0,
        "reading the terminal settings made {settings_calls} kernel calls"
    );
    // The settings are the terminal server's, shared by every process: a change is one call
    // to it (none without a server, when they are this process's own).
    ensure!(set_calls <= 1, "tcsetattr made {set_calls} kernel calls");
    let mut bytes = [0u8; 64];
    libos::random::getrandom(&mut bytes, 0).map_err(|error| failed("getrandom", error))?;
    let before = calls_made();
    libos::random::getrandom(&mut bytes, 0).map_err(|error| failed("getrandom", error))?;
    let random_calls = calls_made() - before;
    ensure!(
        random_calls == 0,
        "a seeded getrandom made {random_calls} kernel calls"
    );
    let before = calls_made();
    let written = write(1, b"posix-files: one kernel call per terminal write\n");
    let write_calls = calls_made() - before;
    ensure!(
        written.is_ok() && write_calls == 1,
        "a terminal write made {write_calls} kernel calls"
    );
    Ok(())
}

/// Speed: reading the terminal settings and window size are library calls (no kernel entry:
/// the terminal server's settings page), setting them one call to the server, a seeded
/// `getrandom` takes no kernel entry, and a terminal write is one `ConsoleWrite`.
pub const COSTS: Check = Check {
    name: "terminal-and-random-costs",
    covers: &[],
    run: calls_cost_what_they_should,
};

fn flush_and_drain() -> CheckOutcome {
    use libos::io::{tcdrain, tcflush};
    use libposix_sys::termios::{TCIFLUSH, TCIOFLUSH, TCOFLUSH};
    let results = [
        tcflush(0, TCIFLUSH),
        tcflush(1, TCOFLUSH),
        tcflush(2, TCIOFLUSH),
        tcdrain(1),
    ];
    ensure!(
        results.iter().all(Result::is_ok),
        "tcflush/tcdrain gave {results:?}"
    );
    let bad_queue = tcflush(0, 3);
    ensure!(
        bad_queue == Err(Errno::EINVAL),
        "queue 3 gave {bad_queue:?}"
    );
    let mut count = -1;
    let available = ioctl(0, Request::BytesAvailable(&mut count));
    ensure!(
        available == Ok(0) && count == 0,
        "after TCIFLUSH, FIONREAD gave {available:?}, {count}"
    );
    let null = open("/dev/null", O_RDWR, 0).map_err(|error| failed("open", error))?;
    let on_null = (tcflush(null, TCIFLUSH), tcdrain(null));
    let _ = close(null);
    ensure!(
        on_null == (Err(Errno::ENOTTY), Err(Errno::ENOTTY)),
        "/dev/null gave {on_null:?}"
    );
    let tty = open("/dev/tty", O_RDWR, 0).map_err(|error| failed("open /dev/tty", error))?;
    let status = libos::fs::fstat(tty);
    let _ = close(tty);
    let status = status.map_err(|error| failed("fstat /dev/tty", error))?;
    ensure!(
        status.st_rdev == libposix_sys::stat::makedev(5, 0),
        "/dev/tty is device {:#x}, not 5,0",
        status.st_rdev
    );
    Ok(())
}

/// `TCFLSH` (`tcflush`) and `TCSBRK` (`tcdrain`) on the terminal, `EINVAL` for a bad queue,
/// `ENOTTY` elsewhere; `/dev/tty` is device 5,0.
pub const FLUSH_AND_DRAIN: Check = Check {
    name: "terminal-flush-and-drain",
    covers: &["ioctl:TCFLSH", "ioctl:TCSBRK"],
    run: flush_and_drain,
};

fn poll_sees_the_terminal() -> CheckOutcome {
    use libposix_sys::poll::{POLLIN, POLLOUT, Pollfd};
    let mut fds = [
        Pollfd {
            fd: 0,
            events: POLLIN,
            revents: 0,
        },
        Pollfd {
            fd: 1,
            events: POLLOUT,
            revents: 0,
        },
    ];
    let ready = libos::event::poll::poll(&mut fds, 0);
    ensure!(
        ready == Ok(1) && fds[0].revents == 0 && fds[1].revents == POLLOUT,
        "poll gave {ready:?}, revents {} and {}",
        fds[0].revents,
        fds[1].revents
    );
    // Nothing is typed: waiting for input times out, asleep on the notification console input
    // is bound to.
    let mut input = [fds[0]];
    let started = libos::clock::clock_monotonic();
    let ready = libos::event::poll::poll(&mut input, 150);
    let waited = libos::clock::clock_monotonic() - started;
    ensure!(
        ready == Ok(0) && input[0].revents == 0,
        "poll for input gave {ready:?}, revents {}",
        input[0].revents
    );
    ensure!(
        (150_000_000..3_000_000_000).contains(&waited),
        "a 150 ms poll returned after {waited} ns"
    );
    Ok(())
}

/// `poll` on the terminal: always writable, readable only when a line (or `VMIN` bytes) is
/// there, and a wait for input that times out.
pub const POLL: Check = Check {
    name: "terminal-poll",
    covers: &["poll:terminal"],
    run: poll_sees_the_terminal,
};
