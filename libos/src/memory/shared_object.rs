//! POSIX shared memory objects: `shm_open` and `shm_unlink`, as files in `/dev/shm` of the
//! shared root (a directory the file server makes at boot, mode 1777 like `/tmp`, and serves
//! rather than devfs). Mapping one with MAP_SHARED maps the file server's frames, so every
//! process that opens the same name shares the same pages; permissions on the name are the
//! file server's, checked on open like any file's.

use alloc::string::String;

use libposix_sys::Errno;
use libposix_sys::fcntl::{O_CLOEXEC, O_NOFOLLOW};

/// The directory shared memory objects live in.
pub const SHARED_MEMORY_DIRECTORY: &str = "/dev/shm";

/// The path of object `name` (`/NAME`: one leading slash, no other, not `.` or `..`).
fn path_of(name: &str) -> Result<String, Errno> {
    let rest = name.strip_prefix('/').unwrap_or(name);
    if rest.is_empty() || rest.contains('/') || rest == "." || rest == ".." {
        return Err(Errno::EINVAL);
    }
    if rest.len() > 255 {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(alloc::format!("{SHARED_MEMORY_DIRECTORY}/{rest}"))
}

/// `shm_open(name, flags, mode)`: opens (with O_CREAT, creates; O_EXCL, exclusively) the shared
/// memory object `name`, close-on-exec and without following a symbolic link, as glibc does.
///
/// # Errors
/// `EINVAL` for a name that is empty or holds a `/` past the first character; `ENAMETOOLONG`;
/// `open`'s errors (`EACCES`, `EEXIST`, `ENOENT`, `EMFILE`, …).
pub fn shm_open(name: &str, flags: i32, mode: u32) -> Result<i32, Errno> {
    crate::fs::open(&path_of(name)?, flags | O_NOFOLLOW | O_CLOEXEC, mode)
}

/// `shm_unlink(name)`: removes the name; objects still open or mapped live on until the last
/// user lets go, as files do.
///
/// # Errors
/// `EINVAL`, `ENAMETOOLONG`; `unlink`'s errors (`ENOENT`, `EACCES`, `EPERM`).
pub fn shm_unlink(name: &str) -> Result<(), Errno> {
    crate::fs::unlink(&path_of(name)?)
}
