//! `fsync`, `fdatasync`, `syncfs`, `sync`, `preadv` and `pwritev` on the shared root. The file
//! system lives in memory: syncing has nothing to write back (data is in the frames every reader
//! maps once a write returns), so these checks prove the calls' descriptor rules and that what
//! was written is what every other opener reads.

use libos::fs::{open, unlink};
use libos::io::{
    close, fdatasync, fsync, lseek, pipe, pread64, preadv, pwritev, sync, syncfs, write,
};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_RDWR, O_TRUNC};
use libposix_sys::seek::SEEK_CUR;

use crate::ensure;

fn syncing() -> CheckOutcome {
    let path = "/tmp/sync-file";
    let fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0o644).map_err(|e| alloc::format!("{e}"))?;
    let outcome = (|| {
        ensure!(write(fd, b"durable") == Ok(7), "write");
        ensure!(fsync(fd) == Ok(()), "fsync of a file");
        ensure!(fdatasync(fd) == Ok(()), "fdatasync of a file");
        ensure!(syncfs(fd) == Ok(()), "syncfs");
        sync();
        let other = open(path, O_RDONLY, 0).map_err(|e| alloc::format!("{e}"))?;
        let mut buffer = [0u8; 8];
        let seen = pread64(other, &mut buffer, 0);
        let _ = close(other);
        ensure!(
            seen == Ok(7) && &buffer[..7] == b"durable",
            "another open read {seen:?}"
        );
        let directory = open("/tmp", O_RDONLY, 0).map_err(|e| alloc::format!("{e}"))?;
        let synced_directory = fsync(directory);
        let _ = close(directory);
        ensure!(
            synced_directory == Ok(()),
            "fsync of a directory: {synced_directory:?}"
        );
        ensure!(
            fsync(999) == Err(Errno::EBADF),
            "fsync of a closed descriptor"
        );
        ensure!(fdatasync(-1) == Err(Errno::EBADF), "fdatasync of -1");
        ensure!(
            syncfs(999) == Err(Errno::EBADF),
            "syncfs of a closed descriptor"
        );
        let [reader, writer] = pipe().map_err(|e| alloc::format!("pipe: {e}"))?;
        let piped = fsync(writer);
        let _ = close(reader);
        let _ = close(writer);
        ensure!(piped == Err(Errno::EINVAL), "fsync of a pipe: {piped:?}");
        let null = open("/dev/null", O_RDWR, 0).map_err(|e| alloc::format!("{e}"))?;
        let device = fsync(null);
        let _ = close(null);
        ensure!(
            device == Err(Errno::EINVAL),
            "fsync of /dev/null: {device:?}"
        );
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink(path);
    outcome
}

/// `fsync`/`fdatasync`/`syncfs` succeed on files and directories of the in-memory root (data is
/// already where every reader sees it), `EBADF` on bad descriptors, `EINVAL` on pipes and
/// devices; `sync` returns.
pub const SYNCING: Check = Check {
    name: "fsync-fdatasync-sync",
    covers: &["fsync", "fdatasync", "syncfs", "sync"],
    run: syncing,
};

fn vectored_positioned() -> CheckOutcome {
    let path = "/tmp/vector-file";
    let fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0o644).map_err(|e| alloc::format!("{e}"))?;
    let outcome = (|| {
        ensure!(write(fd, b"0123456789") == Ok(10), "write");
        let written = pwritev(fd, &[b"ab", b"", b"cde"], 3);
        ensure!(written == Ok(5), "pwritev gave {written:?}");
        ensure!(lseek(fd, 0, SEEK_CUR) == Ok(10), "pwritev moved the offset");
        let mut first = [0u8; 4];
        let mut second = [0u8; 20];
        let count = preadv(fd, &mut [&mut first, &mut [], &mut second], 1);
        ensure!(count == Ok(9), "preadv gave {count:?}");
        ensure!(
            &first == b"12ab" && &second[..5] == b"cde89",
            "preadv scattered {first:?} {:?}",
            &second[..5]
        );
        ensure!(lseek(fd, 0, SEEK_CUR) == Ok(10), "preadv moved the offset");
        ensure!(
            preadv(fd, &mut [&mut first], -1) == Err(Errno::EINVAL),
            "a negative offset"
        );
        let [reader, writer] = pipe().map_err(|e| alloc::format!("pipe: {e}"))?;
        let on_pipe = pwritev(writer, &[b"x"], 0);
        let _ = close(reader);
        let _ = close(writer);
        ensure!(
            on_pipe == Err(Errno::ESPIPE),
            "pwritev on a pipe: {on_pipe:?}"
        );
        let too_many: alloc::vec::Vec<&[u8]> = alloc::vec![b"x".as_slice(); 1025];
        ensure!(
            pwritev(fd, &too_many, 0) == Err(Errno::EINVAL),
            "more than IOV_MAX buffers"
        );
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink(path);
    outcome
}

/// `preadv`/`pwritev` gather and scatter at an offset without moving the file offset; `EINVAL`
/// for a negative offset or more than `IOV_MAX` buffers, `ESPIPE` on a pipe.
pub const VECTORED_POSITIONED: Check = Check {
    name: "preadv-pwritev",
    covers: &["preadv", "pwritev"],
    run: vectored_positioned,
};
