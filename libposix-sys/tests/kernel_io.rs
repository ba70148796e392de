//! Descriptors against the host kernel: `epoll_event`, `pollfd`, `iovec`, socket addresses, `msghdr` and terminals.

mod common;

use common::{address_of, mutable_address_of, system_call};
use libposix_sys::epoll::*;
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CLOEXEC, O_NOCTTY, O_RDWR};
use libposix_sys::ioctl::{TCGETS, TCSETS, TIOCGPTN, TIOCGWINSZ, TIOCSPTLCK, TIOCSWINSZ};
use libposix_sys::poll::{POLLIN, POLLOUT, Pollfd};
use libposix_sys::socket::*;
use libposix_sys::syscall_numbers::SystemCall;
use libposix_sys::termios::{ECHO, ICANON, NCCS, Termios, Winsize};
use libposix_sys::uio::Iovec;

fn pipe() -> [i32; 2] {
    let mut descriptors = [0_i32; 2];
    // SAFETY: `descriptors` holds the two ints pipe2 writes.
    let result = unsafe {
        system_call(
            SystemCall::Pipe2,
            &[mutable_address_of(&mut descriptors), O_CLOEXEC as u64],
        )
    };
    assert_eq!(result, Ok(0));
    descriptors
}

fn close(descriptor: i32) {
    // SAFETY: closing a descriptor this test opened.
    let result = unsafe { system_call(SystemCall::Close, &[descriptor as u64]) };
    assert_eq!(result, Ok(0));
}

fn write(descriptor: i32, data: &[u8]) -> Result<u64, Errno> {
    // SAFETY: `data` is readable for its length.
    unsafe {
        system_call(
            SystemCall::Write,
            &[descriptor as u64, data.as_ptr() as u64, data.len() as u64],
        )
    }
}

fn read(descriptor: i32, buffer: &mut [u8]) -> Result<u64, Errno> {
    // SAFETY: `buffer` is writable for its length.
    unsafe {
        system_call(
            SystemCall::Read,
            &[
                descriptor as u64,
                buffer.as_mut_ptr() as u64,
                buffer.len() as u64,
            ],
        )
    }
}

#[test]
fn epoll_events_are_packed_as_the_kernel_expects() {
    // SAFETY: epoll_create1 takes no pointer.
    let epoll = unsafe { system_call(SystemCall::EpollCreate1, &[EPOLL_CLOEXEC as u64]) }
        .expect("epoll_create1") as i32;
    let [read_end, write_end] = pipe();
    let interest = EpollEvent {
        events: EPOLLIN | EPOLLET,
        data: 0xdead_beef_cafe_f00d,
    };
    // SAFETY: `interest` is a 12-byte `epoll_event`.
    let added = unsafe {
        system_call(
            SystemCall::EpollCtl,
            &[
                epoll as u64,
                EPOLL_CTL_ADD as u64,
                read_end as u64,
                address_of(&interest),
            ],
        )
    };
    assert_eq!(added, Ok(0));
    write(write_end, b"x").expect("write");

    let mut ready = [EpollEvent::default(); 4];
    // SAFETY: `ready` holds four `epoll_event`s; the timeout is 0.
    let count = unsafe {
        system_call(
            SystemCall::EpollWait,
            &[epoll as u64, ready.as_mut_ptr() as u64, 4, 0],
        )
    };
    assert_eq!(count, Ok(1));
    let event = ready[0];
    assert_eq!({ event.events }, EPOLLIN);
    assert_eq!({ event.data }, 0xdead_beef_cafe_f00d);
    assert_eq!(
        ready[1],
        EpollEvent::default(),
        "the kernel wrote exactly 12 bytes"
    );
    for descriptor in [epoll, read_end, write_end] {
        close(descriptor);
    }
}

#[test]
fn poll_and_vectored_io_use_pollfd_and_iovec() {
    let [read_end, write_end] = pipe();
    let mut descriptors = [
        Pollfd {
            fd: read_end,
            events: POLLIN,
            revents: -1,
        },
        Pollfd {
            fd: write_end,
            events: POLLOUT,
            revents: -1,
        },
        Pollfd {
            fd: -1,
            events: POLLIN,
            revents: -1,
        },
    ];
    // SAFETY: `descriptors` holds three `pollfd`s; the timeout is 0.
    let ready = unsafe { system_call(SystemCall::Poll, &[descriptors.as_mut_ptr() as u64, 3, 0]) };
    assert_eq!(ready, Ok(1));
    assert_eq!(
        descriptors.map(|descriptor| descriptor.revents),
        [0, POLLOUT, 0]
    );

    let first = b"vectored ";
    let second = b"write";
    let vectors = [
        Iovec {
            iov_base: first.as_ptr() as usize,
            iov_len: first.len(),
        },
        Iovec {
            iov_base: second.as_ptr() as usize,
            iov_len: second.len(),
        },
    ];
    // SAFETY: both vectors describe readable buffers.
    let written = unsafe {
        system_call(
            SystemCall::Writev,
            &[write_end as u64, vectors.as_ptr() as u64, 2],
        )
    };
    assert_eq!(written, Ok(14));
    let mut buffer = [0_u8; 32];
    assert_eq!(read(read_end, &mut buffer), Ok(14));
    assert_eq!(&buffer[..14], b"vectored write");
    close(read_end);
    close(write_end);
}

fn socket(domain: i32, socket_type: i32) -> i32 {
    // SAFETY: socket takes no pointer.
    unsafe { system_call(SystemCall::Socket, &[domain as u64, socket_type as u64, 0]) }
        .expect("socket") as i32
}

#[test]
fn ipv4_addresses_bind_and_read_back() {
    let descriptor = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC);
    let address = SockaddrIn {
        sin_family: AF_INET as u16,
        sin_port: 0,
        sin_addr: InAddr {
            s_addr: INADDR_LOOPBACK.to_be(),
        },
        sin_zero: [0; 8],
    };
    let length = core::mem::size_of::<SockaddrIn>() as u64;
    // SAFETY: `address` is a `sockaddr_in` of `length` bytes.
    let bound = unsafe {
        system_call(
            SystemCall::Bind,
            &[descriptor as u64, address_of(&address), length],
        )
    };
    assert_eq!(bound, Ok(0));
    let mut name = SockaddrStorage::default();
    let mut name_length = core::mem::size_of::<SockaddrStorage>() as u32;
    // SAFETY: `name` and `name_length` are writable.
    let result = unsafe {
        system_call(
            SystemCall::Getsockname,
            &[
                descriptor as u64,
                mutable_address_of(&mut name),
                mutable_address_of(&mut name_length),
            ],
        )
    };
    assert_eq!(result, Ok(0));
    assert_eq!(name_length as usize, core::mem::size_of::<SockaddrIn>());
    assert_eq!(name.ss_family, AF_INET as u16);
    let port = u16::from_be_bytes([name.__ss_padding[0], name.__ss_padding[1]]);
    assert_ne!(port, 0, "the kernel chose a port");
    assert_eq!(name.__ss_padding[2..6], [127, 0, 0, 1]);
    close(descriptor);
}

#[test]
fn unix_addresses_bind_and_read_back() {
    let descriptor = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    let mut address = SockaddrUn::default();
    let abstract_name = format!("\0libposix-sys-{}", std::process::id());
    address.sun_path[..abstract_name.len()].copy_from_slice(abstract_name.as_bytes());
    let length = (2 + abstract_name.len()) as u64;
    // SAFETY: `address` is a `sockaddr_un` at least `length` bytes long.
    let bound = unsafe {
        system_call(
            SystemCall::Bind,
            &[descriptor as u64, address_of(&address), length],
        )
    };
    assert_eq!(bound, Ok(0));
    let mut name = SockaddrUn {
        sun_family: 0,
        sun_path: [0xff; UNIX_PATH_MAX],
    };
    let mut name_length = core::mem::size_of::<SockaddrUn>() as u32;
    // SAFETY: `name` and `name_length` are writable.
    let result = unsafe {
        system_call(
            SystemCall::Getsockname,
            &[
                descriptor as u64,
                mutable_address_of(&mut name),
                mutable_address_of(&mut name_length),
            ],
        )
    };
    assert_eq!(result, Ok(0));
    assert_eq!(u64::from(name_length), length);
    assert_eq!(name.sun_family, AF_UNIX as u16);
    assert_eq!(
        &name.sun_path[..abstract_name.len()],
        abstract_name.as_bytes()
    );
    close(descriptor);
}

#[test]
fn messages_carry_descriptors_and_credentials() {
    let mut pair = [0_i32; 2];
    // SAFETY: `pair` holds the two ints socketpair writes.
    let result = unsafe {
        system_call(
            SystemCall::Socketpair,
            &[
                AF_UNIX as u64,
                (SOCK_STREAM | SOCK_CLOEXEC) as u64,
                0,
                mutable_address_of(&mut pair),
            ],
        )
    };
    assert_eq!(result, Ok(0));

    let mut credentials = Ucred::default();
    let mut credentials_length = core::mem::size_of::<Ucred>() as u32;
    // SAFETY: `credentials` and its length are writable.
    let result = unsafe {
        system_call(
            SystemCall::Getsockopt,
            &[
                pair[0] as u64,
                SOL_SOCKET as u64,
                SO_PEERCRED as u64,
                mutable_address_of(&mut credentials),
                mutable_address_of(&mut credentials_length),
            ],
        )
    };
    assert_eq!(result, Ok(0));
    assert_eq!(credentials.pid, std::process::id() as i32);

    let [pipe_read, pipe_write] = pipe();
    /// A control buffer with room for one `cmsghdr` and one descriptor, aligned like `cmsghdr`.
    #[repr(C)]
    struct Control {
        header: Cmsghdr,
        descriptor: i32,
        padding: i32,
    }
    let control = Control {
        header: Cmsghdr {
            cmsg_len: core::mem::size_of::<Cmsghdr>() + 4,
            cmsg_level: SOL_SOCKET,
            cmsg_type: SCM_RIGHTS,
        },
        descriptor: pipe_write,
        padding: 0,
    };
    let payload = *b"descriptor";
    let vector = Iovec {
        iov_base: payload.as_ptr() as usize,
        iov_len: payload.len(),
    };
    let message = Msghdr {
        msg_iov: address_of(&vector) as usize,
        msg_iovlen: 1,
        msg_control: address_of(&control) as usize,
        msg_controllen: core::mem::size_of::<Control>(),
        ..Msghdr::default()
    };
    // SAFETY: every address in `message` points to live, correctly sized memory.
    let sent = unsafe {
        system_call(
            SystemCall::Sendmsg,
            &[pair[0] as u64, address_of(&message), MSG_NOSIGNAL as u64],
        )
    };
    assert_eq!(sent, Ok(payload.len() as u64));

    let mut received_payload = [0_u8; 16];
    let mut received_control = Control {
        header: Cmsghdr::default(),
        descriptor: -1,
        padding: 0,
    };
    let received_vector = Iovec {
        iov_base: received_payload.as_mut_ptr() as usize,
        iov_len: received_payload.len(),
    };
    let mut received = Msghdr {
        msg_iov: address_of(&received_vector) as usize,
        msg_iovlen: 1,
        msg_control: mutable_address_of(&mut received_control) as usize,
        msg_controllen: core::mem::size_of::<Control>(),
        ..Msghdr::default()
    };
    // SAFETY: as above, for writing.
    let length = unsafe {
        system_call(
            SystemCall::Recvmsg,
            &[
                pair[1] as u64,
                mutable_address_of(&mut received),
                MSG_CMSG_CLOEXEC as u64,
            ],
        )
    };
    assert_eq!(length, Ok(payload.len() as u64));
    assert_eq!(&received_payload[..payload.len()], b"descriptor");
    assert_eq!(received.msg_flags & MSG_CTRUNC, 0);
    assert_eq!(received_control.header.cmsg_level, SOL_SOCKET);
    assert_eq!(received_control.header.cmsg_type, SCM_RIGHTS);
    let passed = received_control.descriptor;
    assert!(passed >= 0 && passed != pipe_write);

    write(passed, b"through a passed descriptor").expect("write through the passed descriptor");
    let mut buffer = [0_u8; 64];
    assert_eq!(read(pipe_read, &mut buffer), Ok(27));
    for descriptor in [pair[0], pair[1], pipe_read, pipe_write, passed] {
        close(descriptor);
    }
}

fn ioctl(descriptor: i32, request: u32, argument: u64) -> Result<u64, Errno> {
    // SAFETY: the callers pass an argument of the type `request` reads or writes.
    unsafe {
        system_call(
            SystemCall::Ioctl,
            &[descriptor as u64, u64::from(request), argument],
        )
    }
}

#[test]
fn terminal_ioctls_use_the_kernel_termios_and_winsize() {
    let ptmx = c"/dev/ptmx";
    // SAFETY: `ptmx` is NUL-terminated.
    let master = unsafe {
        system_call(
            SystemCall::Openat,
            &[
                libposix_sys::fcntl::AT_FDCWD as u64,
                ptmx.as_ptr() as u64,
                (O_RDWR | O_NOCTTY | O_CLOEXEC) as u64,
            ],
        )
    }
    .expect("open /dev/ptmx") as i32;
    let unlock = 0_i32;
    assert_eq!(ioctl(master, TIOCSPTLCK, address_of(&unlock)), Ok(0));
    let mut number = -1_i32;
    assert_eq!(
        ioctl(master, TIOCGPTN, mutable_address_of(&mut number)),
        Ok(0)
    );
    let mut name = [0 as libc::c_char; 64];
    // SAFETY: `name` is writable for its length.
    let result = unsafe { libc::ptsname_r(master, name.as_mut_ptr(), name.len()) };
    assert_eq!(result, 0);
    // SAFETY: ptsname_r wrote a NUL-terminated string.
    let name = unsafe { core::ffi::CStr::from_ptr(name.as_ptr()) };
    assert_eq!(name.to_str().expect("UTF-8"), format!("/dev/pts/{number}"));

    // SAFETY: `name` is NUL-terminated.
    let slave = unsafe {
        system_call(
            SystemCall::Openat,
            &[
                libposix_sys::fcntl::AT_FDCWD as u64,
                name.as_ptr() as u64,
                (O_RDWR | O_NOCTTY | O_CLOEXEC) as u64,
            ],
        )
    }
    .expect("open the slave") as i32;

    let mut attributes = Termios::default();
    assert_eq!(
        ioctl(slave, TCGETS, mutable_address_of(&mut attributes)),
        Ok(0)
    );
    // SAFETY: an all-zero `termios` is valid for the C library to overwrite.
    let mut theirs: libc::termios = unsafe { core::mem::zeroed() };
    // SAFETY: `theirs` is writable.
    assert_eq!(unsafe { libc::tcgetattr(slave, &mut theirs) }, 0);
    assert_eq!(attributes.c_iflag, theirs.c_iflag);
    assert_eq!(attributes.c_oflag, theirs.c_oflag);
    assert_eq!(attributes.c_cflag, theirs.c_cflag);
    assert_eq!(attributes.c_lflag, theirs.c_lflag);
    assert_eq!(attributes.c_line, theirs.c_line);
    assert_eq!(attributes.c_cc[..], theirs.c_cc[..NCCS]);
    assert_ne!(
        attributes.c_lflag & ICANON,
        0,
        "a new pseudo-terminal is in canonical mode"
    );

    let raw = Termios {
        c_lflag: attributes.c_lflag & !(ECHO | ICANON),
        ..attributes
    };
    assert_eq!(ioctl(slave, TCSETS, address_of(&raw)), Ok(0));
    // SAFETY: `theirs` is writable.
    assert_eq!(unsafe { libc::tcgetattr(slave, &mut theirs) }, 0);
    assert_eq!(theirs.c_lflag & (ECHO | ICANON), 0);

    let size = Winsize {
        ws_row: 24,
        ws_col: 132,
        ws_xpixel: 1,
        ws_ypixel: 2,
    };
    assert_eq!(ioctl(master, TIOCSWINSZ, address_of(&size)), Ok(0));
    let mut seen = Winsize::default();
    assert_eq!(
        ioctl(slave, TIOCGWINSZ, mutable_address_of(&mut seen)),
        Ok(0)
    );
    assert_eq!(seen, size);

    close(slave);
    close(master);
}
