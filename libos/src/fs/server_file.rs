//! A file or directory of the shared root file system, open in this process: the server's
//! handle and the description's offset.

use libposix_sys::errno::Errno;
use libposix_sys::seek::{SEEK_CUR, SEEK_END, SEEK_SET};
use spin::Mutex;

use super::client;

/// An open file of the file server.
pub struct ServerFile {
    /// The server's handle: replaced when a forked child moves to a connection of its own.
    handle: core::sync::atomic::AtomicU32,
    offset: Mutex<u64>,
    path: alloc::string::String,
}

impl ServerFile {
    /// Wraps a handle the server gave.
    #[must_use]
    pub fn new(handle: u32, path: alloc::string::String) -> Self {
        Self::with_offset(handle, path, 0)
    }

    /// Wraps a handle handed over by another image or process, at `offset`.
    #[must_use]
    pub fn with_offset(handle: u32, path: alloc::string::String, offset: u64) -> Self {
        Self {
            handle: core::sync::atomic::AtomicU32::new(handle),
            offset: Mutex::new(offset),
            path,
        }
    }

    /// The description's offset now.
    #[must_use]
    pub fn offset(&self) -> u64 {
        *self.offset.lock()
    }

    /// Names the same file by `handle` of this process's (new) connection from now on.
    pub fn set_handle(&self, handle: u32) {
        self.handle
            .store(handle, core::sync::atomic::Ordering::Relaxed);
    }

    /// The absolute path it was opened by, lexically normalised (for `fchdir`).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The server's handle.
    #[must_use]
    pub fn handle(&self) -> u32 {
        self.handle.load(core::sync::atomic::Ordering::Relaxed)
    }

    /// `read` at the offset, advancing it.
    ///
    /// # Errors
    /// The server's.
    pub fn read(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        let mut offset = self.offset.lock();
        let count = client::read(self.handle(), *offset, buffer)?;
        *offset += count as u64;
        Ok(count)
    }

    /// `write` at the offset (the server puts `O_APPEND` writes at the end), advancing it.
    ///
    /// # Errors
    /// The server's.
    pub fn write(&self, bytes: &[u8]) -> Result<usize, Errno> {
        let mut offset = self.offset.lock();
        let (count, end) = client::write(self.handle(), *offset, bytes)?;
        *offset = end;
        Ok(count)
    }

    /// `pread64`.
    ///
    /// # Errors
    /// The server's.
    pub fn read_at(&self, buffer: &mut [u8], offset: u64) -> Result<usize, Errno> {
        client::read(self.handle(), offset, buffer)
    }

    /// `pwrite64`.
    ///
    /// # Errors
    /// The server's.
    pub fn write_at(&self, bytes: &[u8], offset: u64) -> Result<usize, Errno> {
        client::write(self.handle(), offset, bytes).map(|(count, _)| count)
    }

    /// `lseek` (past the end is allowed; the gap reads as zeros once written after).
    ///
    /// # Errors
    /// `EINVAL` for a bad `whence` or a negative result.
    pub fn seek(&self, offset: i64, whence: i32) -> Result<i64, Errno> {
        let mut position = self.offset.lock();
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *position as i64,
            SEEK_END => client::status(self.handle())?[super::protocol::status_index::SIZE] as i64,
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
        let mut offset = self.offset.lock();
        let (used, next) = client::entries(self.handle(), *offset, buffer)?;
        *offset = next;
        Ok(used)
    }
}

impl Drop for ServerFile {
    fn drop(&mut self) {
        client::close(self.handle());
    }
}
