//! File-backed mappings and `msync`: MAP_SHARED maps the very frames the file server keeps the
//! file's bytes in (the ones `read`/`write` copy to and from), so a store through the mapping
//! is the file's content at once, for every process and every `read`; MAP_PRIVATE is a copy of
//! the file's bytes taken at `mmap` time, so private changes never reach the file.
//!
//! Granting the frames is the file server's decision (`MapFile`, with the rights the open
//! allows: a read-only open gets read-only frames), so a process whose LibOS lies about its
//! open mode still cannot write a file it may only read.

use exokernel_abi::{Call, PAGE_SIZE};
use libposix_sys::Errno;
use libposix_sys::mman::{MS_ASYNC, MS_INVALIDATE, MS_SYNC, PROT_WRITE};
use region_map::RegionMap;
use vfs::storage::{segment_first_page, segment_of, segment_pages};

use super::anonymous::{Backing, REGIONS, discard, map_piece, populate_kind, rights_for};
use crate::file_window::SEGMENT_LIMIT;
use crate::fs::client;
use crate::fs::protocol::GROW;
use crate::io::description::Backend;
use crate::io::descriptors::{Description, description};
use crate::kernel::call;
use crate::slots;

/// The file an `mmap` maps, checked against the open's mode.
pub(crate) struct FileSource {
    description: Description,
    offset: u64,
    protection: i32,
}

impl FileSource {
    /// The source for `mmap(…, fd, offset)`.
    ///
    /// # Errors
    /// `EBADF` when `fd` is not open; `ENODEV` when it is not a regular file of the shared
    /// root (devices, pipes, sockets cannot be mapped); `EACCES` when it is not open for
    /// reading, or MAP_SHARED with PROT_WRITE on a file not open for writing; `EINVAL` for a
    /// negative offset; `EOVERFLOW` for an offset past the largest file.
    pub(crate) fn of(fd: i32, offset: i64, protection: i32, shared: bool) -> Result<Self, Errno> {
        let description = description(fd)?;
        if !matches!(description.backend(), Backend::Server(_)) {
            return Err(Errno::ENODEV);
        }
        let offset = u64::try_from(offset).map_err(|_| Errno::EINVAL)?;
        if offset > crate::fs::protocol::FILE_SIZE_LIMIT {
            return Err(Errno::EOVERFLOW);
        }
        if !description.readable()
            || (shared && protection & PROT_WRITE != 0 && !description.writable())
        {
            return Err(Errno::EACCES);
        }
        Ok(Self {
            description,
            offset,
            protection,
        })
    }

    fn handle(&self) -> Result<u32, Errno> {
        match self.description.backend() {
            Backend::Server(file) => Ok(file.handle()),
            _ => Err(Errno::ENODEV),
        }
    }

    /// Copies the file's bytes from the offset into `[start, start + size)` (already mapped
    /// writable); what lies past the end of the file stays zero.
    pub(crate) fn copy_into(&self, start: u64, size: u64) -> Result<(), Errno> {
        // SAFETY: `mmap` mapped `[start, start + size)` writable for this call and gave it to no
        // one yet; the slice is dropped before `mmap` returns.
        let target = unsafe { core::slice::from_raw_parts_mut(start as *mut u8, size as usize) };
        let mut done = 0;
        while done < target.len() {
            let offset = i64::try_from(self.offset + done as u64).map_err(|_| Errno::EOVERFLOW)?;
            let count = self.description.read_at(&mut target[done..], offset)?;
            if count == 0 {
                break;
            }
            done += count;
        }
        Ok(())
    }

    /// Maps the file's own frames at `[start, end)`: for each data segment the range meets, a
    /// capability from the file server (allocating the segment when the open writes, so stores
    /// reach the file), mapped with the mapping's protection. A segment a read-only open finds
    /// missing (a hole nobody wrote) is zero-filled memory of this process's own.
    ///
    /// # Errors
    /// `ENOMEM` when slots or memory run out, `EFBIG` past the largest file; the server's error
    /// (nothing is left mapped then).
    pub(crate) fn map_shared(
        &self,
        regions: &mut RegionMap<Backing>,
        start: u64,
        end: u64,
    ) -> Result<(), Errno> {
        let handle = self.handle()?;
        let writable = self.description.writable();
        let first_file_page = self.offset / PAGE_SIZE;
        let address_of = |file_page: u64| start + (file_page - first_file_page) * PAGE_SIZE;
        let mut address = start;
        while address < end {
            let file_page = first_file_page + (address - start) / PAGE_SIZE;
            let segment = segment_of(file_page * PAGE_SIZE);
            if segment >= SEGMENT_LIMIT {
                discard(regions, start, address);
                return Err(Errno::EFBIG);
            }
            let segment_start = segment_first_page(segment);
            let segment_end = segment_start + segment_pages(segment);
            let piece_end = address_of(segment_end).min(end);
            let result = self.map_segment(
                regions,
                handle,
                segment,
                writable,
                address,
                piece_end,
                address_of(segment_start),
            );
            if let Err(error) = result {
                discard(regions, start, address);
                return Err(error);
            }
            address = piece_end;
        }
        Ok(())
    }

    /// Unmaps the pages of the new mapping `[start, end)` that lie wholly past the end of the
    /// file and marks them so (an access is SIGBUS: `beyond_end_of_file`); the partial last page
    /// stays, its bytes past the end reading as zeros. The size is the file's now: pages a later
    /// growth of the file covers stay past the end for this mapping (a limit).
    ///
    /// # Errors
    /// The server's, when it cannot tell the size.
    pub(crate) fn cut_beyond_end(
        &self,
        regions: &mut RegionMap<Backing>,
        start: u64,
        end: u64,
    ) -> Result<(), Errno> {
        let size = match self.description.backend() {
            Backend::Server(file) => file.size()?,
            _ => return Err(Errno::ENODEV),
        };
        let inside = size.saturating_sub(self.offset).div_ceil(PAGE_SIZE);
        let first_beyond = start.saturating_add(inside.saturating_mul(PAGE_SIZE));
        if first_beyond >= end {
            return Ok(());
        }
        for piece in regions.remove(first_beyond, end) {
            if piece.value.mapped_rights(piece.value.protection).is_some() {
                super::anonymous::unmap_range(piece.start, piece.end);
            }
            let beyond = Backing {
                beyond_end_of_file: true,
                ..piece.value
            };
            regions
                .insert(piece.start, piece.end, beyond)
                .map_err(|_| Errno::ENOMEM)?;
        }
        super::beyond_end_of_file::rebuild(regions);
        crate::window_recovery::ensure_handler();
        Ok(())
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one segment's piece, named in full"
    )]
    fn map_segment(
        &self,
        regions: &mut RegionMap<Backing>,
        handle: u32,
        segment: u32,
        writable: bool,
        start: u64,
        end: u64,
        origin: u64,
    ) -> Result<(), Errno> {
        let frame = slots::allocate().ok_or(Errno::ENOMEM)?;
        let flags = if writable { GROW } else { 0 };
        match client::map_file(handle, segment + 1, flags, frame) {
            Ok(_) => {}
            Err(Errno::ENXIO) if !writable => {
                slots::free(frame);
                return populate_kind(regions, start, end, self.protection, false);
            }
            Err(error) => {
                slots::free(frame);
                return Err(error);
            }
        }
        let backing = Backing {
            frame,
            origin,
            protection: self.protection,
            shared: true,
            may_write: writable,
            file: true,
            beyond_end_of_file: false,
        };
        let release = || {
            let _ = call(Call::CapabilityDelete { slot: frame });
            slots::free(frame);
        };
        if let Some(rights) = rights_for(self.protection)
            && let Err(error) = map_piece(&backing, start, end, rights)
        {
            super::anonymous::unmap_range(start, end);
            release();
            return Err(error);
        }
        if regions.insert(start, end, backing).is_err() {
            super::anonymous::unmap_range(start, end);
            release();
            return Err(Errno::ENOMEM);
        }
        super::anonymous::note_protection(start, end, self.protection);
        Ok(())
    }
}

/// `msync(address, length, flags)`. A shared file mapping *is* the file's storage here (the
/// file server's frames, in memory: there is no disk behind the shared root), so once a store
/// has happened every `read` and every other mapping already sees it: MS_SYNC and MS_ASYNC have
/// nothing left to write, and MS_INVALIDATE nothing stale to drop. What remains is the checking
/// Linux does.
///
/// # Errors
/// `EINVAL` for an unaligned address, unknown flags or MS_SYNC with MS_ASYNC; `ENOMEM` when part
/// of the range is not mapped.
pub fn msync(address: u64, length: u64, flags: i32) -> Result<(), Errno> {
    if !address.is_multiple_of(PAGE_SIZE)
        || flags & !(MS_ASYNC | MS_SYNC | MS_INVALIDATE) != 0
        || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
    {
        return Err(Errno::EINVAL);
    }
    let end = length
        .checked_add(PAGE_SIZE - 1)
        .map(|rounded| rounded & !(PAGE_SIZE - 1))
        .and_then(|size| address.checked_add(size))
        .ok_or(Errno::ENOMEM)?;
    if end > address && !REGIONS.lock().covers(address, end) {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

/// `mincore(address, length, vector)`: one byte per page, 1 when resident. Every page `mmap`
/// and `brk` made is resident (memory is allocated eagerly and file pages are the server's
/// frames, always in memory), so the answer is 1 for each.
///
/// # Errors
/// `EINVAL` for an unaligned address; `ENOMEM` when part of the range is not mapped; `EFAULT`
/// when `vector` is shorter than the pages of the range.
pub fn mincore(address: u64, length: u64, vector: &mut [u8]) -> Result<(), Errno> {
    if !address.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let pages = length.div_ceil(PAGE_SIZE);
    let end = address
        .checked_add(pages * PAGE_SIZE)
        .ok_or(Errno::ENOMEM)?;
    if !REGIONS.lock().covers(address, end) {
        return Err(Errno::ENOMEM);
    }
    let pages = usize::try_from(pages).map_err(|_| Errno::ENOMEM)?;
    vector.get_mut(..pages).ok_or(Errno::EFAULT)?.fill(1);
    Ok(())
}
