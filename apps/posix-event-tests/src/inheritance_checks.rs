//! Checks that connected AF_UNIX sockets and eventfds survive `execve` and reach a
//! `posix_spawn` child (the inherited-descriptor frame, `libos::io::inheritance`), while
//! `SOCK_CLOEXEC` ones do not. The new image is this program again, started with
//! `inherited SOCKET EVENTFD CLOSED`: it writes through the socket and the eventfd and checks
//! that the close-on-exec descriptor is gone.

use alloc::format;
use alloc::string::{String, ToString};

use libos::event::eventfd2;
use libos::io::{fcntl, read, write};
use libos::process::identity::_exit;
use libos::process::{execve, fork, posix_spawn};
use libos::socket::{OptionValue, getsockopt};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::F_GETFD;
use libposix_sys::socket::{SO_PEERCRED, SO_TYPE, SOCK_CLOEXEC, SOCK_STREAM, SOL_SOCKET};

use crate::ensure;
use crate::support::{Fd, expect_exit, pair, take};

const PROGRAM: &str = "/bin/posix-event-tests";

/// The new image's part: `arguments` are the socket, the eventfd and the close-on-exec
/// descriptor. Returns the exit status (0: all held).
pub fn inherited(arguments: &[String]) -> i32 {
    let number = |index: usize| {
        arguments
            .get(index)
            .and_then(|word| word.parse::<i32>().ok())
    };
    let (Some(socket), Some(counter), Some(closed)) = (number(0), number(1), number(2)) else {
        return 20;
    };
    if !matches!(
        getsockopt(socket, SOL_SOCKET, SO_TYPE),
        Ok(OptionValue::Integer(SOCK_STREAM))
    ) {
        return 21;
    }
    // The pair's credentials came along with it.
    if !matches!(getsockopt(socket, SOL_SOCKET, SO_PEERCRED), Ok(OptionValue::Credentials(c)) if c.pid > 0)
    {
        return 22;
    }
    if write(socket, b"after exec") != Ok(10) {
        return 23;
    }
    let mut answer = [0u8; 8];
    if read(socket, &mut answer) != Ok(2) || &answer[..2] != b"ok" {
        return 24;
    }
    if write(counter, &5u64.to_ne_bytes()) != Ok(8) {
        return 25;
    }
    if fcntl(closed, F_GETFD, 0) != Err(Errno::EBADF) {
        return 26;
    }
    0
}

struct Kept {
    ours: Fd,
    /// Closed by the parent once the child has it, so a child that fails means end of file.
    theirs: Option<Fd>,
    counter: Fd,
    closed: (Fd, Fd),
}

fn make() -> Result<Kept, String> {
    let (ours, theirs) = pair(SOCK_STREAM)?;
    let counter = eventfd2(0, 0)
        .map(Fd)
        .map_err(|error| format!("eventfd2: {error}"))?;
    let closed = pair(SOCK_STREAM | SOCK_CLOEXEC)?;
    Ok(Kept {
        ours,
        theirs: Some(theirs),
        counter,
        closed,
    })
}

fn arguments(kept: &Kept) -> [String; 5] {
    [
        String::from("posix-event-tests"),
        String::from("inherited"),
        kept.theirs.as_ref().map_or(-1, |fd| fd.0).to_string(),
        kept.counter.0.to_string(),
        kept.closed.1.0.to_string(),
    ]
}

/// The parent's part: the new image's message, our answer, its count.
fn converse(kept: &mut Kept, pid: i32) -> CheckOutcome {
    kept.theirs = None;
    let message = take(kept.ours.0, 32)?;
    if message != b"after exec" {
        expect_exit(pid, 0)?;
        return Err(format!("the new image's message: {message:?}"));
    }
    ensure!(write(kept.ours.0, b"ok") == Ok(2), "our answer");
    let mut value = [0u8; 8];
    let count =
        read(kept.counter.0, &mut value).map_err(|error| format!("eventfd read: {error}"))?;
    ensure!(
        count == 8 && u64::from_ne_bytes(value) == 5,
        "the eventfd counted {value:?}"
    );
    Ok(())
}

fn across_execve() -> CheckOutcome {
    let mut kept = make()?;
    let words = arguments(&kept);
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        let argv: alloc::vec::Vec<&str> = words.iter().map(String::as_str).collect();
        let _ = execve(PROGRAM, &argv, &[]);
        _exit(30);
    }
    converse(&mut kept, pid)?;
    expect_exit(pid, 0)
}

/// A connected socket and an eventfd without `FD_CLOEXEC` work in the image `execve` starts (it
/// writes through both, reads our answer, and sees the pair's `SO_PEERCRED`); a `SOCK_CLOEXEC`
/// socket is closed there.
pub const ACROSS_EXECVE: Check = Check {
    name: "socket-and-eventfd-survive-execve",
    covers: &[
        "execve:keeps-socket",
        "execve:keeps-eventfd",
        "execve:SOCK_CLOEXEC-closes-socket",
    ],
    run: across_execve,
};

fn across_posix_spawn() -> CheckOutcome {
    let mut kept = make()?;
    let words = arguments(&kept);
    let argv: alloc::vec::Vec<&str> = words.iter().map(String::as_str).collect();
    let pid = posix_spawn(PROGRAM, &[], None, &argv, &[])
        .map_err(|error| format!("posix_spawn: {error}"))?;
    converse(&mut kept, pid)?;
    expect_exit(pid, 0)
}

/// The same for a `posix_spawn` child: it gets the socket end and the eventfd (capabilities
/// granted at the same slots) and not the close-on-exec socket.
pub const ACROSS_POSIX_SPAWN: Check = Check {
    name: "socket-and-eventfd-reach-posix-spawn-child",
    covers: &["posix_spawn:keeps-socket", "posix_spawn:keeps-eventfd"],
    run: across_posix_spawn,
};
