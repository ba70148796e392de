//! The mount table: tmpfs file systems the file server makes on a directory, only for root
//! (checked by the server: a raw call with an unprivileged badge is refused), listed in
//! `/proc/mounts`, with `EXDEV` across them and `EBUSY` while a file of one is open.

use alloc::string::String;
use alloc::vec::Vec;

use libos::fs::mounts::{mount, umount, umount2};
use libos::fs::protocol::{Operation, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::fs::{link, mkdir, open, rename, rmdir, stat, statfs, unlink};
use libos::io::{close, read, write};
use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_RDWR, O_WRONLY};
use libposix_sys::mode::{S_IFDIR, S_IFMT};
use libposix_sys::statfs::TMPFS_MAGIC;

use crate::ensure;
use crate::permission_checks::RawConnection;

fn mounts_text() -> Result<String, String> {
    let fd = open("/proc/mounts", O_RDONLY, 0).map_err(|error| alloc::format!("{error}"))?;
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 512];
    while let Ok(count) = read(fd, &mut buffer) {
        if count == 0 {
            break;
        }
        bytes.extend_from_slice(&buffer[..count]);
    }
    let _ = close(fd);
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Makes `directory` with a file `hidden` in it (what a mount hides).
fn fresh_directory(directory: &str) -> Result<(), String> {
    let _ = mkdir(directory, 0o755);
    let fd = open(
        &alloc::format!("{directory}/hidden"),
        O_CREAT | O_WRONLY,
        0o644,
    )
    .map_err(|error| alloc::format!("create hidden: {error}"))?;
    let _ = close(fd);
    Ok(())
}

fn clean(directory: &str) {
    let _ = umount(directory);
    let _ = unlink(&alloc::format!("{directory}/hidden"));
    let _ = rmdir(directory);
}

/// `mount -t tmpfs`: a fresh, empty file system (mode 1777, its own device, `TMPFS_MAGIC`) on a
/// directory, hiding what was there; listed in `/proc/mounts`; `ENODEV` for other types,
/// `EBUSY` on a mount point or for removing one.
pub const TMPFS: Check = Check {
    name: "mount-tmpfs",
    covers: &["mount:tmpfs", "mount:ENODEV", "statfs:tmpfs-mount"],
    run: tmpfs,
};

fn tmpfs() -> CheckOutcome {
    let directory = "/tmp/mount-tmpfs";
    fresh_directory(directory)?;
    let result = (|| {
        let below = stat("/tmp").map_err(|error| alloc::format!("stat /tmp: {error}"))?;
        ensure!(
            mount("none", directory, "ext4", 0, None) == Err(Errno::ENODEV),
            "ext4 mounted"
        );
        mount("none", directory, "tmpfs", 0, None)
            .map_err(|error| alloc::format!("mount: {error}"))?;
        let root = stat(directory).map_err(|error| alloc::format!("stat: {error}"))?;
        ensure!(
            root.st_mode == S_IFDIR | 0o1777 && root.st_dev != below.st_dev,
            "mount root mode {:o} device {:#x} (below {:#x})",
            root.st_mode,
            root.st_dev,
            below.st_dev
        );
        ensure!(
            stat(&alloc::format!("{directory}/hidden")) == Err(Errno::ENOENT),
            "the covered directory shows through"
        );
        let file = alloc::format!("{directory}/file");
        let fd = open(&file, O_CREAT | O_RDWR, 0o644)
            .map_err(|error| alloc::format!("create in tmpfs: {error}"))?;
        let written = write(fd, b"in tmpfs");
        let _ = close(fd);
        ensure!(written == Ok(8), "write {written:?}");
        let status = stat(&file).map_err(|error| alloc::format!("stat file: {error}"))?;
        ensure!(
            status.st_dev == root.st_dev,
            "a file's device differs from its mount's"
        );
        ensure!(
            status.st_mode & S_IFMT != S_IFDIR && status.st_size == 8,
            "file status"
        );
        let system = statfs(directory).map_err(|error| alloc::format!("statfs: {error}"))?;
        let root_system = statfs("/tmp").map_err(|error| alloc::format!("statfs /: {error}"))?;
        ensure!(
            system.f_type == TMPFS_MAGIC && system.f_fsid != root_system.f_fsid,
            "statfs {:#x} fsid {:?} (root {:?})",
            system.f_type,
            system.f_fsid,
            root_system.f_fsid
        );
        let table = mounts_text()?;
        ensure!(
            table.contains(&alloc::format!("tmpfs {directory} tmpfs rw 0 0\n")),
            "/proc/mounts: {table:?}"
        );
        ensure!(
            mount("none", directory, "tmpfs", 0, None) == Err(Errno::EBUSY),
            "mounted twice"
        );
        ensure!(
            rmdir(directory) == Err(Errno::EBUSY),
            "rmdir of a mount point"
        );
        let _ = unlink(&file);
        Ok(())
    })();
    clean(directory);
    result
}

/// `rename` and `link` between a tmpfs and the root file system are `EXDEV`; within one they
/// work.
pub const EXDEV_ACROSS_MOUNTS: Check = Check {
    name: "rename-EXDEV-across-mounts",
    covers: &["rename:EXDEV-across-mounts", "link:EXDEV-across-mounts"],
    run: exdev_across_mounts,
};

fn exdev_across_mounts() -> CheckOutcome {
    let directory = "/tmp/mount-exdev";
    fresh_directory(directory)?;
    mount("none", directory, "tmpfs", 0, None).map_err(|error| alloc::format!("mount: {error}"))?;
    let result = (|| {
        let inside = alloc::format!("{directory}/file");
        let fd = open(&inside, O_CREAT | O_WRONLY, 0o644)
            .map_err(|error| alloc::format!("create: {error}"))?;
        let _ = close(fd);
        ensure!(
            rename(&inside, "/tmp/mount-exdev-out") == Err(Errno::EXDEV),
            "rename out of the mount"
        );
        let outside = "/tmp/mount-exdev-source";
        let fd = open(outside, O_CREAT | O_WRONLY, 0o644)
            .map_err(|error| alloc::format!("create outside: {error}"))?;
        let _ = close(fd);
        let into = rename(outside, &alloc::format!("{directory}/moved"));
        let _ = unlink(outside);
        ensure!(into == Err(Errno::EXDEV), "rename into the mount: {into:?}");
        ensure!(
            link(&inside, "/tmp/mount-exdev-link") == Err(Errno::EXDEV),
            "link out of the mount"
        );
        let renamed = alloc::format!("{directory}/renamed");
        rename(&inside, &renamed).map_err(|error| alloc::format!("rename within: {error}"))?;
        link(&renamed, &inside).map_err(|error| alloc::format!("link within: {error}"))?;
        let _ = unlink(&renamed);
        let _ = unlink(&inside);
        Ok(())
    })();
    clean(directory);
    result
}

/// `umount`: `EBUSY` while a file of the mount is open, then the covered directory comes back
/// and the table forgets it; `EINVAL` for a directory that is no mount point.
pub const UMOUNT: Check = Check {
    name: "umount-tmpfs",
    covers: &["umount2:tmpfs", "umount2:EBUSY-open-file", "umount2:EINVAL"],
    run: unmount,
};

fn unmount() -> CheckOutcome {
    let directory = "/tmp/mount-busy";
    fresh_directory(directory)?;
    mount("none", directory, "tmpfs", 0, None).map_err(|error| alloc::format!("mount: {error}"))?;
    let result = (|| {
        let file = alloc::format!("{directory}/open");
        let fd = open(&file, O_CREAT | O_RDWR, 0o644)
            .map_err(|error| alloc::format!("create: {error}"))?;
        let busy = umount(directory);
        let _ = close(fd);
        ensure!(
            busy == Err(Errno::EBUSY),
            "umount with an open file: {busy:?}"
        );
        ensure!(
            umount2(directory, 2) == Err(Errno::EINVAL),
            "MNT_DETACH accepted"
        );
        umount(directory).map_err(|error| alloc::format!("umount: {error}"))?;
        ensure!(
            stat(&alloc::format!("{directory}/hidden")).is_ok(),
            "the covered directory did not come back"
        );
        ensure!(
            stat(&file) == Err(Errno::ENOENT),
            "the mount's file outlived it"
        );
        let table = mounts_text()?;
        ensure!(!table.contains(directory), "still listed: {table:?}");
        ensure!(
            umount(directory) == Err(Errno::EINVAL),
            "umount of no mount point"
        );
        ensure!(umount("/proc") == Err(Errno::EINVAL), "umount of /proc");
        Ok(())
    })();
    clean(directory);
    result
}

/// Only an effective user id of 0 mounts or unmounts, decided by the file server: a process
/// that became user 1000 gets `EPERM` through its LibOS, and a raw `Mount` with the
/// unprivileged badge bypassing the LibOS gets `EPERM` too.
pub const EPERM_UNPRIVILEGED: Check = Check {
    name: "mount-tmpfs-EPERM-unprivileged",
    covers: &[
        "mount:tmpfs-EPERM-unprivileged",
        "umount2:EPERM-unprivileged",
    ],
    run: eperm_unprivileged,
};

fn eperm_unprivileged() -> CheckOutcome {
    let directory = "/tmp/mount-eperm";
    fresh_directory(directory)?;
    let result = (|| {
        let raw = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        let answer = raw.two_paths(Operation::Mount, directory, directory, 0);
        ensure!(
            answer == Err(Errno::EPERM),
            "raw Mount as user 1000: {answer:?}"
        );
        let child = fork().map_err(|error| alloc::format!("fork: {error}"))?;
        if child == 0 {
            let code = if libos::process::credentials::setuid(1000).is_err() {
                1
            } else if mount("none", directory, "tmpfs", 0, None) != Err(Errno::EPERM) {
                2
            } else {
                0
            };
            _exit(code);
        }
        let mut status = 0;
        let _ = waitpid(child, Some(&mut status), 0);
        ensure!(
            status == 0,
            "unprivileged mount step {} failed",
            status >> 8
        );
        // Root's mount, then the unprivileged raw unmount.
        mount("none", directory, "tmpfs", 0, None)
            .map_err(|error| alloc::format!("mount: {error}"))?;
        let answer = raw.path_call(Operation::Unmount, directory, 0, 0);
        ensure!(
            answer == Err(Errno::EPERM),
            "raw Unmount as user 1000: {answer:?}"
        );
        Ok(())
    })();
    clean(directory);
    result
}
