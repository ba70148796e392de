//! Checks of `SCM_RIGHTS`: a pipe end passed from a forked child is usable in the parent, a
//! socket end and an eventfd passed over a sequenced-packet pair keep working, and the errors
//! (closed or unpassable descriptors, too many, a control buffer too small, a guessed ticket).

use alloc::format;
use alloc::vec::Vec;

use libos::abi::{Call, OptionalSlot};
use libos::event::{eventfd2, timerfd_create};
use libos::io::{close, fcntl, pipe2, read, write};
use libos::kernel::call;
use libos::process::fork;
use libos::process::identity::_exit;
use libos::socket::protocol::{Operation, SOCKET_SERVER};
use libos::socket::{recvmsg, sendmsg};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_GETFD, FD_CLOEXEC};
use libposix_sys::socket::{MSG_CMSG_CLOEXEC, MSG_CTRUNC, SOCK_SEQPACKET, SOCK_STREAM};

use crate::ensure;
use crate::support::{Fd, expect_exit, pair, put, take};

/// An `SCM_RIGHTS` control message carrying `fds`.
pub(crate) fn rights(fds: &[i32]) -> Vec<u8> {
    let length = 16 + 4 * fds.len();
    let mut control = alloc::vec![0u8; length.next_multiple_of(8)];
    control[..8].copy_from_slice(&(length as u64).to_ne_bytes());
    control[8..12].copy_from_slice(&1i32.to_ne_bytes());
    control[12..16].copy_from_slice(&1i32.to_ne_bytes());
    for (index, fd) in fds.iter().enumerate() {
        control[16 + 4 * index..20 + 4 * index].copy_from_slice(&fd.to_ne_bytes());
    }
    control
}

/// The descriptors in a received `SCM_RIGHTS` message.
pub(crate) fn received_fds(control: &[u8], length: usize) -> Vec<i32> {
    if length < 16 {
        return Vec::new();
    }
    let total = u64::from_ne_bytes(control[..8].try_into().unwrap_or([0; 8])) as usize;
    control[16..total.min(length)]
        .chunks_exact(4)
        .map(|chunk| i32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect()
}

fn pipe_from_child() -> CheckOutcome {
    let (ours, theirs) = pair(SOCK_STREAM)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        let _ = close(ours.0);
        let Ok([read_end, write_end]) = pipe2(0) else {
            _exit(2);
        };
        if write(write_end, b"through the pipe") != Ok(16) {
            _exit(3);
        }
        let sent = sendmsg(theirs.0, None, &[b"p"], &rights(&[read_end]), 0);
        let _ = close(read_end);
        let _ = close(write_end);
        // The pipe's pages are paid by our quota and go when we do (docs/sockets.md): stay
        // until the parent is done with them.
        let mut done = [0u8; 1];
        let _ = read(theirs.0, &mut done);
        _exit(if sent == Ok(1) { 0 } else { 4 });
    }
    drop(theirs);
    let mut data = [0u8; 4];
    let mut control = [0u8; 64];
    let received = recvmsg(ours.0, &mut [&mut data[..]], &mut control, MSG_CMSG_CLOEXEC);
    let result = check_passed_pipe(received, &data, &control);
    put(ours.0, b"d")?;
    expect_exit(pid, 0)?;
    result
}

fn check_passed_pipe(
    received: Result<libos::socket::MessageInfo, Errno>,
    data: &[u8],
    control: &[u8],
) -> CheckOutcome {
    let info = received.map_err(|error| format!("recvmsg: {error}"))?;
    ensure!(info.count == 1 && data[0] == b'p', "the data {info:?}");
    let fds = received_fds(control, info.control_length);
    ensure!(fds.len() == 1, "received {fds:?} ({info:?})");
    let passed = Fd(fds[0]);
    ensure!(
        fcntl(passed.0, F_GETFD, 0) == Ok(i64::from(FD_CLOEXEC)),
        "MSG_CMSG_CLOEXEC not applied"
    );
    ensure!(
        take(passed.0, 32)? == b"through the pipe",
        "the passed pipe's data"
    );
    ensure!(
        take(passed.0, 32)?.is_empty(),
        "no end of file: the child closed its writer"
    );
    Ok(())
}

/// A forked child passes the read end of a pipe it made; the parent reads the child's data
/// through it, then end of file (the child closed its write end).
pub const PIPE_FROM_CHILD: Check = Check {
    name: "scm-rights-pipe-from-child-process",
    covers: &[
        "sendmsg:SCM_RIGHTS",
        "recvmsg:SCM_RIGHTS",
        "recvmsg:MSG_CMSG_CLOEXEC",
    ],
    run: pipe_from_child,
};

fn socket_and_counter() -> CheckOutcome {
    let (first, second) = pair(SOCK_SEQPACKET)?;
    let (inner_ours, inner_passed) = pair(SOCK_STREAM)?;
    let counter = Fd(eventfd2(3, 0).map_err(|error| format!("eventfd2: {error}"))?);
    let sent = sendmsg(
        first.0,
        None,
        &[b"two"],
        &rights(&[inner_passed.0, counter.0]),
        0,
    );
    ensure!(sent == Ok(3), "sendmsg gave {sent:?}");
    drop(inner_passed);
    drop(counter);
    let mut data = [0u8; 8];
    let mut control = [0u8; 64];
    let info = recvmsg(second.0, &mut [&mut data[..]], &mut control, 0)
        .map_err(|error| format!("recvmsg: {error}"))?;
    let fds = received_fds(&control, info.control_length);
    ensure!(
        fds.len() == 2 && info.count == 3,
        "received {fds:?} {info:?}"
    );
    let (socket, counter) = (Fd(fds[0]), Fd(fds[1]));
    put(inner_ours.0, b"hello")?;
    ensure!(
        take(socket.0, 16)? == b"hello",
        "the passed socket did not receive"
    );
    put(socket.0, b"back")?;
    ensure!(
        take(inner_ours.0, 16)? == b"back",
        "the passed socket did not send"
    );
    let mut value = [0u8; 8];
    ensure!(read(counter.0, &mut value) == Ok(8), "the passed eventfd");
    ensure!(u64::from_ne_bytes(value) == 3, "the passed eventfd's value");
    Ok(())
}

/// A socket end and an eventfd passed together keep working (the sender closed its own).
pub const SOCKET_AND_COUNTER: Check = Check {
    name: "scm-rights-socket-and-eventfd",
    covers: &["sendmsg:SCM_RIGHTS-sockets", "sendmsg:SCM_RIGHTS-eventfd"],
    run: socket_and_counter,
};

fn errors() -> CheckOutcome {
    let (first, second) = pair(SOCK_SEQPACKET)?;
    let closed = sendmsg(first.0, None, &[b"x"], &rights(&[999]), 0);
    ensure!(
        closed == Err(Errno::EBADF),
        "a closed descriptor gave {closed:?}"
    );
    let many = sendmsg(first.0, None, &[b"x"], &rights(&[0; 9]), 0);
    ensure!(
        many == Err(Errno::ETOOMANYREFS),
        "nine descriptors gave {many:?}"
    );
    let timer = Fd(timerfd_create(1, 0).map_err(|error| format!("timerfd: {error}"))?);
    let unpassable = sendmsg(first.0, None, &[b"x"], &rights(&[timer.0]), 0);
    ensure!(
        unpassable == Err(Errno::EOPNOTSUPP),
        "a timerfd gave {unpassable:?}"
    );
    let (extra_one, extra_two) = pair(SOCK_STREAM)?;
    let sent = sendmsg(
        first.0,
        None,
        &[b"y"],
        &rights(&[extra_one.0, extra_two.0]),
        0,
    );
    ensure!(sent == Ok(1), "sendmsg gave {sent:?}");
    let mut data = [0u8; 4];
    let mut small = [0u8; 20];
    let info = recvmsg(second.0, &mut [&mut data[..]], &mut small, 0)
        .map_err(|error| format!("recvmsg: {error}"))?;
    ensure!(info.flags & MSG_CTRUNC != 0, "MSG_CTRUNC not set: {info:?}");
    let kept = received_fds(&small, info.control_length);
    ensure!(kept.len() == 1, "kept {kept:?}");
    let _ = close(kept[0]);
    // Another process guessing tickets gets nothing.
    for guess in 1..32u64 {
        let answer = call(Call::IpcCall {
            endpoint: SOCKET_SERVER,
            word0: Operation::Collect as u64,
            word1: guess,
            word2: guess,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        })
        .map_err(|error| format!("raw call: {error}"))?;
        ensure!(
            answer[1] == Errno::ENOENT as u64,
            "a guessed ticket gave {}",
            answer[1]
        );
    }
    Ok(())
}

/// `EBADF`, `ETOOMANYREFS` (over 8), `EOPNOTSUPP` (a timerfd), `MSG_CTRUNC` with the extra
/// descriptors closed, and raw calls guessing tickets refused.
pub const ERRORS: Check = Check {
    name: "scm-rights-errors",
    covers: &["sendmsg:SCM_RIGHTS-errors", "recvmsg:MSG_CTRUNC"],
    run: errors,
};
