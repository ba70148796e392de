//! Where a written file's bytes live: a `Vec` on the host (and in tests), frames the file server
//! owns in the guest ([`FileStorage`]); and the segment layout those frames follow.
//!
//! A file's data is cut into segments of growing size so that a small file costs one page and a
//! 16 MiB file thirteen frames: segment 0 is page 0, segment `k ≥ 1` is pages `2^(k-1)` to
//! `2^k - 1`. Laid side by side in a process's address space the segments form the file's bytes
//! in order, so a copy across a segment boundary is one copy.

use alloc::vec::Vec;

use libposix_sys::errno::Errno;

/// Bytes per page.
pub const PAGE_BYTES: u64 = 4096;

/// The bytes of a regular file that has been written (an image file's bytes are borrowed until
/// then).
pub trait FileStorage: Sized {
    /// A new, empty file.
    ///
    /// # Errors
    /// `ENOSPC` when there is no memory for it.
    fn empty() -> Result<Self, Errno>;
    /// The file's size.
    fn length(&self) -> u64;
    /// Copies from `offset` into `buffer`; the count (0 at or past the end).
    fn read_at(&self, offset: u64, buffer: &mut [u8]) -> usize;
    /// Copies `data` to `offset`, growing the file (a gap reads as zeros).
    ///
    /// # Errors
    /// `ENOSPC` (no memory), `EFBIG`.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), Errno>;
    /// Cuts or zero-extends the file to `length`.
    ///
    /// # Errors
    /// `ENOSPC`, `EFBIG`.
    fn set_length(&mut self, length: u64) -> Result<(), Errno>;
    /// When a writer the tree did not see (through mapped frames) last changed the bytes.
    fn modified(&self) -> Option<crate::memory_tree::Time> {
        None
    }
    /// Forgets that stamp (the times were set explicitly).
    fn forget_modified(&mut self) {}
}

impl FileStorage for Vec<u8> {
    fn empty() -> Result<Self, Errno> {
        Ok(Vec::new())
    }

    fn length(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buffer: &mut [u8]) -> usize {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let count = buffer.len().min(self.len() - start);
        buffer[..count].copy_from_slice(&self[start..start + count]);
        count
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<(), Errno> {
        let start = usize::try_from(offset).map_err(|_| Errno::EFBIG)?;
        let end = start.checked_add(data.len()).ok_or(Errno::EFBIG)?;
        if self.len() < end {
            self.resize(end, 0);
        }
        self[start..end].copy_from_slice(data);
        Ok(())
    }

    fn set_length(&mut self, length: u64) -> Result<(), Errno> {
        self.resize(usize::try_from(length).map_err(|_| Errno::EFBIG)?, 0);
        Ok(())
    }
}

/// The first page of segment `index`.
#[must_use]
pub const fn segment_first_page(index: u32) -> u64 {
    if index == 0 { 0 } else { 1 << (index - 1) }
}

/// How many pages segment `index` has.
#[must_use]
pub const fn segment_pages(index: u32) -> u64 {
    if index == 0 { 1 } else { 1 << (index - 1) }
}

/// The segment holding byte `offset`.
#[must_use]
pub const fn segment_of(offset: u64) -> u32 {
    let page = offset / PAGE_BYTES;
    if page == 0 {
        0
    } else {
        64 - page.leading_zeros()
    }
}

/// How many segments hold `length` bytes (the segments of bytes `0..length`).
#[must_use]
pub const fn segments_for(length: u64) -> u32 {
    if length == 0 {
        0
    } else {
        segment_of(length - 1) + 1
    }
}

/// The bytes segments `0..count` hold together.
#[must_use]
pub const fn capacity_of(count: u32) -> u64 {
    if count == 0 {
        0
    } else {
        (segment_first_page(count - 1) + segment_pages(count - 1)) * PAGE_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_tile_the_file_in_order() {
        let mut next_page = 0;
        for index in 0..20 {
            assert_eq!(segment_first_page(index), next_page);
            next_page += segment_pages(index);
            assert_eq!(capacity_of(index + 1), next_page * PAGE_BYTES);
        }
    }

    #[test]
    fn every_byte_falls_in_the_segment_that_covers_it() {
        for offset in (0..40 * PAGE_BYTES)
            .step_by(511)
            .chain([u64::from(u32::MAX)])
        {
            let index = segment_of(offset);
            let first = segment_first_page(index) * PAGE_BYTES;
            let end = first + segment_pages(index) * PAGE_BYTES;
            assert!((first..end).contains(&offset), "{offset}");
        }
        assert_eq!(segments_for(0), 0);
        assert_eq!(segments_for(1), 1);
        assert_eq!(segments_for(PAGE_BYTES), 1);
        assert_eq!(segments_for(PAGE_BYTES + 1), 2);
        assert_eq!(segments_for(16 * 1024 * 1024), 13);
    }

    #[test]
    fn a_vector_grows_with_zeros_and_cuts() {
        let mut file = Vec::<u8>::empty().unwrap();
        file.write_at(3, b"ab").unwrap();
        let mut buffer = [9u8; 8];
        assert_eq!(file.read_at(0, &mut buffer), 5);
        assert_eq!(&buffer[..5], b"\0\0\0ab");
        file.set_length(1).unwrap();
        assert_eq!(file.length(), 1);
        assert_eq!(file.read_at(4, &mut buffer), 0);
    }
}
