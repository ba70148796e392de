//! The data path of the shared root: file pages granted as frames, reads and writes as copies
//! on them (no kernel entry), growth, truncation, `O_APPEND`, sharing between descriptions and
//! processes, and what a client that bypasses its LibOS can and cannot do with the frames.

use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, KernelError, OptionalSlot, PageAddress, PageCount, Rights, Slot, initial};
use libos::fs::protocol::{
    FILE_SERVER_SLOT, FILE_SIZE_LIMIT, GROW, Operation, UNPRIVILEGED_FILE_SERVER_SLOT,
};
use libos::fs::{fstat, ftruncate, open, unlink};
use libos::io::descriptors::{fcntl, lseek, pread64, pwrite64};
use libos::io::{close, read, write};
use libos::kernel::call;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    F_GETFL, F_SETFL, O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};
use libposix_sys::seek::{SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};

use crate::ensure;
use crate::permission_checks::RawConnection;

/// Where the raw checks map a frame for a moment.
const PROBE: u64 = 0x0000_6400_0000_0000;

fn pattern(length: usize, seed: u8) -> Vec<u8> {
    (0..length)
        .map(|index| (index as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn fresh(path: &str) -> Result<i32, alloc::string::String> {
    let _ = unlink(path);
    open(path, O_CREAT | O_EXCL | O_RDWR, 0o644).map_err(|error| alloc::format!("create: {error}"))
}

fn no_kernel_calls() -> CheckOutcome {
    let path = "/tmp/data-path";
    let fd = fresh(path)?;
    let page = pattern(4096, 7);
    // Two pages: segments 0 and 1 exist and are mapped before counting.
    ensure!(pwrite64(fd, &page, 0) == Ok(4096), "first write");
    ensure!(pwrite64(fd, &page, 4096) == Ok(4096), "second write");
    let mut buffer = [0u8; 4096];
    ensure!(pread64(fd, &mut buffer, 0) == Ok(4096), "first read");
    let before = libos::kernel::calls_made();
    for round in 0..64 {
        let _ = pwrite64(fd, &page, (round % 4) * 1000);
        let _ = pread64(fd, &mut buffer, (round % 3) * 1000);
    }
    let calls = libos::kernel::calls_made() - before;
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(
        calls == 0,
        "128 reads and writes of a mapped file made {calls} kernel calls"
    );
    Ok(())
}

/// Cached reads and writes of a file are copies on its mapped frames: no kernel entry, no IPC.
pub const NO_KERNEL_CALLS: Check = Check {
    name: "file-data-without-kernel-calls",
    covers: &["read:file-pages-mapped", "write:file-pages-mapped"],
    run: no_kernel_calls,
};

fn growth_and_holes() -> CheckOutcome {
    let path = "/tmp/data-growth";
    let fd = fresh(path)?;
    // 200 KiB in odd-sized pieces, crossing every segment boundary up to 256 KiB.
    let data = pattern(200 * 1024, 3);
    for piece in data.chunks(3001) {
        ensure!(write(fd, piece) == Ok(piece.len()), "a piece was short");
    }
    let mut back = vec![0u8; data.len() + 100];
    let count = pread64(fd, &mut back, 0);
    ensure!(count == Ok(data.len()), "read back {count:?}");
    ensure!(back[..data.len()] == data[..], "bytes differ after growth");
    // A write far past the end leaves a hole that reads as zeros.
    let far = 3 * 1024 * 1024 + 5;
    ensure!(pwrite64(fd, b"tail", far) == Ok(4), "far write");
    let size = fstat(fd).map(|status| status.st_size);
    ensure!(size == Ok(far + 4), "size after the far write: {size:?}");
    let mut middle = vec![1u8; 8192];
    ensure!(
        pread64(fd, &mut middle, 1024 * 1024) == Ok(8192),
        "reading the hole"
    );
    ensure!(
        middle.iter().all(|&byte| byte == 0),
        "the hole is not zeros"
    );
    let mut tail = [0u8; 8];
    ensure!(pread64(fd, &mut tail, far) == Ok(4), "reading the tail");
    ensure!(&tail[..4] == b"tail", "tail is {:?}", &tail[..4]);
    let end = lseek(fd, 0, SEEK_END);
    ensure!(end == Ok(far + 4), "SEEK_END gave {end:?}");
    let data_at = lseek(fd, 10, SEEK_DATA);
    let hole_at = lseek(fd, 10, SEEK_HOLE);
    let past = lseek(fd, far + 4, SEEK_DATA);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(data_at == Ok(10), "SEEK_DATA gave {data_at:?}");
    ensure!(hole_at == Ok(far + 4), "SEEK_HOLE gave {hole_at:?}");
    ensure!(
        past == Err(Errno::ENXIO),
        "SEEK_DATA at the end gave {past:?}"
    );
    Ok(())
}

/// Files grow through new segments; a gap reads as zeros; `SEEK_DATA`/`SEEK_HOLE` see the file
/// as data with the one hole at its end (allowed by POSIX), `ENXIO` past it.
pub const GROWTH_AND_HOLES: Check = Check {
    name: "file-data-growth-and-holes",
    covers: &[
        "write:grows-file",
        "lseek:SEEK_DATA",
        "lseek:SEEK_HOLE",
        "pread64:hole-reads-zeros",
    ],
    run: growth_and_holes,
};

fn coherent_descriptions() -> CheckOutcome {
    let path = "/tmp/data-coherent";
    let writer = fresh(path)?;
    let reader = open(path, O_RDONLY, 0).map_err(|error| alloc::format!("reopen: {error}"))?;
    let mut buffer = [0u8; 16];
    ensure!(read(reader, &mut buffer) == Ok(0), "empty file read data");
    ensure!(pwrite64(writer, b"0123456789", 0) == Ok(10), "write");
    let seen = pread64(reader, &mut buffer, 0);
    ensure!(
        seen == Ok(10) && &buffer[..10] == b"0123456789",
        "the other description read {seen:?}"
    );
    ftruncate(writer, 4).map_err(|error| alloc::format!("ftruncate: {error}"))?;
    let cut = pread64(reader, &mut buffer, 0);
    ensure!(cut == Ok(4), "after truncation the reader got {cut:?}");
    ftruncate(writer, 10).map_err(|error| alloc::format!("grow: {error}"))?;
    buffer.fill(9);
    let grown = pread64(reader, &mut buffer, 0);
    ensure!(
        grown == Ok(10) && &buffer[..10] == b"0123\0\0\0\0\0\0",
        "after growing again the reader got {grown:?} {:?}",
        &buffer[..10]
    );
    // O_TRUNC by a new open empties the same file the others have mapped.
    let truncating = open(path, O_WRONLY | O_TRUNC, 0).map_err(|e| alloc::format!("{e}"))?;
    let emptied = pread64(reader, &mut buffer, 0);
    let _ = close(truncating);
    let _ = close(reader);
    let _ = close(writer);
    let _ = unlink(path);
    ensure!(emptied == Ok(0), "after O_TRUNC the reader got {emptied:?}");
    Ok(())
}

/// Two descriptions of one file see each other's writes and truncations at once (they map the
/// same frames); bytes cut off read as zeros when the file grows again.
pub const COHERENT_DESCRIPTIONS: Check = Check {
    name: "file-data-coherent-between-descriptions",
    covers: &[
        "ftruncate:zero-fill-after-shrink",
        "open:O_TRUNC-seen-by-other-openers",
    ],
    run: coherent_descriptions,
};

fn appending() -> CheckOutcome {
    let path = "/tmp/data-append";
    let first = fresh(path)?;
    let second = open(path, O_WRONLY | O_APPEND, 0).map_err(|e| alloc::format!("{e}"))?;
    ensure!(write(first, b"aaaa") == Ok(4), "plain write");
    ensure!(write(second, b"bb") == Ok(2), "append");
    // Without O_APPEND the first writes at its own offset (4), over "bb".
    ensure!(write(first, b"c") == Ok(1), "plain write 2");
    // Turn O_APPEND on for the first with F_SETFL: now it appends too.
    let flags = fcntl(first, F_GETFL, 0).map_err(|e| alloc::format!("{e}"))?;
    fcntl(first, F_SETFL, (flags as i32 | O_APPEND) as u64).map_err(|e| alloc::format!("{e}"))?;
    ensure!(write(first, b"dd") == Ok(2), "appended by F_SETFL");
    ensure!(write(second, b"e") == Ok(1), "append 2");
    // pwrite on an O_APPEND description appends as well (Linux).
    ensure!(pwrite64(second, b"f", 0) == Ok(1), "pwrite with O_APPEND");
    let mut buffer = [0u8; 32];
    let count = pread64(first, &mut buffer, 0);
    let _ = close(first);
    let _ = close(second);
    let _ = unlink(path);
    ensure!(
        count == Ok(10) && &buffer[..10] == b"aaaacbddef",
        "the file holds {count:?} {:?}",
        core::str::from_utf8(&buffer[..10])
    );
    Ok(())
}

/// `O_APPEND` writes (also after `F_SETFL`, and `pwrite` on them) land at the end whoever grew
/// the file.
pub const APPENDING: Check = Check {
    name: "file-data-append-between-descriptions",
    covers: &[
        "write:O_APPEND-shared-end",
        "fcntl:F_SETFL-O_APPEND-applied",
    ],
    run: appending,
};

fn unlinked_mapped() -> CheckOutcome {
    let path = "/tmp/data-unlinked";
    let fd = fresh(path)?;
    let data = pattern(10_000, 9);
    ensure!(write(fd, &data) == Ok(data.len()), "write");
    unlink(path).map_err(|error| alloc::format!("unlink: {error}"))?;
    ensure!(
        open(path, O_RDONLY, 0) == Err(Errno::ENOENT),
        "the name is still there"
    );
    ensure!(pwrite64(fd, b"more", 10_000) == Ok(4), "write after unlink");
    let mut back = vec![0u8; 10_004];
    let count = pread64(fd, &mut back, 0);
    let links = fstat(fd).map(|status| status.st_nlink);
    let _ = close(fd);
    ensure!(count == Ok(10_004), "read after unlink: {count:?}");
    ensure!(
        back[..10_000] == data[..] && &back[10_000..] == b"more",
        "bytes differ"
    );
    ensure!(links == Ok(0), "st_nlink after unlink: {links:?}");
    Ok(())
}

/// An unlinked file stays readable and writable through its mapped frames until closed.
pub const UNLINKED_MAPPED: Check = Check {
    name: "file-data-unlinked-while-mapped",
    covers: &["unlink:open-file-stays-readable"],
    run: unlinked_mapped,
};

fn between_processes() -> CheckOutcome {
    use libos::process::{Ending, spawn};
    let path = "/tmp/data-shared";
    let fd = fresh(path)?;
    ensure!(write(fd, &[b'A'; 4096]) == Ok(4096), "write");
    let mut buffer = [0u8; 4096];
    ensure!(pread64(fd, &mut buffer, 0) == Ok(4096), "map it here first");
    let child = spawn(
        "/bin/posix-file-tests",
        "/bin/posix-file-tests data-writer",
        &[(FILE_SERVER_SLOT, FILE_SERVER_SLOT)],
    )
    .map_err(|error| alloc::format!("spawn: {error:?}"))?;
    let ending = child.wait(10_000_000_000);
    child.reap();
    let count = pread64(fd, &mut buffer, 4096);
    let first = pread64(fd, &mut [0u8; 1], 0);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(
        matches!(ending, Ok(Ending::Exited(0))),
        "the child ended {ending:?}"
    );
    ensure!(first == Ok(1), "reading our own page: {first:?}");
    ensure!(
        count == Ok(4096) && buffer.iter().all(|&byte| byte == b'B'),
        "the other process's page was not seen: {count:?}"
    );
    Ok(())
}

/// The child half of [`BETWEEN_PROCESSES`]: appends a page of `B` to the shared file.
pub fn run_data_writer() -> i32 {
    match open("/tmp/data-shared", O_WRONLY | O_APPEND, 0) {
        Ok(fd) => match write(fd, &[b'B'; 4096]) {
            Ok(4096) => 0,
            other => {
                libos::println!("data-writer: {other:?}");
                2
            }
        },
        Err(error) => {
            libos::println!("data-writer: {error}");
            2
        }
    }
}

/// What another process appends appears in our mapping of the file without reopening it.
pub const BETWEEN_PROCESSES: Check = Check {
    name: "file-data-shared-between-processes",
    covers: &["write:visible-to-other-processes"],
    run: between_processes,
};

fn limits() -> CheckOutcome {
    let path = "/tmp/data-limits";
    let fd = fresh(path)?;
    let limit = FILE_SIZE_LIMIT as i64;
    let past = pwrite64(fd, b"x", limit);
    let truncated = ftruncate(fd, limit + 1);
    // Up to the limit is fine: the file is one hole, no memory is spent on it.
    let whole = ftruncate(fd, limit);
    let size = fstat(fd).map(|status| status.st_size);
    let mut buffer = [1u8; 16];
    let last = pread64(fd, &mut buffer, limit - 16);
    let seek = lseek(fd, 0, SEEK_SET);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(
        past == Err(Errno::EFBIG),
        "a write at the limit gave {past:?}"
    );
    ensure!(whole == Ok(()), "ftruncate to the limit gave {whole:?}");
    ensure!(
        last == Ok(16) && buffer == [0; 16],
        "the end of a sparse file read {last:?}"
    );
    ensure!(
        truncated == Err(Errno::EFBIG),
        "ftruncate past the limit gave {truncated:?}"
    );
    ensure!(size == Ok(limit), "size {size:?}");
    ensure!(seek == Ok(0), "seek {seek:?}");
    Ok(())
}

/// Files stop at 16 MiB: `EFBIG` at the limit; a file truncated up to it is a hole of zeros.
pub const LIMITS: Check = Check {
    name: "file-data-size-limit",
    covers: &["write:EFBIG", "ftruncate:EFBIG"],
    run: limits,
};

/// Maps `frame` at [`PROBE`] with `rights`, reads its first word, unmaps it.
fn probe(frame: Slot, rights: Rights) -> Result<u64, KernelError> {
    call(Call::Map {
        address_space: initial::SELF_ADDRESS_SPACE,
        frame,
        address: PageAddress(PROBE),
        first_page: 0,
        pages: PageCount(1),
        rights,
    })?;
    // SAFETY: the page was just mapped readable at PROBE; a volatile read of its first word.
    let word = unsafe { core::ptr::read_volatile(PROBE as *const u64) };
    let _ = call(Call::Unmap {
        address_space: initial::SELF_ADDRESS_SPACE,
        address: PageAddress(PROBE),
        pages: PageCount(1),
    });
    Ok(word)
}

fn read_only_frames() -> CheckOutcome {
    let path = "/tmp/data-readonly";
    let fd = fresh(path)?;
    ensure!(write(fd, b"ABCDEFGH") == Ok(8), "write");
    let _ = close(fd);
    let secret = "/tmp/data-secret";
    let secret_fd = fresh(secret)?;
    let _ = write(secret_fd, b"hidden");
    let _ = libos::fs::fchmod(secret_fd, 0o600);
    let _ = close(secret_fd);
    let outcome = (|| {
        let other = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        let handle = other
            .open(path, O_RDONLY)
            .map_err(|error| alloc::format!("user 1000 open: {error}"))?;
        let slot = libos::slots::allocate().ok_or("no slot")?;
        let map = |piece: u64, grow: u64| {
            let words = call(Call::IpcCall {
                endpoint: UNPRIVILEGED_FILE_SERVER_SLOT,
                word0: Operation::MapFile as u64 | (other.number << 8),
                word1: handle | (piece << 32),
                word2: grow,
                transfer: OptionalSlot(None),
                receive: OptionalSlot(Some(slot)),
            });
            words.map(|words| (words[0], crate::permission_checks::answer(words[1])))
        };
        let segment = map(1, 0);
        ensure!(
            matches!(segment, Ok((1, Ok(_)))),
            "mapping segment 0 of a read-only open gave {segment:?}"
        );
        let rights = call(Call::CapabilityIdentify { slot }).map(|words| words[1]);
        let writable = probe(slot, Rights::READ | Rights::WRITE);
        let readable = probe(slot, Rights::READ);
        let _ = call(Call::CapabilityDelete { slot });
        ensure!(
            rights.is_ok_and(|bits| bits & u64::from(Rights::WRITE.bits()) == 0),
            "the granted frame has rights {rights:?}"
        );
        ensure!(
            writable == Err(KernelError::InsufficientRights),
            "mapping it writable gave {writable:?}"
        );
        ensure!(
            readable == Ok(u64::from_le_bytes(*b"ABCDEFGH")),
            "mapping it readable gave {readable:?}"
        );
        let grow = map(2, GROW);
        ensure!(
            matches!(grow, Ok((0, Err(Errno::EBADF)))),
            "growing through a read-only open gave {grow:?}"
        );
        let hole = map(5, 0);
        ensure!(
            matches!(hole, Ok((0, Err(Errno::ENXIO)))),
            "a segment the file lacks gave {hole:?}"
        );
        let beyond = map(99, 0);
        ensure!(
            matches!(beyond, Ok((0, Err(Errno::EFBIG)))),
            "a segment past the limit gave {beyond:?}"
        );
        // Root's 0600 file: no handle, and no frame through made-up or stolen handles.
        let refused = other.open(secret, O_RDONLY);
        ensure!(
            refused == Err(Errno::EACCES),
            "opening the secret: {refused:?}"
        );
        let root = RawConnection::connect(FILE_SERVER_SLOT)?;
        let root_handle = root
            .open(secret, O_RDONLY)
            .map_err(|e| alloc::format!("{e}"))?;
        let stolen = call(Call::IpcCall {
            endpoint: UNPRIVILEGED_FILE_SERVER_SLOT,
            word0: Operation::MapFile as u64 | (root.number << 8),
            word1: root_handle | (1 << 32),
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(Some(slot)),
        })
        .map(|words| (words[0], crate::permission_checks::answer(words[1])));
        ensure!(
            matches!(stolen, Ok((0, Err(Errno::EBADF)))),
            "mapping root's handle on root's connection from user 1000 gave {stolen:?}"
        );
        let guessed = map(1, 0).map(|(arrived, _)| arrived);
        let _ = call(Call::CapabilityDelete { slot });
        libos::slots::free(slot);
        ensure!(guessed == Ok(1), "own handle stopped working: {guessed:?}");
        Ok(())
    })();
    let _ = unlink(path);
    let _ = unlink(secret);
    outcome
}

/// A client that bypasses its LibOS gets read-only frames for a read-only open (the kernel
/// refuses to map them writable), cannot grow the file through it, and gets no frame of a file
/// it may not open (made-up or stolen handles and connections are refused).
pub const READ_ONLY_FRAMES: Check = Check {
    name: "file-data-read-only-frames-raw",
    covers: &[
        "read:frames-read-only-in-server",
        "open:permissions-in-server",
    ],
    run: read_only_frames,
};

fn write_only_needs_read_permission() -> CheckOutcome {
    let path = "/tmp/data-write-only";
    let _ = unlink(path);
    let outcome = (|| {
        let other = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        let handle = other
            .open_with_mode(path, O_CREAT | O_EXCL | O_WRONLY, 0o200)
            .map_err(|error| alloc::format!("create 0200: {error}"))?;
        let slot = libos::slots::allocate().ok_or("no slot")?;
        let header = call(Call::IpcCall {
            endpoint: UNPRIVILEGED_FILE_SERVER_SLOT,
            word0: Operation::MapFile as u64 | (other.number << 8),
            word1: handle,
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(Some(slot)),
        })
        .map(|words| (words[0], crate::permission_checks::answer(words[1])));
        libos::slots::free(slot);
        ensure!(
            matches!(header, Ok((0, Err(Errno::EACCES)))),
            "a write-only open of a file its owner may not read got frames: {header:?}"
        );
        Ok(())
    })();
    // Through the LibOS the same open falls back to the server's Write: it still works.
    let written = open(path, O_WRONLY, 0).and_then(|fd| {
        let result = write(fd, b"ok");
        let _ = close(fd);
        result
    });
    let size = libos::fs::stat(path).map(|status| status.st_size);
    let _ = unlink(path);
    outcome?;
    ensure!(written == Ok(2), "write through the LibOS: {written:?}");
    ensure!(size == Ok(2), "size {size:?}");
    Ok(())
}

/// Frames can only be mapped readable, so a write-only open gets none unless its owner may read
/// the file; such files are written through the server.
pub const WRITE_ONLY: Check = Check {
    name: "file-data-write-only-open-gets-no-frames",
    covers: &["open:O_WRONLY-no-read-access"],
    run: write_only_needs_read_permission,
};

fn hostile_size() -> CheckOutcome {
    let path = "/tmp/data-hostile";
    let fd = fresh(path)?;
    let _ = libos::fs::fchmod(fd, 0o666);
    ensure!(write(fd, b"real") == Ok(4), "write");
    let outcome = (|| {
        let other = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        let handle = other
            .open(path, O_RDWR)
            .map_err(|e| alloc::format!("{e}"))?;
        let slot = libos::slots::allocate().ok_or("no slot")?;
        let header = call(Call::IpcCall {
            endpoint: UNPRIVILEGED_FILE_SERVER_SLOT,
            word0: Operation::MapFile as u64 | (other.number << 8),
            word1: handle,
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(Some(slot)),
        })
        .map(|words| words[0]);
        ensure!(header == Ok(1), "no header frame: {header:?}");
        call(Call::Map {
            address_space: initial::SELF_ADDRESS_SPACE,
            frame: slot,
            address: PageAddress(PROBE),
            first_page: 0,
            pages: PageCount(1),
            rights: Rights::READ | Rights::WRITE,
        })
        .map_err(|error| alloc::format!("map header: {error}"))?;
        // SAFETY: the header page was just mapped read-write at PROBE; its first word is the
        // size, written as a hostile writer would.
        let size = unsafe { &*(PROBE as *const AtomicU64) };
        size.store(u64::MAX, Ordering::SeqCst);
        let _ = call(Call::CapabilityDelete { slot });
        libos::slots::free(slot);
        Ok(())
    })();
    outcome?;
    let size = fstat(fd).map(|status| status.st_size);
    let mut buffer = [7u8; 64];
    let far = pread64(fd, &mut buffer, 8 * 1024 * 1024);
    let zeros = buffer.iter().all(|&byte| byte == 0);
    let start = pread64(fd, &mut buffer[..4], 0);
    // Put it right for the next reader.
    let repaired = ftruncate(fd, 4);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(
        size == Ok(FILE_SIZE_LIMIT as i64),
        "a size word of u64::MAX was reported as {size:?}"
    );
    ensure!(
        far == Ok(64) && zeros,
        "reading where no segment exists gave {far:?}"
    );
    ensure!(start == Ok(4) && &buffer[..4] == b"real", "start {start:?}");
    ensure!(repaired == Ok(()), "ftruncate {repaired:?}");
    Ok(())
}

/// A writer that scribbles a huge size into the shared header harms nobody: sizes are capped at
/// the limit and missing segments read as zeros (no crash, no other file's bytes).
pub const HOSTILE_SIZE: Check = Check {
    name: "file-data-hostile-size-word",
    covers: &["read:hostile-writer-contained"],
    run: hostile_size,
};

fn across_fork() -> CheckOutcome {
    use libos::process::fork;
    use libos::process::identity::{_exit, waitpid};
    let path = "/tmp/data-fork";
    let fd = fresh(path)?;
    ensure!(write(fd, b"parent..") == Ok(8), "write before fork");
    let mut buffer = [0u8; 16];
    ensure!(pread64(fd, &mut buffer, 0) == Ok(8), "mapped before fork");
    let child = fork().map_err(|error| alloc::format!("fork: {error}"))?;
    if child == 0 {
        // The child writes through its copy of the description: it must reach the file, not a
        // private copy-on-write page.
        let mut seen = [0u8; 8];
        let code = if pwrite64(fd, b"child", 8) != Ok(5) {
            3
        } else if pread64(fd, &mut seen, 0) != Ok(8) || &seen != b"parent.." {
            4
        } else {
            0
        };
        _exit(code);
    }
    let mut status = 0;
    let waited = waitpid(child, Some(&mut status), 0);
    // The parent's own writes after the fork must reach the file too.
    let after = pwrite64(fd, b"again", 13);
    let other = open(path, O_RDONLY, 0).map_err(|error| alloc::format!("reopen: {error}"))?;
    let mut whole = [0u8; 32];
    let count = pread64(other, &mut whole, 0);
    let _ = close(other);
    let _ = close(fd);
    let _ = unlink(path);
    ensure!(waited == Ok(child), "waitpid gave {waited:?}");
    ensure!(
        status == 0,
        "the child's write or read failed: status {status:#x}"
    );
    ensure!(
        after == Ok(5),
        "the parent's write after fork gave {after:?}"
    );
    ensure!(
        count == Ok(18) && &whole[..18] == b"parent..childagain",
        "another open read {count:?} {:?}",
        core::str::from_utf8(&whole[..count.unwrap_or(0).min(32)])
    );
    Ok(())
}

/// After `fork` both processes' writes through the same description reach the file (the
/// mappings, turned copy-on-write by the fork, are dropped and made again).
pub const ACROSS_FORK: Check = Check {
    name: "file-data-across-fork",
    covers: &["write:after-fork-shared-file"],
    run: across_fork,
};
