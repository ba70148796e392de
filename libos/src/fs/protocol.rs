//! The file server's protocol: operations, the shared buffer, and the slot conventions.
//!
//! A client connects once by sending a frame of [`BUFFER_PAGES`] pages with `CONNECT`; the
//! server maps it and answers a connection number. Every later call names the connection in
//! word 0 (`operation | connection << 8`), and the server checks that the caller's badge is the
//! one that connected: the badge, minted by whoever started the client (`init`), carries the
//! client's credentials, so a process cannot act as another user whatever its LibOS does.
//! Paths and data travel in the buffer; the reply's word 0 is a result (≥ 0) or `-errno`.

use exokernel_abi::Slot;

/// Where a client finds its (badged, SEND) capability to the file server, and where the server
/// finds its (RECEIVE) endpoint. Slots 6–15 are never handed out by the slot allocator; slot 6
/// is the process server's (`libos::process::identity::PROCESS_SERVER`), 15 fork's.
pub const FILE_SERVER_SLOT: Slot = crate::well_known_slots::FILE_SERVER;
/// Where `init` also grants a capability badged for [`UNPRIVILEGED_USER`], so that programs
/// (the conformance checks) can act as another user until a process server hands out
/// credentials (issue 8).
pub const UNPRIVILEGED_FILE_SERVER_SLOT: Slot = crate::well_known_slots::UNPRIVILEGED_FILE_SERVER;
/// The user and group id of that capability.
pub const UNPRIVILEGED_USER: u32 = 1000;

/// Where the server receives a client's buffer frame (in the server's own space).
pub const SERVER_RECEIVE_SLOT: Slot = crate::well_known_slots::UNPRIVILEGED_FILE_SERVER;
/// The server's notification, bound to its endpoint, that the clients' channels signal.
pub const SERVER_NOTIFICATION_SLOT: Slot = crate::well_known_slots::FILE_SERVER_NOTIFICATION;

/// Pages of a connection's buffer.
pub const BUFFER_PAGES: u64 = 2;
/// Most bytes of data one read or write call moves.
pub const MAXIMUM_TRANSFER: usize = 4096;
/// Where a path starts in the buffer (NUL-terminated, at most 4096 bytes with the NUL).
pub const PATH_OFFSET: usize = 0;
/// Where data (and `stat` results) start in the buffer.
pub const DATA_OFFSET: usize = 4096;

/// The badge bit that marks a credentials badge (so root's is not 0, which means unbadged).
pub const BADGE_MARK: u64 = 1 << 63;

/// The badge of the socket server's capability to the file server, which `init` mints: the only
/// one that may redeem socket tickets. Credentials badges all carry [`BADGE_MARK`], so no
/// process's badge can equal it.
pub const SOCKET_AUTHORITY_BADGE: u64 = 1;

/// A ticket's purpose (in `RedeemSocketTicket`'s word 0): binding the node just made.
pub const TICKET_FOR_BIND: u64 = 1;
/// A ticket's purpose: connecting to the node, write permission checked.
pub const TICKET_FOR_CONNECT: u64 = 2;

/// The badge for `user` and `group`.
#[must_use]
pub fn badge_for(user: u32, group: u32) -> u64 {
    BADGE_MARK | (u64::from(user) << 32) | u64::from(group)
}

/// The operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Operation {
    /// Transfers the buffer frame; answers the connection number.
    Connect = 1,
    /// Path in the buffer; word 1 `flags | mode << 32`, word 2 the directory handle + 1 for a
    /// relative start (0: the root). Answers the handle; word 1 the size.
    Open = 2,
    /// Word 1 `handle | length << 32`, word 2 the offset; data comes back in the buffer.
    Read = 3,
    /// Word 1 `handle | length << 32`, word 2 the offset (ignored with `O_APPEND`: the end);
    /// data in the buffer. Answers the count; word 1 the offset after the write.
    Write = 4,
    /// Word 1 the handle; a [`StatusWords`] comes back in the buffer.
    Status = 5,
    /// Word 1 the handle.
    Close = 6,
    /// Path in the buffer; word 1 the mode; word 2 the directory handle + 1 (0: the root).
    MakeDirectory = 7,
    /// Path in the buffer; word 1 1 for `rmdir`, 0 for `unlink`; word 2 as for `Open`.
    Remove = 8,
    /// Word 1 the handle, word 2 the index of the first entry; entries come back in the buffer
    /// as `linux_dirent64` records. Answers the bytes written; word 1 the next index.
    Entries = 9,
    /// Word 1 the handle (open for writing), word 2 the new size.
    Truncate = 10,
    /// Path in the buffer, the target NUL-terminated at [`DATA_OFFSET`]; word 2 as for `Open`.
    MakeSymlink = 11,
    /// Path in the buffer; word 2 as for `Open`. Answers the target's length; the target comes
    /// back at [`DATA_OFFSET`].
    ReadLink = 12,
    /// Word 1 the mode; word 2 a handle + 1 when [`BY_HANDLE`] is set in word 1's high half,
    /// else the start for the path in the buffer (as for `Open`).
    ChangeMode = 13,
    /// The existing path in the buffer, the new one NUL-terminated at [`DATA_OFFSET`]; word 1
    /// `follow | new start << 8` (follow: 1 to follow a final link of the existing path), word 2
    /// the existing path's start.
    Link = 14,
    /// Path in the buffer; word 1 `mode | follow << 8`; word 2 as for `Open`.
    Access = 15,
    /// Transfers a channel end whose peer the client keeps: when every capability to the
    /// client's end is gone (it exited, crashed or was killed) the server closes the connection
    /// and its handles.
    Attach = 16,
    /// Answers how many connections are open (for tests of the clean-up).
    ConnectionCount = 17,
    /// Word 1 `handle | piece << 32` (piece 0: the file's header page; `k + 1`: data segment
    /// `k`), word 2 [`GROW`] to allocate a missing segment (a handle open for writing only), or
    /// [`READING`] when the header is mapped for a read (stamps `st_atime`).
    /// Answers 0 with a capability to the piece's frame — read-only unless the handle is open
    /// for writing — and word 1 the number of segments the file has. `ENXIO`: no such segment
    /// (a hole: it reads as zeros); `ENODATA`: a file of the boot image opened only for reading
    /// (read it with `Read`); `EFBIG`: past [`FILE_SIZE_LIMIT`].
    MapFile = 18,
    /// The old path in the buffer, the new one NUL-terminated at [`DATA_OFFSET`]; word 1
    /// `flags | new start << 8` (`RENAME_NOREPLACE`, `RENAME_EXCHANGE`), word 2 the old path's
    /// start.
    Rename = 19,
    /// `utimensat`/`futimens`: four words at [`DATA_OFFSET`] (access seconds and nanoseconds,
    /// modification seconds and nanoseconds; `UTIME_NOW`/`UTIME_OMIT` in a nanoseconds word);
    /// word 1 `follow | BY_HANDLE`; word 2 a handle + 1 with [`BY_HANDLE`], else the start for
    /// the path in the buffer.
    SetTimes = 20,
    /// `fchownat`/`fchown`: word 1 `user | group << 32` (`u32::MAX`: unchanged); word 2
    /// `start | follow << 40 | by handle << 41` (with by handle, start is the handle + 1).
    ChangeOwner = 21,
    /// `stat` by path in one call: path in the buffer; word 1 `follow`; word 2 the start. A
    /// [`StatusWords`] comes back at [`DATA_OFFSET`].
    PathStatus = 22,
    /// `statfs`: answers 0; word 1 the pages the server's memory quota has left (where files
    /// grow), word 2 `nodes in use | quota pages at start << 32`.
    FileSystemStatus = 23,
    /// `bind` of an AF_UNIX socket to a path: path in the buffer; word 1 the mode (the caller's
    /// `umask` applied); word 2 as for `Open`. Makes an `S_IFSOCK` node (`EEXIST` when the name
    /// exists) and answers 0 with a bind ticket in words 1 and 2 for the socket server
    /// ([`RedeemSocketTicket`](Self::RedeemSocketTicket)).
    MakeSocket = 24,
    /// `connect` to a socket path: path in the buffer; word 2 as for `Open`. Resolves it for the
    /// caller's credentials and checks write permission on the socket node (`ENOENT`, `EACCES`,
    /// `ECONNREFUSED` for a node that is not a socket); answers 0 with a connect ticket in words
    /// 1 and 2.
    SocketTicket = 25,
    /// Only through the capability badged [`SOCKET_AUTHORITY_BADGE`] (the socket server's):
    /// words 1 and 2 a ticket, word 0's connection field the purpose it must have been issued
    /// for ([`TICKET_FOR_BIND`] or [`TICKET_FOR_CONNECT`]). Answers the node's number and uses
    /// the ticket up; `ENOENT` for an unknown or spent ticket, `EPERM` for another caller.
    RedeemSocketTicket = 26,
    /// Word 1 a handle of the calling connection, word 2 another connection of the same
    /// credentials (the caller's badge): answers a new handle there naming the same file with the
    /// same access (how descriptors reach a child or a forked copy: `libos::io::inheritance`).
    Duplicate = 40,
    /// `mount -t tmpfs`: a fresh in-memory file system on the directory the path in the buffer
    /// names (word 2 its start); the mount point's name for the table NUL-terminated at
    /// [`DATA_OFFSET`]. Answers the file system's number. `EPERM` unless the caller's effective
    /// user id is 0 (its badge's), `EBUSY`, `ENOTDIR`.
    Mount = 44,
    /// `umount`: the file system mounted at the path in the buffer (word 2 its start). `EPERM`,
    /// `EINVAL` (not a mount point), `EBUSY` (a file of it is open).
    Unmount = 45,
    /// The mount table: word 1 an index. Answers the number of mounts; word 1 the file system
    /// number of the mount at that index, whose mount point comes back NUL-terminated at
    /// [`DATA_OFFSET`] (nothing past the end).
    MountTable = 46,
    /// `mkfifoat`: path in the buffer; word 1 the mode (the caller's `umask` applied); word 2 as
    /// for `Open`. Makes an `S_IFIFO` node (`EEXIST` when the name exists).
    MakeFifo = 50,
    /// A piece of a FIFO opening (an `Open` of a FIFO node answered [`FIFO_OPENED`]): word 1
    /// `handle | piece << 32` (a [`fifo_piece`]), word 2 [`FIFO_LAST_PIECE`] to close the handle
    /// after this answer. Answers 0 with a capability: the ring's frame, an end derived from
    /// the handle's side (each end once, and only the sides the handle was opened for), or one
    /// of the two notifications. `EBADF` for a handle that is not a FIFO opening, `EINVAL` for
    /// an unknown piece, `ENOENT` for an end already taken or not the handle's.
    FifoPiece = 51,
}

/// In `Open`'s word 2 of the answer: the node is a FIFO and the handle a FIFO opening (fetch its
/// pieces with [`Operation::FifoPiece`]); the low 31 bits are how many opens for reading the
/// FIFO had counted (this one included), bit 31 [`FIFO_PARTNER_PRESENT`], bits 32–62 opens for
/// writing. The node's
/// [`StatusWords`] come back at [`DATA_OFFSET`].
pub const FIFO_OPENED: u64 = 1 << 63;
/// The counters' width in [`FIFO_OPENED`]'s answer.
pub const FIFO_COUNT_MASK: u64 = 0x7fff_ffff;
/// In a [`FIFO_OPENED`] answer: the other side had an end when this open was counted (a
/// blocking open need not wait, even if that end goes before the client looks).
pub const FIFO_PARTNER_PRESENT: u64 = 1 << 31;

/// In `FifoPiece`'s word 2: close the handle after this piece.
pub const FIFO_LAST_PIECE: u64 = 1;

/// The pieces of a FIFO opening.
pub mod fifo_piece {
    /// The ring's frame.
    pub const FRAME: u32 = 0;
    /// An end of the read side (a handle opened for reading).
    pub const READ_END: u32 = 1;
    /// An end of the write side (a handle opened for writing).
    pub const WRITE_END: u32 = 2;
    /// The notification readers sleep on.
    pub const READER_NOTIFICATION: u32 = 3;
    /// The notification writers sleep on.
    pub const WRITER_NOTIFICATION: u32 = 4;
}

/// In `Access`'s word 1: word 2 is a handle + 1 naming the file itself (`AT_EMPTY_PATH`).
pub const ACCESS_BY_HANDLE: u64 = 1 << 9;

/// In `ChangeOwner`'s word 2: follow a final symbolic link.
pub const OWNER_FOLLOW: u64 = 1 << 40;
/// In `ChangeOwner`'s word 2: the start is a handle + 1 naming the file itself.
pub const OWNER_BY_HANDLE: u64 = 1 << 41;

/// In `MapFile`'s word 2: allocate the segment if the file has none there.
pub const GROW: u64 = 1;
/// In `MapFile`'s word 2 for the header: the mapping is for a read (stamps `st_atime`).
pub const READING: u64 = 2;

/// The largest file (the tree lives in the server's memory).
pub const FILE_SIZE_LIMIT: u64 = 16 * 1024 * 1024;

/// Words of a file's header page.
pub mod header_index {
    /// The file's size in bytes: writers raise it with an atomic maximum after copying, the
    /// server sets it on truncation. Untrusted by readers beyond the size limit.
    pub const SIZE: usize = 0;
    /// When a writer through mapped frames last changed the bytes (nanoseconds since the
    /// epoch; 0: none since the server last set the times). Untrusted: the server never
    /// reports it later than its own clock.
    pub const MODIFIED: usize = 1;
}

/// In `ChangeMode`'s word 1 (bit 32): word 2 names a handle, not a path.
pub const BY_HANDLE: u64 = 1 << 32;

impl Operation {
    /// Decodes word 0's low byte.
    #[must_use]
    pub fn from_word(word: u64) -> Option<Self> {
        Some(match word & 0xff {
            1 => Self::Connect,
            2 => Self::Open,
            3 => Self::Read,
            4 => Self::Write,
            5 => Self::Status,
            6 => Self::Close,
            7 => Self::MakeDirectory,
            8 => Self::Remove,
            9 => Self::Entries,
            10 => Self::Truncate,
            11 => Self::MakeSymlink,
            12 => Self::ReadLink,
            13 => Self::ChangeMode,
            14 => Self::Link,
            15 => Self::Access,
            16 => Self::Attach,
            17 => Self::ConnectionCount,
            18 => Self::MapFile,
            19 => Self::Rename,
            20 => Self::SetTimes,
            21 => Self::ChangeOwner,
            22 => Self::PathStatus,
            23 => Self::FileSystemStatus,
            24 => Self::MakeSocket,
            25 => Self::SocketTicket,
            26 => Self::RedeemSocketTicket,
            40 => Self::Duplicate,
            44 => Self::Mount,
            45 => Self::Unmount,
            46 => Self::MountTable,
            50 => Self::MakeFifo,
            51 => Self::FifoPiece,
            _ => return None,
        })
    }
}

/// `stat` as the server reports it: fourteen words at [`DATA_OFFSET`].
pub type StatusWords = [u64; 14];
/// Indices into [`StatusWords`].
pub mod status_index {
    /// Inode number.
    pub const NUMBER: usize = 0;
    /// Mode.
    pub const MODE: usize = 1;
    /// Links.
    pub const LINKS: usize = 2;
    /// Owner.
    pub const USER: usize = 3;
    /// Group.
    pub const GROUP: usize = 4;
    /// Size.
    pub const SIZE: usize = 5;
    /// 512-byte blocks.
    pub const BLOCKS: usize = 6;
    /// Device number of the file system.
    pub const DEVICE: usize = 7;
    /// Last access: seconds, then nanoseconds.
    pub const ACCESSED: usize = 8;
    /// Last modification: seconds, then nanoseconds.
    pub const MODIFIED: usize = 10;
    /// Last status change: seconds, then nanoseconds.
    pub const CHANGED: usize = 12;
}
