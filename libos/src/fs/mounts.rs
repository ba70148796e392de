//! The mount table as `/proc/mounts` and `mount` show it: the shared root (the file server),
//! devfs and `/proc` (both served in the LibOS).

use alloc::string::String;

/// `/proc/mounts`' text: device, mount point, type, options, then two zeros, one line each.
#[must_use]
pub fn table() -> String {
    String::from(
        "rootfs / rootfs rw 0 0\n\
         devfs /dev devtmpfs rw 0 0\n\
         proc /proc proc ro 0 0\n",
    )
}
