//! Windows of this address space where the frames of a file of the shared root are mapped: a
//! header page (the file's size word) and the file's data segments side by side, with
//! bounds-checked access. The file server keeps its files' bytes this way, and each client maps
//! the same frames (read-only when its open only reads) so `read`/`write` are copies.
//!
//! Window `i` starts at [`FILE_WINDOW_BASE`] + `i` × [`WINDOW_SPAN`]: the header page, then the
//! data, segment `k` at page `1 + segment_first_page(k)` (`vfs::storage`). Another process may
//! write the same pages at any time, so the header is read through atomics, data is only ever
//! copied, and nothing read from the pages is trusted as an index.

use core::sync::atomic::AtomicU64;

use exokernel_abi::{KernelError, PAGE_SIZE, PageCount, Rights, Slot, initial};
use spin::Mutex;
use vfs::storage::{segment_first_page, segment_of, segment_pages};

use crate::memory::{map_all, unmap};

/// Where the windows start.
pub const FILE_WINDOW_BASE: u64 = 0x0000_5800_0000_0000;
/// Bytes of address space per window: the header page and 16 MiB of data, rounded up.
pub const WINDOW_SPAN: u64 = 32 * 1024 * 1024;
/// How many windows there are.
pub const WINDOW_COUNT: usize = 65536;
/// Segments a window holds: the data of a file of up to 16 MiB.
pub const SEGMENT_LIMIT: u32 = 13;

static IN_USE: Mutex<[u64; WINDOW_COUNT / 64]> = Mutex::new([0; WINDOW_COUNT / 64]);

/// One file's window; what is mapped in it is unmapped when dropped (the frame capabilities
/// stay with whoever owns them).
pub struct FileWindow {
    index: usize,
    header: Option<bool>,
    /// Bit `k`: segment `k` is mapped; and whether it is writable.
    segments: u32,
    writable_segments: u32,
}

impl FileWindow {
    /// A free window with nothing mapped; `None` when all are taken.
    #[must_use]
    pub fn reserve() -> Option<Self> {
        let mut in_use = IN_USE.lock();
        let word = in_use.iter().position(|&word| word != u64::MAX)?;
        let bit = in_use[word].trailing_ones() as usize;
        in_use[word] |= 1 << bit;
        Some(Self {
            index: word * 64 + bit,
            header: None,
            segments: 0,
            writable_segments: 0,
        })
    }

    fn base(&self) -> u64 {
        FILE_WINDOW_BASE + self.index as u64 * WINDOW_SPAN
    }

    fn data_base(&self) -> u64 {
        self.base() + PAGE_SIZE
    }

    fn rights(writable: bool) -> Rights {
        if writable {
            Rights::READ | Rights::WRITE
        } else {
            Rights::READ
        }
    }

    /// Maps the one-page header frame.
    ///
    /// # Errors
    /// `InvalidState` when one is mapped already; the kernel's error.
    pub fn map_header(&mut self, frame: Slot, writable: bool) -> Result<(), KernelError> {
        if self.header.is_some() {
            return Err(KernelError::InvalidState);
        }
        map_all(
            initial::SELF_ADDRESS_SPACE,
            frame,
            self.base(),
            0,
            1,
            Self::rights(writable),
        )?;
        self.header = Some(writable);
        Ok(())
    }

    /// Maps `frame` as segment `index`.
    ///
    /// # Errors
    /// `InvalidArgument` for an index past [`SEGMENT_LIMIT`], `InvalidState` when mapped
    /// already; the kernel's error (a frame smaller than the segment, for one).
    pub fn map_segment(
        &mut self,
        frame: Slot,
        index: u32,
        writable: bool,
    ) -> Result<(), KernelError> {
        if index >= SEGMENT_LIMIT {
            return Err(KernelError::InvalidArgument);
        }
        if self.segments & (1 << index) != 0 {
            return Err(KernelError::InvalidState);
        }
        let address = self.data_base() + segment_first_page(index) * PAGE_SIZE;
        let pages = segment_pages(index);
        if let Err(error) = map_all(
            initial::SELF_ADDRESS_SPACE,
            frame,
            address,
            0,
            pages,
            Self::rights(writable),
        ) {
            unmap_all(address, pages);
            return Err(error);
        }
        self.segments |= 1 << index;
        if writable {
            self.writable_segments |= 1 << index;
        }
        Ok(())
    }

    /// Whether segment `index` is mapped.
    #[must_use]
    pub fn has_segment(&self, index: u32) -> bool {
        index < SEGMENT_LIMIT && self.segments & (1 << index) != 0
    }

    /// Header word `index` (0..512), as an atomic; `None` when no header is mapped.
    #[must_use]
    pub fn header_word(&self, index: usize) -> Option<&AtomicU64> {
        if self.header.is_none() || index >= (PAGE_SIZE / 8) as usize {
            return None;
        }
        // SAFETY: the header page is mapped (at least readable) for as long as `self` lives and
        // the word is inside it and 8-aligned; shared words are only accessed through atomics,
        // so another process writing it is a race on an atomic, not undefined behaviour. A
        // read-only mapping is only ever loaded from: callers that store check
        // `header_writable` first, and a store to it would fault, not corrupt memory.
        Some(unsafe { &*((self.base() + index as u64 * 8) as *const AtomicU64) })
    }

    /// Whether the header is mapped writable.
    #[must_use]
    pub fn header_writable(&self) -> bool {
        self.header == Some(true)
    }

    /// Whether bytes `offset..offset + length` all lie in mapped segments (writable ones when
    /// `write`).
    fn covers(&self, offset: u64, length: usize, write: bool) -> bool {
        if length == 0 {
            return true;
        }
        let Some(end) = offset.checked_add(length as u64) else {
            return false;
        };
        let mask = if write {
            self.writable_segments
        } else {
            self.segments
        };
        let last = segment_of(end - 1);
        last < SEGMENT_LIMIT && (segment_of(offset)..=last).all(|index| mask & (1 << index) != 0)
    }

    /// Copies file bytes from `offset` into `buffer`; `false` (nothing copied) unless every
    /// byte lies in a mapped segment.
    pub fn copy_out(&self, offset: u64, buffer: &mut [u8]) -> bool {
        if !self.covers(offset, buffer.len(), false) {
            return false;
        }
        // SAFETY: every byte of the range lies in a segment mapped readable in this window for
        // as long as `self` lives; the pages are plain bytes another process may change at any
        // time, so a concurrent write yields mixed data at worst (no reference into them
        // escapes).
        unsafe {
            core::ptr::copy_nonoverlapping(
                (self.data_base() + offset) as *const u8,
                buffer.as_mut_ptr(),
                buffer.len(),
            );
        }
        true
    }

    /// Copies `bytes` to file offset `offset`; `false` (nothing copied) unless every byte lies
    /// in a segment mapped writable.
    pub fn copy_in(&self, offset: u64, bytes: &[u8]) -> bool {
        if !self.covers(offset, bytes.len(), true) {
            return false;
        }
        // SAFETY: as in `copy_out`, into segments mapped writable.
        unsafe {
            core::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                (self.data_base() + offset) as *mut u8,
                bytes.len(),
            );
        }
        true
    }

    /// Sets `length` file bytes from `offset` to zero; `false` (nothing done) unless every byte
    /// lies in a segment mapped writable.
    pub fn zero(&self, offset: u64, length: usize) -> bool {
        if !self.covers(offset, length, true) {
            return false;
        }
        // SAFETY: as in `copy_in`.
        unsafe {
            core::ptr::write_bytes((self.data_base() + offset) as *mut u8, 0, length);
        }
        true
    }
}

fn unmap_all(address: u64, pages: u64) {
    let mut done = 0;
    while done < pages {
        let chunk = (pages - done).min(PageCount::MAXIMUM);
        // A chunk that was never mapped fails harmlessly.
        let _ = unmap(
            initial::SELF_ADDRESS_SPACE,
            address + done * PAGE_SIZE,
            chunk,
        );
        done += chunk;
    }
}

impl Drop for FileWindow {
    fn drop(&mut self) {
        if self.header.is_some() {
            unmap_all(self.base(), 1);
        }
        for index in 0..SEGMENT_LIMIT {
            if self.segments & (1 << index) != 0 {
                unmap_all(
                    self.data_base() + segment_first_page(index) * PAGE_SIZE,
                    segment_pages(index),
                );
            }
        }
        IN_USE.lock()[self.index / 64] &= !(1 << (self.index % 64));
    }
}
