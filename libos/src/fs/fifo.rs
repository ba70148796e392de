//! Opening a FIFO of the shared root: the file server's `Open` answered a FIFO opening; this
//! fetches its pieces (the ring's frame, the two notifications, an end of each side opened)
//! and waits for the other side as POSIX says, then the descriptor is a pipe end
//! (`crate::io::pipe`) and moves data exactly as one.
//!
//! `O_RDONLY` waits until a writer has opened since (or is there), `O_WRONLY` until a reader
//! has; a partner that came and went since our open counts (the opens counters in the ring's
//! header, which the server bumps). `O_NONBLOCK` waits for nothing (a writer without readers
//! got `ENXIO` from the server), and `O_RDWR` holds both sides, so it never waits. A wait ends
//! with `EINTR` when a handler without `SA_RESTART` runs; each sleep is bounded, so a signal is
//! seen within the re-check bound even if no wake-up comes.
//!
//! Cost: one `Open` and one `FifoPiece` per capability (four, five with `O_RDWR`), the last
//! one closing the server's handle.

use alloc::vec::Vec;

use exokernel_abi::Slot;
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};

use super::client;
use super::protocol::{StatusWords, fifo_piece};
use crate::io::pipe::{EndSlots, PipeEnd, READERS_OPENED, Side, WRITERS_OPENED};
use crate::slots;

fn release(slot: Slot) {
    let _ = crate::kernel::call(exokernel_abi::Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// The pieces fetched so far, released if the open fails.
struct Fetched {
    handle: u32,
    slots: Vec<Slot>,
    /// Whether the server's handle is closed (the last piece was asked for).
    closed: bool,
}

impl Fetched {
    fn fetch(&mut self, piece: u32, last: bool) -> Result<Slot, Errno> {
        let slot = slots::allocate().ok_or(Errno::EMFILE)?;
        self.closed |= last;
        match client::fifo_piece(self.handle, piece, last, slot) {
            Ok(()) => {
                self.slots.push(slot);
                Ok(slot)
            }
            Err(error) => {
                slots::free(slot);
                Err(error)
            }
        }
    }
}

impl Drop for Fetched {
    fn drop(&mut self) {
        for &slot in &self.slots {
            release(slot);
        }
        if !self.closed {
            client::close(self.handle);
        }
    }
}

/// What the server counted at an open.
pub(crate) struct Counted {
    /// Opens for reading and for writing, ours included.
    pub counts: [u64; 2],
    /// Whether the other side had an end at our open: then nothing is waited for (it may be
    /// gone by the time we look, as a writer that wrote and closed at once).
    pub partner_present: bool,
}

/// Turns FIFO opening `handle` (opened with `flags`, counted as `counted`) into a pipe end,
/// waiting for the other side unless `O_NONBLOCK` or `O_RDWR`, or it was there already.
///
/// # Errors
/// `EINTR` (a signal while waiting), `EMFILE` (no slots), `EINVAL` (no access mode), the
/// server's answers.
pub(crate) fn open(
    handle: u32,
    flags: i32,
    counted: Counted,
    status: StatusWords,
) -> Result<PipeEnd, Errno> {
    let counts = counted.counts;
    let mut fetched = Fetched {
        handle,
        slots: Vec::new(),
        closed: false,
    };
    let side = match flags & O_ACCMODE {
        O_RDONLY => Side::Reader,
        O_WRONLY => Side::Writer,
        O_RDWR => Side::Both,
        _ => return Err(Errno::EINVAL),
    };
    let frame = fetched.fetch(fifo_piece::FRAME, false)?;
    let reader_notification = fetched.fetch(fifo_piece::READER_NOTIFICATION, false)?;
    let writer_notification = fetched.fetch(fifo_piece::WRITER_NOTIFICATION, false)?;
    let (slots, second_end) = match side {
        Side::Reader => (
            EndSlots {
                frame,
                channel_end: fetched.fetch(fifo_piece::READ_END, true)?,
                own_notification: reader_notification,
                peer_notification: writer_notification,
            },
            None,
        ),
        Side::Writer => (
            EndSlots {
                frame,
                channel_end: fetched.fetch(fifo_piece::WRITE_END, true)?,
                own_notification: writer_notification,
                peer_notification: reader_notification,
            },
            None,
        ),
        Side::Both => {
            let read_end = fetched.fetch(fifo_piece::READ_END, false)?;
            let write_end = fetched.fetch(fifo_piece::WRITE_END, true)?;
            (
                EndSlots {
                    frame,
                    channel_end: read_end,
                    own_notification: reader_notification,
                    peer_notification: writer_notification,
                },
                Some(write_end),
            )
        }
    };
    let mut end = PipeEnd::from_fifo(side, slots, second_end, status)?;
    if side == Side::Reader {
        end.set_writers_at_open(counts[1]);
    }
    // The end owns the capabilities now (dropping it releases them).
    fetched.slots.clear();
    drop(fetched);
    let awaited = match side {
        Side::Reader => Some((WRITERS_OPENED, counts[1])),
        Side::Writer => Some((READERS_OPENED, counts[0])),
        Side::Both => None,
    };
    if let Some((counter, count)) = awaited
        && flags & O_NONBLOCK == 0
        && !counted.partner_present
    {
        let epoch = crate::signal::delivery::Epoch::now();
        while !end.partner_arrived(counter, count) {
            end.wait_for_partner(epoch)?;
        }
    }
    Ok(end)
}
