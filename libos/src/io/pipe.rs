//! Pipes: a ring in a shared frame, notifications to wake a blocked end, and a kernel channel so
//! that each end learns when the other is gone — closed, exited or crashed.
//!
//! A pipe is four kernel objects made by `pipe2`: a frame of [`RING_PAGES`] pages (a header page,
//! then the data ring), a channel whose ends are held one by the readers and one by the writers,
//! and one notification per side. Data never passes through the kernel or a server: the writer
//! copies into the ring and advances `write_position`, the reader copies out and advances
//! `read_position`. A side about to sleep sets its `waiting` word and sleeps on its notification;
//! the other side signals it after making progress. The channel makes "every writer is gone"
//! (end of file) and "every reader is gone" (`EPIPE`) facts the kernel keeps: a crashed process's
//! capabilities go with it, so no cooperation from the peer's LibOS is needed. Positions read from
//! the shared page are never trusted as indices: a ring that claims more than its capacity is
//! treated as broken (`EIO`).
//!
//! The ring's frame is paid by the `pipe2` caller: when that process ends, the frame goes from
//! every holder (`window_recovery` stands private pages in for it). The pipe is then broken for
//! everyone: a reader sees end of file, a writer `EPIPE`; bytes still in the ring are lost.

use exokernel_abi::{Call, KernelError, PAGE_SIZE, PageCount, Rights, Slot, initial};
use libposix_sys::errno::Errno;

use core::sync::atomic::{AtomicU64, Ordering};

use crate::kernel::call;
use crate::shared_window::SharedWindow;
use crate::slots;

/// Pages of the frame: one header page and the data ring.
pub const RING_PAGES: u64 = 17;
/// Bytes of data the ring holds (Linux's default pipe size).
pub const CAPACITY: u64 = 16 * PAGE_SIZE;
/// Writes of at most this many bytes are atomic.
pub const PIPE_BUF: usize = 4096;

const READ_POSITION: usize = 0;
const WRITE_POSITION: usize = 8;
const READER_WAITING: usize = 16;
const WRITER_WAITING: usize = 24;
/// A FIFO's ring only: how many opens for reading the file server has counted (a waiting
/// writer's open returns once it changes, even if that reader is gone again).
pub const READERS_OPENED: usize = 32;
/// A FIFO's ring only: how many opens for writing the file server has counted.
pub const WRITERS_OPENED: usize = 40;
/// Where the data ring starts in the frame.
const DATA: usize = PAGE_SIZE as usize;

/// The notification bit meaning "the other side made progress".
const PROGRESS: u64 = 1;
/// The notification bit the channel signals when the other side is gone.
const PEER_GONE: u64 = 2;
/// How long a blocked end sleeps before re-checking on its own (a safety net for a wake-up bit
/// taken by another process sharing the end).
const RECHECK_NANOSECONDS: u64 = 50_000_000;

/// Which end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The read end.
    Reader,
    /// The write end.
    Writer,
    /// Both ends in one description (a FIFO opened `O_RDWR`): reads as a reader, writes as a
    /// writer, and counts as both, so it never sees end of file or `EPIPE`.
    Both,
}

/// The capabilities of one end, as handed to another process (see [`PipeEnd::adopt`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndSlots {
    /// The ring's frame.
    pub frame: Slot,
    /// This side's channel end.
    pub channel_end: Slot,
    /// The notification this side sleeps on.
    pub own_notification: Slot,
    /// The notification the other side sleeps on.
    pub peer_notification: Slot,
}

/// One end of a pipe in this process; dropped when its last descriptor closes, which deletes
/// its capabilities.
pub struct PipeEnd {
    side: Side,
    /// With [`Side::Both`], `channel_end` is the read side's end and `own_notification` the
    /// readers', `peer_notification` the writers'.
    slots: EndSlots,
    /// With [`Side::Both`], the write side's end.
    second_end: Option<Slot>,
    /// A FIFO's node as `stat` saw it at open (`fstat` reports it).
    node_status: Option<alloc::boxed::Box<crate::fs::protocol::StatusWords>>,
    /// A FIFO's read end: the writers' opens counter at our open. Until it moves, no writer
    /// ever came, and `poll` says nothing (Linux's `POLLHUP` needs a writer that went).
    writers_at_open: Option<u64>,
    window: SharedWindow,
    /// The process generation whose notification this end's waiters sleep on (0: granted by
    /// another process; see `event::wake`).
    generation: u64,
    /// The peer epoch (`event::wake::peer_epoch`) at which the kernel last said the other end
    /// lives (0: never asked).
    alive_at: AtomicU64,
}

fn errno_of(error: KernelError) -> Errno {
    match error {
        KernelError::Interrupted => Errno::EINTR,
        KernelError::OutOfMemory | KernelError::QuotaExhausted => Errno::ENFILE,
        _ => Errno::EIO,
    }
}

fn fresh_slot() -> Result<Slot, Errno> {
    slots::allocate().ok_or(Errno::EMFILE)
}

fn release(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// The kernel objects of a new pipe, released together if building it fails half-way.
struct Objects {
    slots: [Slot; 8],
}

impl Objects {
    fn create() -> Result<Self, Errno> {
        let mut taken = alloc::vec::Vec::new();
        let result = (|| {
            for _ in 0..8 {
                taken.push(fresh_slot()?);
            }
            let quota = initial::MEMORY_QUOTA;
            call(Call::FrameAllocate {
                quota,
                destination: taken[0],
                pages: PageCount(RING_PAGES),
            })
            .map_err(errno_of)?;
            call(Call::ChannelCreate {
                quota,
                first: taken[1],
                second: taken[2],
            })
            .map_err(errno_of)?;
            // Both sides wake this process's notification (`event::wake`), so one wait covers
            // every pipe, socket and eventfd a poller watches.
            let own = crate::event::wake::notification()?;
            for &destination in &taken[3..5] {
                call(Call::CapabilityCopy {
                    source: own,
                    destination,
                    rights: Rights::all(),
                })
                .map_err(errno_of)?;
            }
            // A copy of the frame capability so each end owns its own.
            call(Call::CapabilityCopy {
                source: taken[0],
                destination: taken[5],
                rights: Rights::all(),
            })
            .map_err(errno_of)?;
            // Each side signals the other's notification through a copy of its own.
            for (source, destination) in [(taken[4], taken[6]), (taken[3], taken[7])] {
                call(Call::CapabilityCopy {
                    source,
                    destination,
                    rights: Rights::all(),
                })
                .map_err(errno_of)?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(Self {
                slots: [
                    taken[0], taken[1], taken[2], taken[3], taken[4], taken[5], taken[6], taken[7],
                ],
            }),
            Err(error) => {
                for slot in taken {
                    release(slot);
                }
                Err(error)
            }
        }
    }
}

impl PipeEnd {
    /// Makes a new pipe: (read end, write end).
    ///
    /// # Errors
    /// `ENFILE` when memory runs out, `EMFILE` when slots do, `EIO` for other kernel refusals.
    pub fn create_pair() -> Result<(Self, Self), Errno> {
        let objects = Objects::create()?;
        let [
            frame,
            reader_channel,
            writer_channel,
            reader_notification,
            writer_notification,
            frame_copy,
            reader_signals_writer,
            writer_signals_reader,
        ] = objects.slots;
        // Each end maps the ring through its own frame capability: deleting one end's
        // capability takes its mappings with it and must leave the other's.
        let windows = SharedWindow::map(frame, RING_PAGES)
            .and_then(|reader| Ok((reader, SharedWindow::map(frame_copy, RING_PAGES)?)));
        let (reader_window, writer_window) = match windows {
            Ok(windows) => windows,
            Err(error) => {
                for slot in objects.slots {
                    release(slot);
                }
                return Err(errno_of(error));
            }
        };
        let generation = crate::event::wake::new_generation();
        let reader = Self {
            generation,
            second_end: None,
            node_status: None,
            writers_at_open: None,
            side: Side::Reader,
            slots: EndSlots {
                frame,
                channel_end: reader_channel,
                own_notification: reader_notification,
                peer_notification: reader_signals_writer,
            },
            window: reader_window,
            alive_at: AtomicU64::new(0),
        };
        let writer = Self {
            generation,
            second_end: None,
            node_status: None,
            writers_at_open: None,
            side: Side::Writer,
            slots: EndSlots {
                frame: frame_copy,
                channel_end: writer_channel,
                own_notification: writer_notification,
                peer_notification: writer_signals_reader,
            },
            window: writer_window,
            alive_at: AtomicU64::new(0),
        };
        reader.watch()?;
        writer.watch()?;
        Ok((reader, writer))
    }

    /// Takes over an end whose capabilities another process granted into `slots` (how a child
    /// inherits a pipe until `fork` and `exec` carry the descriptor table).
    ///
    /// # Errors
    /// `EIO` when the capabilities are not a pipe end's.
    pub fn adopt(side: Side, slots: EndSlots) -> Result<Self, Errno> {
        Self::adopt_with(side, slots, None)
    }

    /// [`PipeEnd::adopt`], with the write side's end of a [`Side::Both`] end in `second_end`.
    ///
    /// # Errors
    /// `EIO` when the capabilities are not a pipe end's, or `Both` comes without its second end.
    pub fn adopt_with(
        side: Side,
        slots: EndSlots,
        second_end: Option<Slot>,
    ) -> Result<Self, Errno> {
        if (side == Side::Both) != second_end.is_some() {
            return Err(Errno::EIO);
        }
        let end = Self::open_window(side, slots, second_end, None)?;
        // The wake-up is only for promptness: a waiter on an end of another process's making
        // re-checks on its own within `event::wake::FOREIGN_RECHECK_NANOSECONDS`, so an end that
        // already has its kernel limit of watchers (many holders of one side: a FIFO's, or a
        // pipe handed down many times) still works.
        match end.watch() {
            Ok(()) | Err(Errno::EAGAIN) => Ok(end),
            Err(error) => Err(error),
        }
    }

    /// An end of a FIFO, made of capabilities the file server handed over for one open: no
    /// kernel watcher (the ends of a FIFO are shared by every opener; waits on the server's
    /// notifications re-check on their own). `node_status` is what `fstat` reports.
    ///
    /// # Errors
    /// `EIO` when the capabilities are not a pipe end's.
    pub fn from_fifo(
        side: Side,
        slots: EndSlots,
        second_end: Option<Slot>,
        node_status: crate::fs::protocol::StatusWords,
    ) -> Result<Self, Errno> {
        if (side == Side::Both) != second_end.is_some() {
            return Err(Errno::EIO);
        }
        Self::open_window(
            side,
            slots,
            second_end,
            Some(alloc::boxed::Box::new(node_status)),
        )
    }

    fn open_window(
        side: Side,
        slots: EndSlots,
        second_end: Option<Slot>,
        node_status: Option<alloc::boxed::Box<crate::fs::protocol::StatusWords>>,
    ) -> Result<Self, Errno> {
        let window = SharedWindow::map(slots.frame, RING_PAGES).map_err(errno_of)?;
        Ok(Self {
            side,
            slots,
            second_end,
            node_status,
            writers_at_open: None,
            window,
            generation: 0,
            alive_at: AtomicU64::new(0),
        })
    }

    /// Asks the kernel to signal our notification when the other side is gone (`EAGAIN`: the
    /// end has its most watchers already).
    fn watch(&self) -> Result<(), Errno> {
        call(Call::ChannelWatch {
            end: self.slots.channel_end,
            notification: self.slots.own_notification,
            bits: PEER_GONE,
        })
        .map(|_| ())
        .map_err(|error| match error {
            KernelError::InvalidState => Errno::EAGAIN,
            other => errno_of(other),
        })
    }

    /// Which end this is.
    #[must_use]
    pub fn side(&self) -> Side {
        self.side
    }

    /// This end's capabilities (to grant to a child).
    #[must_use]
    pub fn slots(&self) -> EndSlots {
        self.slots
    }

    /// With [`Side::Both`], the write side's end (to grant with [`PipeEnd::slots`]).
    #[must_use]
    pub fn second_end(&self) -> Option<Slot> {
        self.second_end
    }

    /// A FIFO's node as `stat` reported it when this end was opened (`None` for a pipe).
    #[must_use]
    pub fn node_status(&self) -> Option<&crate::fs::protocol::StatusWords> {
        self.node_status.as_deref()
    }

    /// The notification readers sleep on.
    fn reader_notification(&self) -> Slot {
        match self.side {
            Side::Writer => self.slots.peer_notification,
            Side::Reader | Side::Both => self.slots.own_notification,
        }
    }

    /// The notification writers sleep on.
    fn writer_notification(&self) -> Slot {
        match self.side {
            Side::Writer => self.slots.own_notification,
            Side::Reader | Side::Both => self.slots.peer_notification,
        }
    }

    /// Whether every reader is gone (never, for an end that is a reader itself).
    fn readers_gone(&self) -> bool {
        match self.side {
            Side::Both => false,
            Side::Reader | Side::Writer => self.peer_gone(),
        }
    }

    /// Whether the other side has a live end or has been opened since `count` (a FIFO's opens
    /// counter, [`READERS_OPENED`] or [`WRITERS_OPENED`] at our own open): what a blocking FIFO
    /// open waits for.
    #[must_use]
    pub fn partner_arrived(&self, counter: usize, count: u64) -> bool {
        let now = self.window.word(counter).load(Ordering::Acquire);
        if now & crate::fs::protocol::FIFO_COUNT_MASK
            != count & crate::fs::protocol::FIFO_COUNT_MASK
        {
            return true;
        }
        !self.peer_gone()
    }

    /// Records, for a FIFO's read end, the writers' opens counter at its open (see `poll`).
    pub fn set_writers_at_open(&mut self, count: u64) {
        self.writers_at_open = Some(count & crate::fs::protocol::FIFO_COUNT_MASK);
    }

    /// Whether this is a FIFO's read end that no writer has opened since its open.
    fn never_had_writer(&self) -> bool {
        self.writers_at_open.is_some_and(|count| {
            let now = self.window.word(WRITERS_OPENED).load(Ordering::Acquire);
            now & crate::fs::protocol::FIFO_COUNT_MASK == count
        })
    }

    /// Sleeps on this end's own notification until something changes (the file server signals
    /// it when the other side opens), for at most the foreign re-check bound.
    ///
    /// # Errors
    /// `EINTR` when a handler without `SA_RESTART` ran since `epoch`.
    pub fn wait_for_partner(&self, epoch: crate::signal::delivery::Epoch) -> Result<(), Errno> {
        self.sleep(epoch, self.slots.own_notification)
    }

    /// Whether every capability to the other end is gone (asked of the kernel).
    fn peer_gone(&self) -> bool {
        let epoch = crate::event::wake::peer_epoch();
        // Detail 1 while the other end has capabilities, 0 after; an error means our own end is
        // unusable, which the caller cannot do better than treat as gone.
        let gone = call(Call::CapabilityIdentify {
            slot: self.slots.channel_end,
        })
        .map_or(true, |words| words[3] == 0);
        if !gone {
            self.alive_at.store(epoch, Ordering::Release);
        }
        gone
    }

    /// [`PipeEnd::peer_gone`] for a reader about to sleep on an empty ring: asks the kernel only
    /// when a peer-gone wake-up or a timed-out wait may have happened since it last said the
    /// writers live. Sleeping on a stale "alive" cannot hang: the writers' end going signals
    /// the notification the reader sleeps on (`ChannelWatch`), and every wait is bounded.
    fn peer_gone_before_sleeping(&self) -> bool {
        if self.alive_at.load(Ordering::Acquire) == crate::event::wake::peer_epoch() {
            return false;
        }
        self.peer_gone()
    }

    /// Bytes in the ring; `EPIPE` when the ring's frame died (its payer ended), `EIO` when the
    /// shared positions are inconsistent.
    fn used(&self) -> Result<u64, Errno> {
        let read = self.window.word(READ_POSITION).load(Ordering::Acquire);
        let write = self.window.word(WRITE_POSITION).load(Ordering::Acquire);
        if self.window.is_dead() {
            return Err(Errno::EPIPE);
        }
        let used = write.wrapping_sub(read);
        if used > CAPACITY {
            return Err(Errno::EIO);
        }
        Ok(used)
    }

    /// The error of a failed copy: the ring died (`EPIPE`) or the positions lied (`EIO`).
    fn copy_error(&self) -> Errno {
        if self.window.is_dead() {
            Errno::EPIPE
        } else {
            Errno::EIO
        }
    }

    /// Wakes the other side's sleepers if `waiting_word` ([`READER_WAITING`] or
    /// [`WRITER_WAITING`]) says some wait.
    fn wake_peer(&self, waiting_word: usize) {
        if self.window.word(waiting_word).swap(0, Ordering::AcqRel) != 0 {
            let notification = if waiting_word == READER_WAITING {
                self.reader_notification()
            } else {
                self.writer_notification()
            };
            let _ = call(Call::NotificationSignal {
                notification,
                bits: PROGRESS,
            });
        }
    }

    fn wake_source(&self, notification: Slot) -> crate::event::wake::WakeSource {
        crate::event::wake::WakeSource {
            notification,
            generation: self.generation,
        }
    }

    /// Waits on `notification` for the peer's progress. `EINTR` when a handler without
    /// `SA_RESTART` ran since the call began (`epoch`), else the caller checks again (a
    /// restart, or a stop and continue).
    fn sleep(
        &self,
        epoch: crate::signal::delivery::Epoch,
        notification: Slot,
    ) -> Result<(), Errno> {
        if epoch.must_interrupt() {
            return Err(Errno::EINTR);
        }
        match self.wake_source(notification).sleep(RECHECK_NANOSECONDS) {
            Err(Errno::EINTR) => {
                crate::signal::delivery::deliver_pending();
                if epoch.must_interrupt() {
                    Err(Errno::EINTR)
                } else {
                    Ok(())
                }
            }
            other => other,
        }
    }

    /// The readiness `poll` and `epoll` see: the read end is readable with data or at end of
    /// file, the write end writable with room for `PIPE_BUF` bytes; a write end whose readers
    /// are gone is `EPOLLERR`, a read end whose writers are gone `EPOLLHUP`.
    #[must_use]
    pub fn status(&self) -> crate::event::readiness::Status {
        use crate::event::readiness::{ERR, HUP, IN, OUT, Status};
        let used = self.used();
        let mut events = 0;
        if self.side == Side::Reader
            && used.as_ref().is_ok_and(|used| *used == 0)
            && self.never_had_writer()
        {
            // A FIFO reader no writer ever met: not readable, no hang-up (as on Linux).
            return Status {
                events,
                activity: self.window.word(WRITERS_OPENED).load(Ordering::Acquire),
            };
        }
        if self.side != Side::Writer && used.map_or(true, |used| used > 0) {
            events |= IN;
        }
        if self.side != Side::Reader && used.map_or(true, |used| CAPACITY - used >= PIPE_BUF as u64)
        {
            events |= OUT;
        }
        match self.side {
            Side::Reader if self.window.is_dead() || self.peer_gone() => events |= IN | HUP,
            Side::Writer if self.window.is_dead() || self.peer_gone() => events |= ERR,
            Side::Both if self.window.is_dead() => events |= ERR | HUP,
            _ => {}
        }
        Status {
            events,
            activity: self.window.word(WRITE_POSITION).load(Ordering::Acquire)
                ^ self
                    .window
                    .word(READ_POSITION)
                    .load(Ordering::Acquire)
                    .rotate_left(32),
        }
    }

    /// Registers a poller's interest in this end's shared header; says where the wake-up comes.
    #[must_use]
    pub fn register(&self, _events: u32) -> crate::event::wake::WakeSource {
        if self.side != Side::Writer {
            self.window.word(READER_WAITING).store(1, Ordering::SeqCst);
        }
        if self.side != Side::Reader {
            self.window.word(WRITER_WAITING).store(1, Ordering::SeqCst);
        }
        // `Both`: the readers' notification; a writer's wake-up goes to the writers' one, which
        // the bounded re-check of an end of another process's making covers.
        self.wake_source(self.slots.own_notification)
    }

    /// Copies ring bytes from stream position `position` into `buffer`.
    fn copy_out(&self, position: u64, buffer: &mut [u8]) -> Result<(), Errno> {
        let start = (position % CAPACITY) as usize;
        let first = buffer.len().min(CAPACITY as usize - start);
        let (head, tail) = buffer.split_at_mut(first);
        if self.window.copy_out(DATA + start, head) && self.window.copy_out(DATA, tail) {
            Ok(())
        } else {
            Err(self.copy_error())
        }
    }

    fn copy_in(&self, position: u64, bytes: &[u8]) -> Result<(), Errno> {
        let start = (position % CAPACITY) as usize;
        let first = bytes.len().min(CAPACITY as usize - start);
        let (head, tail) = bytes.split_at(first);
        if self.window.copy_in(DATA + start, head) && self.window.copy_in(DATA, tail) {
            Ok(())
        } else {
            Err(self.copy_error())
        }
    }

    /// `read` on the read end: waits for data unless `nonblocking`; 0 at end of file — when
    /// every writer is gone, or when the ring itself died with the process that paid for it
    /// (what was copied out of it in the same call is dropped: it may be the stand-in's zeros).
    ///
    /// # Errors
    /// `EAGAIN` (nonblocking, empty, writers present), `EINTR`, `EIO` (lying positions).
    pub fn read(&self, buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        if buffer.is_empty() {
            return Ok(0);
        }
        match self.read_ring(buffer, nonblocking) {
            Err(Errno::EPIPE) => Ok(0),
            result => result,
        }
    }

    /// [`PipeEnd::read`], with a dead ring as `EPIPE`.
    fn read_ring(&self, buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        let epoch = crate::signal::delivery::Epoch::now();
        loop {
            let used = self.used()?;
            if used > 0 {
                let count = (used as usize).min(buffer.len());
                let read = self.window.word(READ_POSITION).load(Ordering::Acquire);
                // Checks for a dead ring after the copy, before the position is published.
                self.copy_out(read, &mut buffer[..count])?;
                self.window
                    .word(READ_POSITION)
                    .store(read.wrapping_add(count as u64), Ordering::Release);
                self.wake_peer(WRITER_WAITING);
                return Ok(count);
            }
            // A reader that returns now (`O_NONBLOCK`) needs the current answer: end of file
            // rather than `EAGAIN` once the writers are gone.
            let gone = if nonblocking {
                self.peer_gone()
            } else {
                self.peer_gone_before_sleeping()
            };
            if gone {
                // Data written just before the last writer went is still delivered.
                if self.used()? == 0 {
                    return Ok(0);
                }
                continue;
            }
            if nonblocking {
                return Err(Errno::EAGAIN);
            }
            self.window.word(READER_WAITING).store(1, Ordering::SeqCst);
            if self.used()? == 0 {
                self.sleep(epoch, self.reader_notification())?;
            }
        }
    }

    /// `write` on the write end: all of `bytes` unless `nonblocking` (then what fits; writes of
    /// at most [`PIPE_BUF`] bytes go in whole or not at all).
    ///
    /// # Errors
    /// `EPIPE` when every reader is gone or the ring died with the process that paid for it
    /// (bytes written before are counted; the ones of the copy that met the death are not);
    /// `EAGAIN` (nonblocking and nothing fits); `EINTR`; `EIO` (lying positions).
    pub fn write(&self, bytes: &[u8], nonblocking: bool) -> Result<usize, Errno> {
        let mut written = 0;
        match self.write_ring(bytes, nonblocking, &mut written) {
            Err(Errno::EPIPE) if written > 0 => Ok(written),
            result => result,
        }
    }

    /// [`PipeEnd::write`], counting what went into the ring in `written`.
    fn write_ring(
        &self,
        bytes: &[u8],
        nonblocking: bool,
        written: &mut usize,
    ) -> Result<usize, Errno> {
        let epoch = crate::signal::delivery::Epoch::now();
        loop {
            // A write that is done returns without asking again (a zero-length write is 0, as
            // on Linux, readers or not).
            if *written == bytes.len() {
                return Ok(*written);
            }
            if self.readers_gone() {
                return if *written > 0 {
                    Ok(*written)
                } else {
                    Err(Errno::EPIPE)
                };
            }
            let free = (CAPACITY - self.used()?) as usize;
            let rest = &bytes[*written..];
            let needed = if bytes.len() <= PIPE_BUF {
                rest.len()
            } else {
                1
            };
            if free >= needed {
                let count = free.min(rest.len());
                let write = self.window.word(WRITE_POSITION).load(Ordering::Acquire);
                // Checks for a dead ring after the copy, before the position is published.
                self.copy_in(write, &rest[..count])?;
                self.window
                    .word(WRITE_POSITION)
                    .store(write.wrapping_add(count as u64), Ordering::Release);
                self.wake_peer(READER_WAITING);
                *written += count;
                continue;
            }
            if nonblocking {
                return if *written > 0 {
                    Ok(*written)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            self.window.word(WRITER_WAITING).store(1, Ordering::SeqCst);
            if ((CAPACITY - self.used()?) as usize) < needed {
                match self.sleep(epoch, self.writer_notification()) {
                    // Interrupted after some bytes went: a short write, as POSIX says.
                    Err(Errno::EINTR) if *written > 0 => return Ok(*written),
                    other => other?,
                }
            }
        }
    }

    /// Bytes waiting in the ring (`FIONREAD`): none once the ring died.
    ///
    /// # Errors
    /// `EIO` when the shared positions are inconsistent.
    pub fn available(&self) -> Result<usize, Errno> {
        match self.used() {
            Err(Errno::EPIPE) => Ok(0),
            used => used.map(|used| used as usize),
        }
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        // Deleting our channel end is what tells the other side we are gone; wake it so it
        // notices now rather than at its next re-check.
        release(self.slots.channel_end);
        if let Some(second) = self.second_end {
            release(second);
        }
        let _ = call(Call::NotificationSignal {
            notification: self.slots.peer_notification,
            bits: PROGRESS,
        });
        if self.side == Side::Both {
            let _ = call(Call::NotificationSignal {
                notification: self.slots.own_notification,
                bits: PROGRESS,
            });
        }
        release(self.slots.peer_notification);
        release(self.slots.own_notification);
        release(self.slots.frame);
    }
}
