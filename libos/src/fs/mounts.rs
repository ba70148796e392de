//! The mount table: `mount` and `umount2` of tmpfs file systems (made and owned by the file
//! server, which alone decides who may: an effective user id of 0), and the table as
//! `/proc/mounts` shows it — the shared root, devfs and `/proc` (both served in this LibOS),
//! then the server's mounts.

use alloc::string::String;
use core::fmt::Write;

use libposix_sys::errno::Errno;

use super::{Route, client, route};
use libposix_sys::fcntl::AT_FDCWD;

/// `MS_SILENT`: accepted and meaningless here (no kernel log to keep quiet).
const MS_SILENT: u64 = 0x8000;

/// `mount(source, target, type, flags, data)`: only `tmpfs` (a fresh in-memory file system on
/// the directory `target`; `source` is a label, as for Linux's tmpfs). The server refuses
/// anyone but root (`EPERM`).
///
/// # Errors
/// `ENODEV` (another type), `EINVAL` (flags other than `MS_SILENT`, data, or a target in
/// devfs or `/proc`), `EPERM`, `EBUSY` (the root or a mount point already), `ENOTDIR`,
/// resolution errors.
pub fn mount(
    _source: &str,
    target: &str,
    file_system_type: &str,
    flags: u64,
    data: Option<&str>,
) -> Result<(), Errno> {
    if file_system_type != "tmpfs" {
        return Err(Errno::ENODEV);
    }
    if flags & !MS_SILENT != 0 || data.is_some_and(|data| !data.is_empty()) {
        return Err(Errno::EINVAL);
    }
    match route(AT_FDCWD, target)? {
        Route::Server(start, path, absolute) => client::mount(start, &path, &absolute).map(|_| ()),
        Route::Devices(..) | Route::Proc(..) => Err(Errno::EINVAL),
    }
}

/// `umount2(target, flags)`: no flags (`MNT_FORCE`, `MNT_DETACH`, … are `EINVAL`).
///
/// # Errors
/// `EINVAL` (flags, not a mount point — devfs and `/proc` cannot be unmounted here), `EPERM`,
/// `EBUSY` (a file of it is open), resolution errors.
pub fn umount2(target: &str, flags: i32) -> Result<(), Errno> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    match route(AT_FDCWD, target)? {
        Route::Server(start, path, _) => client::unmount(start, &path),
        Route::Devices(..) | Route::Proc(..) => Err(Errno::EINVAL),
    }
}

/// `umount`.
///
/// # Errors
/// As [`umount2`].
pub fn umount(target: &str) -> Result<(), Errno> {
    umount2(target, 0)
}

/// A mount point as `/proc/mounts` writes it: space, tab, newline and backslash as octal
/// escapes.
fn escaped(path: &str) -> String {
    let mut text = String::new();
    for character in path.chars() {
        match character {
            ' ' | '\t' | '\n' | '\\' => {
                let _ = write!(text, "\\{:03o}", character as u32);
            }
            _ => text.push(character),
        }
    }
    text
}

/// `/proc/mounts`' text: device, mount point, type, options, then two zeros, one line each.
#[must_use]
pub fn table() -> String {
    let mut text = String::from(
        "rootfs / rootfs rw 0 0\n\
         devfs /dev devtmpfs rw 0 0\n\
         proc /proc proc ro 0 0\n",
    );
    // Without a file server there are no tmpfs mounts to list.
    for (_, point) in client::mount_table().unwrap_or_default() {
        let _ = writeln!(text, "tmpfs {} tmpfs rw 0 0", escaped(&point));
    }
    text
}
