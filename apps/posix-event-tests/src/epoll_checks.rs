//! Checks of `epoll_create1`, `epoll_ctl`, `epoll_wait` and `epoll_pwait`: level and edge
//! triggering, `EPOLLONESHOT`, hang-ups, timeouts, the documented errors, nesting and `ELOOP`,
//! a closed descriptor leaving the set, and a wait woken by another thread or process.

use alloc::format;

use libos::clock::clock_monotonic;
use libos::event::{epoll_create, epoll_create1, epoll_ctl, epoll_pwait, epoll_wait};
use libos::io::{close, fcntl};
use libos::process::fork;
use libos::process::identity::_exit;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::epoll::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLET, EPOLLHUP, EPOLLIN,
    EPOLLONESHOT, EPOLLOUT, EPOLLRDHUP, EpollEvent,
};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_GETFD, FD_CLOEXEC, O_CREAT, O_RDWR};
use libposix_sys::poll::{POLLIN, Pollfd};
use libposix_sys::socket::SOCK_STREAM;

use crate::ensure;
use crate::support::{
    Fd, expect_exit, milliseconds_since, pair, pipe_with, put, sleep_milliseconds, take,
};

fn instance() -> Result<Fd, alloc::string::String> {
    epoll_create1(0)
        .map(Fd)
        .map_err(|error| format!("epoll_create1: {error}"))
}

fn event(events: u32, data: u64) -> Option<EpollEvent> {
    Some(EpollEvent { events, data })
}

fn add(epoll: &Fd, fd: i32, events: u32, data: u64) -> Result<(), alloc::string::String> {
    epoll_ctl(epoll.0, EPOLL_CTL_ADD, fd, event(events, data))
        .map_err(|error| format!("epoll_ctl ADD {fd}: {error}"))
}

fn wait(epoll: &Fd, timeout: i32) -> Result<alloc::vec::Vec<(u32, u64)>, alloc::string::String> {
    let mut events = [EpollEvent::default(); 16];
    let count = epoll_wait(epoll.0, &mut events, timeout)
        .map_err(|error| format!("epoll_wait: {error}"))?;
    Ok(events[..count]
        .iter()
        .map(|event| (event.events, event.data))
        .collect())
}

fn level_triggered() -> CheckOutcome {
    let epoll = instance()?;
    let pipe = pipe_with(0)?;
    add(&epoll, pipe.read.0, EPOLLIN, 11)?;
    ensure!(wait(&epoll, 0)?.is_empty(), "an empty pipe was reported");
    put(pipe.write.0, b"ab")?;
    ensure!(
        wait(&epoll, 0)? == [(EPOLLIN, 11)],
        "the data was not reported"
    );
    ensure!(
        wait(&epoll, 0)? == [(EPOLLIN, 11)],
        "level-triggered: not reported again"
    );
    take(pipe.read.0, 8)?;
    ensure!(
        wait(&epoll, 0)?.is_empty(),
        "reported after the data was read"
    );
    Ok(())
}

/// Level-triggered: reported while ready, with the caller's data.
pub const LEVEL: Check = Check {
    name: "epoll-level-triggered",
    covers: &["epoll_create1", "epoll_ctl", "epoll_wait"],
    run: level_triggered,
};

fn edge_triggered() -> CheckOutcome {
    let epoll = instance()?;
    let (first, second) = pair(SOCK_STREAM)?;
    add(&epoll, first.0, EPOLLIN | EPOLLET, 5)?;
    put(second.0, b"one")?;
    ensure!(
        wait(&epoll, 0)? == [(EPOLLIN, 5)],
        "the first edge was not reported"
    );
    ensure!(
        wait(&epoll, 0)?.is_empty(),
        "edge-triggered: reported twice for one write"
    );
    put(second.0, b"two")?;
    ensure!(
        wait(&epoll, 0)? == [(EPOLLIN, 5)],
        "new data was not a new edge"
    );
    take(first.0, 16)?;
    ensure!(wait(&epoll, 0)?.is_empty(), "reported with nothing new");
    Ok(())
}

/// `EPOLLET`: reported once per change, again when new data arrives.
pub const EDGE: Check = Check {
    name: "epoll-edge-triggered",
    covers: &["epoll_wait:EPOLLET"],
    run: edge_triggered,
};

fn one_shot() -> CheckOutcome {
    let epoll = instance()?;
    let pipe = pipe_with(0)?;
    add(&epoll, pipe.read.0, EPOLLIN | EPOLLONESHOT, 9)?;
    put(pipe.write.0, b"x")?;
    ensure!(wait(&epoll, 0)? == [(EPOLLIN, 9)], "not reported");
    put(pipe.write.0, b"y")?;
    ensure!(
        wait(&epoll, 0)?.is_empty(),
        "a one-shot entry was reported twice"
    );
    epoll_ctl(
        epoll.0,
        EPOLL_CTL_MOD,
        pipe.read.0,
        event(EPOLLIN | EPOLLONESHOT, 10),
    )
    .map_err(|error| format!("MOD: {error}"))?;
    ensure!(
        wait(&epoll, 0)? == [(EPOLLIN, 10)],
        "MOD did not re-arm the entry"
    );
    Ok(())
}

/// `EPOLLONESHOT`: disabled after one report until `EPOLL_CTL_MOD`.
pub const ONE_SHOT: Check = Check {
    name: "epoll-oneshot",
    covers: &["epoll_ctl:EPOLLONESHOT"],
    run: one_shot,
};

fn control_errors() -> CheckOutcome {
    let epoll = instance()?;
    let pipe = pipe_with(0)?;
    add(&epoll, pipe.read.0, EPOLLIN, 1)?;
    let again = epoll_ctl(epoll.0, EPOLL_CTL_ADD, pipe.read.0, event(EPOLLIN, 1));
    ensure!(again == Err(Errno::EEXIST), "a second ADD gave {again:?}");
    let missing = epoll_ctl(epoll.0, EPOLL_CTL_MOD, pipe.write.0, event(EPOLLOUT, 1));
    ensure!(
        missing == Err(Errno::ENOENT),
        "MOD of a non-member gave {missing:?}"
    );
    let missing = epoll_ctl(epoll.0, EPOLL_CTL_DEL, pipe.write.0, None);
    ensure!(
        missing == Err(Errno::ENOENT),
        "DEL of a non-member gave {missing:?}"
    );
    let itself = epoll_ctl(epoll.0, EPOLL_CTL_ADD, epoll.0, event(EPOLLIN, 1));
    ensure!(
        itself == Err(Errno::EINVAL),
        "adding the instance to itself gave {itself:?}"
    );
    let bad_operation = epoll_ctl(epoll.0, 99, pipe.write.0, event(EPOLLOUT, 1));
    ensure!(
        bad_operation == Err(Errno::EINVAL),
        "operation 99 gave {bad_operation:?}"
    );
    let not_epoll = epoll_ctl(pipe.read.0, EPOLL_CTL_ADD, pipe.write.0, event(EPOLLOUT, 1));
    ensure!(
        not_epoll == Err(Errno::EINVAL),
        "a pipe as the instance gave {not_epoll:?}"
    );
    let closed = epoll_ctl(epoll.0, EPOLL_CTL_ADD, 999, event(EPOLLIN, 1));
    ensure!(
        closed == Err(Errno::EBADF),
        "a closed descriptor gave {closed:?}"
    );
    let file = Fd(libos::fs::open("/tmp/epoll-file", O_CREAT | O_RDWR, 0o600)
        .map_err(|error| format!("open: {error}"))?);
    let regular = epoll_ctl(epoll.0, EPOLL_CTL_ADD, file.0, event(EPOLLIN, 1));
    let _ = libos::fs::unlink("/tmp/epoll-file");
    ensure!(
        regular == Err(Errno::EPERM),
        "a regular file gave {regular:?}"
    );
    epoll_ctl(epoll.0, EPOLL_CTL_DEL, pipe.read.0, None).map_err(|e| format!("DEL: {e}"))?;
    let mut events = [EpollEvent::default(); 1];
    ensure!(
        epoll_wait(epoll.0, &mut events[..0], 0) == Err(Errno::EINVAL),
        "no room was accepted"
    );
    Ok(())
}

/// `epoll_ctl`'s errors: `EEXIST`, `ENOENT`, `EINVAL`, `EBADF`, `EPERM`; `epoll_wait` with no
/// room is `EINVAL`.
pub const ERRORS: Check = Check {
    name: "epoll-ctl-errors",
    covers: &[
        "epoll_ctl:EEXIST",
        "epoll_ctl:ENOENT",
        "epoll_ctl:EPERM",
        "epoll_ctl:EBADF",
    ],
    run: control_errors,
};

fn nesting() -> CheckOutcome {
    let outer = instance()?;
    let inner = instance()?;
    let pipe = pipe_with(0)?;
    add(&inner, pipe.read.0, EPOLLIN, 1)?;
    add(&outer, inner.0, EPOLLIN, 2)?;
    let looped = epoll_ctl(inner.0, EPOLL_CTL_ADD, outer.0, event(EPOLLIN, 3));
    ensure!(looped == Err(Errno::ELOOP), "a cycle gave {looped:?}");
    ensure!(
        wait(&outer, 0)?.is_empty(),
        "an idle nested instance was reported"
    );
    put(pipe.write.0, b"n")?;
    ensure!(
        wait(&outer, 0)? == [(EPOLLIN, 2)],
        "the nested instance was not reported"
    );
    let mut fds = [Pollfd {
        fd: inner.0,
        events: POLLIN,
        revents: 0,
    }];
    ensure!(
        libos::event::poll(&mut fds, 0) == Ok(1) && fds[0].revents == POLLIN,
        "poll on an epoll descriptor: {fds:?}"
    );
    Ok(())
}

/// An epoll instance in another is readable when it has events; a cycle is `ELOOP`.
pub const NESTING: Check = Check {
    name: "epoll-nesting-and-eloop",
    covers: &["epoll_ctl:ELOOP"],
    run: nesting,
};

fn hang_up() -> CheckOutcome {
    let epoll = instance()?;
    let (first, second) = pair(SOCK_STREAM)?;
    add(&epoll, first.0, EPOLLIN | EPOLLRDHUP, 4)?;
    put(second.0, b"last")?;
    drop(second);
    let events = wait(&epoll, 1000)?;
    ensure!(events.len() == 1, "events {events:?}");
    let bits = events[0].0;
    ensure!(
        bits & (EPOLLIN | EPOLLRDHUP | EPOLLHUP) == EPOLLIN | EPOLLRDHUP | EPOLLHUP,
        "bits {bits:#x} after the peer closed"
    );
    ensure!(take(first.0, 16)? == b"last", "the last data was lost");
    Ok(())
}

/// A peer's close reports `EPOLLRDHUP` (asked) and `EPOLLHUP` (always), data first.
pub const HANG_UP: Check = Check {
    name: "epoll-rdhup-and-hup",
    covers: &["epoll_wait:EPOLLRDHUP", "epoll_wait:EPOLLHUP"],
    run: hang_up,
};

fn timeout_and_pwait() -> CheckOutcome {
    let epoll = instance()?;
    let pipe = pipe_with(0)?;
    add(&epoll, pipe.read.0, EPOLLIN, 1)?;
    let start = clock_monotonic();
    ensure!(wait(&epoll, 30)?.is_empty(), "an idle pipe was reported");
    ensure!(
        milliseconds_since(start) >= 30,
        "epoll_wait returned before its timeout"
    );
    put(pipe.write.0, b"p")?;
    let mut events = [EpollEvent::default(); 2];
    let count = epoll_pwait(epoll.0, &mut events, -1, None);
    ensure!(count == Ok(1), "epoll_pwait gave {count:?}");
    Ok(())
}

/// `epoll_wait` waits for its timeout; `epoll_pwait` without a mask is `epoll_wait`.
pub const TIMEOUT: Check = Check {
    name: "epoll-timeout-and-pwait",
    covers: &["epoll_wait:timeout", "epoll_pwait:null-mask"],
    run: timeout_and_pwait,
};

fn closed_descriptor_leaves() -> CheckOutcome {
    let epoll = instance()?;
    let pipe = pipe_with(0)?;
    put(pipe.write.0, b"c")?;
    let read_fd = pipe.read.0;
    add(&epoll, read_fd, EPOLLIN, 1)?;
    let _ = close(read_fd);
    core::mem::forget(pipe.read);
    ensure!(
        wait(&epoll, 0)?.is_empty(),
        "a closed descriptor was still reported"
    );
    let removed = epoll_ctl(epoll.0, EPOLL_CTL_DEL, read_fd, None);
    ensure!(
        removed == Err(Errno::EBADF),
        "DEL of the closed descriptor gave {removed:?}"
    );
    Ok(())
}

/// Closing a description's last descriptor removes it from every epoll set.
pub const CLOSED: Check = Check {
    name: "epoll-closed-fd-removed",
    covers: &["epoll_ctl:close-removes"],
    run: closed_descriptor_leaves,
};

fn creation() -> CheckOutcome {
    ensure!(
        epoll_create(0) == Err(Errno::EINVAL),
        "epoll_create(0) was accepted"
    );
    ensure!(
        epoll_create1(1) == Err(Errno::EINVAL),
        "a bad flag was accepted"
    );
    let fd = Fd(epoll_create1(EPOLL_CLOEXEC).map_err(|error| format!("create: {error}"))?);
    ensure!(
        fcntl(fd.0, F_GETFD, 0) == Ok(i64::from(FD_CLOEXEC)),
        "EPOLL_CLOEXEC not applied"
    );
    let old = Fd(epoll_create(1).map_err(|error| format!("epoll_create: {error}"))?);
    ensure!(
        fcntl(old.0, F_GETFD, 0) == Ok(0),
        "epoll_create set FD_CLOEXEC"
    );
    Ok(())
}

/// `epoll_create` needs a positive size; `epoll_create1` takes only `EPOLL_CLOEXEC`.
pub const CREATION: Check = Check {
    name: "epoll-create-flags",
    covers: &["epoll_create", "epoll_create1:EPOLL_CLOEXEC"],
    run: creation,
};

fn woken_by_child() -> CheckOutcome {
    let epoll = instance()?;
    let pipe = pipe_with(0)?;
    add(&epoll, pipe.read.0, EPOLLIN, 8)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        sleep_milliseconds(20);
        let status = i32::from(libos::io::write(pipe.write.0, b"child") != Ok(5));
        _exit(status);
    }
    let start = clock_monotonic();
    let events = wait(&epoll, 5000)?;
    expect_exit(pid, 0)?;
    ensure!(events == [(EPOLLIN, 8)], "events {events:?}");
    ensure!(
        milliseconds_since(start) < 4000,
        "the wake-up took too long"
    );
    Ok(())
}

/// `epoll_wait` without a timeout wakes when a forked child writes to a watched pipe.
pub const ACROSS_FORK: Check = Check {
    name: "epoll-woken-by-child-process",
    covers: &["epoll_wait:blocking"],
    run: woken_by_child,
};
