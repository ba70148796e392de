//! Checks that a named-socket server survives the SIGKILL of a client that paid for the
//! connection's rings (the connecting side makes the frame): when the client is reaped its quota
//! is revoked and the frame goes from the server's address space too; the server's next access
//! must end in `ECONNRESET`, end of file and `EPIPE`, not a page fault that kills it.

use alloc::format;
use alloc::string::String;

use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::socket::named::address_bytes;
use libos::socket::{accept, bind, connect, listen, recv, send, socket};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::poll::{POLLERR, POLLHUP, POLLIN, Pollfd};
use libposix_sys::signal::SIGKILL;
use libposix_sys::socket::{AF_UNIX, MSG_NOSIGNAL, SOCK_SEQPACKET, SOCK_STREAM};

use crate::ensure;
use crate::support::{Fd, sleep_milliseconds};

fn poll_one(fd: i32) -> i16 {
    let mut fds = [Pollfd {
        fd,
        events: POLLIN,
        revents: 0,
    }];
    match libos::event::poll(&mut fds, 0) {
        Ok(_) => fds[0].revents,
        Err(_) => -1,
    }
}

/// One server/client round: the forked client connects to `name` (paying for the rings), sends
/// `first` then `second`, and sleeps until killed; the server reads `first`, sees the rest
/// ready, kills and reaps the client, and must then get the errors a reset connection gives.
fn survive(kind: i32, name: &[u8]) -> CheckOutcome {
    let listener = Fd(socket(AF_UNIX, kind, 0).map_err(|error| format!("socket: {error}"))?);
    bind(listener.0, &address_bytes(name)).map_err(|error| format!("bind: {error}"))?;
    listen(listener.0, 1).map_err(|error| format!("listen: {error}"))?;
    let client = fork().map_err(|error| format!("fork: {error}"))?;
    if client == 0 {
        let status = (|| -> Result<core::convert::Infallible, i32> {
            let fd = socket(AF_UNIX, kind, 0).map_err(|_| 1)?;
            connect(fd, &address_bytes(name)).map_err(|_| 2)?;
            for message in [&b"first"[..], b"second"] {
                if send(fd, message, 0) != Ok(message.len()) {
                    return Err(3);
                }
            }
            loop {
                sleep_milliseconds(500);
            }
        })();
        match status {
            Err(code) => _exit(code),
        }
    }
    let result = (|| -> Result<(), String> {
        let (accepted, _) = accept(listener.0).map_err(|error| format!("accept: {error}"))?;
        let server = Fd(accepted);
        let mut buffer = [0u8; 16];
        let first = recv(server.0, &mut buffer[..5], 0);
        ensure!(
            first == Ok(5) && &buffer[..5] == b"first",
            "recv before the kill gave {first:?}"
        );
        // Wait until the second message is there: the readiness check before the copy.
        let mut ready = false;
        for _ in 0..200 {
            if poll_one(server.0) & POLLIN != 0 {
                ready = true;
                break;
            }
            sleep_milliseconds(5);
        }
        ensure!(ready, "the client's second message never became readable");
        libos::signal::kill(client, SIGKILL).map_err(|error| format!("kill: {error}"))?;
        let collected = waitpid(client, None, 0);
        ensure!(
            collected == Ok(client),
            "waitpid(client) gave {collected:?}"
        );
        let revents = poll_one(server.0);
        ensure!(
            revents >= 0 && revents & POLLHUP != 0 && revents & POLLERR != 0,
            "poll of the connection whose rings died gave {revents:#x}"
        );
        let after = recv(server.0, &mut buffer, 0);
        ensure!(
            after == Err(Errno::ECONNRESET),
            "recv after the paying client was killed gave {after:?}, not ECONNRESET"
        );
        let again = recv(server.0, &mut buffer, 0);
        ensure!(
            again == Ok(0),
            "recv after the reset gave {again:?}, not end of file"
        );
        let sent = send(server.0, b"reply", MSG_NOSIGNAL);
        ensure!(
            sent == Err(Errno::EPIPE),
            "send after the reset gave {sent:?}, not EPIPE"
        );
        Ok(())
    })();
    let _ = libos::signal::kill(client, SIGKILL);
    let _ = waitpid(client, None, libposix_sys::wait::WNOHANG);
    result
}

fn server_survives_client_payer_killed() -> CheckOutcome {
    survive(SOCK_STREAM, b"survival-stream")?;
    survive(SOCK_SEQPACKET, b"survival-seqpacket")
}

/// A server whose connected client — the process that paid for the connection's rings — is
/// SIGKILLed between the server's readiness check and its copy keeps running: `POLLHUP` and
/// `POLLERR`, `ECONNRESET`, then end of file, and `EPIPE` (streams and sequenced packets).
pub const SERVER_SURVIVES_CLIENT_PAYER_KILLED: Check = Check {
    name: "socket-server-survives-client-payer-killed",
    covers: &[
        "socket:server-survives-client-payer-killed",
        "recv:ECONNRESET-after-rings-died",
        "send:EPIPE-after-rings-died",
    ],
    run: server_survives_client_payer_killed,
};

fn passed_pipe_outlives_sender() -> CheckOutcome {
    use crate::rights_checks::{received_fds, rights};
    use crate::support::{pair, take};
    let (ours, theirs) = pair(SOCK_STREAM)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        let _ = libos::io::close(ours.0);
        let Ok([read_end, write_end]) = libos::io::pipe2(0) else {
            _exit(2);
        };
        if libos::io::write(write_end, b"unread") != Ok(6) {
            _exit(3);
        }
        // Keeps the write end: only the ring's death can end the reader's wait.
        let sent = libos::socket::sendmsg(theirs.0, None, &[b"p"], &rights(&[read_end]), 0);
        _exit(if sent == Ok(1) { 0 } else { 4 });
    }
    drop(theirs);
    let mut data = [0u8; 4];
    let mut control = [0u8; 64];
    let received = libos::socket::recvmsg(ours.0, &mut [&mut data[..]], &mut control, 0)
        .map_err(|error| format!("recvmsg: {error}"))?;
    let fds = received_fds(&control, received.control_length);
    ensure!(fds.len() == 1, "received {fds:?}");
    let passed = Fd(fds[0]);
    // The sender exits and is reaped: its quota, and the ring it paid for, are gone.
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0);
    ensure!(
        collected == Ok(pid) && status == 0,
        "the sender ended {collected:?} with {status:#x}"
    );
    let after = take(passed.0, 16)?;
    ensure!(
        after.is_empty(),
        "read of a pipe whose sender (and payer) is gone gave {after:?}, not end of file"
    );
    Ok(())
}

/// A pipe read end passed with `SCM_RIGHTS` by the process that made it (and paid for its ring)
/// survives that process's exit and reaping: end of file, not a fault.
pub const PASSED_PIPE_OUTLIVES_SENDER: Check = Check {
    name: "pipe-passed-outlives-its-sender",
    covers: &["pipe:reader-survives-creator-exit"],
    run: passed_pipe_outlives_sender,
};
