//! One direction of a connection: a byte ring in a shared window, with the words its two sides
//! use to wait for each other and to shut it down.
//!
//! Positions are free-running byte counts written by one side each; nothing read from the
//! shared page is trusted as an index (a ring claiming more than its capacity is `EIO`). A
//! message ring frames each message with a 4-byte length and writes it whole or not at all.
//! When the frame died with the process that paid for it (`window_recovery`), every operation
//! that looked at the ring fails with `EPIPE`, checked after each copy and before a position is
//! published; the connection turns that into `ECONNRESET`, end of file or `EPIPE`.

use core::sync::atomic::{AtomicU64, Ordering};

use libposix_sys::errno::Errno;

use crate::shared_window::SharedWindow;

const READ_POSITION: usize = 0;
const WRITE_POSITION: usize = 8;
const READER_WAITING: usize = 16;
const WRITER_WAITING: usize = 24;
/// Set when the writing side shut down writing (`SHUT_WR`): the reader sees end of file.
const WRITE_SHUT: usize = 32;
/// Set when the reading side shut down reading (`SHUT_RD`): the writer gets `EPIPE`.
const READ_SHUT: usize = 40;
/// Bytes of header one direction takes in the header page.
pub const HEADER_BYTES: usize = 64;
/// The length prefix of a message.
pub const MESSAGE_HEADER: usize = 4;

/// One direction's header words and data area inside a window.
pub struct Ring<'a> {
    window: &'a SharedWindow,
    header: usize,
    data: usize,
    capacity: u64,
}

/// Which waiting word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiter {
    /// A reader waiting for data.
    Reader,
    /// A writer waiting for space.
    Writer,
}

impl<'a> Ring<'a> {
    /// The ring whose header is at `header` and data at `data..data + capacity` of `window`.
    #[must_use]
    pub fn new(window: &'a SharedWindow, header: usize, data: usize, capacity: u64) -> Self {
        Self {
            window,
            header,
            data,
            capacity,
        }
    }

    fn word(&self, offset: usize) -> &AtomicU64 {
        self.window.word(self.header + offset)
    }

    /// The ring's capacity in bytes.
    #[must_use]
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Bytes written and not yet read.
    ///
    /// # Errors
    /// `EIO` when the shared positions are inconsistent, `EPIPE` when the ring died.
    pub fn used(&self) -> Result<u64, Errno> {
        let read = self.word(READ_POSITION).load(Ordering::Acquire);
        let write = self.word(WRITE_POSITION).load(Ordering::Acquire);
        if self.window.is_dead() {
            return Err(Errno::EPIPE);
        }
        let used = write.wrapping_sub(read);
        if used > self.capacity {
            return Err(Errno::EIO);
        }
        Ok(used)
    }

    /// Bytes that fit.
    ///
    /// # Errors
    /// As [`Ring::used`].
    pub fn free(&self) -> Result<u64, Errno> {
        Ok(self.capacity - self.used()?)
    }

    /// The write position: grows with every byte written (edge-triggered readiness uses it).
    #[must_use]
    pub fn written(&self) -> u64 {
        self.word(WRITE_POSITION).load(Ordering::Acquire)
    }

    /// The read position.
    #[must_use]
    pub fn consumed(&self) -> u64 {
        self.word(READ_POSITION).load(Ordering::Acquire)
    }

    fn copy_out(&self, position: u64, buffer: &mut [u8]) -> Result<(), Errno> {
        let start = (position % self.capacity) as usize;
        let first = buffer.len().min(self.capacity as usize - start);
        let (head, tail) = buffer.split_at_mut(first);
        if self.window.copy_out(self.data + start, head) && self.window.copy_out(self.data, tail) {
            Ok(())
        } else {
            Err(self.copy_error())
        }
    }

    fn copy_in(&self, position: u64, bytes: &[u8]) -> Result<(), Errno> {
        let start = (position % self.capacity) as usize;
        let first = bytes.len().min(self.capacity as usize - start);
        let (head, tail) = bytes.split_at(first);
        if self.window.copy_in(self.data + start, head) && self.window.copy_in(self.data, tail) {
            Ok(())
        } else {
            Err(self.copy_error())
        }
    }

    /// The error of a failed copy: the ring died (`EPIPE`) or the positions lied (`EIO`).
    fn copy_error(&self) -> Errno {
        if self.window.is_dead() {
            Errno::EPIPE
        } else {
            Errno::EIO
        }
    }

    /// Copies up to `buffer.len()` bytes from the read position; consumes them unless `peek`.
    ///
    /// # Errors
    /// `EIO` for an inconsistent ring.
    pub fn read_bytes(&self, buffer: &mut [u8], peek: bool) -> Result<usize, Errno> {
        let used = self.used()?;
        let count = (used as usize).min(buffer.len());
        let read = self.consumed();
        self.copy_out(read, &mut buffer[..count])?;
        if !peek {
            self.word(READ_POSITION)
                .store(read.wrapping_add(count as u64), Ordering::Release);
        }
        Ok(count)
    }

    /// Appends `bytes` (the caller checked they fit).
    ///
    /// # Errors
    /// `EIO` for an inconsistent ring.
    pub fn write_bytes(&self, bytes: &[u8]) -> Result<(), Errno> {
        let write = self.written();
        self.copy_in(write, bytes)?;
        self.word(WRITE_POSITION)
            .store(write.wrapping_add(bytes.len() as u64), Ordering::Release);
        Ok(())
    }

    /// The length of the next message, if a whole one is there.
    ///
    /// # Errors
    /// `EIO` when the ring holds a length that cannot be right.
    pub fn next_message_length(&self) -> Result<Option<usize>, Errno> {
        let used = self.used()?;
        if used < MESSAGE_HEADER as u64 {
            return Ok(None);
        }
        let mut header = [0u8; MESSAGE_HEADER];
        self.copy_out(self.consumed(), &mut header)?;
        let length = u32::from_le_bytes(header) as u64;
        if length + MESSAGE_HEADER as u64 > used {
            return Err(Errno::EIO);
        }
        Ok(Some(length as usize))
    }

    /// Takes (or with `peek` copies) the next message into `buffer`; returns its whole length
    /// (more than `buffer.len()` when it was truncated: the rest is dropped unless `peek`).
    ///
    /// # Errors
    /// `EIO` for an inconsistent ring; `EAGAIN` when no message is there.
    pub fn read_message(&self, buffer: &mut [u8], peek: bool) -> Result<usize, Errno> {
        let length = self.next_message_length()?.ok_or(Errno::EAGAIN)?;
        let start = self.consumed().wrapping_add(MESSAGE_HEADER as u64);
        let count = length.min(buffer.len());
        self.copy_out(start, &mut buffer[..count])?;
        if !peek {
            self.word(READ_POSITION)
                .store(start.wrapping_add(length as u64), Ordering::Release);
        }
        Ok(length)
    }

    /// Appends one message (the caller checked that `MESSAGE_HEADER + bytes.len()` fits).
    ///
    /// # Errors
    /// `EIO` for an inconsistent ring.
    pub fn write_message(&self, bytes: &[u8]) -> Result<(), Errno> {
        let write = self.written();
        let length = u32::try_from(bytes.len()).map_err(|_| Errno::EMSGSIZE)?;
        self.copy_in(write, &length.to_le_bytes())?;
        self.copy_in(write.wrapping_add(MESSAGE_HEADER as u64), bytes)?;
        self.word(WRITE_POSITION).store(
            write.wrapping_add((MESSAGE_HEADER + bytes.len()) as u64),
            Ordering::Release,
        );
        Ok(())
    }

    /// Marks that `waiter` is about to sleep (or is polling).
    pub fn set_waiting(&self, waiter: Waiter) {
        self.word(waiting_word(waiter)).store(1, Ordering::SeqCst);
    }

    /// Clears `waiter`'s word; true when it was set (the caller then signals the other side).
    #[must_use]
    pub fn take_waiting(&self, waiter: Waiter) -> bool {
        self.word(waiting_word(waiter)).swap(0, Ordering::AcqRel) != 0
    }

    /// Whether the writer shut down writing.
    #[must_use]
    pub fn write_shut(&self) -> bool {
        self.word(WRITE_SHUT).load(Ordering::Acquire) != 0
    }

    /// Records that the writer shut down writing.
    pub fn shut_write(&self) {
        self.word(WRITE_SHUT).store(1, Ordering::Release);
    }

    /// Whether the reader shut down reading.
    #[must_use]
    pub fn read_shut(&self) -> bool {
        self.word(READ_SHUT).load(Ordering::Acquire) != 0
    }

    /// Records that the reader shut down reading.
    pub fn shut_read(&self) {
        self.word(READ_SHUT).store(1, Ordering::Release);
    }
}

fn waiting_word(waiter: Waiter) -> usize {
    match waiter {
        Waiter::Reader => READER_WAITING,
        Waiter::Writer => WRITER_WAITING,
    }
}
