//! An AF_UNIX socket as a descriptor sees it: unbound, bound to a name, listening, or connected
//! (an [`SocketEnd`]), and the client side of the socket server (`socket::protocol`) that binds
//! names, queues connections and passes a new connection's capabilities between the two
//! processes.
//!
//! Names live in the abstract namespace (a `sun_path` starting with a NUL byte) or are paths in
//! the shared root: `bind` asks the file server to make the `S_IFSOCK` node and `connect` to
//! check write permission on it; each answers a ticket the socket server redeems with the file
//! server, so the permission is the authorities' to enforce, not this LibOS's. Names are kept
//! here as the `sockaddr_un` bytes `getsockname` answers. A connecting
//! process makes the connection's frame and channel itself, hands the server the acceptor's
//! share (frame, channel end, a copy of its wake-up notification) and gets the listener's
//! notification back; the acceptor takes them from the server. Data never passes through it.

use alloc::sync::Arc;
use alloc::vec::Vec;

use exokernel_abi::{Call, KernelError, OptionalSlot, PageCount, Slot, initial};
use libposix_sys::errno::Errno;
use libposix_sys::socket::{AF_UNIX, Ucred};
use spin::Mutex;

use super::connection::{EndSlots, FRAME_PAGES, SocketEnd, SocketKind};
use super::datagram::{BoundName, Datagram, Delivered};
use super::protocol::{
    BIND_PATH_OFFSET, BY_TICKET, FROM_BOUND_NAME, NAME_MAXIMUM, Operation, SENDER_PROOF_OFFSET,
    SOCKET_SERVER,
};
use crate::event::readiness::{self, Status, Wakes};
use crate::event::wake::{self, WakeSource, release};
use crate::kernel::call;
use crate::shared_window::SharedWindow;
use crate::signal::restart;
use crate::slots;

/// What the socket is now.
enum State {
    Unbound,
    Bound {
        name: Vec<u8>,
        /// The listener capability the server minted for the name.
        listener: Slot,
        /// Our channel end; the server watches the other (dropping ours frees the name).
        alive: Slot,
    },
    Listening {
        name: Vec<u8>,
        listener: Slot,
        alive: Slot,
        /// The notification the server signals when a connection is queued.
        wake: WakeSource,
    },
    Connected {
        end: Arc<SocketEnd>,
        local: Option<Vec<u8>>,
        peer: Option<Vec<u8>>,
    },
    /// A datagram socket (not a pair's) that bound a name, sent to one or connected.
    Datagram(Datagram),
}

/// An AF_UNIX socket.
pub struct UnixSocket {
    kind: SocketKind,
    state: Mutex<State>,
    /// `SO_PASSCRED`.
    pass_credentials: core::sync::atomic::AtomicBool,
}

impl UnixSocket {
    /// A connected socket around `end` (a pair's, or an accepted or connected one).
    #[must_use]
    pub fn connected(end: SocketEnd, local: Option<Vec<u8>>, peer: Option<Vec<u8>>) -> Self {
        Self {
            kind: end.kind(),
            state: Mutex::new(State::Connected {
                end: Arc::new(end),
                local,
                peer,
            }),
            pass_credentials: core::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A new unbound socket (`socket`).
    #[must_use]
    pub fn unbound(kind: SocketKind) -> Self {
        Self {
            kind,
            state: Mutex::new(State::Unbound),
            pass_credentials: core::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The socket type.
    #[must_use]
    pub fn kind(&self) -> SocketKind {
        self.kind
    }

    /// The connection, when connected.
    ///
    /// # Errors
    /// `ENOTCONN`.
    pub fn end(&self) -> Result<Arc<SocketEnd>, Errno> {
        match &*self.state.lock() {
            State::Connected { end, .. } => Ok(end.clone()),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// Whether receives add `SCM_CREDENTIALS` (`SO_PASSCRED`).
    #[must_use]
    pub fn passes_credentials(&self) -> bool {
        self.pass_credentials
            .load(core::sync::atomic::Ordering::Relaxed)
    }

    /// Sets `SO_PASSCRED`.
    pub fn set_passes_credentials(&self, on: bool) {
        self.pass_credentials
            .store(on, core::sync::atomic::Ordering::Relaxed);
    }

    /// Whether it is neither bound nor connected (a datagram socket's connections to the names
    /// it sent to are a cache: it is unbound still).
    #[must_use]
    pub fn is_unbound(&self) -> bool {
        match &*self.state.lock() {
            State::Unbound => true,
            State::Datagram(datagram) => datagram.bound.is_none() && datagram.peer.is_none(),
            _ => false,
        }
    }

    /// Whether datagrams go to and come from names (a `SOCK_DGRAM` socket not made by
    /// `socketpair`).
    #[must_use]
    pub fn is_named_datagram(&self) -> bool {
        self.kind == SocketKind::Datagram
            && matches!(&*self.state.lock(), State::Unbound | State::Datagram(_))
    }

    /// A datagram send: `send` is given the connection to `address`, or to the default peer
    /// without one (made, or made again when the receiver went: then `ECONNREFUSED` when
    /// nobody is bound to the name any more). A blocking send whose receiver's queue of
    /// senders is full waits for room.
    ///
    /// # Errors
    /// `ENOTCONN` without an address or a peer; the lookup's (`ECONNREFUSED`, `EPROTOTYPE`,
    /// `ENOENT`, `EACCES`, ...); `EAGAIN`; `send`'s, with the receiver's going as
    /// `ECONNREFUSED`.
    pub fn datagram_send(
        &self,
        address: Option<Address<'_>>,
        nonblocking: bool,
        send: &mut dyn FnMut(&SocketEnd) -> Result<usize, Errno>,
    ) -> Result<usize, Errno> {
        let mut fresh = false;
        loop {
            let end = self.datagram_destination(address, fresh, nonblocking)?;
            match send(&end) {
                // The receiver went since the last look: look the name up again, once.
                Err(Errno::EPIPE | Errno::ECONNRESET) if !fresh => fresh = true,
                Err(Errno::EPIPE | Errno::ECONNRESET) => return Err(Errno::ECONNREFUSED),
                other => return other,
            }
        }
    }

    fn datagram_destination(
        &self,
        address: Option<Address<'_>>,
        fresh: bool,
        nonblocking: bool,
    ) -> Result<Arc<SocketEnd>, Errno> {
        loop {
            let mut state = self.state.lock();
            let datagram = datagram_state(&mut state).ok_or(Errno::EISCONN)?;
            let result = match address {
                Some(address) => datagram.destination(address, fresh),
                None => {
                    let peer = datagram.peer.clone().ok_or(Errno::ENOTCONN)?;
                    let result = parse_address(&peer)
                        .and_then(|address| datagram.destination(address, fresh));
                    if matches!(result, Err(Errno::ECONNREFUSED)) {
                        // The peer's socket is gone: Linux forgets it (then `ENOTCONN`).
                        datagram.peer = None;
                    }
                    result
                }
            };
            drop(state);
            match result {
                // The receiver's queue of senders is full: wait for room.
                Err(Errno::EAGAIN) if !nonblocking => pause(),
                other => return other,
            }
        }
    }

    /// `connect` with `AF_UNSPEC` on a named datagram socket: forgets the default peer.
    pub fn forget_datagram_peer(&self) {
        if let State::Datagram(datagram) = &mut *self.state.lock() {
            datagram.peer = None;
        }
    }

    /// A datagram receive: the next datagram from any sender (the default peer only, after
    /// `connect`), with its sender's address and credentials; waits unless `nonblocking`.
    ///
    /// # Errors
    /// `EAGAIN`, `EINTR`, the server's.
    pub(crate) fn datagram_receive(
        &self,
        buffer: &mut [u8],
        nonblocking: bool,
        peek: bool,
    ) -> Result<Delivered, Errno> {
        let mut idle: Option<crate::event::wake::WakeSource> = None;
        let result = loop {
            let wake = {
                let mut state = self.state.lock();
                let Some(datagram) = datagram_state(&mut state) else {
                    break Err(Errno::ENOTCONN);
                };
                match datagram.look(buffer, peek) {
                    Ok(Some(delivered)) => break Ok(delivered),
                    Ok(None) if nonblocking => break Err(Errno::EAGAIN),
                    Ok(None) => {}
                    Err(error) => break Err(error),
                }
                let registered = datagram.register();
                // Look once more after registering, so a datagram sent meanwhile wakes us.
                match datagram.look(buffer, peek) {
                    Ok(Some(delivered)) => break Ok(delivered),
                    Ok(None) => {}
                    Err(error) => break Err(error),
                }
                registered
            };
            let wake = match wake {
                Some(wake) => wake,
                // No name: nothing can arrive; sleep until a signal ends the call.
                None => match idle {
                    Some(idle) => idle,
                    None => match wake::new_source() {
                        Ok(source) => *idle.insert(source),
                        Err(error) => break Err(error),
                    },
                },
            };
            if let Err(error) = wake.sleep(0) {
                break Err(error);
            }
        };
        if let Some(idle) = idle {
            release(idle.notification);
        }
        result
    }

    /// Whether it listens (`SO_ACCEPTCONN`).
    #[must_use]
    pub fn listening(&self) -> bool {
        matches!(&*self.state.lock(), State::Listening { .. })
    }

    /// `getsockname`: the bound address as `sockaddr_un` bytes (the family alone: unnamed).
    #[must_use]
    pub fn local_name(&self) -> Vec<u8> {
        match &*self.state.lock() {
            State::Unbound => address_bytes(b""),
            State::Datagram(datagram) => datagram.local_name(),
            State::Bound { name, .. } | State::Listening { name, .. } => name.clone(),
            State::Connected { local, .. } => local.clone().unwrap_or_else(|| address_bytes(b"")),
        }
    }

    /// `getpeername`: the peer's address as `sockaddr_un` bytes (the family alone: unnamed).
    ///
    /// # Errors
    /// `ENOTCONN`.
    pub fn peer_name(&self) -> Result<Vec<u8>, Errno> {
        match &*self.state.lock() {
            State::Connected { peer, .. } => Ok(peer.clone().unwrap_or_else(|| address_bytes(b""))),
            State::Datagram(datagram) => datagram.peer.clone().ok_or(Errno::ENOTCONN),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// The readiness `poll` and `epoll` see: a listener is readable with a connection waiting
    /// (asked of the server), an unconnected socket writable only.
    #[must_use]
    pub fn status(&self) -> Status {
        let listener = match &*self.state.lock() {
            State::Connected { end, .. } => return end.status(),
            State::Datagram(datagram) => return datagram.status(),
            State::Listening { listener, .. } => *listener,
            State::Unbound | State::Bound { .. } => {
                return Status {
                    events: readiness::OUT,
                    activity: 0,
                };
            }
        };
        let waiting = request(listener, Operation::Pending, [0, 0], None, None, None)
            .map_or(0, |answer| answer.words[0]);
        Status {
            events: if waiting > 0 { readiness::IN } else { 0 },
            activity: waiting,
        }
    }

    /// Registers a poller.
    #[must_use]
    pub fn register(&self, events: u32) -> Wakes {
        match &*self.state.lock() {
            State::Connected { end, .. } => Wakes::Through(end.register(events)),
            State::Listening { wake, .. } => Wakes::Through(*wake),
            State::Datagram(datagram) => datagram.register().map_or(Wakes::Never, Wakes::Through),
            State::Unbound | State::Bound { .. } => Wakes::Never,
        }
    }

    /// `bind` to `address` (an abstract name or a path).
    ///
    /// # Errors
    /// `EINVAL` (already bound or connected, a bad name), `EADDRINUSE`, `ENOSYS` (no socket
    /// server); for a path, the file server's (`ENOENT`, `EACCES`, `ENOTDIR`, ...).
    /// A datagram socket's name also gets the server's listening (`socket::datagram`).
    pub fn bind(&self, address: Address<'_>) -> Result<(), Errno> {
        let mut state = self.state.lock();
        let datagram = self.kind == SocketKind::Datagram;
        match &*state {
            State::Unbound => {}
            State::Datagram(datagram) if datagram.bound.is_none() => {}
            _ => return Err(Errno::EINVAL),
        }
        if datagram && !matches!(*state, State::Datagram(_)) {
            *state = State::Datagram(Datagram::default());
        }
        let (word, page) = match address {
            Address::Abstract(name) => (name.len() as u64, name.to_vec()),
            Address::Path(path) => {
                let ticket = crate::fs::socket_node_for_bind(path)?;
                (BY_TICKET, ticket_bytes(ticket))
            }
        };
        let result = self.bind_to(&mut state, address, word, &page);
        if result.is_err()
            && let Address::Path(path) = address
        {
            // The node we made names no socket: take it away again.
            let _ = crate::fs::unlink(path);
        }
        result
    }

    fn bind_to(
        &self,
        state: &mut State,
        address: Address<'_>,
        word: u64,
        page: &[u8],
    ) -> Result<(), Errno> {
        let (ours, theirs) = channel()?;
        let Some(listener) = slots::allocate() else {
            release(ours);
            release(theirs);
            return Err(Errno::EMFILE);
        };
        // A datagram name's path goes along, made absolute: the address its receivers are
        // told, once the server checked that it names the node.
        let mut claimed = Vec::new();
        if let Address::Path(path) = address {
            let absolute = absolute_path(path)?;
            claimed.extend_from_slice(&(absolute.len() as u64).to_ne_bytes());
            claimed.extend_from_slice(absolute.as_bytes());
        }
        let mut secret = [0u8; 16];
        let datagram = matches!(state, State::Datagram(_));
        let result = request_in_page(
            SOCKET_SERVER,
            Operation::Bind,
            [word, self.kind.type_value() as u64],
            &[(0, page), (BIND_PATH_OFFSET, &claimed)],
            Some(theirs),
            Some(listener),
            datagram.then_some((SENDER_PROOF_OFFSET, &mut secret[..])),
        );
        release(theirs);
        match result {
            Ok(answer) if answer.capability => {
                if let State::Datagram(datagram) = state {
                    let half = |index: usize| {
                        let mut bytes = [0u8; 8];
                        bytes.copy_from_slice(&secret[index * 8..index * 8 + 8]);
                        u64::from_ne_bytes(bytes)
                    };
                    let proof = [answer.words[0], half(0), half(1)];
                    return datagram_listen(datagram, address.to_bytes(), proof, listener, ours);
                }
                *state = State::Bound {
                    name: address.to_bytes(),
                    listener,
                    alive: ours,
                };
                Ok(())
            }
            other => {
                slots::free(listener);
                release(ours);
                Err(other.err().unwrap_or(Errno::EIO))
            }
        }
    }

    /// `listen`.
    ///
    /// # Errors
    /// `EINVAL` when not bound (or connected); the server's.
    pub fn listen(&self, backlog: i32) -> Result<(), Errno> {
        if self.kind == SocketKind::Datagram {
            // Datagram sockets have no connections to queue, as on Linux.
            return Err(Errno::EOPNOTSUPP);
        }
        let mut state = self.state.lock();
        let (name, listener, alive) = match &*state {
            State::Bound {
                name,
                listener,
                alive,
            } => (name.clone(), *listener, *alive),
            State::Listening { listener, wake, .. } => {
                // A second listen changes the backlog.
                let copy = wake::copy_of(wake.notification)?;
                let result = request(
                    *listener,
                    Operation::Listen,
                    [0, backlog.max(1) as u64],
                    None,
                    Some(copy),
                    None,
                );
                release(copy);
                return result.map(|_| ());
            }
            _ => return Err(Errno::EINVAL),
        };
        let wake = wake::new_source()?;
        let copy = wake::copy_of(wake.notification)?;
        let result = request(
            listener,
            Operation::Listen,
            [0, backlog.max(1) as u64],
            None,
            Some(copy),
            None,
        );
        release(copy);
        if let Err(error) = result {
            release(wake.notification);
            return Err(error);
        }
        // The bound state's capabilities move to the listening state, not released.
        core::mem::forget(core::mem::replace(
            &mut *state,
            State::Listening {
                name,
                listener,
                alive,
                wake,
            },
        ));
        Ok(())
    }

    /// `connect` to `address`; a full backlog waits unless `nonblocking` (`EAGAIN`).
    ///
    /// # Errors
    /// `EISCONN`, `EINVAL` (listening), `ECONNREFUSED`, `EAGAIN`, `EPROTOTYPE`, for a datagram
    /// socket those of [`Self::find_datagram_receiver`],
    /// `ENOSYS` (no socket server), `EMFILE`, `ENFILE`; for a path, the file server's (`ENOENT`,
    /// `EACCES` without write permission on the node, ...).
    pub fn connect(&self, address: Address<'_>, nonblocking: bool) -> Result<(), Errno> {
        if self.is_named_datagram() {
            // The receiver is looked up (and connected to) now, so its errors come now.
            self.datagram_destination(Some(address), false, nonblocking)?;
            if let Some(datagram) = datagram_state(&mut self.state.lock()) {
                datagram.peer = Some(address.to_bytes());
            }
            return Ok(());
        }
        if self.kind == SocketKind::Datagram {
            return self.find_datagram_receiver(address);
        }
        let mut state = self.state.lock();
        let local = match &*state {
            State::Connected { .. } => return Err(Errno::EISCONN),
            State::Listening { .. } | State::Datagram(_) => return Err(Errno::EINVAL),
            State::Unbound => None,
            State::Bound { name, .. } => Some(name.clone()),
        };
        let epoch = crate::signal::delivery::Epoch::now();
        let end = loop {
            // A ticket is good for one attempt: a retry asks the file server again.
            let (word, page) = match address {
                Address::Abstract(name) => (name.len() as u64, name.to_vec()),
                Address::Path(path) => (
                    BY_TICKET,
                    ticket_bytes(crate::fs::socket_ticket_for_connect(path)?),
                ),
            };
            match connect_to(self.kind, word, &page, None) {
                // The listener's queue is full: wait for room.
                // The listener's queue is full: wait for room. Nothing of this attempt stays
                // queued at the server, so a signal may end (`EINTR`) or restart the wait.
                Err(Errno::EAGAIN) if !nonblocking => {
                    restart::interrupted_since(epoch)?;
                    let word = 0u32;
                    let slept = call(Call::FutexWait {
                        address: exokernel_abi::UserAddress(core::ptr::from_ref(&word) as u64),
                        expected: 0,
                        timeout: wake::FOREIGN_RECHECK_NANOSECONDS,
                        bitset: exokernel_abi::FUTEX_MATCH_ANY,
                    });
                    if slept == Err(KernelError::Interrupted) {
                        restart::interrupted_since(epoch)?;
                    }
                }
                other => break other?,
            }
        };
        *state = State::Connected {
            end: Arc::new(end),
            local,
            peer: Some(address.to_bytes()),
        };
        Ok(())
    }

    /// A socket pair's datagram end's `sendto` with `address`: finds the receiver the way a
    /// stream `connect` finds its listener — the file server resolves a path with the caller's
    /// credentials and needs write permission on the node, the socket server looks the name up
    /// — and gives Linux's error: `ECONNREFUSED` when nothing is bound to the name (or the path
    /// is no socket), `EPROTOTYPE` when a stream or sequenced-packet socket is. Delivering from
    /// a pair's end to a name is not built: `EOPNOTSUPP` when a receiver is found.
    ///
    /// # Errors
    /// As above; for a path the file server's (`ENOENT`, `EACCES`, `ENOTDIR`, ...); `ENOSYS`
    /// (no socket server), `EMFILE`, `ENFILE`.
    pub fn find_datagram_receiver(&self, address: Address<'_>) -> Result<(), Errno> {
        let (word, page) = match address {
            Address::Abstract(name) => (name.len() as u64, name.to_vec()),
            Address::Path(path) => (
                BY_TICKET,
                ticket_bytes(crate::fs::socket_ticket_for_connect(path)?),
            ),
        };
        match connect_to(self.kind, word, &page, None) {
            Ok(end) => {
                drop(end);
                Err(Errno::EOPNOTSUPP)
            }
            Err(Errno::EAGAIN) => Err(Errno::ECONNREFUSED),
            Err(error) => Err(error),
        }
    }

    /// `accept`: the next queued connection, waiting for one unless `nonblocking`.
    ///
    /// # Errors
    /// `EINVAL` when not listening; `EAGAIN`; `EINTR`; `EMFILE`.
    pub fn accept(&self, nonblocking: bool) -> Result<UnixSocket, Errno> {
        if self.kind == SocketKind::Datagram {
            return Err(Errno::EOPNOTSUPP);
        }
        let (listener, wake, name) = match &*self.state.lock() {
            State::Listening {
                listener,
                wake,
                name,
                ..
            } => (*listener, *wake, name.clone()),
            _ => return Err(Errno::EINVAL),
        };
        let epoch = crate::signal::delivery::Epoch::now();
        loop {
            match accept_from(self.kind, listener) {
                Ok((end, _)) => {
                    let accepted = UnixSocket::connected(end, Some(name), None);
                    accepted.set_passes_credentials(self.passes_credentials());
                    return Ok(accepted);
                }
                // Nothing is held at the server while we sleep: a signal ends the wait
                // (`EINTR`) or, under `SA_RESTART`, we look again.
                Err(Errno::EAGAIN) if !nonblocking => {
                    restart::interrupted_since(epoch)?;
                    restart::after_sleep(epoch, wake.sleep(0))?;
                }
                Err(error) => return Err(error),
            }
        }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        match self {
            State::Bound {
                alive, listener, ..
            } => {
                release(*alive);
                release(*listener);
            }
            State::Listening {
                alive,
                wake,
                listener,
                ..
            } => {
                release(*alive);
                release(*listener);
                release(wake.notification);
            }
            State::Unbound | State::Connected { .. } | State::Datagram(_) => {}
        }
    }
}

/// `path` joined to the working directory when relative.
fn absolute_path(path: &str) -> Result<alloc::string::String, Errno> {
    if path.starts_with('/') {
        return Ok(alloc::string::String::from(path));
    }
    let directory = crate::fs::getcwd(4096)?;
    let directory = core::str::from_utf8(&directory).map_err(|_| Errno::EINVAL)?;
    let directory = directory.trim_end_matches('\0').trim_end_matches('/');
    Ok(alloc::format!("{directory}/{path}"))
}

/// The datagram state of a socket not made by `socketpair` (made on first use).
fn datagram_state(state: &mut State) -> Option<&mut Datagram> {
    if matches!(state, State::Unbound) {
        *state = State::Datagram(Datagram::default());
    }
    match state {
        State::Datagram(datagram) => Some(datagram),
        _ => None,
    }
}

/// A datagram name just bound: the server is given a copy of our wake-up notification to
/// signal when a sender's connection is queued (`Listen`), and the name is kept.
fn datagram_listen(
    datagram: &mut Datagram,
    name: Vec<u8>,
    proof: [u64; 3],
    listener: Slot,
    alive: Slot,
) -> Result<(), Errno> {
    let bound = (|| {
        let wake = wake::new_source()?;
        let listened = wake::copy_of(wake.notification).and_then(|copy| {
            let result = request(
                listener,
                Operation::Listen,
                [0, DATAGRAM_SENDERS],
                None,
                Some(copy),
                None,
            );
            release(copy);
            result
        });
        match listened {
            Ok(_) => Ok(wake),
            Err(error) => {
                release(wake.notification);
                Err(error)
            }
        }
    })();
    match bound {
        Ok(wake) => {
            datagram.bound = Some(BoundName {
                name,
                proof,
                listener,
                alive,
                wake,
            });
            // Connections made before carried no name.
            datagram.forget_destinations();
            Ok(())
        }
        Err(error) => {
            // Releasing our channel end frees the name at the server.
            release(alive);
            release(listener);
            Err(error)
        }
    }
}

/// How many senders' connections may wait at the server for a datagram receiver to take them.
const DATAGRAM_SENDERS: u64 = 64;

/// Waits a little before trying again (a full queue at the server).
fn pause() {
    let word = 0u32;
    let _ = call(Call::FutexWait {
        address: exokernel_abi::UserAddress(core::ptr::from_ref(&word) as u64),
        expected: 0,
        timeout: wake::FOREIGN_RECHECK_NANOSECONDS,
        bitset: exokernel_abi::FUTEX_MATCH_ANY,
    });
}

/// A new channel: (ours, the one to send).
fn channel() -> Result<(Slot, Slot), Errno> {
    let first = slots::allocate().ok_or(Errno::EMFILE)?;
    let Some(second) = slots::allocate() else {
        slots::free(first);
        return Err(Errno::EMFILE);
    };
    if call(Call::ChannelCreate {
        quota: initial::MEMORY_QUOTA,
        first,
        second,
    })
    .is_err()
    {
        slots::free(first);
        slots::free(second);
        return Err(Errno::ENFILE);
    }
    Ok((first, second))
}

/// The peer's credentials in a `Connect` or `Accept` reply: the pid in word 1's high half (0
/// when the peer's badge names none), user and group in word 2 — the server's knowledge, from
/// the peer's badge and the process server, never the peer's LibOS.
fn credentials(words: [u64; 2]) -> Ucred {
    Ucred {
        pid: (words[0] >> 32) as u32 as i32,
        uid: (words[1] >> 32) as u32,
        gid: words[1] as u32,
    }
}

/// The connection number in word 1 of a `Connect` or `Accept` reply.
fn pending_number(words: [u64; 2]) -> u64 {
    words[0] & 0xffff_ffff
}

/// Connects: makes the connection's objects, queues it at the server with the acceptor's share,
/// and builds our end (index 0). `sender` is a bound datagram sender's proof of its name (its
/// number and secret), which the server checks before telling the receiver that address.
pub(super) fn connect_to(
    kind: SocketKind,
    word: u64,
    page: &[u8],
    sender: Option<[u64; 3]>,
) -> Result<SocketEnd, Errno> {
    if page.is_empty() || page.len() > NAME_MAXIMUM {
        return Err(Errno::EINVAL);
    }
    let frame = slots::allocate().ok_or(Errno::EMFILE)?;
    if call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: frame,
        pages: PageCount(FRAME_PAGES),
    })
    .is_err()
    {
        slots::free(frame);
        return Err(Errno::ENFILE);
    }
    let (ours, theirs) = match channel() {
        Ok(pair) => pair,
        Err(error) => {
            release(frame);
            return Err(error);
        }
    };
    let result = (|| {
        let proof: Vec<u8> = sender
            .into_iter()
            .flatten()
            .flat_map(u64::to_ne_bytes)
            .collect();
        let (type_word, writes) = match sender {
            Some(_) => (
                kind.type_value() as u64 | FROM_BOUND_NAME,
                [(0, page), (SENDER_PROOF_OFFSET, &proof[..])],
            ),
            None => (kind.type_value() as u64, [(0, page), (0, page)]),
        };
        let connected = request_in_page(
            SOCKET_SERVER,
            Operation::Connect,
            [word, type_word],
            &writes,
            Some(frame),
            None,
            None,
        )?;
        let pending = pending_number(connected.words);
        request(
            SOCKET_SERVER,
            Operation::ConnectGive,
            [pending, 1],
            None,
            Some(theirs),
            None,
        )?;
        let wake = wake::new_source()?;
        let copy = wake::copy_of(wake.notification);
        let peer_wake = copy.and_then(|copy| {
            let slot = slots::allocate().ok_or(Errno::EMFILE)?;
            let answer = request(
                SOCKET_SERVER,
                Operation::ConnectGive,
                [pending, 2],
                None,
                Some(copy),
                Some(slot),
            );
            release(copy);
            match answer {
                Ok(answer) if answer.capability => Ok(slot),
                Ok(_) => {
                    slots::free(slot);
                    Err(Errno::ECONNREFUSED)
                }
                Err(error) => {
                    slots::free(slot);
                    Err(error)
                }
            }
        });
        match peer_wake {
            Ok(peer_wake) => Ok((wake, peer_wake, credentials(connected.words))),
            Err(error) => {
                release(wake.notification);
                Err(error)
            }
        }
    })();
    release(theirs);
    match result {
        Ok((wake, peer_wake, peer)) => SocketEnd::adopt(
            kind,
            0,
            EndSlots {
                frame,
                channel_end: ours,
                wake,
                peer_wake,
            },
            peer,
        ),
        Err(error) => {
            release(frame);
            release(ours);
            Err(error)
        }
    }
}

/// Takes the next queued connection through `listener` and builds our end (index 1); for a
/// datagram name, with the sender's address as the server knows it (`sockaddr_un` bytes, the
/// family alone for an unbound sender).
pub(super) fn accept_from(kind: SocketKind, listener: Slot) -> Result<(SocketEnd, Vec<u8>), Errno> {
    let frame = slots::allocate().ok_or(Errno::EMFILE)?;
    let accepted = match request(listener, Operation::Accept, [0, 0], None, None, Some(frame)) {
        Ok(answer) if answer.capability => answer,
        Ok(_) => {
            slots::free(frame);
            return Err(Errno::EIO);
        }
        Err(error) => {
            slots::free(frame);
            return Err(error);
        }
    };
    let pending = pending_number(accepted.words);
    let mut parts = [Slot(0); 2];
    let mut sender = Vec::new();
    for (index, part) in [1u64, 2].into_iter().enumerate() {
        let slot = match slots::allocate() {
            Some(slot) => slot,
            None => {
                release(frame);
                for taken in &parts[..index] {
                    release(*taken);
                }
                return Err(Errno::EMFILE);
            }
        };
        match request(
            listener,
            Operation::AcceptTake,
            [pending, part],
            None,
            None,
            Some(slot),
        ) {
            Ok(answer) if answer.capability => parts[index] = slot,
            other => {
                slots::free(slot);
                release(frame);
                for taken in &parts[..index] {
                    release(*taken);
                }
                return Err(other.err().unwrap_or(Errno::EIO));
            }
        }
        if index == 0 && kind == SocketKind::Datagram {
            sender = match sender_address(pending) {
                Ok(address) => address,
                Err(error) => {
                    release(frame);
                    release(parts[0]);
                    return Err(error);
                }
            };
        }
    }
    let wake = match wake::new_source() {
        Ok(wake) => wake,
        Err(error) => {
            for slot in [frame, parts[0], parts[1]] {
                release(slot);
            }
            return Err(error);
        }
    };
    SocketEnd::adopt(
        kind,
        1,
        EndSlots {
            frame,
            channel_end: parts[0],
            wake,
            peer_wake: parts[1],
        },
        credentials(accepted.words),
    )
    .map(|end| (end, sender))
}

/// The sender's address of datagram connection `pending` (accepted, not yet taken whole), as the
/// server recorded it.
fn sender_address(pending: u64) -> Result<Vec<u8>, Errno> {
    let mut bytes = [0u8; NAME_MAXIMUM + 3];
    let answer = request_in_page(
        SOCKET_SERVER,
        Operation::SenderAddress,
        [pending, 0],
        &[],
        None,
        None,
        Some((0, &mut bytes)),
    )?;
    match usize::try_from(answer.words[0]) {
        Ok(0) => Ok(address_bytes(b"")),
        Ok(length) if length <= bytes.len() => Ok(bytes[..length].to_vec()),
        _ => Err(Errno::EIO),
    }
}

/// This process's attachment to the socket server: a page names travel in.
struct Attachment {
    connection: u64,
    frame: Slot,
    page: SharedWindow,
}

static ATTACHMENT: Mutex<Option<Attachment>> = Mutex::new(None);

/// A reply: words 1 and 2, and whether a capability came.
pub(crate) struct Answer {
    pub(crate) words: [u64; 2],
    pub(crate) capability: bool,
}

fn attach() -> Result<Attachment, Errno> {
    let frame = slots::allocate().ok_or(Errno::EMFILE)?;
    if call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: frame,
        pages: PageCount(1),
    })
    .is_err()
    {
        slots::free(frame);
        return Err(Errno::ENOMEM);
    }
    let Ok(page) = SharedWindow::map(frame, 1) else {
        release(frame);
        return Err(Errno::ENOMEM);
    };
    let words = match call(Call::IpcCall {
        endpoint: SOCKET_SERVER,
        word0: Operation::Attach as u64,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(Some(frame)),
        receive: OptionalSlot(None),
    }) {
        Ok(words) => words,
        Err(error) => {
            drop(page);
            release(frame);
            return Err(server_error(error));
        }
    };
    if words[1] != 0 {
        drop(page);
        release(frame);
        return Err(Errno::from_raw(words[1] as i32).unwrap_or(Errno::EIO));
    }
    Ok(Attachment {
        connection: words[2],
        frame,
        page,
    })
}

fn server_error(error: KernelError) -> Errno {
    match error {
        // No socket server was granted to this process.
        KernelError::EmptySlot | KernelError::WrongKind | KernelError::InvalidSlot => Errno::ENOSYS,
        KernelError::Interrupted => Errno::EINTR,
        _ => Errno::EIO,
    }
}

/// One call to the socket server through `endpoint` (ours, or a listener's capability); `name`
/// goes in the shared page first.
pub(crate) fn request(
    endpoint: Slot,
    operation: Operation,
    words: [u64; 2],
    name: Option<&[u8]>,
    transfer: Option<Slot>,
    receive: Option<Slot>,
) -> Result<Answer, Errno> {
    if name.is_some_and(|name| name.is_empty() || name.len() > NAME_MAXIMUM) {
        return Err(Errno::EINVAL);
    }
    let writes: &[(usize, &[u8])] = match name {
        Some(name) => &[(0, name)],
        None => &[],
    };
    request_in_page(endpoint, operation, words, writes, transfer, receive, None)
}

/// One call to the socket server with `writes` (offset, bytes) put in the shared page first and,
/// when the call succeeds, `read` (offset, buffer) taken from it after.
pub(crate) fn request_in_page(
    endpoint: Slot,
    operation: Operation,
    words: [u64; 2],
    writes: &[(usize, &[u8])],
    transfer: Option<Slot>,
    receive: Option<Slot>,
    read: Option<(usize, &mut [u8])>,
) -> Result<Answer, Errno> {
    let mut guard = ATTACHMENT.lock();
    if guard.is_none() {
        *guard = Some(attach()?);
    }
    let attachment = guard.as_ref().ok_or(Errno::EIO)?;
    for (offset, bytes) in writes {
        if !attachment.page.copy_in(*offset, bytes) {
            return Err(Errno::EINVAL);
        }
    }
    let result = loop {
        match call(Call::IpcCall {
            endpoint,
            word0: operation as u64 | attachment.connection << 8,
            word1: words[0],
            word2: words[1],
            transfer: OptionalSlot(transfer),
            receive: OptionalSlot(receive),
        }) {
            // Cut short by a signal while still queued (its handler has run): the server never
            // saw it, so sending it again is safe — and a connect or accept never stops
            // half-way through its steps, leaving a half-made connection at the server.
            Err(KernelError::Interrupted) => {}
            other => break other.map_err(server_error)?,
        }
    };
    if result[1] != 0 {
        // A capability sent along with a refused reply would sit in `receive`: none is.
        return Err(Errno::from_raw(result[1] as i32).unwrap_or(Errno::EIO));
    }
    if let Some((offset, buffer)) = read
        && !attachment.page.copy_out(offset, buffer)
    {
        return Err(Errno::EIO);
    }
    Ok(Answer {
        words: [result[2], result[3]],
        capability: result[0] != 0,
    })
}

/// `fork`'s child attaches afresh (the page is shared with the parent).
pub(crate) fn forget_after_fork() {
    if let Some(attachment) = ATTACHMENT.lock().take() {
        let Attachment { frame, page, .. } = attachment;
        drop(page);
        release(frame);
    }
}

/// A ticket as the 16 bytes the socket server reads from the page.
pub(super) fn ticket_bytes(ticket: [u64; 2]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(16);
    bytes.extend_from_slice(&ticket[0].to_ne_bytes());
    bytes.extend_from_slice(&ticket[1].to_ne_bytes());
    bytes
}

/// An AF_UNIX address: a name in the abstract namespace, or a file-system path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Address<'a> {
    /// The bytes after the leading NUL.
    Abstract(&'a [u8]),
    /// The path (up to its NUL).
    Path(&'a str),
}

impl Address<'_> {
    /// The `sockaddr_un` bytes `getsockname` answers (a path with its terminating NUL).
    #[must_use]
    pub fn to_bytes(self) -> Vec<u8> {
        match self {
            Self::Abstract(name) => address_bytes(name),
            Self::Path(path) => path_address_bytes(path),
        }
    }
}

/// A `sockaddr_un` as bytes: the family, then the path; for the abstract namespace, a NUL and
/// the name.
#[must_use]
pub fn address_bytes(name: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(3 + name.len());
    bytes.extend_from_slice(&(AF_UNIX as u16).to_ne_bytes());
    if !name.is_empty() {
        bytes.push(0);
        bytes.extend_from_slice(name);
    }
    bytes
}

/// A `sockaddr_un` naming a file-system path, as bytes: the family, the path and its NUL (the
/// length Linux's `getsockname` reports).
#[must_use]
pub fn path_address_bytes(path: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(3 + path.len());
    bytes.extend_from_slice(&(AF_UNIX as u16).to_ne_bytes());
    bytes.extend_from_slice(path.as_bytes());
    bytes.push(0);
    bytes
}

/// The address in a `sockaddr_un` given as bytes.
///
/// # Errors
/// `EINVAL` (too short, too long, an empty name, a path that is not UTF-8), `EAFNOSUPPORT`
/// (another family).
pub fn parse_address(address: &[u8]) -> Result<Address<'_>, Errno> {
    if address.len() < 2 {
        return Err(Errno::EINVAL);
    }
    if u16::from_ne_bytes([address[0], address[1]]) != AF_UNIX as u16 {
        return Err(Errno::EAFNOSUPPORT);
    }
    let path = &address[2..];
    if path.is_empty() || path.len() > NAME_MAXIMUM + 1 {
        return Err(Errno::EINVAL);
    }
    if path[0] == 0 {
        if path.len() == 1 {
            return Err(Errno::EINVAL);
        }
        return Ok(Address::Abstract(&path[1..]));
    }
    // A path ends at its first NUL (or the address's end, as Linux allows).
    let end = path
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(path.len());
    core::str::from_utf8(&path[..end])
        .map(Address::Path)
        .map_err(|_| Errno::EINVAL)
}
