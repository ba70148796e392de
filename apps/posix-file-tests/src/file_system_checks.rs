//! `statfs` and `fstatfs`: the shared root reports its server's memory (blocks follow what files
//! take), devfs and pipes their own file systems.

use libos::fs::{fstatfs, open, statfs, unlink};
use libos::io::{close, pipe, pwrite64};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_RDWR, O_TRUNC};
use libposix_sys::statfs::TMPFS_MAGIC;

use crate::ensure;

fn file_system_status() -> CheckOutcome {
    let path = "/tmp/statfs-file";
    let root = statfs("/tmp").map_err(|e| alloc::format!("statfs /tmp: {e}"))?;
    ensure!(
        root.f_type == TMPFS_MAGIC && root.f_bsize == 4096 && root.f_namelen == 255,
        "root: {root:?}"
    );
    ensure!(
        root.f_blocks >= root.f_bfree && root.f_bfree > 0 && root.f_files > root.f_ffree,
        "root counts: {root:?}"
    );
    let fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0o644).map_err(|e| alloc::format!("{e}"))?;
    // 256 KiB written: the server allocates frames, so free blocks drop.
    let data = alloc::vec![7u8; 256 * 1024];
    let written = pwrite64(fd, &data, 0);
    let after = fstatfs(fd);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(written == Ok(data.len()), "write {written:?}");
    let after = after.map_err(|e| alloc::format!("fstatfs: {e}"))?;
    ensure!(
        after.f_bfree + 64 <= root.f_bfree,
        "256 KiB took {} free blocks away, not at least 64",
        root.f_bfree.saturating_sub(after.f_bfree)
    );
    ensure!(
        after.f_fsid == root.f_fsid,
        "fsid differs between statfs and fstatfs"
    );
    let devices = statfs("/dev/null").map_err(|e| alloc::format!("statfs /dev/null: {e}"))?;
    ensure!(
        devices.f_type == TMPFS_MAGIC && devices.f_fsid != root.f_fsid && devices.f_blocks == 0,
        "devfs: {devices:?}"
    );
    let missing = statfs("/tmp/statfs-none");
    ensure!(
        missing.is_err_and(|error| error == Errno::ENOENT),
        "a missing path"
    );
    let [reader, writer] = pipe().map_err(|e| alloc::format!("pipe: {e}"))?;
    let piped = fstatfs(reader);
    let _ = close(reader);
    let _ = close(writer);
    ensure!(
        piped.is_ok_and(|status| status.f_type == 0x5049_5045),
        "a pipe: {piped:?}"
    );
    ensure!(
        fstatfs(999).is_err_and(|error| error == Errno::EBADF),
        "a closed descriptor"
    );
    let directory = open("/", O_RDONLY, 0).map_err(|e| alloc::format!("{e}"))?;
    let by_directory = fstatfs(directory);
    let _ = close(directory);
    ensure!(
        by_directory.is_ok_and(|status| status.f_fsid == root.f_fsid),
        "fstatfs of / {by_directory:?}"
    );
    Ok(())
}

/// `statfs`/`fstatfs`: the root's type, sizes and counts (free blocks drop as a file grows),
/// devfs and pipes as other file systems, `ENOENT`, `EBADF`.
pub const FILE_SYSTEM_STATUS: Check = Check {
    name: "statfs-fstatfs",
    covers: &["statfs", "fstatfs"],
    run: file_system_status,
};
