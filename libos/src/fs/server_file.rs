//! A file or directory of the shared root file system, open in this process: the server's
//! handle, the description's offset, and the file's frames mapped here once first used.
//!
//! The data path: at the first `read`/`write` the file's header page and then its data segments
//! are mapped through capabilities the server grants (`MapFile`; read-only unless the open
//! writes), so reads and writes are copies on those pages with no IPC. The size lives in the
//! header: a writer copies, then raises it with an atomic maximum; `O_APPEND` reserves its range
//! by compare-and-swap on it. Only growing into a segment not mapped here yet asks the server.
//! Files that cannot be mapped (boot image files opened only for reading, a write-only open of
//! a file its opener may not read, no slot or window left) go through the server's `Read` and
//! `Write`, which work on the same frames, so both paths always agree.
//!
//! The mapping is a cache: what a description holds across processes is the handle and the
//! offset, which moves into a page the sharing processes map once the description is first
//! handed to another process (`crate::io::shared_state`), so `fork`, `posix_spawn` and `execve`
//! share it as POSIX says. `fork` makes every writable page copy-on-write, so the mappings are dropped before a
//! fork ([`forget_mappings_before_fork`]) and made again on next use by either side.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use exokernel_abi::{Call, Slot};
use libposix_sys::errno::Errno;
use libposix_sys::seek::{SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};
use spin::Mutex;
use vfs::storage::{capacity_of, segment_of};

use super::client;
use super::protocol::{FILE_SIZE_LIMIT, header_index, status_index};
use crate::file_window::FileWindow;
use crate::kernel::call;
use crate::slots;

/// Bumped by `fork`: mappings made before it are stale in both processes.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// Before a `fork`: unmaps every open file's frames and deletes their capabilities, so the
/// child inherits none of them (no copy-on-write of shared file pages, no frame slots to
/// carry); both processes map again on next use. A description not in the table (held only by
/// a caller) drops its stale mapping lazily, by the generation.
pub fn forget_mappings_before_fork() {
    for (_, description, _) in crate::io::descriptors::snapshot() {
        if let crate::io::description::Backend::Server(file) = description.backend() {
            file.forget_pages();
        }
    }
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The file's frames mapped in this process.
struct MappedFile {
    window: FileWindow,
    /// The header's capability, then the segments'.
    slots: Vec<Slot>,
    writable: bool,
    generation: u64,
}

impl MappedFile {
    fn size_word(&self) -> Option<&AtomicU64> {
        self.window.header_word(header_index::SIZE)
    }

    /// The size; a writer's hostile value is capped at the limit.
    fn size(&self) -> u64 {
        self.size_word()
            .map_or(0, |word| word.load(Ordering::Acquire))
            .min(FILE_SIZE_LIMIT)
    }

    /// Maps segment `index` unless it is; `Ok(false)` when the file has none there (a hole).
    fn ensure_segment(&mut self, handle: u32, index: u32, grow: bool) -> Result<bool, Errno> {
        if self.window.has_segment(index) {
            return Ok(true);
        }
        let slot = slots::allocate().ok_or(Errno::EMFILE)?;
        let release = |slot: Slot| {
            let _ = call(Call::CapabilityDelete { slot });
            slots::free(slot);
        };
        let flags = if grow { super::protocol::GROW } else { 0 };
        match client::map_file(handle, index + 1, flags, slot) {
            Ok(_) => {}
            Err(Errno::ENXIO) if !grow => {
                slots::free(slot);
                return Ok(false);
            }
            Err(error) => {
                slots::free(slot);
                return Err(error);
            }
        }
        if self.window.map_segment(slot, index, self.writable).is_err() {
            release(slot);
            return Err(Errno::EIO);
        }
        self.slots.push(slot);
        Ok(true)
    }

    /// Maps the segments bytes `start..end` lie in (allocating them), for a write.
    fn ensure_writable(&mut self, handle: u32, start: u64, end: u64) -> Result<(), Errno> {
        if end > start {
            for index in segment_of(start)..=segment_of(end - 1) {
                self.ensure_segment(handle, index, true)?;
            }
        }
        Ok(())
    }

    fn read(&mut self, handle: u32, offset: u64, buffer: &mut [u8]) -> Result<usize, Errno> {
        let size = self.size();
        if offset >= size {
            return Ok(0);
        }
        let count = buffer.len().min((size - offset) as usize);
        let mut done = 0;
        while done < count {
            let position = offset + done as u64;
            let index = segment_of(position);
            let chunk = (count - done).min((capacity_of(index + 1) - position) as usize);
            let target = &mut buffer[done..done + chunk];
            if !(self.ensure_segment(handle, index, false)?
                && self.window.copy_out(position, target))
            {
                target.fill(0);
            }
            done += chunk;
        }
        Ok(count)
    }

    /// Writes at `offset` (at the end when `None`): (count, offset after).
    fn write(
        &mut self,
        handle: u32,
        offset: Option<u64>,
        bytes: &[u8],
    ) -> Result<(usize, u64), Errno> {
        let Some(offset) = offset else {
            // O_APPEND: reserve the range at the end, then fill it.
            loop {
                let start = self.size_word().ok_or(Errno::EIO)?.load(Ordering::Acquire);
                let end = start
                    .checked_add(bytes.len() as u64)
                    .filter(|&end| end <= FILE_SIZE_LIMIT)
                    .ok_or(Errno::EFBIG)?;
                self.ensure_writable(handle, start, end)?;
                let word = self.size_word().ok_or(Errno::EIO)?;
                if word
                    .compare_exchange(start, end, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
                {
                    if !self.window.copy_in(start, bytes) {
                        return Err(Errno::EIO);
                    }
                    self.stamp_modified();
                    return Ok((bytes.len(), end));
                }
            }
        };
        if offset >= FILE_SIZE_LIMIT && !bytes.is_empty() {
            return Err(Errno::EFBIG);
        }
        let count = bytes
            .len()
            .min((FILE_SIZE_LIMIT - offset.min(FILE_SIZE_LIMIT)) as usize);
        let end = offset + count as u64;
        self.ensure_writable(handle, offset, end)?;
        if !self.window.copy_in(offset, &bytes[..count]) {
            return Err(Errno::EIO);
        }
        if count > 0 {
            let word = self.size_word().ok_or(Errno::EIO)?;
            word.fetch_max(end, Ordering::AcqRel);
            self.stamp_modified();
        }
        Ok((count, end))
    }

    /// Tells the server when the bytes last changed (`st_mtime`), since it does not see
    /// writes on the frames. Read from the time page: no kernel entry.
    fn stamp_modified(&self) {
        if let (Ok(now), Some(word)) = (
            crate::runtime::clock::clock_realtime(),
            self.window.header_word(header_index::MODIFIED),
        ) {
            word.store(now, Ordering::Release);
        }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        for &slot in &self.slots {
            // Deleting the capability unmaps what was mapped through it.
            let _ = call(Call::CapabilityDelete { slot });
            slots::free(slot);
        }
    }
}

enum Pages {
    /// Not tried yet.
    Untried,
    /// The server will not grant them (or nothing is left to map them with): use IPC.
    Unavailable,
    Mapped(MappedFile),
}

/// An open file of the file server.
pub struct ServerFile {
    /// The server's handle: replaced when a forked child moves to a connection of its own.
    handle: AtomicU32,
    /// The offset while the description is private to this process; the lock that orders this
    /// process's threads either way.
    offset: Mutex<u64>,
    /// The offset and status flags once shared with another process.
    shared: spin::Once<crate::io::shared_state::SharedState>,
    path: alloc::string::String,
    writable: bool,
    pages: Mutex<Pages>,
}

impl ServerFile {
    /// Wraps a handle the server gave (`writable`: the open may write).
    #[must_use]
    pub fn new(handle: u32, path: alloc::string::String, writable: bool) -> Self {
        Self::with_offset(handle, path, 0, writable)
    }

    /// Wraps a handle handed over by another image or process, at `offset` (its frames are
    /// mapped again on first use).
    #[must_use]
    pub fn with_offset(
        handle: u32,
        path: alloc::string::String,
        offset: u64,
        writable: bool,
    ) -> Self {
        Self {
            handle: AtomicU32::new(handle),
            offset: Mutex::new(offset),
            shared: spin::Once::new(),
            path,
            writable,
            pages: Mutex::new(Pages::Untried),
        }
    }

    /// The description's offset now.
    #[must_use]
    pub fn offset(&self) -> u64 {
        match self.shared.get() {
            Some(shared) => shared.offset(),
            None => *self.offset.lock(),
        }
    }

    /// Runs `action` on the offset, holding it against every other user of the description
    /// (this process's threads, and other processes once it is shared).
    fn with_position<T>(
        &self,
        action: impl FnOnce(&mut u64) -> Result<T, Errno>,
    ) -> Result<T, Errno> {
        let mut private = self.offset.lock();
        match self.shared.get() {
            Some(shared) => {
                let mut locked = shared.lock();
                let mut position = locked.get();
                let result = action(&mut position);
                locked.set(position);
                *private = position;
                result
            }
            None => action(&mut private),
        }
    }

    /// Moves the offset (and `status`, the description's status flags) into a page that other
    /// processes can map, if not done yet; the slot of the page's frame capability.
    ///
    /// # Errors
    /// `ENOMEM` when memory, slots or windows run out.
    pub fn share(&self, status: u32) -> Result<Slot, Errno> {
        self.shared
            .try_call_once(|| {
                crate::io::shared_state::SharedState::create(*self.offset.lock(), status)
            })
            .map(crate::io::shared_state::SharedState::frame)
    }

    /// The shared offset and flags, once shared.
    #[must_use]
    pub fn shared(&self) -> Option<&crate::io::shared_state::SharedState> {
        self.shared.get()
    }

    /// Takes the page another image or process shared the description through.
    pub fn adopt_shared(&self, state: crate::io::shared_state::SharedState) {
        self.shared.call_once(|| state);
    }

    /// Names the same file by `handle` of this process's (new) connection from now on; the
    /// frames are mapped again through it on next use.
    pub fn set_handle(&self, handle: u32) {
        let mut pages = self.pages.lock();
        self.handle.store(handle, Ordering::Relaxed);
        *pages = Pages::Untried;
    }

    /// The absolute path it was opened by, lexically normalised (for `fchdir`).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The server's handle.
    #[must_use]
    pub fn handle(&self) -> u32 {
        self.handle.load(Ordering::Relaxed)
    }

    /// Unmaps the frames (they are mapped again on next use).
    pub fn forget_pages(&self) {
        *self.pages.lock() = Pages::Untried;
    }

    /// Whether reads and writes go through mapped frames (for tests and benchmarks).
    #[must_use]
    pub fn is_mapped(&self) -> bool {
        matches!(*self.pages.lock(), Pages::Mapped(_))
    }

    /// Runs `action` on the mapped file, mapping its header first if not tried yet; `None`
    /// when the file is not mapped (the caller then asks the server).
    fn with_pages<T>(
        &self,
        reading: bool,
        action: impl FnOnce(&mut MappedFile) -> Result<T, Errno>,
    ) -> Option<Result<T, Errno>> {
        let mut pages = self.pages.lock();
        let generation = GENERATION.load(Ordering::Relaxed);
        if let Pages::Mapped(mapped) = &*pages
            && mapped.generation != generation
        {
            *pages = Pages::Untried;
        }
        if matches!(*pages, Pages::Untried) {
            *pages = match self.map_header(generation, reading) {
                Some(mapped) => Pages::Mapped(mapped),
                None => Pages::Unavailable,
            };
        }
        match &mut *pages {
            Pages::Mapped(mapped) => Some(action(mapped)),
            _ => None,
        }
    }

    fn map_header(&self, generation: u64, reading: bool) -> Option<MappedFile> {
        let mut window = FileWindow::reserve()?;
        let slot = slots::allocate()?;
        let flags = if reading { super::protocol::READING } else { 0 };
        let mapped = client::map_file(self.handle(), 0, flags, slot)
            .ok()
            .and_then(|_| window.map_header(slot, self.writable).ok());
        if mapped.is_none() {
            let _ = call(Call::CapabilityDelete { slot });
            slots::free(slot);
            return None;
        }
        Some(MappedFile {
            window,
            slots: alloc::vec![slot],
            writable: self.writable,
            generation,
        })
    }

    /// `read` at the offset, advancing it.
    ///
    /// # Errors
    /// The server's.
    pub fn read(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        self.with_position(|offset| {
            let count = self.read_at(buffer, *offset)?;
            *offset = offset.saturating_add(count as u64);
            Ok(count)
        })
    }

    /// `write` at the offset (at the end with `append`), advancing it.
    ///
    /// # Errors
    /// The server's; `EFBIG` past the size limit.
    pub fn write(&self, bytes: &[u8], append: bool) -> Result<usize, Errno> {
        self.with_position(|offset| {
            let (count, end) = self.write_to(bytes, (!append).then_some(*offset))?;
            *offset = end;
            Ok(count)
        })
    }

    /// `pread64`.
    ///
    /// # Errors
    /// The server's.
    pub fn read_at(&self, buffer: &mut [u8], offset: u64) -> Result<usize, Errno> {
        match self.with_pages(true, |mapped| mapped.read(self.handle(), offset, buffer)) {
            Some(Ok(count)) => Ok(count),
            // Something could not be mapped: the server reads the same frames.
            Some(Err(_)) | None => client::read(self.handle(), offset, buffer),
        }
    }

    /// `pwrite64` (at the end with `append`, as Linux does for `O_APPEND`).
    ///
    /// # Errors
    /// The server's.
    pub fn write_at(&self, bytes: &[u8], offset: u64, append: bool) -> Result<usize, Errno> {
        self.write_to(bytes, (!append).then_some(offset))
            .map(|(count, _)| count)
    }

    fn write_to(&self, bytes: &[u8], offset: Option<u64>) -> Result<(usize, u64), Errno> {
        if self.writable {
            match self.with_pages(false, |mapped| mapped.write(self.handle(), offset, bytes)) {
                Some(Ok(done)) => return Ok(done),
                Some(Err(Errno::EFBIG)) => return Err(Errno::EFBIG),
                Some(Err(_)) | None => {}
            }
        }
        // The server puts an O_APPEND handle's writes at the end.
        client::write(self.handle(), offset.unwrap_or(0), bytes)
    }

    /// The file's size: from the mapped header, else from the server.
    pub(crate) fn size(&self) -> Result<u64, Errno> {
        match self.with_pages(false, |mapped| Ok(mapped.size())) {
            Some(Ok(size)) => Ok(size),
            _ => Ok(client::status(self.handle())?[status_index::SIZE]),
        }
    }

    /// `lseek` (past the end is allowed; the gap reads as zeros once written after).
    /// `SEEK_DATA` and `SEEK_HOLE` treat the whole file as data (a hole is only reported at the
    /// end), which POSIX allows.
    ///
    /// # Errors
    /// `EINVAL` for a bad `whence` or a negative result; `ENXIO` for `SEEK_DATA`/`SEEK_HOLE` at
    /// or past the end.
    pub fn seek(&self, offset: i64, whence: i32) -> Result<i64, Errno> {
        self.with_position(|position| self.seek_from(position, offset, whence))
    }

    fn seek_from(&self, position: &mut u64, offset: i64, whence: i32) -> Result<i64, Errno> {
        let base = match whence {
            SEEK_SET => 0,
            // An offset another process stored is only a number: past `i64::MAX` it is no base.
            SEEK_CUR => i64::try_from(*position).map_err(|_| Errno::EOVERFLOW)?,
            SEEK_END => self.size()? as i64,
            SEEK_DATA | SEEK_HOLE => {
                let size = self.size()? as i64;
                if offset < 0 {
                    return Err(Errno::EINVAL);
                }
                if offset >= size {
                    return Err(Errno::ENXIO);
                }
                let target = if whence == SEEK_DATA { offset } else { size };
                *position = target as u64;
                return Ok(target);
            }
            _ => return Err(Errno::EINVAL),
        };
        let target = base.checked_add(offset).filter(|&target| target >= 0);
        let target = target.ok_or(Errno::EINVAL)?;
        *position = target as u64;
        Ok(target)
    }

    /// `getdents64` from the offset (an entry index), advancing it.
    ///
    /// # Errors
    /// The server's (`ENOTDIR`, `EINVAL` for a buffer too small for one entry).
    pub fn entries(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        self.with_position(|offset| {
            let (used, next) = client::entries(self.handle(), *offset, buffer)?;
            *offset = next;
            Ok(used)
        })
    }
}

impl Drop for ServerFile {
    fn drop(&mut self) {
        // Unmap before the server may drop the frames.
        *self.pages.get_mut() = Pages::Unavailable;
        client::close(self.handle());
    }
}
