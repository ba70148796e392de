//! A written file's bytes in frames this server owns: a header page holding the size, and data
//! segments (`vfs::storage`'s layout) allocated as the file grows. The server maps them in a
//! [`FileWindow`] of its own; clients get capabilities to the same frames (`MapFile`), so their
//! reads and writes are copies that every other opener sees at once.
//!
//! Segments are allocated only where bytes are written (a hole has none and reads as zeros),
//! and never freed while the file lives (a client may have them mapped): truncation zeroes the
//! bytes past the new size instead, so that growing the file again reads zeros.

use core::sync::atomic::Ordering;

use libos::abi::{Call, KernelError, PageCount, Rights, Slot, initial};
use libos::file_window::{FileWindow, SEGMENT_LIMIT};
use libos::fs::protocol::{FILE_SIZE_LIMIT, header_index};
use libos::kernel::call;
use libos::slots;
use libposix_sys::errno::Errno;
use vfs::memory_tree::Time;
use vfs::storage::{FileStorage, capacity_of, segment_of, segment_pages, segments_for};

/// One file's frames.
pub struct FrameStorage {
    window: FileWindow,
    header: Slot,
    segments: [Option<Slot>; SEGMENT_LIMIT as usize],
}

fn no_space(_: KernelError) -> Errno {
    Errno::ENOSPC
}

/// A new frame of `pages` pages in a slot of its own.
fn allocate_frame(pages: u64) -> Result<Slot, Errno> {
    let slot = slots::allocate().ok_or(Errno::ENOSPC)?;
    if let Err(error) = call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: slot,
        pages: PageCount(pages),
    }) {
        slots::free(slot);
        return Err(no_space(error));
    }
    Ok(slot)
}

fn delete(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

impl FrameStorage {
    /// How many segments the file has.
    #[must_use]
    pub fn segment_count(&self) -> u32 {
        self.segments.iter().flatten().count() as u32
    }

    /// Allocates (and maps) segment `index` unless it exists.
    ///
    /// # Errors
    /// `EFBIG` past the size limit, `ENOSPC`.
    pub fn ensure_segment(&mut self, index: u32) -> Result<(), Errno> {
        let entry = self.segments.get_mut(index as usize).ok_or(Errno::EFBIG)?;
        if entry.is_some() {
            return Ok(());
        }
        let frame = allocate_frame(segment_pages(index))?;
        if let Err(error) = self.window.map_segment(frame, index, true) {
            delete(frame);
            return Err(no_space(error));
        }
        *entry = Some(frame);
        Ok(())
    }

    /// A copy of the header's (`piece` 0) or segment `piece - 1`'s frame capability in a new
    /// slot, with the rights an open for `writable` allows (the caller transfers and deletes
    /// it).
    ///
    /// # Errors
    /// `ENXIO`: no such segment; `ENFILE`: no slot.
    pub fn grant(&self, piece: u32, writable: bool) -> Result<Slot, Errno> {
        let source = if piece == 0 {
            self.header
        } else {
            self.segments
                .get(piece as usize - 1)
                .copied()
                .flatten()
                .ok_or(Errno::ENXIO)?
        };
        let mut rights = Rights::READ | Rights::MAP | Rights::GRANT;
        if writable {
            rights |= Rights::WRITE;
        }
        let slot = slots::allocate().ok_or(Errno::ENFILE)?;
        if call(Call::CapabilityCopy {
            source,
            destination: slot,
            rights,
        })
        .is_err()
        {
            slots::free(slot);
            return Err(Errno::EIO);
        }
        Ok(slot)
    }

    fn size_word(&self) -> &core::sync::atomic::AtomicU64 {
        self.header_word(header_index::SIZE)
    }

    fn header_word(&self, index: usize) -> &core::sync::atomic::AtomicU64 {
        self.window
            .header_word(index)
            .unwrap_or_else(|| unreachable!("the header is mapped from the start"))
    }
}

impl FileStorage for FrameStorage {
    fn empty() -> Result<Self, Errno> {
        let mut window = FileWindow::reserve().ok_or(Errno::ENOSPC)?;
        let header = allocate_frame(1)?;
        if let Err(error) = window.map_header(header, true) {
            delete(header);
            return Err(no_space(error));
        }
        Ok(Self {
            window,
            header,
            segments: [None; SEGMENT_LIMIT as usize],
        })
    }

    fn length(&self) -> u64 {
        // Writers store the size directly: never trust it past the limit.
        self.size_word()
            .load(Ordering::Acquire)
            .min(FILE_SIZE_LIMIT)
    }

    fn read_at(&self, offset: u64, buffer: &mut [u8]) -> usize {
        let length = self.length();
        if offset >= length {
            return 0;
        }
        let count = buffer.len().min((length - offset) as usize);
        let mut done = 0;
        while done < count {
            let position = offset + done as u64;
            let index = segment_of(position);
            let segment_end = capacity_of(index + 1);
            let chunk = count.min(done + (segment_end - position) as usize) - done;
            let target = &mut buffer[done..done + chunk];
            if !self.window.copy_out(position, target) {
                // No segment there yet: a hole.
                target.fill(0);
            }
            done += chunk;
        }
        count
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), Errno> {
        let end = offset.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        if end > FILE_SIZE_LIMIT {
            return Err(Errno::EFBIG);
        }
        if data.is_empty() {
            return Ok(());
        }
        for index in segment_of(offset)..segments_for(end) {
            self.ensure_segment(index)?;
        }
        if !self.window.copy_in(offset, data) {
            return Err(Errno::EIO);
        }
        self.size_word().fetch_max(end, Ordering::AcqRel);
        Ok(())
    }

    fn modified(&self) -> Option<Time> {
        let nanoseconds = self
            .header_word(header_index::MODIFIED)
            .load(Ordering::Acquire);
        (nanoseconds != 0).then(|| Time::from_nanoseconds(nanoseconds))
    }

    fn forget_modified(&mut self) {
        self.header_word(header_index::MODIFIED)
            .store(0, Ordering::Release);
    }

    fn set_length(&mut self, length: u64) -> Result<(), Errno> {
        if length > FILE_SIZE_LIMIT {
            return Err(Errno::EFBIG);
        }
        let old = self.length();
        self.size_word().store(length, Ordering::Release);
        if length < old {
            // Keep "bytes past the size are zero", so growing again reads zeros.
            let mut position = length;
            while position < old {
                let index = segment_of(position);
                let segment_end = capacity_of(index + 1).min(old);
                // A missing segment already reads as zeros.
                self.window
                    .zero(position, (segment_end - position) as usize);
                position = segment_end;
            }
        }
        Ok(())
    }
}

impl Drop for FrameStorage {
    fn drop(&mut self) {
        // The window unmaps when it drops; clients' copies keep the frames alive until they
        // close.
        for &slot in core::iter::once(&self.header).chain(self.segments.iter().flatten()) {
            delete(slot);
        }
    }
}

impl core::fmt::Debug for FrameStorage {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter
            .debug_struct("FrameStorage")
            .field("segments", &self.segments.len())
            .finish()
    }
}
