//! This process's descriptor table and the POSIX calls over it: `close`, `dup`, `dup2`, `dup3`,
//! `fcntl`, `read`, `write`, `readv`, `writev`, `pread64`, `pwrite64`, `lseek`, `pipe`, `pipe2`.
//!
//! The table ([`vfs::fd_table::FdTable`]) lives in this process's memory behind a lock that is
//! never held across a blocking call: each call takes the description it needs out of the table
//! (an `Arc`) and works on that. Descriptors 0, 1 and 2 start as the console.

use alloc::sync::Arc;

use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETPIPE_SZ, F_SETFD, F_SETFL, FD_CLOEXEC,
    O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY,
};
use spin::Mutex;
use vfs::fd_table::FdTable;

use super::description::{Backend, OpenFile};
use super::devices::Device;
use super::pipe::{EndSlots, PipeEnd, Side};

/// A descriptor's handle on its description.
pub type Description = Arc<OpenFile>;

static TABLE: Mutex<Option<FdTable<Description>>> = Mutex::new(None);

/// Runs `action` on the table, creating it (stdin, stdout, stderr on the console) on first use.
fn with_table<T>(action: impl FnOnce(&mut FdTable<Description>) -> T) -> T {
    let mut guard = TABLE.lock();
    let table = guard.get_or_insert_with(|| {
        // RLIMIT_NOFILE as the process server holds it for us (kept across exec).
        let limit = crate::process::limits::descriptor_limit();
        let mut table = FdTable::new(usize::try_from(limit).unwrap_or(usize::MAX));
        let console = Arc::new(OpenFile::new(O_RDWR, Backend::Device(Device::Console)));
        for _ in 0..3 {
            let _ = table.insert(console.clone(), false);
        }
        table
    });
    action(table)
}

/// Applies a new `RLIMIT_NOFILE` to the table.
pub(crate) fn set_limit(limit: u64) {
    with_table(|table| table.set_limit(usize::try_from(limit).unwrap_or(usize::MAX)));
}

/// As [`snapshot`], but never empty for want of use: a table never used is made first (the
/// console at 0, 1 and 2, what this process itself would see), so a child given this table
/// explicitly (`posix_spawn`) gets its standard streams.
pub(crate) fn snapshot_in_use() -> alloc::vec::Vec<(i32, Description, bool)> {
    with_table(|_| ());
    snapshot()
}

/// Every open descriptor: (fd, description, close-on-exec), lowest first; empty when the
/// table was never used (a new program then starts with the console, as this one did).
pub(crate) fn snapshot() -> alloc::vec::Vec<(i32, Description, bool)> {
    let guard = TABLE.lock();
    let Some(table) = guard.as_ref() else {
        return alloc::vec::Vec::new();
    };
    table
        .open_descriptors()
        .filter_map(|fd| {
            table
                .get(fd)
                .ok()
                .map(|entry| (fd, entry.description.clone(), entry.close_on_exec))
        })
        .collect()
}

/// Whether this process has used its table (a program started without a hand-over has not).
pub(crate) fn table_in_use() -> bool {
    TABLE.lock().is_some()
}

/// Replaces the table with `descriptors` (what `execve` or a parent handed over). What the old
/// table held is released after the lock is dropped.
pub(crate) fn replace_table(descriptors: alloc::vec::Vec<(i32, Description, bool)>) {
    // Every descriptor handed over is kept, even above a lowered RLIMIT_NOFILE (as on Linux);
    // new ones stay below the limit the process server holds for us (kept across exec).
    let mut table = FdTable::new(vfs::fd_table::DEFAULT_LIMIT.max(4096));
    for (fd, description, close_on_exec) in descriptors {
        let _ = table.place(fd, description, close_on_exec);
    }
    let limit = crate::process::limits::descriptor_limit();
    table.set_limit(usize::try_from(limit).unwrap_or(usize::MAX));
    let old = TABLE.lock().replace(table);
    drop(old);
}

/// The description `fd` names.
///
/// # Errors
/// `EBADF`.
pub fn description(fd: i32) -> Result<Description, Errno> {
    with_table(|table| table.description(fd).cloned())
}

/// Installs a description at the lowest free descriptor (for `open`-like calls).
///
/// # Errors
/// `EMFILE`.
pub fn install(file: OpenFile, close_on_exec: bool) -> Result<i32, Errno> {
    with_table(|table| table.insert(Arc::new(file), close_on_exec))
}

/// `close`. The description (and with the last descriptor, its backend) is released after the
/// table's lock is dropped.
///
/// # Errors
/// `EBADF`.
pub fn close(fd: i32) -> Result<(), Errno> {
    let closed = with_table(|table| table.close(fd))?;
    drop(closed);
    Ok(())
}

/// `dup`.
///
/// # Errors
/// `EBADF`, `EMFILE`.
pub fn dup(fd: i32) -> Result<i32, Errno> {
    with_table(|table| table.dup(fd))
}

/// `dup2`: with `old == new`, only checks that `old` is open.
///
/// # Errors
/// `EBADF` (closed `old`, `new` outside the limit).
pub fn dup2(old: i32, new: i32) -> Result<i32, Errno> {
    let replaced = with_table(|table| table.duplicate_to(old, new, false))?;
    drop(replaced);
    Ok(new)
}

/// `dup3`: as `dup2`, but `old == new` is `EINVAL` and `flags` may only be `O_CLOEXEC`.
///
/// # Errors
/// `EINVAL`, `EBADF`.
pub fn dup3(old: i32, new: i32, flags: i32) -> Result<i32, Errno> {
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    let replaced = with_table(|table| table.duplicate_to(old, new, flags & O_CLOEXEC != 0))?;
    drop(replaced);
    Ok(new)
}

/// `fcntl` for the descriptor and status-flag commands (`F_DUPFD`, `F_DUPFD_CLOEXEC`,
/// `F_GETFD`, `F_SETFD`, `F_GETFL`, `F_SETFL`) and `F_GETPIPE_SZ` (a pipe's ring is fixed at
/// 64 KiB: `F_SETPIPE_SZ` is `EINVAL`).
///
/// # Errors
/// `EBADF`; `EINVAL` for other commands (locks and signals are not here yet) and bad arguments;
/// `EMFILE`.
pub fn fcntl(fd: i32, command: i32, argument: u64) -> Result<i64, Errno> {
    // Linux reads the argument as an int for these commands.
    let argument_int = argument as u32 as i32;
    match command {
        F_DUPFD | F_DUPFD_CLOEXEC => with_table(|table| {
            table
                .duplicate_from(fd, argument_int, command == F_DUPFD_CLOEXEC)
                .map(i64::from)
        }),
        F_GETFD => with_table(|table| {
            table.get(fd).map(|entry| {
                if entry.close_on_exec {
                    i64::from(FD_CLOEXEC)
                } else {
                    0
                }
            })
        }),
        F_SETFD => with_table(|table| {
            table
                .set_close_on_exec(fd, argument_int & FD_CLOEXEC != 0)
                .map(|()| 0)
        }),
        F_GETFL => description(fd).map(|file| i64::from(file.status_flags())),
        F_SETFL => description(fd).map(|file| {
            file.set_status_flags(argument_int);
            0
        }),
        F_GETPIPE_SZ => match description(fd)?.backend() {
            Backend::Pipe(_) => Ok(super::pipe::CAPACITY as i64),
            _ => Err(Errno::EBADF),
        },
        _ => {
            description(fd)?;
            Err(Errno::EINVAL)
        }
    }
}

/// `read`.
///
/// # Errors
/// `EBADF`, and the backend's (`EAGAIN`, `EINTR`, `EIO`).
pub fn read(fd: i32, buffer: &mut [u8]) -> Result<usize, Errno> {
    description(fd)?.read(buffer)
}

/// `write`.
///
/// # Errors
/// `EBADF`, and the backend's (`EPIPE`, `ENOSPC`, `EAGAIN`, `EINTR`).
pub fn write(fd: i32, bytes: &[u8]) -> Result<usize, Errno> {
    description(fd)?.write(bytes)
}

/// Linux's `IOV_MAX`: most buffers one `readv`/`writev` takes.
pub const IOV_MAX: usize = 1024;
/// Most bytes one vectored call moves (a short count beyond; POSIX allows it), so a huge vector
/// cannot make the LibOS allocate without bound.
const VECTOR_CHUNK: usize = 1 << 20;

/// `readv`: one read into a contiguous buffer, then scattered, so a vectored read of a pipe or
/// a file takes what a plain read of the total length would.
///
/// # Errors
/// `EINVAL` for more than [`IOV_MAX`] buffers or a total over `isize::MAX`; as [`read`].
pub fn readv(fd: i32, buffers: &mut [&mut [u8]]) -> Result<usize, Errno> {
    let file = description(fd)?;
    let total = vector_length(buffers.iter().map(|buffer| buffer.len()), buffers.len())?;
    let mut gathered = alloc::vec![0u8; total.min(VECTOR_CHUNK)];
    let count = file.read(&mut gathered)?;
    let mut rest = &gathered[..count];
    for buffer in buffers.iter_mut() {
        let take = rest.len().min(buffer.len());
        buffer[..take].copy_from_slice(&rest[..take]);
        rest = &rest[take..];
    }
    Ok(count)
}

/// `writev`: the buffers gathered into one write, so a pipe write of at most `PIPE_BUF` bytes in
/// total stays atomic.
///
/// # Errors
/// `EINVAL` for more than [`IOV_MAX`] buffers or a total over `isize::MAX`; as [`write`].
pub fn writev(fd: i32, buffers: &[&[u8]]) -> Result<usize, Errno> {
    let file = description(fd)?;
    let total = vector_length(buffers.iter().map(|buffer| buffer.len()), buffers.len())?;
    let mut gathered = alloc::vec::Vec::with_capacity(total.min(VECTOR_CHUNK));
    for buffer in buffers {
        let room = VECTOR_CHUNK - gathered.len();
        gathered.extend_from_slice(&buffer[..buffer.len().min(room)]);
    }
    file.write(&gathered)
}

fn vector_length(lengths: impl Iterator<Item = usize>, count: usize) -> Result<usize, Errno> {
    if count > IOV_MAX {
        return Err(Errno::EINVAL);
    }
    let mut total: usize = 0;
    for length in lengths {
        total = total
            .checked_add(length)
            .filter(|&total| isize::try_from(total).is_ok())
            .ok_or(Errno::EINVAL)?;
    }
    Ok(total)
}

/// `pread64`.
///
/// # Errors
/// `EBADF`, `ESPIPE`, `EINVAL`.
pub fn pread64(fd: i32, buffer: &mut [u8], offset: i64) -> Result<usize, Errno> {
    description(fd)?.read_at(buffer, offset)
}

/// `pwrite64`.
///
/// # Errors
/// `EBADF`, `ESPIPE`, `EINVAL`.
pub fn pwrite64(fd: i32, bytes: &[u8], offset: i64) -> Result<usize, Errno> {
    description(fd)?.write_at(bytes, offset)
}

/// `preadv`: `pread64` at `offset` into the buffers in order (one read of the total length,
/// then scattered), leaving the offset alone.
///
/// # Errors
/// `EINVAL` for more than [`IOV_MAX`] buffers, a total over `isize::MAX` or a negative offset;
/// as [`pread64`].
pub fn preadv(fd: i32, buffers: &mut [&mut [u8]], offset: i64) -> Result<usize, Errno> {
    let file = description(fd)?;
    let total = vector_length(buffers.iter().map(|buffer| buffer.len()), buffers.len())?;
    let mut gathered = alloc::vec![0u8; total.min(VECTOR_CHUNK)];
    let count = file.read_at(&mut gathered, offset)?;
    let mut rest = &gathered[..count];
    for buffer in buffers.iter_mut() {
        let take = rest.len().min(buffer.len());
        buffer[..take].copy_from_slice(&rest[..take]);
        rest = &rest[take..];
    }
    Ok(count)
}

/// `pwritev`: the buffers gathered into one `pwrite64` at `offset`.
///
/// # Errors
/// `EINVAL` for more than [`IOV_MAX`] buffers, a total over `isize::MAX` or a negative offset;
/// as [`pwrite64`].
pub fn pwritev(fd: i32, buffers: &[&[u8]], offset: i64) -> Result<usize, Errno> {
    let file = description(fd)?;
    let total = vector_length(buffers.iter().map(|buffer| buffer.len()), buffers.len())?;
    let mut gathered = alloc::vec::Vec::with_capacity(total.min(VECTOR_CHUNK));
    for buffer in buffers {
        let room = VECTOR_CHUNK - gathered.len();
        gathered.extend_from_slice(&buffer[..buffer.len().min(room)]);
    }
    file.write_at(&gathered, offset)
}

/// `fsync` and `fdatasync`. The shared root lives in memory: a file's bytes are already in
/// the frames every reader maps the moment a write returns, and there is no disk to reach, so
/// there is nothing left to do for a file or a directory. Pipes and devices cannot be synced
/// (`EINVAL`, as on Linux for them).
///
/// # Errors
/// `EBADF`, `EINVAL`.
pub fn fsync(fd: i32) -> Result<(), Errno> {
    match description(fd)?.backend() {
        Backend::Server(_) | Backend::Directory(_) | Backend::Proc(_) => Ok(()),
        Backend::Pipe(_) | Backend::Device(_) | Backend::Socket(_) | Backend::Event(_) => {
            Err(Errno::EINVAL)
        }
    }
}

/// `fdatasync`: as [`fsync`].
///
/// # Errors
/// As [`fsync`].
pub fn fdatasync(fd: i32) -> Result<(), Errno> {
    fsync(fd)
}

/// `syncfs`: every file system here is in memory (see [`fsync`]); only the descriptor is
/// checked.
///
/// # Errors
/// `EBADF`.
pub fn syncfs(fd: i32) -> Result<(), Errno> {
    description(fd).map(|_| ())
}

/// `sync`: nothing to write back (see [`fsync`]).
pub fn sync() {}

/// `lseek`.
///
/// # Errors
/// `EBADF`, `ESPIPE`, `EINVAL`.
pub fn lseek(fd: i32, offset: i64, whence: i32) -> Result<i64, Errno> {
    description(fd)?.seek(offset, whence)
}

/// `pipe2`: `[read end, write end]`; `flags` may hold `O_CLOEXEC` and `O_NONBLOCK`.
///
/// # Errors
/// `EINVAL` for other flags; `EMFILE`; `ENFILE` when memory runs out.
pub fn pipe2(flags: i32) -> Result<[i32; 2], Errno> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let (reader, writer) = PipeEnd::create_pair()?;
    let close_on_exec = flags & O_CLOEXEC != 0;
    let status = flags & O_NONBLOCK;
    let reader = Arc::new(OpenFile::new(O_RDONLY | status, Backend::Pipe(reader)));
    let writer = Arc::new(OpenFile::new(O_WRONLY | status, Backend::Pipe(writer)));
    let pair: Result<[i32; 2], (Errno, Option<Description>)> = with_table(|table| {
        let read_fd = table
            .insert(reader, close_on_exec)
            .map_err(|error| (error, None))?;
        match table.insert(writer, close_on_exec) {
            Ok(write_fd) => Ok([read_fd, write_fd]),
            Err(error) => Err((error, table.close(read_fd).ok())),
        }
    });
    // Whatever was undone is released here, outside the table's lock.
    pair.map_err(|(error, _undone)| error)
}

/// `pipe`.
///
/// # Errors
/// As [`pipe2`].
pub fn pipe() -> Result<[i32; 2], Errno> {
    pipe2(0)
}

/// The capabilities behind pipe descriptor `fd`, to grant to a child (with
/// [`adopt_pipe_end`] on its side).
///
/// # Errors
/// `EBADF` when `fd` is not a pipe end.
pub fn pipe_end_slots(fd: i32) -> Result<(Side, EndSlots), Errno> {
    match description(fd)?.backend() {
        Backend::Pipe(end) => Ok((end.side(), end.slots())),
        _ => Err(Errno::EBADF),
    }
}

/// Installs a pipe end granted by another process into `slots` as a new descriptor.
///
/// # Errors
/// `EIO` when the slots do not hold a pipe end; `EMFILE`.
pub fn adopt_pipe_end(side: Side, slots: EndSlots) -> Result<i32, Errno> {
    let end = PipeEnd::adopt(side, slots)?;
    let access = if side == Side::Reader {
        O_RDONLY
    } else {
        O_WRONLY
    };
    install(OpenFile::new(access, Backend::Pipe(end)), false)
}
