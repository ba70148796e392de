//! Checks of named AF_UNIX sockets through the socket server: `socket`, `bind` (abstract
//! names), `listen` and its backlog, `connect`, `accept`/`accept4`, their errors, names freed
//! when the bound socket closes, a listener in `epoll`, connections between processes with the
//! peer's credentials from the server, and raw calls that try to act on another process's name.

use alloc::format;
use alloc::vec::Vec;

use libos::abi::{Call, OptionalSlot, Rights, Slot};
use libos::event::{epoll_create1, epoll_ctl, epoll_wait};
use libos::io::fcntl;
use libos::kernel::call;
use libos::process::fork;
use libos::process::identity::_exit;
use libos::socket::named::address_bytes;
use libos::socket::protocol::{Operation, SOCKET_SERVER, UNPRIVILEGED_SOCKET_SERVER};
use libos::socket::{
    OptionValue, accept, accept4, bind, connect, getpeername, getsockname, getsockopt, listen,
    socket,
};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::epoll::{EPOLL_CTL_ADD, EPOLLIN, EpollEvent};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_GETFD, FD_CLOEXEC};
use libposix_sys::socket::{
    AF_UNIX, SO_ACCEPTCONN, SO_PEERCRED, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET,
    SOCK_STREAM, SOL_SOCKET,
};

use crate::ensure;
use crate::support::{Fd, expect_exit, put, take};

fn open_socket(kind: i32) -> Result<Fd, alloc::string::String> {
    socket(AF_UNIX, kind, 0)
        .map(Fd)
        .map_err(|error| format!("socket: {error}"))
}

/// A listening socket bound to `name`.
fn listener(kind: i32, name: &[u8], backlog: i32) -> Result<Fd, alloc::string::String> {
    let fd = open_socket(kind)?;
    bind(fd.0, &address_bytes(name)).map_err(|error| format!("bind: {error}"))?;
    listen(fd.0, backlog).map_err(|error| format!("listen: {error}"))?;
    Ok(fd)
}

fn connected(kind: i32, name: &[u8]) -> Result<Fd, alloc::string::String> {
    let fd = open_socket(kind)?;
    connect(fd.0, &address_bytes(name)).map_err(|error| format!("connect: {error}"))?;
    Ok(fd)
}

fn integer(value: Result<OptionValue, Errno>) -> Result<i32, alloc::string::String> {
    match value {
        Ok(OptionValue::Integer(value)) => Ok(value),
        other => Err(format!("getsockopt gave {other:?}")),
    }
}

fn round_trip() -> CheckOutcome {
    let server = listener(SOCK_STREAM, b"events-round-trip", 4)?;
    ensure!(
        integer(getsockopt(server.0, SOL_SOCKET, SO_ACCEPTCONN))? == 1,
        "SO_ACCEPTCONN of a listener"
    );
    let client = connected(SOCK_STREAM, b"events-round-trip")?;
    let (accepted, peer) =
        accept4(server.0, SOCK_CLOEXEC).map_err(|error| format!("accept4: {error}"))?;
    let accepted = Fd(accepted);
    ensure!(
        peer == address_bytes(b""),
        "the connector's address {peer:?}"
    );
    ensure!(
        fcntl(accepted.0, F_GETFD, 0) == Ok(i64::from(FD_CLOEXEC)),
        "SOCK_CLOEXEC not applied"
    );
    put(client.0, b"ping")?;
    ensure!(take(accepted.0, 16)? == b"ping", "client to server");
    put(accepted.0, b"pong")?;
    ensure!(take(client.0, 16)? == b"pong", "server to client");
    let name = address_bytes(b"events-round-trip");
    ensure!(
        getsockname(server.0) == Ok(name.clone()),
        "the listener's name"
    );
    ensure!(
        getsockname(accepted.0) == Ok(name.clone()),
        "the accepted socket's name"
    );
    ensure!(getpeername(client.0) == Ok(name), "the client's peer name");
    ensure!(
        getpeername(accepted.0) == Ok(address_bytes(b"")),
        "an unnamed peer"
    );
    ensure!(
        getpeername(server.0) == Err(Errno::ENOTCONN),
        "a listener's peer"
    );
    drop(client);
    ensure!(
        take(accepted.0, 16)?.is_empty(),
        "no end of file after the client closed"
    );
    Ok(())
}

/// `socket`, `bind` to an abstract name, `listen`, `connect`, `accept4`: bytes both ways, the
/// names `getsockname`/`getpeername` report, end of file when the client goes.
pub const ROUND_TRIP: Check = Check {
    name: "named-socket-round-trip",
    covers: &[
        "socket:AF_UNIX",
        "bind:abstract",
        "listen",
        "connect:abstract",
        "accept4",
        "getsockname:named",
        "getpeername:named",
    ],
    run: round_trip,
};

fn errors() -> CheckOutcome {
    let server = listener(SOCK_STREAM, b"events-errors", 4)?;
    let again = open_socket(SOCK_STREAM)?;
    let result = bind(again.0, &address_bytes(b"events-errors"));
    ensure!(
        result == Err(Errno::EADDRINUSE),
        "a second bind gave {result:?}"
    );
    let nobody = open_socket(SOCK_STREAM)?;
    let result = connect(nobody.0, &address_bytes(b"events-nobody-here"));
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "connect to no name gave {result:?}"
    );
    let bound = open_socket(SOCK_STREAM)?;
    bind(bound.0, &address_bytes(b"events-bound-only")).map_err(|e| format!("bind: {e}"))?;
    let result = bind(bound.0, &address_bytes(b"events-second-name"));
    ensure!(
        result == Err(Errno::EINVAL),
        "binding a bound socket gave {result:?}"
    );
    let result = connect(nobody.0, &address_bytes(b"events-bound-only"));
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "connect to a non-listener gave {result:?}"
    );
    let unbound = open_socket(SOCK_STREAM)?;
    ensure!(
        listen(unbound.0, 1) == Err(Errno::EINVAL),
        "listen on an unbound socket"
    );
    ensure!(
        accept(unbound.0) == Err(Errno::EINVAL),
        "accept on a non-listener"
    );
    let packets = open_socket(SOCK_SEQPACKET)?;
    let result = connect(packets.0, &address_bytes(b"events-errors"));
    ensure!(
        result == Err(Errno::EPROTOTYPE),
        "a type mismatch gave {result:?}"
    );
    let client = connected(SOCK_STREAM, b"events-errors")?;
    let result = connect(client.0, &address_bytes(b"events-errors"));
    ensure!(
        result == Err(Errno::EISCONN),
        "a second connect gave {result:?}"
    );
    let path = open_socket(SOCK_STREAM)?;
    let mut file_path = (AF_UNIX as u16).to_ne_bytes().to_vec();
    file_path.extend_from_slice(b"/tmp/no-such-directory/socket\0");
    ensure!(
        bind(path.0, &file_path) == Err(Errno::ENOENT),
        "a path in a missing directory"
    );
    // A datagram socket takes a name of its own namespace's kind; a stream name is taken.
    let datagram = open_socket(SOCK_DGRAM)?;
    let result = bind(datagram.0, &address_bytes(b"events-errors"));
    ensure!(
        result == Err(Errno::EADDRINUSE),
        "a datagram bind onto a stream's name gave {result:?}"
    );
    let long = alloc::vec![b'n'; 200];
    ensure!(
        bind(unbound.0, &address_bytes(&long)) == Err(Errno::EINVAL),
        "a 200-byte name"
    );
    ensure!(
        bind(unbound.0, &[9, 0, 0, b'x']) == Err(Errno::EAFNOSUPPORT),
        "family 9"
    );
    let (accepted, _) = accept(server.0).map_err(|error| format!("accept: {error}"))?;
    drop(Fd(accepted));
    let nonblocking = open_socket(SOCK_STREAM | SOCK_NONBLOCK)?;
    bind(nonblocking.0, &address_bytes(b"events-nonblocking")).map_err(|e| format!("bind: {e}"))?;
    listen(nonblocking.0, 1).map_err(|e| format!("listen: {e}"))?;
    ensure!(
        accept(nonblocking.0) == Err(Errno::EAGAIN),
        "accept with nothing queued"
    );
    Ok(())
}

/// `EADDRINUSE`, `ECONNREFUSED`, `EINVAL`, `EPROTOTYPE`, `EISCONN`, `EAGAIN`, `EAFNOSUPPORT`;
/// a path in a missing directory `ENOENT`; a datagram bind onto a stream's name `EADDRINUSE`.
pub const ERRORS: Check = Check {
    name: "named-socket-errors",
    covers: &[
        "bind:EADDRINUSE",
        "connect:ECONNREFUSED",
        "connect:EPROTOTYPE",
        "connect:EISCONN",
        "listen:EINVAL",
        "accept:EAGAIN",
    ],
    run: errors,
};

fn name_freed() -> CheckOutcome {
    let server = listener(SOCK_STREAM, b"events-freed", 1)?;
    drop(server);
    let nobody = open_socket(SOCK_STREAM)?;
    let result = connect(nobody.0, &address_bytes(b"events-freed"));
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "connect after the close gave {result:?}"
    );
    let _again = listener(SOCK_STREAM, b"events-freed", 1)?;
    Ok(())
}

/// Closing the bound socket frees its name (the server watches a channel end it holds).
pub const NAME_FREED: Check = Check {
    name: "named-socket-name-freed-on-close",
    covers: &["bind:freed-on-close"],
    run: name_freed,
};

fn backlog() -> CheckOutcome {
    let server = listener(SOCK_STREAM, b"events-backlog", 1)?;
    let mut clients = Vec::new();
    for _ in 0..2 {
        clients.push(connected(SOCK_STREAM | SOCK_NONBLOCK, b"events-backlog")?);
    }
    let third = open_socket(SOCK_STREAM | SOCK_NONBLOCK)?;
    let result = connect(third.0, &address_bytes(b"events-backlog"));
    ensure!(
        result == Err(Errno::EAGAIN),
        "a connect past the backlog gave {result:?}"
    );
    let (accepted, _) = accept(server.0).map_err(|error| format!("accept: {error}"))?;
    drop(Fd(accepted));
    connect(third.0, &address_bytes(b"events-backlog"))
        .map_err(|error| format!("connect after an accept: {error}"))?;
    Ok(())
}

/// `listen`'s backlog: as on Linux, one more than the backlog is queued; a non-blocking
/// connect past it is `EAGAIN` until an accept makes room.
pub const BACKLOG: Check = Check {
    name: "named-socket-backlog",
    covers: &["listen:backlog", "connect:EAGAIN"],
    run: backlog,
};

fn listener_in_epoll() -> CheckOutcome {
    let server = listener(SOCK_SEQPACKET, b"events-epoll", 8)?;
    let epoll = Fd(epoll_create1(0).map_err(|error| format!("epoll_create1: {error}"))?);
    epoll_ctl(
        epoll.0,
        EPOLL_CTL_ADD,
        server.0,
        Some(EpollEvent {
            events: EPOLLIN,
            data: 1,
        }),
    )
    .map_err(|error| format!("epoll_ctl: {error}"))?;
    let mut events = [EpollEvent::default(); 2];
    ensure!(
        epoll_wait(epoll.0, &mut events, 0) == Ok(0),
        "an idle listener was reported"
    );
    let client = connected(SOCK_SEQPACKET, b"events-epoll")?;
    ensure!(
        epoll_wait(epoll.0, &mut events, 1000) == Ok(1),
        "a queued connection not reported"
    );
    let (accepted, _) = accept(server.0).map_err(|error| format!("accept: {error}"))?;
    let accepted = Fd(accepted);
    ensure!(
        epoll_wait(epoll.0, &mut events, 0) == Ok(0),
        "reported after the accept"
    );
    put(client.0, b"one")?;
    put(client.0, b"two")?;
    ensure!(take(accepted.0, 16)? == b"one", "the first packet");
    ensure!(take(accepted.0, 16)? == b"two", "the second packet");
    Ok(())
}

/// A listener is readable in `epoll` while a connection waits; a named `SOCK_SEQPACKET`
/// connection keeps message boundaries.
pub const IN_EPOLL: Check = Check {
    name: "named-socket-listener-in-epoll",
    covers: &["epoll_wait:listening-socket", "connect:SOCK_SEQPACKET"],
    run: listener_in_epoll,
};

/// In a forked child: act as the unprivileged user (its socket-server capability replaces ours).
fn become_unprivileged() -> bool {
    call(Call::CapabilityDelete {
        slot: SOCKET_SERVER,
    })
    .is_ok()
        && call(Call::CapabilityMove {
            source: UNPRIVILEGED_SOCKET_SERVER,
            destination: SOCKET_SERVER,
        })
        .is_ok()
}

fn credentials_across_processes() -> CheckOutcome {
    ensure!(
        call(Call::CapabilityIdentify {
            slot: UNPRIVILEGED_SOCKET_SERVER,
        })
        .is_ok(),
        "no capability of the unprivileged user to the socket server at slot {} (init grants it)",
        UNPRIVILEGED_SOCKET_SERVER.0
    );
    let server = listener(SOCK_STREAM, b"events-credentials", 4)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        drop(server);
        if !become_unprivileged() {
            // Connected all the same, so the parent's `accept` returns and the check fails.
            let _ = connected(SOCK_STREAM, b"events-credentials");
            _exit(2);
        }
        let Ok(client) = connected(SOCK_STREAM, b"events-credentials") else {
            _exit(3);
        };
        let peer = getsockopt(client.0, SOL_SOCKET, SO_PEERCRED);
        let status = match peer {
            Ok(OptionValue::Credentials(peer)) if peer.uid == 0 && peer.gid == 0 => {
                if put(client.0, b"from the child").is_ok()
                    && take(client.0, 16).is_ok_and(|answer| answer == b"welcome")
                {
                    0
                } else {
                    4
                }
            }
            _ => 5,
        };
        _exit(status);
    }
    let (accepted, _) = accept(server.0).map_err(|error| format!("accept: {error}"))?;
    let accepted = Fd(accepted);
    let peer = getsockopt(accepted.0, SOL_SOCKET, SO_PEERCRED);
    ensure!(
        take(accepted.0, 32)? == b"from the child",
        "the child's message"
    );
    put(accepted.0, b"welcome")?;
    expect_exit(pid, 0)?;
    match peer {
        Ok(OptionValue::Credentials(peer)) => {
            ensure!(
                peer.uid == 1000 && peer.gid == 1000,
                "the child's credentials {peer:?}"
            );
        }
        other => return Err(format!("SO_PEERCRED gave {other:?}")),
    }
    Ok(())
}

/// A connection between processes through the server; each side's `SO_PEERCRED` user and group
/// come from the badge `init` minted for the other side (user 1000 for the child), not from
/// anything the peer's LibOS says.
pub const CREDENTIALS: Check = Check {
    name: "named-socket-peer-credentials-across-processes",
    covers: &[
        "accept:across-processes",
        "getsockopt:SO_PEERCRED-user-from-server",
    ],
    run: credentials_across_processes,
};

fn raw(
    endpoint: Slot,
    operation: Operation,
    words: [u64; 2],
) -> Result<u64, alloc::string::String> {
    let receive = libos::slots::allocate().ok_or("no slot")?;
    let result = call(Call::IpcCall {
        endpoint,
        word0: operation as u64,
        word1: words[0],
        word2: words[1],
        transfer: OptionalSlot(None),
        receive: OptionalSlot(Some(receive)),
    });
    let _ = call(Call::CapabilityDelete { slot: receive });
    libos::slots::free(receive);
    let words = result.map_err(|error| format!("raw call: {error}"))?;
    ensure!(words[0] == 0, "a capability came back to a forged call");
    Ok(words[1])
}

fn forged_calls() -> CheckOutcome {
    let server = listener(SOCK_STREAM, b"events-forged", 4)?;
    let _client = connected(SOCK_STREAM, b"events-forged")?;
    // Without the listener's capability, its name cannot be accepted from, whatever the words.
    for name_number in 0..64 {
        let answer = raw(SOCKET_SERVER, Operation::Accept, [name_number, 0])?;
        ensure!(
            answer == Errno::EBADF as u64,
            "a forged accept gave {answer}"
        );
        let answer = raw(SOCKET_SERVER, Operation::Pending, [name_number, 0])?;
        ensure!(
            answer == Errno::EBADF as u64,
            "a forged pending query gave {answer}"
        );
        let answer = raw(SOCKET_SERVER, Operation::AcceptTake, [name_number, 1])?;
        ensure!(answer == Errno::EBADF as u64, "a forged take gave {answer}");
    }
    let answer = raw(SOCKET_SERVER, Operation::Close, [1, 0])?;
    ensure!(
        answer == Errno::EBADF as u64,
        "a forged close gave {answer}"
    );
    ensure!(
        raw(SOCKET_SERVER, Operation::Bind, [5, 1])? != 0,
        "a bind without a page"
    );
    let unknown = call(Call::IpcCall {
        endpoint: SOCKET_SERVER,
        word0: 0x77,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map_err(|error| format!("raw call: {error}"))?;
    ensure!(
        unknown[1] == Errno::ENOSYS as u64,
        "an unknown operation gave {}",
        unknown[1]
    );
    // The real listener still has its connection: nothing was stolen.
    let (accepted, _) = accept(server.0).map_err(|error| format!("accept: {error}"))?;
    drop(Fd(accepted));
    let _ = Rights::SEND;
    Ok(())
}

/// Raw calls that bypass the LibOS cannot accept, query, take or close another socket's name:
/// listener operations need the capability the server minted for the bound socket.
pub const FORGED: Check = Check {
    name: "named-socket-forged-calls-refused",
    covers: &["accept:server-enforced"],
    run: forged_calls,
};
