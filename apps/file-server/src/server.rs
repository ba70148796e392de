//! The server's state: the tree, the connections and their open handles, and one function per
//! operation.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use libos::abi::{Call, Slot};
use libos::fs::protocol::{
    ACCESS_BY_HANDLE, BADGE_MARK, BUFFER_PAGES, BY_HANDLE, DATA_OFFSET, FILE_SIZE_LIMIT, GROW,
    MAXIMUM_TRANSFER, OWNER_BY_HANDLE, OWNER_FOLLOW, Operation, PATH_OFFSET, READING,
    SERVER_NOTIFICATION_SLOT, SERVER_RECEIVE_SLOT, SOCKET_AUTHORITY_BADGE, StatusWords,
    TICKET_FOR_BIND, TICKET_FOR_CONNECT, status_index,
};
use libos::kernel::call;
use libos::shared_window::SharedWindow;
use libos::slots;
use libposix_sys::dirent::{LinuxDirent64, encode, type_from_mode};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_ACCMODE, O_APPEND, O_PATH, O_RDONLY, O_RDWR, O_WRONLY};
use vfs::memory_tree::{
    Access, Credentials, MemoryTree, NodeNumber, ROOT, Status, Time, TimeChange,
};
use vfs::path::FollowLast;
use vfs::storage::segments_for;

use crate::frame_storage::FrameStorage;

/// The device number `stat` reports for this file system.
const DEVICE: u64 = 0x0801;
/// Most connections at once.
const CONNECTION_LIMIT: usize = 256;
/// Most open handles per connection.
const HANDLE_LIMIT: usize = 1024;
/// Most socket tickets not yet redeemed (the oldest is dropped beyond).
const TICKET_LIMIT: usize = 64;

/// A socket ticket: what a client shows the socket server so that it can ask us which node the
/// client may bind or connect to (docs/sockets.md, "Path names"). 128 random bits, used once.
struct SocketTicket {
    value: [u64; 2],
    purpose: u64,
    node: NodeNumber,
}

#[derive(Clone, Copy)]
struct Handle {
    node: NodeNumber,
    readable: bool,
    writable: bool,
    append: bool,
}

struct Connection {
    badge: u64,
    frame: Slot,
    /// The server's end of the client's channel, once attached.
    peer: Option<Slot>,
    window: SharedWindow,
    handles: BTreeMap<u32, Handle>,
    next_handle: u32,
}

impl Drop for Connection {
    fn drop(&mut self) {
        for slot in core::iter::once(self.frame).chain(self.peer) {
            let _ = call(Call::CapabilityDelete { slot });
            slots::free(slot);
        }
    }
}

/// The file server.
pub struct Server {
    tree: MemoryTree<FrameStorage>,
    /// The memory quota's pages when the tree was built (`statfs`'s total).
    quota_pages: u64,
    connections: Vec<Option<Connection>>,
    /// Socket tickets issued and not yet redeemed, oldest first.
    tickets: Vec<SocketTicket>,
}

fn result_word(result: Result<u64, Errno>) -> u64 {
    match result {
        Ok(value) => value,
        Err(errno) => errno.as_syscall_return() as u64,
    }
}

fn credentials_of(badge: u64) -> Result<Credentials, Errno> {
    if badge & BADGE_MARK == 0 {
        return Err(Errno::EPERM);
    }
    Ok(Credentials {
        user: ((badge >> 32) & 0x7fff_ffff) as u32,
        group: badge as u32,
    })
}

impl Server {
    /// A server whose tree holds the initramfs's files (owned by root, their modes from the
    /// archive), `/dev` (served by each LibOS's devfs) and a sticky, world-writable `/tmp`.
    pub fn from_initramfs() -> Result<Self, String> {
        let image =
            libos::process::initramfs().map_err(|error| alloc::format!("initramfs: {error}"))?;
        let mut tree = MemoryTree::new();
        let archive = initramfs::Archive::new(image);
        // Hard links: the node made for the first name of each linked inode.
        let mut linked: BTreeMap<u32, NodeNumber> = BTreeMap::new();
        for entry in archive.clone() {
            let entry = entry.map_err(|error| alloc::format!("initramfs: {error:?}"))?;
            let name = entry.name.trim_start_matches("./").trim_start_matches('/');
            if name.is_empty() || name == "." {
                continue;
            }
            let path = alloc::format!("/{name}");
            make_parents(&mut tree, &path);
            let result = match entry.kind() {
                initramfs::EntryKind::Directory => tree
                    .make_directory(Credentials::ROOT, ROOT, &path, entry.mode & 0o7777)
                    .map(|_| ()),
                initramfs::EntryKind::File if entry.links > 1 => match linked.get(&entry.inode) {
                    Some(&node) => tree.link(Credentials::ROOT, node, ROOT, &path),
                    None => archive
                        .contents(&entry)
                        .map_err(|error| alloc::format!("initramfs: {error:?}"))
                        .map(|data| tree.add_image_file(&path, data, entry.mode & 0o7777))?
                        .map(|node| {
                            linked.insert(entry.inode, node);
                        }),
                },
                initramfs::EntryKind::File => tree
                    .add_image_file(&path, entry.data, entry.mode & 0o7777)
                    .map(|_| ()),
                initramfs::EntryKind::SymbolicLink => core::str::from_utf8(entry.data)
                    .map_err(|_| Errno::EINVAL)
                    .and_then(|target| tree.make_symlink(Credentials::ROOT, target, ROOT, &path))
                    .map(|_| ()),
                initramfs::EntryKind::Other => Ok(()),
            };
            if let Err(error) = result
                && error != Errno::EEXIST
            {
                return Err(alloc::format!("{path}: {error}"));
            }
        }
        for (path, permissions) in [
            ("/dev", 0o755),
            ("/dev/shm", 0o1777),
            ("/dev/shm/sysv", 0o1777),
            ("/tmp", 0o1777),
        ] {
            let node = match tree.make_directory(Credentials::ROOT, ROOT, path, 0o755) {
                Ok(node) => node,
                Err(_) => tree
                    .resolve(Credentials::ROOT, ROOT, path, FollowLast::Yes)
                    .map_err(|error| alloc::format!("{path}: {error}"))?,
            };
            tree.set_owner_and_mode(node, 0, 0, permissions)
                .map_err(|error| alloc::format!("{path}: {error}"))?;
        }
        Ok(Self {
            tree,
            quota_pages: quota_pages_left(),
            connections: Vec::new(),
            tickets: Vec::new(),
        })
    }

    /// Answers one call: the reply's words and a capability to transfer with it (the caller
    /// deletes it after replying).
    pub fn handle(
        &mut self,
        badge: u64,
        words: [u64; 3],
        capability_arrived: bool,
    ) -> ([u64; 3], Option<Slot>) {
        if let Ok(now) = libos::clock::clock_realtime() {
            self.tree.set_clock(Time::from_nanoseconds(now));
        }
        let operation = Operation::from_word(words[0]);
        if operation == Some(Operation::MapFile) {
            if capability_arrived {
                let _ = call(Call::CapabilityDelete {
                    slot: SERVER_RECEIVE_SLOT,
                });
            }
            let index = (words[0] >> 8) as usize;
            return match self.map_file(index, badge, words) {
                Ok((segments, slot)) => ([0, segments, 0], Some(slot)),
                Err(error) => ([result_word(Err(error)), 0, 0], None),
            };
        }
        (self.answer(badge, words, capability_arrived), None)
    }

    /// `MapFile`: a capability to the header or a segment of an open file's frames. Frames
    /// can only be mapped readable, so a handle open only for writing gets them only when its
    /// owner may read the file too (`EACCES` otherwise: it writes with `Write`).
    fn map_file(
        &mut self,
        index: usize,
        badge: u64,
        words: [u64; 3],
    ) -> Result<(u64, Slot), Errno> {
        let credentials = credentials_of(badge)?;
        let connection = self
            .connections
            .get(index)
            .and_then(Option::as_ref)
            .filter(|connection| connection.badge == badge)
            .ok_or(Errno::EBADF)?;
        let handle = connection
            .handles
            .get(&(words[1] as u32))
            .ok_or(Errno::EBADF)?;
        let piece = u32::try_from(words[1] >> 32).map_err(|_| Errno::EINVAL)?;
        if piece > segments_for(FILE_SIZE_LIMIT) {
            return Err(Errno::EFBIG);
        }
        let grow = piece > 0 && words[2] & GROW != 0;
        let (node, readable, writable) = (handle.node, handle.readable, handle.writable);
        if !readable && !writable {
            return Err(Errno::EBADF);
        }
        if writable {
            if !readable && !self.tree.permits(credentials, node, Access::Read) {
                return Err(Errno::EACCES);
            }
            if readable && piece == 0 && words[2] & READING != 0 {
                // A description's first read maps the header: its access time.
                self.tree.mark_accessed(node);
            }
            // Writes through the frames never reach us: handing a writer its first frame is
            // where a write may begin, so a set-user-ID or set-group-ID bit goes now.
            self.tree.remove_privileges(credentials, node)?;
            let storage = self.tree.storage_mut(node)?;
            if grow {
                storage.ensure_segment(piece - 1)?;
            }
            let slot = storage.grant(piece, true)?;
            return Ok((u64::from(storage.segment_count()), slot));
        }
        if grow {
            return Err(Errno::EBADF);
        }
        let Some(storage) = self.tree.storage(node) else {
            // A boot image file not yet written (or not a file): read it with `Read`.
            self.tree.status(node)?;
            return Err(Errno::ENODATA);
        };
        let slot = storage.grant(piece, false)?;
        let count = u64::from(storage.segment_count());
        if piece == 0 && words[2] & READING != 0 {
            self.tree.mark_accessed(node);
        }
        Ok((count, slot))
    }

    fn answer(&mut self, badge: u64, words: [u64; 3], capability_arrived: bool) -> [u64; 3] {
        let operation = Operation::from_word(words[0]);
        if operation == Some(Operation::Connect) {
            if !capability_arrived {
                return [result_word(Err(Errno::EINVAL)), 0, 0];
            }
            return [result_word(self.connect(badge)), 0, 0];
        }
        if operation == Some(Operation::ConnectionCount) {
            let count = self.connections.iter().flatten().count();
            return [count as u64, 0, 0];
        }
        if operation == Some(Operation::Attach) {
            let index = (words[0] >> 8) as usize;
            let result = if capability_arrived {
                self.attach(index, badge)
            } else {
                Err(Errno::EINVAL)
            };
            return [result_word(result.map(|()| 0)), 0, 0];
        }
        if operation == Some(Operation::Duplicate) && !capability_arrived {
            let index = (words[0] >> 8) as usize;
            let result = self.duplicate(index, badge, words[1], words[2]);
            return [result_word(result), 0, 0];
        }
        if capability_arrived {
            // Nothing else takes a capability: drop it.
            let _ = call(Call::CapabilityDelete {
                slot: SERVER_RECEIVE_SLOT,
            });
        }
        let Some(operation) = operation else {
            return [result_word(Err(Errno::ENOSYS)), 0, 0];
        };
        if operation == Operation::RedeemSocketTicket {
            return [result_word(self.redeem(badge, words)), 0, 0];
        }
        let index = (words[0] >> 8) as usize;
        let outcome = match credentials_of(badge) {
            Err(error) => Err(error),
            Ok(credentials) => self.call(index, badge, credentials, operation, words),
        };
        match outcome {
            Ok(reply) => reply,
            Err(error) => [result_word(Err(error)), 0, 0],
        }
    }

    /// `Duplicate`: a new handle in connection `target` naming what `handle` of connection
    /// `index` names. Both connections must carry the caller's badge, so a client reaches only
    /// files its own credentials already hold open.
    fn duplicate(
        &mut self,
        index: usize,
        badge: u64,
        handle: u64,
        target: u64,
    ) -> Result<u64, Errno> {
        credentials_of(badge)?;
        let owned = |connection: &Option<Connection>| {
            connection
                .as_ref()
                .is_some_and(|connection| connection.badge == badge)
        };
        let target = usize::try_from(target).map_err(|_| Errno::EBADF)?;
        if !self.connections.get(target).is_some_and(owned) {
            return Err(Errno::EBADF);
        }
        let source = self
            .connections
            .get(index)
            .filter(|connection| owned(connection))
            .and_then(Option::as_ref)
            .and_then(|connection| connection.handles.get(&(handle as u32)))
            .filter(|_| handle <= u64::from(u32::MAX))
            .copied()
            .ok_or(Errno::EBADF)?;
        let connection = self.connections[target].as_mut().ok_or(Errno::EBADF)?;
        if connection.handles.len() >= HANDLE_LIMIT {
            return Err(Errno::EMFILE);
        }
        self.tree.hold(source.node)?;
        let number = connection.next_handle;
        connection.next_handle = connection.next_handle.wrapping_add(1).max(1);
        connection.handles.insert(number, source);
        Ok(u64::from(number))
    }

    /// `RedeemSocketTicket`: only the socket server may; the ticket goes.
    fn redeem(&mut self, badge: u64, words: [u64; 3]) -> Result<u64, Errno> {
        if badge != SOCKET_AUTHORITY_BADGE {
            return Err(Errno::EPERM);
        }
        let purpose = words[0] >> 8;
        let index = self
            .tickets
            .iter()
            .position(|ticket| ticket.value == [words[1], words[2]] && ticket.purpose == purpose)
            .ok_or(Errno::ENOENT)?;
        let ticket = self.tickets.remove(index);
        // The node may have been removed since: the ticket then names nothing.
        self.tree.status(ticket.node)?;
        Ok(ticket.node)
    }

    /// 128 unguessable bits for a ticket.
    fn ticket_value() -> Result<[u64; 2], Errno> {
        Ok(libos::random::ticket())
    }

    /// Issues ticket `value` for `node`: answers it in words 1 and 2.
    fn issue_ticket(
        tickets: &mut Vec<SocketTicket>,
        value: [u64; 2],
        purpose: u64,
        node: NodeNumber,
    ) -> [u64; 3] {
        if tickets.len() >= TICKET_LIMIT {
            tickets.remove(0);
        }
        tickets.push(SocketTicket {
            value,
            purpose,
            node,
        });
        [0, value[0], value[1]]
    }

    /// Takes the server's end of a client's channel and watches it.
    fn attach(&mut self, index: usize, badge: u64) -> Result<(), Errno> {
        let release = || {
            let _ = call(Call::CapabilityDelete {
                slot: SERVER_RECEIVE_SLOT,
            });
        };
        let Some(connection) = self
            .connections
            .get_mut(index)
            .and_then(Option::as_mut)
            .filter(|connection| connection.badge == badge && connection.peer.is_none())
        else {
            release();
            return Err(Errno::EBADF);
        };
        let Some(slot) = slots::allocate() else {
            release();
            return Err(Errno::ENFILE);
        };
        if call(Call::CapabilityMove {
            source: SERVER_RECEIVE_SLOT,
            destination: slot,
        })
        .is_err()
        {
            slots::free(slot);
            release();
            return Err(Errno::EINVAL);
        }
        connection.peer = Some(slot);
        call(Call::ChannelWatch {
            end: slot,
            notification: SERVER_NOTIFICATION_SLOT,
            bits: 1 << (index % 64),
        })
        .map(|_| ())
        .map_err(|_| Errno::EINVAL)
    }

    /// Closes the connections whose clients are gone among those `bits` may name.
    pub fn reap_connections(&mut self, bits: u64) {
        for index in 0..self.connections.len() {
            if bits & (1 << (index % 64)) == 0 {
                continue;
            }
            let gone = self.connections[index]
                .as_ref()
                .and_then(|connection| connection.peer)
                .is_some_and(|peer| {
                    call(Call::CapabilityIdentify { slot: peer })
                        .map_or(true, |words| words[3] == 0)
                });
            if gone && let Some(connection) = self.connections[index].take() {
                for handle in connection.handles.values() {
                    self.tree.release(handle.node);
                }
            }
        }
    }

    fn connect(&mut self, badge: u64) -> Result<u64, Errno> {
        let release = || {
            let _ = call(Call::CapabilityDelete {
                slot: SERVER_RECEIVE_SLOT,
            });
        };
        if credentials_of(badge).is_err() {
            release();
            return Err(Errno::EPERM);
        }
        let free = self.connections.iter().position(Option::is_none);
        if free.is_none() && self.connections.len() >= CONNECTION_LIMIT {
            release();
            return Err(Errno::ENFILE);
        }
        let Some(frame) = slots::allocate() else {
            release();
            return Err(Errno::ENFILE);
        };
        if call(Call::CapabilityMove {
            source: SERVER_RECEIVE_SLOT,
            destination: frame,
        })
        .is_err()
        {
            slots::free(frame);
            release();
            return Err(Errno::EINVAL);
        }
        let window = match SharedWindow::map(frame, BUFFER_PAGES) {
            Ok(window) => window,
            Err(_) => {
                let _ = call(Call::CapabilityDelete { slot: frame });
                slots::free(frame);
                return Err(Errno::EINVAL);
            }
        };
        let connection = Connection {
            badge,
            frame,
            peer: None,
            window,
            handles: BTreeMap::new(),
            next_handle: 1,
        };
        let index = match free {
            Some(index) => {
                self.connections[index] = Some(connection);
                index
            }
            None => {
                self.connections.push(Some(connection));
                self.connections.len() - 1
            }
        };
        Ok(index as u64)
    }

    fn call(
        &mut self,
        index: usize,
        badge: u64,
        credentials: Credentials,
        operation: Operation,
        words: [u64; 3],
    ) -> Result<[u64; 3], Errno> {
        let connection = self
            .connections
            .get_mut(index)
            .and_then(Option::as_mut)
            .filter(|connection| connection.badge == badge)
            .ok_or(Errno::EBADF)?;
        let tree = &mut self.tree;
        match operation {
            Operation::Connect
            | Operation::Attach
            | Operation::ConnectionCount
            | Operation::MapFile
            | Operation::RedeemSocketTicket
            | Operation::Duplicate => Err(Errno::EINVAL),
            Operation::MakeSocket => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                // The ticket's bits first: without them no node is made.
                let value = Self::ticket_value()?;
                let node = tree.make_socket(credentials, start, &path, words[1] as u32 & 0o7777)?;
                Ok(Self::issue_ticket(
                    &mut self.tickets,
                    value,
                    TICKET_FOR_BIND,
                    node,
                ))
            }
            Operation::SocketTicket => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                let node = tree.socket_for_connect(credentials, start, &path)?;
                let value = Self::ticket_value()?;
                Ok(Self::issue_ticket(
                    &mut self.tickets,
                    value,
                    TICKET_FOR_CONNECT,
                    node,
                ))
            }
            Operation::Open => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                let flags = words[1] as u32 as i32;
                let mode = (words[1] >> 32) as u32;
                let node = tree.open(credentials, start, &path, flags, mode)?;
                if connection.handles.len() >= HANDLE_LIMIT {
                    return Err(Errno::EMFILE);
                }
                tree.hold(node)?;
                let access = flags & O_ACCMODE;
                let handle = connection.next_handle;
                connection.next_handle = connection.next_handle.wrapping_add(1).max(1);
                connection.handles.insert(
                    handle,
                    Handle {
                        node,
                        readable: flags & O_PATH == 0 && matches!(access, O_RDONLY | O_RDWR),
                        writable: flags & O_PATH == 0 && matches!(access, O_WRONLY | O_RDWR),
                        append: flags & O_APPEND != 0,
                    },
                );
                let size = tree.status(node)?.size;
                Ok([u64::from(handle), size, 0])
            }
            Operation::Read => {
                let (handle, length) = handle_and_length(connection, words[1])?;
                if !handle.readable {
                    return Err(Errno::EBADF);
                }
                let mut buffer = alloc::vec![0u8; length];
                let node = handle.node;
                let count = tree.read_at(node, words[2], &mut buffer)?;
                tree.mark_accessed(node);
                connection.window.copy_in(DATA_OFFSET, &buffer[..count]);
                Ok([count as u64, 0, 0])
            }
            Operation::Write => {
                let (handle, length) = handle_and_length(connection, words[1])?;
                if !handle.writable {
                    return Err(Errno::EBADF);
                }
                let mut buffer = alloc::vec![0u8; length];
                connection.window.copy_out(DATA_OFFSET, &mut buffer);
                let offset = if handle.append {
                    tree.status(handle.node)?.size
                } else {
                    words[2]
                };
                let count = tree.write_at(handle.node, offset, &buffer, FILE_SIZE_LIMIT)?;
                tree.remove_privileges(credentials, handle.node)?;
                Ok([count as u64, offset + count as u64, 0])
            }
            Operation::Status => {
                let handle = connection
                    .handles
                    .get(&(words[1] as u32))
                    .ok_or(Errno::EBADF)?;
                put_status(&connection.window, &tree.status(handle.node)?);
                Ok([0, 0, 0])
            }
            Operation::FileSystemStatus => {
                let nodes = tree.node_count() as u64;
                Ok([0, quota_pages_left(), nodes | (self.quota_pages << 32)])
            }
            Operation::PathStatus => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                let follow = if words[1] & 1 != 0 {
                    FollowLast::Yes
                } else {
                    FollowLast::No
                };
                let node = tree.resolve(credentials, start, &path, follow)?;
                put_status(&connection.window, &tree.status(node)?);
                Ok([0, 0, 0])
            }
            Operation::SetTimes => {
                let node = if words[1] & BY_HANDLE != 0 {
                    let handle =
                        u32::try_from(words[2].wrapping_sub(1)).map_err(|_| Errno::EBADF)?;
                    let handle = connection.handles.get(&handle).ok_or(Errno::EBADF)?;
                    if !handle.readable && !handle.writable {
                        // An O_PATH handle, as on Linux for futimens.
                        return Err(Errno::EBADF);
                    }
                    handle.node
                } else {
                    let path = read_path(&connection.window)?;
                    let start = start_node(connection, words[2])?;
                    let follow = if words[1] & 1 != 0 {
                        FollowLast::Yes
                    } else {
                        FollowLast::No
                    };
                    tree.resolve(credentials, start, &path, follow)?
                };
                let mut bytes = [0u8; 32];
                connection.window.copy_out(DATA_OFFSET, &mut bytes);
                let word = |index: usize| {
                    let mut array = [0u8; 8];
                    array.copy_from_slice(&bytes[index * 8..index * 8 + 8]);
                    i64::from_ne_bytes(array)
                };
                let accessed = time_change(word(0), word(1))?;
                let modified = time_change(word(2), word(3))?;
                tree.set_times(credentials, node, accessed, modified)?;
                Ok([0, 0, 0])
            }
            Operation::ChangeOwner => {
                let start_word = words[2] & ((1 << 40) - 1);
                let node = if words[2] & OWNER_BY_HANDLE != 0 {
                    let handle =
                        u32::try_from(start_word.wrapping_sub(1)).map_err(|_| Errno::EBADF)?;
                    connection
                        .handles
                        .get(&handle)
                        .map(|handle| handle.node)
                        .ok_or(Errno::EBADF)?
                } else {
                    let path = read_path(&connection.window)?;
                    let start = start_node(connection, start_word)?;
                    let follow = if words[2] & OWNER_FOLLOW != 0 {
                        FollowLast::Yes
                    } else {
                        FollowLast::No
                    };
                    tree.resolve(credentials, start, &path, follow)?
                };
                let id = |value: u32| (value != u32::MAX).then_some(value);
                tree.change_owner(
                    credentials,
                    node,
                    id(words[1] as u32),
                    id((words[1] >> 32) as u32),
                )?;
                Ok([0, 0, 0])
            }
            Operation::Close => {
                let handle = connection
                    .handles
                    .remove(&(words[1] as u32))
                    .ok_or(Errno::EBADF)?;
                tree.release(handle.node);
                Ok([0, 0, 0])
            }
            Operation::MakeDirectory => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                tree.make_directory(credentials, start, &path, words[1] as u32 & 0o7777)?;
                Ok([0, 0, 0])
            }
            Operation::Remove => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                tree.remove(credentials, start, &path, words[1] == 1)?;
                Ok([0, 0, 0])
            }
            Operation::Truncate => {
                let handle = connection
                    .handles
                    .get(&(words[1] as u32))
                    .ok_or(Errno::EBADF)?;
                if !handle.writable {
                    return Err(Errno::EINVAL);
                }
                tree.truncate(handle.node, words[2], FILE_SIZE_LIMIT)?;
                tree.remove_privileges(credentials, handle.node)?;
                Ok([0, 0, 0])
            }
            Operation::MakeSymlink => {
                let path = read_path(&connection.window)?;
                let target = read_string(&connection.window, DATA_OFFSET)?;
                let start = start_node(connection, words[2])?;
                tree.make_symlink(credentials, &target, start, &path)?;
                Ok([0, 0, 0])
            }
            Operation::ReadLink => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                let target = tree.read_link(credentials, start, &path)?;
                connection.window.copy_in(DATA_OFFSET, target.as_bytes());
                Ok([target.len() as u64, 0, 0])
            }
            Operation::ChangeMode => {
                let node = if words[1] & BY_HANDLE != 0 {
                    let handle =
                        u32::try_from(words[2].wrapping_sub(1)).map_err(|_| Errno::EBADF)?;
                    connection
                        .handles
                        .get(&handle)
                        // An O_PATH handle: `fchmod` refuses it, as on Linux.
                        .filter(|handle| handle.readable || handle.writable)
                        .map(|handle| handle.node)
                        .ok_or(Errno::EBADF)?
                } else {
                    let path = read_path(&connection.window)?;
                    let start = start_node(connection, words[2])?;
                    tree.resolve(credentials, start, &path, FollowLast::Yes)?
                };
                tree.change_mode(credentials, node, words[1] as u32 & 0o7777)?;
                Ok([0, 0, 0])
            }
            Operation::Mount => {
                let path = read_path(&connection.window)?;
                let shown = read_string(&connection.window, DATA_OFFSET)?;
                let start = start_node(connection, words[2])?;
                let number = tree.mount(credentials, start, &path, &shown)?;
                Ok([u64::from(number), 0, 0])
            }
            Operation::Unmount => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                tree.unmount(credentials, start, &path)?;
                Ok([0, 0, 0])
            }
            Operation::MountTable => {
                let mounts = tree.mounts();
                let index = usize::try_from(words[1]).unwrap_or(usize::MAX);
                let number = match mounts.get(index) {
                    Some((number, shown)) => {
                        let mut bytes = alloc::vec::Vec::from(shown.as_bytes());
                        bytes.push(0);
                        connection.window.copy_in(DATA_OFFSET, &bytes);
                        u64::from(*number)
                    }
                    None => 0,
                };
                Ok([mounts.len() as u64, number, 0])
            }
            Operation::Link => {
                let existing_path = read_path(&connection.window)?;
                let new_path = read_string(&connection.window, DATA_OFFSET)?;
                let follow = if words[1] & 1 != 0 {
                    FollowLast::Yes
                } else {
                    FollowLast::No
                };
                let existing_start = start_node(connection, words[2])?;
                let new_start = start_node(connection, words[1] >> 8)?;
                let existing = tree.resolve(credentials, existing_start, &existing_path, follow)?;
                tree.link(credentials, existing, new_start, &new_path)?;
                Ok([0, 0, 0])
            }
            Operation::Rename => {
                let old_path = read_path(&connection.window)?;
                let new_path = read_string(&connection.window, DATA_OFFSET)?;
                let old_start = start_node(connection, words[2])?;
                let new_start = start_node(connection, words[1] >> 8)?;
                tree.rename(
                    credentials,
                    old_start,
                    &old_path,
                    new_start,
                    &new_path,
                    words[1] as u32 & 0xff,
                )?;
                Ok([0, 0, 0])
            }
            Operation::Access if words[1] & ACCESS_BY_HANDLE != 0 => {
                let handle = u32::try_from(words[2].wrapping_sub(1)).map_err(|_| Errno::EBADF)?;
                let node = connection
                    .handles
                    .get(&handle)
                    .map(|handle| handle.node)
                    .ok_or(Errno::EBADF)?;
                tree.access_node(credentials, node, words[1] as u32 & 0xff)?;
                Ok([0, 0, 0])
            }
            Operation::Access => {
                let path = read_path(&connection.window)?;
                let start = start_node(connection, words[2])?;
                let follow = if (words[1] >> 8) & 1 != 0 {
                    FollowLast::Yes
                } else {
                    FollowLast::No
                };
                tree.access(credentials, start, &path, words[1] as u32 & 0xff, follow)?;
                Ok([0, 0, 0])
            }
            Operation::Entries => {
                let (handle, length) = handle_and_length(connection, words[1])?;
                let listing = tree.entries(credentials, handle.node)?;
                let first = usize::try_from(words[2]).unwrap_or(usize::MAX);
                let mut buffer = alloc::vec![0u8; length];
                let mut used = 0;
                let mut next = first;
                for (index, (name, number, mode)) in listing.iter().enumerate().skip(first) {
                    let entry = LinuxDirent64 {
                        d_ino: *number,
                        d_off: (index + 1) as i64,
                        d_reclen: 0,
                        d_type: type_from_mode(*mode),
                    };
                    match encode(&mut buffer[used..], &entry, name.as_bytes()) {
                        Some(length) => {
                            used += length;
                            next = index + 1;
                        }
                        None => break,
                    }
                }
                if used == 0 && first < listing.len() {
                    // Not even one record fits: the caller's buffer is too small.
                    return Err(Errno::EINVAL);
                }
                connection.window.copy_in(DATA_OFFSET, &buffer[..used]);
                Ok([used as u64, next as u64, 0])
            }
        }
    }
}

/// The pages this server's memory quota has left.
fn quota_pages_left() -> u64 {
    call(Call::CapabilityIdentify {
        slot: libos::abi::initial::MEMORY_QUOTA,
    })
    .map_or(0, |words| words[3])
}

/// The device number `stat` reports for a file system of the tree: the root's, or an
/// anonymous one (major 0, as Linux numbers a tmpfs) per mount.
fn device_of(file_system: u32) -> u64 {
    if file_system == 0 {
        DEVICE
    } else {
        libposix_sys::stat::makedev(0, 0x40 + file_system)
    }
}

/// Writes `status` as [`StatusWords`] at [`DATA_OFFSET`] of the buffer.
fn put_status(window: &SharedWindow, status: &Status) {
    let mut status_words: StatusWords = [0; 14];
    status_words[status_index::NUMBER] = status.number;
    status_words[status_index::MODE] = u64::from(status.mode);
    status_words[status_index::LINKS] = u64::from(status.links);
    status_words[status_index::USER] = u64::from(status.user);
    status_words[status_index::GROUP] = u64::from(status.group);
    status_words[status_index::SIZE] = status.size;
    status_words[status_index::BLOCKS] = status.blocks;
    status_words[status_index::DEVICE] = device_of(status.file_system);
    for (index, time) in [
        (status_index::ACCESSED, status.accessed),
        (status_index::MODIFIED, status.modified),
        (status_index::CHANGED, status.changed),
    ] {
        status_words[index] = time.seconds as u64;
        status_words[index + 1] = u64::from(time.nanoseconds);
    }
    let mut bytes = [0u8; 14 * 8];
    for (chunk, word) in bytes.chunks_mut(8).zip(status_words) {
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    window.copy_in(DATA_OFFSET, &bytes);
}

/// One `utimensat` time from its `timespec` words.
fn time_change(seconds: i64, nanoseconds: i64) -> Result<TimeChange, Errno> {
    use libposix_sys::time::{UTIME_NOW, UTIME_OMIT};
    match nanoseconds {
        UTIME_NOW => Ok(TimeChange::Now),
        UTIME_OMIT => Ok(TimeChange::Omit),
        0..=999_999_999 => Ok(TimeChange::To(Time {
            seconds,
            nanoseconds: nanoseconds as u32,
        })),
        _ => Err(Errno::EINVAL),
    }
}

fn make_parents(tree: &mut MemoryTree<FrameStorage>, path: &str) {
    let mut prefix = String::new();
    let components: Vec<&str> = path.split('/').filter(|name| !name.is_empty()).collect();
    for name in components.iter().take(components.len().saturating_sub(1)) {
        prefix.push('/');
        prefix.push_str(name);
        let _ = tree.make_directory(Credentials::ROOT, ROOT, &prefix, 0o755);
    }
}

/// The NUL-terminated path at the start of the buffer (copied out before use: the client may
/// change the buffer while we work).
fn read_path(window: &SharedWindow) -> Result<String, Errno> {
    read_string(window, PATH_OFFSET)
}

/// The NUL-terminated string of at most 4096 bytes at `offset` of the buffer.
fn read_string(window: &SharedWindow, offset: usize) -> Result<String, Errno> {
    let mut bytes = alloc::vec![0u8; DATA_OFFSET - PATH_OFFSET];
    window.copy_out(offset, &mut bytes);
    let length = bytes
        .iter()
        .position(|&byte| byte == 0)
        .ok_or(Errno::ENAMETOOLONG)?;
    bytes.truncate(length);
    String::from_utf8(bytes).map_err(|_| Errno::EINVAL)
}

fn start_node(connection: &Connection, word: u64) -> Result<NodeNumber, Errno> {
    if word == 0 {
        return Ok(ROOT);
    }
    let handle = u32::try_from(word - 1).map_err(|_| Errno::EBADF)?;
    connection
        .handles
        .get(&handle)
        .map(|handle| handle.node)
        .ok_or(Errno::EBADF)
}

fn handle_and_length(connection: &Connection, word: u64) -> Result<(&Handle, usize), Errno> {
    let handle = connection.handles.get(&(word as u32)).ok_or(Errno::EBADF)?;
    let length = ((word >> 32) as usize).min(MAXIMUM_TRANSFER);
    Ok((handle, length))
}
