//! The socket server's protocol (docs/sockets.md, "Named sockets"): the slots, the operations
//! and the layout of a client's shared page.
//!
//! A call is `IpcCall(endpoint, word0 = operation | connection << 8, word1, word2)` with at most
//! one capability; the reply's word 0 is 0 or a positive Linux errno. A client first sends
//! [`Operation::Attach`] with a one-page frame the server maps: names travel in it. The caller is
//! known only by the badge of its endpoint capability, minted by `init` with its credentials
//! (`libos::fs::protocol::badge_for`), so the credentials `SO_PEERCRED` reports cannot be forged
//! by a LibOS.

use exokernel_abi::Slot;

/// A client's badged SEND capability to the socket server; in the server's own space, its
/// RECEIVE endpoint.
pub const SOCKET_SERVER: Slot = crate::well_known_slots::SOCKET_SERVER;
/// The capability badged for the unprivileged test user (user and group 1000).
pub const UNPRIVILEGED_SOCKET_SERVER: Slot = crate::well_known_slots::UNPRIVILEGED_SOCKET_SERVER;
/// In the server's space: where capabilities sent to it arrive.
pub const SERVER_RECEIVE_SLOT: Slot = Slot(13);
/// In the server's space: the notification bound to its endpoint (client channels signal it).
pub const SERVER_NOTIFICATION_SLOT: Slot = Slot(14);

/// The badge bit of a listener's capability: `Bind` answers with a SEND capability minted with
/// `LISTENER_MARK | name number`, and `Listen`, `Accept`, `Pending` and `Close` go through it,
/// so only holders of the bound socket (its process, and children that inherited it) can act on
/// the name — not another process that guessed its number.
pub const LISTENER_MARK: u64 = 1 << 62;

/// In `Bind`'s and `Connect`'s word 1: the page holds a 16-byte ticket from the file server
/// (`fs::protocol::Operation::MakeSocket`/`SocketTicket`) instead of an abstract name; the
/// server redeems it with the file server, which answers the socket node's number.
pub const BY_TICKET: u64 = 1 << 63;

/// The badge bit of a process's own capability, which the process server mints as
/// `SOCKET_PROCESS_MARK | pid` (`process::protocol::SOCKET_SERVICE`): the socket server learns
/// the caller's pid from it and its current ids from the process server (`PEER_IDENTITY`).
/// Credentials badges (`fs::protocol::badge_for`, bit 63: the unprivileged test capability,
/// or root's when there is no process server) name no pid.
pub const SOCKET_PROCESS_MARK: u64 = 1 << 61;

/// Whether this process's socket-server capability is one the process server minted for it
/// (so a child gets its own, not a copy: `fork`, `spawn`).
#[must_use]
pub fn minted_for_process() -> bool {
    crate::kernel::call(exokernel_abi::Call::CapabilityIdentify {
        slot: SOCKET_SERVER,
    })
    .is_ok_and(|words| words[2] & (SOCKET_PROCESS_MARK | LISTENER_MARK) == SOCKET_PROCESS_MARK)
}

/// The most bytes of a name (`sun_path` less the abstract namespace's leading NUL).
pub const NAME_MAXIMUM: usize = 107;

/// Named datagrams, in `Connect`'s word 2 beside the socket type: the sender is bound and
/// proves it with its name's number and secret at [`SENDER_PROOF_OFFSET`] in the page; the
/// receiver then learns the sender's address from the server ([`Operation::SenderAddress`]).
pub const FROM_BOUND_NAME: u64 = 1 << 32;

/// Where a datagram sender's proof of its bound name goes in the page: the name's number and
/// the 128-bit secret `Bind` wrote there for a datagram name (three words). The secret lives
/// only in the bound socket's process (and children that inherited it), so nobody else can
/// make the server report that name as a sender.
pub const SENDER_PROOF_OFFSET: usize = 2048;

/// Where a datagram socket's `Bind` to a path puts the path as given (its length in a word,
/// then the bytes), after the ticket at the page's start: the address a receiver is told.
pub const BIND_PATH_OFFSET: usize = 256;

/// The operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Operation {
    /// Capability: a one-page frame. Answers the connection number (word 1).
    Attach = 1,
    /// Word 1 the name's length (the name in the page) or [`BY_TICKET`], word 2 the socket type;
    /// capability: a channel end whose other end the bound socket holds (the name goes when it does).
    /// Answers the name's number, with the listener's capability (see [`LISTENER_MARK`]).
    Bind = 2,
    /// Word 1 the name's number, word 2 the backlog; capability: a notification the server
    /// signals when a connection is queued.
    Listen = 3,
    /// Word 1 the name's length (in the page) or [`BY_TICKET`], word 2 the socket type;
    /// capability: the new connection's frame. Answers the pending connection's number and the listener's
    /// credentials (word 2).
    Connect = 4,
    /// Word 1 the pending number, word 2 the part (1 the acceptor's channel end, 2 the
    /// connector's wake-up notification, which completes it; the reply then carries the
    /// listener's notification).
    ConnectGive = 5,
    /// Word 1 the name's number. Answers the next complete connection's number and the
    /// connector's credentials, with the connection's frame.
    Accept = 6,
    /// Word 1 the pending number, word 2 the part (1 the channel end, 2 the connector's
    /// notification, which removes it).
    AcceptTake = 7,
    /// Word 1 the name's number: answers how many complete connections wait (word 1).
    Pending = 8,
    /// Word 1 the name's number: the name is released.
    Close = 9,
    /// Words 1 and 2 a ticket (`SCM_RIGHTS`: a random value the sender also writes in the
    /// connection's shared page, which only the two sides can read); capability: one of the
    /// passed descriptors' capabilities, appended to the ticket's list.
    Deposit = 10,
    /// Words 1 and 2 a ticket: answers the oldest capability deposited under it (the ticket
    /// goes with its last one); `ENOENT` for an unknown ticket.
    Collect = 11,
    /// `SCM_CREDENTIALS`: words 1 and 2 a ticket, the page the claimed `struct ucred` (pid, user,
    /// group: 12 bytes). The server checks the claim against what it knows of the caller — its
    /// own pid, a user id among its effective and real ones, a group likewise; root may claim
    /// any — and keeps it under the ticket (`EPERM` otherwise, `ENOBUFS` when full).
    Vouch = 12,
    /// Words 1 and 2 a ticket: answers the credentials vouched under it (word 1 the pid, word 2
    /// `user << 32 | group`) and forgets them; `ENOENT` for an unknown ticket.
    CollectCredentials = 13,
    /// Named datagrams: word 1 a connection the caller accepted (after `AcceptTake` part 1,
    /// before part 2). The server writes the sender's bound address — as the server recorded it
    /// at the sender's `Bind`, never as the sender's LibOS tells it — at the page's start and
    /// answers its length (word 1; 0 when the sender is unbound).
    SenderAddress = 20,
}

impl Operation {
    /// Decodes word 0's low byte.
    #[must_use]
    pub fn from_word(word: u64) -> Option<Self> {
        Some(match word & 0xff {
            1 => Self::Attach,
            2 => Self::Bind,
            3 => Self::Listen,
            4 => Self::Connect,
            5 => Self::ConnectGive,
            6 => Self::Accept,
            7 => Self::AcceptTake,
            8 => Self::Pending,
            9 => Self::Close,
            10 => Self::Deposit,
            11 => Self::Collect,
            12 => Self::Vouch,
            13 => Self::CollectCredentials,
            20 => Self::SenderAddress,
            _ => return None,
        })
    }
}

/// Credentials packed in one word, `user << 32 | group`: the badge without its mark.
#[must_use]
pub fn credentials_word(badge: u64) -> u64 {
    badge & !crate::fs::protocol::BADGE_MARK
}
