//! The file namespace: `open`, `openat`, `chdir`, `fchdir`, `getcwd`, `fstat`, `newfstatat`,
//! `stat`, `lstat`, `getdents64`, `mkdir`, `mkdirat`, `unlink`, `unlinkat`, `rmdir`,
//! `truncate`, `ftruncate`, `symlink`, `symlinkat`, `readlink`, `readlinkat`, `chmod`, `fchmod`,
//! `fchmodat`, `link`, `linkat`, `umask`, `access`, `faccessat`, `faccessat2`.
//!
//! `/dev` is devfs, served in the LibOS ([`namespace`]); everything else is the shared root file
//! system, served by the file server ([`client`], [`protocol`]), which resolves paths and checks
//! permissions itself. A path is routed by its lexically normalised absolute form (`..` is
//! taken lexically for this choice and for the working directory's name); paths relative to a
//! directory descriptor go to the file system that descriptor belongs to.

pub mod client;
pub mod namespace;
pub mod protocol;
pub mod server_file;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use libposix_sys::dirent::{LinuxDirent64, encode, type_from_mode};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_ACCMODE, O_CLOEXEC, O_CREAT,
    O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY,
};
use libposix_sys::mode::{S_IFCHR, S_IFDIR, S_IFIFO};
use libposix_sys::stat::{Stat, makedev};
use spin::Mutex;
use vfs::path::{FollowLast, check_lengths, normalise, resolve};

use crate::io::description::{Backend, OpenFile};
use crate::io::descriptors::{Description, close, description, install};
use client::Start;
use namespace::{Node, Tree};
use protocol::status_index;
use server_file::ServerFile;

/// The working directory's absolute, lexically normalised path.
static WORKING_DIRECTORY: Mutex<Option<String>> = Mutex::new(None);

/// The file-creation mask (`umask`), Linux's usual 022 at start.
static UMASK: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0o022);

fn creation_mask() -> u32 {
    UMASK.load(core::sync::atomic::Ordering::Relaxed)
}

/// `umask`: sets the file-creation mask (its permission bits) and answers the old one.
pub fn umask(mask: u32) -> u32 {
    UMASK.swap(mask & 0o777, core::sync::atomic::Ordering::Relaxed)
}

fn working_directory() -> String {
    WORKING_DIRECTORY
        .lock()
        .clone()
        .unwrap_or_else(|| String::from("/"))
}

/// Where a path goes.
enum Route {
    /// devfs, from this node.
    Devices(Node, String),
    /// The file server, from this start; with the lexical absolute path when known.
    Server(Start, String, String),
}

fn is_device_path(absolute: &str) -> bool {
    absolute == "/dev" || absolute.starts_with("/dev/")
}

fn route(dirfd: i32, path: &str) -> Result<Route, Errno> {
    check_lengths(path)?;
    let base = if path.starts_with('/') || dirfd == AT_FDCWD {
        working_directory()
    } else {
        let directory = description(dirfd)?;
        match directory.backend() {
            Backend::Directory(node) => {
                return Ok(Route::Devices(*node, String::from(path)));
            }
            Backend::Server(file) => {
                let lexical = normalise(file.path(), path);
                return Ok(Route::Server(
                    Start(u64::from(file.handle()) + 1),
                    String::from(path),
                    lexical,
                ));
            }
            _ => return Err(Errno::ENOTDIR),
        }
    };
    // The path as given, made absolute by concatenation (so the file system that serves it
    // sees every `.`, `..` and trailing slash); its normalised form only chooses the route.
    let joined = if path.starts_with('/') {
        String::from(path)
    } else {
        alloc::format!("{}/{path}", base.trim_end_matches('/'))
    };
    let absolute = normalise(&base, path);
    if is_device_path(&absolute) {
        // devfs has no links, so its part of the path is resolved from the normalised form
        // (keeping a trailing slash, which demands a directory).
        let mut devfs_path = absolute;
        if path.ends_with('/') {
            devfs_path.push('/');
        }
        return Ok(Route::Devices(Node::Root, devfs_path));
    }
    Ok(Route::Server(Start(0), joined, absolute))
}

fn open_device(start: Node, path: &str, flags: i32) -> Result<Backend, Errno> {
    let follow = if flags & O_NOFOLLOW != 0 {
        FollowLast::No
    } else {
        FollowLast::Yes
    };
    let node = match resolve(&Tree, start, path, follow) {
        Ok(node) => node,
        Err(Errno::ENOENT) if flags & O_CREAT != 0 => {
            vfs::path::resolve_parent(&Tree, start, path)?;
            return Err(Errno::EROFS);
        }
        Err(error) => return Err(error),
    };
    if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
        return Err(Errno::EEXIST);
    }
    match node {
        Node::Root | Node::DeviceDirectory => {
            if flags & O_PATH == 0 && (flags & O_ACCMODE != O_RDONLY || flags & O_CREAT != 0) {
                return Err(Errno::EISDIR);
            }
            Ok(Backend::Directory(node))
        }
        Node::Device(device) => {
            if flags & O_DIRECTORY != 0 {
                return Err(Errno::ENOTDIR);
            }
            // O_TRUNC on a device is ignored, as on Linux.
            Ok(Backend::Device(device))
        }
    }
}

/// `openat`.
///
/// # Errors
/// `ENOENT`, `ENOTDIR`, `ENAMETOOLONG`, `EISDIR`, `EEXIST`, `EACCES` (the server's checks),
/// `EROFS` (creating in devfs), `ELOOP`, `EBADF`, `EMFILE`.
pub fn openat(dirfd: i32, path: &str, flags: i32, mode: u32) -> Result<i32, Errno> {
    let backend = match route(dirfd, path)? {
        Route::Devices(start, path) => open_device(start, &path, flags)?,
        Route::Server(start, path, lexical) => {
            let (handle, _) = client::open(start, &path, flags, mode & !creation_mask())?;
            Backend::Server(ServerFile::new(handle, lexical))
        }
    };
    install(OpenFile::new(flags, backend), flags & O_CLOEXEC != 0)
}

/// `open`: `openat` from the working directory.
///
/// # Errors
/// As [`openat`].
pub fn open(path: &str, flags: i32, mode: u32) -> Result<i32, Errno> {
    openat(AT_FDCWD, path, flags, mode)
}

/// `creat`.
///
/// # Errors
/// As [`openat`].
pub fn creat(path: &str, mode: u32) -> Result<i32, Errno> {
    use libposix_sys::fcntl::{O_TRUNC, O_WRONLY};
    open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)
}

/// Opens `path` as a directory without reading it and hands back the description.
fn open_directory(dirfd: i32, path: &str) -> Result<(Description, String), Errno> {
    let fd = openat(dirfd, path, O_PATH | O_DIRECTORY, 0)?;
    let file = description(fd);
    let _ = close(fd);
    let file = file?;
    let absolute = match file.backend() {
        Backend::Server(server) => String::from(server.path()),
        Backend::Directory(node) => String::from(node.path()),
        _ => return Err(Errno::ENOTDIR),
    };
    Ok((file, absolute))
}

/// `chdir`.
///
/// # Errors
/// `ENOENT`, `ENOTDIR`, `ENAMETOOLONG`, `EACCES`.
pub fn chdir(path: &str) -> Result<(), Errno> {
    let (_, absolute) = open_directory(AT_FDCWD, path)?;
    *WORKING_DIRECTORY.lock() = Some(absolute);
    Ok(())
}

/// `fchdir`.
///
/// # Errors
/// `EBADF`, `ENOTDIR`.
pub fn fchdir(fd: i32) -> Result<(), Errno> {
    let absolute = match description(fd)?.backend() {
        Backend::Directory(node) => String::from(node.path()),
        Backend::Server(file) => {
            let status = client::status(file.handle())?;
            if status[status_index::MODE] as u32 & libposix_sys::mode::S_IFMT != S_IFDIR {
                return Err(Errno::ENOTDIR);
            }
            String::from(file.path())
        }
        _ => return Err(Errno::ENOTDIR),
    };
    *WORKING_DIRECTORY.lock() = Some(absolute);
    Ok(())
}

/// `getcwd` into a buffer of `size` bytes: the path with its terminating NUL.
///
/// # Errors
/// `ERANGE` when `size` is too small.
pub fn getcwd(size: usize) -> Result<Vec<u8>, Errno> {
    let mut bytes = working_directory().into_bytes();
    bytes.push(0);
    if bytes.len() > size {
        return Err(Errno::ERANGE);
    }
    Ok(bytes)
}

/// `fstat`.
///
/// # Errors
/// `EBADF`; the server's.
pub fn fstat(fd: i32) -> Result<Stat, Errno> {
    let file = description(fd)?;
    let mut status = Stat {
        st_blksize: 4096,
        st_nlink: 1,
        ..Stat::default()
    };
    match file.backend() {
        Backend::Device(device) => {
            let (major, minor) = device.device_number();
            status.st_mode = S_IFCHR | 0o666;
            status.st_rdev = makedev(major, minor);
            status.st_dev = makedev(0, 6);
            status.st_ino = u64::from(major) << 8 | u64::from(minor);
        }
        Backend::Pipe(_) => {
            status.st_mode = S_IFIFO | 0o600;
            status.st_dev = makedev(0, 13);
            status.st_ino = 1;
        }
        Backend::Socket(_) => {
            status.st_mode = libposix_sys::mode::S_IFSOCK | 0o777;
            status.st_dev = makedev(0, 8);
            status.st_ino = 1;
        }
        Backend::Event(_) => {
            // Anonymous-inode descriptors (eventfd, epoll, timerfd), as Linux reports them.
            status.st_mode = 0o600;
            status.st_dev = makedev(0, 14);
            status.st_ino = 1;
        }
        Backend::Directory(node) => {
            status.st_mode = S_IFDIR | 0o755;
            status.st_nlink = 2;
            status.st_dev = makedev(0, 6);
            status.st_ino = if *node == Node::Root { 1 } else { 2 };
        }
        Backend::Server(server) => {
            let words = client::status(server.handle())?;
            status.st_dev = words[status_index::DEVICE];
            status.st_ino = words[status_index::NUMBER];
            status.st_mode = words[status_index::MODE] as u32;
            status.st_nlink = words[status_index::LINKS];
            status.st_uid = words[status_index::USER] as u32;
            status.st_gid = words[status_index::GROUP] as u32;
            status.st_size = words[status_index::SIZE] as i64;
            status.st_blocks = words[status_index::BLOCKS] as i64;
        }
    }
    Ok(status)
}

/// `newfstatat`: `AT_SYMLINK_NOFOLLOW` and `AT_EMPTY_PATH` honoured.
///
/// # Errors
/// As [`openat`] with `O_PATH`, and `EINVAL` for unknown flags.
pub fn newfstatat(dirfd: i32, path: &str, flags: i32) -> Result<Stat, Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == AT_FDCWD {
            return newfstatat(AT_FDCWD, ".", 0);
        }
        return fstat(dirfd);
    }
    let follow = if flags & AT_SYMLINK_NOFOLLOW != 0 {
        O_NOFOLLOW
    } else {
        0
    };
    let fd = openat(dirfd, path, O_PATH | follow, 0)?;
    let status = fstat(fd);
    let _ = close(fd);
    status
}

/// `stat`.
///
/// # Errors
/// As [`newfstatat`].
pub fn stat(path: &str) -> Result<Stat, Errno> {
    newfstatat(AT_FDCWD, path, 0)
}

/// `lstat`.
///
/// # Errors
/// As [`newfstatat`].
pub fn lstat(path: &str) -> Result<Stat, Errno> {
    newfstatat(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW)
}

/// `getdents64` into `buffer`: `linux_dirent64` records; 0 at the end of the directory.
///
/// # Errors
/// `EBADF`, `ENOTDIR`, `EINVAL` (buffer too small for one record).
pub fn getdents64(fd: i32, buffer: &mut [u8]) -> Result<usize, Errno> {
    let file = description(fd)?;
    match file.backend() {
        Backend::Server(server) => server.entries(buffer),
        Backend::Directory(node) => devfs_entries(&file, *node, buffer),
        _ => Err(Errno::ENOTDIR),
    }
}

/// devfs's listing: only `/dev` is listed by the LibOS (`/` is the server's).
fn devfs_entries(file: &Arc<OpenFile>, node: Node, buffer: &mut [u8]) -> Result<usize, Errno> {
    let mut names: Vec<(&str, u64, u32)> = alloc::vec![(".", 2, S_IFDIR), ("..", 1, S_IFDIR)];
    if node == Node::DeviceDirectory {
        for (name, device) in crate::io::devices::DEVICES {
            let (major, minor) = device.device_number();
            names.push((name, u64::from(major) << 8 | u64::from(minor), S_IFCHR));
        }
    }
    let first = file.directory_position() as usize;
    let mut used = 0;
    let mut next = first;
    for (index, (name, number, mode)) in names.iter().enumerate().skip(first) {
        let entry = LinuxDirent64 {
            d_ino: *number,
            d_off: (index + 1) as i64,
            d_reclen: 0,
            d_type: type_from_mode(*mode),
        };
        match encode(&mut buffer[used..], &entry, name.as_bytes()) {
            Some(length) => {
                used += length;
                next = index + 1;
            }
            None if used == 0 => return Err(Errno::EINVAL),
            None => break,
        }
    }
    file.set_directory_position(next as u64);
    Ok(used)
}

fn server_route(dirfd: i32, path: &str) -> Result<(Start, String), Errno> {
    match route(dirfd, path)? {
        Route::Server(start, path, _) => Ok((start, path)),
        Route::Devices(..) => Err(Errno::EROFS),
    }
}

/// `mkdirat`.
///
/// # Errors
/// `EEXIST`, `ENOENT`, `ENOTDIR`, `EACCES`, `EROFS` (in devfs).
pub fn mkdirat(dirfd: i32, path: &str, mode: u32) -> Result<(), Errno> {
    let (start, path) = server_route(dirfd, path)?;
    client::make_directory(start, &path, mode & !creation_mask())
}

/// `mkdir`.
///
/// # Errors
/// As [`mkdirat`].
pub fn mkdir(path: &str, mode: u32) -> Result<(), Errno> {
    mkdirat(AT_FDCWD, path, mode)
}

/// `unlinkat` (`AT_REMOVEDIR` for `rmdir`).
///
/// # Errors
/// `ENOENT`, `EISDIR`, `ENOTDIR`, `ENOTEMPTY`, `EACCES`, `EPERM` (sticky directory), `EBUSY`,
/// `EINVAL` (unknown flags, `rmdir` of `.`), `EROFS` (in devfs).
pub fn unlinkat(dirfd: i32, path: &str, flags: i32) -> Result<(), Errno> {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let (start, path) = server_route(dirfd, path)?;
    client::remove(start, &path, flags & AT_REMOVEDIR != 0)
}

/// `unlink`.
///
/// # Errors
/// As [`unlinkat`].
pub fn unlink(path: &str) -> Result<(), Errno> {
    unlinkat(AT_FDCWD, path, 0)
}

/// `rmdir`.
///
/// # Errors
/// As [`unlinkat`].
pub fn rmdir(path: &str) -> Result<(), Errno> {
    unlinkat(AT_FDCWD, path, AT_REMOVEDIR)
}

/// `ftruncate`.
///
/// # Errors
/// `EBADF`; `EINVAL` for a negative length, a descriptor not open for writing or not a file.
pub fn ftruncate(fd: i32, length: i64) -> Result<(), Errno> {
    let file = description(fd)?;
    let length = u64::try_from(length).map_err(|_| Errno::EINVAL)?;
    match file.backend() {
        Backend::Server(server) => client::truncate(server.handle(), length),
        _ => Err(Errno::EINVAL),
    }
}

/// `truncate`: opens for writing (so write permission is the server's check), truncates,
/// closes.
///
/// # Errors
/// As [`openat`] with `O_WRONLY` and [`ftruncate`].
pub fn truncate(path: &str, length: i64) -> Result<(), Errno> {
    if length < 0 {
        return Err(Errno::EINVAL);
    }
    let fd = open(path, libposix_sys::fcntl::O_WRONLY, 0)?;
    let result = ftruncate(fd, length);
    let _ = close(fd);
    result
}

/// `symlinkat`.
///
/// # Errors
/// `EEXIST`, `ENOENT` (also for an empty target), `EACCES`, `EROFS` (in devfs).
pub fn symlinkat(target: &str, dirfd: i32, path: &str) -> Result<(), Errno> {
    let (start, path) = server_route(dirfd, path)?;
    client::make_symlink(target, start, &path)
}

/// `symlink`.
///
/// # Errors
/// As [`symlinkat`].
pub fn symlink(target: &str, path: &str) -> Result<(), Errno> {
    symlinkat(target, AT_FDCWD, path)
}

/// `readlinkat` into `buffer` (truncated, not NUL-terminated).
///
/// # Errors
/// `EINVAL` (not a link, or an empty buffer), resolution errors.
pub fn readlinkat(dirfd: i32, path: &str, buffer: &mut [u8]) -> Result<usize, Errno> {
    if buffer.is_empty() {
        return Err(Errno::EINVAL);
    }
    match route(dirfd, path)? {
        Route::Server(start, path, _) => client::read_link(start, &path, buffer),
        // devfs has no links.
        Route::Devices(start, path) => {
            resolve(&Tree, start, &path, FollowLast::No)?;
            Err(Errno::EINVAL)
        }
    }
}

/// `readlink`.
///
/// # Errors
/// As [`readlinkat`].
pub fn readlink(path: &str, buffer: &mut [u8]) -> Result<usize, Errno> {
    readlinkat(AT_FDCWD, path, buffer)
}

/// `fchmodat` (`AT_SYMLINK_NOFOLLOW` is `EOPNOTSUPP`, as on Linux).
///
/// # Errors
/// `EPERM` (not the owner: the server's check), resolution errors, `EROFS` in devfs.
pub fn fchmodat(dirfd: i32, path: &str, mode: u32, flags: i32) -> Result<(), Errno> {
    if flags & AT_SYMLINK_NOFOLLOW != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let (start, path) = server_route(dirfd, path)?;
    client::change_mode(start, Some(&path), None, mode)
}

/// `chmod`.
///
/// # Errors
/// As [`fchmodat`].
pub fn chmod(path: &str, mode: u32) -> Result<(), Errno> {
    fchmodat(AT_FDCWD, path, mode, 0)
}

/// `fchmod`.
///
/// # Errors
/// `EBADF`, `EPERM`; `EROFS` for devfs, pipes.
pub fn fchmod(fd: i32, mode: u32) -> Result<(), Errno> {
    match description(fd)?.backend() {
        Backend::Server(file) => client::change_mode(Start(0), None, Some(file.handle()), mode),
        _ => Err(Errno::EROFS),
    }
}

/// `linkat` (`AT_SYMLINK_FOLLOW` follows a final link of the existing path).
///
/// # Errors
/// `EPERM` (a directory), `EEXIST`, `ENOENT`, `EACCES`, `EXDEV` (devfs), `EINVAL` (flags).
pub fn linkat(
    existing_dirfd: i32,
    existing: &str,
    new_dirfd: i32,
    new: &str,
    flags: i32,
) -> Result<(), Errno> {
    use libposix_sys::fcntl::AT_SYMLINK_FOLLOW;
    if flags & !AT_SYMLINK_FOLLOW != 0 {
        return Err(Errno::EINVAL);
    }
    let (Route::Server(existing_start, existing, _), Route::Server(new_start, new, _)) =
        (route(existing_dirfd, existing)?, route(new_dirfd, new)?)
    else {
        return Err(Errno::EXDEV);
    };
    client::link(
        existing_start,
        &existing,
        new_start,
        &new,
        flags & AT_SYMLINK_FOLLOW != 0,
    )
}

/// `link`.
///
/// # Errors
/// As [`linkat`].
pub fn link(existing: &str, new: &str) -> Result<(), Errno> {
    linkat(AT_FDCWD, existing, AT_FDCWD, new, 0)
}

/// `faccessat2`: `AT_EACCESS` (real and effective ids are the same here) and
/// `AT_SYMLINK_NOFOLLOW`; `AT_EMPTY_PATH` is not supported yet (`EINVAL`). devfs answers by its
/// fixed modes (devices 0666, directories 0755) as for root.
///
/// # Errors
/// `EACCES` (the server's check), `EINVAL` (unknown mode bits or flags), resolution errors.
pub fn faccessat2(dirfd: i32, path: &str, mode: i32, flags: i32) -> Result<(), Errno> {
    use libposix_sys::fcntl::AT_EACCESS;
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW) != 0 || mode & !0o7 != 0 {
        return Err(Errno::EINVAL);
    }
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    match route(dirfd, path)? {
        Route::Server(start, path, _) => client::access(start, &path, mode as u32, follow),
        Route::Devices(start, path) => {
            let node = resolve(&Tree, start, &path, FollowLast::Yes)?;
            let permissions = match node {
                Node::Device(_) => 0o666,
                _ => 0o755,
            };
            if mode & 1 != 0 && permissions & 0o111 == 0 {
                return Err(Errno::EACCES);
            }
            Ok(())
        }
    }
}

/// `faccessat`.
///
/// # Errors
/// As [`faccessat2`].
pub fn faccessat(dirfd: i32, path: &str, mode: i32) -> Result<(), Errno> {
    faccessat2(dirfd, path, mode, 0)
}

/// `access`.
///
/// # Errors
/// As [`faccessat2`].
pub fn access(path: &str, mode: i32) -> Result<(), Errno> {
    faccessat2(AT_FDCWD, path, mode, 0)
}
