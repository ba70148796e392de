//! Checks of AF_UNIX sockets bound to file-system paths: the `S_IFSOCK` node `bind` makes (mode
//! from the `umask`, `EADDRINUSE`, surviving until unlinked), `connect`'s errors
//! (`ECONNREFUSED`, `ENOENT`), the names `getsockname`/`getpeername` answer, and the write
//! permission on the node that the file server — not the caller's LibOS — enforces, tried by a
//! process running as another user and by raw calls that bypass the LibOS.

use alloc::format;
use alloc::string::String;

use libos::abi::{Call, OptionalSlot, PageCount, Slot, initial};
use libos::fs::client::{Start, socket_ticket};
use libos::fs::protocol::{FILE_SERVER_SLOT, Operation as FileOperation};
use libos::fs::{chmod, stat, umask, unlink};
use libos::io::fcntl;
use libos::kernel::call;
use libos::process::credentials::setuid;
use libos::process::fork;
use libos::process::identity::_exit;
use libos::shared_window::SharedWindow;
use libos::socket::named::{address_bytes, path_address_bytes};
use libos::socket::protocol::{BY_TICKET, Operation, SOCKET_SERVER};
use libos::socket::{
    accept, bind, connect, getpeername, getsockname, listen, sendmsg, sendto, socket,
};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_SETFL, O_NONBLOCK};
use libposix_sys::mode::{S_IFMT, S_IFSOCK};
use libposix_sys::socket::{AF_UNIX, SOCK_DGRAM, SOCK_STREAM};

use crate::ensure;
use crate::support::{Fd, expect_exit, put, sleep_milliseconds, take};

fn open_socket() -> Result<Fd, String> {
    socket(AF_UNIX, SOCK_STREAM, 0)
        .map(Fd)
        .map_err(|error| format!("socket: {error}"))
}

/// A socket listening on `path`, made with `mask` as the `umask`.
fn path_listener(path: &str, mask: u32) -> Result<Fd, String> {
    let fd = open_socket()?;
    let old = umask(mask);
    let bound = bind(fd.0, &path_address_bytes(path));
    umask(old);
    bound.map_err(|error| format!("bind {path}: {error}"))?;
    listen(fd.0, 4).map_err(|error| format!("listen: {error}"))?;
    Ok(fd)
}

fn connect_path(path: &str) -> Result<Fd, Errno> {
    let fd = socket(AF_UNIX, SOCK_STREAM, 0).map(Fd)?;
    connect(fd.0, &path_address_bytes(path))?;
    Ok(fd)
}

fn path_round_trip() -> CheckOutcome {
    let path = "/tmp/events-path-socket";
    let _ = unlink(path);
    let server = path_listener(path, 0o022)?;
    let status = stat(path).map_err(|error| format!("stat: {error}"))?;
    ensure!(
        status.st_mode == S_IFSOCK | 0o755,
        "the node's mode {:o} (umask 022)",
        status.st_mode
    );
    ensure!(
        getsockname(server.0) == Ok(path_address_bytes(path)),
        "getsockname of the listener: {:?}",
        getsockname(server.0)
    );
    // A second socket cannot take the path, nor can a bind onto any existing name.
    let other = open_socket()?;
    ensure!(
        bind(other.0, &path_address_bytes(path)) == Err(Errno::EADDRINUSE),
        "a second bind to the path"
    );
    ensure!(
        bind(other.0, &path_address_bytes("/tmp")) == Err(Errno::EADDRINUSE),
        "a bind onto a directory"
    );
    let client = connect_path(path).map_err(|error| format!("connect: {error}"))?;
    ensure!(
        getpeername(client.0) == Ok(path_address_bytes(path)),
        "getpeername of the connector: {:?}",
        getpeername(client.0)
    );
    let (accepted, _) = accept(server.0).map_err(|error| format!("accept: {error}"))?;
    let accepted = Fd(accepted);
    ensure!(
        getsockname(accepted.0) == Ok(path_address_bytes(path)),
        "getsockname of the accepted socket"
    );
    put(client.0, b"over a path")?;
    ensure!(take(accepted.0, 32)? == b"over a path", "the message");
    drop((client, accepted, server));
    // The node outlives the socket: nobody listens now, and the path stays taken.
    let status = stat(path).map_err(|error| format!("stat after close: {error}"))?;
    ensure!(status.st_mode & S_IFMT == S_IFSOCK, "the node went");
    ensure!(
        connect_path(path).err() == Some(Errno::ECONNREFUSED),
        "connect with nobody listening"
    );
    ensure!(
        bind(other.0, &path_address_bytes(path)) == Err(Errno::EADDRINUSE),
        "bind to the left-over node"
    );
    // A path naming something else than a socket refuses; a missing one is not there.
    ensure!(
        connect_path("/bin/posix-event-tests").err() == Some(Errno::ECONNREFUSED),
        "connect to a regular file"
    );
    unlink(path).map_err(|error| format!("unlink: {error}"))?;
    ensure!(
        connect_path(path).err() == Some(Errno::ENOENT),
        "connect after unlink"
    );
    // Once unlinked, the path can be bound again.
    let again = path_listener(path, 0o022)?;
    drop(again);
    unlink(path).map_err(|error| format!("unlink: {error}"))?;
    Ok(())
}

/// `bind` to a path makes an `S_IFSOCK` node (mode `0777 & ~umask`) that stays until unlinked;
/// `EADDRINUSE` for an existing path; `connect`'s `ECONNREFUSED` without a listener (or to a
/// file that is not a socket) and `ENOENT` when missing; both names are the path.
pub const PATH_ROUND_TRIP: Check = Check {
    name: "path-socket-bind-connect",
    covers: &[
        "bind:path",
        "bind:path-EADDRINUSE",
        "connect:path",
        "connect:path-ECONNREFUSED",
        "connect:path-ENOENT",
        "getsockname:path",
        "getpeername:path",
        "stat:S_IFSOCK",
    ],
    run: path_round_trip,
};

/// Makes the listener non-blocking (accepts then answer `EAGAIN` when nothing waits).
fn nonblocking(listener: &Fd) -> Result<(), String> {
    fcntl(listener.0, F_SETFL, O_NONBLOCK as u64)
        .map(|_| ())
        .map_err(|error| format!("fcntl: {error}"))
}

/// Whether nothing waits to be accepted on a non-blocking listener.
fn nothing_queued(listener: &Fd) -> bool {
    accept(listener.0).err() == Some(Errno::EAGAIN)
}

/// A connection accepted within `milliseconds` on a non-blocking listener (a child that failed must not hang the check).
fn accept_within(listener: &Fd, milliseconds: u64) -> Option<Fd> {
    for _ in 0..milliseconds / 10 {
        match accept(listener.0) {
            Ok((fd, _)) => return Some(Fd(fd)),
            Err(Errno::EAGAIN) => sleep_milliseconds(10),
            Err(_) => return None,
        }
    }
    None
}

/// A forked child that becomes user 1000 and connects to `path`: exits 0 on `expected`
/// (`None`: success, with one message sent).
fn child_connects(path: &str, expected: Option<Errno>) -> Result<i32, String> {
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        if setuid(1000).is_err() {
            _exit(2);
        }
        let status = match (connect_path(path), expected) {
            (Err(error), Some(wanted)) if error == wanted => 0,
            (Ok(client), None) => {
                if put(client.0, b"as 1000").is_ok() {
                    0
                } else {
                    4
                }
            }
            _ => 3,
        };
        _exit(status);
    }
    Ok(pid)
}

fn other_user_permission() -> CheckOutcome {
    let path = "/tmp/events-path-private";
    let _ = unlink(path);
    let server = path_listener(path, 0o077)?;
    nonblocking(&server)?;
    let status = stat(path).map_err(|error| format!("stat: {error}"))?;
    ensure!(
        status.st_mode == S_IFSOCK | 0o700,
        "mode {:o} under umask 077",
        status.st_mode
    );
    let pid = child_connects(path, Some(Errno::EACCES))?;
    expect_exit(pid, 0).map_err(|error| format!("user 1000 without write permission: {error}"))?;
    ensure!(nothing_queued(&server), "a refused connection was queued");
    chmod(path, 0o777).map_err(|error| format!("chmod: {error}"))?;
    let pid = child_connects(path, None)?;
    let Some(accepted) = accept_within(&server, 5000) else {
        expect_exit(pid, 0).map_err(|error| format!("user 1000 with write permission: {error}"))?;
        return Err(String::from("no connection from the child"));
    };
    ensure!(take(accepted.0, 16)? == b"as 1000", "the child's message");
    expect_exit(pid, 0).map_err(|error| format!("user 1000 with write permission: {error}"))?;
    drop((accepted, server));
    unlink(path).map_err(|error| format!("unlink: {error}"))?;
    Ok(())
}

/// `connect` to a path needs write permission on the socket node, decided by the file server
/// from the caller's credentials: a child that called `setuid(1000)` gets `EACCES` from a 0700
/// node of root's and connects once it is 0777.
pub const OTHER_USER: Check = Check {
    name: "path-socket-connect-needs-write-permission",
    covers: &["connect:path-EACCES-other-uid", "bind:path-umask"],
    run: other_user_permission,
};

/// A raw call answering word 1 of the reply (the errno, 0 on success), with what came back.
fn raw_call(endpoint: Slot, words: [u64; 3], transfer: Option<Slot>) -> Result<[u64; 6], String> {
    call(Call::IpcCall {
        endpoint,
        word0: words[0],
        word1: words[1],
        word2: words[2],
        transfer: OptionalSlot(transfer),
        receive: OptionalSlot(None),
    })
    .map_err(|error| format!("raw call: {error}"))
}

/// In the child, as user 1000, bypassing the LibOS's socket code: returns the failed step.
fn forge_as_other_user(path: &str) -> Result<(), u8> {
    // Asking the file server directly: it, not our LibOS, refuses the ticket.
    if socket_ticket(Start(0), path) != Err(Errno::EACCES) {
        return Err(10);
    }
    // Redeeming is the socket server's alone, even with a ticket we were given.
    let open = "/tmp/events-path-open";
    let ticket = socket_ticket(Start(0), open).map_err(|_| 11u8)?;
    let redeem = raw_call(
        FILE_SERVER_SLOT,
        [
            FileOperation::RedeemSocketTicket as u64 | 2 << 8,
            ticket[0],
            ticket[1],
        ],
        None,
    )
    .map_err(|_| 12u8)?;
    if redeem[1] as i64 != -(Errno::EPERM as i64) {
        return Err(13);
    }
    // Our own attachment to the socket server, with a ticket made up in its page.
    let page_frame = libos::slots::allocate().ok_or(14u8)?;
    call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: page_frame,
        pages: PageCount(1),
    })
    .map_err(|_| 15u8)?;
    let page = SharedWindow::map(page_frame, 1).map_err(|_| 16u8)?;
    let attached = raw_call(
        SOCKET_SERVER,
        [Operation::Attach as u64, 0, 0],
        Some(page_frame),
    )
    .map_err(|_| 17u8)?;
    if attached[1] != 0 {
        return Err(18);
    }
    let connection = attached[2];
    let frame = libos::slots::allocate().ok_or(19u8)?;
    call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: frame,
        pages: PageCount(1),
    })
    .map_err(|_| 20u8)?;
    let mut forged = [0u8; 16];
    for (index, byte) in forged.iter_mut().enumerate() {
        *byte = 0x5a ^ index as u8;
    }
    let connect_word = Operation::Connect as u64 | connection << 8;
    if !page.copy_in(0, &forged) {
        return Err(21);
    }
    let answer = raw_call(
        SOCKET_SERVER,
        [connect_word, BY_TICKET, SOCK_STREAM as u64],
        Some(frame),
    )
    .map_err(|_| 22u8)?;
    if answer[1] != Errno::ENOENT as u64 {
        return Err(23);
    }
    // A real ticket for the open socket works once; a second use is refused.
    let ticket = socket_ticket(Start(0), open).map_err(|_| 24u8)?;
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&ticket[0].to_ne_bytes());
    bytes[8..].copy_from_slice(&ticket[1].to_ne_bytes());
    if !page.copy_in(0, &bytes) {
        return Err(25);
    }
    // As a bind ticket it is refused (the purpose is the file server's record, not ours).
    let (first, second) = (
        libos::slots::allocate().ok_or(26u8)?,
        libos::slots::allocate().ok_or(26u8)?,
    );
    call(Call::ChannelCreate {
        quota: initial::MEMORY_QUOTA,
        first,
        second,
    })
    .map_err(|_| 27u8)?;
    let answer = raw_call(
        SOCKET_SERVER,
        [
            Operation::Bind as u64 | connection << 8,
            BY_TICKET,
            SOCK_STREAM as u64,
        ],
        Some(second),
    )
    .map_err(|_| 28u8)?;
    if answer[1] != Errno::ENOENT as u64 {
        return Err(29);
    }
    Ok(())
}

fn raw_calls_refused() -> CheckOutcome {
    let path = "/tmp/events-path-guarded";
    let open = "/tmp/events-path-open";
    let _ = unlink(path);
    let _ = unlink(open);
    let server = path_listener(path, 0o077)?;
    let open_server = path_listener(open, 0)?;
    nonblocking(&server)?;
    nonblocking(&open_server)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        if setuid(1000).is_err() {
            _exit(2);
        }
        _exit(match forge_as_other_user(path) {
            Ok(()) => 0,
            Err(step) => i32::from(step),
        });
    }
    expect_exit(pid, 0).map_err(|error| format!("the forging child: {error}"))?;
    for (listener, what) in [(&server, "guarded"), (&open_server, "open")] {
        ensure!(
            nothing_queued(listener),
            "a forged connection reached the {what} listener"
        );
    }
    drop((server, open_server));
    let _ = unlink(path);
    let _ = unlink(open);
    Ok(())
}

/// Bypassing the LibOS does not bypass the rule: as user 1000, a raw ticket request for a 0700
/// node is refused by the file server, redeeming a ticket through a client's capability is
/// `EPERM` (only the socket server's capability may), a made-up ticket and a connect ticket
/// presented to `Bind` are unknown to the socket server, and no connection reaches a listener.
pub const RAW_CALLS: Check = Check {
    name: "path-socket-raw-calls-refused",
    covers: &["connect:path-server-enforced"],
    run: raw_calls_refused,
};

fn datagram_socket() -> Result<Fd, String> {
    socket(AF_UNIX, SOCK_DGRAM, 0)
        .map(Fd)
        .map_err(|error| format!("socket: {error}"))
}

fn sendto_name(address: &[u8]) -> Result<usize, Errno> {
    let fd = socket(AF_UNIX, SOCK_DGRAM, 0).map(Fd)?;
    sendto(fd.0, b"datagram", 0, Some(address))
}

fn datagram_lookup_errors() -> CheckOutcome {
    let path = "/tmp/events-datagram-target";
    let _ = unlink(path);
    // A socket node whose socket has gone: the path exists, nothing is bound to it.
    drop(path_listener(path, 0o077)?);
    let node = path_address_bytes(path);
    let result = sendto_name(&node);
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "sendto a node nobody binds gave {result:?}"
    );
    let result = sendto_name(&path_address_bytes("/bin/posix-event-tests"));
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "sendto a regular file gave {result:?}"
    );
    let result = sendto_name(&path_address_bytes("/tmp/events-no-such-datagram-target"));
    ensure!(
        result == Err(Errno::ENOENT),
        "sendto a missing path gave {result:?}"
    );
    let result = sendto_name(&address_bytes(b"events-datagram-nobody"));
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "sendto an abstract name nobody binds gave {result:?}"
    );
    // A stream socket listens on this name: the wrong type for a datagram.
    let stream = open_socket()?;
    bind(stream.0, &address_bytes(b"events-datagram-stream")).map_err(|e| format!("bind: {e}"))?;
    listen(stream.0, 2).map_err(|e| format!("listen: {e}"))?;
    let result = sendto_name(&address_bytes(b"events-datagram-stream"));
    ensure!(
        result == Err(Errno::EPROTOTYPE),
        "sendto a stream listener gave {result:?}"
    );
    let datagram = datagram_socket()?;
    // With descriptors to pass, the same lookup decides.
    let passed = datagram_socket()?;
    let result = sendmsg(
        datagram.0,
        Some(&node),
        &[b"x"],
        &crate::rights_checks::rights(&[passed.0]),
        0,
    );
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "sendmsg with SCM_RIGHTS to a node nobody binds gave {result:?}"
    );
    let result = connect(datagram.0, &node);
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "connect to a node nobody binds gave {result:?}"
    );
    let result = connect(
        datagram.0,
        &path_address_bytes("/tmp/events-no-such-datagram-target"),
    );
    ensure!(
        result == Err(Errno::ENOENT),
        "connect to a missing path gave {result:?}"
    );
    // Write permission on the node is the file server's to decide: the node is 0700 root's
    // (umask 077), so a child running as user 1000 is refused before any lookup.
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        if setuid(1000).is_err() {
            _exit(2);
        }
        _exit(match sendto_name(&node) {
            Err(Errno::EACCES) => 0,
            _ => 3,
        });
    }
    expect_exit(pid, 0)?;
    unlink(path).map_err(|error| format!("unlink: {error}"))?;
    Ok(())
}

/// A datagram socket's `sendto` with an address and its `connect` look the receiver up as a
/// stream `connect` does, and give Linux's errors: `ECONNREFUSED` for a path or abstract name
/// nothing is bound to (or a file that is no socket), `ENOENT` for a missing path, `EACCES`
/// without write permission on the node (a child as user 1000), `EPROTOTYPE` for a stream
/// listener; `sendmsg` with `SCM_RIGHTS` likewise.
pub const DATAGRAM_LOOKUP: Check = Check {
    name: "datagram-name-lookup-errors",
    covers: &[
        "sendto:dgram-ECONNREFUSED",
        "sendto:dgram-ENOENT",
        "sendto:dgram-EACCES-other-uid",
        "sendto:dgram-EPROTOTYPE",
        "sendmsg:dgram-ECONNREFUSED",
        "connect:dgram-ECONNREFUSED",
        "connect:dgram-ENOENT",
    ],
    run: datagram_lookup_errors,
};
