//! FIFOs: the rendezvous the server keeps for each FIFO node that has been opened.
//!
//! On the first open of a FIFO node the server makes the ring's frame (paid by the server's own
//! quota, so it outlives every client), a channel, a **keeper** of each end (`ChannelDerive`:
//! it derives counting end objects but never counts as a peer itself) and one notification per
//! side. Each open derives a counting end object of each side it was opened for and keeps it in
//! an [`Opening`] until the client fetches it (`FifoPiece`), so a reader that has opened but not
//! yet fetched already counts as a reader for a writer's `O_NONBLOCK` open. Opens are counted in
//! the ring's header, so that a blocked opener also sees a partner that came and went. The data
//! path is the LibOS's pipe code, unchanged: end of file and `EPIPE` follow from the kernel's
//! count of each side's live end objects, whatever way their holders ended.
//!
//! The rendezvous goes when the node does (unlinked and no longer held): the clients' copies of
//! the frame, ends and notifications keep working among themselves.

use core::sync::atomic::Ordering;

use libos::abi::{Call, PageCount, Rights, Slot, initial};
use libos::fs::protocol::fifo_piece;
use libos::io::pipe::{READERS_OPENED, RING_PAGES, WRITERS_OPENED};
use libos::kernel::call;
use libos::shared_window::SharedWindow;
use libos::slots;
use libposix_sys::errno::Errno;

/// The read side's index (the channel's first end).
const READ_SIDE: usize = 0;
/// The write side's index.
const WRITE_SIDE: usize = 1;

/// The ring header's words the server resets when a FIFO is opened with nobody on either side:
/// the positions and the waiting words (Linux drops a FIFO's bytes once both sides are gone).
const RESET_WORDS: [usize; 4] = [0, 8, 16, 24];

fn release(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

fn fresh_slot() -> Result<Slot, Errno> {
    slots::allocate().ok_or(Errno::ENFILE)
}

/// The slots of a rendezvous being built, released together if building fails.
struct Taken(alloc::vec::Vec<Slot>);

impl Taken {
    fn slot(&mut self) -> Result<Slot, Errno> {
        let slot = fresh_slot()?;
        self.0.push(slot);
        Ok(slot)
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        for &slot in &self.0 {
            release(slot);
        }
    }
}

/// One FIFO node's ring, keepers and notifications.
pub struct Rendezvous {
    frame: Slot,
    /// The ring's header page, mapped here (the opens counters, the reset).
    header: SharedWindow,
    keepers: [Slot; 2],
    notifications: [Slot; 2],
}

/// The ends one open derived and the client has not fetched yet (deleted if it never does).
#[derive(Default)]
pub struct Opening {
    ends: [Option<Slot>; 2],
}

impl Drop for Opening {
    fn drop(&mut self) {
        for slot in self.ends.iter().flatten() {
            release(*slot);
        }
    }
}

/// What an open counted: opens for reading and for writing so far, this one included.
pub struct Counts {
    pub readers: u64,
    pub writers: u64,
    /// Whether the other side (of a read-only or write-only open) had an end at this open.
    pub partner_present: bool,
}

impl Rendezvous {
    /// Makes the ring, the channel's keepers and the notifications.
    ///
    /// # Errors
    /// `ENFILE` when slots, memory or windows run out.
    pub fn create() -> Result<Self, Errno> {
        let quota = initial::MEMORY_QUOTA;
        let failed = |_| Errno::ENFILE;
        let mut taken = Taken(alloc::vec::Vec::new());
        let frame = taken.slot()?;
        call(Call::FrameAllocate {
            quota,
            destination: frame,
            pages: PageCount(RING_PAGES),
        })
        .map_err(failed)?;
        let (read_end, write_end) = (taken.slot()?, taken.slot()?);
        call(Call::ChannelCreate {
            quota,
            first: read_end,
            second: write_end,
        })
        .map_err(failed)?;
        let keepers = [taken.slot()?, taken.slot()?];
        for (source, keeper) in [(read_end, keepers[0]), (write_end, keepers[1])] {
            call(Call::ChannelDerive {
                source,
                destination: keeper,
                keeper: 1,
            })
            .map_err(failed)?;
        }
        let notifications = [taken.slot()?, taken.slot()?];
        for destination in notifications {
            call(Call::NotificationCreate { quota, destination }).map_err(failed)?;
        }
        let header = SharedWindow::map(frame, 1).map_err(failed)?;
        // The ends ChannelCreate made would count as a reader and a writer forever: only the
        // keepers stay.
        let kept = [
            frame,
            keepers[0],
            keepers[1],
            notifications[0],
            notifications[1],
        ];
        taken.0.retain(|slot| !kept.contains(slot));
        drop(taken);
        Ok(Self {
            frame,
            header,
            keepers,
            notifications,
        })
    }

    /// Whether a counting end object of `side` has capabilities (asked of the kernel through
    /// the other side's keeper, which answers for its peer).
    fn side_alive(&self, side: usize) -> bool {
        call(Call::CapabilityIdentify {
            slot: self.keepers[1 - side],
        })
        .is_ok_and(|words| words[3] != 0)
    }

    /// An open for reading and/or writing: derives an end of each such side, counts the open
    /// in the ring's header and wakes the other side's blocked openers. With `nonblocking`, a
    /// write-only open without any reader is `ENXIO` (POSIX).
    ///
    /// # Errors
    /// `ENXIO`; `ENFILE` when slots or memory run out.
    pub fn open(
        &self,
        read: bool,
        write: bool,
        nonblocking: bool,
    ) -> Result<(Opening, Counts), Errno> {
        let readers = self.side_alive(READ_SIDE);
        let writers = self.side_alive(WRITE_SIDE);
        if write && !read && nonblocking && !readers {
            return Err(Errno::ENXIO);
        }
        if !readers && !writers {
            for word in RESET_WORDS {
                self.header.word(word).store(0, Ordering::Release);
            }
        }
        let mut opening = Opening::default();
        for (side, wanted) in [(READ_SIDE, read), (WRITE_SIDE, write)] {
            if !wanted {
                continue;
            }
            let slot = fresh_slot()?;
            if call(Call::ChannelDerive {
                source: self.keepers[side],
                destination: slot,
                keeper: 0,
            })
            .is_err()
            {
                slots::free(slot);
                return Err(Errno::ENFILE);
            }
            opening.ends[side] = Some(slot);
        }
        let count = |word: usize, wanted: bool| {
            let counter = self.header.word(word);
            if wanted {
                counter.fetch_add(1, Ordering::AcqRel) + 1
            } else {
                counter.load(Ordering::Acquire)
            }
        };
        let counts = Counts {
            readers: count(READERS_OPENED, read),
            writers: count(WRITERS_OPENED, write),
            partner_present: (read && writers) || (write && readers),
        };
        // A blocked opener of the other side sleeps on its side's notification.
        for (side, opened) in [(WRITE_SIDE, read), (READ_SIDE, write)] {
            if opened {
                let _ = call(Call::NotificationSignal {
                    notification: self.notifications[side],
                    bits: libos::event::wake::PROGRESS,
                });
            }
        }
        Ok((opening, counts))
    }

    /// Piece `piece` of `opening` in a fresh slot, to transfer (the caller deletes it after).
    ///
    /// # Errors
    /// `EINVAL` (unknown piece), `ENOENT` (an end not the opening's or already fetched),
    /// `ENFILE`.
    pub fn piece(&self, opening: &mut Opening, piece: u32) -> Result<Slot, Errno> {
        let source = match piece {
            fifo_piece::READ_END => return opening.ends[READ_SIDE].take().ok_or(Errno::ENOENT),
            fifo_piece::WRITE_END => return opening.ends[WRITE_SIDE].take().ok_or(Errno::ENOENT),
            fifo_piece::FRAME => self.frame,
            fifo_piece::READER_NOTIFICATION => self.notifications[READ_SIDE],
            fifo_piece::WRITER_NOTIFICATION => self.notifications[WRITE_SIDE],
            _ => return Err(Errno::EINVAL),
        };
        let destination = fresh_slot()?;
        if call(Call::CapabilityCopy {
            source,
            destination,
            rights: Rights::all(),
        })
        .is_err()
        {
            slots::free(destination);
            return Err(Errno::ENFILE);
        }
        Ok(destination)
    }
}

impl Drop for Rendezvous {
    fn drop(&mut self) {
        for slot in [
            self.keepers[0],
            self.keepers[1],
            self.notifications[0],
            self.notifications[1],
            self.frame,
        ] {
            release(slot);
        }
    }
}
