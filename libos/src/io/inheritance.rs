//! Handing the descriptor table to a new program image (`execve`) or a new process (`spawn`,
//! `posix_spawn`): the table serialised into a frame at [`HANDOVER_SLOT`], and the capabilities
//! behind it kept in the same slots.
//!
//! The sender writes one record per open file description (status flags, the backend and the
//! slots of its capabilities) and one per descriptor (its number and description), so duplicates
//! stay one description. `execve` keeps every listed slot in place (start-up deletes the rest of
//! the old image's slots); `spawn` grants each listed capability into the child at the same slot
//! number. Pipe ends, connected AF_UNIX sockets (with their peer's credentials) and eventfds
//! travel as their capabilities; an unbound socket as its kind; bound and listening sockets,
//! epoll instances and timerfds live in the image's memory and are left out. Files of the
//! shared root travel as server handles: `execve` keeps the connection
//! itself (same process), a child gets a connection of its own, made by the parent from the
//! child's quota, with every handle duplicated into it by the server (`Duplicate`), so the
//! parent may close its descriptors at once. The receiver checks everything it reads: a
//! malformed hand-over loses descriptors, never crashes the program.
//!
//! Offsets and status flags of shared-root files handed to a child move into a page of their own
//! (`super::shared_state`) whose frame travels with the record, so parent and child share later
//! moves; `execve` keeps the same descriptions (and maps the page again if there is one).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use exokernel_abi::{Call, PAGE_SIZE, PageCount, Slot, initial};
use libposix_sys::errno::Errno;

use super::description::{Backend, OpenFile};
use super::descriptors::{self, Description};
use super::devices::{DEVICES, Device};
use super::pipe::{EndSlots, PipeEnd, Side};
use super::shared_state::SharedState;
use crate::event::EventObject;
use crate::event::eventfd::EventCounter;
use crate::event::wake::WakeSource;
use crate::fs::client::{self, ConnectionParts};
use crate::fs::namespace::Node;
use crate::fs::server_file::ServerFile;
use crate::kernel::call;
use crate::shared_window::{SharedWindow, WINDOW_PAGES};
use crate::slots;
use crate::socket::connection::SocketEnd;
use crate::socket::named::UnixSocket;
use crate::socket::{self, rights};
use libposix_sys::socket::Ucred;

/// Where a program finds the frame of its inherited descriptor table.
pub const HANDOVER_SLOT: Slot = crate::well_known_slots::INHERITED_DESCRIPTORS;

const MAGIC: u64 = 0x6664_7461_626c_6531;
const HEADER_WORDS: usize = 7;
/// Words of a description record before a path's bytes.
const DESCRIPTION_WORDS: usize = 8;

const KIND_DEVICE: u64 = 1;
const KIND_PIPE: u64 = 2;
const KIND_DIRECTORY: u64 = 3;
const KIND_SERVER: u64 = 4;
/// A connected AF_UNIX socket: word 3 `kind | index << 8 | peer pid << 32`, word 1 the peer's
/// `user << 32 | group`, words 4–7 its frame, channel end, wake-up notification and the peer's.
const KIND_SOCKET: u64 = 5;
/// An AF_UNIX socket not yet bound or connected: word 3 its kind.
const KIND_UNBOUND_SOCKET: u64 = 6;
/// An eventfd: word 3 whether it counts as a semaphore, words 4 and 5 its frame and
/// notification.
const KIND_EVENTFD: u64 = 7;

/// What to hand over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receiver {
    /// The next image of this process: the same slots, connection and handles.
    NextImage,
    /// A new process whose quota is `quota`; with `files`, its file-server capability carries
    /// our credentials, so it gets a connection of its own with our handles duplicated into it.
    Child {
        /// The child's quota (pays for its connection).
        quota: Slot,
        /// Whether files of the shared root are handed over.
        files: bool,
    },
}

/// A serialised table in a frame, and the capabilities it names.
pub struct Handover {
    /// The frame holding the words (in our space).
    pub frame: Slot,
    /// The capabilities the receiver needs at the same slot numbers.
    pub slots: Vec<Slot>,
    /// A connection opened for a child: our capabilities of it go once granted.
    child_connection: Option<ConnectionParts>,
    /// The descriptions handed over, held until the receiver has its capabilities: the last
    /// holder of one (`posix_spawn`'s own table) would otherwise delete its shared page first.
    descriptions: Vec<Description>,
}

impl Handover {
    /// Deletes our capabilities of what was made for the receiver (the frame, a child's
    /// connection), once it has its own (or the hand-over is abandoned).
    pub fn release(self) {
        let _ = call(Call::CapabilityDelete { slot: self.frame });
        if self.frame != HANDOVER_SLOT {
            slots::free(self.frame);
        }
        if let Some(parts) = self.child_connection {
            client::release_parts(parts);
        }
        drop(self.descriptions);
    }
}

fn device_code(device: Device) -> u64 {
    DEVICES
        .iter()
        .position(|&(_, known)| known == device)
        .map_or(u64::MAX, |index| index as u64)
}

fn device_of(code: u64) -> Option<Device> {
    usize::try_from(code)
        .ok()
        .and_then(|index| DEVICES.get(index))
        .map(|&(_, device)| device)
}

/// The descriptors `receiver` gets: for a new image those without `FD_CLOEXEC`; a child gets
/// the same (`posix_spawn` applies its file actions to our table's copy before this).
fn inherited(receiver: Receiver) -> Vec<(i32, Description)> {
    let _ = receiver;
    descriptors::snapshot()
        .into_iter()
        .filter(|(_, _, close_on_exec)| !close_on_exec)
        .map(|(fd, description, _)| (fd, description))
        .collect()
}

/// Serialises `table` (already filtered) for `receiver`.
///
/// # Errors
/// `ENOMEM` when memory or slots run out or the table does not fit a window; the server's
/// errors when a child's connection cannot be made.
pub fn prepare(receiver: Receiver) -> Result<Option<Handover>, Errno> {
    if !descriptors::table_in_use() {
        return Ok(None);
    }
    let table = inherited(receiver);
    prepare_table(receiver, &table)
}

/// As [`prepare`], for an explicit table (`posix_spawn`'s after its file actions).
///
/// # Errors
/// As [`prepare`].
pub fn prepare_table(
    receiver: Receiver,
    table: &[(i32, Description)],
) -> Result<Option<Handover>, Errno> {
    let mut descriptions: Vec<Description> = Vec::new();
    let mut fds: Vec<(i32, usize)> = Vec::new();
    for (fd, description) in table {
        let index = match descriptions
            .iter()
            .position(|known| Arc::ptr_eq(known, description))
        {
            Some(index) => index,
            None => {
                descriptions.push(description.clone());
                descriptions.len() - 1
            }
        };
        fds.push((*fd, index));
    }
    let has_files = descriptions
        .iter()
        .any(|description| matches!(description.backend(), Backend::Server(_)));
    let mut child_connection = None;
    let connection = match receiver {
        Receiver::NextImage => client::connection_parts(),
        Receiver::Child { quota, files } if files && has_files => {
            let parts = client::connection_for_child(quota)?;
            child_connection = Some(parts);
            Some(parts)
        }
        Receiver::Child { .. } => None,
    };
    let result = write_words(receiver, &descriptions, &fds, connection);
    match result {
        Ok((frame, slots)) => Ok(Some(Handover {
            frame,
            slots,
            child_connection,
            descriptions,
        })),
        Err(error) => {
            if let Some(parts) = child_connection {
                client::release_parts(parts);
            }
            Err(error)
        }
    }
}

fn write_words(
    receiver: Receiver,
    descriptions: &[Description],
    fds: &[(i32, usize)],
    connection: Option<ConnectionParts>,
) -> Result<(Slot, Vec<Slot>), Errno> {
    let mut words: Vec<u64> = alloc::vec![0; HEADER_WORDS];
    let mut kept: Vec<Slot> = Vec::new();
    if let Some(parts) = connection {
        words[2] = parts.number + 1;
        words[3] = u64::from(parts.frame.0);
        words[4] = u64::from(parts.channel.0);
        kept.extend([parts.frame, parts.channel]);
    }
    let mut written = 0;
    // Index in `descriptions` → index among the records written (some are left out).
    let mut record_of: Vec<Option<usize>> = alloc::vec![None; descriptions.len()];
    for (index, description) in descriptions.iter().enumerate() {
        let mut record = [0u64; DESCRIPTION_WORDS];
        record[0] = description.status_flags() as u32 as u64;
        record[1] = description.directory_position();
        let mut path: &[u8] = &[];
        match description.backend() {
            Backend::Device(device) => {
                record[2] = KIND_DEVICE;
                record[3] = device_code(*device);
            }
            Backend::Directory(node) => {
                record[2] = KIND_DIRECTORY;
                record[3] = match node {
                    Node::Root => 0,
                    Node::DeviceDirectory => 1,
                    Node::Device(device) => 2 + device_code(*device),
                };
            }
            Backend::Pipe(end) => {
                let end_slots = end.slots();
                record[2] = KIND_PIPE;
                record[3] = match end.side() {
                    Side::Reader => 0,
                    Side::Writer => 1,
                    Side::Both => 2,
                };
                // Both ends in one description (a FIFO opened O_RDWR): the write side's end.
                if let Some(second) = end.second_end() {
                    record[1] = u64::from(second.0);
                    kept.push(second);
                }
                record[4] = u64::from(end_slots.frame.0);
                record[5] = u64::from(end_slots.channel_end.0);
                record[6] = u64::from(end_slots.own_notification.0);
                record[7] = u64::from(end_slots.peer_notification.0);
                kept.extend([
                    end_slots.frame,
                    end_slots.channel_end,
                    end_slots.own_notification,
                    end_slots.peer_notification,
                ]);
            }
            Backend::Socket(socket) => match socket.end() {
                Ok(end) => {
                    let end_slots = end.slots();
                    let peer = end.peer_credentials();
                    record[1] = u64::from(peer.uid) << 32 | u64::from(peer.gid);
                    record[2] = KIND_SOCKET;
                    record[3] = rights::kind_code(end.kind())
                        | (end.index() as u64) << 8
                        | u64::from(peer.pid as u32) << 32;
                    record[4] = u64::from(end_slots.frame.0);
                    record[5] = u64::from(end_slots.channel_end.0);
                    record[6] = u64::from(end_slots.wake.notification.0);
                    record[7] = u64::from(end_slots.peer_wake.0);
                    kept.extend([
                        end_slots.frame,
                        end_slots.channel_end,
                        end_slots.wake.notification,
                        end_slots.peer_wake,
                    ]);
                }
                // Bound and listening sockets stay behind (their names are this image's);
                // an unbound one has nothing to carry but its kind.
                Err(_) if socket.is_unbound() => {
                    record[2] = KIND_UNBOUND_SOCKET;
                    record[3] = rights::kind_code(socket.kind());
                }
                Err(_) => continue,
            },
            Backend::Event(EventObject::Counter(counter)) => {
                let ([frame, notification], semaphore) = counter.capabilities();
                record[2] = KIND_EVENTFD;
                record[3] = u64::from(semaphore);
                record[4] = u64::from(frame.0);
                record[5] = u64::from(notification.0);
                kept.extend([frame, notification]);
            }
            // epoll instances and timerfds live in this image's memory: not handed over
            // (docs/sockets.md). Nor are `/proc` files (their bytes are this process's snapshot).
            Backend::Event(_) | Backend::Proc(_) => continue,
            Backend::Server(file) => {
                let handle = match (receiver, connection) {
                    (Receiver::NextImage, Some(_)) => file.handle(),
                    (Receiver::Child { .. }, Some(parts)) => {
                        client::duplicate(file.handle(), parts.number)?
                    }
                    // No connection to carry it: the receiver goes without it.
                    (_, None) => continue,
                };
                // The receiver shares the offset and flags: a child through the page they move
                // into now, a new image through the page if an earlier fork made one.
                let shared = match receiver {
                    Receiver::NextImage => file.shared().map(SharedState::frame),
                    Receiver::Child { .. } => description.share()?,
                };
                record[2] = KIND_SERVER;
                record[3] = u64::from(handle);
                record[4] = file.offset();
                record[5] = file.path().len() as u64;
                if let Some(frame) = shared {
                    record[6] = u64::from(frame.0);
                    kept.push(frame);
                }
                path = file.path().as_bytes();
            }
        }
        words.extend_from_slice(&record);
        for chunk in path.chunks(8) {
            let mut bytes = [0u8; 8];
            bytes[..chunk.len()].copy_from_slice(chunk);
            words.push(u64::from_le_bytes(bytes));
        }
        record_of[index] = Some(written);
        written += 1;
    }
    words[5] = written as u64;
    let mut fd_count = 0;
    for &(fd, index) in fds {
        if let Some(record) = record_of[index] {
            words.extend_from_slice(&[fd as u64, record as u64]);
            fd_count += 1;
        }
    }
    words[0] = MAGIC;
    words[1] = words.len() as u64;
    words[6] = fd_count;

    let bytes = words.len() * 8;
    let pages = (bytes as u64).div_ceil(PAGE_SIZE);
    if pages > WINDOW_PAGES {
        return Err(Errno::ENOMEM);
    }
    let frame = match receiver {
        Receiver::NextImage => HANDOVER_SLOT,
        Receiver::Child { .. } => slots::allocate().ok_or(Errno::ENOMEM)?,
    };
    let quota = match receiver {
        Receiver::NextImage => initial::MEMORY_QUOTA,
        Receiver::Child { quota, .. } => quota,
    };
    let _ = call(Call::CapabilityDelete { slot: frame });
    let filled = call(Call::FrameAllocate {
        quota,
        destination: frame,
        pages: PageCount(pages),
    })
    .map_err(|_| Errno::ENOMEM)
    .and_then(|_| SharedWindow::map(frame, pages).map_err(|_| Errno::ENOMEM))
    .map(|window| {
        for (index, word) in words.iter().enumerate() {
            window
                .word(index * 8)
                .store(*word, core::sync::atomic::Ordering::Relaxed);
        }
    });
    if let Err(error) = filled {
        let _ = call(Call::CapabilityDelete { slot: frame });
        if frame != HANDOVER_SLOT {
            slots::free(frame);
        }
        return Err(error);
    }
    Ok((frame, kept))
}

/// The hand-over as start-up finds it, mapped, before the heap exists.
pub struct Received {
    window: SharedWindow,
    words: usize,
}

impl Received {
    fn word(&self, index: usize) -> Option<u64> {
        (index < self.words)
            .then(|| self.window.word(index * 8))
            .map(|word| word.load(core::sync::atomic::Ordering::Relaxed))
    }

    /// Every capability slot the records name (for start-up to keep and mark used).
    fn for_each_slot(&self, mut action: impl FnMut(Slot)) {
        if self.word(2).is_some_and(|number| number != 0) {
            for index in [3, 4] {
                if let Some(slot) = self.word(index) {
                    action(Slot(slot as u32));
                }
            }
        }
        let mut at = HEADER_WORDS;
        for _ in 0..self.word(5).unwrap_or(0) {
            let Some(next) = self.record_end(at) else {
                return;
            };
            let capabilities = match self.word(at + 2) {
                Some(KIND_PIPE | KIND_SOCKET) => 4..8,
                Some(KIND_EVENTFD) => 4..6,
                _ => 4..4,
            };
            for index in capabilities {
                if let Some(slot) = self.word(at + index) {
                    action(Slot(slot as u32));
                }
            }
            if self.word(at + 2) == Some(KIND_SERVER)
                && let Some(slot) = self.word(at + 6).filter(|&slot| slot != 0)
            {
                action(Slot(slot as u32));
            }
            at = next;
        }
    }

    /// Where the record at `at` ends, or `None` when it runs off the words.
    fn record_end(&self, at: usize) -> Option<usize> {
        let kind = self.word(at + 2)?;
        let path_words = if kind == KIND_SERVER {
            usize::try_from(self.word(at + 5)?).ok()?.div_ceil(8)
        } else {
            0
        };
        let end = at.checked_add(DESCRIPTION_WORDS)?.checked_add(path_words)?;
        (end <= self.words).then_some(end)
    }
}

/// Start-up's first step: maps a handed-over table, if any, and marks the slots it names used
/// (so the caller keeps them and nothing else is put there). No heap is used.
#[must_use]
pub fn receive_at_start() -> Option<Received> {
    let words = call(Call::CapabilityIdentify {
        slot: HANDOVER_SLOT,
    })
    .ok()?;
    if words[0] != exokernel_abi::ObjectKind::Frame as u64 {
        return None;
    }
    let pages = words[3].clamp(1, WINDOW_PAGES);
    let window = SharedWindow::map(HANDOVER_SLOT, pages).ok()?;
    let capacity = (pages * PAGE_SIZE / 8) as usize;
    let probe = Received {
        window,
        words: capacity,
    };
    let valid = probe.word(0) == Some(MAGIC)
        && probe
            .word(1)
            .and_then(|count| usize::try_from(count).ok())
            .is_some_and(|count| (HEADER_WORDS..=capacity).contains(&count));
    if !valid {
        return None;
    }
    let words = probe.word(1).unwrap_or(0) as usize;
    let received = Received {
        window: probe.window,
        words,
    };
    received.for_each_slot(|slot| {
        if slot.0 >= initial::FIRST_FREE_SLOT.0 && u64::from(slot.0) < initial::SLOT_COUNT {
            slots::mark_used(slot);
        }
    });
    Some(received)
}

fn read_path(received: &Received, at: usize, length: usize) -> Option<String> {
    let mut bytes = Vec::with_capacity(length);
    for index in 0..length.div_ceil(8) {
        bytes.extend_from_slice(&received.word(at + index)?.to_le_bytes());
    }
    bytes.truncate(length);
    String::from_utf8(bytes).ok()
}

fn checked_slot(word: u64) -> Option<Slot> {
    (word >= u64::from(initial::FIRST_FREE_SLOT.0) && word < initial::SLOT_COUNT)
        .then_some(Slot(word as u32))
}

/// Start-up's step once the heap exists: rebuilds the table from `received` and installs it,
/// then lets the frame go. Descriptions that cannot be rebuilt are left out (their capabilities
/// deleted).
pub fn adopt_at_start(received: Received) {
    let connection = received
        .word(2)
        .filter(|&number| number != 0)
        .and_then(|number| {
            let parts = ConnectionParts {
                number: number - 1,
                frame: checked_slot(received.word(3)?)?,
                channel: checked_slot(received.word(4)?)?,
            };
            client::adopt_connection(parts).ok()
        });
    let mut descriptions: Vec<Option<Description>> = Vec::new();
    let mut at = HEADER_WORDS;
    let count = received.word(5).unwrap_or(0).min(received.words as u64);
    for _ in 0..count {
        let Some(next) = received.record_end(at) else {
            break;
        };
        descriptions.push(rebuild(&received, at, connection.is_some()));
        at = next;
    }
    let mut table = Vec::new();
    let fd_count = received.word(6).unwrap_or(0).min(received.words as u64);
    for index in 0..fd_count as usize {
        let record = at + index * 2;
        let (Some(fd), Some(description)) = (received.word(record), received.word(record + 1))
        else {
            break;
        };
        let description = usize::try_from(description)
            .ok()
            .and_then(|index| descriptions.get(index))
            .and_then(Option::clone);
        if let (Ok(fd), Some(description)) = (i32::try_from(fd), description) {
            table.push((fd, description, false));
        }
    }
    drop(descriptions);
    descriptors::replace_table(table);
    drop(received);
    let _ = call(Call::CapabilityDelete {
        slot: HANDOVER_SLOT,
    });
}

fn rebuild(received: &Received, at: usize, connected: bool) -> Option<Description> {
    let status = received.word(at)? as u32 as i32;
    let position = received.word(at + 1)?;
    let backend = match received.word(at + 2)? {
        KIND_DEVICE => Backend::Device(device_of(received.word(at + 3)?)?),
        KIND_DIRECTORY => Backend::Directory(match received.word(at + 3)? {
            0 => Node::Root,
            1 => Node::DeviceDirectory,
            code => Node::Device(device_of(code - 2)?),
        }),
        KIND_PIPE => {
            let (side, second_end) = match received.word(at + 3)? {
                1 => (Side::Writer, None),
                2 => (Side::Both, Some(checked_slot(position)?)),
                _ => (Side::Reader, None),
            };
            let end_slots = EndSlots {
                frame: checked_slot(received.word(at + 4)?)?,
                channel_end: checked_slot(received.word(at + 5)?)?,
                own_notification: checked_slot(received.word(at + 6)?)?,
                peer_notification: checked_slot(received.word(at + 7)?)?,
            };
            match PipeEnd::adopt_with(side, end_slots, second_end) {
                Ok(end) => Backend::Pipe(end),
                Err(_) => {
                    for slot in [
                        end_slots.frame,
                        end_slots.channel_end,
                        end_slots.own_notification,
                        end_slots.peer_notification,
                    ]
                    .into_iter()
                    .chain(second_end)
                    {
                        let _ = call(Call::CapabilityDelete { slot });
                        slots::free(slot);
                    }
                    return None;
                }
            }
        }
        KIND_SOCKET => {
            let word = received.word(at + 3)?;
            let kind = rights::kind_of_code(word & 0xff)?;
            let credentials = received.word(at + 1)?;
            let peer = Ucred {
                pid: (word >> 32) as u32 as i32,
                uid: (credentials >> 32) as u32,
                gid: credentials as u32,
            };
            let end_slots = socket::connection::EndSlots {
                frame: checked_slot(received.word(at + 4)?)?,
                channel_end: checked_slot(received.word(at + 5)?)?,
                // Another image's (or process's) notification: waits on it are bounded.
                wake: WakeSource {
                    notification: checked_slot(received.word(at + 6)?)?,
                    generation: 0,
                },
                peer_wake: checked_slot(received.word(at + 7)?)?,
            };
            // `adopt` deletes the capabilities itself when it fails.
            let end = SocketEnd::adopt(kind, ((word >> 8) & 1) as usize, end_slots, peer).ok()?;
            let file = OpenFile::new(
                status,
                Backend::Socket(UnixSocket::connected(end, None, None)),
            );
            return Some(Arc::new(file));
        }
        KIND_UNBOUND_SOCKET => {
            let kind = rights::kind_of_code(received.word(at + 3)?)?;
            return Some(Arc::new(OpenFile::new(
                status,
                Backend::Socket(UnixSocket::unbound(kind)),
            )));
        }
        KIND_EVENTFD => {
            let semaphore = received.word(at + 3)? == 1;
            let frame = checked_slot(received.word(at + 4)?)?;
            let notification = checked_slot(received.word(at + 5)?)?;
            // `adopt` deletes the capabilities itself when it fails.
            let counter = EventCounter::adopt(frame, notification, semaphore).ok()?;
            Backend::Event(EventObject::Counter(counter))
        }
        KIND_SERVER if connected => {
            let handle = u32::try_from(received.word(at + 3)?).ok()?;
            let offset = received.word(at + 4)?;
            let length = usize::try_from(received.word(at + 5)?).ok()?;
            let path = read_path(received, at + DESCRIPTION_WORDS, length)?;
            // O_PATH descriptions carry the access mode 3: neither reads nor writes.
            let access = status & libposix_sys::fcntl::O_ACCMODE;
            let writable = matches!(
                access,
                libposix_sys::fcntl::O_WRONLY | libposix_sys::fcntl::O_RDWR
            );
            let file = ServerFile::with_offset(handle, path, offset, writable);
            if let Some(frame) = received.word(at + 6).and_then(checked_slot) {
                match SharedState::adopt(frame) {
                    Ok(state) => file.adopt_shared(state),
                    // Not a page we can map: the offset goes on privately.
                    Err(_) => {
                        let _ = call(Call::CapabilityDelete { slot: frame });
                        slots::free(frame);
                    }
                }
            }
            Backend::Server(file)
        }
        _ => return None,
    };
    let file = OpenFile::new(status, backend);
    file.set_directory_position(position);
    Some(Arc::new(file))
}
