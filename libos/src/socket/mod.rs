//! AF_UNIX sockets: connected pairs on shared rings (`socketpair`), named sockets in the
//! abstract namespace through the socket server (`socket`, `bind`, `listen`, `accept`,
//! `accept4`, `connect`), and the calls on them: `send`, `recv`, `sendto`, `recvfrom`,
//! `sendmsg`, `recvmsg`, `shutdown`, `getsockopt`, `setsockopt`, `getsockname`, `getpeername`.
//!
//! - [`ring`]: one direction's byte or message ring in shared memory.
//! - [`connection`]: one end of a connection (data, waiting, "the peer is gone").
//! - [`named`]: a socket's states and the socket server's client side.
//! - [`datagram`]: named datagram sockets (bound names, per-destination connections).
//! - [`protocol`]: the socket server's protocol.
//! - [`rights`]: passing descriptors (`SCM_RIGHTS`).
//!
//! Names are abstract or paths in the shared root (docs/sockets.md); datagram sockets bind
//! names too and send to them (`datagram`).

pub mod connection;
mod datagram;
pub mod named;
pub mod protocol;
pub mod rights;
pub mod ring;

use alloc::vec::Vec;

use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_NONBLOCK, O_RDWR};
use libposix_sys::socket::{
    AF_UNIX, MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC,
    MSG_WAITALL, SCM_CREDENTIALS, SCM_RIGHTS, SHUT_RD, SHUT_RDWR, SHUT_WR, SO_ACCEPTCONN,
    SO_DOMAIN, SO_ERROR, SO_PASSCRED, SO_PEERCRED, SO_PROTOCOL, SO_RCVBUF, SO_REUSEADDR, SO_SNDBUF,
    SO_TYPE, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET,
    Ucred,
};

use alloc::sync::Arc;

use crate::io::description::{Backend, OpenFile};
use crate::io::descriptors::{Description, description, install};
use connection::{SocketEnd, SocketKind};
use named::{UnixSocket, parse_address};

/// The socket a descriptor names.
fn socket_of(file: &Description) -> Result<&UnixSocket, Errno> {
    match file.backend() {
        Backend::Socket(socket) => Ok(socket),
        _ => Err(Errno::ENOTSOCK),
    }
}

/// The connection of the socket a descriptor names.
fn end_of(file: &Description) -> Result<Arc<SocketEnd>, Errno> {
    socket_of(file)?.end()
}

fn kind_of(type_and_flags: i32) -> Result<(SocketKind, i32), Errno> {
    let flags = type_and_flags & (SOCK_NONBLOCK | SOCK_CLOEXEC);
    let kind = match type_and_flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) {
        SOCK_STREAM => SocketKind::Stream,
        SOCK_DGRAM => SocketKind::Datagram,
        SOCK_SEQPACKET => SocketKind::SequencedPacket,
        _ => return Err(Errno::EINVAL),
    };
    Ok((kind, flags))
}

/// The credentials of this process, as a pair's `SO_PEERCRED` reports them (Linux: the
/// creator's at `socketpair` time): the pid the process server gave us (0 when unregistered)
/// and our effective ids. Both ends start in this process, so nobody else relies on them.
fn own_credentials() -> Ucred {
    Ucred {
        pid: crate::process::identity::getpid().unwrap_or(0),
        uid: crate::process::credentials::geteuid(),
        gid: crate::process::credentials::getegid(),
    }
}

/// `socketpair`: two connected AF_UNIX sockets of `kind` (`SOCK_STREAM`, `SOCK_DGRAM`,
/// `SOCK_SEQPACKET`, with `SOCK_NONBLOCK`/`SOCK_CLOEXEC`).
///
/// # Errors
/// `EAFNOSUPPORT` for another domain, `EINVAL` for another type, `EPROTONOSUPPORT` for a
/// protocol other than 0, `EMFILE`, `ENFILE`.
pub fn socketpair(domain: i32, type_and_flags: i32, protocol: i32) -> Result<[i32; 2], Errno> {
    if domain != AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    let (kind, flags) = kind_of(type_and_flags)?;
    if protocol != 0 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let (first, second) = SocketEnd::create_pair(kind, own_credentials())?;
    let status = O_RDWR | (flags & O_NONBLOCK);
    let close_on_exec = flags & SOCK_CLOEXEC != 0;
    let first = Backend::Socket(UnixSocket::connected(first, None, None));
    let first = install(OpenFile::new(status, first), close_on_exec)?;
    let second = Backend::Socket(UnixSocket::connected(second, None, None));
    match install(OpenFile::new(status, second), close_on_exec) {
        Ok(second) => Ok([first, second]),
        Err(error) => {
            let _ = crate::io::close(first);
            Err(error)
        }
    }
}

/// `socket`: a new unbound AF_UNIX socket (`SOCK_STREAM`, `SOCK_DGRAM`, `SOCK_SEQPACKET`, with
/// `SOCK_NONBLOCK`/`SOCK_CLOEXEC`).
///
/// # Errors
/// `EAFNOSUPPORT` for another domain; `EINVAL` for a bad type; `EPROTONOSUPPORT`; `EMFILE`.
pub fn socket(domain: i32, type_and_flags: i32, protocol: i32) -> Result<i32, Errno> {
    if domain != AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    let (kind, flags) = kind_of(type_and_flags)?;
    if protocol != 0 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    install(
        OpenFile::new(
            O_RDWR | (flags & O_NONBLOCK),
            Backend::Socket(UnixSocket::unbound(kind)),
        ),
        flags & SOCK_CLOEXEC != 0,
    )
}

/// `bind` to a `sockaddr_un` given as bytes: the abstract namespace (a NUL, then the name) or a
/// path, where the file server makes an `S_IFSOCK` node with mode `0777 & !umask`.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `EINVAL`, `EAFNOSUPPORT`, `EADDRINUSE` (the name or path exists),
/// `ENOSYS` (no socket server); for a path `ENOENT`,
/// `ENOTDIR`, `EACCES`, `EROFS` (in devfs).
pub fn bind(fd: i32, address: &[u8]) -> Result<(), Errno> {
    let file = description(fd)?;
    let socket = socket_of(&file)?;
    socket.bind(parse_address(address)?)
}

/// `listen`.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `EINVAL` (not bound), `EOPNOTSUPP` (a datagram socket).
pub fn listen(fd: i32, backlog: i32) -> Result<(), Errno> {
    socket_of(&description(fd)?)?.listen(backlog)
}

/// `connect` to a `sockaddr_un` given as bytes.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `EINVAL`, `EAFNOSUPPORT`, `EISCONN`, `ECONNREFUSED`, `EPROTOTYPE`,
/// `ENOSYS`; `AF_UNSPEC` on a named datagram socket forgets its peer; for a path `ENOENT`,
/// `EACCES` (no write permission on the socket node, checked by the file server),
/// `ECONNREFUSED` (nobody listens, or not a socket).
pub fn connect(fd: i32, address: &[u8]) -> Result<(), Errno> {
    let file = description(fd)?;
    let socket = socket_of(&file)?;
    if socket.is_named_datagram()
        && address.len() >= 2
        && u16::from_ne_bytes([address[0], address[1]]) == libposix_sys::socket::AF_UNSPEC as u16
    {
        // Dissolves a datagram socket's association, as on Linux.
        socket.forget_datagram_peer();
        return Ok(());
    }
    socket.connect(parse_address(address)?, file.nonblocking())
}

/// `accept4`: the next connection as a new descriptor, with the peer's address (unnamed: the
/// family alone); `flags` may hold `SOCK_NONBLOCK`, `SOCK_CLOEXEC`.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `EINVAL` (not listening, bad flags), `EOPNOTSUPP` (a datagram socket),
/// `EAGAIN`, `EINTR`, `EMFILE`.
pub fn accept4(fd: i32, flags: i32) -> Result<(i32, Vec<u8>), Errno> {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let file = description(fd)?;
    let socket = socket_of(&file)?;
    let accepted = socket.accept(file.nonblocking())?;
    let peer = accepted.peer_name().unwrap_or_default();
    let fd = install(
        OpenFile::new(O_RDWR | (flags & O_NONBLOCK), Backend::Socket(accepted)),
        flags & SOCK_CLOEXEC != 0,
    )?;
    Ok((fd, peer))
}

/// `accept`: `accept4` without flags.
///
/// # Errors
/// As [`accept4`].
pub fn accept(fd: i32) -> Result<(i32, Vec<u8>), Errno> {
    accept4(fd, 0)
}

const SEND_FLAGS: i32 = MSG_DONTWAIT | MSG_NOSIGNAL | libposix_sys::socket::MSG_EOR;
const RECEIVE_FLAGS: i32 = MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL | MSG_CMSG_CLOEXEC;

fn send_on(file: &Description, bytes: &[u8], flags: i32) -> Result<usize, Errno> {
    send_with_control(file, None, bytes, flags, &[], None)
}

/// A send of `bytes` with the descriptors `passed` and the credentials `claimed` (at most one
/// record each, queued just before the data): on the connection, or for a named datagram
/// socket on the connection to `address` (or the default peer).
fn send_with_control(
    file: &Description,
    address: Option<&[u8]>,
    bytes: &[u8],
    flags: i32,
    passed: &[i32],
    claimed: Option<Ucred>,
) -> Result<usize, Errno> {
    if flags & !SEND_FLAGS != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let nonblocking = file.nonblocking() || flags & MSG_DONTWAIT != 0;
    let socket = socket_of(file)?;
    let address = address.filter(|address| !address.is_empty());
    if socket.is_named_datagram() {
        let address = address.map(parse_address).transpose()?;
        // A datagram reaches a name: no `SIGPIPE` (a receiver gone is `ECONNREFUSED`).
        return socket.datagram_send(address, nonblocking, &mut |end| {
            send_on_end(end, bytes, nonblocking, passed, claimed)
        });
    }
    if let Some(address) = address {
        return Err(address_refused(file, address));
    }
    let end = end_of(file)?;
    if (!passed.is_empty() || claimed.is_some())
        && bytes.is_empty()
        && end.kind() == SocketKind::Stream
    {
        // Descriptors and credentials travel with data on a stream.
        return Err(Errno::EINVAL);
    }
    with_broken_pipe_signal(
        send_on_end(&end, bytes, nonblocking, passed, claimed),
        flags,
    )
}

/// Queues the records of `passed` and `claimed` on `end`, then sends `bytes`.
fn send_on_end(
    end: &SocketEnd,
    bytes: &[u8],
    nonblocking: bool,
    passed: &[i32],
    claimed: Option<Ucred>,
) -> Result<usize, Errno> {
    let mut entries = Vec::new();
    if let Some(claimed) = claimed {
        // Checked by the server against what it knows of us: `EPERM` for a false claim.
        entries.push(rights::vouch(claimed)?);
    }
    if !passed.is_empty() {
        match rights::deposit(passed) {
            Ok(entry) => entries.push(entry),
            Err(error) => {
                rights::discard(&entries);
                return Err(error);
            }
        }
    }
    for (index, entry) in entries.iter_mut().enumerate() {
        entry.position = end.send_position();
        if let Err(error) = end.push_passed(entry) {
            rights::discard(&entries[index..]);
            return Err(error);
        }
    }
    end.send(bytes, nonblocking)
}

/// `EPIPE` raises `SIGPIPE` unless the call said `MSG_NOSIGNAL`.
fn with_broken_pipe_signal<T>(result: Result<T, Errno>, flags: i32) -> Result<T, Errno> {
    if flags & MSG_NOSIGNAL != 0 {
        result
    } else {
        crate::signal::broken_pipe::raise_on_broken_pipe(result)
    }
}

/// `send`: flags `MSG_DONTWAIT`, `MSG_NOSIGNAL`, `MSG_EOR`.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `EOPNOTSUPP` (other flags), `EPIPE`, `ECONNRESET`, `EMSGSIZE`,
/// `EAGAIN`, `EINTR`.
pub fn send(fd: i32, bytes: &[u8], flags: i32) -> Result<usize, Errno> {
    send_on(&description(fd)?, bytes, flags)
}

/// `sendto`: on a connected socket; a named datagram socket (not a pair's) sends to `address`
/// or its default peer (`UnixSocket::datagram_send`). With an address, a stream or
/// sequenced-packet socket gives `EISCONN`; a pair's datagram end gets the lookup's error.
///
/// # Errors
/// As [`send`]; `EISCONN` with an address on a stream; `ENOTCONN`; the datagram lookup's
/// (`ECONNREFUSED`, `ENOENT`, `EACCES`, `EPROTOTYPE`).
pub fn sendto(fd: i32, bytes: &[u8], flags: i32, address: Option<&[u8]>) -> Result<usize, Errno> {
    send_with_control(&description(fd)?, address, bytes, flags, &[], None)
}

/// Why a send with an address fails on a connected socket: `EISCONN` for a stream or
/// sequenced-packet socket; for a pair's datagram end the receiver's lookup error
/// (`UnixSocket::find_datagram_receiver`).
fn address_refused(file: &Description, address: &[u8]) -> Errno {
    let socket = match socket_of(file) {
        Ok(socket) => socket,
        Err(error) => return error,
    };
    if socket.kind() != SocketKind::Datagram {
        return Errno::EISCONN;
    }
    match parse_address(address).and_then(|address| socket.find_datagram_receiver(address)) {
        Err(error) => error,
        Ok(()) => Errno::EOPNOTSUPP,
    }
}

/// What `recvmsg` reports besides the bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageInfo {
    /// The byte count the call returns (the whole message's length with `MSG_TRUNC`).
    pub count: usize,
    /// `msg_flags`: `MSG_TRUNC` when a message was cut.
    pub flags: i32,
    /// The sender's address as `sockaddr_un` bytes: a named datagram's sender's bound name,
    /// else the family alone (2 bytes: unnamed).
    pub address: Vec<u8>,
    /// Bytes of control data written (`SCM_RIGHTS`).
    pub control_length: usize,
}

fn receive_on(file: &Description, buffer: &mut [u8], flags: i32) -> Result<MessageInfo, Errno> {
    let (info, passed, _) = receive_with_rights(file, buffer, flags)?;
    // Descriptors passed with the data and not asked for are closed, as on Linux.
    rights::discard(&passed);
    Ok(info)
}

/// A receive's message, the records passed with it, and the sender's credentials
/// (`SCM_CREDENTIALS` without a vouched record: the connection's `SO_PEERCRED`).
type Receipt = (MessageInfo, Vec<connection::ControlEntry>, Ucred);

fn receive_with_rights(
    file: &Description,
    buffer: &mut [u8],
    flags: i32,
) -> Result<Receipt, Errno> {
    if flags & !RECEIVE_FLAGS != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let nonblocking = file.nonblocking() || flags & MSG_DONTWAIT != 0;
    let socket = socket_of(file)?;
    let (received, address, credentials, kind) = if socket.is_named_datagram() {
        let delivered = socket.datagram_receive(buffer, nonblocking, flags & MSG_PEEK != 0)?;
        (
            delivered.received,
            delivered.from,
            delivered.credentials,
            SocketKind::Datagram,
        )
    } else {
        let end = socket.end()?;
        let received = end.receive(
            buffer,
            nonblocking,
            flags & MSG_PEEK != 0,
            flags & MSG_WAITALL != 0,
        )?;
        (
            received,
            named::address_bytes(b""),
            end.peer_credentials(),
            end.kind(),
        )
    };
    let truncated = received.length > received.copied;
    Ok((
        MessageInfo {
            count: if flags & MSG_TRUNC != 0 && kind != SocketKind::Stream {
                received.length
            } else {
                received.copied
            },
            flags: if truncated { MSG_TRUNC } else { 0 },
            address,
            control_length: 0,
        },
        received.passed,
        credentials,
    ))
}

/// `recv`: flags `MSG_DONTWAIT`, `MSG_PEEK`, `MSG_TRUNC`, `MSG_WAITALL`.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `EOPNOTSUPP` (other flags), `ECONNRESET`, `EAGAIN`, `EINTR`.
pub fn recv(fd: i32, buffer: &mut [u8], flags: i32) -> Result<usize, Errno> {
    receive_on(&description(fd)?, buffer, flags).map(|info| info.count)
}

/// `recvfrom`: as [`recv`], with the sender's address as `sockaddr_un` bytes (its bound name
/// for a named datagram; the family alone, length 2, when unnamed).
///
/// # Errors
/// As [`recv`].
pub fn recvfrom(fd: i32, buffer: &mut [u8], flags: i32) -> Result<(usize, Vec<u8>), Errno> {
    receive_on(&description(fd)?, buffer, flags).map(|info| (info.count, info.address))
}

/// The size of `struct cmsghdr` and the alignment of control messages.
const CONTROL_HEADER: usize = 16;

fn control_align(length: usize) -> usize {
    length.next_multiple_of(8)
}

/// The descriptors of the `SCM_RIGHTS` messages in `control`, and the credentials of an
/// `SCM_CREDENTIALS` one.
fn rights_in(control: &[u8]) -> Result<(Vec<i32>, Option<Ucred>), Errno> {
    let mut fds = Vec::new();
    let mut credentials = None;
    let mut at = 0;
    while at + CONTROL_HEADER <= control.len() {
        let word = |offset: usize, size: usize| {
            let mut bytes = [0u8; 8];
            bytes[..size].copy_from_slice(&control[at + offset..at + offset + size]);
            u64::from_ne_bytes(bytes)
        };
        let length = word(0, 8) as usize;
        let level = word(8, 4) as u32 as i32;
        let kind = word(12, 4) as u32 as i32;
        if length < CONTROL_HEADER || at + length > control.len() {
            return Err(Errno::EINVAL);
        }
        match (level, kind) {
            (SOL_SOCKET, SCM_RIGHTS) => {
                for chunk in control[at + CONTROL_HEADER..at + length].chunks_exact(4) {
                    fds.push(i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]));
                }
            }
            (SOL_SOCKET, SCM_CREDENTIALS) if length == CONTROL_HEADER + 12 => {
                let field = |offset: usize| word(CONTROL_HEADER + offset, 4) as u32;
                credentials = Some(Ucred {
                    pid: field(0) as i32,
                    uid: field(4),
                    gid: field(8),
                });
            }
            _ => return Err(Errno::EINVAL),
        }
        at += control_align(length);
    }
    Ok((fds, credentials))
}

/// Writes one control message at `at` in `control` if it fits whole; answers the bytes used.
fn put_control(control: &mut [u8], at: usize, kind: i32, data: &[u8]) -> Option<usize> {
    let length = CONTROL_HEADER + data.len();
    if at + length > control.len() {
        return None;
    }
    control[at..at + 8].copy_from_slice(&(length as u64).to_ne_bytes());
    control[at + 8..at + 12].copy_from_slice(&SOL_SOCKET.to_ne_bytes());
    control[at + 12..at + 16].copy_from_slice(&kind.to_ne_bytes());
    control[at + CONTROL_HEADER..at + length].copy_from_slice(data);
    Some(control_align(length).min(control.len() - at))
}

/// `sendmsg`: the buffers gathered into one send (one message for message kinds), with the
/// descriptors of `SCM_RIGHTS` control messages passed along (`socket::rights`).
///
/// # Errors
/// As [`sendto`]; `EINVAL` (malformed control data), `EBADF` (a passed descriptor is not
/// open), `ETOOMANYREFS` (more than 8 descriptors), `EOPNOTSUPP` (`SCM_CREDENTIALS`, or a
/// descriptor kind that cannot be passed yet); `EMSGSIZE` for too many buffers.
pub fn sendmsg(
    fd: i32,
    address: Option<&[u8]>,
    buffers: &[&[u8]],
    control: &[u8],
    flags: i32,
) -> Result<usize, Errno> {
    if buffers.len() > crate::io::descriptors::IOV_MAX {
        return Err(Errno::EMSGSIZE);
    }
    let gathered: Vec<u8> = buffers
        .iter()
        .flat_map(|buffer| buffer.iter().copied())
        .collect();
    let (passed, credentials) = rights_in(control)?;
    send_with_control(
        &description(fd)?,
        address,
        &gathered,
        flags,
        &passed,
        credentials,
    )
}

/// `recvmsg`: one receive scattered over `buffers`; descriptors passed with the data taken
/// become new descriptors, written to `control` as one `SCM_RIGHTS` message (`MSG_CTRUNC` and
/// closed when they do not fit; `MSG_CMSG_CLOEXEC` sets their `FD_CLOEXEC`).
///
/// # Errors
/// As [`recv`]; `EMSGSIZE` for too many buffers.
pub fn recvmsg(
    fd: i32,
    buffers: &mut [&mut [u8]],
    control: &mut [u8],
    flags: i32,
) -> Result<MessageInfo, Errno> {
    if buffers.len() > crate::io::descriptors::IOV_MAX {
        return Err(Errno::EMSGSIZE);
    }
    let file = description(fd)?;
    let total: usize = buffers.iter().map(|buffer| buffer.len()).sum();
    let mut gathered = alloc::vec![0u8; total];
    let (mut info, passed, peer_credentials) = receive_with_rights(&file, &mut gathered, flags)?;
    let mut rest = &gathered[..info.count.min(total)];
    for buffer in buffers.iter_mut() {
        let take = rest.len().min(buffer.len());
        buffer[..take].copy_from_slice(&rest[..take]);
        rest = &rest[take..];
    }
    let mut written = 0;
    // `SCM_CREDENTIALS` when asked for (`SO_PASSCRED`): as the server vouched for them, or the
    // peer's `SO_PEERCRED` (the server's too, for a named connection) when none came.
    let mut credentials = None;
    for entry in &passed {
        if let Some(vouched) = rights::take_credentials(entry) {
            credentials = Some(vouched);
        }
    }
    let socket = socket_of(&file)?;
    if socket.passes_credentials() && info.count > 0 {
        let credentials = credentials.unwrap_or(peer_credentials);
        let mut data = [0u8; 12];
        data[..4].copy_from_slice(&credentials.pid.to_ne_bytes());
        data[4..8].copy_from_slice(&credentials.uid.to_ne_bytes());
        data[8..].copy_from_slice(&credentials.gid.to_ne_bytes());
        match put_control(control, 0, SCM_CREDENTIALS, &data) {
            Some(used) => written = used,
            None => info.flags |= MSG_CTRUNC,
        }
    }
    let mut fds = Vec::new();
    for entry in &passed {
        for file in rights::collect(entry) {
            match install(file, flags & MSG_CMSG_CLOEXEC != 0) {
                Ok(new) => fds.push(new),
                Err(_) => info.flags |= MSG_CTRUNC,
            }
        }
    }
    if !fds.is_empty() {
        let room = control.len().saturating_sub(written + CONTROL_HEADER) / 4;
        let kept = fds.len().min(room);
        for &extra in &fds[kept..] {
            let _ = crate::io::close(extra);
        }
        if kept < fds.len() {
            info.flags |= MSG_CTRUNC;
        }
        if kept > 0 {
            let data: Vec<u8> = fds[..kept]
                .iter()
                .flat_map(|new| new.to_ne_bytes())
                .collect();
            if let Some(used) = put_control(control, written, SCM_RIGHTS, &data) {
                written += used;
            }
        }
    }
    info.control_length = written;
    Ok(info)
}

/// `shutdown`: `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `EINVAL`.
pub fn shutdown(fd: i32, how: i32) -> Result<(), Errno> {
    let file = description(fd)?;
    let end = end_of(&file)?;
    match how {
        SHUT_RD => end.shutdown(true, false),
        SHUT_WR => end.shutdown(false, true),
        SHUT_RDWR => end.shutdown(true, true),
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

/// An option's value as `getsockopt` gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionValue {
    /// An `int`.
    Integer(i32),
    /// `struct ucred` (`SO_PEERCRED`).
    Credentials(Ucred),
}

/// `getsockopt` at `SOL_SOCKET`: `SO_TYPE`, `SO_ERROR` (taken), `SO_RCVBUF`, `SO_SNDBUF`,
/// `SO_REUSEADDR`, `SO_PEERCRED`, `SO_DOMAIN`, `SO_PROTOCOL`, `SO_ACCEPTCONN`.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `ENOPROTOOPT` for other levels and options.
pub fn getsockopt(fd: i32, level: i32, option: i32) -> Result<OptionValue, Errno> {
    let file = description(fd)?;
    let socket = socket_of(&file)?;
    if level != SOL_SOCKET {
        return Err(Errno::ENOPROTOOPT);
    }
    let end = socket.end().ok();
    let value = match (option, &end) {
        (SO_TYPE, _) => socket.kind().type_value(),
        (SO_ERROR, Some(end)) => end.take_error().map_or(0, |error| error as i32),
        (SO_SNDBUF, Some(end)) => end.buffer_size(0) as i32,
        (SO_RCVBUF, Some(end)) => end.buffer_size(1) as i32,
        (SO_SNDBUF | SO_RCVBUF, None) => (connection::RING_BYTES * 2) as i32,
        (SO_REUSEADDR, Some(end)) => i32::from(end.reuse_address()),
        (SO_ERROR | SO_REUSEADDR | SO_PROTOCOL, _) => 0,
        (SO_DOMAIN, _) => AF_UNIX,
        (SO_ACCEPTCONN, _) => i32::from(socket.listening()),
        (SO_PASSCRED, _) => i32::from(socket.passes_credentials()),
        (SO_PEERCRED, Some(end)) => return Ok(OptionValue::Credentials(end.peer_credentials())),
        // Linux's answer for a socket without a peer.
        (SO_PEERCRED, None) => {
            return Ok(OptionValue::Credentials(Ucred {
                pid: 0,
                uid: u32::MAX,
                gid: u32::MAX,
            }));
        }
        _ => return Err(Errno::ENOPROTOOPT),
    };
    Ok(OptionValue::Integer(value))
}

/// `setsockopt` at `SOL_SOCKET` with an `int` value: `SO_RCVBUF`, `SO_SNDBUF` (recorded and
/// reported doubled as on Linux; the ring's size is fixed), `SO_REUSEADDR`.
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `ENOPROTOOPT` for other levels and options; `EINVAL` for a negative
/// buffer size.
pub fn setsockopt(fd: i32, level: i32, option: i32, value: i32) -> Result<(), Errno> {
    let file = description(fd)?;
    let socket = socket_of(&file)?;
    if level != SOL_SOCKET {
        return Err(Errno::ENOPROTOOPT);
    }
    if option == SO_PASSCRED {
        // Kept by the socket, so a listener's reaches the sockets it accepts (as on Linux).
        socket.set_passes_credentials(value != 0);
        return Ok(());
    }
    let end = end_of(&file).map_err(|_| Errno::ENOPROTOOPT)?;
    match option {
        SO_SNDBUF | SO_RCVBUF => {
            let size = u64::try_from(value).map_err(|_| Errno::EINVAL)?;
            end.set_buffer_size(usize::from(option == SO_RCVBUF), size);
        }
        SO_REUSEADDR => end.set_reuse_address(value != 0),
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(())
}

/// `getsockname`: the socket's `sockaddr_un` as bytes (the family alone when unnamed).
///
/// # Errors
/// `EBADF`, `ENOTSOCK`.
pub fn getsockname(fd: i32) -> Result<Vec<u8>, Errno> {
    Ok(socket_of(&description(fd)?)?.local_name())
}

/// `getpeername`: the peer's `sockaddr_un` as bytes (the family alone when unnamed).
///
/// # Errors
/// `EBADF`, `ENOTSOCK`, `ENOTCONN`.
pub fn getpeername(fd: i32) -> Result<Vec<u8>, Errno> {
    socket_of(&description(fd)?)?.peer_name()
}
