//! Checks of AF_UNIX socket pairs: streams and message boundaries, `MSG_PEEK`, `MSG_DONTWAIT`,
//! `MSG_TRUNC`, `shutdown`, socket options including `SO_PEERCRED`, addresses, errors, large
//! transfers, and what a side sees when its peer closes, crashes or is killed.

use alloc::format;
use alloc::vec;
use alloc::vec::Vec;

use libos::io::{close, read, write};
use libos::process::fork;
use libos::process::identity::{_exit, getpid, waitpid};
use libos::socket::{
    OptionValue, getpeername, getsockname, getsockopt, recv, recvfrom, recvmsg, send, sendmsg,
    sendto, setsockopt, shutdown, socket, socketpair,
};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_GETFL, O_NONBLOCK};
use libposix_sys::socket::{
    AF_INET, AF_UNIX, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, SHUT_RD,
    SHUT_WR, SO_ERROR, SO_PEERCRED, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF, SO_TYPE, SOCK_DGRAM,
    SOCK_NONBLOCK, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET,
};

use crate::ensure;
use crate::support::{Fd, expect_exit, pair, put, sleep_milliseconds, take};

fn stream_round_trip() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    ensure!(send(first.0, b"hello, ", 0) == Ok(7), "send failed");
    ensure!(send(first.0, b"socket", 0) == Ok(6), "send failed");
    let mut buffer = [0u8; 64];
    let count = recv(second.0, &mut buffer, 0).map_err(|error| format!("recv: {error}"))?;
    ensure!(
        &buffer[..count] == b"hello, socket",
        "stream gave {:?}",
        &buffer[..count]
    );
    put(second.0, b"back")?;
    ensure!(take(first.0, 64)? == b"back", "the other direction failed");
    Ok(())
}

/// A stream pair carries bytes in order both ways (`send`/`recv`, `read`/`write`).
pub const STREAM: Check = Check {
    name: "socketpair-stream-round-trip",
    covers: &["send", "recv", "socketpair:SOCK_STREAM"],
    run: stream_round_trip,
};

fn datagram_boundaries() -> CheckOutcome {
    let (first, second) = pair(SOCK_DGRAM)?;
    put(first.0, b"ab")?;
    put(first.0, b"cde")?;
    put(first.0, b"")?;
    ensure!(take(second.0, 64)? == b"ab", "first datagram");
    ensure!(take(second.0, 64)? == b"cde", "second datagram");
    ensure!(take(second.0, 64)?.is_empty(), "an empty datagram was lost");
    put(first.0, b"truncated")?;
    ensure!(take(second.0, 4)? == b"trun", "a short read of a datagram");
    put(first.0, b"next")?;
    ensure!(
        take(second.0, 64)? == b"next",
        "the rest of a truncated datagram was not dropped"
    );
    Ok(())
}

/// `SOCK_DGRAM`: each send is one message; a short read drops the rest.
pub const DATAGRAM: Check = Check {
    name: "socketpair-dgram-boundaries",
    covers: &["socketpair:SOCK_DGRAM"],
    run: datagram_boundaries,
};

fn sequenced_packets() -> CheckOutcome {
    let (first, second) = pair(SOCK_SEQPACKET)?;
    put(first.0, b"packet one")?;
    put(first.0, b"two")?;
    let mut small = [0u8; 6];
    let info = recvmsg(second.0, &mut [&mut small[..]], &mut [], 0)
        .map_err(|e| format!("recvmsg: {e}"))?;
    ensure!(
        info.count == 6 && info.flags & MSG_TRUNC != 0,
        "truncation not reported: {info:?}"
    );
    ensure!(&small == b"packet", "truncated packet {small:?}");
    ensure!(take(second.0, 64)? == b"two", "the next packet");
    put(first.0, b"sized")?;
    let length = recv(second.0, &mut [0u8; 2], MSG_TRUNC);
    ensure!(
        length == Ok(5),
        "MSG_TRUNC gave {length:?}, not the real length"
    );
    let big = vec![1u8; 40_000];
    ensure!(
        send(first.0, &big, 0) == Err(Errno::EMSGSIZE),
        "an oversized packet was taken"
    );
    Ok(())
}

/// `SOCK_SEQPACKET`: boundaries kept, `MSG_TRUNC` in `msg_flags` and as a flag, `EMSGSIZE`.
pub const SEQUENCED: Check = Check {
    name: "socketpair-seqpacket-boundaries",
    covers: &[
        "socketpair:SOCK_SEQPACKET",
        "recvmsg:MSG_TRUNC",
        "send:EMSGSIZE",
    ],
    run: sequenced_packets,
};

fn peek() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    put(first.0, b"peek")?;
    let mut buffer = [0u8; 8];
    ensure!(
        recv(second.0, &mut buffer, MSG_PEEK) == Ok(4),
        "peek failed"
    );
    ensure!(&buffer[..4] == b"peek", "peek gave {buffer:?}");
    ensure!(
        take(second.0, 8)? == b"peek",
        "the peeked data was consumed"
    );
    let (one, two) = pair(SOCK_DGRAM)?;
    put(one.0, b"dgram")?;
    ensure!(
        recv(two.0, &mut buffer, MSG_PEEK) == Ok(5),
        "datagram peek failed"
    );
    ensure!(
        take(two.0, 8)? == b"dgram",
        "the peeked datagram was consumed"
    );
    Ok(())
}

/// `MSG_PEEK` leaves the data (bytes or the whole datagram) for the next receive.
pub const PEEK: Check = Check {
    name: "recv-msg-peek",
    covers: &["recv:MSG_PEEK"],
    run: peek,
};

fn nonblocking() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    let mut buffer = [0u8; 8];
    ensure!(
        recv(first.0, &mut buffer, MSG_DONTWAIT) == Err(Errno::EAGAIN),
        "MSG_DONTWAIT did not give EAGAIN"
    );
    let [third, fourth] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0)
        .map_err(|error| format!("socketpair: {error}"))?;
    let (third, _fourth) = (Fd(third), Fd(fourth));
    ensure!(
        libos::io::fcntl(third.0, F_GETFL, 0).is_ok_and(|flags| flags as i32 & O_NONBLOCK != 0),
        "SOCK_NONBLOCK is not in the status flags"
    );
    ensure!(
        read(third.0, &mut buffer) == Err(Errno::EAGAIN),
        "a non-blocking read waited"
    );
    // Fill the ring: the send that does not fit gives EAGAIN.
    let block = [7u8; 4096];
    let mut sent = 0;
    loop {
        match send(second.0, &block, MSG_DONTWAIT) {
            Ok(count) => sent += count,
            Err(Errno::EAGAIN) => break,
            Err(error) => return Err(format!("send: {error}")),
        }
        ensure!(sent < 1 << 20, "the ring never filled");
    }
    ensure!(sent > 0, "nothing was sent");
    Ok(())
}

/// `MSG_DONTWAIT` and `SOCK_NONBLOCK`: `EAGAIN` when nothing is there or nothing fits.
pub const NONBLOCKING: Check = Check {
    name: "socket-msg-dontwait-and-nonblock",
    covers: &[
        "recv:MSG_DONTWAIT",
        "send:MSG_DONTWAIT",
        "socketpair:SOCK_NONBLOCK",
    ],
    run: nonblocking,
};

fn shutdown_write() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    put(first.0, b"bye")?;
    shutdown(first.0, SHUT_WR).map_err(|error| format!("shutdown: {error}"))?;
    ensure!(
        take(second.0, 8)? == b"bye",
        "data before the shutdown was lost"
    );
    ensure!(
        take(second.0, 8)?.is_empty(),
        "no end of file after SHUT_WR"
    );
    ensure!(
        send(first.0, b"x", MSG_NOSIGNAL) == Err(Errno::EPIPE),
        "a send after SHUT_WR"
    );
    put(second.0, b"still")?;
    ensure!(take(first.0, 8)? == b"still", "the other direction stopped");
    ensure!(
        shutdown(first.0, 7) == Err(Errno::EINVAL),
        "a bad how was accepted"
    );
    let pipe = crate::support::pipe_with(0)?;
    ensure!(
        shutdown(pipe.read.0, SHUT_WR) == Err(Errno::ENOTSOCK),
        "a pipe was shut down"
    );
    Ok(())
}

/// `shutdown(SHUT_WR)`: the peer reads the data then end of file; our sends are `EPIPE`.
pub const SHUTDOWN_WRITE: Check = Check {
    name: "shutdown-write",
    covers: &["shutdown"],
    run: shutdown_write,
};

fn shutdown_read() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    shutdown(first.0, SHUT_RD).map_err(|error| format!("shutdown: {error}"))?;
    ensure!(
        send(second.0, b"x", MSG_NOSIGNAL) == Err(Errno::EPIPE),
        "the peer could still send"
    );
    ensure!(
        take(first.0, 8)?.is_empty(),
        "a read after SHUT_RD did not give 0"
    );
    put(first.0, b"out")?;
    ensure!(take(second.0, 8)? == b"out", "SHUT_RD stopped our sending");
    Ok(())
}

/// `shutdown(SHUT_RD)`: reads give end of file, the peer's sends `EPIPE`.
pub const SHUTDOWN_READ: Check = Check {
    name: "shutdown-read",
    covers: &["shutdown:SHUT_RD"],
    run: shutdown_read,
};

fn close_gives_eof_and_epipe() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    put(second.0, b"tail")?;
    drop(second);
    ensure!(
        take(first.0, 8)? == b"tail",
        "data sent before the close was lost"
    );
    ensure!(
        take(first.0, 8)?.is_empty(),
        "no end of file after the peer closed"
    );
    ensure!(
        send(first.0, b"x", MSG_NOSIGNAL) == Err(Errno::EPIPE),
        "no EPIPE after the peer closed"
    );
    Ok(())
}

/// The peer's close: end of file after its data, `EPIPE` on send.
pub const CLOSE: Check = Check {
    name: "socket-peer-close-eof-epipe",
    covers: &["send:EPIPE", "send:MSG_NOSIGNAL"],
    run: close_gives_eof_and_epipe,
};

fn integer(value: Result<OptionValue, Errno>) -> Result<i32, alloc::string::String> {
    match value {
        Ok(OptionValue::Integer(value)) => Ok(value),
        other => Err(format!("getsockopt gave {other:?}")),
    }
}

fn options() -> CheckOutcome {
    for kind in [SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET] {
        let (first, _second) = pair(kind)?;
        ensure!(
            integer(getsockopt(first.0, SOL_SOCKET, SO_TYPE))? == kind,
            "SO_TYPE of {kind}"
        );
    }
    let (first, _second) = pair(SOCK_STREAM)?;
    ensure!(
        integer(getsockopt(first.0, SOL_SOCKET, SO_ERROR))? == 0,
        "SO_ERROR not 0"
    );
    setsockopt(first.0, SOL_SOCKET, SO_RCVBUF, 10_000).map_err(|e| format!("SO_RCVBUF: {e}"))?;
    ensure!(
        integer(getsockopt(first.0, SOL_SOCKET, SO_RCVBUF))? == 20_000,
        "SO_RCVBUF not doubled"
    );
    ensure!(
        integer(getsockopt(first.0, SOL_SOCKET, SO_SNDBUF))? > 0,
        "SO_SNDBUF"
    );
    ensure!(
        integer(getsockopt(first.0, SOL_SOCKET, SO_REUSEADDR))? == 0,
        "SO_REUSEADDR set"
    );
    setsockopt(first.0, SOL_SOCKET, SO_REUSEADDR, 1).map_err(|e| format!("SO_REUSEADDR: {e}"))?;
    ensure!(
        integer(getsockopt(first.0, SOL_SOCKET, SO_REUSEADDR))? == 1,
        "SO_REUSEADDR lost"
    );
    ensure!(
        getsockopt(first.0, SOL_SOCKET, 9999) == Err(Errno::ENOPROTOOPT),
        "unknown option"
    );
    ensure!(
        getsockopt(first.0, 6, SO_TYPE) == Err(Errno::ENOPROTOOPT),
        "another level"
    );
    ensure!(
        setsockopt(first.0, SOL_SOCKET, SO_SNDBUF, -1) == Err(Errno::EINVAL),
        "a negative size"
    );
    let pipe = crate::support::pipe_with(0)?;
    ensure!(
        getsockopt(pipe.read.0, SOL_SOCKET, SO_TYPE) == Err(Errno::ENOTSOCK),
        "a pipe's SO_TYPE"
    );
    ensure!(
        getsockopt(999, SOL_SOCKET, SO_TYPE) == Err(Errno::EBADF),
        "a closed descriptor"
    );
    Ok(())
}

/// `getsockopt`/`setsockopt`: `SO_TYPE`, `SO_ERROR`, `SO_RCVBUF`/`SO_SNDBUF`, `SO_REUSEADDR`,
/// and `ENOPROTOOPT`, `ENOTSOCK`, `EBADF`, `EINVAL`.
pub const OPTIONS: Check = Check {
    name: "socket-options",
    covers: &[
        "getsockopt:SO_TYPE",
        "getsockopt:SO_ERROR",
        "setsockopt:SO_RCVBUF",
        "setsockopt:SO_REUSEADDR",
        "getsockopt:ENOPROTOOPT",
    ],
    run: options,
};

fn peer_credentials() -> CheckOutcome {
    let (first, _second) = pair(SOCK_STREAM)?;
    let ours = getpid().map_err(|error| format!("getpid: {error}"))?;
    match getsockopt(first.0, SOL_SOCKET, SO_PEERCRED) {
        Ok(OptionValue::Credentials(credentials)) => {
            ensure!(
                credentials.pid == ours,
                "SO_PEERCRED pid {} not {ours}",
                credentials.pid
            );
            ensure!(
                credentials.uid == 0 && credentials.gid == 0,
                "credentials {credentials:?}"
            );
        }
        other => return Err(format!("SO_PEERCRED gave {other:?}")),
    }
    Ok(())
}

/// `SO_PEERCRED` on a pair: the creating process's pid (and its user and group, 0 while every
/// process runs as root).
pub const PEER_CREDENTIALS: Check = Check {
    name: "socketpair-so-peercred",
    covers: &["getsockopt:SO_PEERCRED-socketpair"],
    run: peer_credentials,
};

fn vectored_messages() -> CheckOutcome {
    let (first, second) = pair(SOCK_SEQPACKET)?;
    let sent = sendmsg(first.0, None, &[b"gath", b"ered"], &[], 0);
    ensure!(sent == Ok(8), "sendmsg gave {sent:?}");
    let (mut head, mut tail) = ([0u8; 3], [0u8; 8]);
    let info = recvmsg(second.0, &mut [&mut head[..], &mut tail[..]], &mut [], 0)
        .map_err(|error| format!("recvmsg: {error}"))?;
    ensure!(info.count == 8 && info.flags == 0, "recvmsg gave {info:?}");
    ensure!(
        &head == b"gat" && &tail[..5] == b"hered",
        "scattered {head:?} {tail:?}"
    );
    ensure!(
        info.address.len() == 2,
        "an unnamed peer's address {:?}",
        info.address
    );
    let control = sendmsg(first.0, None, &[b"x"], &[0u8; 24], 0);
    ensure!(
        control == Err(Errno::EINVAL),
        "malformed control data gave {control:?}"
    );
    let mut credentials = [0u8; 28];
    credentials[..8].copy_from_slice(&28u64.to_ne_bytes());
    credentials[8..12].copy_from_slice(&1i32.to_ne_bytes());
    credentials[12..16].copy_from_slice(&2i32.to_ne_bytes());
    // Credentials the server vouches for (root may claim any: pid and ids 0 here).
    let control = sendmsg(first.0, None, &[b"x"], &credentials, 0);
    ensure!(control == Ok(1), "SCM_CREDENTIALS gave {control:?}");
    Ok(())
}

/// `sendmsg` gathers one message, `recvmsg` scatters it; malformed control data is `EINVAL`,
/// a well-formed `SCM_CREDENTIALS` message is taken (vouched for by the socket server).
pub const VECTORED: Check = Check {
    name: "sendmsg-recvmsg-vectors",
    covers: &["sendmsg:iovec", "recvmsg:iovec"],
    run: vectored_messages,
};

fn addresses() -> CheckOutcome {
    let (first, second) = pair(SOCK_DGRAM)?;
    ensure!(
        sendto(first.0, b"to", 0, None) == Ok(2),
        "sendto without an address"
    );
    let mut buffer = [0u8; 8];
    let got = recvfrom(second.0, &mut buffer, 0);
    ensure!(
        got == Ok((2, libos::socket::named::address_bytes(b""))),
        "recvfrom gave {got:?}"
    );
    let (stream, _other) = pair(SOCK_STREAM)?;
    ensure!(
        sendto(stream.0, b"x", 0, Some(&[1, 0, b'a', 0])) == Err(Errno::EISCONN),
        "an address on a connected stream"
    );
    let unnamed = (AF_UNIX as u16).to_ne_bytes().to_vec();
    ensure!(getsockname(first.0) == Ok(unnamed.clone()), "getsockname");
    ensure!(getpeername(first.0) == Ok(unnamed), "getpeername");
    let pipe = crate::support::pipe_with(0)?;
    ensure!(
        getsockname(pipe.read.0) == Err(Errno::ENOTSOCK),
        "a pipe's name"
    );
    Ok(())
}

/// `sendto`/`recvfrom` on a pair (unnamed addresses), `EISCONN`; `getsockname`/`getpeername`.
pub const ADDRESSES: Check = Check {
    name: "socket-addresses",
    covers: &[
        "sendto:connected",
        "recvfrom:unnamed",
        "getsockname:unnamed",
        "getpeername:unnamed",
    ],
    run: addresses,
};

fn creation_errors() -> CheckOutcome {
    ensure!(
        socketpair(AF_INET, SOCK_STREAM, 0) == Err(Errno::EAFNOSUPPORT),
        "AF_INET"
    );
    ensure!(
        socketpair(AF_UNIX, SOCK_RAW, 0) == Err(Errno::EINVAL),
        "SOCK_RAW"
    );
    ensure!(
        socketpair(AF_UNIX, SOCK_STREAM, 6) == Err(Errno::EPROTONOSUPPORT),
        "protocol 6"
    );
    ensure!(
        socket(AF_INET, SOCK_STREAM, 0) == Err(Errno::EAFNOSUPPORT),
        "socket(AF_INET)"
    );
    ensure!(
        socket(AF_UNIX, SOCK_RAW, 0) == Err(Errno::EINVAL),
        "socket(SOCK_RAW)"
    );
    let (first, _second) = pair(SOCK_STREAM)?;
    ensure!(
        recv(first.0, &mut [0u8; 4], 0x1) == Err(Errno::EOPNOTSUPP),
        "MSG_OOB"
    );
    let status = libos::fs::fstat(first.0).map_err(|error| format!("fstat: {error}"))?;
    ensure!(
        status.st_mode & libposix_sys::mode::S_IFMT == libposix_sys::mode::S_IFSOCK,
        "fstat mode {:#o}",
        status.st_mode
    );
    Ok(())
}

/// `socketpair`'s errors (with the type checks above, its documented behaviour), `socket` of
/// another family; `fstat` says `S_IFSOCK`.
pub const CREATION: Check = Check {
    name: "socketpair-errors",
    covers: &["socketpair", "socket:EAFNOSUPPORT"],
    run: creation_errors,
};

fn large_transfer() -> CheckOutcome {
    let (first, second) = pair(SOCK_STREAM)?;
    const TOTAL: usize = 256 * 1024;
    let target = first.0;
    let writer = libos::thread::spawn(move || {
        let data: Vec<u8> = (0..TOTAL).map(|index| (index % 251) as u8).collect();
        send(target, &data, 0)
    })
    .map_err(|error| format!("spawn: {error:?}"))?;
    let mut received = vec![0u8; TOTAL];
    let count = recv(second.0, &mut received, MSG_WAITALL);
    let sent = writer.join().map_err(|_| "writer failed")?;
    ensure!(sent == Ok(TOTAL), "send gave {sent:?}");
    ensure!(count == Ok(TOTAL), "MSG_WAITALL gave {count:?}");
    ensure!(
        received
            .iter()
            .enumerate()
            .all(|(index, &byte)| byte == (index % 251) as u8),
        "the bytes differ"
    );
    Ok(())
}

/// 256 KiB (eight rings' worth) through a stream between threads; `MSG_WAITALL` waits for all.
pub const LARGE: Check = Check {
    name: "socket-large-transfer",
    covers: &["recv:MSG_WAITALL", "send:blocking"],
    run: large_transfer,
};

#[allow(unconditional_recursion, reason = "the point is to fault")]
fn crash(depth: u64) -> u64 {
    let frame = core::hint::black_box([depth; 64]);
    crash(depth + 1).wrapping_add(frame[0])
}

fn peer_crash() -> CheckOutcome {
    let (ours, theirs) = pair(SOCK_STREAM)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        let _ = close(ours.0);
        let _ = write(theirs.0, b"last words");
        crash(0);
        _exit(3);
    }
    drop(theirs);
    let mut status = 0;
    let _ = waitpid(pid, Some(&mut status), 0);
    ensure!(
        take(ours.0, 32)? == b"last words",
        "the crashed peer's data was lost"
    );
    ensure!(
        take(ours.0, 32)?.is_empty(),
        "no end of file after the peer crashed"
    );
    ensure!(
        send(ours.0, b"x", MSG_NOSIGNAL) == Err(Errno::EPIPE),
        "no EPIPE after the crash"
    );
    Ok(())
}

/// A forked peer that crashes (a real fault, no close): its data, then end of file and `EPIPE`,
/// from the kernel's channel, not the dead peer's LibOS.
pub const PEER_CRASH: Check = Check {
    name: "socketpair-peer-crash",
    covers: &[
        "socketpair:EOF-after-peer-crash",
        "socketpair:EPIPE-after-peer-crash",
    ],
    run: peer_crash,
};

fn server_killed() -> CheckOutcome {
    let (client, server) = pair(SOCK_STREAM)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        let _ = close(client.0);
        // A server that never reads: it sleeps until killed.
        loop {
            sleep_milliseconds(1000);
        }
    }
    drop(server);
    put(client.0, b"request nobody reads")?;
    sleep_milliseconds(10);
    libos::signal::kill(pid, libposix_sys::signal::SIGKILL)
        .map_err(|error| format!("kill: {error}"))?;
    let mut status = 0;
    let _ = waitpid(pid, Some(&mut status), 0);
    let mut buffer = [0u8; 8];
    let first = recv(client.0, &mut buffer, 0);
    ensure!(
        first == Err(Errno::ECONNRESET),
        "recv after the server was killed gave {first:?}"
    );
    let second = send(client.0, b"again", MSG_NOSIGNAL);
    ensure!(
        second == Err(Errno::EPIPE),
        "send after the reset gave {second:?}"
    );
    ensure!(
        recv(client.0, &mut buffer, 0) == Ok(0),
        "end of file after the reset"
    );
    Ok(())
}

/// A client whose server is SIGKILLed with a request unread gets `ECONNRESET`, then `EPIPE`
/// and end of file — never a hang.
pub const SERVER_KILLED: Check = Check {
    name: "socket-server-killed-econnreset",
    covers: &[
        "recv:ECONNRESET-after-peer-killed",
        "send:EPIPE-after-peer-killed",
    ],
    run: server_killed,
};

fn across_fork() -> CheckOutcome {
    let (parent_end, child_end) = pair(SOCK_SEQPACKET)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        let _ = close(parent_end.0);
        let mut buffer = [0u8; 64];
        let mut status = 0;
        for _ in 0..3 {
            match recv(child_end.0, &mut buffer, 0) {
                Ok(count) if send(child_end.0, &buffer[..count], 0) == Ok(count) => {}
                _ => status = 1,
            }
        }
        _exit(status);
    }
    drop(child_end);
    for message in [&b"one"[..], b"two", b"three"] {
        put(parent_end.0, message)?;
        ensure!(take(parent_end.0, 64)? == message, "echo of {message:?}");
    }
    expect_exit(pid, 0)
}

/// A pair shared with a forked child: messages go both ways between the processes.
pub const ACROSS_FORK: Check = Check {
    name: "socketpair-across-fork",
    covers: &["socketpair:across-fork"],
    run: across_fork,
};
