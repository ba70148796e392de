//! A named AF_UNIX datagram socket (docs/sockets.md, "Named datagram sockets"): its bound name,
//! the connections senders made to it, the connections it made to the names it sends to, and
//! its default peer (`connect`).
//!
//! Datagrams travel on the same shared rings as a connection's messages. A sender connects once
//! per destination through the socket server (as a stream `connect` does) and keeps the
//! connection for the next datagram; a bound receiver takes the connections queued for its name
//! from the server (`Accept`) and reads from all of them, told each one's sender address by the
//! server, which checked it against the sender's bound name. So the server sees one round of
//! calls per sender and destination, never a datagram.

use alloc::sync::Arc;
use alloc::vec::Vec;

use exokernel_abi::Slot;
use libposix_sys::errno::Errno;
use libposix_sys::socket::Ucred;

use super::connection::{Received, SocketEnd, SocketKind};
use super::named::{Address, accept_from, address_bytes, connect_to, ticket_bytes};
use super::protocol::BY_TICKET;
use crate::event::readiness::{self, Status};
use crate::event::wake::{WakeSource, release};

/// Most destinations whose connection a socket keeps (the oldest goes beyond).
const MAXIMUM_DESTINATIONS: usize = 16;
/// Most senders' connections a receiver reads at once (each takes a shared window); more
/// senders wait at the server, their datagrams in their rings, until one of these closes.
const MAXIMUM_SENDERS: usize = 256;

/// A datagram socket's bound name.
pub(super) struct BoundName {
    /// The `sockaddr_un` bytes `getsockname` answers.
    pub(super) name: Vec<u8>,
    /// The name's number and secret at the server: a sender's proof of the name.
    pub(super) proof: [u64; 3],
    /// The listener capability the server minted for the name.
    pub(super) listener: Slot,
    /// Our channel end; the server watches the other (dropping ours frees the name).
    pub(super) alive: Slot,
    /// The notification the server signals when a sender's connection is queued.
    pub(super) wake: WakeSource,
}

impl Drop for BoundName {
    fn drop(&mut self) {
        release(self.alive);
        release(self.listener);
        release(self.wake.notification);
    }
}

/// A connection a sender made to our name, with the sender's address as the server gave it.
struct Incoming {
    end: Arc<SocketEnd>,
    from: Vec<u8>,
}

/// What a datagram receive gave: the message, its sender's address and credentials.
pub(crate) struct Delivered {
    pub(crate) received: Received,
    pub(crate) from: Vec<u8>,
    pub(crate) credentials: Ucred,
}

/// The state of a datagram socket that bound a name, sent to one or connected.
#[derive(Default)]
pub(super) struct Datagram {
    pub(super) bound: Option<BoundName>,
    incoming: Vec<Incoming>,
    /// Connections to destinations, by their `sockaddr_un` bytes, oldest first.
    outgoing: Vec<(Vec<u8>, Arc<SocketEnd>)>,
    /// The default peer (`connect`): sends without an address go there, and only its
    /// datagrams are received.
    pub(super) peer: Option<Vec<u8>>,
    /// Where the next receive starts looking, so no sender starves the others.
    next: usize,
}

impl Datagram {
    /// The connection to `address`, made (or made again, when the receiver went) if needed.
    ///
    /// # Errors
    /// The lookup's: `ECONNREFUSED` (nothing bound, or the name's socket closed), `EPROTOTYPE`,
    /// `EAGAIN` (the receiver's queue of senders is full); for a path the file server's
    /// (`ENOENT`, `EACCES`, ...).
    pub(super) fn destination(
        &mut self,
        address: Address<'_>,
        fresh: bool,
    ) -> Result<Arc<SocketEnd>, Errno> {
        let key = address.to_bytes();
        if let Some(index) = self.outgoing.iter().position(|(known, _)| *known == key) {
            if !fresh && !self.outgoing[index].1.closed_by_peer_now() {
                return Ok(self.outgoing[index].1.clone());
            }
            self.outgoing.remove(index);
        }
        let (word, page) = match address {
            Address::Abstract(name) => (name.len() as u64, name.to_vec()),
            Address::Path(path) => (
                BY_TICKET,
                ticket_bytes(crate::fs::socket_ticket_for_connect(path)?),
            ),
        };
        let sender = self.bound.as_ref().map(|bound| bound.proof);
        let end = Arc::new(connect_to(SocketKind::Datagram, word, &page, sender)?);
        if self.outgoing.len() >= MAXIMUM_DESTINATIONS {
            self.outgoing.remove(0);
        }
        self.outgoing.push((key, end.clone()));
        Ok(end)
    }

    /// Forgets the connections made so far (a `bind` changes the address they report).
    pub(super) fn forget_destinations(&mut self) {
        self.outgoing.clear();
    }

    /// Takes the connections senders queued for our name (one server call when none is).
    fn take_new_senders(&mut self) -> Result<(), Errno> {
        let Some(bound) = &self.bound else {
            return Ok(());
        };
        while self.incoming.len() < MAXIMUM_SENDERS {
            match accept_from(SocketKind::Datagram, bound.listener) {
                Ok((end, from)) => self.incoming.push(Incoming {
                    end: Arc::new(end),
                    from,
                }),
                Err(Errno::EAGAIN) => return Ok(()),
                // Out of slots or windows: the senders we have still count.
                Err(_) if !self.incoming.is_empty() => return Ok(()),
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }

    /// The next datagram from any sender (from the default peer only, when there is one;
    /// others' are dropped as they come), without waiting: `None` when there is none.
    fn take_message(&mut self, buffer: &mut [u8], peek: bool) -> Result<Option<Delivered>, Errno> {
        let mut index = 0;
        while index < self.incoming.len() {
            let position = (self.next + index) % self.incoming.len();
            let incoming = &self.incoming[position];
            if !incoming.end.has_message() {
                if incoming.end.closed_by_peer() && !incoming.end.has_message() {
                    // The sender closed its socket (or went) and everything it sent is read.
                    self.incoming.remove(position);
                    continue;
                }
                index += 1;
                continue;
            }
            if self
                .peer
                .as_ref()
                .is_some_and(|peer| *peer != incoming.from)
            {
                // `connect` narrows what is received to the peer's datagrams, as on Linux.
                let dropped = incoming.end.receive(&mut [], true, false, false)?;
                super::rights::discard(&dropped.passed);
                continue;
            }
            let received = incoming.end.receive(buffer, true, peek, false)?;
            let delivered = Delivered {
                received,
                from: incoming.from.clone(),
                credentials: incoming.end.peer_credentials(),
            };
            // A peek leaves the datagram first in line for the next receive.
            self.next = if peek { position } else { position + 1 };
            return Ok(Some(delivered));
        }
        Ok(None)
    }

    /// One look for a datagram: takes new senders first when nothing is waiting.
    ///
    /// # Errors
    /// The server's (accepting), `EIO`.
    pub(super) fn look(
        &mut self,
        buffer: &mut [u8],
        peek: bool,
    ) -> Result<Option<Delivered>, Errno> {
        if let Some(delivered) = self.take_message(buffer, peek)? {
            return Ok(Some(delivered));
        }
        self.take_new_senders()?;
        self.take_message(buffer, peek)
    }

    /// Registers a waiting receiver in every sender's ring; answers what to sleep on (`None`:
    /// nothing can ever arrive, the socket has no name).
    pub(super) fn register(&self) -> Option<WakeSource> {
        for incoming in &self.incoming {
            let _ = incoming.end.register(readiness::IN);
        }
        self.bound.as_ref().map(|bound| bound.wake)
    }

    /// The readiness `poll` and `epoll` see: readable with a datagram waiting (or a sender's
    /// connection queued at the server: one call), writable always.
    pub(super) fn status(&self) -> Status {
        let mut events = readiness::OUT;
        let mut activity = 0u64;
        for incoming in &self.incoming {
            activity = activity.wrapping_add(incoming.end.status().activity);
            if incoming.end.has_message() {
                events |= readiness::IN;
            }
        }
        if events & readiness::IN == 0
            && let Some(bound) = &self.bound
        {
            let waiting = super::named::request(
                bound.listener,
                super::protocol::Operation::Pending,
                [0, 0],
                None,
                None,
                None,
            )
            .map_or(0, |answer| answer.words[0]);
            if waiting > 0 {
                events |= readiness::IN;
                activity = activity.wrapping_add(waiting);
            }
        }
        Status { events, activity }
    }

    /// `getsockname`.
    pub(super) fn local_name(&self) -> Vec<u8> {
        self.bound
            .as_ref()
            .map_or_else(|| address_bytes(b""), |bound| bound.name.clone())
    }
}
