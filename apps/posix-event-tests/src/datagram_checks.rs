//! Checks of named AF_UNIX datagram sockets: `bind` to an abstract name and to a path,
//! `sendto` to a name (message boundaries, `MSG_PEEK`, `MSG_TRUNC`, `MSG_DONTWAIT`), the
//! sender's address `recvfrom`/`recvmsg` report (the server's record, which a sender cannot
//! forge), `connect`'s default peer and the filtering it brings, `ECONNREFUSED` once the bound
//! socket is closed, a full receiver's `EAGAIN`, and descriptors and credentials passed with a
//! datagram.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::abi::{Call, OptionalSlot};
use libos::event::poll;
use libos::fs::{chdir, stat, umask, unlink};
use libos::io::{read, write};
use libos::kernel::call;
use libos::process::fork;
use libos::process::identity::{_exit, getpid};
use libos::socket::named::{address_bytes, path_address_bytes};
use libos::socket::protocol::{
    BIND_PATH_OFFSET, BY_TICKET, FROM_BOUND_NAME, Operation, SENDER_PROOF_OFFSET, SOCKET_SERVER,
};
use libos::socket::{
    bind, connect, getpeername, getsockname, recv, recvfrom, recvmsg, sendmsg, sendto, setsockopt,
    socket,
};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::mode::{S_IFMT, S_IFSOCK};
use libposix_sys::poll::{POLLIN, Pollfd};
use libposix_sys::socket::{
    AF_UNIX, AF_UNSPEC, MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, SO_PASSCRED, SOCK_DGRAM, SOCK_NONBLOCK,
    SOL_SOCKET,
};

use crate::ensure;
use crate::rights_checks::{received_fds, rights};
use crate::support::{Fd, expect_exit, pipe_with, put, take};

fn datagram_socket() -> Result<Fd, String> {
    socket(AF_UNIX, SOCK_DGRAM, 0)
        .map(Fd)
        .map_err(|error| format!("socket: {error}"))
}

/// A datagram socket bound to `address`.
fn bound(address: &[u8]) -> Result<Fd, String> {
    let fd = datagram_socket()?;
    bind(fd.0, address).map_err(|error| format!("bind {address:?}: {error}"))?;
    Ok(fd)
}

/// Receives one datagram (up to 64 bytes) with its sender's address.
fn receive_from(fd: i32, flags: i32) -> Result<(Vec<u8>, Vec<u8>), Errno> {
    let mut buffer = [0u8; 64];
    let (count, from) = recvfrom(fd, &mut buffer, flags)?;
    Ok((buffer[..count.min(64)].to_vec(), from))
}

fn abstract_names() -> CheckOutcome {
    let receiver_name = address_bytes(b"events-dgram-receiver");
    let sender_name = address_bytes(b"events-dgram-sender");
    let receiver = bound(&receiver_name)?;
    ensure!(
        getsockname(receiver.0) == Ok(receiver_name.clone()),
        "getsockname of the receiver: {:?}",
        getsockname(receiver.0)
    );
    ensure!(
        getpeername(receiver.0) == Err(Errno::ENOTCONN),
        "getpeername of an unconnected datagram socket"
    );
    let again = datagram_socket()?;
    ensure!(
        bind(again.0, &receiver_name) == Err(Errno::EADDRINUSE),
        "a second bind to the name"
    );
    ensure!(
        receive_from(receiver.0, MSG_DONTWAIT) == Err(Errno::EAGAIN),
        "an empty receiver with MSG_DONTWAIT"
    );
    ensure!(
        libos::socket::listen(receiver.0, 4) == Err(Errno::EOPNOTSUPP)
            && libos::socket::accept(receiver.0).err() == Some(Errno::EOPNOTSUPP),
        "listen and accept on a datagram socket"
    );
    let sender = bound(&sender_name)?;
    for message in [&b"one"[..], b"", b"three!"] {
        let sent = sendto(sender.0, message, 0, Some(&receiver_name));
        ensure!(
            sent == Ok(message.len()),
            "sendto {message:?} gave {sent:?}"
        );
    }
    // An unbound sender is reported unnamed: the family alone, 2 bytes.
    let unnamed = datagram_socket()?;
    ensure!(
        sendto(unnamed.0, b"anonymous", 0, Some(&receiver_name)) == Ok(9),
        "sendto from an unbound socket"
    );
    // Boundaries kept, in order per sender; `MSG_PEEK` leaves the datagram.
    let peeked = receive_from(receiver.0, MSG_PEEK);
    ensure!(
        peeked == Ok((b"one".to_vec(), sender_name.clone())),
        "peek gave {peeked:?}"
    );
    ensure!(
        receive_from(receiver.0, 0) == Ok((b"one".to_vec(), sender_name.clone())),
        "the receive after the peek"
    );
    let mut seen = alloc::vec![(b"one".to_vec(), sender_name.clone())];
    for _ in 0..3 {
        seen.push(receive_from(receiver.0, 0).map_err(|e| format!("recvfrom: {e}"))?);
    }
    let from_sender: Vec<&Vec<u8>> = seen
        .iter()
        .filter(|(_, from)| *from == sender_name)
        .map(|(bytes, _)| bytes)
        .collect();
    ensure!(
        from_sender == [&b"one".to_vec(), &Vec::new(), &b"three!".to_vec()],
        "the named sender's datagrams: {seen:?}"
    );
    ensure!(
        seen.iter()
            .any(|(bytes, from)| bytes == b"anonymous" && *from == address_bytes(b"")),
        "the unbound sender's datagram and address: {seen:?}"
    );
    ensure!(
        receive_from(receiver.0, MSG_DONTWAIT) == Err(Errno::EAGAIN),
        "the receiver after taking all"
    );
    // A plain read and write carry datagrams too (write needs a default peer).
    ensure!(
        write(unnamed.0, b"x") == Err(Errno::ENOTCONN),
        "write without a peer"
    );
    Ok(())
}

/// `bind` of a datagram socket to an abstract name (`EADDRINUSE` for a second), `sendto` it
/// from a bound and an unbound socket, `recvfrom` with the sender's name (the family alone for
/// the unbound one), boundaries, a zero-length datagram, `MSG_PEEK`, `MSG_DONTWAIT` on an
/// empty receiver; `listen` and `accept` are `EOPNOTSUPP`.
pub const ABSTRACT: Check = Check {
    name: "named-datagram-abstract",
    covers: &[
        "bind:dgram-abstract",
        "sendto:dgram-abstract",
        "recvfrom:dgram-sender-address",
        "recvfrom:dgram-unnamed-sender",
        "recvfrom:dgram-MSG_PEEK",
        "recv:dgram-EAGAIN",
        "getsockname:dgram",
        "listen:dgram-EOPNOTSUPP",
    ],
    run: abstract_names,
};

fn path_across_processes() -> CheckOutcome {
    let receiver_path = "/tmp/events-dgram-receiver";
    let sender_path = "/tmp/events-dgram-sender";
    let _ = unlink(receiver_path);
    let _ = unlink(sender_path);
    let old = umask(0o022);
    let receiver = bound(&path_address_bytes(receiver_path));
    umask(old);
    let receiver = receiver?;
    let status = stat(receiver_path).map_err(|error| format!("stat: {error}"))?;
    ensure!(
        status.st_mode & S_IFMT == S_IFSOCK,
        "the node's mode {:o}",
        status.st_mode
    );
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        drop(receiver);
        _exit(path_child(receiver_path, sender_path));
    }
    let result = path_parent(receiver.0, sender_path);
    expect_exit(pid, 0)?;
    let _ = unlink(receiver_path);
    let _ = unlink(sender_path);
    result
}

/// The child: binds its own path, sends two datagrams to the parent's, and waits for the reply
/// the parent sends to the address it was told.
fn path_child(receiver_path: &str, sender_path: &str) -> i32 {
    let Ok(sender) = bound(&path_address_bytes(sender_path)) else {
        return 2;
    };
    let to = path_address_bytes(receiver_path);
    if sendto(sender.0, b"first", 0, Some(&to)) != Ok(5) {
        return 3;
    }
    if sendto(sender.0, &[7u8; 100], 0, Some(&to)) != Ok(100) {
        return 4;
    }
    match receive_from(sender.0, 0) {
        Ok((bytes, from)) if bytes == b"reply" && from == to => 0,
        _ => 5,
    }
}

fn path_parent(receiver: i32, sender_path: &str) -> CheckOutcome {
    let (first, from) = receive_from(receiver, 0).map_err(|e| format!("recvfrom: {e}"))?;
    ensure!(first == b"first", "first datagram {first:?}");
    ensure!(
        from == path_address_bytes(sender_path),
        "the sender's address {from:?}"
    );
    // A short buffer cuts the datagram: `MSG_TRUNC` in `msg_flags`, the rest dropped; with the
    // `MSG_TRUNC` flag the call answers the whole length.
    let mut small = [0u8; 10];
    let info = recvmsg(receiver, &mut [&mut small[..]], &mut [], MSG_TRUNC)
        .map_err(|e| format!("recvmsg: {e}"))?;
    ensure!(
        info.count == 100 && info.flags & MSG_TRUNC != 0 && small == [7u8; 10],
        "a cut datagram gave {info:?}"
    );
    ensure!(
        info.address == path_address_bytes(sender_path),
        "recvmsg's sender address {:?}",
        info.address
    );
    // The reply goes to the address the receiver was told.
    let sent = sendto(receiver, b"reply", 0, Some(&info.address));
    ensure!(sent == Ok(5), "the reply gave {sent:?}");
    Ok(())
}

/// A datagram socket bound to a path (an `S_IFSOCK` node), a forked child bound to another
/// path sends to it; the parent reads the child's path as the sender address (`recvfrom` and
/// `recvmsg`), cuts a long datagram (`MSG_TRUNC`), and replies to the address it was told.
pub const PATH: Check = Check {
    name: "named-datagram-path-across-fork",
    covers: &[
        "bind:dgram-path",
        "sendto:dgram-path",
        "recvfrom:dgram-sender-address",
        "recvmsg:MSG_TRUNC-dgram",
        "recvmsg:dgram-sender-address",
    ],
    run: path_across_processes,
};

fn default_peer() -> CheckOutcome {
    let receiver_name = address_bytes(b"events-dgram-connected");
    let peer_name = address_bytes(b"events-dgram-peer");
    let stranger_name = address_bytes(b"events-dgram-stranger");
    let receiver = bound(&receiver_name)?;
    let peer = bound(&peer_name)?;
    let stranger = bound(&stranger_name)?;
    connect(receiver.0, &peer_name).map_err(|e| format!("connect: {e}"))?;
    ensure!(
        getpeername(receiver.0) == Ok(peer_name.clone()),
        "getpeername after connect: {:?}",
        getpeername(receiver.0)
    );
    // Sends without an address go to the peer: `send`, `write`.
    ensure!(
        libos::socket::send(receiver.0, b"to peer", 0) == Ok(7),
        "send to the default peer"
    );
    put(receiver.0, b"written")?;
    ensure!(
        receive_from(peer.0, 0) == Ok((b"to peer".to_vec(), receiver_name.clone())),
        "the peer's first datagram"
    );
    ensure!(
        take(peer.0, 16)? == b"written",
        "the peer's second datagram"
    );
    // After `connect`, only the peer's datagrams are received.
    ensure!(
        sendto(stranger.0, b"stranger", 0, Some(&receiver_name)) == Ok(8),
        "sendto from a stranger"
    );
    ensure!(
        sendto(peer.0, b"peer", 0, Some(&receiver_name)) == Ok(4),
        "sendto from the peer"
    );
    let got = receive_from(receiver.0, 0);
    ensure!(
        got == Ok((b"peer".to_vec(), peer_name.clone())),
        "the connected receiver got {got:?}"
    );
    ensure!(
        receive_from(receiver.0, MSG_DONTWAIT) == Err(Errno::EAGAIN),
        "the stranger's datagram was received"
    );
    // `AF_UNSPEC` dissolves the association: no peer, strangers heard again; `poll` sees it.
    connect(receiver.0, &(AF_UNSPEC as u16).to_ne_bytes())
        .map_err(|e| format!("AF_UNSPEC: {e}"))?;
    ensure!(
        getpeername(receiver.0) == Err(Errno::ENOTCONN),
        "getpeername after AF_UNSPEC"
    );
    let mut polled = [Pollfd {
        fd: receiver.0,
        events: POLLIN,
        revents: 0,
    }];
    ensure!(
        poll(&mut polled, 0) == Ok(0),
        "poll of an empty receiver gave {:?}",
        polled[0].revents
    );
    ensure!(
        sendto(stranger.0, b"heard", 0, Some(&receiver_name)) == Ok(5),
        "sendto from the stranger again"
    );
    ensure!(
        poll(&mut polled, 1000) == Ok(1) && polled[0].revents & POLLIN != 0,
        "poll after a datagram gave {:?}",
        polled[0].revents
    );
    ensure!(
        receive_from(receiver.0, 0) == Ok((b"heard".to_vec(), stranger_name.clone())),
        "the stranger's datagram after AF_UNSPEC"
    );
    // `connect` to a name nobody binds fails now, with the lookup's error.
    let lonely = datagram_socket()?;
    ensure!(
        connect(lonely.0, &address_bytes(b"events-dgram-nobody")) == Err(Errno::ECONNREFUSED),
        "connect to no name"
    );
    ensure!(
        getpeername(lonely.0) == Err(Errno::ENOTCONN),
        "getpeername after a failed connect"
    );
    Ok(())
}

/// `connect` on a datagram socket sets the default peer (`getpeername`); `send` and `write`
/// go there; afterwards only the peer's datagrams are received (a stranger's are dropped);
/// `connect` with `AF_UNSPEC` dissolves it; `poll` sees a named datagram arrive.
pub const DEFAULT_PEER: Check = Check {
    name: "named-datagram-default-peer",
    covers: &[
        "connect:dgram-default-peer",
        "getpeername:dgram",
        "send:dgram-default-peer",
        "recvfrom:dgram-connected-filter",
        "connect:dgram-AF_UNSPEC",
        "poll:dgram-named",
    ],
    run: default_peer,
};

fn refused_after_close() -> CheckOutcome {
    let name = address_bytes(b"events-dgram-closing");
    let receiver = bound(&name)?;
    let sender = datagram_socket()?;
    let connected = datagram_socket()?;
    connect(connected.0, &name).map_err(|e| format!("connect: {e}"))?;
    ensure!(
        sendto(sender.0, b"before", 0, Some(&name)) == Ok(6),
        "sendto before the close"
    );
    ensure!(
        take(receiver.0, 16)? == b"before",
        "the datagram before the close"
    );
    drop(receiver);
    let result = sendto(sender.0, b"after", 0, Some(&name));
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "sendto after the close gave {result:?}"
    );
    // A connected socket whose peer closed: `ECONNREFUSED` once, then it has no peer.
    let result = libos::socket::send(connected.0, b"after", 0);
    ensure!(
        result == Err(Errno::ECONNREFUSED),
        "send to a closed peer gave {result:?}"
    );
    let result = libos::socket::send(connected.0, b"again", 0);
    ensure!(
        result == Err(Errno::ENOTCONN),
        "the next send gave {result:?}"
    );
    // The name is free again.
    let again = bound(&name)?;
    ensure!(
        sendto(sender.0, b"new", 0, Some(&name)) == Ok(3),
        "sendto the name bound again"
    );
    ensure!(take(again.0, 16)? == b"new", "the new receiver's datagram");
    Ok(())
}

/// `ECONNREFUSED` once the bound socket is closed (a sender's kept connection notices, looks
/// the name up again, and finds nobody); a connected socket then forgets its peer
/// (`ENOTCONN`), and the name can be bound again.
pub const REFUSED_AFTER_CLOSE: Check = Check {
    name: "named-datagram-refused-after-close",
    covers: &[
        "sendto:dgram-ECONNREFUSED-after-close",
        "send:dgram-ECONNREFUSED-after-close",
    ],
    run: refused_after_close,
};

fn full_receiver() -> CheckOutcome {
    let name = address_bytes(b"events-dgram-full");
    let receiver = bound(&name)?;
    let sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0)
        .map(Fd)
        .map_err(|e| format!("socket: {e}"))?;
    let block = [5u8; 1000];
    let mut sent = 0;
    let full = loop {
        match sendto(sender.0, &block, 0, Some(&name)) {
            Ok(1000) => sent += 1,
            other => break other,
        }
        ensure!(sent < 1000, "a thousand datagrams and never full");
    };
    ensure!(
        full == Err(Errno::EAGAIN) && sent > 10,
        "the full receiver gave {full:?} after {sent}"
    );
    // `MSG_DONTWAIT` on a blocking socket likewise.
    let blocking = datagram_socket()?;
    connect(blocking.0, &name).map_err(|e| format!("connect: {e}"))?;
    let mut more = 0;
    while libos::socket::send(blocking.0, &block, MSG_DONTWAIT) == Ok(1000) {
        more += 1;
        ensure!(more < 1000, "MSG_DONTWAIT never full");
    }
    // Every datagram arrives whole once the receiver reads.
    for _ in 0..sent + more {
        let mut buffer = [0u8; 1000];
        let count = recv(receiver.0, &mut buffer, 0).map_err(|e| format!("recv: {e}"))?;
        ensure!(count == 1000 && buffer == block, "a datagram of {count}");
    }
    ensure!(
        sendto(sender.0, &block, 0, Some(&name)) == Ok(1000),
        "sendto after the receiver read"
    );
    Ok(())
}

/// A receiver that does not read fills up: a non-blocking sender (and `MSG_DONTWAIT`) gets
/// `EAGAIN`; every datagram sent before arrives whole.
pub const FULL: Check = Check {
    name: "named-datagram-full-receiver",
    covers: &["sendto:dgram-EAGAIN", "send:dgram-MSG_DONTWAIT"],
    run: full_receiver,
};

fn control_messages() -> CheckOutcome {
    let name = address_bytes(b"events-dgram-control");
    let receiver = bound(&name)?;
    setsockopt(receiver.0, SOL_SOCKET, SO_PASSCRED, 1).map_err(|e| format!("SO_PASSCRED: {e}"))?;
    let pipe = pipe_with(0)?;
    put(pipe.write.0, b"piped")?;
    let sender = datagram_socket()?;
    let sent = sendmsg(sender.0, Some(&name), &[b"fd"], &rights(&[pipe.read.0]), 0);
    ensure!(sent == Ok(2), "sendmsg with SCM_RIGHTS gave {sent:?}");
    let mut data = [0u8; 8];
    let mut control = [0u8; 128];
    let info = recvmsg(receiver.0, &mut [&mut data[..]], &mut control, 0)
        .map_err(|e| format!("recvmsg: {e}"))?;
    ensure!(&data[..info.count] == b"fd", "the data {info:?}");
    // The credentials message comes first (the sender's, as the server knows them), then the
    // descriptors.
    let own = getpid().map_err(|e| format!("getpid: {e}"))?;
    ensure!(
        info.control_length >= 32 + 20
            && i32::from_ne_bytes([control[16], control[17], control[18], control[19]]) == own,
        "SCM_CREDENTIALS {:?}",
        &control[..info.control_length]
    );
    let fds = received_fds(&control[32..], info.control_length - 32);
    ensure!(fds.len() == 1, "passed descriptors {fds:?}");
    let passed = Fd(fds[0]);
    let mut piped = [0u8; 8];
    ensure!(
        read(passed.0, &mut piped) == Ok(5) && &piped[..5] == b"piped",
        "reading the passed pipe"
    );
    Ok(())
}

/// `SCM_RIGHTS` over a named datagram: a pipe end passed with a datagram is readable at the
/// receiver; with `SO_PASSCRED` the receiver gets the sender's credentials as the server knows
/// them.
pub const CONTROL: Check = Check {
    name: "named-datagram-rights-and-credentials",
    covers: &[
        "sendmsg:dgram-SCM_RIGHTS",
        "recvmsg:dgram-SCM_RIGHTS",
        "recvmsg:dgram-SCM_CREDENTIALS",
    ],
    run: control_messages,
};

fn forged_sender() -> CheckOutcome {
    let victim_name = address_bytes(b"events-dgram-victim");
    let receiver_name = address_bytes(b"events-dgram-forgery-target");
    let _victim = bound(&victim_name)?;
    let receiver = bound(&receiver_name)?;
    // Make sure this process is attached and learn its connection number the LibOS's way.
    let warm = datagram_socket()?;
    let _ = sendto(warm.0, b"warm", 0, Some(&receiver_name));
    let _ = take(receiver.0, 8)?;
    // A raw `Connect` claiming to send from a bound name, with guessed proofs: the victim's
    // name number is small and guessable, its 128-bit secret is not.
    let frame = libos::slots::allocate().ok_or("no slot")?;
    call(Call::FrameAllocate {
        quota: libos::abi::initial::MEMORY_QUOTA,
        destination: frame,
        pages: libos::abi::PageCount(libos::socket::connection::FRAME_PAGES),
    })
    .map_err(|e| format!("frame: {e}"))?;
    let page = libos::abi::PageCount(1);
    let attach = libos::slots::allocate().ok_or("no slot")?;
    call(Call::FrameAllocate {
        quota: libos::abi::initial::MEMORY_QUOTA,
        destination: attach,
        pages: page,
    })
    .map_err(|e| format!("frame: {e}"))?;
    let window = libos::shared_window::SharedWindow::map(attach, 1)
        .map_err(|_| String::from("mapping the page"))?;
    let attached = call(Call::IpcCall {
        endpoint: SOCKET_SERVER,
        word0: Operation::Attach as u64,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(Some(attach)),
        receive: OptionalSlot(None),
    })
    .map_err(|e| format!("attach: {e}"))?;
    ensure!(attached[1] == 0, "attach refused: {}", attached[1]);
    let connection = attached[2];
    let name = b"events-dgram-forgery-target";
    ensure!(window.copy_in(0, name), "writing the name");
    for number in 1..64u64 {
        let mut proof = Vec::new();
        for word in [number, 1, 2] {
            proof.extend_from_slice(&word.to_ne_bytes());
        }
        ensure!(
            window.copy_in(SENDER_PROOF_OFFSET, &proof),
            "writing a proof"
        );
        let answer = call(Call::IpcCall {
            endpoint: SOCKET_SERVER,
            word0: Operation::Connect as u64 | connection << 8,
            word1: name.len() as u64,
            word2: SOCK_DGRAM as u64 | FROM_BOUND_NAME,
            transfer: OptionalSlot(Some(frame)),
            receive: OptionalSlot(None),
        })
        .map_err(|e| format!("connect: {e}"))?;
        ensure!(
            answer[1] == Errno::EINVAL as u64,
            "a forged proof for name {number} gave {}",
            answer[1]
        );
    }
    // Nor can anyone ask for the sender address of a connection it did not accept.
    let answer = call(Call::IpcCall {
        endpoint: SOCKET_SERVER,
        word0: Operation::SenderAddress as u64 | connection << 8,
        word1: 1,
        word2: 0,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map_err(|e| format!("sender address: {e}"))?;
    ensure!(
        answer[1] == Errno::EBADF as u64,
        "SenderAddress of a connection nobody accepted gave {}",
        answer[1]
    );
    let claimed = claim_other_path(&window, connection);
    drop(window);
    libos::event::wake::release(frame);
    libos::event::wake::release(attach);
    claimed?;
    relative_path_reported_absolute()
}

/// A raw datagram `Bind` with a real bind ticket for one node and another socket's path as the
/// spelling receivers would be told: the server resolves the spelling itself and refuses it.
fn claim_other_path(window: &libos::shared_window::SharedWindow, connection: u64) -> CheckOutcome {
    let victim_path = "/tmp/events-dgram-claimed";
    let forger_path = "/tmp/events-dgram-forger";
    let _ = unlink(victim_path);
    let _ = unlink(forger_path);
    let _victim = bound(&path_address_bytes(victim_path))?;
    let ticket = libos::fs::client::make_socket(libos::fs::client::Start(0), forger_path, 0o755)
        .map_err(|e| format!("MakeSocket: {e}"))?;
    let mut page = Vec::new();
    page.extend_from_slice(&ticket[0].to_ne_bytes());
    page.extend_from_slice(&ticket[1].to_ne_bytes());
    let mut claim = Vec::new();
    claim.extend_from_slice(&(victim_path.len() as u64).to_ne_bytes());
    claim.extend_from_slice(victim_path.as_bytes());
    ensure!(
        window.copy_in(0, &page) && window.copy_in(BIND_PATH_OFFSET, &claim),
        "writing the page"
    );
    let (ours, theirs) = (
        libos::slots::allocate().ok_or("no slot")?,
        libos::slots::allocate().ok_or("no slot")?,
    );
    call(Call::ChannelCreate {
        quota: libos::abi::initial::MEMORY_QUOTA,
        first: ours,
        second: theirs,
    })
    .map_err(|e| format!("channel: {e}"))?;
    let answer = call(Call::IpcCall {
        endpoint: SOCKET_SERVER,
        word0: Operation::Bind as u64 | connection << 8,
        word1: BY_TICKET,
        word2: SOCK_DGRAM as u64,
        transfer: OptionalSlot(Some(theirs)),
        receive: OptionalSlot(None),
    })
    .map_err(|e| format!("bind: {e}"));
    libos::event::wake::release(ours);
    libos::event::wake::release(theirs);
    let _ = unlink(victim_path);
    let _ = unlink(forger_path);
    let answer = answer?;
    ensure!(
        answer[1] == Errno::EINVAL as u64,
        "a bind claiming another socket's path gave {}",
        answer[1]
    );
    Ok(())
}

/// A datagram socket bound to a relative path is reported to receivers by its absolute path
/// (`getsockname` keeps the spelling given).
fn relative_path_reported_absolute() -> CheckOutcome {
    let receiver_name = address_bytes(b"events-dgram-relative-receiver");
    let receiver = bound(&receiver_name)?;
    let _ = unlink("/tmp/events-dgram-relative");
    let old = libos::fs::getcwd(4096).map_err(|e| format!("getcwd: {e}"))?;
    let old = String::from_utf8_lossy(&old[..old.len() - 1]).into_owned();
    chdir("/tmp").map_err(|e| format!("chdir: {e}"))?;
    let sender = bound(&path_address_bytes("events-dgram-relative"));
    let _ = chdir(&old);
    let sender = sender?;
    ensure!(
        getsockname(sender.0) == Ok(path_address_bytes("events-dgram-relative")),
        "getsockname of the relative name"
    );
    ensure!(
        sendto(sender.0, b"rel", 0, Some(&receiver_name)) == Ok(3),
        "sendto from the relative name"
    );
    let got = receive_from(receiver.0, 0);
    let _ = unlink("/tmp/events-dgram-relative");
    ensure!(
        got == Ok((
            b"rel".to_vec(),
            path_address_bytes("/tmp/events-dgram-relative")
        )),
        "the relative sender was reported as {got:?}"
    );
    Ok(())
}

/// The sender address a receiver is told is the server's record: a raw `Connect` (bypassing
/// the LibOS) that claims a bound name without its secret is refused (`EINVAL`), whatever name
/// number it guesses; `SenderAddress` of a connection nobody accepted is `EBADF`; a raw `Bind`
/// with a real ticket that spells another socket's path is refused (`EINVAL`); a relative
/// path is reported absolute.
pub const FORGED_SENDER: Check = Check {
    name: "named-datagram-sender-unforgeable",
    covers: &[
        "recvfrom:dgram-sender-server-enforced",
        "bind:dgram-path-server-checked",
    ],
    run: forged_sender,
};
