//! One end of a connected AF_UNIX socket: two rings in a shared frame (one per direction), a
//! kernel channel whose ends the two sides hold (so each learns when the other is gone —
//! closed, exited, crashed or killed — from the kernel, not from the peer's LibOS), and the
//! wake-up notifications of `event::wake`.
//!
//! Stream sockets move bytes; datagram and sequenced-packet sockets move whole messages,
//! framed in the ring with their length. A message that does not fit in the receiver's buffer
//! is truncated (`MSG_TRUNC`), as on Linux.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use exokernel_abi::{Call, PAGE_SIZE, PageCount, Slot, initial};
use libposix_sys::errno::Errno;
use libposix_sys::socket::Ucred;

use super::ring::{HEADER_BYTES, MESSAGE_HEADER, Ring, Waiter};
use crate::event::readiness::{self, Status};
use crate::event::wake::{self, PEER_GONE, PROGRESS, WakeSource, copy_of, release};
use crate::kernel::call;
use crate::shared_window::SharedWindow;
use crate::signal::restart;
use crate::slots;

/// Pages of a connection's frame: a header page, then each direction's ring.
pub const FRAME_PAGES: u64 = 1 + 2 * RING_PAGES;
/// Pages of one direction's ring.
pub const RING_PAGES: u64 = 8;
/// Bytes one direction holds (`SO_SNDBUF`/`SO_RCVBUF` report it).
pub const RING_BYTES: u64 = RING_PAGES * PAGE_SIZE;
/// The largest message a datagram or sequenced-packet socket takes (`EMSGSIZE` beyond).
pub const MAXIMUM_MESSAGE: usize = RING_BYTES as usize - MESSAGE_HEADER;

/// The socket types a connection can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    /// `SOCK_STREAM`: bytes.
    Stream,
    /// `SOCK_DGRAM`: messages, each whole, boundaries kept.
    Datagram,
    /// `SOCK_SEQPACKET`: messages in order on a connection.
    SequencedPacket,
}

impl SocketKind {
    /// The `SOCK_*` value.
    #[must_use]
    pub fn type_value(self) -> i32 {
        use libposix_sys::socket::{SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM};
        match self {
            Self::Stream => SOCK_STREAM,
            Self::Datagram => SOCK_DGRAM,
            Self::SequencedPacket => SOCK_SEQPACKET,
        }
    }

    fn messages(self) -> bool {
        self != Self::Stream
    }
}

/// The capabilities of one end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndSlots {
    /// The connection's frame (this end's own capability to it).
    pub frame: Slot,
    /// This side's channel end.
    pub channel_end: Slot,
    /// The notification this side's waiters sleep on.
    pub wake: WakeSource,
    /// A copy of the notification the other side sleeps on.
    pub peer_wake: Slot,
}

/// What a receive gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Bytes copied into the buffer.
    pub copied: usize,
    /// The message's whole length (datagram kinds; equals `copied` for streams).
    pub length: usize,
    /// Descriptors passed with the data taken (`SCM_RIGHTS`), in the order sent.
    pub passed: alloc::vec::Vec<ControlEntry>,
}

/// Where a direction's queue of passed-descriptor records starts in the header page, and its
/// size: a consumed count, a produced count, then [`CONTROL_ENTRIES`] records.
const CONTROL_BASE: usize = 1024;
const CONTROL_STRIDE: usize = 1536;
const CONTROL_ENTRIES: u64 = 11;
const ENTRY_BYTES: usize = 128;
/// Most descriptors one record carries.
pub const RIGHTS_PER_MESSAGE: usize = 8;

/// One `SCM_RIGHTS` record: the stream position of the first byte it came with, the ticket the
/// capabilities wait under at the socket server, and a tag per descriptor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ControlEntry {
    /// The write position of the data it was sent with.
    pub position: u64,
    /// The ticket.
    pub ticket: [u64; 2],
    /// Descriptors (at most [`RIGHTS_PER_MESSAGE`]).
    pub count: u64,
    /// What each descriptor is (`socket::rights`).
    pub tags: [u64; RIGHTS_PER_MESSAGE],
}

/// One end of a connection in this process; released when its last descriptor closes.
pub struct SocketEnd {
    kind: SocketKind,
    /// 0 or 1: this end writes direction `index` and reads direction `1 - index`.
    index: usize,
    slots: EndSlots,
    window: SharedWindow,
    /// `SHUT_RD` by this end (local: Linux keeps it per socket).
    shut_read: AtomicBool,
    /// `SHUT_WR` by this end.
    shut_write: AtomicBool,
    /// The peer epoch at which the peer was last seen alive (0: never checked).
    alive_at: AtomicU64,
    /// Whether `ECONNRESET` was reported already.
    reset_reported: AtomicBool,
    /// The credentials `SO_PEERCRED` reports.
    peer_credentials: Ucred,
    /// `SO_SNDBUF`/`SO_RCVBUF` as set (the ring's size is fixed; Linux reports doubled values).
    buffer_sizes: [AtomicU64; 2],
    /// `SO_REUSEADDR` (it matters to `bind`, which needs the socket server).
    reuse_address: AtomicBool,
}

impl SocketEnd {
    /// A connected pair of ends of `kind` (`socketpair`), both with `credentials` as the peer's.
    ///
    /// # Errors
    /// `ENFILE` when memory runs out, `EMFILE` when slots or windows do.
    pub fn create_pair(kind: SocketKind, credentials: Ucred) -> Result<(Self, Self), Errno> {
        let mut taken: alloc::vec::Vec<Slot> = alloc::vec::Vec::new();
        let result = (|| {
            let mut fresh = || -> Result<Slot, Errno> {
                let slot = slots::allocate().ok_or(Errno::EMFILE)?;
                taken.push(slot);
                Ok(slot)
            };
            let frame = fresh()?;
            let first = fresh()?;
            let second = fresh()?;
            call(Call::FrameAllocate {
                quota: initial::MEMORY_QUOTA,
                destination: frame,
                pages: PageCount(FRAME_PAGES),
            })
            .map_err(|_| Errno::ENFILE)?;
            call(Call::ChannelCreate {
                quota: initial::MEMORY_QUOTA,
                first,
                second,
            })
            .map_err(|_| Errno::ENFILE)?;
            Ok((frame, first, second))
        })();
        let (frame, first, second) = match result {
            Ok(slots) => slots,
            Err(error) => {
                for slot in taken {
                    release(slot);
                }
                return Err(error);
            }
        };
        let frame_copy = match copy_of(frame) {
            Ok(copy) => copy,
            Err(error) => {
                for slot in [frame, first, second] {
                    release(slot);
                }
                return Err(error);
            }
        };
        let zero = Self::from_parts(kind, 0, frame, first, credentials);
        let one = Self::from_parts(kind, 1, frame_copy, second, credentials);
        match (zero, one) {
            (Ok(zero), Ok(one)) => Ok((zero, one)),
            (zero, one) => {
                // Whichever half was built releases its own capabilities when dropped.
                let error = zero.as_ref().err().or(one.as_ref().err()).copied();
                drop((zero, one));
                Err(error.unwrap_or(Errno::ENFILE))
            }
        }
    }

    /// Builds one end around its frame and channel end, with wake-up notifications of this
    /// process; on failure every capability given is released.
    fn from_parts(
        kind: SocketKind,
        index: usize,
        frame: Slot,
        channel_end: Slot,
        credentials: Ucred,
    ) -> Result<Self, Errno> {
        let wake = match wake::new_source() {
            Ok(wake) => wake,
            Err(error) => {
                release(frame);
                release(channel_end);
                return Err(error);
            }
        };
        let peer_wake = match wake::new_source() {
            Ok(peer) => peer.notification,
            Err(error) => {
                for slot in [frame, channel_end, wake.notification] {
                    release(slot);
                }
                return Err(error);
            }
        };
        let slots = EndSlots {
            frame,
            channel_end,
            wake,
            peer_wake,
        };
        Self::adopt(kind, index, slots, credentials)
    }

    /// Takes over an end whose capabilities are in `slots` (made here or granted by another
    /// process); on failure they are released.
    ///
    /// # Errors
    /// `EMFILE` without a free window, `EIO` when the capabilities are not an end's.
    pub fn adopt(
        kind: SocketKind,
        index: usize,
        slots: EndSlots,
        credentials: Ucred,
    ) -> Result<Self, Errno> {
        let window = match SharedWindow::map(slots.frame, FRAME_PAGES) {
            Ok(window) => window,
            Err(_) => {
                for slot in [
                    slots.frame,
                    slots.channel_end,
                    slots.wake.notification,
                    slots.peer_wake,
                ] {
                    release(slot);
                }
                return Err(Errno::EMFILE);
            }
        };
        let end = Self {
            kind,
            index: index & 1,
            slots,
            window,
            shut_read: AtomicBool::new(false),
            shut_write: AtomicBool::new(false),
            alive_at: AtomicU64::new(0),
            reset_reported: AtomicBool::new(false),
            peer_credentials: credentials,
            buffer_sizes: [
                AtomicU64::new(RING_BYTES * 2),
                AtomicU64::new(RING_BYTES * 2),
            ],
            reuse_address: AtomicBool::new(false),
        };
        call(Call::ChannelWatch {
            end: slots.channel_end,
            notification: slots.wake.notification,
            bits: PEER_GONE,
        })
        .map_err(|_| Errno::EIO)?;
        Ok(end)
    }

    /// Which side of the connection this end is (0 or 1).
    #[must_use]
    pub fn index(&self) -> usize {
        self.index
    }

    /// The socket type.
    #[must_use]
    pub fn kind(&self) -> SocketKind {
        self.kind
    }

    /// The credentials of the peer (`SO_PEERCRED`).
    #[must_use]
    pub fn peer_credentials(&self) -> Ucred {
        self.peer_credentials
    }

    /// This end's capabilities.
    #[must_use]
    pub fn slots(&self) -> EndSlots {
        self.slots
    }

    /// The ring this end reads.
    fn incoming(&self) -> Ring<'_> {
        self.ring(1 - self.index)
    }

    /// The ring this end writes.
    fn outgoing(&self) -> Ring<'_> {
        self.ring(self.index)
    }

    fn ring(&self, direction: usize) -> Ring<'_> {
        Ring::new(
            &self.window,
            direction * HEADER_BYTES,
            (1 + direction as u64 * RING_PAGES) as usize * PAGE_SIZE as usize,
            RING_BYTES,
        )
    }

    /// Whether every capability to the other end is gone. Asked of the kernel only when a
    /// peer-gone wake-up (or a timed-out wait) may have happened since the last answer.
    fn peer_gone(&self) -> bool {
        // The rings died with the process that paid for them: as good as gone.
        if self.window.is_dead() {
            return true;
        }
        let epoch = wake::peer_epoch();
        if self.slots.wake.is_local() && self.alive_at.load(Ordering::Acquire) == epoch {
            return false;
        }
        let gone = call(Call::CapabilityIdentify {
            slot: self.slots.channel_end,
        })
        .map_or(true, |words| words[3] == 0);
        if !gone {
            self.alive_at.store(epoch, Ordering::Release);
        }
        gone
    }

    /// Whether every capability to the other end is gone (or the rings died).
    #[must_use]
    pub fn closed_by_peer(&self) -> bool {
        self.peer_gone()
    }

    /// Whether the other end is gone, asked of the kernel now (one `CapabilityIdentify`): a
    /// datagram sender's look before each datagram, since it may never wait and so never see
    /// the peer-gone wake-up.
    #[must_use]
    pub fn closed_by_peer_now(&self) -> bool {
        self.window.is_dead()
            || call(Call::CapabilityIdentify {
                slot: self.slots.channel_end,
            })
            .map_or(true, |words| words[3] == 0)
    }

    /// Whether a whole message waits to be received (message kinds).
    #[must_use]
    pub fn has_message(&self) -> bool {
        matches!(self.incoming().next_message_length(), Ok(Some(_)))
    }

    /// The pending error (`SO_ERROR`, and what the next receive or send reports once): the peer
    /// went away leaving data it never read, which Linux reports as `ECONNRESET` — or the rings
    /// died with the process that paid for them, taking whatever was in them.
    fn pending_reset(&self) -> bool {
        !self.reset_reported.load(Ordering::Acquire)
            && (self.window.is_dead()
                || (self.peer_gone() && self.outgoing().used().is_ok_and(|used| used > 0)))
    }

    /// Takes the pending error (`SO_ERROR`).
    #[must_use]
    pub fn take_error(&self) -> Option<Errno> {
        if self.pending_reset() {
            self.reset_reported.store(true, Ordering::Release);
            return Some(Errno::ECONNRESET);
        }
        None
    }

    fn wake_peer(&self, ring: &Ring<'_>, waiter: Waiter) {
        if ring.take_waiting(waiter) {
            let _ = call(Call::NotificationSignal {
                notification: self.slots.peer_wake,
                bits: PROGRESS,
            });
        }
    }

    fn reading_ended(&self) -> bool {
        self.shut_read.load(Ordering::Acquire) || self.incoming().write_shut()
    }

    fn writing_ended(&self) -> bool {
        self.shut_write.load(Ordering::Acquire) || self.outgoing().read_shut()
    }

    /// Receives into `buffer`: waits unless `nonblocking`; `peek` leaves the data.
    ///
    /// # Errors
    /// `EAGAIN`, `EINTR`, `ECONNRESET` (once, when the peer died leaving data unread, or the
    /// rings died with the process that paid for them: then end of file after it), `EIO`.
    pub fn receive(
        &self,
        buffer: &mut [u8],
        nonblocking: bool,
        peek: bool,
        wait_all: bool,
    ) -> Result<Received, Errno> {
        let mut copied = 0;
        match self.receive_loop(buffer, nonblocking, peek, wait_all, &mut copied) {
            // The rings died: what this call copied before stays; the bytes of the copy that
            // met the death were dropped by the ring.
            Err(Errno::EPIPE) if copied > 0 => Ok(Received {
                copied,
                length: copied,
                passed: alloc::vec::Vec::new(),
            }),
            Err(Errno::EPIPE) => self.take_error().map_or(
                Ok(Received {
                    copied: 0,
                    length: 0,
                    passed: alloc::vec::Vec::new(),
                }),
                Err,
            ),
            result => result,
        }
    }

    /// [`SocketEnd::receive`], with dead rings as `EPIPE`; `copied_so_far` says how much was
    /// taken (kept up to date at each turn, for the caller to report after an error).
    fn receive_loop(
        &self,
        buffer: &mut [u8],
        nonblocking: bool,
        peek: bool,
        wait_all: bool,
        copied_so_far: &mut usize,
    ) -> Result<Received, Errno> {
        let mut copied = *copied_so_far;
        let epoch = crate::signal::delivery::Epoch::now();
        loop {
            *copied_so_far = copied;
            let ring = self.incoming();
            if self.kind.messages() {
                if ring.next_message_length()?.is_some() {
                    let length = ring.read_message(buffer, peek)?;
                    let passed = if peek {
                        alloc::vec::Vec::new()
                    } else {
                        self.wake_peer(&ring, Waiter::Writer);
                        self.take_passed(ring.consumed())
                    };
                    return Ok(Received {
                        copied: length.min(buffer.len()),
                        length,
                        passed,
                    });
                }
            } else if ring.used()? > 0 && copied < buffer.len() {
                let count = ring.read_bytes(&mut buffer[copied..], peek)?;
                copied += count;
                if !peek {
                    self.wake_peer(&ring, Waiter::Writer);
                }
                if !wait_all || peek || copied == buffer.len() {
                    return Ok(self.received(copied, peek));
                }
                continue;
            }
            if buffer.is_empty() && !self.kind.messages() {
                return Ok(self.received(0, true));
            }
            if let Some(error) = self.take_error() {
                return if copied > 0 {
                    Ok(self.received(copied, peek))
                } else {
                    Err(error)
                };
            }
            if self.reading_ended() || self.peer_gone() {
                // Data written just before the peer went is still delivered.
                if ring.used()? > 0 {
                    continue;
                }
                return Ok(self.received(copied, peek));
            }
            if nonblocking {
                return if copied > 0 {
                    Ok(self.received(copied, peek))
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            ring.set_waiting(Waiter::Reader);
            if ring.used()? == 0
                && let Err(error) = restart::interrupted_since(epoch)
                    .and_then(|()| restart::after_sleep(epoch, self.slots.wake.sleep(0)))
            {
                // Interrupted after some bytes came (`MSG_WAITALL`): a short read.
                return if copied > 0 {
                    Ok(self.received(copied, peek))
                } else {
                    Err(error)
                };
            }
        }
    }

    /// Sends `bytes`: a stream takes all of them unless `nonblocking` (then what fits); a
    /// message kind takes the message whole or not at all.
    ///
    /// # Errors
    /// `EPIPE` when the peer is gone or shut down reading, or we shut down writing;
    /// `ECONNRESET` (once) when it died leaving data unread; `EMSGSIZE`; `EAGAIN`; `EINTR`.
    pub fn send(&self, bytes: &[u8], nonblocking: bool) -> Result<usize, Errno> {
        if self.kind.messages() && bytes.len() > MAXIMUM_MESSAGE {
            return Err(Errno::EMSGSIZE);
        }
        let mut sent = 0;
        match self.send_loop(bytes, nonblocking, &mut sent) {
            // The rings died: what went in before counts; then `ECONNRESET` once, `EPIPE` after.
            Err(Errno::EPIPE) if sent > 0 => Ok(sent),
            Err(Errno::EPIPE) => Err(self.take_error().unwrap_or(Errno::EPIPE)),
            result => result,
        }
    }

    /// [`SocketEnd::send`], with dead rings as `EPIPE`; `sent_so_far` says how much went in.
    fn send_loop(
        &self,
        bytes: &[u8],
        nonblocking: bool,
        sent_so_far: &mut usize,
    ) -> Result<usize, Errno> {
        let mut sent = 0;
        let epoch = crate::signal::delivery::Epoch::now();
        loop {
            *sent_so_far = sent;
            let ring = self.outgoing();
            if self.writing_ended() {
                return if sent > 0 {
                    Ok(sent)
                } else {
                    Err(Errno::EPIPE)
                };
            }
            if self.peer_gone() {
                if sent > 0 {
                    return Ok(sent);
                }
                return Err(self.take_error().unwrap_or(Errno::EPIPE));
            }
            let free = ring.free()? as usize;
            if self.kind.messages() {
                if free >= MESSAGE_HEADER + bytes.len() {
                    ring.write_message(bytes)?;
                    self.wake_peer(&ring, Waiter::Reader);
                    return Ok(bytes.len());
                }
            } else {
                if sent == bytes.len() {
                    return Ok(sent);
                }
                if free > 0 {
                    let count = free.min(bytes.len() - sent);
                    ring.write_bytes(&bytes[sent..sent + count])?;
                    sent += count;
                    self.wake_peer(&ring, Waiter::Reader);
                    continue;
                }
            }
            if nonblocking {
                return if sent > 0 {
                    Ok(sent)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            ring.set_waiting(Waiter::Writer);
            let needed = if self.kind.messages() {
                MESSAGE_HEADER + bytes.len()
            } else {
                1
            };
            if (ring.free()? as usize) < needed
                && let Err(error) = restart::interrupted_since(epoch)
                    .and_then(|()| restart::after_sleep(epoch, self.slots.wake.sleep(0)))
            {
                // Interrupted after some bytes went: a short write, as POSIX says.
                return if sent > 0 { Ok(sent) } else { Err(error) };
            }
        }
    }

    fn received(&self, copied: usize, peek: bool) -> Received {
        Received {
            copied,
            length: copied,
            passed: if peek {
                alloc::vec::Vec::new()
            } else {
                self.take_passed(self.incoming().consumed())
            },
        }
    }

    fn control_word(&self, direction: usize, offset: usize) -> &AtomicU64 {
        self.window
            .word(CONTROL_BASE + direction * CONTROL_STRIDE + offset)
    }

    /// Takes the incoming records whose data lies before `position` (all that data is read).
    fn take_passed(&self, position: u64) -> alloc::vec::Vec<ControlEntry> {
        let direction = 1 - self.index;
        let mut taken = alloc::vec::Vec::new();
        loop {
            let head = self.control_word(direction, 0).load(Ordering::Acquire);
            let tail = self.control_word(direction, 8).load(Ordering::Acquire);
            if head == tail || tail.wrapping_sub(head) > CONTROL_ENTRIES || self.window.is_dead() {
                return taken;
            }
            let entry = self.read_entry(direction, head % CONTROL_ENTRIES);
            // A record read from rings that died is nothing (its capabilities went with them).
            if self.window.is_dead() {
                return taken;
            }
            if (position.wrapping_sub(entry.position) as i64) <= 0 {
                return taken;
            }
            self.control_word(direction, 0)
                .store(head.wrapping_add(1), Ordering::Release);
            taken.push(entry);
        }
    }

    fn entry_offset(index: u64, word: usize) -> usize {
        16 + index as usize * ENTRY_BYTES + word * 8
    }

    fn read_entry(&self, direction: usize, index: u64) -> ControlEntry {
        let word = |number: usize| {
            self.control_word(direction, Self::entry_offset(index, number))
                .load(Ordering::Acquire)
        };
        let mut entry = ControlEntry {
            position: word(0),
            ticket: [word(1), word(2)],
            count: word(3).min(RIGHTS_PER_MESSAGE as u64),
            tags: [0; RIGHTS_PER_MESSAGE],
        };
        for (number, tag) in entry.tags.iter_mut().enumerate() {
            *tag = word(4 + number);
        }
        entry
    }

    /// The position the next byte sent will have.
    #[must_use]
    pub fn send_position(&self) -> u64 {
        self.outgoing().written()
    }

    /// Queues a record of passed descriptors for the peer (before the data it goes with).
    ///
    /// # Errors
    /// `EAGAIN` when the peer has not yet taken [`CONTROL_ENTRIES`] earlier records.
    pub fn push_passed(&self, entry: &ControlEntry) -> Result<(), Errno> {
        let direction = self.index;
        let head = self.control_word(direction, 0).load(Ordering::Acquire);
        let tail = self.control_word(direction, 8).load(Ordering::Acquire);
        if tail.wrapping_sub(head) >= CONTROL_ENTRIES {
            return Err(Errno::EAGAIN);
        }
        let index = tail % CONTROL_ENTRIES;
        let mut words = [0u64; 4 + RIGHTS_PER_MESSAGE];
        words[0] = entry.position;
        words[1] = entry.ticket[0];
        words[2] = entry.ticket[1];
        words[3] = entry.count;
        words[4..].copy_from_slice(&entry.tags);
        for (number, value) in words.iter().enumerate() {
            self.control_word(direction, Self::entry_offset(index, number))
                .store(*value, Ordering::Release);
        }
        self.control_word(direction, 8)
            .store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// `shutdown`: `read` and/or `write`.
    pub fn shutdown(&self, read: bool, write: bool) {
        if read {
            self.shut_read.store(true, Ordering::Release);
            let ring = self.incoming();
            ring.shut_read();
            self.wake_peer(&ring, Waiter::Writer);
        }
        if write {
            self.shut_write.store(true, Ordering::Release);
            let ring = self.outgoing();
            ring.shut_write();
            self.wake_peer(&ring, Waiter::Reader);
        }
    }

    /// Bytes waiting to be read (`FIONREAD`; the next message's length for message kinds).
    ///
    /// # Errors
    /// `EIO` for an inconsistent ring.
    pub fn available(&self) -> Result<usize, Errno> {
        let ring = self.incoming();
        let available = if self.kind.messages() {
            ring.next_message_length().map(|next| next.unwrap_or(0))
        } else {
            ring.used().map(|used| used as usize)
        };
        match available {
            // Dead rings hold nothing.
            Err(Errno::EPIPE) => Ok(0),
            available => available,
        }
    }

    /// `SO_SNDBUF` (`which` 0) or `SO_RCVBUF` (1) as last set.
    #[must_use]
    pub fn buffer_size(&self, which: usize) -> u64 {
        self.buffer_sizes[which & 1].load(Ordering::Relaxed)
    }

    /// Records `SO_SNDBUF`/`SO_RCVBUF` (doubled as Linux does, at least the ring's size: the
    /// ring itself is fixed).
    pub fn set_buffer_size(&self, which: usize, size: u64) {
        self.buffer_sizes[which & 1].store(size.saturating_mul(2).max(4608), Ordering::Relaxed);
    }

    /// `SO_REUSEADDR` as set.
    #[must_use]
    pub fn reuse_address(&self) -> bool {
        self.reuse_address.load(Ordering::Relaxed)
    }

    /// Sets `SO_REUSEADDR`.
    pub fn set_reuse_address(&self, value: bool) {
        self.reuse_address.store(value, Ordering::Relaxed);
    }

    /// The readiness `poll` and `epoll` see.
    #[must_use]
    pub fn status(&self) -> Status {
        let incoming = self.incoming();
        let outgoing = self.outgoing();
        let mut events = 0;
        let readable = if self.kind.messages() {
            incoming
                .next_message_length()
                .map_or(true, |next| next.is_some())
        } else {
            incoming.used().map_or(true, |used| used > 0)
        };
        // After looking at the rings: a frame that died has been noticed by now.
        let gone = self.peer_gone();
        let read_end = self.reading_ended() || gone;
        let write_end = self.writing_ended() || gone;
        if readable || read_end {
            events |= readiness::IN;
        }
        let needed = if self.kind.messages() {
            MESSAGE_HEADER as u64 + 1
        } else {
            1
        };
        if outgoing.free().map_or(true, |free| free >= needed) || write_end {
            events |= readiness::OUT;
        }
        if read_end {
            events |= readiness::RDHUP;
        }
        if read_end && write_end {
            events |= readiness::HUP;
        }
        if self.pending_reset() {
            events |= readiness::ERR;
        }
        Status {
            events,
            activity: incoming.written().wrapping_add(outgoing.consumed()),
        }
    }

    /// Registers a poller's interest in the shared header so the peer signals after progress.
    pub fn register(&self, interest: u32) -> WakeSource {
        if interest & readiness::IN != 0 {
            self.incoming().set_waiting(Waiter::Reader);
        }
        if interest & readiness::OUT != 0 {
            self.outgoing().set_waiting(Waiter::Writer);
        }
        self.slots.wake
    }
}

impl Drop for SocketEnd {
    fn drop(&mut self) {
        // Deleting our channel end is what tells the other side we are gone (once every copy
        // is); wake it so it notices now.
        release(self.slots.channel_end);
        let _ = call(Call::NotificationSignal {
            notification: self.slots.peer_wake,
            bits: PROGRESS,
        });
        release(self.slots.peer_wake);
        release(self.slots.wake.notification);
        release(self.slots.frame);
        // A peer in this process learns of it at its next look, without waiting for the
        // channel's wake-up to be taken.
        wake::note_local_close();
    }
}
