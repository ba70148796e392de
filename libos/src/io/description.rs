//! Open file descriptions: what a descriptor names, shared by every duplicate of it.
//!
//! A description carries the status flags (access mode, `O_APPEND`, `O_NONBLOCK`) and the
//! backend that moves the bytes. Descriptors hold it through an `Arc`, so `dup`
//! shares offset and flags as POSIX says, and the backend is released when the last descriptor
//! naming it closes. A file of the shared root handed to another process (`fork`,
//! `posix_spawn`, `execve`) moves its offset and flags into a page both map
//! (`super::shared_state`), so the processes share them too.

use core::sync::atomic::{AtomicU32, Ordering};

use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_ACCMODE, O_APPEND, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY};

use super::devices::Device;
use super::pipe::PipeEnd;

/// Where a description's bytes go.
pub enum Backend {
    /// A device of devfs.
    Device(Device),
    /// One end of a pipe.
    Pipe(PipeEnd),
    /// A directory of devfs's namespace (for `dirfd`, `fchdir`).
    Directory(crate::fs::namespace::Node),
    /// A file or directory of the shared root file system.
    Server(crate::fs::server_file::ServerFile),
    /// One end of a connected AF_UNIX socket (`crate::socket`).
    Socket(crate::socket::named::UnixSocket),
    /// An eventfd, epoll instance or timerfd (`crate::event`).
    Event(crate::event::EventObject),
    /// A file or directory of `/proc` (`crate::fs::proc`).
    Proc(crate::fs::proc::ProcFile),
}

/// One open file description.
pub struct OpenFile {
    status: AtomicU32,
    /// The next entry `getdents64` gives, for devfs's directories.
    directory_position: core::sync::atomic::AtomicU64,
    backend: Backend,
}

/// The status flags `F_SETFL` may change.
pub const CHANGEABLE_STATUS_FLAGS: i32 = O_APPEND | O_NONBLOCK;

impl OpenFile {
    /// A description with `flags` (from `open`; only the access mode and the changeable flags
    /// are kept) over `backend`.
    #[must_use]
    pub fn new(flags: i32, backend: Backend) -> Self {
        // An O_PATH description neither reads nor writes: its access mode is the invalid 3.
        let access = if flags & libposix_sys::fcntl::O_PATH != 0 {
            O_ACCMODE
        } else {
            flags & O_ACCMODE
        };
        let kept = access | (flags & CHANGEABLE_STATUS_FLAGS);
        Self {
            status: AtomicU32::new(kept as u32),
            directory_position: core::sync::atomic::AtomicU64::new(0),
            backend,
        }
    }

    /// The status flags `F_GETFL` reports.
    #[must_use]
    pub fn status_flags(&self) -> i32 {
        let access = self.status.load(Ordering::Relaxed) as i32 & O_ACCMODE;
        match self.shared_state() {
            // The access mode never changes, so only the changeable flags are taken from a page
            // other processes can write.
            Some(shared) => access | (shared.status() as i32 & CHANGEABLE_STATUS_FLAGS),
            None => self.status.load(Ordering::Relaxed) as i32,
        }
    }

    /// `F_SETFL`: replaces the changeable flags, keeping the access mode.
    pub fn set_status_flags(&self, flags: i32) {
        let access = self.status.load(Ordering::Relaxed) as i32 & O_ACCMODE;
        let status = (access | (flags & CHANGEABLE_STATUS_FLAGS)) as u32;
        self.status.store(status, Ordering::Relaxed);
        if let Some(shared) = self.shared_state() {
            shared.set_status(status);
        }
    }

    /// The page holding the offset and status flags, once the description is shared with
    /// another process (files of the shared root only: see `crate::io::shared_state`).
    fn shared_state(&self) -> Option<&super::shared_state::SharedState> {
        match &self.backend {
            Backend::Server(file) => file.shared(),
            _ => None,
        }
    }

    /// Moves the offset and status flags into a page other processes can map (before handing
    /// the description to another process); the slot of its frame capability, or `None` for
    /// descriptions without an offset.
    ///
    /// # Errors
    /// `ENOMEM` when memory, slots or windows run out.
    pub fn share(&self) -> Result<Option<exokernel_abi::Slot>, Errno> {
        match &self.backend {
            Backend::Server(file) => file.share(self.status_flags() as u32).map(Some),
            _ => Ok(None),
        }
    }

    /// Whether `O_NONBLOCK` is set.
    #[must_use]
    pub fn nonblocking(&self) -> bool {
        self.status_flags() & O_NONBLOCK != 0
    }

    /// Whether the description was opened for reading.
    #[must_use]
    pub fn readable(&self) -> bool {
        matches!(self.status_flags() & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    /// Whether the description was opened for writing.
    #[must_use]
    pub fn writable(&self) -> bool {
        matches!(self.status_flags() & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    /// Where `getdents64` goes on in a devfs directory.
    #[must_use]
    pub fn directory_position(&self) -> u64 {
        self.directory_position.load(Ordering::Relaxed)
    }

    /// Records where `getdents64` goes on.
    pub fn set_directory_position(&self, position: u64) {
        self.directory_position.store(position, Ordering::Relaxed);
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// Whether the backend has a file offset (`lseek`, `pread64` and `pwrite64` give `ESPIPE`
    /// when not).
    fn seekable(&self) -> bool {
        match &self.backend {
            Backend::Device(device) => device.seekable(),
            Backend::Pipe(_) | Backend::Directory(_) | Backend::Socket(_) | Backend::Event(_) => {
                false
            }
            Backend::Server(_) | Backend::Proc(_) => true,
        }
    }

    /// `read` at the description's offset.
    ///
    /// # Errors
    /// `EBADF` when not open for reading; the backend's errors.
    pub fn read(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        match &self.backend {
            Backend::Device(device) => device.read(buffer, self.nonblocking()),
            Backend::Pipe(end) => end.read(buffer, self.nonblocking()),
            Backend::Directory(_) => Err(Errno::EISDIR),
            Backend::Server(file) => file.read(buffer),
            Backend::Socket(socket) => {
                let received = if socket.is_named_datagram() {
                    socket
                        .datagram_receive(buffer, self.nonblocking(), false)?
                        .received
                } else {
                    socket
                        .end()?
                        .receive(buffer, self.nonblocking(), false, false)?
                };
                // Descriptors passed with the data are closed, as on Linux.
                crate::socket::rights::discard(&received.passed);
                Ok(received.copied)
            }
            Backend::Event(object) => object.read(buffer, self.nonblocking()),
            Backend::Proc(file) => file.read(buffer),
        }
    }

    /// `write` at the description's offset (or its end, with `O_APPEND`).
    ///
    /// # Errors
    /// `EBADF` when not open for writing; the backend's errors.
    pub fn write(&self, bytes: &[u8]) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        match &self.backend {
            Backend::Device(device) => device.write(bytes),
            // A reader gone raises SIGPIPE in the writer (`signal::broken_pipe`).
            Backend::Pipe(end) => crate::signal::broken_pipe::raise_on_broken_pipe(
                end.write(bytes, self.nonblocking()),
            ),
            Backend::Directory(_) => Err(Errno::EBADF),
            Backend::Server(file) => file.write(bytes, self.status_flags() & O_APPEND != 0),
            // A named datagram socket writes to its default peer (no `SIGPIPE`: a receiver
            // gone is `ECONNREFUSED`).
            Backend::Socket(socket) if socket.is_named_datagram() => {
                socket.datagram_send(None, self.nonblocking(), &mut |end| {
                    end.send(bytes, self.nonblocking())
                })
            }
            Backend::Socket(socket) => crate::signal::broken_pipe::raise_on_broken_pipe(
                socket.end()?.send(bytes, self.nonblocking()),
            ),
            Backend::Event(object) => object.write(bytes, self.nonblocking()),
            // Never open for writing (`open` refuses), but a description may claim it.
            Backend::Proc(_) => Err(Errno::EBADF),
        }
    }

    /// `pread64`: reads at `offset`, leaving the description's offset alone.
    ///
    /// # Errors
    /// `EINVAL` for a negative offset, `ESPIPE` when unseekable, `EBADF`.
    pub fn read_at(&self, buffer: &mut [u8], offset: i64) -> Result<usize, Errno> {
        if !self.readable() {
            return Err(Errno::EBADF);
        }
        if !self.seekable() {
            return Err(Errno::ESPIPE);
        }
        if offset < 0 {
            return Err(Errno::EINVAL);
        }
        match &self.backend {
            Backend::Server(file) => file.read_at(buffer, offset as u64),
            Backend::Proc(file) => file.read_at(buffer, offset as u64),
            _ => self.read(buffer),
        }
    }

    /// `pwrite64`: writes at `offset`, leaving the description's offset alone.
    ///
    /// # Errors
    /// `EINVAL` for a negative offset, `ESPIPE` when unseekable, `EBADF`.
    pub fn write_at(&self, bytes: &[u8], offset: i64) -> Result<usize, Errno> {
        if !self.writable() {
            return Err(Errno::EBADF);
        }
        if !self.seekable() {
            return Err(Errno::ESPIPE);
        }
        if offset < 0 {
            return Err(Errno::EINVAL);
        }
        match &self.backend {
            Backend::Server(file) => {
                file.write_at(bytes, offset as u64, self.status_flags() & O_APPEND != 0)
            }
            _ => self.write(bytes),
        }
    }

    /// `lseek`. Files of the shared root keep an offset; devices of devfs have no size: like Linux's null, zero and full, every seek
    /// succeeds and the offset stays 0.
    ///
    /// # Errors
    /// `ESPIPE` when unseekable; `EINVAL` for an unknown `whence`.
    pub fn seek(&self, offset: i64, whence: i32) -> Result<i64, Errno> {
        use libposix_sys::seek::{SEEK_CUR, SEEK_END, SEEK_SET};
        if !self.seekable() {
            return Err(Errno::ESPIPE);
        }
        if let Backend::Server(file) = &self.backend {
            return file.seek(offset, whence);
        }
        if let Backend::Proc(file) = &self.backend {
            return file.seek(offset, whence);
        }
        if !matches!(whence, SEEK_SET | SEEK_CUR | SEEK_END) {
            return Err(Errno::EINVAL);
        }
        let _ = offset;
        Ok(0)
    }
}
