//! The client of the file server: one connection per process (a buffer frame shared with the
//! server), one IPC per request. Names, metadata and the frames of open files travel this way;
//! file data itself is copied on mapped frames (`server_file`), and moves through the buffer
//! ([`MAXIMUM_TRANSFER`] bytes a call) only for files that cannot be mapped.

use exokernel_abi::{Call, KernelError, OptionalSlot, PageCount, Slot, initial};
use libposix_sys::errno::Errno;
use spin::Mutex;

use super::protocol::{
    BUFFER_PAGES, BY_HANDLE, DATA_OFFSET, FIFO_COUNT_MASK, FIFO_LAST_PIECE, FIFO_OPENED,
    FIFO_PARTNER_PRESENT, FILE_SERVER_SLOT, MAXIMUM_TRANSFER, Operation, PATH_OFFSET, StatusWords,
};
use crate::kernel::call;
use crate::shared_window::SharedWindow;
use crate::slots;

struct Connection {
    number: u64,
    window: SharedWindow,
    frame: Slot,
    /// Our end of the channel whose far end the server watches.
    channel: Slot,
}

/// A connection's number and capabilities, as handed to a new image or a new process
/// (`crate::io::inheritance`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionParts {
    /// The server's number for it.
    pub number: u64,
    /// The buffer frame.
    pub frame: Slot,
    /// The client's end of the channel the server watches.
    pub channel: Slot,
}

static CONNECTION: Mutex<Option<Connection>> = Mutex::new(None);

fn kernel_errno(error: KernelError) -> Errno {
    match error {
        // No file server was granted to this process: the shared file system is not there.
        KernelError::EmptySlot | KernelError::WrongKind => Errno::ENOENT,
        KernelError::Interrupted => Errno::EINTR,
        _ => Errno::EIO,
    }
}

fn release_slot(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// Opens a connection paid from `quota`: a buffer frame sent with `CONNECT`, and a channel whose
/// far end the server watches. Nothing is mapped here.
fn open_connection(quota: Slot) -> Result<ConnectionParts, Errno> {
    let frame = slots::allocate().ok_or(Errno::EMFILE)?;
    if let Err(error) = call(Call::FrameAllocate {
        quota,
        destination: frame,
        pages: PageCount(BUFFER_PAGES),
    }) {
        slots::free(frame);
        return Err(if error == KernelError::QuotaExhausted {
            Errno::ENOMEM
        } else {
            Errno::EIO
        });
    }
    let words = call(Call::IpcCall {
        endpoint: FILE_SERVER_SLOT,
        word0: Operation::Connect as u64,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(Some(frame)),
        receive: OptionalSlot(None),
    });
    let connected = words
        .map_err(kernel_errno)
        .and_then(|words| decode(words[1]))
        .and_then(|number| Ok((number, attach(quota, number)?)));
    match connected {
        Ok((number, channel)) => Ok(ConnectionParts {
            number,
            frame,
            channel,
        }),
        Err(error) => {
            release_slot(frame);
            Err(error)
        }
    }
}

fn connect() -> Result<Connection, Errno> {
    let parts = open_connection(initial::MEMORY_QUOTA)?;
    adopt(parts)
}

fn adopt(parts: ConnectionParts) -> Result<Connection, Errno> {
    match SharedWindow::map(parts.frame, BUFFER_PAGES) {
        Ok(window) => Ok(Connection {
            number: parts.number,
            window,
            frame: parts.frame,
            channel: parts.channel,
        }),
        Err(_) => {
            release_slot(parts.frame);
            release_slot(parts.channel);
            Err(Errno::ENOMEM)
        }
    }
}

/// This process's connection, if it made one (for `execve` to keep it).
#[must_use]
pub fn connection_parts() -> Option<ConnectionParts> {
    CONNECTION
        .lock()
        .as_ref()
        .map(|connection| ConnectionParts {
            number: connection.number,
            frame: connection.frame,
            channel: connection.channel,
        })
}

/// Takes over a connection whose capabilities sit in `parts`' slots (a new image after
/// `execve`, a child after `spawn` or `fork`), replacing any connection this process's memory
/// names. The slots must already be marked used. A connection memory named but `parts` does not
/// (a forked child's copy of its parent's) has its window unmapped and our copies of its
/// capabilities deleted, so the server closes it when its owner goes.
///
/// # Errors
/// `ENOMEM` when no window is free (the capabilities are then deleted).
pub fn adopt_connection(parts: ConnectionParts) -> Result<(), Errno> {
    let mut guard = CONNECTION.lock();
    if let Some(old) = guard.take() {
        let (frame, channel) = (old.frame, old.channel);
        drop(old);
        if frame != parts.frame {
            release_slot(frame);
        }
        if channel != parts.channel {
            release_slot(channel);
        }
    }
    *guard = Some(adopt(parts)?);
    Ok(())
}

/// Forgets the connection without closing it (a forked child whose parent made it no new one:
/// the window is unmapped and our copies of its capabilities deleted).
pub fn forget_connection() {
    if let Some(old) = CONNECTION.lock().take() {
        let (frame, channel) = (old.frame, old.channel);
        drop(old);
        release_slot(frame);
        release_slot(channel);
    }
}

/// Opens a connection for another process, paid from its `quota` and not mapped here: the
/// caller grants (or copies) its frame and channel to that process and then deletes its own
/// capabilities with [`release_parts`].
///
/// # Errors
/// As [`open`]: `ENOENT` without a file server, `EMFILE`, `ENOMEM`, `EIO`.
pub fn connection_for_child(quota: Slot) -> Result<ConnectionParts, Errno> {
    open_connection(quota)
}

/// Deletes our capabilities of a connection made for another process.
pub fn release_parts(parts: ConnectionParts) {
    release_slot(parts.frame);
    release_slot(parts.channel);
}

/// A new handle in connection `target` (of our credentials) naming what `handle` names.
///
/// # Errors
/// What the server answers (`EBADF`, `EMFILE`).
pub fn duplicate(handle: u32, target: u64) -> Result<u32, Errno> {
    let reply = request(
        Operation::Duplicate,
        u64::from(handle),
        target,
        |_| Ok(()),
        |_, _| Ok(()),
    )?;
    Ok(reply[0] as u32)
}

/// Gives the server one end of a channel whose other end only the client holds, so the server
/// closes the connection when the client is gone, however it ends. Answers the client's end.
fn attach(quota: Slot, number: u64) -> Result<Slot, Errno> {
    let (Some(mine), Some(theirs)) = (slots::allocate(), slots::allocate()) else {
        return Err(Errno::EMFILE);
    };
    let created = call(Call::ChannelCreate {
        quota,
        first: mine,
        second: theirs,
    });
    let attached = created.and_then(|_| {
        call(Call::IpcCall {
            endpoint: FILE_SERVER_SLOT,
            word0: Operation::Attach as u64 | (number << 8),
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(Some(theirs)),
            receive: OptionalSlot(None),
        })
    });
    // The server holds its copy now; ours would keep the channel's far end alive.
    release_slot(theirs);
    match attached
        .map_err(kernel_errno)
        .and_then(|words| decode(words[1]))
    {
        Ok(_) => Ok(mine),
        Err(error) => {
            release_slot(mine);
            Err(error)
        }
    }
}

fn decode(word: u64) -> Result<u64, Errno> {
    let value = word as i64;
    if value < 0 {
        Err(Errno::from_raw((-value) as i32).unwrap_or(Errno::EIO))
    } else {
        Ok(word)
    }
}

/// Runs `action` with the connection (connecting on first use), then makes the call.
fn request(
    operation: Operation,
    word1: u64,
    word2: u64,
    before: impl FnOnce(&SharedWindow) -> Result<(), Errno>,
    after: impl FnOnce(&SharedWindow, [u64; 3]) -> Result<(), Errno>,
) -> Result<[u64; 3], Errno> {
    let mut guard = CONNECTION.lock();
    if guard.is_none() {
        *guard = Some(connect()?);
    }
    let connection = guard.as_ref().ok_or(Errno::EIO)?;
    before(&connection.window)?;
    let words = loop {
        match call(Call::IpcCall {
            endpoint: FILE_SERVER_SLOT,
            word0: operation as u64 | (connection.number << 8),
            word1,
            word2,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        }) {
            // Cut short by a signal while still queued: the server never saw it; send again.
            Err(KernelError::Interrupted) => crate::signal::delivery::deliver_pending(),
            other => break other.map_err(kernel_errno)?,
        }
    };
    let reply = [words[1], words[2], words[3]];
    decode(reply[0])?;
    after(&connection.window, reply)?;
    Ok(reply)
}

fn put_path(window: &SharedWindow, path: &str) -> Result<(), Errno> {
    if path.len() >= DATA_OFFSET - PATH_OFFSET {
        return Err(Errno::ENAMETOOLONG);
    }
    if path.as_bytes().contains(&0) {
        return Err(Errno::EINVAL);
    }
    if window.copy_in(PATH_OFFSET, path.as_bytes())
        && window.copy_in(PATH_OFFSET + path.len(), &[0])
    {
        Ok(())
    } else {
        Err(Errno::EIO)
    }
}

/// Puts `path` at the path offset and `second` (a symbolic link's target, a new name, a mount's
/// source), NUL-terminated, at the data offset: the layout of the two-name requests.
fn put_path_and_second(window: &SharedWindow, path: &str, second: &str) -> Result<(), Errno> {
    put_path(window, path)?;
    if window.copy_in(DATA_OFFSET, second.as_bytes())
        && window.copy_in(DATA_OFFSET + second.len(), &[0])
    {
        Ok(())
    } else {
        Err(Errno::EIO)
    }
}

/// Where a path starts on the server: the root (0) or a directory handle (its number + 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start(pub u64);

/// What `Open` answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opened {
    /// A file or directory: its handle and size.
    File {
        /// The handle.
        handle: u32,
        /// The size.
        size: u64,
    },
    /// A FIFO opening (fetch its pieces with [`fifo_piece`]).
    Fifo {
        /// The handle.
        handle: u32,
        /// Opens for reading and for writing the FIFO had counted, this one included (the low
        /// bits [`super::protocol::FIFO_COUNT_MASK`] of the ring's counters).
        counts: [u64; 2],
        /// Whether the other side had an end when the server counted this open.
        partner_present: bool,
        /// The node's status.
        status: StatusWords,
    },
}

/// Opens `path`.
///
/// # Errors
/// What the server answers (`ENOENT`, `EACCES`, `EEXIST`, `ENXIO`, …).
pub fn open(start: Start, path: &str, flags: i32, mode: u32) -> Result<Opened, Errno> {
    let mut status: StatusWords = [0; 14];
    let reply = request(
        Operation::Open,
        u64::from(flags as u32) | (u64::from(mode) << 32),
        start.0,
        |window| put_path(window, path),
        |window, reply| {
            if reply[2] & FIFO_OPENED != 0 {
                take_status(window, &mut status)?;
            }
            Ok(())
        },
    )?;
    let handle = reply[0] as u32;
    if reply[2] & FIFO_OPENED == 0 {
        return Ok(Opened::File {
            handle,
            size: reply[1],
        });
    }
    Ok(Opened::Fifo {
        handle,
        counts: [
            reply[2] & FIFO_COUNT_MASK,
            (reply[2] >> 32) & FIFO_COUNT_MASK,
        ],
        partner_present: reply[2] & FIFO_PARTNER_PRESENT != 0,
        status,
    })
}

/// `FifoPiece`: puts piece `piece` ([`super::protocol::fifo_piece`]) of FIFO opening `handle`
/// into `destination`; with `last`, the server closes the handle after answering.
///
/// # Errors
/// What the server answers (`EBADF`, `ENOENT`, `EINVAL`, `ENFILE`).
pub fn fifo_piece(handle: u32, piece: u32, last: bool, destination: Slot) -> Result<(), Errno> {
    let mut guard = CONNECTION.lock();
    if guard.is_none() {
        *guard = Some(connect()?);
    }
    let connection = guard.as_ref().ok_or(Errno::EIO)?;
    let words = loop {
        match call(Call::IpcCall {
            endpoint: FILE_SERVER_SLOT,
            word0: Operation::FifoPiece as u64 | (connection.number << 8),
            word1: u64::from(handle) | (u64::from(piece) << 32),
            word2: if last { FIFO_LAST_PIECE } else { 0 },
            transfer: OptionalSlot(None),
            receive: OptionalSlot(Some(destination)),
        }) {
            // Cut short by a signal while still queued: the server never saw it; send again.
            Err(KernelError::Interrupted) => crate::signal::delivery::deliver_pending(),
            other => break other.map_err(kernel_errno)?,
        }
    };
    decode(words[1])?;
    if words[0] == 0 {
        return Err(Errno::EIO);
    }
    Ok(())
}

/// `mkfifoat`: makes a FIFO node with `mode`.
///
/// # Errors
/// What the server answers (`EEXIST`, `ENOENT`, `EACCES`, ...).
pub fn make_fifo(start: Start, path: &str, mode: u32) -> Result<(), Errno> {
    request(
        Operation::MakeFifo,
        u64::from(mode),
        start.0,
        |window| put_path(window, path),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// Reads at `offset` into `buffer` (several calls for a large buffer; stops short at the end).
///
/// # Errors
/// What the server answers.
pub fn read(handle: u32, offset: u64, buffer: &mut [u8]) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buffer.len() {
        let length = (buffer.len() - done).min(MAXIMUM_TRANSFER);
        let target = &mut buffer[done..done + length];
        let reply = request(
            Operation::Read,
            u64::from(handle) | ((length as u64) << 32),
            offset + done as u64,
            |_| Ok(()),
            |window, reply| {
                let count = (reply[0] as usize).min(length);
                if window.copy_out(DATA_OFFSET, &mut target[..count]) {
                    Ok(())
                } else {
                    Err(Errno::EIO)
                }
            },
        )?;
        let count = (reply[0] as usize).min(length);
        done += count;
        if count < length {
            break;
        }
    }
    Ok(done)
}

/// Writes `bytes` at `offset` (at the end for an `O_APPEND` handle): (count, offset after).
///
/// # Errors
/// What the server answers.
pub fn write(handle: u32, offset: u64, bytes: &[u8]) -> Result<(usize, u64), Errno> {
    let mut done = 0;
    let mut end = offset;
    while done < bytes.len() || bytes.is_empty() {
        let length = (bytes.len() - done).min(MAXIMUM_TRANSFER);
        let source = &bytes[done..done + length];
        let reply = request(
            Operation::Write,
            u64::from(handle) | ((length as u64) << 32),
            offset + done as u64,
            |window| {
                if window.copy_in(DATA_OFFSET, source) {
                    Ok(())
                } else {
                    Err(Errno::EIO)
                }
            },
            |_, _| Ok(()),
        )?;
        done += reply[0] as usize;
        end = reply[1];
        if bytes.is_empty() || reply[0] as usize != length {
            break;
        }
    }
    Ok((done, end))
}

/// `MapFile`: puts a capability to piece `piece` of an open file's frames (0: the header,
/// `k + 1`: segment `k`) into `destination`; `flags`: `GROW` (allocate the segment),
/// `READING` (the header is mapped for a read). Answers how many segments the file has.
///
/// # Errors
/// `ENXIO` (no such segment), `ENODATA` (a boot image file read only), `EACCES`, `EBADF`,
/// `EFBIG`, `ENOSPC`.
pub fn map_file(handle: u32, piece: u32, flags: u64, destination: Slot) -> Result<u64, Errno> {
    let mut guard = CONNECTION.lock();
    if guard.is_none() {
        *guard = Some(connect()?);
    }
    let connection = guard.as_ref().ok_or(Errno::EIO)?;
    let words = call(Call::IpcCall {
        endpoint: FILE_SERVER_SLOT,
        word0: Operation::MapFile as u64 | (connection.number << 8),
        word1: u64::from(handle) | (u64::from(piece) << 32),
        word2: flags,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(Some(destination)),
    })
    .map_err(kernel_errno)?;
    decode(words[1])?;
    if words[0] == 0 {
        return Err(Errno::EIO);
    }
    Ok(words[2])
}

/// `stat` of a handle.
///
/// # Errors
/// `EBADF`.
pub fn status(handle: u32) -> Result<StatusWords, Errno> {
    let mut words: StatusWords = [0; 14];
    request(
        Operation::Status,
        u64::from(handle),
        0,
        |_| Ok(()),
        |window, _| take_status(window, &mut words),
    )?;
    Ok(words)
}

fn take_status(window: &SharedWindow, words: &mut StatusWords) -> Result<(), Errno> {
    let mut bytes = [0u8; 14 * 8];
    if !window.copy_out(DATA_OFFSET, &mut bytes) {
        return Err(Errno::EIO);
    }
    for (word, chunk) in words.iter_mut().zip(bytes.chunks(8)) {
        let mut array = [0u8; 8];
        array.copy_from_slice(chunk);
        *word = u64::from_ne_bytes(array);
    }
    Ok(())
}

/// `stat` of a path in one call (`follow`: a final symbolic link).
///
/// # Errors
/// What the server answers.
pub fn path_status(start: Start, path: &str, follow: bool) -> Result<StatusWords, Errno> {
    let mut words: StatusWords = [0; 14];
    request(
        Operation::PathStatus,
        u64::from(follow),
        start.0,
        |window| put_path(window, path),
        |window, _| take_status(window, &mut words),
    )?;
    Ok(words)
}

/// `FileSystemStatus`: (quota pages left, nodes in use, quota pages at start).
///
/// # Errors
/// What the server answers.
pub fn file_system_status() -> Result<(u64, u64, u64), Errno> {
    let reply = request(Operation::FileSystemStatus, 0, 0, |_| Ok(()), |_, _| Ok(()))?;
    Ok((reply[1], reply[2] & 0xffff_ffff, reply[2] >> 32))
}

/// What `SetTimes` and `ChangeOwner` act on.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// An open handle.
    Handle(u32),
    /// A path from a start, following a final symbolic link or not.
    Path(Start, &'a str, bool),
}

/// `utimensat`/`futimens`: `times` as four words (access seconds and nanoseconds, modification
/// seconds and nanoseconds; `UTIME_NOW`/`UTIME_OMIT` in the nanoseconds).
///
/// # Errors
/// What the server answers.
pub fn set_times(target: Target<'_>, times: [i64; 4]) -> Result<(), Errno> {
    let (word1, word2, path) = match target {
        Target::Handle(handle) => (BY_HANDLE, u64::from(handle) + 1, None),
        Target::Path(start, path, follow) => (u64::from(follow), start.0, Some(path)),
    };
    request(
        Operation::SetTimes,
        word1,
        word2,
        |window| {
            if let Some(path) = path {
                put_path(window, path)?;
            }
            let mut bytes = [0u8; 32];
            for (chunk, word) in bytes.chunks_mut(8).zip(times) {
                chunk.copy_from_slice(&word.to_ne_bytes());
            }
            if window.copy_in(DATA_OFFSET, &bytes) {
                Ok(())
            } else {
                Err(Errno::EIO)
            }
        },
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `fchownat`/`fchown` (`u32::MAX`: leave that id).
///
/// # Errors
/// What the server answers.
pub fn change_owner(target: Target<'_>, user: u32, group: u32) -> Result<(), Errno> {
    use super::protocol::{OWNER_BY_HANDLE, OWNER_FOLLOW};
    let (word2, path) = match target {
        Target::Handle(handle) => (OWNER_BY_HANDLE | (u64::from(handle) + 1), None),
        Target::Path(start, path, follow) => {
            (start.0 | if follow { OWNER_FOLLOW } else { 0 }, Some(path))
        }
    };
    request(
        Operation::ChangeOwner,
        u64::from(user) | (u64::from(group) << 32),
        word2,
        |window| path.map_or(Ok(()), |path| put_path(window, path)),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// Closes a handle.
pub fn close(handle: u32) {
    let _ = request(
        Operation::Close,
        u64::from(handle),
        0,
        |_| Ok(()),
        |_, _| Ok(()),
    );
}

/// `mkdirat`.
///
/// # Errors
/// What the server answers.
pub fn make_directory(start: Start, path: &str, mode: u32) -> Result<(), Errno> {
    request(
        Operation::MakeDirectory,
        u64::from(mode),
        start.0,
        |window| put_path(window, path),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `bind` of an AF_UNIX socket to a path: makes the socket node with `mode` and answers the
/// ticket the socket server redeems.
///
/// # Errors
/// What the server answers (`EEXIST`, `ENOENT`, `EACCES`, ...).
pub fn make_socket(start: Start, path: &str, mode: u32) -> Result<[u64; 2], Errno> {
    request(
        Operation::MakeSocket,
        u64::from(mode),
        start.0,
        |window| put_path(window, path),
        |_, _| Ok(()),
    )
    .map(|words| [words[1], words[2]])
}

/// `connect` to a socket path: the ticket the socket server redeems, once the server found the
/// node a socket the caller may write.
///
/// # Errors
/// What the server answers (`ENOENT`, `EACCES`, `ECONNREFUSED`, ...).
pub fn socket_ticket(start: Start, path: &str) -> Result<[u64; 2], Errno> {
    request(
        Operation::SocketTicket,
        0,
        start.0,
        |window| put_path(window, path),
        |_, _| Ok(()),
    )
    .map(|words| [words[1], words[2]])
}

/// `unlinkat` (with `directory`, `AT_REMOVEDIR`).
///
/// # Errors
/// What the server answers.
pub fn remove(start: Start, path: &str, directory: bool) -> Result<(), Errno> {
    request(
        Operation::Remove,
        u64::from(directory),
        start.0,
        |window| put_path(window, path),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// Directory entries from index `first` as `linux_dirent64` records into `buffer`: (bytes, next
/// index).
///
/// # Errors
/// What the server answers; `EINVAL` when not even one record fits.
pub fn entries(handle: u32, first: u64, buffer: &mut [u8]) -> Result<(usize, u64), Errno> {
    let mut used = 0;
    let length = buffer.len().min(MAXIMUM_TRANSFER);
    let reply = request(
        Operation::Entries,
        u64::from(handle) | ((length as u64) << 32),
        first,
        |_| Ok(()),
        |window, reply| {
            used = (reply[0] as usize).min(length);
            if window.copy_out(DATA_OFFSET, &mut buffer[..used]) {
                Ok(())
            } else {
                Err(Errno::EIO)
            }
        },
    )?;
    Ok((used, reply[1]))
}

/// `ftruncate` of a handle.
///
/// # Errors
/// `EINVAL` (not open for writing), `EISDIR`, `EFBIG`.
pub fn truncate(handle: u32, length: u64) -> Result<(), Errno> {
    request(
        Operation::Truncate,
        u64::from(handle),
        length,
        |_| Ok(()),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `symlinkat`.
///
/// # Errors
/// What the server answers.
pub fn make_symlink(target: &str, start: Start, path: &str) -> Result<(), Errno> {
    if target.len() >= MAXIMUM_TRANSFER {
        return Err(Errno::ENAMETOOLONG);
    }
    if target.as_bytes().contains(&0) {
        return Err(Errno::EINVAL);
    }
    request(
        Operation::MakeSymlink,
        0,
        start.0,
        |window| put_path_and_second(window, path, target),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `readlinkat` into `buffer` (truncated to it, no NUL): the bytes placed.
///
/// # Errors
/// What the server answers.
pub fn read_link(start: Start, path: &str, buffer: &mut [u8]) -> Result<usize, Errno> {
    let mut count = 0;
    request(
        Operation::ReadLink,
        0,
        start.0,
        |window| put_path(window, path),
        |window, reply| {
            count = (reply[0] as usize).min(buffer.len()).min(MAXIMUM_TRANSFER);
            if window.copy_out(DATA_OFFSET, &mut buffer[..count]) {
                Ok(())
            } else {
                Err(Errno::EIO)
            }
        },
    )?;
    Ok(count)
}

/// `fchmodat`/`chmod` (by path from `start`) or `fchmod` (with `handle`).
///
/// # Errors
/// `EPERM` (not the owner), resolution errors.
pub fn change_mode(
    start: Start,
    path: Option<&str>,
    handle: Option<u32>,
    mode: u32,
) -> Result<(), Errno> {
    let (word1, word2) = match handle {
        Some(handle) => (
            u64::from(mode) | super::protocol::BY_HANDLE,
            u64::from(handle) + 1,
        ),
        None => (u64::from(mode), start.0),
    };
    request(
        Operation::ChangeMode,
        word1,
        word2,
        |window| match path {
            Some(path) => put_path(window, path),
            None => Ok(()),
        },
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `linkat`.
///
/// # Errors
/// What the server answers.
pub fn link(
    existing_start: Start,
    existing: &str,
    new_start: Start,
    new: &str,
    follow: bool,
) -> Result<(), Errno> {
    if new.len() >= MAXIMUM_TRANSFER {
        return Err(Errno::ENAMETOOLONG);
    }
    request(
        Operation::Link,
        u64::from(follow) | (new_start.0 << 8),
        existing_start.0,
        |window| put_path_and_second(window, existing, new),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `renameat2` for the server's paths.
///
/// # Errors
/// What the server answers.
pub fn rename(
    old_start: Start,
    old: &str,
    new_start: Start,
    new: &str,
    flags: u32,
) -> Result<(), Errno> {
    if new.len() >= MAXIMUM_TRANSFER {
        return Err(Errno::ENAMETOOLONG);
    }
    request(
        Operation::Rename,
        u64::from(flags & 0xff) | (new_start.0 << 8),
        old_start.0,
        |window| put_path_and_second(window, old, new),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `faccessat2` with `AT_EMPTY_PATH` on an open handle.
///
/// # Errors
/// `EACCES`, `EINVAL`, `EBADF`.
pub fn access_handle(handle: u32, mode: u32) -> Result<(), Errno> {
    request(
        Operation::Access,
        u64::from(mode & 0xff) | super::protocol::ACCESS_BY_HANDLE,
        u64::from(handle) + 1,
        |_| Ok(()),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `faccessat2` for the server's paths.
///
/// # Errors
/// `EACCES`, `EINVAL`, resolution errors.
pub fn access(start: Start, path: &str, mode: u32, follow: bool) -> Result<(), Errno> {
    request(
        Operation::Access,
        u64::from(mode & 0xff) | (u64::from(follow) << 8),
        start.0,
        |window| put_path(window, path),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// `mount -t tmpfs` on the directory `path` names from `start`; `shown` is the mount point's
/// name for the table. Answers the file system's number.
///
/// # Errors
/// The server's: `EPERM` (not root), `EBUSY`, `ENOTDIR`, resolution errors.
pub fn mount(start: Start, path: &str, shown: &str) -> Result<u32, Errno> {
    if shown.len() >= MAXIMUM_TRANSFER {
        return Err(Errno::ENAMETOOLONG);
    }
    let reply = request(
        Operation::Mount,
        0,
        start.0,
        |window| put_path_and_second(window, path, shown),
        |_, _| Ok(()),
    )?;
    Ok(reply[0] as u32)
}

/// `umount` of the file system mounted at `path` (from `start`).
///
/// # Errors
/// The server's: `EPERM`, `EINVAL` (not a mount point), `EBUSY`.
pub fn unmount(start: Start, path: &str) -> Result<(), Errno> {
    request(
        Operation::Unmount,
        0,
        start.0,
        |window| put_path(window, path),
        |_, _| Ok(()),
    )
    .map(|_| ())
}

/// The server's mount table: (file system number, mount point), in mount order.
///
/// # Errors
/// The server's.
pub fn mount_table() -> Result<alloc::vec::Vec<(u32, alloc::string::String)>, Errno> {
    let mut table = alloc::vec::Vec::new();
    let mut index = 0u64;
    loop {
        let mut point = alloc::string::String::new();
        let reply = request(
            Operation::MountTable,
            index,
            0,
            |_| Ok(()),
            |window, reply| {
                if index < reply[0] {
                    let mut bytes = alloc::vec![0u8; MAXIMUM_TRANSFER];
                    window.copy_out(DATA_OFFSET, &mut bytes);
                    let length = bytes.iter().position(|&byte| byte == 0).unwrap_or(0);
                    point = alloc::string::String::from_utf8_lossy(&bytes[..length]).into_owned();
                }
                Ok(())
            },
        )?;
        if index >= reply[0] || index >= 256 {
            return Ok(table);
        }
        table.push((reply[1] as u32, point));
        index += 1;
    }
}
