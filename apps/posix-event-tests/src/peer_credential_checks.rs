//! Checks of the credentials a named connection's `SO_PEERCRED` reports: the peer's real pid and
//! current ids, from the socket server (which learns the pid from the badge the process server
//! minted and the ids from the process server), and the socket-server capability replaced when a
//! process changes its effective ids.

use alloc::format;
use alloc::string::String;

use libos::abi::{Call, Rights};
use libos::kernel::call;
use libos::process::credentials::setuid;
use libos::process::fork;
use libos::process::identity::{_exit, getpid};
use libos::socket::named::address_bytes;
use libos::socket::protocol::{SOCKET_PROCESS_MARK, SOCKET_SERVER};
use libos::socket::{
    OptionValue, accept, bind, connect, getsockopt, listen, recvmsg, sendmsg, setsockopt, socket,
};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::socket::{
    AF_UNIX, SCM_CREDENTIALS, SO_PASSCRED, SO_PEERCRED, SOCK_SEQPACKET, SOCK_STREAM, SOL_SOCKET,
    Ucred,
};

use crate::ensure;
use crate::support::{Fd, expect_exit, put, take};

fn listener(name: &[u8]) -> Result<Fd, String> {
    let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        .map(Fd)
        .map_err(|e| format!("socket: {e}"))?;
    bind(fd.0, &address_bytes(name)).map_err(|e| format!("bind: {e}"))?;
    listen(fd.0, 4).map_err(|e| format!("listen: {e}"))?;
    Ok(fd)
}

fn peer_credentials(fd: i32) -> Option<Ucred> {
    match getsockopt(fd, SOL_SOCKET, SO_PEERCRED) {
        Ok(OptionValue::Credentials(credentials)) => Some(credentials),
        _ => None,
    }
}

/// In the child: connects to `name`, checks the listener's credentials are `expected`, and
/// sends a byte. Exits with the failed step.
fn child_connects(name: &[u8], expected: Ucred) -> ! {
    let Ok(client) = socket(AF_UNIX, SOCK_STREAM, 0).map(Fd) else {
        _exit(10);
    };
    if connect(client.0, &address_bytes(name)).is_err() {
        _exit(11);
    }
    match peer_credentials(client.0) {
        Some(seen) if seen == expected => {}
        _ => _exit(12),
    }
    if put(client.0, b"x").is_err() || take(client.0, 4).is_err() {
        _exit(13);
    }
    _exit(0);
}

fn real_pid() -> CheckOutcome {
    let name = b"events-real-pid";
    let server = listener(name)?;
    let parent = Ucred {
        pid: getpid().map_err(|e| format!("getpid: {e}"))?,
        uid: 0,
        gid: 0,
    };
    let pid = fork().map_err(|e| format!("fork: {e}"))?;
    if pid == 0 {
        drop(server);
        child_connects(name, parent);
    }
    let (accepted, _) = accept(server.0).map_err(|e| format!("accept: {e}"))?;
    let accepted = Fd(accepted);
    let seen = peer_credentials(accepted.0);
    ensure!(take(accepted.0, 4)? == b"x", "the child's byte");
    put(accepted.0, b"ok")?;
    expect_exit(pid, 0)?;
    ensure!(
        seen == Some(Ucred {
            pid,
            uid: 0,
            gid: 0
        }),
        "SO_PEERCRED of the child: {seen:?} (pid {pid})"
    );
    Ok(())
}

/// `SO_PEERCRED` on both sides of a named connection reports the other process's real pid (the
/// one `fork` answered, and the listener's `getpid`), as the socket server learnt it from the
/// badge the process server minted — not anything the peer's LibOS sent.
pub const REAL_PID: Check = Check {
    name: "named-socket-peer-credentials-real-pid",
    covers: &["getsockopt:SO_PEERCRED-real-pid"],
    run: real_pid,
};

fn follows_setuid() -> CheckOutcome {
    let name = b"events-after-setuid";
    let server = listener(name)?;
    let parent = getpid().map_err(|e| format!("getpid: {e}"))?;
    let pid = fork().map_err(|e| format!("fork: {e}"))?;
    if pid == 0 {
        drop(server);
        // A copy of our socket-server capability kept behind the LibOS's back.
        let Some(kept) = libos::slots::allocate() else {
            _exit(2);
        };
        let minted = call(Call::CapabilityIdentify {
            slot: SOCKET_SERVER,
        })
        .is_ok_and(|words| words[2] & SOCKET_PROCESS_MARK != 0);
        if !minted
            || call(Call::CapabilityCopy {
                source: SOCKET_SERVER,
                destination: kept,
                rights: Rights::SEND,
            })
            .is_err()
        {
            _exit(3);
        }
        if setuid(1000).is_err() {
            _exit(4);
        }
        // The process server revoked it with the old capability and minted a new one.
        if call(Call::CapabilityIdentify { slot: kept }).is_ok() {
            _exit(5);
        }
        child_connects(
            name,
            Ucred {
                pid: parent,
                uid: 0,
                gid: 0,
            },
        );
    }
    let (accepted, _) = accept(server.0).map_err(|e| format!("accept: {e}"))?;
    let accepted = Fd(accepted);
    let seen = peer_credentials(accepted.0);
    ensure!(take(accepted.0, 4)? == b"x", "the child's byte");
    put(accepted.0, b"ok")?;
    expect_exit(pid, 0)?;
    ensure!(
        seen == Some(Ucred {
            pid,
            uid: 1000,
            gid: 0
        }),
        "SO_PEERCRED of the child after setuid(1000): {seen:?} (pid {pid})"
    );
    Ok(())
}

/// A process's socket-server capability follows its credentials: after `setuid(1000)` a copy
/// it kept of the old one is gone (revoked by the process server) and its peer's `SO_PEERCRED`
/// shows user 1000 with its pid.
pub const FOLLOWS_SETUID: Check = Check {
    name: "named-socket-authority-follows-setuid",
    covers: &[
        "setuid:socket-access-revoked",
        "getsockopt:SO_PEERCRED-current-ids",
    ],
    run: follows_setuid,
};

/// A control buffer with one `SCM_CREDENTIALS` message claiming `claimed`.
fn credentials_message(claimed: Ucred) -> [u8; 32] {
    let mut control = [0u8; 32];
    control[..8].copy_from_slice(&28u64.to_ne_bytes());
    control[8..12].copy_from_slice(&SOL_SOCKET.to_ne_bytes());
    control[12..16].copy_from_slice(&SCM_CREDENTIALS.to_ne_bytes());
    control[16..20].copy_from_slice(&claimed.pid.to_ne_bytes());
    control[20..24].copy_from_slice(&claimed.uid.to_ne_bytes());
    control[24..28].copy_from_slice(&claimed.gid.to_ne_bytes());
    control
}

/// The credentials of the `SCM_CREDENTIALS` message in a received control buffer.
fn received_credentials(control: &[u8], length: usize) -> Option<Ucred> {
    if length < 28 {
        return None;
    }
    let word = |at: usize| {
        u32::from_ne_bytes([
            control[at],
            control[at + 1],
            control[at + 2],
            control[at + 3],
        ])
    };
    (u64::from_ne_bytes(control[..8].try_into().ok()?) == 28
        && word(8) as i32 == SOL_SOCKET
        && word(12) as i32 == SCM_CREDENTIALS)
        .then(|| Ucred {
            pid: word(16) as i32,
            uid: word(20),
            gid: word(24),
        })
}

/// The child's part: as user 1000, one true claim, two false ones refused, one message without.
fn claim_as_other_user(name: &[u8], parent: i32) -> u8 {
    if setuid(1000).is_err() {
        return 2;
    }
    let Ok(me) = getpid() else {
        return 3;
    };
    let Ok(client) = socket(AF_UNIX, SOCK_SEQPACKET, 0).map(Fd) else {
        return 4;
    };
    if connect(client.0, &address_bytes(name)).is_err() {
        return 5;
    }
    let claim = |pid: i32, uid: u32| {
        sendmsg(
            client.0,
            None,
            &[b"claim"],
            &credentials_message(Ucred { pid, uid, gid: 0 }),
            0,
        )
    };
    if claim(me, 1000) != Ok(5) {
        return 6;
    }
    if claim(parent, 1000) != Err(Errno::EPERM) {
        return 7;
    }
    if claim(me, 0) != Err(Errno::EPERM) {
        return 8;
    }
    if put(client.0, b"plain").is_err() {
        return 9;
    }
    if take(client.0, 8).is_err() {
        return 10;
    }
    0
}

fn unforgeable_credentials() -> CheckOutcome {
    let name = b"events-scm-credentials";
    let server = socket(AF_UNIX, SOCK_SEQPACKET, 0)
        .map(Fd)
        .map_err(|e| format!("socket: {e}"))?;
    bind(server.0, &address_bytes(name)).map_err(|e| format!("bind: {e}"))?;
    listen(server.0, 4).map_err(|e| format!("listen: {e}"))?;
    setsockopt(server.0, SOL_SOCKET, SO_PASSCRED, 1).map_err(|e| format!("SO_PASSCRED: {e}"))?;
    let parent = getpid().map_err(|e| format!("getpid: {e}"))?;
    let pid = fork().map_err(|e| format!("fork: {e}"))?;
    if pid == 0 {
        drop(server);
        _exit(i32::from(claim_as_other_user(name, parent)));
    }
    let (accepted, _) = accept(server.0).map_err(|e| format!("accept: {e}"))?;
    let accepted = Fd(accepted);
    ensure!(
        matches!(
            getsockopt(accepted.0, SOL_SOCKET, SO_PASSCRED),
            Ok(OptionValue::Integer(1))
        ),
        "SO_PASSCRED of the accepted socket"
    );
    let child = Ucred {
        pid,
        uid: 1000,
        gid: 0,
    };
    for expected in [&b"claim"[..], b"plain"] {
        let mut buffer = [0u8; 16];
        let mut control = [0u8; 64];
        let info = recvmsg(accepted.0, &mut [&mut buffer], &mut control, 0)
            .map_err(|e| format!("recvmsg: {e}"))?;
        ensure!(
            &buffer[..info.count] == expected,
            "message {:?}, expected {expected:?}",
            &buffer[..info.count]
        );
        let seen = received_credentials(&control, info.control_length);
        ensure!(
            seen == Some(child),
            "credentials with {expected:?}: {seen:?}, expected {child:?}"
        );
    }
    put(accepted.0, b"done")?;
    expect_exit(pid, 0)
}

/// `SCM_CREDENTIALS` carries what the socket server vouched for: a process running as user
/// 1000 may claim its own pid and ids (the receiver, with `SO_PASSCRED` inherited from the
/// listener, gets exactly those), and gets `EPERM` claiming its parent's pid or user 0; a
/// message sent without credentials arrives with the sender's as the server knows them.
pub const UNFORGEABLE: Check = Check {
    name: "scm-credentials-unforgeable",
    covers: &[
        "sendmsg:SCM_CREDENTIALS",
        "recvmsg:SCM_CREDENTIALS",
        "sendmsg:SCM_CREDENTIALS-EPERM",
        "setsockopt:SO_PASSCRED",
    ],
    run: unforgeable_credentials,
};
