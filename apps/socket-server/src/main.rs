//! The AF_UNIX socket server (docs/sockets.md, "Named sockets"): the rendezvous authority a
//! LibOS cannot forge. It owns the abstract namespace's names (`EADDRINUSE`), the listen
//! backlogs (`ECONNREFUSED` when there is no listener or the backlog is full), and passes the
//! capabilities of a new connection — its frame, the acceptor's channel end, each side's wake-up
//! notification — from the connecting process to the accepting one. For datagram names it also
//! keeps the address each bound sender's receivers are told (checked against the name's secret,
//! a path's spelling resolved through the file server), so no sender can forge it. It knows a
//! caller only by the badge `init` minted with its credentials, which is what the other side's
//! `SO_PEERCRED` reports. Data never passes through it. Anything a client sends is untrusted: unknown
//! operations, names, numbers and missing capabilities are errors, never crashes; every table is
//! bounded.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use libos::Startup;
use libos::abi::OptionalSlot;
use libos::abi::{Call, KernelError, Slot, initial};
use libos::event::wake::{PROGRESS, release};
use libos::fs::protocol::{Operation as FileOperation, TICKET_FOR_BIND, TICKET_FOR_CONNECT};
use libos::ipc::{self, Received};
use libos::kernel::call;
use libos::shared_window::SharedWindow;
use libos::socket::protocol::{
    BIND_PATH_OFFSET, BY_TICKET, FROM_BOUND_NAME, LISTENER_MARK, NAME_MAXIMUM, Operation,
    SENDER_PROOF_OFFSET, SERVER_NOTIFICATION_SLOT, SERVER_RECEIVE_SLOT, SOCKET_PROCESS_MARK,
    SOCKET_SERVER, credentials_word,
};
use libos::well_known_slots::SOCKET_SERVER_FILE_AUTHORITY;
use libposix_sys::errno::Errno;
use libposix_sys::socket::SOCK_DGRAM;

libos::main!(main);

/// Most clients attached at once.
const MAXIMUM_CLIENTS: usize = 256;
/// Most bound names.
const MAXIMUM_NAMES: usize = 256;
/// The largest backlog (Linux's `SOMAXCONN`).
const MAXIMUM_BACKLOG: usize = 4096;
/// Most connections being set up or waiting to be accepted, in all.
const MAXIMUM_PENDING: usize = 1024;

/// Who a caller is: its pid (0 when its badge names none), effective and real ids.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Credentials {
    pid: u32,
    user: u32,
    group: u32,
    real_user: u32,
    real_group: u32,
}

impl Credentials {
    /// The reply words that carry them: `number | pid << 32`, `user << 32 | group`.
    fn words(self, number: u64) -> [u64; 2] {
        [
            (number & 0xffff_ffff) | u64::from(self.pid) << 32,
            u64::from(self.user) << 32 | u64::from(self.group),
        ]
    }
}

/// The credentials behind a caller's badge: a process's (minted by the process server with its
/// pid; its current ids asked of the process server, which knows them) or a credentials badge's
/// (minted by `init`; no pid). Listener capabilities name no caller (`EBADF`).
fn credentials_of(badge: u64) -> Result<Credentials, Errno> {
    if badge & libos::fs::protocol::BADGE_MARK != 0 {
        let word = credentials_word(badge);
        let (user, group) = (((word >> 32) & 0x7fff_ffff) as u32, word as u32);
        return Ok(Credentials {
            pid: 0,
            user,
            group,
            real_user: user,
            real_group: group,
        });
    }
    if badge & LISTENER_MARK != 0 || badge & SOCKET_PROCESS_MARK == 0 {
        return Err(Errno::EBADF);
    }
    let pid = badge & 0xffff_ffff;
    let answer = call(Call::IpcCall {
        endpoint: libos::process::identity::PROCESS_SERVER,
        word0: libos::process::protocol::PEER_IDENTITY,
        word1: pid,
        word2: 0,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map_err(|_| Errno::ESRCH)?;
    if answer[1] != 0 {
        return Err(Errno::from_raw(answer[1] as i32).unwrap_or(Errno::ESRCH));
    }
    Ok(Credentials {
        pid: pid as u32,
        user: answer[2] as u32,
        group: (answer[2] >> 32) as u32,
        real_user: answer[3] as u32,
        real_group: (answer[3] >> 32) as u32,
    })
}

/// `SCM_CREDENTIALS`: whether a caller known as `known` may claim `pid`, `user` and `group`
/// (Linux's rule: its own pid, one of its real and effective user and group ids; root any).
fn may_claim(known: Credentials, pid: u32, user: u32, group: u32) -> bool {
    known.user == 0
        || (known.pid != 0
            && pid == known.pid
            && (user == known.user || user == known.real_user)
            && (group == known.group || group == known.real_group))
}

/// Most vouched credentials waiting for their receiver.
const MAXIMUM_VOUCHED: usize = 1024;

struct Client {
    badge: u64,
    page: SharedWindow,
    frame: Slot,
}

/// What a name is: abstract bytes, or a socket node of the shared root (a path: the file
/// server vouched for the caller's right to bind or connect to it).
#[derive(Clone, PartialEq, Eq)]
enum Key {
    Abstract(Vec<u8>),
    Node(u64),
    /// A node unlinked and made again under the same number: nobody can reach this one.
    Unreachable,
}

struct Name {
    key: Key,
    kind: u64,
    /// The binder's credentials when it bound (the connector's `SO_PEERCRED`).
    owner_credentials: Credentials,
    /// The channel end whose peer the bound socket holds.
    alive: Slot,
    /// Set by `Listen`: the backlog and the notification to signal.
    listening: Option<(usize, Slot)>,
    /// Complete connections waiting for `Accept`, oldest first.
    queue: VecDeque<u64>,
    /// A datagram name: the `sockaddr_un` bytes its receivers are told it sends from (the
    /// abstract name as bound; a path as its binder gave it, for the node the file server made
    /// for it), and the secret a sender proves the name with (`FROM_BOUND_NAME`).
    datagram: Option<(Vec<u8>, [u64; 2])>,
}

#[derive(Default)]
struct Pending {
    number: u64,
    name: u64,
    connector: u64,
    /// The connector's credentials (the acceptor's `SO_PEERCRED`).
    connector_credentials: Credentials,
    frame: Option<Slot>,
    channel_end: Option<Slot>,
    connector_wake: Option<Slot>,
    complete: bool,
    /// Taken by an `Accept`: only `AcceptTake` of its owner continues.
    accepted_by: Option<u64>,
    /// A datagram sender's bound address, proven by its name's secret (`SenderAddress`).
    sender_address: Option<Vec<u8>>,
}

/// Most capabilities waiting under tickets, in all, and under one ticket.
const MAXIMUM_DEPOSITED: usize = 1024;
const MAXIMUM_PER_TICKET: usize = 64;

#[derive(Default)]
struct Server {
    clients: Vec<Option<Client>>,
    names: Vec<(u64, Name)>,
    pending: Vec<Pending>,
    next_number: u64,
    /// `SCM_RIGHTS`: capabilities waiting for their receiver, by ticket, oldest first.
    tickets: Vec<([u64; 2], VecDeque<Slot>)>,
    /// `SCM_CREDENTIALS`: credentials checked and waiting for their receiver, by ticket.
    vouched: Vec<([u64; 2], [u32; 3])>,
}

fn fail(error: Errno) -> [u64; 3] {
    [error as u64, 0, 0]
}

impl Server {
    fn number(&mut self) -> u64 {
        self.next_number += 1;
        self.next_number
    }

    fn client(&self, badge: u64, connection: usize) -> Result<&Client, Errno> {
        self.clients
            .get(connection)
            .and_then(Option::as_ref)
            .filter(|client| client.badge == badge)
            .ok_or(Errno::EBADF)
    }

    /// The key word 1 and the page name: an abstract name, or with [`BY_TICKET`] the node a
    /// ticket for `purpose` names, asked of the file server (which uses the ticket up).
    fn key_in_page(
        &self,
        badge: u64,
        connection: usize,
        word: u64,
        purpose: u64,
    ) -> Result<Key, Errno> {
        if word != BY_TICKET {
            return self
                .name_in_page(badge, connection, word)
                .map(Key::Abstract);
        }
        let client = self.client(badge, connection)?;
        let mut ticket = [0u8; 16];
        if !client.page.copy_out(0, &mut ticket) {
            return Err(Errno::EINVAL);
        }
        let half = |index: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&ticket[index * 8..index * 8 + 8]);
            u64::from_ne_bytes(bytes)
        };
        redeem([half(0), half(1)], purpose).map(Key::Node)
    }

    fn name_in_page(&self, badge: u64, connection: usize, length: u64) -> Result<Vec<u8>, Errno> {
        let length = usize::try_from(length).map_err(|_| Errno::EINVAL)?;
        if length == 0 || length > NAME_MAXIMUM {
            return Err(Errno::EINVAL);
        }
        let client = self.client(badge, connection)?;
        let mut bytes = alloc::vec![0u8; length];
        if !client.page.copy_out(0, &mut bytes) {
            return Err(Errno::EINVAL);
        }
        Ok(bytes)
    }

    /// A datagram `Bind`'s address and secret: the abstract name as bound, or for a node the
    /// path its binder gave (at [`BIND_PATH_OFFSET`]); the secret goes back in the binder's page
    /// at [`SENDER_PROOF_OFFSET`].
    fn datagram_name(
        &self,
        badge: u64,
        connection: usize,
        key: &Key,
    ) -> Result<(Vec<u8>, [u64; 2]), Errno> {
        let client = self.client(badge, connection)?;
        let address = match key {
            Key::Abstract(name) => libos::socket::named::address_bytes(name),
            Key::Node(node) => {
                let mut length = [0u8; 8];
                if !client.page.copy_out(BIND_PATH_OFFSET, &mut length) {
                    return Err(Errno::EINVAL);
                }
                let length = usize::try_from(u64::from_ne_bytes(length)).unwrap_or(usize::MAX);
                if length == 0 || length > NAME_MAXIMUM {
                    return Err(Errno::EINVAL);
                }
                let mut path = alloc::vec![0u8; length];
                if !client.page.copy_out(BIND_PATH_OFFSET + 8, &mut path) || path.contains(&0) {
                    return Err(Errno::EINVAL);
                }
                let path = core::str::from_utf8(&path).map_err(|_| Errno::EINVAL)?;
                // The spelling receivers will be told must name the node just made: no binder
                // claims another socket's path.
                if !path_names_node(path, *node) {
                    return Err(Errno::EINVAL);
                }
                libos::socket::named::path_address_bytes(path)
            }
            Key::Unreachable => return Err(Errno::EINVAL),
        };
        let secret = libos::random::ticket();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&secret[0].to_ne_bytes());
        bytes[8..].copy_from_slice(&secret[1].to_ne_bytes());
        if !client.page.copy_in(SENDER_PROOF_OFFSET, &bytes) {
            return Err(Errno::EINVAL);
        }
        Ok((address, secret))
    }

    /// A datagram `Connect` from a bound sender: the name's number and secret the caller wrote
    /// at [`SENDER_PROOF_OFFSET`] must match a datagram name's (`EINVAL` otherwise); answers
    /// that name's address.
    fn proven_sender(&self, badge: u64, connection: usize) -> Result<Vec<u8>, Errno> {
        let client = self.client(badge, connection)?;
        let mut proof = [0u8; 24];
        if !client.page.copy_out(SENDER_PROOF_OFFSET, &mut proof) {
            return Err(Errno::EINVAL);
        }
        let word = |index: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&proof[index * 8..index * 8 + 8]);
            u64::from_ne_bytes(bytes)
        };
        let (number, secret) = (word(0), [word(1), word(2)]);
        self.names
            .iter()
            .find(|(key, _)| *key == number)
            .and_then(|(_, name)| name.datagram.as_ref())
            .filter(|(_, known)| *known == secret)
            .map(|(address, _)| address.clone())
            .ok_or(Errno::EINVAL)
    }

    /// The name a listener capability's badge names.
    fn name_mut(&mut self, badge: u64) -> Result<&mut Name, Errno> {
        if badge & LISTENER_MARK == 0 {
            return Err(Errno::EBADF);
        }
        let number = badge & !LISTENER_MARK;
        self.names
            .iter_mut()
            .find(|(key, _)| *key == number)
            .map(|(_, name)| name)
            .ok_or(Errno::EBADF)
    }

    fn handle(&mut self, badge: u64, words: [u64; 3], arrived: bool) -> ([u64; 3], Option<Slot>) {
        let stored = if arrived {
            libos::slots::allocate().and_then(|slot| {
                call(Call::CapabilityMove {
                    source: SERVER_RECEIVE_SLOT,
                    destination: slot,
                })
                .ok()
                .map(|_| slot)
                .or_else(|| {
                    libos::slots::free(slot);
                    let _ = call(Call::CapabilityDelete {
                        slot: SERVER_RECEIVE_SLOT,
                    });
                    None
                })
            })
        } else {
            None
        };
        let connection = (words[0] >> 8) as usize;
        let result = match Operation::from_word(words[0]) {
            None => Err(Errno::ENOSYS),
            Some(operation) => self.dispatch(operation, badge, connection, words, stored),
        };
        match result {
            Ok(answer) => answer,
            Err(error) => (fail(error), None),
        }
    }

    /// Each arm owns `capability`: it keeps it or releases it.
    fn dispatch(
        &mut self,
        operation: Operation,
        badge: u64,
        connection: usize,
        words: [u64; 3],
        capability: Option<Slot>,
    ) -> Result<([u64; 3], Option<Slot>), Errno> {
        let needs = |capability: Option<Slot>| capability.ok_or(Errno::EINVAL);
        let refuse = |capability: Option<Slot>, error: Errno| {
            if let Some(slot) = capability {
                release(slot);
            }
            Err(error)
        };
        match operation {
            Operation::Attach => {
                let frame = needs(capability)?;
                let Ok(page) = SharedWindow::map(frame, 1) else {
                    return refuse(Some(frame), Errno::EINVAL);
                };
                let index = match self.clients.iter().position(Option::is_none) {
                    Some(index) => index,
                    None if self.clients.len() < MAXIMUM_CLIENTS => {
                        self.clients.push(None);
                        self.clients.len() - 1
                    }
                    None => {
                        drop(page);
                        return refuse(Some(frame), Errno::EAGAIN);
                    }
                };
                self.clients[index] = Some(Client { badge, page, frame });
                Ok(([0, index as u64, 0], None))
            }
            Operation::Bind => {
                let Some(alive) = capability else {
                    return Err(Errno::EINVAL);
                };
                let key = match self.key_in_page(badge, connection, words[1], TICKET_FOR_BIND) {
                    Ok(key) => key,
                    Err(error) => return refuse(Some(alive), error),
                };
                let owner_credentials = match credentials_of(badge) {
                    Ok(credentials) => credentials,
                    Err(error) => return refuse(Some(alive), error),
                };
                self.forget_dead_names();
                if let Key::Node(_) = key {
                    // The file server just made this node: a name still holding its number
                    // belonged to a node since unlinked, unreachable now (as on Linux).
                    for (_, name) in &mut self.names {
                        if name.key == key {
                            name.key = Key::Unreachable;
                        }
                    }
                }
                if self.names.iter().any(|(_, name)| name.key == key) {
                    return refuse(Some(alive), Errno::EADDRINUSE);
                }
                if self.names.len() >= MAXIMUM_NAMES {
                    return refuse(Some(alive), Errno::ENOBUFS);
                }
                let datagram = if words[2] == SOCK_DGRAM as u64 {
                    match self.datagram_name(badge, connection, &key) {
                        Ok(datagram) => Some(datagram),
                        Err(error) => return refuse(Some(alive), error),
                    }
                } else {
                    None
                };
                // The bound socket's end going away (closed, exited, crashed) frees the name.
                if call(Call::ChannelWatch {
                    end: alive,
                    notification: SERVER_NOTIFICATION_SLOT,
                    bits: 1,
                })
                .is_err()
                {
                    return refuse(Some(alive), Errno::EINVAL);
                }
                let number = self.number();
                let Some(listener) = libos::slots::allocate() else {
                    return refuse(Some(alive), Errno::ENOBUFS);
                };
                if call(Call::CapabilityMint {
                    source: SOCKET_SERVER,
                    destination: listener,
                    rights: libos::abi::Rights::SEND | libos::abi::Rights::GRANT,
                    badge: LISTENER_MARK | number,
                })
                .is_err()
                {
                    libos::slots::free(listener);
                    return refuse(Some(alive), Errno::ENOBUFS);
                }
                self.names.push((
                    number,
                    Name {
                        key,
                        kind: words[2],
                        owner_credentials,
                        alive,
                        listening: None,
                        queue: VecDeque::new(),
                        datagram,
                    },
                ));
                Ok(([0, number, 0], Some(listener)))
            }
            Operation::Listen => {
                let wake = needs(capability)?;
                let backlog = (words[2] as usize).clamp(1, MAXIMUM_BACKLOG);
                match self.name_mut(badge) {
                    Ok(name) => {
                        if let Some((_, old)) = name.listening.replace((backlog, wake)) {
                            release(old);
                        }
                        Ok(([0, 0, 0], None))
                    }
                    Err(error) => refuse(Some(wake), error),
                }
            }
            Operation::Connect => {
                let frame = needs(capability)?;
                let key = match self.key_in_page(badge, connection, words[1], TICKET_FOR_CONNECT) {
                    Ok(key) => key,
                    Err(error) => return refuse(Some(frame), error),
                };
                self.forget_dead_names();
                let waiting = self.pending.len();
                let Some((number, name)) = self.names.iter().find(|(_, name)| name.key == key)
                else {
                    return refuse(Some(frame), Errno::ECONNREFUSED);
                };
                if name.kind != words[2] & !FROM_BOUND_NAME {
                    return refuse(Some(frame), Errno::EPROTOTYPE);
                }
                let Some((backlog, _)) = name.listening else {
                    return refuse(Some(frame), Errno::ECONNREFUSED);
                };
                let (name_number, listener) = (*number, name.owner_credentials);
                let mut queued = self.queued(name_number);
                if queued > backlog || waiting >= MAXIMUM_PENDING {
                    // Connections whose connector ended before they were accepted hold no
                    // place: look for them only when the queue seems full.
                    self.forget_abandoned_connections(name_number);
                    queued = self.queued(name_number);
                }
                // Linux queues one more than the backlog; a full queue makes the connector
                // wait (or `EAGAIN`), not fail.
                if queued > backlog || self.pending.len() >= MAXIMUM_PENDING {
                    return refuse(Some(frame), Errno::EAGAIN);
                }
                let connector_credentials = match credentials_of(badge) {
                    Ok(credentials) => credentials,
                    Err(error) => return refuse(Some(frame), error),
                };
                let sender_address = if words[2] & FROM_BOUND_NAME != 0 {
                    match self.proven_sender(badge, connection) {
                        Ok(address) => Some(address),
                        Err(error) => return refuse(Some(frame), error),
                    }
                } else {
                    None
                };
                let pending_number = self.number();
                self.pending.push(Pending {
                    number: pending_number,
                    name: name_number,
                    connector: badge,
                    connector_credentials,
                    frame: Some(frame),
                    sender_address,
                    ..Pending::default()
                });
                let [first, second] = listener.words(pending_number);
                Ok(([0, first, second], None))
            }
            Operation::ConnectGive => {
                let given = needs(capability)?;
                let Some(index) = self.pending.iter().position(|pending| {
                    pending.number == words[1] && pending.connector == badge && !pending.complete
                }) else {
                    return refuse(Some(given), Errno::EBADF);
                };
                match words[2] {
                    1 if self.pending[index].channel_end.is_none() => {
                        self.pending[index].channel_end = Some(given);
                        Ok(([0, 0, 0], None))
                    }
                    2 if self.pending[index].channel_end.is_some()
                        && self.pending[index].connector_wake.is_none() =>
                    {
                        let name_number = self.pending[index].name;
                        let Some((_, name)) =
                            self.names.iter_mut().find(|(key, _)| *key == name_number)
                        else {
                            let pending = self.pending.remove(index);
                            release_pending(pending);
                            return refuse(Some(given), Errno::ECONNREFUSED);
                        };
                        let Some((_, listener_wake)) = name.listening else {
                            let pending = self.pending.remove(index);
                            release_pending(pending);
                            return refuse(Some(given), Errno::ECONNREFUSED);
                        };
                        let pending = &mut self.pending[index];
                        pending.connector_wake = Some(given);
                        pending.complete = true;
                        name.queue.push_back(pending.number);
                        let _ = call(Call::NotificationSignal {
                            notification: listener_wake,
                            bits: PROGRESS,
                        });
                        Ok(([0, 0, 0], Some(listener_wake)))
                    }
                    _ => refuse(Some(given), Errno::EINVAL),
                }
            }
            Operation::Accept => {
                if let Some(slot) = capability {
                    release(slot);
                }
                let index = loop {
                    let name = self.name_mut(badge)?;
                    let number = name.queue.pop_front().ok_or(Errno::EAGAIN)?;
                    let Some(index) = self
                        .pending
                        .iter()
                        .position(|pending| pending.number == number)
                    else {
                        continue;
                    };
                    // A connection whose connector ended and whose pages went with it is of
                    // no use to anyone: dropped, never handed out (nor left in the table).
                    if self.pending[index].frame.is_some_and(frame_alive) {
                        break index;
                    }
                    release_pending(self.pending.remove(index));
                };
                let pending = &mut self.pending[index];
                pending.accepted_by = Some(badge);
                let [first, second] = pending.connector_credentials.words(pending.number);
                Ok(([0, first, second], pending.frame.take()))
            }
            Operation::AcceptTake => {
                if let Some(slot) = capability {
                    release(slot);
                }
                let index = self
                    .pending
                    .iter()
                    .position(|pending| {
                        pending.number == words[1] && pending.accepted_by == Some(badge)
                    })
                    .ok_or(Errno::EBADF)?;
                match words[2] {
                    1 => Ok(([0, 0, 0], self.pending[index].channel_end.take())),
                    2 => {
                        let pending = self.pending.remove(index);
                        Ok(([0, 0, 0], pending.connector_wake))
                    }
                    _ => Err(Errno::EINVAL),
                }
            }
            Operation::SenderAddress => {
                if let Some(slot) = capability {
                    release(slot);
                }
                let pending = self
                    .pending
                    .iter()
                    .find(|pending| pending.number == words[1] && pending.accepted_by.is_some())
                    .ok_or(Errno::EBADF)?;
                let address = pending.sender_address.clone().unwrap_or_default();
                let client = self.client(badge, connection)?;
                if !client.page.copy_in(0, &address) {
                    return Err(Errno::EINVAL);
                }
                Ok(([0, address.len() as u64, 0], None))
            }
            Operation::Pending => {
                if let Some(slot) = capability {
                    release(slot);
                }
                let name = self.name_mut(badge)?;
                Ok(([0, name.queue.len() as u64, 0], None))
            }
            Operation::Deposit => {
                let given = needs(capability)?;
                let ticket = [words[1], words[2]];
                if ticket == [0, 0] {
                    return refuse(Some(given), Errno::EINVAL);
                }
                let deposited: usize = self.tickets.iter().map(|(_, slots)| slots.len()).sum();
                if deposited >= MAXIMUM_DEPOSITED {
                    return refuse(Some(given), Errno::ENOBUFS);
                }
                match self.tickets.iter_mut().find(|(key, _)| *key == ticket) {
                    Some((_, slots)) if slots.len() >= MAXIMUM_PER_TICKET => {
                        return refuse(Some(given), Errno::ETOOMANYREFS);
                    }
                    Some((_, slots)) => slots.push_back(given),
                    None => self.tickets.push((ticket, VecDeque::from([given]))),
                }
                Ok(([0, 0, 0], None))
            }
            Operation::Collect => {
                if let Some(slot) = capability {
                    release(slot);
                }
                let ticket = [words[1], words[2]];
                let index = self
                    .tickets
                    .iter()
                    .position(|(key, _)| *key == ticket && ticket != [0, 0])
                    .ok_or(Errno::ENOENT)?;
                let slot = self.tickets[index].1.pop_front().ok_or(Errno::ENOENT)?;
                if self.tickets[index].1.is_empty() {
                    self.tickets.remove(index);
                }
                Ok(([0, 0, 0], Some(slot)))
            }
            Operation::Vouch => {
                if let Some(slot) = capability {
                    release(slot);
                }
                let ticket = [words[1], words[2]];
                if ticket == [0, 0] {
                    return Err(Errno::EINVAL);
                }
                let client = self.client(badge, connection)?;
                let mut claim = [0u8; 12];
                if !client.page.copy_out(0, &mut claim) {
                    return Err(Errno::EINVAL);
                }
                let field = |index: usize| {
                    u32::from_ne_bytes([
                        claim[index * 4],
                        claim[index * 4 + 1],
                        claim[index * 4 + 2],
                        claim[index * 4 + 3],
                    ])
                };
                let (pid, user, group) = (field(0), field(1), field(2));
                if !may_claim(credentials_of(badge)?, pid, user, group) {
                    return Err(Errno::EPERM);
                }
                if self.vouched.len() >= MAXIMUM_VOUCHED {
                    return Err(Errno::ENOBUFS);
                }
                if self.vouched.iter().any(|(key, _)| *key == ticket) {
                    return Err(Errno::EEXIST);
                }
                self.vouched.push((ticket, [pid, user, group]));
                Ok(([0, 0, 0], None))
            }
            Operation::CollectCredentials => {
                if let Some(slot) = capability {
                    release(slot);
                }
                let ticket = [words[1], words[2]];
                let index = self
                    .vouched
                    .iter()
                    .position(|(key, _)| *key == ticket)
                    .ok_or(Errno::ENOENT)?;
                let (_, [pid, user, group]) = self.vouched.remove(index);
                Ok((
                    [0, u64::from(pid), u64::from(user) << 32 | u64::from(group)],
                    None,
                ))
            }
            Operation::Close => {
                if let Some(slot) = capability {
                    release(slot);
                }
                let index = self
                    .names
                    .iter()
                    .position(|(key, _)| badge == LISTENER_MARK | *key)
                    .ok_or(Errno::EBADF)?;
                self.remove_name(index);
                Ok(([0, 0, 0], None))
            }
        }
    }

    fn remove_name(&mut self, index: usize) {
        let (number, name) = self.names.remove(index);
        release(name.alive);
        if let Some((_, wake)) = name.listening {
            release(wake);
        }
        // Connections nobody will accept: their connectors see the peer gone.
        let mut kept = Vec::new();
        for pending in self.pending.drain(..) {
            if pending.name == number && pending.accepted_by.is_none() {
                release_pending(pending);
            } else {
                kept.push(pending);
            }
        }
        self.pending = kept;
    }

    /// How many connections to the name numbered `name_number` are being made or wait.
    fn queued(&self, name_number: u64) -> usize {
        self.pending
            .iter()
            .filter(|pending| pending.name == name_number)
            .count()
    }

    /// Drops the connections to the name numbered `name_number` that nobody accepted and whose
    /// connector ended (its quota paid for the connection's frame, which is gone with it) —
    /// finished or abandoned half-way through `ConnectGive`: nobody can use them, and they would
    /// hold places in the backlog for good.
    fn forget_abandoned_connections(&mut self, name_number: u64) {
        let mut kept = Vec::with_capacity(self.pending.len());
        let mut dropped = Vec::new();
        for pending in self.pending.drain(..) {
            let abandoned = pending.name == name_number
                && pending.accepted_by.is_none()
                && pending.frame.is_some_and(|frame| !frame_alive(frame));
            if abandoned {
                dropped.push(pending.number);
                release_pending(pending);
            } else {
                kept.push(pending);
            }
        }
        self.pending = kept;
        if let Some((_, name)) = self
            .names
            .iter_mut()
            .find(|(number, _)| *number == name_number)
        {
            name.queue.retain(|number| !dropped.contains(number));
        }
    }

    /// Releases every name whose bound socket is gone (its channel peer has no capability left).
    fn forget_dead_names(&mut self) {
        let mut index = 0;
        while index < self.names.len() {
            let alive = self.names[index].1.alive;
            let gone = call(Call::CapabilityIdentify { slot: alive }).map_or(true, |w| w[3] == 0);
            if gone {
                self.remove_name(index);
            } else {
                index += 1;
            }
        }
    }
}

/// The node a socket ticket for `purpose` names, asked of the file server (which uses the
/// ticket up).
fn redeem(ticket: [u64; 2], purpose: u64) -> Result<u64, Errno> {
    let answer = call(Call::IpcCall {
        endpoint: SOCKET_SERVER_FILE_AUTHORITY,
        word0: FileOperation::RedeemSocketTicket as u64 | purpose << 8,
        word1: ticket[0],
        word2: ticket[1],
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    // Without the file server there are no paths.
    .map_err(|_| Errno::ENOENT)?;
    let result = answer[1] as i64;
    if result < 0 {
        return Err(Errno::from_raw((-result) as i32).unwrap_or(Errno::EIO));
    }
    Ok(result as u64)
}

/// Whether the absolute `path` names `node`: resolved by the file server for us (as root, so
/// only what the path names matters), as a connect would resolve it.
fn path_names_node(path: &str, node: u64) -> bool {
    path.starts_with('/')
        && libos::fs::client::socket_ticket(libos::fs::client::Start(0), path)
            .and_then(|ticket| redeem(ticket, TICKET_FOR_CONNECT))
            .is_ok_and(|named| named == node)
}

/// Whether a connection's frame still exists (it goes when the connector's memory is taken back
/// after it ended).
fn frame_alive(frame: Slot) -> bool {
    call(Call::CapabilityIdentify { slot: frame }).is_ok()
}

fn release_pending(pending: Pending) {
    for slot in [pending.frame, pending.channel_end, pending.connector_wake]
        .into_iter()
        .flatten()
    {
        release(slot);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        release(self.frame);
    }
}

fn main(_startup: &Startup) -> i32 {
    let bound = call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: SERVER_NOTIFICATION_SLOT,
    })
    .and_then(|_| ipc::bind_notification(SERVER_NOTIFICATION_SLOT, Some(SOCKET_SERVER)));
    if let Err(error) = bound {
        libos::println!("socket-server: cannot watch names: {error}");
        return 1;
    }
    let mut server = Server::default();
    let mut reply: Option<([u64; 3], Option<Slot>)> = None;
    loop {
        let received = match reply.take() {
            Some((words, transfer)) => {
                let result = ipc::reply_and_receive(
                    SOCKET_SERVER,
                    words,
                    transfer,
                    Some(SERVER_RECEIVE_SLOT),
                );
                // What was handed over is the client's now (a copy); ours goes.
                if let Some(slot) = transfer
                    && !is_kept(&server, slot)
                {
                    release(slot);
                }
                result
            }
            None => ipc::receive(SOCKET_SERVER, Some(SERVER_RECEIVE_SLOT), 0),
        };
        match received {
            Ok(Received::Message {
                badge,
                words,
                capability_arrived,
            }) => reply = Some(server.handle(badge, words, capability_arrived)),
            Ok(Received::Notification { .. }) => server.forget_dead_names(),
            Err(KernelError::PeerGone) | Err(_) => {}
        }
    }
}

/// Whether `slot` is still held in a table (a listener's notification handed to a connector is
/// kept for the next one).
fn is_kept(server: &Server, slot: Slot) -> bool {
    server
        .names
        .iter()
        .any(|(_, name)| name.listening.is_some_and(|(_, wake)| wake == slot))
}
