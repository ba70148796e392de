//! `SCM_RIGHTS`: passing descriptors over a connection. The sender deposits the capabilities
//! behind each descriptor at the socket server under a random ticket (`rdrand`, 128 bits) and
//! queues a record with the ticket and a tag per descriptor in the connection's shared page,
//! attached to the position of the data it goes with; the receiver, when it takes that data,
//! collects the capabilities under the ticket and rebuilds the descriptors. Only the two sides
//! can read the page, so only the receiver knows the ticket; a sender can only deposit
//! capabilities it holds (the kernel's transfer needs them), so the receiver gets exactly what
//! was sent.
//!
//! Passed today: pipe ends, connected AF_UNIX sockets, eventfds and devfs devices (rebuilt
//! locally). Other descriptions (files of the shared root, epoll, timerfd, listening sockets)
//! answer `EOPNOTSUPP`.

use alloc::vec::Vec;

use exokernel_abi::Slot;
use libposix_sys::errno::Errno;
use libposix_sys::socket::Ucred;

use super::connection::{ControlEntry, EndSlots, RIGHTS_PER_MESSAGE, SocketEnd, SocketKind};
use super::named::{UnixSocket, request};
use super::protocol::{Operation, SOCKET_SERVER};
use crate::event::EventObject;
use crate::event::eventfd::EventCounter;
use crate::event::wake::{WakeSource, release};
use crate::io::description::{Backend, OpenFile};
use crate::io::descriptors::description;
use crate::io::devices::{DEVICES, Device};
use crate::io::pipe::{self, PipeEnd, Side};
use crate::slots;

const TAG_PIPE: u64 = 1;
const TAG_SOCKET: u64 = 2;
const TAG_EVENTFD: u64 = 3;
const TAG_DEVICE: u64 = 4;
/// A record carrying `SCM_CREDENTIALS`: its ticket names credentials the server checked.
const TAG_CREDENTIALS: u64 = 5;

pub(crate) fn kind_code(kind: SocketKind) -> u64 {
    match kind {
        SocketKind::Stream => 0,
        SocketKind::Datagram => 1,
        SocketKind::SequencedPacket => 2,
    }
}

pub(crate) fn kind_of_code(code: u64) -> Option<SocketKind> {
    Some(match code {
        0 => SocketKind::Stream,
        1 => SocketKind::Datagram,
        2 => SocketKind::SequencedPacket,
        _ => return None,
    })
}

/// The tag and capabilities of the description `fd` names.
fn pack_one(fd: i32) -> Result<(u64, Vec<Slot>), Errno> {
    let file = description(fd)?;
    let status = u64::from(file.status_flags() as u32) << 32;
    match file.backend() {
        // Both ends of a FIFO in one description (O_RDWR) do not travel yet.
        Backend::Pipe(end) if end.side() == Side::Both => Err(Errno::EOPNOTSUPP),
        Backend::Pipe(end) => {
            let slots = end.slots();
            Ok((
                status | TAG_PIPE | u64::from(end.side() == Side::Writer) << 8,
                alloc::vec![
                    slots.frame,
                    slots.channel_end,
                    slots.own_notification,
                    slots.peer_notification
                ],
            ))
        }
        Backend::Socket(socket) => {
            let end = socket.end().map_err(|_| Errno::EOPNOTSUPP)?;
            let slots = end.slots();
            Ok((
                status | TAG_SOCKET | kind_code(end.kind()) << 8 | (end.index() as u64) << 16,
                alloc::vec![
                    slots.frame,
                    slots.channel_end,
                    slots.wake.notification,
                    slots.peer_wake
                ],
            ))
        }
        Backend::Event(EventObject::Counter(counter)) => {
            let (capabilities, semaphore) = counter.capabilities();
            Ok((
                status | TAG_EVENTFD | u64::from(semaphore) << 8,
                capabilities.to_vec(),
            ))
        }
        Backend::Device(device) => {
            let code = DEVICES
                .iter()
                .position(|(_, known)| known == device)
                .ok_or(Errno::EOPNOTSUPP)? as u64;
            Ok((status | TAG_DEVICE | code << 8, Vec::new()))
        }
        _ => Err(Errno::EOPNOTSUPP),
    }
}

fn ticket() -> Result<[u64; 2], Errno> {
    Ok(crate::random::ticket())
}

/// Deposits the capabilities of `fds` and returns the record to queue (its position is the
/// caller's to fill).
///
/// # Errors
/// `EBADF`, `ETOOMANYREFS` (more than [`RIGHTS_PER_MESSAGE`]), `EOPNOTSUPP` (a kind that cannot
/// be passed yet; no `rdrand`), `ENOSYS` (no socket server), the server's errors.
pub fn deposit(fds: &[i32]) -> Result<ControlEntry, Errno> {
    if fds.len() > RIGHTS_PER_MESSAGE {
        return Err(Errno::ETOOMANYREFS);
    }
    let mut entry = ControlEntry {
        count: fds.len() as u64,
        ticket: ticket()?,
        ..ControlEntry::default()
    };
    let mut packed = Vec::new();
    for (index, &fd) in fds.iter().enumerate() {
        let (tag, capabilities) = pack_one(fd)?;
        entry.tags[index] = tag;
        packed.extend(capabilities);
    }
    for capability in packed {
        request(
            SOCKET_SERVER,
            Operation::Deposit,
            entry.ticket,
            None,
            Some(capability),
            None,
        )?;
    }
    Ok(entry)
}

fn collect_one(ticket: [u64; 2]) -> Result<Slot, Errno> {
    let slot = slots::allocate().ok_or(Errno::EMFILE)?;
    match request(
        SOCKET_SERVER,
        Operation::Collect,
        ticket,
        None,
        None,
        Some(slot),
    ) {
        Ok(answer) if answer.capability => Ok(slot),
        other => {
            slots::free(slot);
            Err(other.err().unwrap_or(Errno::EIO))
        }
    }
}

fn collect_many(ticket: [u64; 2], count: usize) -> Result<Vec<Slot>, Errno> {
    let mut taken = Vec::new();
    for _ in 0..count {
        match collect_one(ticket) {
            Ok(slot) => taken.push(slot),
            Err(error) => {
                for slot in taken {
                    release(slot);
                }
                return Err(error);
            }
        }
    }
    Ok(taken)
}

fn unknown_credentials() -> Ucred {
    Ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    }
}

/// Rebuilds one passed description from its tag and collected capabilities.
fn rebuild(tag: u64, ticket: [u64; 2]) -> Result<OpenFile, Errno> {
    let status = (tag >> 32) as u32 as i32;
    let sub = (tag >> 8) & 0xff;
    let backend = match tag & 0xff {
        TAG_PIPE => {
            let [frame, channel_end, own, peer] = take4(ticket)?;
            let side = if sub == 1 { Side::Writer } else { Side::Reader };
            Backend::Pipe(PipeEnd::adopt(
                side,
                pipe::EndSlots {
                    frame,
                    channel_end,
                    own_notification: own,
                    peer_notification: peer,
                },
            )?)
        }
        TAG_SOCKET => {
            let kind = kind_of_code(sub).ok_or(Errno::EIO)?;
            let index = ((tag >> 16) & 1) as usize;
            let [frame, channel_end, wake, peer_wake] = take4(ticket)?;
            let end = SocketEnd::adopt(
                kind,
                index,
                EndSlots {
                    frame,
                    channel_end,
                    wake: WakeSource {
                        notification: wake,
                        generation: 0,
                    },
                    peer_wake,
                },
                unknown_credentials(),
            )?;
            Backend::Socket(UnixSocket::connected(end, None, None))
        }
        TAG_EVENTFD => {
            let taken = collect_many(ticket, 2)?;
            Backend::Event(EventObject::Counter(EventCounter::adopt(
                taken[0],
                taken[1],
                sub == 1,
            )?))
        }
        TAG_DEVICE => {
            let device: Device = DEVICES.get(sub as usize).ok_or(Errno::EIO)?.1;
            Backend::Device(device)
        }
        _ => return Err(Errno::EIO),
    };
    Ok(OpenFile::new(status, backend))
}

fn take4(ticket: [u64; 2]) -> Result<[Slot; 4], Errno> {
    let taken = collect_many(ticket, 4)?;
    Ok([taken[0], taken[1], taken[2], taken[3]])
}

/// `SCM_CREDENTIALS` on the sending side: asks the server to check `claimed` against what it
/// knows of this process and keep it under a fresh ticket; returns the record to queue.
///
/// # Errors
/// `EPERM` (a claim the server refuses), `EOPNOTSUPP` (no `rdrand`), `ENOSYS` (no socket
/// server), `ENOBUFS`.
pub fn vouch(claimed: Ucred) -> Result<ControlEntry, Errno> {
    let ticket = ticket()?;
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&claimed.pid.to_ne_bytes());
    bytes[4..8].copy_from_slice(&claimed.uid.to_ne_bytes());
    bytes[8..].copy_from_slice(&claimed.gid.to_ne_bytes());
    request(
        SOCKET_SERVER,
        Operation::Vouch,
        ticket,
        Some(&bytes),
        None,
        None,
    )?;
    let mut entry = ControlEntry {
        count: 1,
        ticket,
        ..ControlEntry::default()
    };
    entry.tags[0] = TAG_CREDENTIALS;
    Ok(entry)
}

/// The credentials a `SCM_CREDENTIALS` record carries, as the server vouched for them (taken
/// from it, so they go); `None` for another record or one the server does not know.
#[must_use]
pub fn take_credentials(entry: &ControlEntry) -> Option<Ucred> {
    if entry.count != 1 || entry.tags[0] != TAG_CREDENTIALS {
        return None;
    }
    let answer = request(
        SOCKET_SERVER,
        Operation::CollectCredentials,
        entry.ticket,
        None,
        None,
        None,
    )
    .ok()?;
    Some(Ucred {
        pid: answer.words[0] as u32 as i32,
        uid: (answer.words[1] >> 32) as u32,
        gid: answer.words[1] as u32,
    })
}

/// Collects and rebuilds the descriptions of a record, in order; one that cannot be rebuilt
/// is left out (its capabilities released). A credentials record gives none (its credentials
/// are taken and dropped).
#[must_use]
pub fn collect(entry: &ControlEntry) -> Vec<OpenFile> {
    if entry.count == 1 && entry.tags[0] == TAG_CREDENTIALS {
        let _ = take_credentials(entry);
        return Vec::new();
    }
    let count = (entry.count as usize).min(RIGHTS_PER_MESSAGE);
    entry.tags[..count]
        .iter()
        .filter_map(|&tag| rebuild(tag, entry.ticket).ok())
        .collect()
}

/// Takes and drops what records carried (data read without asking for its descriptors, as a
/// plain `read` does: Linux closes them too), so the server does not keep them.
pub fn discard(entries: &[ControlEntry]) {
    for entry in entries {
        drop(collect(entry));
    }
}
