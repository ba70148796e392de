//! Blocking calls that wait on another party through a server — `accept` and `connect` (the
//! socket server's rendezvous), a terminal `read` (the terminal server's input) — or on a socket
//! peer (`recv`) or an eventfd's writer, cut short by a
//! handled signal: `EINTR` with the handler run, or under `SA_RESTART` a restart that then
//! succeeds; and the server still serving the same listener, queue or terminal correctly
//! afterwards (no stale half-made connection, no lost or misdirected answer).

use alloc::format;
use alloc::string::String;
use core::sync::atomic::Ordering;

use libos::io::{close, pipe, read, write};
use libos::process::identity::waitpid;
use libos::signal::kill;
use libos::socket::named::address_bytes;
use libos::socket::{accept, bind, connect, listen, recv, send, socket};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::signal::{SA_RESTART, SIGKILL, SIGUSR1, SignalSet};
use libposix_sys::socket::{AF_UNIX, SOCK_NONBLOCK, SOCK_STREAM};
use libposix_sys::wait::WNOHANG;

use crate::ensure;
use crate::support::{
    HANDLED, counting_handler, expect_exit, expect_signalled, in_child, install, reset_counters,
    restore, sleep_milliseconds,
};

/// Every check of calls interrupted while another party is awaited.
pub const ALL: &[Check] = &[
    Check {
        name: "accept:EINTR-by-handled-signal",
        covers: &["accept:EINTR"],
        run: accept_interrupted,
    },
    Check {
        name: "accept:SA_RESTART-restarts",
        covers: &["accept:SA_RESTART"],
        run: accept_restarted,
    },
    Check {
        name: "connect:EINTR-by-handled-signal",
        covers: &["connect:EINTR"],
        run: connect_interrupted,
    },
    Check {
        name: "connect:SA_RESTART-restarts",
        covers: &["connect:SA_RESTART"],
        run: connect_restarted,
    },
    Check {
        name: "accept:connections-of-killed-connectors-hold-no-place",
        covers: &["accept:connector-killed"],
        run: killed_connectors,
    },
    Check {
        name: "recv:EINTR-and-SA_RESTART",
        covers: &["recv:EINTR", "recv:SA_RESTART"],
        run: socket_receive_interrupted,
    },
    Check {
        name: "read:eventfd-EINTR-and-SA_RESTART",
        covers: &["eventfd:read-EINTR", "eventfd:read-SA_RESTART"],
        run: eventfd_read_interrupted,
    },
    Check {
        name: "poll:restarts-after-stop-and-continue",
        covers: &["poll:stop-continue-restarts"],
        run: poll_across_stop,
    },
    Check {
        name: "futex:FUTEX_WAIT-EINTR-and-SA_RESTART",
        covers: &["futex:FUTEX_WAIT-EINTR", "futex:FUTEX_WAIT-SA_RESTART"],
        run: futex_wait_interrupted,
    },
    Check {
        name: "read:timerfd-EINTR-and-SA_RESTART",
        covers: &[
            "timerfd_create:read-EINTR",
            "timerfd_create:read-SA_RESTART",
        ],
        run: timerfd_read_interrupted,
    },
    Check {
        name: "read:tty-EINTR",
        covers: &["read:tty-EINTR"],
        run: terminal_read_interrupted,
    },
];

/// Reads one byte from `fd`: the child's "I am about to block" (or `None` at end of file).
fn said(fd: i32) -> Option<u8> {
    let mut byte = [0u8; 1];
    (read(fd, &mut byte) == Ok(1)).then_some(byte[0])
}

/// The parent's half of a reader check: waits for the child's "about to read" on `ready_read`,
/// sends it `SIGUSR1` 100 ms later, and expects its exit: 20 when the read restarted
/// (`SA_RESTART` in `flags`), 10 when it ended with `EINTR`.
fn signal_once_reading(
    child: Result<i32, String>,
    ready_read: i32,
    ready_write: i32,
    flags: u64,
) -> CheckOutcome {
    let _ = close(ready_write);
    let child = child?;
    let ready = said(ready_read);
    let _ = close(ready_read);
    if ready != Some(b'r') {
        let _ = kill(child, SIGKILL);
        let _ = waitpid(child, None, 0);
        return Err(String::from("the child never said it was reading"));
    }
    sleep_milliseconds(100);
    kill(child, SIGUSR1).map_err(|e| format!("kill: {e:?}"))?;
    expect_exit(child, if flags & SA_RESTART != 0 { 20 } else { 10 })
}

/// A listening stream socket bound to the abstract `name`.
fn listener(name: &[u8], backlog: i32, flags: i32) -> Result<i32, String> {
    let fd = socket(AF_UNIX, SOCK_STREAM | flags, 0).map_err(|e| format!("socket: {e:?}"))?;
    bind(fd, &address_bytes(name)).map_err(|e| format!("bind: {e:?}"))?;
    listen(fd, backlog).map_err(|e| format!("listen: {e:?}"))?;
    Ok(fd)
}

/// A stream socket connected to the abstract `name`.
fn connected(name: &[u8]) -> Result<i32, String> {
    let fd = socket(AF_UNIX, SOCK_STREAM, 0).map_err(|e| format!("socket: {e:?}"))?;
    connect(fd, &address_bytes(name)).map_err(|e| format!("connect: {e:?}"))?;
    Ok(fd)
}

/// A child listening on `name` that blocks in `accept` while its parent signals it, with the
/// handler installed with `flags`: exits 10 when `accept` failed with `EINTR` after the handler
/// ran and a second `accept` then took the parent's connection, 20 when the first `accept`
/// itself (restarted) took it; either way the connection must carry the parent's byte.
fn accepter(name: &'static [u8], flags: u64) -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, flags, SignalSet::EMPTY)?;
    let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let Ok(listening) = listener(name, 4, 0) else {
            return 2;
        };
        let _ = write(ready_write, b"r");
        let first = accept(listening);
        let handled = HANDLED.load(Ordering::SeqCst);
        let (accepted, code) = match first {
            Err(Errno::EINTR) if handled == 1 => {
                // The socket server still serves this listener: accept again.
                let _ = write(ready_write, b"i");
                match accept(listening) {
                    Ok((fd, _)) => (fd, 10),
                    Err(_) => return 3,
                }
            }
            Ok((fd, _)) if handled == 1 => (fd, 20),
            Ok(_) => return 4,
            Err(error) => return 60 + error.as_raw(),
        };
        let mut byte = [0u8; 1];
        if recv(accepted, &mut byte, 0) != Ok(1) || byte[0] != b'x' {
            return 5;
        }
        code
    });
    restore(SIGUSR1);
    let _ = close(ready_write);
    let child = child?;
    let outcome = (|| {
        ensure!(
            said(ready_read) == Some(b'r'),
            "the child never said it was listening"
        );
        sleep_milliseconds(100);
        kill(child, SIGUSR1).map_err(|e| format!("kill: {e:?}"))?;
        if flags & SA_RESTART == 0 {
            ensure!(
                said(ready_read) == Some(b'i'),
                "the child's accept was not interrupted"
            );
        } else {
            sleep_milliseconds(100);
            ensure!(
                waitpid(child, None, WNOHANG) == Ok(0),
                "the child's accept returned without a connection"
            );
        }
        let client = connected(name)?;
        let sent = send(client, b"x", 0);
        let _ = close(client);
        ensure!(sent == Ok(1), "send: {sent:?}");
        Ok(())
    })();
    let _ = close(ready_read);
    if let Err(error) = outcome {
        let _ = kill(child, SIGKILL);
        let _ = waitpid(child, None, 0);
        return Err(error);
    }
    expect_exit(child, if flags & SA_RESTART != 0 { 20 } else { 10 })
}

fn accept_interrupted() -> CheckOutcome {
    accepter(b"signal-accept-interrupted", 0)
}

fn accept_restarted() -> CheckOutcome {
    accepter(b"signal-accept-restarted", SA_RESTART)
}

/// Accepts from the nonblocking `listening`, waiting up to two seconds for a connection still
/// being completed.
fn accept_soon(listening: i32) -> Result<i32, String> {
    for _ in 0..200 {
        match accept(listening) {
            Ok((fd, _)) => return Ok(fd),
            Err(Errno::EAGAIN) => sleep_milliseconds(10),
            Err(error) => return Err(format!("accept: {error:?}")),
        }
    }
    Err(String::from("accept: no connection came"))
}

/// A listener with backlog 1 whose queue the parent fills (Linux queues one more than the
/// backlog), and a child that blocks in `connect` to it while the parent signals it, with the
/// handler installed with `flags`: exits 10 on `EINTR` after the handler ran, 20 when the
/// connect (restarted) succeeded once the parent made room, sending one byte and taking the
/// parent's answer (the connection's pages die with the connector, so it waits for that).
fn connecter(name: &'static [u8], flags: u64) -> CheckOutcome {
    let listening = listener(name, 1, SOCK_NONBLOCK)?;
    let mut queued = alloc::vec::Vec::new();
    let outcome = connect_with_full_queue(name, flags, listening, &mut queued);
    for fd in queued {
        let _ = close(fd);
    }
    let _ = close(listening);
    outcome
}

fn connect_with_full_queue(
    name: &'static [u8],
    flags: u64,
    listening: i32,
    queued: &mut alloc::vec::Vec<i32>,
) -> CheckOutcome {
    for _ in 0..2 {
        queued.push(connected(name)?);
    }
    let probe =
        socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0).map_err(|e| format!("socket: {e:?}"))?;
    let full = connect(probe, &address_bytes(name));
    let _ = close(probe);
    ensure!(
        full == Err(Errno::EAGAIN),
        "a third connect to a full queue gave {full:?}"
    );
    reset_counters();
    install(SIGUSR1, counting_handler, flags, SignalSet::EMPTY)?;
    let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let Ok(fd) = socket(AF_UNIX, SOCK_STREAM, 0) else {
            return 2;
        };
        let _ = write(ready_write, b"r");
        let result = connect(fd, &address_bytes(name));
        let handled = HANDLED.load(Ordering::SeqCst);
        match result {
            Err(Errno::EINTR) if handled == 1 => 10,
            Ok(()) if handled == 1 => {
                // The connection's pages are ours: stay until the parent has read its byte.
                let mut byte = [0u8; 1];
                if send(fd, b"y", 0) == Ok(1) && recv(fd, &mut byte, 0) == Ok(1) && byte[0] == b'k'
                {
                    20
                } else {
                    3
                }
            }
            Ok(()) => 4,
            Err(error) => 60 + error.as_raw(),
        }
    });
    restore(SIGUSR1);
    let _ = close(ready_write);
    let child = child?;
    let ready = said(ready_read);
    let _ = close(ready_read);
    let signalled = (|| {
        ensure!(
            ready == Some(b'r'),
            "the child never said it was connecting"
        );
        sleep_milliseconds(100);
        kill(child, SIGUSR1).map_err(|e| format!("kill: {e:?}"))?;
        if flags & SA_RESTART != 0 {
            sleep_milliseconds(100);
            ensure!(
                waitpid(child, None, WNOHANG) == Ok(0),
                "the child's connect returned while the queue was full"
            );
        }
        Ok(())
    })();
    if let Err(error) = signalled {
        let _ = kill(child, SIGKILL);
        let _ = waitpid(child, None, 0);
        return Err(error);
    }
    if flags & SA_RESTART == 0 {
        expect_exit(child, 10)?;
        // The abandoned connect left nothing at the server: exactly the two queued
        // connections are there, then the queue is empty, and a new one is served.
        for _ in 0..2 {
            queued.push(accept_soon(listening)?);
        }
        let empty = accept(listening);
        ensure!(
            empty.as_ref().err() == Some(&Errno::EAGAIN),
            "a third accept after the interrupted connect gave {empty:?}"
        );
        let client = connected(name)?;
        queued.push(client);
        let accepted = accept_soon(listening)?;
        queued.push(accepted);
        let sent = send(client, b"z", 0);
        let mut byte = [0u8; 1];
        let got = recv(accepted, &mut byte, 0);
        ensure!(
            sent == Ok(1) && got == Ok(1) && byte[0] == b'z',
            "a connection made afterwards: send {sent:?}, recv {got:?}"
        );
        return Ok(());
    }
    // Room for one: the restarted connect goes in behind the second queued connection.
    let taken = (|| {
        queued.push(accept_soon(listening)?);
        queued.push(accept_soon(listening)?);
        let last = accept_soon(listening)?;
        queued.push(last);
        let mut byte = [0u8; 1];
        let got = recv(last, &mut byte, 0);
        let answered = send(last, b"k", 0);
        ensure!(
            got == Ok(1) && byte[0] == b'y' && answered == Ok(1),
            "the restarted connection: recv {got:?} {byte:?}, send {answered:?}"
        );
        Ok(())
    })();
    if let Err(error) = taken {
        let _ = kill(child, SIGKILL);
        let _ = waitpid(child, None, 0);
        return Err(error);
    }
    expect_exit(child, 20)
}

fn connect_interrupted() -> CheckOutcome {
    connecter(b"signal-connect-interrupted", 0)
}

fn connect_restarted() -> CheckOutcome {
    connecter(b"signal-connect-restarted", SA_RESTART)
}

/// A child in the foreground group blocks reading the terminal (no input comes) while its
/// parent signals it: `EINTR` after the handler ran; then the terminal server answers the same
/// client's next (nonblocking) read at once with `EAGAIN` — no stale answer, no hang.
fn terminal_read_interrupted() -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY)?;
    let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let _ = write(ready_write, b"r");
        let mut byte = [0u8; 1];
        let result = read(0, &mut byte);
        if result != Err(Errno::EINTR) || HANDLED.load(Ordering::SeqCst) != 1 {
            return match result {
                Ok(_) => 3,
                Err(error) => 60 + error.as_raw(),
            };
        }
        let Ok(flags) = libos::io::fcntl(0, libposix_sys::fcntl::F_GETFL, 0) else {
            return 4;
        };
        let flags = flags as u64;
        let nonblocking = flags | libposix_sys::fcntl::O_NONBLOCK as u64;
        if libos::io::fcntl(0, libposix_sys::fcntl::F_SETFL, nonblocking).is_err() {
            return 5;
        }
        let again = read(0, &mut byte);
        let _ = libos::io::fcntl(0, libposix_sys::fcntl::F_SETFL, flags);
        if again == Err(Errno::EAGAIN) { 10 } else { 6 }
    });
    restore(SIGUSR1);
    let _ = close(ready_write);
    let child = child?;
    let ready = said(ready_read);
    let _ = close(ready_read);
    if ready != Some(b'r') {
        let _ = kill(child, SIGKILL);
        return expect_signalled(child, SIGKILL)
            .and(Err(String::from("the child never said it was reading")));
    }
    sleep_milliseconds(100);
    kill(child, SIGUSR1).map_err(|e| format!("kill: {e:?}"))?;
    expect_exit(child, 10)
}

/// A child receiving on an empty socket pair (its writer a thread of the child that sends once
/// the handler ran) while its parent signals it, the handler installed with `flags`: exits 10
/// on `EINTR` (and the byte sent afterwards is then received), 20 when the receive restarted
/// and got the byte.
fn socket_receiver(flags: u64) -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, flags, SignalSet::EMPTY)?;
    let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let Ok([ours, theirs]) = libos::socket::socketpair(AF_UNIX, SOCK_STREAM, 0) else {
            return 2;
        };
        let writer = libos::thread::spawn(move || {
            for _ in 0..500 {
                if HANDLED.load(Ordering::SeqCst) != 0 {
                    break;
                }
                sleep_milliseconds(10);
            }
            sleep_milliseconds(100);
            let _ = send(theirs, b"s", 0);
        });
        let _ = write(ready_write, b"r");
        let mut byte = [0u8; 1];
        let result = recv(ours, &mut byte, 0);
        if let Ok(writer) = writer {
            let _ = writer.join();
        }
        let handled = HANDLED.load(Ordering::SeqCst);
        match result {
            Err(Errno::EINTR) if handled == 1 => {
                // The connection is intact: the byte sent after the handler arrives.
                if recv(ours, &mut byte, 0) == Ok(1) && byte[0] == b's' {
                    10
                } else {
                    11
                }
            }
            Ok(1) if byte[0] == b's' && handled == 1 => 20,
            Ok(count) => 30 + count as i32,
            Err(error) => 60 + error.as_raw(),
        }
    });
    restore(SIGUSR1);
    let _ = close(ready_write);
    let child = child?;
    let ready = said(ready_read);
    let _ = close(ready_read);
    if ready != Some(b'r') {
        let _ = kill(child, SIGKILL);
        let _ = waitpid(child, None, 0);
        return Err(String::from("the child never said it was receiving"));
    }
    sleep_milliseconds(100);
    kill(child, SIGUSR1).map_err(|e| format!("kill: {e:?}"))?;
    expect_exit(child, if flags & SA_RESTART != 0 { 20 } else { 10 })
}

fn socket_receive_interrupted() -> CheckOutcome {
    socket_receiver(0).map_err(|e| format!("without SA_RESTART: {e}"))?;
    socket_receiver(SA_RESTART).map_err(|e| format!("with SA_RESTART: {e}"))
}

/// Two children fill a listener's queue (backlog 1: two places) and are killed before anyone
/// accepts: once they are collected (their memory, which paid for the connections, taken back)
/// the queue has room for two new connections at once, and accepting never fails with anything
/// but `EAGAIN` — the dead ones are dropped by the socket server, not handed out broken nor
/// kept in its table.
fn killed_connectors() -> CheckOutcome {
    const NAME: &[u8] = b"signal-killed-connectors";
    let listening = listener(NAME, 1, SOCK_NONBLOCK)?;
    let mut fds = alloc::vec::Vec::new();
    let outcome = (|| {
        for _ in 0..2 {
            let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
            let child = in_child(move || {
                if connected(NAME).is_err() {
                    return 2;
                }
                let _ = write(ready_write, b"c");
                loop {
                    sleep_milliseconds(1000);
                }
            });
            let _ = close(ready_write);
            let child = child?;
            let ready = said(ready_read);
            let _ = close(ready_read);
            let _ = kill(child, SIGKILL);
            expect_signalled(child, SIGKILL)?;
            ensure!(ready == Some(b'c'), "a child did not connect");
        }
        for _ in 0..2 {
            let fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)
                .map_err(|e| format!("socket: {e:?}"))?;
            fds.push(fd);
            let result = connect(fd, &address_bytes(NAME));
            ensure!(
                result == Ok(()),
                "a connect after the connectors were killed: {result:?}"
            );
        }
        let mut accepted = 0;
        loop {
            match accept(listening) {
                Ok((fd, _)) => {
                    fds.push(fd);
                    accepted += 1;
                }
                Err(Errno::EAGAIN) => break,
                Err(error) => return Err(format!("accept: {error:?}")),
            }
        }
        ensure!(
            accepted == 2,
            "{accepted} connections accepted, not the 2 alive"
        );
        let sent = send(fds[0], b"a", 0);
        let mut byte = [0u8; 1];
        let got = recv(fds[2], &mut byte, 0);
        ensure!(
            sent == Ok(1) && got == Ok(1) && byte[0] == b'a',
            "the first live connection: send {sent:?}, recv {got:?}"
        );
        Ok(())
    })();
    for fd in fds {
        let _ = close(fd);
    }
    let _ = close(listening);
    outcome
}

/// A child reading a zero eventfd (a thread of the child adds 5 once the handler ran) while its
/// parent signals it, the handler installed with `flags`: exits 10 on `EINTR` (and the value
/// added afterwards is then read), 20 when the read restarted and got the value.
fn eventfd_reader(flags: u64) -> CheckOutcome {
    reset_counters();
    install(SIGUSR1, counting_handler, flags, SignalSet::EMPTY)?;
    let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let Ok(counter) = libos::event::eventfd(0) else {
            return 2;
        };
        let adder = libos::thread::spawn(move || {
            for _ in 0..500 {
                if HANDLED.load(Ordering::SeqCst) != 0 {
                    break;
                }
                sleep_milliseconds(10);
            }
            sleep_milliseconds(100);
            let _ = write(counter, &5u64.to_ne_bytes());
        });
        let _ = write(ready_write, b"r");
        let mut value = [0u8; 8];
        let result = read(counter, &mut value);
        if let Ok(adder) = adder {
            let _ = adder.join();
        }
        let handled = HANDLED.load(Ordering::SeqCst);
        match result {
            Err(Errno::EINTR) if handled == 1 => {
                if read(counter, &mut value) == Ok(8) && u64::from_ne_bytes(value) == 5 {
                    10
                } else {
                    11
                }
            }
            Ok(8) if u64::from_ne_bytes(value) == 5 && handled == 1 => 20,
            Ok(count) => 30 + count as i32,
            Err(error) => 60 + error.as_raw(),
        }
    });
    restore(SIGUSR1);
    signal_once_reading(child, ready_read, ready_write, flags)
}

fn eventfd_read_interrupted() -> CheckOutcome {
    eventfd_reader(0).map_err(|e| format!("without SA_RESTART: {e}"))?;
    eventfd_reader(SA_RESTART).map_err(|e| format!("with SA_RESTART: {e}"))
}

/// A child polling an empty pipe (a thread of the child writes after 500 ms) is stopped and
/// continued by its parent meanwhile, with no handler: the poll goes on (Linux restarts it) and
/// reports the pipe readable, rather than failing with `EINTR`.
fn poll_across_stop() -> CheckOutcome {
    use libposix_sys::poll::{POLLIN, Pollfd};
    use libposix_sys::signal::{SIGCONT, SIGSTOP};
    use libposix_sys::wait::{WIFSTOPPED, WUNTRACED};
    let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let Ok([read_end, write_end]) = pipe() else {
            return 2;
        };
        let writer = libos::thread::spawn(move || {
            sleep_milliseconds(500);
            let _ = write(write_end, b"p");
        });
        let _ = write(ready_write, b"r");
        let mut fds = [Pollfd {
            fd: read_end,
            events: POLLIN,
            revents: 0,
        }];
        let result = libos::event::poll(&mut fds, 5000);
        if let Ok(writer) = writer {
            let _ = writer.join();
        }
        match result {
            Ok(1) if fds[0].revents & POLLIN != 0 => 0,
            Ok(count) => 30 + count as i32,
            Err(error) => 60 + error.as_raw(),
        }
    });
    let _ = close(ready_write);
    let child = child?;
    let ready = said(ready_read);
    let _ = close(ready_read);
    let stopped = (|| {
        ensure!(ready == Some(b'r'), "the child never said it was polling");
        sleep_milliseconds(100);
        kill(child, SIGSTOP).map_err(|e| format!("kill SIGSTOP: {e:?}"))?;
        let mut status = 0;
        let seen = waitpid(child, Some(&mut status), WUNTRACED);
        ensure!(
            seen == Ok(child) && WIFSTOPPED(status),
            "the stop was not reported: {seen:?} {status:#x}"
        );
        kill(child, SIGCONT).map_err(|e| format!("kill SIGCONT: {e:?}"))?;
        Ok(())
    })();
    if let Err(error) = stopped {
        let _ = kill(child, SIGKILL);
        let _ = waitpid(child, None, 0);
        return Err(error);
    }
    expect_exit(child, 0)
}

/// The word [`futex_waiter`]'s child waits on.
static FUTEX_WORD: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// A child in `futex(FUTEX_WAIT)` on a zero word (a thread of the child sets it to 1 and wakes
/// it once the handler ran) while its parent signals it, the handler installed with `flags`:
/// exits 10 on `EINTR`, 20 when the wait restarted and was woken with the word at 1.
fn futex_waiter(flags: u64) -> CheckOutcome {
    use libposix_sys::futex::{FUTEX_WAIT, FUTEX_WAKE};
    reset_counters();
    FUTEX_WORD.store(0, Ordering::SeqCst);
    install(SIGUSR1, counting_handler, flags, SignalSet::EMPTY)?;
    let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let waker = libos::thread::spawn(move || {
            for _ in 0..500 {
                if HANDLED.load(Ordering::SeqCst) != 0 {
                    break;
                }
                sleep_milliseconds(10);
            }
            sleep_milliseconds(100);
            FUTEX_WORD.store(1, Ordering::SeqCst);
            let _ = libos::thread::futex::futex(&FUTEX_WORD, FUTEX_WAKE, 1, None, 0);
        });
        let _ = write(ready_write, b"r");
        let result = libos::thread::futex::futex(&FUTEX_WORD, FUTEX_WAIT, 0, None, 0);
        if let Ok(waker) = waker {
            let _ = waker.join();
        }
        let handled = HANDLED.load(Ordering::SeqCst);
        match result {
            Err(Errno::EINTR) if handled == 1 => 10,
            Ok(0) if handled == 1 && FUTEX_WORD.load(Ordering::SeqCst) == 1 => 20,
            Ok(_) => 30,
            Err(error) => 60 + error.as_raw(),
        }
    });
    restore(SIGUSR1);
    let _ = close(ready_write);
    let child = child?;
    let ready = said(ready_read);
    let _ = close(ready_read);
    if ready != Some(b'r') {
        let _ = kill(child, SIGKILL);
        let _ = waitpid(child, None, 0);
        return Err(String::from("the child never said it was waiting"));
    }
    sleep_milliseconds(100);
    kill(child, SIGUSR1).map_err(|e| format!("kill: {e:?}"))?;
    expect_exit(child, if flags & SA_RESTART != 0 { 20 } else { 10 })
}

fn futex_wait_interrupted() -> CheckOutcome {
    futex_waiter(0).map_err(|e| format!("without SA_RESTART: {e}"))?;
    futex_waiter(SA_RESTART).map_err(|e| format!("with SA_RESTART: {e}"))
}

/// A child reading a disarmed timerfd (a thread of the child arms it for 50 ms once the handler
/// ran) while its parent signals it, the handler installed with `flags`: exits 10 on `EINTR`
/// (and the expiry is then read), 20 when the read restarted and got the expiry.
fn timerfd_reader(flags: u64) -> CheckOutcome {
    use libposix_sys::time::{Itimerspec, Timespec};
    reset_counters();
    install(SIGUSR1, counting_handler, flags, SignalSet::EMPTY)?;
    let [ready_read, ready_write] = pipe().map_err(|e| format!("pipe: {e:?}"))?;
    let child = in_child(move || {
        let Ok(timer) = libos::event::timerfd_create(libposix_sys::clock::CLOCK_MONOTONIC, 0)
        else {
            return 2;
        };
        let armer = libos::thread::spawn(move || {
            for _ in 0..500 {
                if HANDLED.load(Ordering::SeqCst) != 0 {
                    break;
                }
                sleep_milliseconds(10);
            }
            sleep_milliseconds(100);
            let setting = Itimerspec {
                it_interval: Timespec::default(),
                it_value: Timespec::from_nanoseconds(50_000_000),
            };
            let _ = libos::event::timerfd_settime(timer, 0, &setting);
        });
        let _ = write(ready_write, b"r");
        let mut count = [0u8; 8];
        let result = read(timer, &mut count);
        if let Ok(armer) = armer {
            let _ = armer.join();
        }
        let handled = HANDLED.load(Ordering::SeqCst);
        match result {
            Err(Errno::EINTR) if handled == 1 => {
                if read(timer, &mut count) == Ok(8) && u64::from_ne_bytes(count) == 1 {
                    10
                } else {
                    11
                }
            }
            Ok(8) if u64::from_ne_bytes(count) == 1 && handled == 1 => 20,
            Ok(read) => 30 + read as i32,
            Err(error) => 60 + error.as_raw(),
        }
    });
    restore(SIGUSR1);
    signal_once_reading(child, ready_read, ready_write, flags)
}

fn timerfd_read_interrupted() -> CheckOutcome {
    timerfd_reader(0).map_err(|e| format!("without SA_RESTART: {e}"))?;
    timerfd_reader(SA_RESTART).map_err(|e| format!("with SA_RESTART: {e}"))
}
