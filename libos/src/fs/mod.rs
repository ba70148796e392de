//! `open`, `openat`, `chdir`, `fchdir` and `getcwd` over the namespace.
//!
//! Paths are resolved by [`vfs::path`] from the root, the working directory, or a directory
//! descriptor (`dirfd`). Today the namespace is `/`, `/dev` and devfs ([`namespace`]).

pub mod namespace;

use alloc::string::String;
use alloc::vec::Vec;

use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    AT_FDCWD, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_TRUNC,
};
use spin::Mutex;
use vfs::path::{FollowLast, resolve};

use crate::io::description::{Backend, OpenFile};
use crate::io::descriptors::{description, install};
use namespace::{Node, Tree};

static WORKING_DIRECTORY: Mutex<Node> = Mutex::new(Node::Root);

/// Where a relative path starts for `dirfd`.
fn start_node(dirfd: i32) -> Result<Node, Errno> {
    if dirfd == AT_FDCWD {
        return Ok(*WORKING_DIRECTORY.lock());
    }
    match description(dirfd)?.backend() {
        Backend::Directory(node) => Ok(*node),
        _ => Err(Errno::ENOTDIR),
    }
}

/// `openat`. `mode` is for `O_CREAT`, which this read-only namespace refuses.
///
/// # Errors
/// `ENOENT`, `ENOTDIR`, `ENAMETOOLONG`, `EISDIR` (a directory opened for writing), `EROFS`
/// (creating or truncating), `EEXIST` (`O_CREAT|O_EXCL` on an existing name), `EBADF`,
/// `EMFILE`.
pub fn openat(dirfd: i32, path: &str, flags: i32, mode: u32) -> Result<i32, Errno> {
    let _ = mode;
    let start = if path.starts_with('/') {
        Node::Root
    } else {
        start_node(dirfd)?
    };
    let follow = if flags & O_NOFOLLOW != 0 {
        FollowLast::No
    } else {
        FollowLast::Yes
    };
    let node = match resolve(&Tree, start, path, follow) {
        Ok(node) => node,
        Err(Errno::ENOENT) if flags & O_CREAT != 0 => {
            // The parent must exist for EROFS to be the answer, as on Linux.
            let parent = vfs::path::resolve_parent(&Tree, start, path)?;
            let _ = parent;
            return Err(Errno::EROFS);
        }
        Err(error) => return Err(error),
    };
    if flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
        return Err(Errno::EEXIST);
    }
    let backend = match node {
        Node::Root | Node::DeviceDirectory => {
            if flags & O_ACCMODE != O_RDONLY || flags & O_CREAT != 0 {
                return Err(Errno::EISDIR);
            }
            Backend::Directory(node)
        }
        Node::Device(device) => {
            if flags & O_DIRECTORY != 0 {
                return Err(Errno::ENOTDIR);
            }
            // O_TRUNC on a device is ignored, as on Linux.
            let _ = O_TRUNC;
            Backend::Device(device)
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

/// `chdir`.
///
/// # Errors
/// `ENOENT`, `ENOTDIR`, `ENAMETOOLONG`.
pub fn chdir(path: &str) -> Result<(), Errno> {
    let start = *WORKING_DIRECTORY.lock();
    let node = resolve(&Tree, start, path, FollowLast::Yes)?;
    if !matches!(node, Node::Root | Node::DeviceDirectory) {
        return Err(Errno::ENOTDIR);
    }
    *WORKING_DIRECTORY.lock() = node;
    Ok(())
}

/// `fchdir`.
///
/// # Errors
/// `EBADF`, `ENOTDIR`.
pub fn fchdir(fd: i32) -> Result<(), Errno> {
    let node = start_node_of_descriptor(fd)?;
    *WORKING_DIRECTORY.lock() = node;
    Ok(())
}

fn start_node_of_descriptor(fd: i32) -> Result<Node, Errno> {
    match description(fd)?.backend() {
        Backend::Directory(node) => Ok(*node),
        _ => Err(Errno::ENOTDIR),
    }
}

/// `getcwd` into a buffer of `size` bytes: the path with its terminating NUL.
///
/// # Errors
/// `ERANGE` when `size` is too small (Linux's `EINVAL` for 0 is `ERANGE` too for a non-null
/// buffer of size 0).
pub fn getcwd(size: usize) -> Result<Vec<u8>, Errno> {
    let path = String::from(WORKING_DIRECTORY.lock().path());
    let mut bytes = path.into_bytes();
    bytes.push(0);
    if bytes.len() > size {
        return Err(Errno::ERANGE);
    }
    Ok(bytes)
}
