//! Sockets: address structures (`sockaddr`, `sockaddr_un`, `sockaddr_in`, `sockaddr_in6`), `msghdr`, and the `AF_`/`SOCK_`/`SOL_`/`SO_`/`MSG_` constants.

/// Unspecified address family.
pub const AF_UNSPEC: i32 = 0;
/// Local (Unix-domain) sockets.
pub const AF_UNIX: i32 = 1;
/// POSIX name of `AF_UNIX`.
pub const AF_LOCAL: i32 = AF_UNIX;
/// IPv4.
pub const AF_INET: i32 = 2;
/// IPv6.
pub const AF_INET6: i32 = 10;
/// Netlink (kernel interfaces).
pub const AF_NETLINK: i32 = 16;
/// Raw packets.
pub const AF_PACKET: i32 = 17;

/// Reliable byte stream.
pub const SOCK_STREAM: i32 = 1;
/// Datagrams.
pub const SOCK_DGRAM: i32 = 2;
/// Raw protocol access.
pub const SOCK_RAW: i32 = 3;
/// Reliably delivered messages.
pub const SOCK_RDM: i32 = 4;
/// Reliable, ordered, record-preserving messages.
pub const SOCK_SEQPACKET: i32 = 5;
/// `socket` type flag: non-blocking.
pub const SOCK_NONBLOCK: i32 = crate::fcntl::O_NONBLOCK;
/// `socket` type flag: close on `execve`.
pub const SOCK_CLOEXEC: i32 = crate::fcntl::O_CLOEXEC;

/// Socket-level options.
pub const SOL_SOCKET: i32 = 1;
/// IPv4-level options.
pub const SOL_IP: i32 = 0;
/// TCP-level options.
pub const SOL_TCP: i32 = 6;
/// UDP-level options.
pub const SOL_UDP: i32 = 17;
/// IPv6-level options.
pub const SOL_IPV6: i32 = 41;

/// Default protocol.
pub const IPPROTO_IP: i32 = 0;
/// ICMP.
pub const IPPROTO_ICMP: i32 = 1;
/// TCP.
pub const IPPROTO_TCP: i32 = 6;
/// UDP.
pub const IPPROTO_UDP: i32 = 17;
/// IPv6.
pub const IPPROTO_IPV6: i32 = 41;
/// Raw IP packets.
pub const IPPROTO_RAW: i32 = 255;

/// Record debugging information.
pub const SO_DEBUG: i32 = 1;
/// Allow reuse of local addresses.
pub const SO_REUSEADDR: i32 = 2;
/// The socket type (read only).
pub const SO_TYPE: i32 = 3;
/// Read and clear the pending error.
pub const SO_ERROR: i32 = 4;
/// Bypass routing.
pub const SO_DONTROUTE: i32 = 5;
/// Allow broadcast datagrams.
pub const SO_BROADCAST: i32 = 6;
/// Send buffer size.
pub const SO_SNDBUF: i32 = 7;
/// Receive buffer size.
pub const SO_RCVBUF: i32 = 8;
/// Send keepalive probes.
pub const SO_KEEPALIVE: i32 = 9;
/// Receive out-of-band data in band.
pub const SO_OOBINLINE: i32 = 10;
/// Disable checksums (UDP).
pub const SO_NO_CHECK: i32 = 11;
/// Protocol-defined priority of outgoing packets.
pub const SO_PRIORITY: i32 = 12;
/// Linger on close if data is present (`struct linger`).
pub const SO_LINGER: i32 = 13;
/// Obsolete BSD compatibility.
pub const SO_BSDCOMPAT: i32 = 14;
/// Allow several sockets to bind the same address and port.
pub const SO_REUSEPORT: i32 = 15;
/// Receive `SCM_CREDENTIALS` messages.
pub const SO_PASSCRED: i32 = 16;
/// The peer's credentials (`struct ucred`).
pub const SO_PEERCRED: i32 = 17;
/// Minimum bytes for input to be reported.
pub const SO_RCVLOWAT: i32 = 18;
/// Minimum bytes for output to be reported.
pub const SO_SNDLOWAT: i32 = 19;
/// Receive timeout (`struct timeval`).
pub const SO_RCVTIMEO: i32 = 20;
/// Send timeout (`struct timeval`).
pub const SO_SNDTIMEO: i32 = 21;
/// Whether the socket is listening (read only).
pub const SO_ACCEPTCONN: i32 = 30;
/// The peer's security context.
pub const SO_PEERSEC: i32 = 31;
/// `SO_SNDBUF` beyond the limit, for privileged callers.
pub const SO_SNDBUFFORCE: i32 = 32;
/// `SO_RCVBUF` beyond the limit, for privileged callers.
pub const SO_RCVBUFFORCE: i32 = 33;
/// The protocol (read only).
pub const SO_PROTOCOL: i32 = 38;
/// The address family (read only).
pub const SO_DOMAIN: i32 = 39;

/// Ancillary message: descriptors passed over a Unix socket.
pub const SCM_RIGHTS: i32 = 1;
/// Ancillary message: sender credentials (`struct ucred`).
pub const SCM_CREDENTIALS: i32 = 2;

/// Out-of-band data.
pub const MSG_OOB: i32 = 0x1;
/// Look at the data without removing it.
pub const MSG_PEEK: i32 = 0x2;
/// Bypass routing.
pub const MSG_DONTROUTE: i32 = 0x4;
/// Ancillary data was truncated.
pub const MSG_CTRUNC: i32 = 0x8;
/// The datagram was truncated (or: return the real length).
pub const MSG_TRUNC: i32 = 0x20;
/// Do not block.
pub const MSG_DONTWAIT: i32 = 0x40;
/// End of record.
pub const MSG_EOR: i32 = 0x80;
/// Wait for the full request.
pub const MSG_WAITALL: i32 = 0x100;
/// Do not raise `SIGPIPE` on a broken stream.
pub const MSG_NOSIGNAL: i32 = 0x4000;
/// Set `FD_CLOEXEC` on descriptors received with `SCM_RIGHTS`.
pub const MSG_CMSG_CLOEXEC: i32 = 0x4000_0000;

/// `shutdown`: no more receptions.
pub const SHUT_RD: i32 = 0;
/// `shutdown`: no more transmissions.
pub const SHUT_WR: i32 = 1;
/// `shutdown`: neither.
pub const SHUT_RDWR: i32 = 2;

/// The IPv4 wildcard address, in host byte order.
pub const INADDR_ANY: u32 = 0;
/// The IPv4 loopback address 127.0.0.1, in host byte order.
pub const INADDR_LOOPBACK: u32 = 0x7f00_0001;

/// The size of `sun_path`.
pub const UNIX_PATH_MAX: usize = 108;

/// A generic socket address (`struct sockaddr`).
#[doc(alias = "sockaddr")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Sockaddr {
    /// The address family (`AF_*`).
    pub sa_family: u16,
    /// Family-specific bytes.
    pub sa_data: [u8; 14],
}

/// A Unix-domain socket address (`struct sockaddr_un`).
///
/// `sun_path` holds a NUL-terminated path, or an abstract name when it starts
/// with a NUL; the address length passed along says how much of it counts.
#[doc(alias = "sockaddr_un")]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SockaddrUn {
    /// `AF_UNIX`.
    pub sun_family: u16,
    /// The path name.
    pub sun_path: [u8; UNIX_PATH_MAX],
}

impl Default for SockaddrUn {
    fn default() -> Self {
        SockaddrUn {
            sun_family: AF_UNIX as u16,
            sun_path: [0; UNIX_PATH_MAX],
        }
    }
}

/// An IPv4 address in network byte order (`struct in_addr`).
#[doc(alias = "in_addr")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct InAddr {
    /// The address, big-endian.
    pub s_addr: u32,
}

/// An IPv4 socket address (`struct sockaddr_in`).
#[doc(alias = "sockaddr_in")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SockaddrIn {
    /// `AF_INET`.
    pub sin_family: u16,
    /// The port, big-endian.
    pub sin_port: u16,
    /// The address.
    pub sin_addr: InAddr,
    /// Padding to the size of `struct sockaddr`.
    pub sin_zero: [u8; 8],
}

/// An IPv6 address (`struct in6_addr`), 4-byte aligned because C's is a union with `u32`s.
#[doc(alias = "in6_addr")]
#[repr(C, align(4))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct In6Addr {
    /// The address bytes, in network order.
    pub s6_addr: [u8; 16],
}

/// An IPv6 socket address (`struct sockaddr_in6`).
#[doc(alias = "sockaddr_in6")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SockaddrIn6 {
    /// `AF_INET6`.
    pub sin6_family: u16,
    /// The port, big-endian.
    pub sin6_port: u16,
    /// Flow information, big-endian.
    pub sin6_flowinfo: u32,
    /// The address.
    pub sin6_addr: In6Addr,
    /// The scope (interface) ID.
    pub sin6_scope_id: u32,
}

/// Storage large and aligned enough for any socket address (`struct sockaddr_storage`).
#[doc(alias = "sockaddr_storage")]
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SockaddrStorage {
    /// The address family (`AF_*`).
    pub ss_family: u16,
    /// The rest of the address.
    pub __ss_padding: [u8; 126],
}

impl Default for SockaddrStorage {
    fn default() -> Self {
        SockaddrStorage {
            ss_family: AF_UNSPEC as u16,
            __ss_padding: [0; 126],
        }
    }
}

/// A message for `sendmsg`/`recvmsg` (`struct msghdr`).
#[doc(alias = "msghdr")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Msghdr {
    /// Address of the peer address, or 0.
    pub msg_name: usize,
    /// Length of the peer address.
    pub msg_namelen: u32,
    /// Address of the `iovec` array.
    pub msg_iov: usize,
    /// Number of `iovec`s.
    pub msg_iovlen: usize,
    /// Address of the ancillary data.
    pub msg_control: usize,
    /// Length of the ancillary data.
    pub msg_controllen: usize,
    /// `MSG_*` flags of the received message.
    pub msg_flags: i32,
}

/// The header of one ancillary-data item (`struct cmsghdr`); the data follows, 8-byte aligned.
#[doc(alias = "cmsghdr")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cmsghdr {
    /// Length of header and data (`CMSG_LEN`).
    pub cmsg_len: usize,
    /// The originating protocol (`SOL_SOCKET`).
    pub cmsg_level: i32,
    /// The type (`SCM_RIGHTS`, `SCM_CREDENTIALS`).
    pub cmsg_type: i32,
}

/// Process credentials (`struct ucred`), for `SO_PEERCRED` and `SCM_CREDENTIALS`.
#[doc(alias = "ucred")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ucred {
    /// Process ID.
    pub pid: i32,
    /// User ID.
    pub uid: u32,
    /// Group ID.
    pub gid: u32,
}

/// `struct linger`, for `SO_LINGER`.
#[doc(alias = "linger")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Linger {
    /// Whether lingering is on.
    pub l_onoff: i32,
    /// How long to linger, in seconds.
    pub l_linger: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let families = check_constants!(
            AF_UNSPEC,
            AF_UNIX,
            AF_LOCAL,
            AF_INET,
            AF_INET6,
            AF_NETLINK,
            AF_PACKET,
            SOCK_STREAM,
            SOCK_DGRAM,
            SOCK_RAW,
            SOCK_RDM,
            SOCK_SEQPACKET,
            SOCK_NONBLOCK,
            SOCK_CLOEXEC,
        );
        let levels = check_constants!(
            SOL_SOCKET,
            SOL_IP,
            SOL_TCP,
            SOL_UDP,
            SOL_IPV6,
            IPPROTO_IP,
            IPPROTO_ICMP,
            IPPROTO_TCP,
            IPPROTO_UDP,
            IPPROTO_IPV6,
            IPPROTO_RAW,
        );
        let options = check_constants!(
            SO_DEBUG,
            SO_REUSEADDR,
            SO_TYPE,
            SO_ERROR,
            SO_DONTROUTE,
            SO_BROADCAST,
            SO_SNDBUF,
            SO_RCVBUF,
            SO_KEEPALIVE,
            SO_OOBINLINE,
            SO_NO_CHECK,
            SO_PRIORITY,
            SO_LINGER,
            SO_BSDCOMPAT,
            SO_REUSEPORT,
            SO_PASSCRED,
            SO_PEERCRED,
            SO_RCVLOWAT,
            SO_SNDLOWAT,
            SO_RCVTIMEO,
            SO_SNDTIMEO,
            SO_ACCEPTCONN,
            SO_PEERSEC,
            SO_SNDBUFFORCE,
            SO_RCVBUFFORCE,
            SO_PROTOCOL,
            SO_DOMAIN,
            SCM_RIGHTS,
            SCM_CREDENTIALS,
        );
        let messages = check_constants!(
            MSG_OOB,
            MSG_PEEK,
            MSG_DONTROUTE,
            MSG_CTRUNC,
            MSG_TRUNC,
            MSG_DONTWAIT,
            MSG_EOR,
            MSG_WAITALL,
            MSG_NOSIGNAL,
            MSG_CMSG_CLOEXEC,
            SHUT_RD,
            SHUT_WR,
            SHUT_RDWR,
            INADDR_ANY,
            INADDR_LOOPBACK,
            UNIX_PATH_MAX = core::mem::size_of::<libc::sockaddr_un>() - 2,
        );
        assert_every_constant_checked(
            include_str!("socket.rs"),
            &[families, levels, options, messages],
        );
    }

    #[test]
    fn layouts_match_libc() {
        check_layout!(Sockaddr, libc::sockaddr, { sa_family, sa_data });
        check_layout!(SockaddrUn, libc::sockaddr_un, { sun_family, sun_path });
        check_layout!(InAddr, libc::in_addr, { s_addr });
        check_layout!(SockaddrIn, libc::sockaddr_in, { sin_family, sin_port, sin_addr, sin_zero });
        check_layout!(In6Addr, libc::in6_addr, { s6_addr });
        check_layout!(SockaddrIn6, libc::sockaddr_in6, {
            sin6_family, sin6_port, sin6_flowinfo, sin6_addr, sin6_scope_id,
        });
        check_layout!(SockaddrStorage, libc::sockaddr_storage, { ss_family, __ss_padding = _ });
        check_layout!(Msghdr, libc::msghdr, {
            msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen, msg_flags,
        });
        check_layout!(Cmsghdr, libc::cmsghdr, { cmsg_len, cmsg_level, cmsg_type });
        check_layout!(Ucred, libc::ucred, { pid, uid, gid });
        check_layout!(Linger, libc::linger, { l_onoff, l_linger });
    }
}
