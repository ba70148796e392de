//! `O_PATH` descriptors: they name a file without opening it for reading or writing — `read`,
//! `write`, `fchmod`, `futimens` and the data path refuse them, `fstat`, `fchdir`, `*at` calls
//! and `AT_EMPTY_PATH` use them — and the server refuses their handles' frames to a client that
//! bypasses its LibOS.

use libos::abi::{Call, OptionalSlot};
use libos::fs::protocol::{Operation, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::fs::{
    fchdir, fchmod, fstat, futimens, getcwd, mkdir, newfstatat, open, openat, rmdir, unlink,
};
use libos::io::{close, fcntl, pread64, read, write};
use libos::kernel::call;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    AT_EMPTY_PATH, F_GETFL, O_ACCMODE, O_CREAT, O_NOFOLLOW, O_PATH, O_RDONLY, O_RDWR, O_TRUNC,
};
use libposix_sys::mode::{S_IFLNK, S_IFMT};

use crate::ensure;
use crate::permission_checks::RawConnection;

fn path_descriptors() -> CheckOutcome {
    let path = "/tmp/o-path";
    let fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0o600).map_err(|e| alloc::format!("{e}"))?;
    let _ = write(fd, b"content");
    let _ = close(fd);
    let _ = mkdir("/tmp/o-path-dir", 0o755);
    let outcome = (|| {
        let handle = open(path, O_PATH, 0).map_err(|e| alloc::format!("O_PATH: {e}"))?;
        let mut buffer = [0u8; 8];
        let refused = [
            ("read", read(handle, &mut buffer).map(|_| ())),
            ("pread64", pread64(handle, &mut buffer, 0).map(|_| ())),
            ("write", write(handle, b"x").map(|_| ())),
            ("fchmod", fchmod(handle, 0o644)),
            ("futimens", futimens(handle, None)),
        ];
        let size = fstat(handle).map(|status| status.st_size);
        let empty_path = newfstatat(handle, "", AT_EMPTY_PATH).map(|status| status.st_size);
        let flags = fcntl(handle, F_GETFL, 0);
        let _ = close(handle);
        for (what, result) in refused {
            ensure!(
                result == Err(Errno::EBADF),
                "{what} on O_PATH gave {result:?}"
            );
        }
        ensure!(size == Ok(7), "fstat on O_PATH gave {size:?}");
        ensure!(
            empty_path == Ok(7),
            "AT_EMPTY_PATH on O_PATH gave {empty_path:?}"
        );
        ensure!(
            flags.is_ok_and(|flags| flags as i32 & O_ACCMODE == O_ACCMODE),
            "F_GETFL gave {flags:?}"
        );
        // A directory opened O_PATH serves as a dirfd and for fchdir.
        let directory = open("/tmp/o-path-dir", O_PATH, 0).map_err(|e| alloc::format!("{e}"))?;
        let created = openat(directory, "inside", O_CREAT | O_RDWR, 0o644);
        let changed = fchdir(directory);
        let here = getcwd(256);
        let _ = libos::fs::chdir("/");
        let _ = close(directory);
        if let Ok(inner) = created {
            let _ = close(inner);
        }
        let _ = unlink("/tmp/o-path-dir/inside");
        ensure!(
            created.is_ok(),
            "openat from an O_PATH directory: {created:?}"
        );
        ensure!(
            changed == Ok(()),
            "fchdir to an O_PATH directory: {changed:?}"
        );
        ensure!(
            here.is_ok_and(|name| name.starts_with(b"/tmp/o-path-dir")),
            "the working directory after fchdir"
        );
        // O_PATH | O_NOFOLLOW names a symbolic link itself.
        let _ = unlink("/tmp/o-path-link");
        libos::fs::symlink(path, "/tmp/o-path-link").map_err(|e| alloc::format!("{e}"))?;
        let link = open("/tmp/o-path-link", O_PATH | O_NOFOLLOW, 0);
        let mode = link.and_then(|fd| {
            let mode = fstat(fd).map(|status| status.st_mode & S_IFMT);
            let _ = close(fd);
            mode
        });
        let _ = unlink("/tmp/o-path-link");
        ensure!(
            mode == Ok(S_IFLNK),
            "O_PATH|O_NOFOLLOW on a link gave {mode:?}"
        );
        // Raw: an O_PATH handle gets no frame of the file.
        let other = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        let _ = libos::fs::chmod(path, 0o644);
        let raw = other
            .open(path, O_PATH | O_RDONLY)
            .map_err(|e| alloc::format!("raw O_PATH: {e}"))?;
        let slot = libos::slots::allocate().ok_or("no slot")?;
        let mapped = call(Call::IpcCall {
            endpoint: UNPRIVILEGED_FILE_SERVER_SLOT,
            word0: Operation::MapFile as u64 | (other.number << 8),
            word1: raw | (1 << 32),
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(Some(slot)),
        })
        .map(|words| (words[0], crate::permission_checks::answer(words[1])));
        let raw_read = other.call_raw(Operation::Read, raw | (8 << 32), 0);
        libos::slots::free(slot);
        ensure!(
            matches!(mapped, Ok((0, Err(Errno::EBADF)))),
            "frames for an O_PATH handle: {mapped:?}"
        );
        ensure!(
            raw_read == Err(Errno::EBADF),
            "a raw Read on O_PATH: {raw_read:?}"
        );
        Ok(())
    })();
    let _ = libos::fs::chdir("/");
    let _ = unlink(path);
    let _ = rmdir("/tmp/o-path-dir");
    outcome
}

/// `O_PATH`: no reading, writing, `fchmod` or `futimens` (`EBADF`), but `fstat`,
/// `AT_EMPTY_PATH`, use as a `dirfd` and for `fchdir`; with `O_NOFOLLOW` it names a link; the
/// server grants no frames and no reads through such a handle.
pub const PATH_DESCRIPTORS: Check = Check {
    name: "open-O_PATH",
    covers: &["open:O_PATH", "openat:O_PATH-dirfd"],
    run: path_descriptors,
};
