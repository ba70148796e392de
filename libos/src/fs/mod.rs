//! The file namespace: `open`, `openat`, `chdir`, `fchdir`, `getcwd`, `fstat`, `newfstatat`,
//! `stat`, `lstat`, `getdents64`, `mkdir`, `mkdirat`, `unlink`, `unlinkat`, `rmdir`,
//! `truncate`, `ftruncate`, `symlink`, `symlinkat`, `readlink`, `readlinkat`, `chmod`, `fchmod`,
//! `fchmodat`, `link`, `linkat`, `umask`, `access`, `faccessat`, `faccessat2`, `mkfifo`,
//! `mkfifoat`, `mknod`, `mknodat` (opening a FIFO: `fifo.rs`).
//!
//! `/dev` is devfs, served in the LibOS ([`namespace`]); everything else is the shared root file
//! system, served by the file server ([`client`], [`protocol`]), which resolves paths and checks
//! permissions itself. A path is routed by its lexically normalised absolute form (`..` is
//! taken lexically for this choice and for the working directory's name); paths relative to a
//! directory descriptor go to the file system that descriptor belongs to.

pub mod client;
mod fifo;
pub mod mounts;
pub mod namespace;
pub mod proc;
pub mod protocol;
pub mod server_file;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use libposix_sys::dirent::{LinuxDirent64, encode, type_from_mode};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_ACCMODE, O_CLOEXEC, O_CREAT,
    O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_WRONLY,
};
use libposix_sys::mode::{S_IFCHR, S_IFDIR, S_IFIFO};
use libposix_sys::stat::{Stat, makedev};
use libposix_sys::statfs::{Statfs, TMPFS_MAGIC};
use libposix_sys::statx::Statx;
use libposix_sys::time::Timespec;
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
    /// `/proc`: the lexically normalised absolute path, and whether a trailing slash demands
    /// a directory.
    Proc(String, bool),
}

fn is_proc_path(absolute: &str) -> bool {
    absolute == "/proc" || absolute.starts_with("/proc/")
}

fn is_device_path(absolute: &str) -> bool {
    // `/dev/shm` (POSIX shared memory objects) is a directory of the shared root.
    let shared_memory = absolute == "/dev/shm" || absolute.starts_with("/dev/shm/");
    (absolute == "/dev" || absolute.starts_with("/dev/")) && !shared_memory
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
            Backend::Proc(file) if proc::is_directory(file.node) => proc::path(file.node),
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
    if is_proc_path(&absolute) {
        return Ok(Route::Proc(absolute, path.ends_with('/')));
    }
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
            match client::open(start, &path, flags, mode & !creation_mask())? {
                client::Opened::File { handle, .. } => {
                    let writable =
                        flags & O_PATH == 0 && matches!(flags & O_ACCMODE, O_WRONLY | O_RDWR);
                    Backend::Server(ServerFile::new(handle, lexical, writable))
                }
                client::Opened::Fifo {
                    handle,
                    counts,
                    partner_present,
                    status,
                } => Backend::Pipe(fifo::open(
                    handle,
                    flags,
                    fifo::Counted {
                        counts,
                        partner_present,
                    },
                    status,
                )?),
            }
        }
        Route::Proc(absolute, directory) => {
            let parent = absolute
                .rsplit_once('/')
                .map(|(parent, _)| String::from(parent));
            match resolve_proc(absolute, flags, directory) {
                Ok(ProcTarget::Node(node)) => open_proc(node, flags)?,
                Ok(ProcTarget::Elsewhere(target)) => {
                    return openat(AT_FDCWD, &target, flags, mode);
                }
                // Nothing can be made in `/proc`.
                Err(Errno::ENOENT)
                    if flags & O_CREAT != 0
                        && parent.is_some_and(|parent| {
                            matches!(
                                resolve_proc(parent, 0, true),
                                Ok(ProcTarget::Node(node)) if proc::is_directory(node)
                            )
                        }) =>
                {
                    return Err(Errno::EACCES);
                }
                Err(error) => return Err(error),
            }
        }
    };
    install(OpenFile::new(flags, backend), flags & O_CLOEXEC != 0)
}

/// What a `/proc` path leads to after its links.
enum ProcTarget {
    Node(proc::Node),
    Elsewhere(String),
}

/// Resolves a `/proc` path, following descriptors' links (`O_NOFOLLOW` in `flags` leaves a
/// final link alone) — back into `/proc` at most [`vfs::path::SYMLINK_LIMIT`] times.
fn resolve_proc(mut absolute: String, flags: i32, directory: bool) -> Result<ProcTarget, Errno> {
    let follow = flags & O_NOFOLLOW == 0;
    for _ in 0..vfs::path::SYMLINK_LIMIT {
        match proc::resolve(&absolute, follow, directory)? {
            proc::Resolved::Node(node) => return Ok(ProcTarget::Node(node)),
            proc::Resolved::Elsewhere(target) => {
                let normal = normalise("/", &target);
                if !is_proc_path(&normal) {
                    return Ok(ProcTarget::Elsewhere(target));
                }
                absolute = normal;
            }
        }
    }
    Err(Errno::ELOOP)
}

/// Opens a node of `/proc`: read-only (`EACCES` for writing, creating or truncating).
fn open_proc(node: proc::Node, flags: i32) -> Result<Backend, Errno> {
    use libposix_sys::fcntl::O_TRUNC;
    if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
        return Err(Errno::EEXIST);
    }
    let path_only = flags & O_PATH != 0;
    let directory = proc::is_directory(node);
    if flags & O_DIRECTORY != 0 && !directory {
        return Err(Errno::ENOTDIR);
    }
    if !path_only {
        if matches!(node, proc::Node::SelfLink | proc::Node::Descriptor(..)) {
            // Only O_NOFOLLOW stops at a link: Linux's ELOOP.
            return Err(Errno::ELOOP);
        }
        let writes = flags & O_ACCMODE != O_RDONLY || flags & (O_CREAT | O_TRUNC) != 0;
        if writes {
            return Err(if directory {
                Errno::EISDIR
            } else {
                Errno::EACCES
            });
        }
    }
    Ok(Backend::Proc(proc::ProcFile::open(node, path_only)?))
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
        Backend::Proc(proc) if proc::is_directory(proc.node) => proc::path(proc.node),
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
        Backend::Proc(file) if proc::is_directory(file.node) => proc::path(file.node),
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
        // A FIFO of the shared root: its node as it was when opened.
        Backend::Pipe(end) if end.node_status().is_some() => {
            if let Some(words) = end.node_status() {
                fill_status(&mut status, words);
            }
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
            fill_status(&mut status, &client::status(server.handle())?);
        }
        Backend::Proc(file) => status = proc::status(file.node)?,
    }
    Ok(status)
}

/// A `stat` from the server's status words.
fn fill_status(status: &mut Stat, words: &protocol::StatusWords) {
    status.st_dev = words[status_index::DEVICE];
    status.st_ino = words[status_index::NUMBER];
    status.st_mode = words[status_index::MODE] as u32;
    status.st_nlink = words[status_index::LINKS];
    status.st_uid = words[status_index::USER] as u32;
    status.st_gid = words[status_index::GROUP] as u32;
    status.st_size = words[status_index::SIZE] as i64;
    status.st_blocks = words[status_index::BLOCKS] as i64;
    status.st_atime = words[status_index::ACCESSED] as i64;
    status.st_atime_nsec = words[status_index::ACCESSED + 1] as i64;
    status.st_mtime = words[status_index::MODIFIED] as i64;
    status.st_mtime_nsec = words[status_index::MODIFIED + 1] as i64;
    status.st_ctime = words[status_index::CHANGED] as i64;
    status.st_ctime_nsec = words[status_index::CHANGED + 1] as i64;
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
    let routed = route(dirfd, path)?;
    if let Route::Proc(absolute, directory) = routed {
        let follow = if flags & AT_SYMLINK_NOFOLLOW != 0 {
            O_NOFOLLOW
        } else {
            0
        };
        return match resolve_proc(absolute, follow, directory)? {
            ProcTarget::Node(node) => proc::status(node),
            ProcTarget::Elsewhere(target) => newfstatat(AT_FDCWD, &target, flags),
        };
    }
    if let Route::Server(start, path, _) = routed {
        // One call to the server, not open + status + close.
        let words = client::path_status(start, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
        let mut status = Stat {
            st_blksize: 4096,
            ..Stat::default()
        };
        fill_status(&mut status, &words);
        return Ok(status);
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

/// `statx`: the `stat` fields (`STATX_BASIC_STATS`, whatever `mask` asks) in a `struct statx`;
/// no birth time or mount id. `AT_SYMLINK_NOFOLLOW`, `AT_EMPTY_PATH` and the `AT_STATX_*`
/// sync flags (all the same here: nothing is remote) are accepted.
///
/// # Errors
/// As [`newfstatat`]; `EINVAL` for unknown flags, a mask with `STATX__RESERVED`, or an
/// unknown sync type.
pub fn statx(dirfd: i32, path: &str, flags: i32, mask: u32) -> Result<Statx, Errno> {
    use libposix_sys::fcntl::AT_STATX_SYNC_TYPE;
    use libposix_sys::stat::{major, minor};
    use libposix_sys::statx::{STATX_BASIC_STATS, StatxTimestamp};
    const STATX_RESERVED: u32 = 0x8000_0000;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || mask & STATX_RESERVED != 0
    {
        return Err(Errno::EINVAL);
    }
    let status = newfstatat(dirfd, path, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))?;
    let timestamp = |seconds: i64, nanoseconds: i64| StatxTimestamp {
        tv_sec: seconds,
        tv_nsec: nanoseconds as u32,
        __reserved: 0,
    };
    Ok(Statx {
        stx_mask: STATX_BASIC_STATS,
        stx_blksize: status.st_blksize as u32,
        stx_nlink: status.st_nlink as u32,
        stx_uid: status.st_uid,
        stx_gid: status.st_gid,
        stx_mode: status.st_mode as u16,
        stx_ino: status.st_ino,
        stx_size: status.st_size as u64,
        stx_blocks: status.st_blocks as u64,
        stx_atime: timestamp(status.st_atime, status.st_atime_nsec),
        stx_mtime: timestamp(status.st_mtime, status.st_mtime_nsec),
        stx_ctime: timestamp(status.st_ctime, status.st_ctime_nsec),
        stx_rdev_major: major(status.st_rdev),
        stx_rdev_minor: minor(status.st_rdev),
        stx_dev_major: major(status.st_dev),
        stx_dev_minor: minor(status.st_dev),
        ..Statx::default()
    })
}

/// `statfs`: the file system `path` is on. The shared root reports its server's memory: total
/// blocks are the pages its quota had when the tree was built, free blocks the pages it has
/// left (files grow there, so neither is a disk's fixed size); files in use are its nodes, free
/// files as many as free pages. devfs reports no blocks and no node table (zeros). Both are
/// `TMPFS_MAGIC`, as Linux's tmpfs and devtmpfs are.
///
/// # Errors
/// Resolution errors (`ENOENT`, `ENOTDIR`, `EACCES`, …).
pub fn statfs(path: &str) -> Result<Statfs, Errno> {
    match route(AT_FDCWD, path)? {
        Route::Server(start, path, _) => {
            let words = client::path_status(start, &path, true)?;
            let mut status = server_file_system()?;
            // A tmpfs mounted in the tree has its own device number.
            status.f_fsid = [words[status_index::DEVICE] as i32, 0];
            Ok(status)
        }
        Route::Devices(..) => {
            newfstatat(AT_FDCWD, path, 0)?;
            Ok(device_file_system())
        }
        Route::Proc(..) => {
            let status = newfstatat(AT_FDCWD, path, 0)?;
            if status.st_dev == makedev(0, 20) {
                Ok(proc_file_system())
            } else {
                fstatfs_of_path(path)
            }
        }
    }
}

/// `statfs` of a path `/proc` led out of (a descriptor's link): the file system it reached.
fn fstatfs_of_path(path: &str) -> Result<Statfs, Errno> {
    let fd = open(path, O_PATH, 0)?;
    let result = fstatfs(fd);
    let _ = close(fd);
    result
}

fn proc_file_system() -> Statfs {
    Statfs {
        f_type: proc::PROC_SUPER_MAGIC,
        f_bsize: 4096,
        f_fsid: [20, 0],
        f_namelen: 255,
        f_frsize: 4096,
        f_flags: ST_VALID | ST_RDONLY,
        ..Statfs::default()
    }
}

/// `fstatfs`: as [`statfs`] for an open descriptor (pipes report the pipe file system).
///
/// # Errors
/// `EBADF`; the server's.
pub fn fstatfs(fd: i32) -> Result<Statfs, Errno> {
    const PIPEFS_MAGIC: i64 = 0x5049_5045;
    const SOCKFS_MAGIC: i64 = 0x534f_434b;
    const ANONYMOUS_INODE_FS_MAGIC: i64 = 0x0904_1934;
    match description(fd)?.backend() {
        Backend::Server(_) => server_file_system(),
        Backend::Pipe(_) => Ok(Statfs {
            f_type: PIPEFS_MAGIC,
            f_bsize: 4096,
            f_frsize: 4096,
            f_namelen: 255,
            f_fsid: [13, 0],
            ..Statfs::default()
        }),
        Backend::Socket(_) => Ok(Statfs {
            f_type: SOCKFS_MAGIC,
            f_bsize: 4096,
            f_frsize: 4096,
            f_namelen: 255,
            ..Statfs::default()
        }),
        Backend::Event(_) => Ok(Statfs {
            f_type: ANONYMOUS_INODE_FS_MAGIC,
            f_bsize: 4096,
            f_frsize: 4096,
            f_namelen: 255,
            ..Statfs::default()
        }),
        Backend::Device(_) | Backend::Directory(_) => Ok(device_file_system()),
        Backend::Proc(_) => Ok(proc_file_system()),
    }
}

/// `f_flags`: the other fields are valid (`ST_VALID`).
const ST_VALID: i64 = 0x0020;
/// `f_flags`: mounted read-only.
const ST_RDONLY: i64 = 0x0001;

fn server_file_system() -> Result<Statfs, Errno> {
    let (free, nodes, total) = client::file_system_status()?;
    Ok(Statfs {
        f_type: TMPFS_MAGIC,
        f_bsize: 4096,
        f_blocks: total.max(free),
        f_bfree: free,
        f_bavail: free,
        f_files: nodes + free,
        f_ffree: free,
        f_fsid: [0x0801, 0],
        f_namelen: 255,
        f_frsize: 4096,
        f_flags: ST_VALID,
        f_spare: [0; 4],
    })
}

fn device_file_system() -> Statfs {
    Statfs {
        f_type: TMPFS_MAGIC,
        f_bsize: 4096,
        f_fsid: [6, 0],
        f_namelen: 255,
        f_frsize: 4096,
        f_flags: ST_VALID,
        ..Statfs::default()
    }
}

/// `utimensat`: sets the access and modification times of what `path` names (`None`: both to
/// now; `UTIME_NOW` and `UTIME_OMIT` in a `tv_nsec`). The server checks the rules: ownership
/// for explicit times (`EPERM`), ownership or write permission for now (`EACCES`).
/// `AT_SYMLINK_NOFOLLOW` sets a link's own times; `AT_EMPTY_PATH` acts on `dirfd` itself.
/// devfs keeps no times (`EROFS`).
///
/// # Errors
/// `EINVAL` (a `tv_nsec` out of range, unknown flags), `EPERM`, `EACCES`, `EROFS`, resolution
/// errors.
pub fn utimensat(
    dirfd: i32,
    path: &str,
    times: Option<&[Timespec; 2]>,
    flags: i32,
) -> Result<(), Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let words = time_words(times)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        return futimens(dirfd, times);
    }
    match route(dirfd, path)? {
        Route::Server(start, path, _) => client::set_times(
            client::Target::Path(start, &path, flags & AT_SYMLINK_NOFOLLOW == 0),
            words,
        ),
        Route::Devices(..) => Err(Errno::EROFS),
        Route::Proc(..) => Err(Errno::EACCES),
    }
}

/// `futimens`: as [`utimensat`] on an open file (not an `O_PATH` one: `EBADF`).
///
/// # Errors
/// `EBADF`, `EINVAL`, `EPERM`, `EACCES`, `EROFS` (devfs and pipes keep no times).
pub fn futimens(fd: i32, times: Option<&[Timespec; 2]>) -> Result<(), Errno> {
    let words = time_words(times)?;
    match description(fd)?.backend() {
        Backend::Server(file) => client::set_times(client::Target::Handle(file.handle()), words),
        _ => Err(Errno::EROFS),
    }
}

/// `utimensat`'s two `timespec`s as four words, checked.
fn time_words(times: Option<&[Timespec; 2]>) -> Result<[i64; 4], Errno> {
    use libposix_sys::time::{UTIME_NOW, UTIME_OMIT};
    let now = Timespec {
        tv_sec: 0,
        tv_nsec: UTIME_NOW,
    };
    let [accessed, modified] = times.copied().unwrap_or([now, now]);
    for time in [accessed, modified] {
        if !(0..1_000_000_000).contains(&time.tv_nsec)
            && time.tv_nsec != UTIME_NOW
            && time.tv_nsec != UTIME_OMIT
        {
            return Err(Errno::EINVAL);
        }
    }
    Ok([
        accessed.tv_sec,
        accessed.tv_nsec,
        modified.tv_sec,
        modified.tv_nsec,
    ])
}

/// `fchownat`: `u32::MAX` (`-1`) leaves an id. The server checks the rules: only root gives a
/// file away; an owner may change the group to its own; set-user-ID (and group-executable
/// set-group-ID) bits are cleared. devfs owners are fixed (`EPERM`).
///
/// # Errors
/// `EPERM`, `EINVAL` (unknown flags), resolution errors.
pub fn fchownat(dirfd: i32, path: &str, user: u32, group: u32, flags: i32) -> Result<(), Errno> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        return fchown(dirfd, user, group);
    }
    match route(dirfd, path)? {
        Route::Server(start, path, _) => client::change_owner(
            client::Target::Path(start, &path, flags & AT_SYMLINK_NOFOLLOW == 0),
            user,
            group,
        ),
        Route::Devices(..) | Route::Proc(..) => Err(Errno::EPERM),
    }
}

/// `chown`.
///
/// # Errors
/// As [`fchownat`].
pub fn chown(path: &str, user: u32, group: u32) -> Result<(), Errno> {
    fchownat(AT_FDCWD, path, user, group, 0)
}

/// `lchown`: a symbolic link's own owner.
///
/// # Errors
/// As [`fchownat`].
pub fn lchown(path: &str, user: u32, group: u32) -> Result<(), Errno> {
    fchownat(AT_FDCWD, path, user, group, AT_SYMLINK_NOFOLLOW)
}

/// `fchown` (an `O_PATH` descriptor works too, as with `AT_EMPTY_PATH` on Linux).
///
/// # Errors
/// `EBADF`, `EPERM`.
pub fn fchown(fd: i32, user: u32, group: u32) -> Result<(), Errno> {
    match description(fd)?.backend() {
        Backend::Server(file) => {
            client::change_owner(client::Target::Handle(file.handle()), user, group)
        }
        _ => Err(Errno::EPERM),
    }
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
        Backend::Proc(proc) if proc::is_directory(proc.node) => {
            let names: Vec<(&str, u64, u8)> = proc
                .entries()
                .iter()
                .map(|(name, number, kind)| (name.as_str(), *number, *kind))
                .collect();
            list_entries(&file, &names, buffer)
        }
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
    let names: Vec<(&str, u64, u8)> = names
        .iter()
        .map(|(name, number, mode)| (*name, *number, type_from_mode(*mode)))
        .collect();
    list_entries(file, &names, buffer)
}

/// `getdents64` over a fixed listing (name, node number, `d_type`), from the description's
/// position.
fn list_entries(
    file: &Arc<OpenFile>,
    names: &[(&str, u64, u8)],
    buffer: &mut [u8],
) -> Result<usize, Errno> {
    let first = file.directory_position() as usize;
    let mut used = 0;
    let mut next = first;
    for (index, (name, number, kind)) in names.iter().enumerate().skip(first) {
        let entry = LinuxDirent64 {
            d_ino: *number,
            d_off: (index + 1) as i64,
            d_reclen: 0,
            d_type: *kind,
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
        // `/proc`'s names are the process server's and this LibOS's, never made or removed
        // by a path call.
        Route::Proc(..) => Err(Errno::EACCES),
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

/// `mkfifoat`: a FIFO node with `mode` less the `umask`, owned by the caller.
///
/// # Errors
/// `EEXIST`, `ENOENT`, `ENOTDIR`, `EACCES`, `ENAMETOOLONG`, `EROFS` (in devfs).
pub fn mkfifoat(dirfd: i32, path: &str, mode: u32) -> Result<(), Errno> {
    let (start, path) = server_route(dirfd, path)?;
    client::make_fifo(start, &path, mode & 0o7777 & !creation_mask())
}

/// `mkfifo`.
///
/// # Errors
/// As [`mkfifoat`].
pub fn mkfifo(path: &str, mode: u32) -> Result<(), Errno> {
    mkfifoat(AT_FDCWD, path, mode)
}

/// `mknodat`, as Linux answers an unprivileged caller: `S_IFIFO` makes a FIFO, `S_IFREG` (or
/// no type) an empty regular file, `S_IFSOCK` a socket's name; `S_IFCHR` and `S_IFBLK` are
/// `EPERM` (no device nodes on the shared root, for root either), `S_IFDIR` `EPERM` (Linux's
/// answer: use `mkdir`), any other type `EINVAL`. `device` matters only for device nodes.
///
/// # Errors
/// `EPERM`, `EINVAL`, and as [`mkfifoat`].
pub fn mknodat(dirfd: i32, path: &str, mode: u32, device: u64) -> Result<(), Errno> {
    use libposix_sys::mode::{S_IFBLK, S_IFMT, S_IFREG, S_IFSOCK};
    let _ = device;
    match mode & S_IFMT {
        S_IFIFO => mkfifoat(dirfd, path, mode),
        0 | S_IFREG => {
            // Permission bits only: a new file needs no access to itself to be made.
            let fd = openat(dirfd, path, O_CREAT | O_EXCL | O_RDONLY, mode & 0o7777)?;
            close(fd)
        }
        S_IFSOCK => {
            let (start, path) = server_route(dirfd, path)?;
            // The node only: a bind ticket nobody redeems ages out of the server's list.
            client::make_socket(start, &path, mode & 0o7777 & !creation_mask()).map(|_| ())
        }
        S_IFCHR | S_IFBLK | S_IFDIR => Err(Errno::EPERM),
        _ => Err(Errno::EINVAL),
    }
}

/// `mknod`.
///
/// # Errors
/// As [`mknodat`].
pub fn mknod(path: &str, mode: u32, device: u64) -> Result<(), Errno> {
    mknodat(AT_FDCWD, path, mode, device)
}

/// `bind` of an AF_UNIX socket to `path` (relative to the working directory): the file server
/// makes the `S_IFSOCK` node with mode `0777` less the `umask`, as Linux does, and answers a
/// ticket for the socket server.
///
/// # Errors
/// `EADDRINUSE` (the name exists), `ENOENT`, `ENOTDIR`, `EACCES`, `EROFS` (in devfs).
pub(crate) fn socket_node_for_bind(path: &str) -> Result<[u64; 2], Errno> {
    let (start, path) = server_route(AT_FDCWD, path)?;
    client::make_socket(start, &path, 0o777 & !creation_mask()).map_err(|error| match error {
        Errno::EEXIST => Errno::EADDRINUSE,
        other => other,
    })
}

/// `connect` to the AF_UNIX socket at `path`: the file server checks that the node is a socket
/// the caller may write and answers a ticket for the socket server.
///
/// # Errors
/// `ENOENT`, `ENOTDIR`, `EACCES`, `ECONNREFUSED` (not a socket: devfs devices too).
pub(crate) fn socket_ticket_for_connect(path: &str) -> Result<[u64; 2], Errno> {
    match route(AT_FDCWD, path)? {
        Route::Server(start, path, _) => client::socket_ticket(start, &path),
        Route::Devices(..) | Route::Proc(..) => Err(Errno::ECONNREFUSED),
    }
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
        Route::Proc(absolute, directory) => match resolve_proc(absolute, O_NOFOLLOW, directory)? {
            ProcTarget::Node(node) => {
                let target = proc::read_link(node)?;
                let length = target.len().min(buffer.len());
                buffer[..length].copy_from_slice(&target.as_bytes()[..length]);
                Ok(length)
            }
            ProcTarget::Elsewhere(target) => readlinkat(AT_FDCWD, &target, buffer),
        },
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
        // Between file systems; within `/proc` nothing may be made.
        let (old, new) = (route(existing_dirfd, existing)?, route(new_dirfd, new)?);
        if matches!((old, new), (Route::Proc(..), Route::Proc(..))) {
            return Err(Errno::EACCES);
        }
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

/// `renameat2`: moves a name within the shared root (`RENAME_NOREPLACE`, `RENAME_EXCHANGE`);
/// the file server checks permissions and every POSIX error. devfs names cannot be renamed:
/// between devfs and the root it is `EXDEV` (two file systems), within devfs `EPERM` (its names
/// are fixed).
///
/// # Errors
/// `ENOENT`, `EACCES`, `EPERM`, `EEXIST`, `EISDIR`, `ENOTDIR`, `ENOTEMPTY`, `EINVAL`, `EBUSY`,
/// `EXDEV`, `EBADF`.
pub fn renameat2(
    old_dirfd: i32,
    old: &str,
    new_dirfd: i32,
    new: &str,
    flags: u32,
) -> Result<(), Errno> {
    use libposix_sys::fcntl::{RENAME_EXCHANGE, RENAME_NOREPLACE};
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0 {
        return Err(Errno::EINVAL);
    }
    match (route(old_dirfd, old)?, route(new_dirfd, new)?) {
        (Route::Server(old_start, old, _), Route::Server(new_start, new, _)) => {
            client::rename(old_start, &old, new_start, &new, flags)
        }
        (Route::Devices(..), Route::Devices(..)) => Err(Errno::EPERM),
        (Route::Proc(..), Route::Proc(..)) => Err(Errno::EACCES),
        _ => Err(Errno::EXDEV),
    }
}

/// `renameat`.
///
/// # Errors
/// As [`renameat2`].
pub fn renameat(old_dirfd: i32, old: &str, new_dirfd: i32, new: &str) -> Result<(), Errno> {
    renameat2(old_dirfd, old, new_dirfd, new, 0)
}

/// `rename`.
///
/// # Errors
/// As [`renameat2`].
pub fn rename(old: &str, new: &str) -> Result<(), Errno> {
    renameat2(AT_FDCWD, old, AT_FDCWD, new, 0)
}

/// `faccessat2`: `AT_EACCESS` (real and effective ids are the same here),
/// `AT_SYMLINK_NOFOLLOW` and `AT_EMPTY_PATH` (the file `dirfd` names, checked by the server on
/// its handle, even after the name is gone). devfs answers by its fixed modes (devices 0666,
/// directories 0755) as for root.
///
/// # Errors
/// `EACCES` (the server's check), `EINVAL` (unknown mode bits or flags), resolution errors.
pub fn faccessat2(dirfd: i32, path: &str, mode: i32, flags: i32) -> Result<(), Errno> {
    use libposix_sys::fcntl::AT_EACCESS;
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 || mode & !0o7 != 0 {
        return Err(Errno::EINVAL);
    }
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd != AT_FDCWD {
        // The file the descriptor names, even if its name is gone.
        return match description(dirfd)?.backend() {
            Backend::Server(file) => client::access_handle(file.handle(), mode as u32),
            // Pipes (0600, the caller's) and devfs (0666 devices, 0755 directories) have no
            // execute permission for anyone but a directory's search.
            Backend::Pipe(_) | Backend::Device(_) if mode & 1 != 0 => Err(Errno::EACCES),
            _ => Ok(()),
        };
    }
    let path = if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        "."
    } else {
        path
    };
    let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
    match route(dirfd, path)? {
        Route::Server(start, path, _) => client::access(start, &path, mode as u32, follow),
        Route::Proc(absolute, directory) => {
            let no_follow = if follow { 0 } else { O_NOFOLLOW };
            match resolve_proc(absolute, no_follow, directory)? {
                ProcTarget::Node(node) => {
                    // Read-only; only directories may be searched.
                    if mode & 2 != 0 || (mode & 1 != 0 && !proc::is_directory(node)) {
                        return Err(Errno::EACCES);
                    }
                    Ok(())
                }
                ProcTarget::Elsewhere(target) => faccessat2(AT_FDCWD, &target, mode, flags),
            }
        }
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
