//! Checks of `poll`, `ppoll`, `select` and `pselect6` over pipes, files, devices, eventfds and
//! sockets: readiness, timeouts, `POLLNVAL`/`POLLHUP`/`POLLERR`, waking from another thread, and
//! many descriptors without a kernel entry each.

use alloc::format;
use alloc::vec::Vec;

use libos::clock::clock_monotonic;
use libos::event::poll::SelectSets;
use libos::event::{eventfd2, poll, ppoll, pselect6, select};
use libos::io::close;
use libos::kernel::calls_made;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::eventfd::EFD_NONBLOCK;
use libposix_sys::fcntl::{O_CREAT, O_RDWR};
use libposix_sys::poll::{FdSet, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLRDNORM, Pollfd};
use libposix_sys::socket::SOCK_STREAM;
use libposix_sys::time::{Timespec, Timeval};

use crate::ensure;
use crate::support::{Fd, milliseconds_since, pair, pipe_with, put, sleep_milliseconds};

fn entry(fd: i32, events: i16) -> Pollfd {
    Pollfd {
        fd,
        events,
        revents: 0,
    }
}

fn pipe_readiness() -> CheckOutcome {
    let pipe = pipe_with(0)?;
    let mut fds = [entry(pipe.read.0, POLLIN), entry(pipe.write.0, POLLOUT)];
    ensure!(poll(&mut fds, 0) == Ok(1), "empty pipe: {fds:?}");
    ensure!(
        fds[0].revents == 0 && fds[1].revents == POLLOUT,
        "empty pipe revents {fds:?}"
    );
    put(pipe.write.0, b"x")?;
    ensure!(poll(&mut fds, 0) == Ok(2), "after a write: {fds:?}");
    ensure!(
        fds[0].revents == POLLIN,
        "read end revents {}",
        fds[0].revents
    );
    Ok(())
}

/// `poll` reports a pipe's data and room without waiting.
pub const PIPE_READINESS: Check = Check {
    name: "poll-pipe-readiness",
    covers: &["poll"],
    run: pipe_readiness,
};

fn timeout_elapses() -> CheckOutcome {
    let pipe = pipe_with(0)?;
    let mut fds = [entry(pipe.read.0, POLLIN)];
    let start = clock_monotonic();
    ensure!(poll(&mut fds, 30) == Ok(0), "poll gave {fds:?}");
    let waited = milliseconds_since(start);
    ensure!(
        waited >= 30,
        "returned after {waited} ms, before the timeout"
    );
    Ok(())
}

/// `poll` with nothing ready waits for its timeout and returns 0.
pub const TIMEOUT: Check = Check {
    name: "poll-timeout-elapses",
    covers: &["poll:timeout"],
    run: timeout_elapses,
};

fn invalid_and_negative() -> CheckOutcome {
    let pipe = pipe_with(0)?;
    let closed = pipe_with(0)?;
    let stale = closed.read.0;
    drop(closed);
    let mut fds = [
        entry(-1, POLLIN),
        entry(stale, POLLIN),
        entry(pipe.write.0, POLLOUT),
    ];
    ensure!(poll(&mut fds, 0) == Ok(2), "poll: {fds:?}");
    ensure!(
        fds[0].revents == 0,
        "negative fd revents {}",
        fds[0].revents
    );
    ensure!(
        fds[1].revents == POLLNVAL,
        "closed fd revents {}",
        fds[1].revents
    );
    Ok(())
}

/// A negative descriptor is skipped; a closed one reports `POLLNVAL`.
pub const INVALID: Check = Check {
    name: "poll-nval-and-negative-fd",
    covers: &["poll:POLLNVAL"],
    run: invalid_and_negative,
};

fn hang_up_and_error() -> CheckOutcome {
    let pipe = pipe_with(0)?;
    let (read, write) = (pipe.read.0, pipe.write.0);
    let _ = close(write);
    core::mem::forget(pipe.write);
    let mut fds = [entry(read, POLLIN)];
    ensure!(poll(&mut fds, 1000) == Ok(1), "poll: {fds:?}");
    ensure!(
        fds[0].revents & POLLHUP != 0,
        "read end after the writer closed: {}",
        fds[0].revents
    );
    let other = pipe_with(0)?;
    let _ = close(other.read.0);
    let mut fds = [entry(other.write.0, POLLOUT)];
    ensure!(poll(&mut fds, 1000) == Ok(1), "poll: {fds:?}");
    ensure!(
        fds[0].revents & POLLERR != 0,
        "write end after the reader closed: {}",
        fds[0].revents
    );
    core::mem::forget(other.read);
    Ok(())
}

/// A read end whose writers are gone reports `POLLHUP`; a write end without readers `POLLERR`
/// (asked for or not).
pub const HANG_UP: Check = Check {
    name: "poll-pollhup-and-pollerr",
    covers: &["poll:POLLHUP", "poll:POLLERR"],
    run: hang_up_and_error,
};

fn wakes_on_write() -> CheckOutcome {
    let pipe = pipe_with(0)?;
    let write_fd = pipe.write.0;
    let writer = libos::thread::spawn(move || {
        sleep_milliseconds(20);
        libos::io::write(write_fd, b"wake")
    })
    .map_err(|error| format!("spawn: {error:?}"))?;
    let mut fds = [entry(pipe.read.0, POLLIN)];
    let result = poll(&mut fds, 5000);
    let written = writer.join().map_err(|_| "writer thread failed")?;
    ensure!(written == Ok(4), "thread's write gave {written:?}");
    ensure!(
        result == Ok(1) && fds[0].revents == POLLIN,
        "poll gave {result:?} {fds:?}"
    );
    Ok(())
}

/// A `poll` without timeout sleeps until another thread writes, then reports the data.
pub const WAKES: Check = Check {
    name: "poll-wakes-on-write",
    covers: &["poll:blocking"],
    run: wakes_on_write,
};

fn files_and_devices() -> CheckOutcome {
    let file = Fd(libos::fs::open("/tmp/poll-file", O_CREAT | O_RDWR, 0o600)
        .map_err(|error| format!("open: {error}"))?);
    let null = Fd(libos::fs::open("/dev/null", O_RDWR, 0).map_err(|e| format!("open: {e}"))?);
    let mut fds = [
        entry(file.0, POLLIN | POLLOUT | POLLRDNORM),
        entry(null.0, POLLIN | POLLOUT),
    ];
    ensure!(poll(&mut fds, 0) == Ok(2), "poll: {fds:?}");
    ensure!(
        fds[0].revents == POLLIN | POLLOUT | POLLRDNORM && fds[1].revents == POLLIN | POLLOUT,
        "revents {fds:?}"
    );
    let _ = libos::fs::unlink("/tmp/poll-file");
    Ok(())
}

/// Regular files and devices are always ready.
pub const FILES: Check = Check {
    name: "poll-files-always-ready",
    covers: &["poll:regular-files"],
    run: files_and_devices,
};

fn many_without_kernel_entries() -> CheckOutcome {
    let mut counters = Vec::new();
    for _ in 0..100 {
        counters.push(Fd(
            eventfd2(0, EFD_NONBLOCK).map_err(|error| format!("eventfd2: {error}"))?
        ));
    }
    let mut fds: Vec<Pollfd> = counters.iter().map(|fd| entry(fd.0, POLLIN)).collect();
    let before = calls_made();
    ensure!(poll(&mut fds, 0) == Ok(0), "idle counters were ready");
    let calls = calls_made() - before;
    ensure!(
        calls == 0,
        "polling 100 idle eventfds made {calls} kernel calls"
    );
    let target = counters[73].0;
    let writer = libos::thread::spawn(move || {
        sleep_milliseconds(20);
        libos::io::write(target, &5u64.to_ne_bytes())
    })
    .map_err(|error| format!("spawn: {error:?}"))?;
    let before = calls_made();
    let result = poll(&mut fds, 5000);
    let calls = calls_made() - before;
    let _ = writer.join();
    ensure!(result == Ok(1), "poll gave {result:?}");
    ensure!(
        fds[73].revents == POLLIN,
        "revents of the written one: {}",
        fds[73].revents
    );
    // One sleep (maybe a few re-checks), never one kernel entry per descriptor.
    ensure!(
        calls < 20,
        "waiting on 100 eventfds made {calls} kernel calls"
    );
    Ok(())
}

/// `poll` over 100 eventfds: no kernel entry to look, and one wait (not one per descriptor)
/// until another thread writes one.
pub const MANY: Check = Check {
    name: "poll-many-descriptors-one-wait",
    covers: &["poll:many-fds-one-wait"],
    run: many_without_kernel_entries,
};

fn sockets_ready() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    let mut fds = [entry(first.0, POLLIN | POLLOUT)];
    ensure!(
        poll(&mut fds, 0) == Ok(1) && fds[0].revents == POLLOUT,
        "idle: {fds:?}"
    );
    put(second.0, b"hi")?;
    ensure!(
        poll(&mut fds, 0) == Ok(1) && fds[0].revents == POLLIN | POLLOUT,
        "with data: {fds:?}"
    );
    drop(second);
    let mut fds = [entry(first.0, POLLIN)];
    ensure!(poll(&mut fds, 1000) == Ok(1), "after close: {fds:?}");
    ensure!(
        fds[0].revents & (POLLIN | POLLHUP) == POLLIN | POLLHUP,
        "revents {}",
        fds[0].revents
    );
    Ok(())
}

/// A socket is writable with room, readable with data, and hung up when the peer closed.
pub const SOCKETS: Check = Check {
    name: "poll-socket-readiness",
    covers: &["poll:sockets"],
    run: sockets_ready,
};

fn ppoll_timespec() -> CheckOutcome {
    let pipe = pipe_with(0)?;
    let mut fds = [entry(pipe.read.0, POLLIN)];
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    let start = clock_monotonic();
    ensure!(
        ppoll(&mut fds, Some(&timeout), None) == Ok(0),
        "ppoll: {fds:?}"
    );
    ensure!(milliseconds_since(start) >= 20, "ppoll returned early");
    let bad = Timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000,
    };
    ensure!(
        ppoll(&mut fds, Some(&bad), None) == Err(Errno::EINVAL),
        "a bad timespec was accepted"
    );
    put(pipe.write.0, b"z")?;
    ensure!(
        ppoll(&mut fds, None, Some(&0)) == Ok(1) && fds[0].revents == POLLIN,
        "ppoll without timeout: {fds:?}"
    );
    Ok(())
}

/// `ppoll`: a `timespec` timeout (checked), none to wait without limit.
pub const PPOLL: Check = Check {
    name: "ppoll-timespec-timeout",
    covers: &["ppoll:timeout"],
    run: ppoll_timespec,
};

fn select_sets() -> CheckOutcome {
    let ready = pipe_with(0)?;
    let idle = pipe_with(0)?;
    put(ready.write.0, b"r")?;
    let mut read = FdSet::default();
    read.insert(ready.read.0 as usize);
    read.insert(idle.read.0 as usize);
    let mut write = FdSet::default();
    write.insert(idle.write.0 as usize);
    let highest = [ready.read.0, idle.read.0, idle.write.0]
        .into_iter()
        .max()
        .unwrap_or(0);
    let mut timeout = Timeval {
        tv_sec: 1,
        tv_usec: 0,
    };
    let count = select(
        highest + 1,
        SelectSets {
            read: Some(&mut read),
            write: Some(&mut write),
            except: None,
        },
        Some(&mut timeout),
    );
    ensure!(count == Ok(2), "select gave {count:?}");
    ensure!(
        read.contains(ready.read.0 as usize) && !read.contains(idle.read.0 as usize),
        "read set {:?}",
        read.fds_bits[0]
    );
    ensure!(
        write.contains(idle.write.0 as usize),
        "write set lost the writable pipe"
    );
    // Nothing ready: the timeout passes and is updated to what is left (0).
    let mut read = FdSet::default();
    read.insert(idle.read.0 as usize);
    let mut timeout = Timeval {
        tv_sec: 0,
        tv_usec: 20_000,
    };
    let start = clock_monotonic();
    let count = select(
        highest + 1,
        SelectSets {
            read: Some(&mut read),
            write: None,
            except: None,
        },
        Some(&mut timeout),
    );
    ensure!(count == Ok(0), "idle select gave {count:?}");
    ensure!(milliseconds_since(start) >= 20, "select returned early");
    ensure!(
        read.fds_bits.iter().all(|&word| word == 0),
        "the read set was not cleared"
    );
    ensure!(
        timeout.tv_sec == 0 && timeout.tv_usec == 0,
        "timeout left {timeout:?}"
    );
    Ok(())
}

/// `select`: ready descriptors stay in their sets, others are cleared; the timeout is updated.
pub const SELECT: Check = Check {
    name: "select-read-write-sets",
    covers: &["select"],
    run: select_sets,
};

fn select_errors() -> CheckOutcome {
    let closed = pipe_with(0)?;
    let stale = closed.read.0;
    drop(closed);
    let mut read = FdSet::default();
    read.insert(stale as usize);
    let result = select(
        stale + 1,
        SelectSets {
            read: Some(&mut read),
            write: None,
            except: None,
        },
        None,
    );
    ensure!(
        result == Err(Errno::EBADF),
        "a closed descriptor gave {result:?}"
    );
    let result = select(
        -1,
        SelectSets {
            read: None,
            write: None,
            except: None,
        },
        None,
    );
    ensure!(
        result == Err(Errno::EINVAL),
        "a negative count gave {result:?}"
    );
    let mut bad = Timeval {
        tv_sec: 0,
        tv_usec: 2_000_000,
    };
    let result = select(
        0,
        SelectSets {
            read: None,
            write: None,
            except: None,
        },
        Some(&mut bad),
    );
    ensure!(
        result == Err(Errno::EINVAL),
        "a bad timeval gave {result:?}"
    );
    Ok(())
}

/// `select`: `EBADF` for a closed descriptor in a set, `EINVAL` for a negative count or a bad
/// timeout.
pub const SELECT_ERRORS: Check = Check {
    name: "select-errors",
    covers: &["select:EBADF", "select:EINVAL"],
    run: select_errors,
};

fn pselect_timespec() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    let mut read = FdSet::default();
    read.insert(first.0 as usize);
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    let start = clock_monotonic();
    let result = pselect6(
        first.0 + 1,
        SelectSets {
            read: Some(&mut read),
            write: None,
            except: None,
        },
        Some(&timeout),
        None,
    );
    ensure!(result == Ok(0), "idle pselect6 gave {result:?}");
    ensure!(milliseconds_since(start) >= 20, "pselect6 returned early");
    put(second.0, b"p")?;
    let mut read = FdSet::default();
    read.insert(first.0 as usize);
    let result = pselect6(
        first.0 + 1,
        SelectSets {
            read: Some(&mut read),
            write: None,
            except: None,
        },
        Some(&timeout),
        None,
    );
    ensure!(
        result == Ok(1) && read.contains(first.0 as usize),
        "pselect6 gave {result:?}"
    );
    Ok(())
}

/// `pselect6`: a `timespec` timeout over a socket.
pub const PSELECT: Check = Check {
    name: "pselect6-timespec-timeout",
    covers: &["pselect6:timeout"],
    run: pselect_timespec,
};
