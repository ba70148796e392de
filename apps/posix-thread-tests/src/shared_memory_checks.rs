//! Shared and file-backed memory: MAP_SHARED|MAP_ANONYMOUS stays shared with a `fork` child,
//! MAP_SHARED of a file is the file (`read` by another process agrees, `msync` + reopen shows
//! it), MAP_PRIVATE of a file is a private copy, and `msync`, `mincore`, `mprotect` and
//! `madvise` on these mappings.

use alloc::format;
use alloc::string::String;
use alloc::vec;

use libos::fs::ftruncate;
use libos::fs::{open, unlink};
use libos::io::{close, pread64, pwrite64};
use libos::memory::{
    madvise, mincore, mmap, mprotect, mremap, msync, munmap, shm_open, shm_unlink,
};
use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::Errno;
use libposix_sys::fcntl::{O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC};
use libposix_sys::mman::{
    MADV_DONTNEED, MAP_ANONYMOUS, MAP_FIXED, MAP_GROWSDOWN, MAP_PRIVATE, MAP_SHARED, MREMAP_FIXED,
    MREMAP_MAYMOVE, MS_ASYNC, MS_INVALIDATE, MS_SYNC, PROT_NONE, PROT_READ, PROT_WRITE,
};
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

use crate::ensure;

const PAGE: u64 = 4096;
const READ_WRITE: i32 = PROT_READ | PROT_WRITE;

pub const CHECKS: &[Check] = &[
    Check {
        name: "mmap_shared_anonymous_stays_shared_across_fork",
        covers: &["mmap:MAP_SHARED-anonymous-fork"],
        run: shared_anonymous_fork,
    },
    Check {
        name: "mmap_private_anonymous_is_copied_on_fork",
        covers: &["mmap:MAP_PRIVATE-fork"],
        run: private_anonymous_fork,
    },
    Check {
        name: "mmap_shared_file_read_agrees_across_processes",
        covers: &["mmap:MAP_SHARED-file", "mmap:MAP_SHARED-file-read-agrees"],
        run: shared_file_read_agrees,
    },
    Check {
        name: "msync_then_reopen_shows_shared_writes",
        covers: &["msync"],
        run: msync_reopen,
    },
    Check {
        name: "mmap_private_file_is_copy_on_write",
        covers: &["mmap:MAP_PRIVATE-file", "mmap:MAP_PRIVATE-file-cow"],
        run: private_file_cow,
    },
    Check {
        name: "mmap_file_errors",
        covers: &[
            "mmap:EACCES",
            "mmap:EBADF",
            "mmap:ENODEV",
            "mprotect:EACCES",
        ],
        run: file_errors,
    },
    Check {
        name: "munmap_partial_shared_file_mapping",
        covers: &["munmap:partial-range-shared"],
        run: munmap_partial_shared,
    },
    Check {
        name: "mincore_reports_resident_pages",
        covers: &["mincore"],
        run: mincore_pages,
    },
    Check {
        name: "madvise_dontneed_keeps_shared_contents",
        covers: &["madvise:MADV_DONTNEED-shared"],
        run: madvise_shared,
    },
    Check {
        name: "mremap_shrinks_grows_and_moves",
        covers: &[
            "mremap:MREMAP_MAYMOVE",
            "mremap:MREMAP_FIXED",
            "mremap:shrink",
            "mremap:EINVAL",
            "mremap:EFAULT",
            "mremap:ENOMEM",
        ],
        run: mremap_grow_shrink_move,
    },
    Check {
        name: "mremap_keeps_shared_memory_shared",
        covers: &["mremap:MAP_SHARED-anonymous"],
        run: mremap_moves_shared_memory_as_shared,
    },
    Check {
        name: "shm_open_shares_pages_between_processes",
        covers: &["shm_open", "shm_unlink"],
        run: shm_open_shares_pages_between_processes,
    },
    Check {
        name: "mprotect_shared_file_mapping_keeps_the_file",
        covers: &["mprotect:MAP_SHARED-file"],
        run: mprotect_shared_file_mapping,
    },
    Check {
        name: "munmap_partial_shared_anonymous_stays_shared",
        covers: &["munmap:partial-range-shared-anonymous"],
        run: munmap_partial_shared_anonymous,
    },
    Check {
        name: "mmap_growsdown_is_einval",
        covers: &["mmap:MAP_GROWSDOWN"],
        run: growsdown,
    },
];

fn failed(what: &str) -> impl FnOnce(Errno) -> String + use<'_> {
    move |error| format!("{what}: {error:?}")
}

fn read(address: u64) -> u8 {
    // SAFETY: only called on pages this suite mapped readable.
    unsafe { core::ptr::read_volatile(address as *const u8) }
}

fn write(address: u64, value: u8) {
    // SAFETY: only called on pages this suite mapped writable.
    unsafe { core::ptr::write_volatile(address as *mut u8, value) }
}

/// Runs `child` in a forked process, which exits with its result; returns that status.
fn in_child(child: impl FnOnce() -> i32) -> Result<i32, String> {
    let pid = fork().map_err(failed("fork"))?;
    if pid == 0 {
        _exit(child());
    }
    let mut status = 0;
    waitpid(pid, Some(&mut status), 0).map_err(failed("waitpid"))?;
    ensure!(WIFEXITED(status), "child did not exit: {status:#x}");
    Ok(WEXITSTATUS(status))
}

/// A fresh file of `pages` pages filled with `fill`, open read-write.
fn file_of(path: &str, pages: u64, fill: u8) -> Result<i32, String> {
    let fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0o644).map_err(failed("create"))?;
    let bytes = vec![fill; (pages * PAGE) as usize];
    pwrite64(fd, &bytes, 0).map_err(failed("pwrite"))?;
    Ok(fd)
}

fn shared_anonymous_fork() -> CheckOutcome {
    let area =
        mmap(0, 2 * PAGE, READ_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0).map_err(failed("mmap"))?;
    write(area, 1);
    let status = in_child(|| {
        let seen = read(area);
        write(area, 42);
        write(area + PAGE + 7, 43);
        i32::from(seen)
    })?;
    ensure!(status == 1, "child saw {status} before writing, not 1");
    ensure!(
        read(area) == 42,
        "parent sees {} after the child wrote 42",
        read(area)
    );
    ensure!(read(area + PAGE + 7) == 43, "second page not shared");
    // Still shared after the fork: the parent's write reaches a second child.
    write(area + 1, 9);
    let status = in_child(|| i32::from(read(area + 1)))?;
    ensure!(status == 9, "second child saw {status}, not 9");
    munmap(area, 2 * PAGE).map_err(failed("munmap"))
}

fn private_anonymous_fork() -> CheckOutcome {
    let area =
        mmap(0, PAGE, READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0).map_err(failed("mmap"))?;
    write(area, 5);
    let status = in_child(|| {
        write(area, 77);
        i32::from(read(area))
    })?;
    ensure!(status == 77, "child read {status} after writing 77");
    ensure!(
        read(area) == 5,
        "the child's private write reached the parent"
    );
    munmap(area, PAGE).map_err(failed("munmap"))
}

fn shared_file_read_agrees() -> CheckOutcome {
    let path = "/tmp/mmap-shared-read";
    let fd = file_of(path, 3, b'a')?;
    let area = mmap(0, 3 * PAGE, READ_WRITE, MAP_SHARED, fd, 0).map_err(failed("mmap"))?;
    ensure!(
        read(area + 2 * PAGE + 5) == b'a',
        "mapping does not show the file"
    );
    // A store through the mapping is what `read` sees, here and in another process.
    write(area + 10, b'X');
    write(area + 2 * PAGE + 100, b'Y');
    let mut byte = [0u8; 1];
    pread64(fd, &mut byte, 10).map_err(failed("pread"))?;
    ensure!(byte[0] == b'X', "pread sees {:?}, not X", byte[0]);
    let status = in_child(|| {
        let Ok(other) = open(path, O_RDONLY, 0) else {
            return 10;
        };
        let mut bytes = [0u8; 1];
        if pread64(other, &mut bytes, 2 * 4096 + 100) != Ok(1) {
            return 11;
        }
        let _ = close(other);
        i32::from(bytes[0])
    })?;
    ensure!(
        status == i32::from(b'Y'),
        "another process read {status}, not Y"
    );
    // And a `write` by the file is seen through the mapping (and by a second mapping).
    pwrite64(fd, b"Z", (PAGE + 3) as i64).map_err(failed("pwrite"))?;
    ensure!(read(area + PAGE + 3) == b'Z', "mapping missed a pwrite");
    let second =
        mmap(0, PAGE, PROT_READ, MAP_SHARED, fd, PAGE as i64).map_err(failed("second mmap"))?;
    ensure!(
        read(second + 3) == b'Z',
        "second mapping at offset disagrees"
    );
    munmap(second, PAGE).map_err(failed("munmap second"))?;
    munmap(area, 3 * PAGE).map_err(failed("munmap"))?;
    let _ = close(fd);
    let _ = unlink(path);
    Ok(())
}

fn msync_reopen() -> CheckOutcome {
    let path = "/tmp/mmap-msync";
    let fd = file_of(path, 2, 0)?;
    let area = mmap(0, 2 * PAGE, READ_WRITE, MAP_SHARED, fd, 0).map_err(failed("mmap"))?;
    let _ = close(fd);
    for (index, byte) in b"persisted".iter().enumerate() {
        write(area + PAGE + index as u64, *byte);
    }
    for flags in [MS_SYNC, MS_ASYNC, MS_SYNC | MS_INVALIDATE] {
        msync(area, 2 * PAGE, flags).map_err(failed("msync"))?;
    }
    ensure!(
        msync(area, PAGE, MS_SYNC | MS_ASYNC) == Err(Errno::EINVAL),
        "MS_SYNC|MS_ASYNC accepted"
    );
    ensure!(
        msync(area + 1, PAGE, MS_SYNC) == Err(Errno::EINVAL),
        "unaligned accepted"
    );
    munmap(area, 2 * PAGE).map_err(failed("munmap"))?;
    ensure!(
        msync(area, PAGE, MS_SYNC) == Err(Errno::ENOMEM),
        "msync of an unmapped range accepted"
    );
    let again = open(path, O_RDONLY, 0).map_err(failed("reopen"))?;
    let mut bytes = [0u8; 9];
    pread64(again, &mut bytes, PAGE as i64).map_err(failed("pread"))?;
    let _ = close(again);
    let _ = unlink(path);
    ensure!(&bytes == b"persisted", "reopened file holds {bytes:?}");
    Ok(())
}

fn private_file_cow() -> CheckOutcome {
    let path = "/tmp/mmap-private";
    let fd = file_of(path, 2, b'p')?;
    let area = mmap(0, 3 * PAGE, READ_WRITE, MAP_PRIVATE, fd, 0).map_err(failed("mmap"))?;
    ensure!(
        read(area + PAGE + 9) == b'p',
        "private mapping does not show the file"
    );
    // (The third page is wholly past the end of the file: an access is SIGBUS, checked by
    // posix-signal-tests' mmap:SIGBUS-beyond-end-of-file.)
    write(area + 4, b'Q');
    let mut byte = [0u8; 1];
    pread64(fd, &mut byte, 4).map_err(failed("pread"))?;
    ensure!(
        byte[0] == b'p',
        "a private write reached the file: {:?}",
        byte[0]
    );
    // Read-only private mapping of a read-only open.
    let reader = open(path, O_RDONLY, 0).map_err(failed("open"))?;
    let view = mmap(0, PAGE, PROT_READ, MAP_PRIVATE, reader, 0).map_err(failed("mmap ro"))?;
    ensure!(read(view + 4) == b'p', "read-only private view disagrees");
    // A private writable mapping of a read-only open is allowed (the writes stay private).
    let copy = mmap(0, PAGE, READ_WRITE, MAP_PRIVATE, reader, 0)
        .map_err(failed("mmap private rw of a read-only open"))?;
    write(copy, b'R');
    munmap(copy, PAGE).map_err(failed("munmap"))?;
    munmap(view, PAGE).map_err(failed("munmap"))?;
    munmap(area, 3 * PAGE).map_err(failed("munmap"))?;
    let _ = close(reader);
    let _ = close(fd);
    let _ = unlink(path);
    Ok(())
}

fn file_errors() -> CheckOutcome {
    let path = "/tmp/mmap-errors";
    let fd = file_of(path, 1, 1)?;
    let reader = open(path, O_RDONLY, 0).map_err(failed("open"))?;
    ensure!(
        mmap(0, PAGE, READ_WRITE, MAP_SHARED, reader, 0) == Err(Errno::EACCES),
        "shared writable mapping of a read-only open"
    );
    let view = mmap(0, PAGE, PROT_READ, MAP_SHARED, reader, 0).map_err(failed("mmap"))?;
    ensure!(
        mprotect(view, PAGE, READ_WRITE) == Err(Errno::EACCES),
        "mprotect gave PROT_WRITE to a read-only shared file mapping"
    );
    ensure!(read(view) == 1, "read-only shared view disagrees");
    munmap(view, PAGE).map_err(failed("munmap"))?;
    ensure!(
        mmap(0, PAGE, PROT_READ, MAP_SHARED, 999, 0) == Err(Errno::EBADF),
        "mmap of a closed fd"
    );
    let null = open("/dev/null", O_RDWR, 0).map_err(failed("open /dev/null"))?;
    ensure!(
        mmap(0, PAGE, PROT_READ, MAP_SHARED, null, 0) == Err(Errno::ENODEV),
        "mmap of a device"
    );
    let _ = close(null);
    let _ = close(reader);
    let _ = close(fd);
    let _ = unlink(path);
    Ok(())
}

fn munmap_partial_shared() -> CheckOutcome {
    let path = "/tmp/mmap-partial";
    let fd = file_of(path, 4, b'm')?;
    let area = mmap(0, 4 * PAGE, READ_WRITE, MAP_SHARED, fd, 0).map_err(failed("mmap"))?;
    munmap(area + PAGE, PAGE).map_err(failed("munmap middle"))?;
    let mut vector = [0u8; 4];
    ensure!(
        mincore(area, 4 * PAGE, &mut vector) == Err(Errno::ENOMEM),
        "the unmapped middle page still counts as mapped"
    );
    write(area + 3 * PAGE, b'T');
    let mut byte = [0u8; 1];
    pread64(fd, &mut byte, (3 * PAGE) as i64).map_err(failed("pread"))?;
    ensure!(
        byte[0] == b'T',
        "the remaining piece no longer writes the file"
    );
    // The rest of the file is untouched by the unmap.
    pread64(fd, &mut byte, (PAGE + 1) as i64).map_err(failed("pread"))?;
    ensure!(byte[0] == b'm', "unmapping changed the file");
    munmap(area, 4 * PAGE).map_err(failed("munmap rest"))?;
    let _ = close(fd);
    let _ = unlink(path);
    Ok(())
}

fn mincore_pages() -> CheckOutcome {
    let area = mmap(0, 3 * PAGE, READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        .map_err(failed("mmap"))?;
    let mut vector = [7u8; 3];
    mincore(area, 3 * PAGE, &mut vector).map_err(failed("mincore"))?;
    ensure!(vector == [1, 1, 1], "mincore says {vector:?}");
    ensure!(
        mincore(area + 1, PAGE, &mut vector) == Err(Errno::EINVAL),
        "unaligned address accepted"
    );
    munmap(area, 3 * PAGE).map_err(failed("munmap"))?;
    ensure!(
        mincore(area, PAGE, &mut vector) == Err(Errno::ENOMEM),
        "unmapped range accepted"
    );
    Ok(())
}

fn madvise_shared() -> CheckOutcome {
    let area =
        mmap(0, PAGE, READ_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0).map_err(failed("mmap"))?;
    write(area, 3);
    madvise(area, PAGE, MADV_DONTNEED).map_err(failed("madvise"))?;
    ensure!(read(area) == 3, "MADV_DONTNEED dropped shared contents");
    munmap(area, PAGE).map_err(failed("munmap"))
}

fn growsdown() -> CheckOutcome {
    ensure!(
        mmap(
            0,
            PAGE,
            READ_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN,
            -1,
            0
        ) == Err(Errno::EINVAL),
        "MAP_GROWSDOWN not EINVAL"
    );
    Ok(())
}

fn mremap_grow_shrink_move() -> CheckOutcome {
    let area = mmap(0, 2 * PAGE, READ_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        .map_err(failed("mmap"))?;
    write(area, 11);
    write(area + PAGE, 12);
    // Shrink in place: the tail goes.
    let shrunk = mremap(area, 2 * PAGE, PAGE, 0, 0).map_err(failed("shrink"))?;
    ensure!(shrunk == area, "shrinking moved the mapping");
    let mut vector = [0u8; 2];
    ensure!(
        mincore(area, 2 * PAGE, &mut vector) == Err(Errno::ENOMEM),
        "the shrunk tail is still mapped"
    );
    // Block growth in place, then grow with MREMAP_MAYMOVE: the contents move along.
    let blocker = mmap(
        area + PAGE,
        PAGE,
        PROT_READ,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
        -1,
        0,
    )
    .map_err(failed("blocker"))?;
    ensure!(
        mremap(area, PAGE, 3 * PAGE, 0, 0) == Err(Errno::ENOMEM),
        "grew over a neighbour without MREMAP_MAYMOVE"
    );
    let moved = mremap(area, PAGE, 3 * PAGE, MREMAP_MAYMOVE, 0)
        .map_err(failed("grow with MREMAP_MAYMOVE"))?;
    ensure!(moved != area, "MREMAP_MAYMOVE grew over a neighbour");
    ensure!(read(moved) == 11, "moved contents lost: {}", read(moved));
    ensure!(read(moved + 2 * PAGE + 9) == 0, "grown pages not zeroed");
    write(moved + 2 * PAGE, 1);
    ensure!(
        mincore(area, PAGE, &mut vector) == Err(Errno::ENOMEM),
        "the old address is still mapped after the move"
    );
    // MREMAP_FIXED to a chosen address.
    let target = moved + 16 * PAGE;
    let fixed = mremap(
        moved,
        3 * PAGE,
        3 * PAGE,
        MREMAP_MAYMOVE | MREMAP_FIXED,
        target,
    )
    .map_err(failed("MREMAP_FIXED"))?;
    ensure!(
        fixed == target,
        "MREMAP_FIXED answered {fixed:#x}, not {target:#x}"
    );
    ensure!(
        read(target) == 11 && read(target + 2 * PAGE) == 1,
        "contents lost by MREMAP_FIXED"
    );
    // Errors.
    ensure!(
        mremap(target, PAGE, PAGE, MREMAP_FIXED, target + 64 * PAGE) == Err(Errno::EINVAL),
        "MREMAP_FIXED without MREMAP_MAYMOVE accepted"
    );
    ensure!(
        mremap(target + 1, PAGE, PAGE, 0, 0) == Err(Errno::EINVAL),
        "unaligned address accepted"
    );
    ensure!(
        mremap(target, 3 * PAGE, 0, 0, 0) == Err(Errno::EINVAL),
        "zero new size accepted"
    );
    ensure!(
        mremap(area + 64 * PAGE, PAGE, 2 * PAGE, MREMAP_MAYMOVE, 0) == Err(Errno::EFAULT),
        "an unmapped old range accepted"
    );
    munmap(target, 3 * PAGE).map_err(failed("munmap"))?;
    munmap(blocker, PAGE).map_err(failed("munmap blocker"))
}

fn mremap_moves_shared_memory_as_shared() -> CheckOutcome {
    let area =
        mmap(0, PAGE, READ_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0).map_err(failed("mmap"))?;
    write(area, 4);
    let moved = mremap(
        area,
        PAGE,
        2 * PAGE,
        MREMAP_MAYMOVE | MREMAP_FIXED,
        area + 32 * PAGE,
    )
    .map_err(failed("mremap"))?;
    ensure!(read(moved) == 4, "shared contents lost by the move");
    let status = in_child(|| {
        write(moved, 8);
        write(moved + PAGE, 9);
        0
    })?;
    ensure!(status == 0, "child failed");
    ensure!(
        read(moved) == 8,
        "moved shared page no longer shared with a child"
    );
    ensure!(
        read(moved + PAGE) == 9,
        "grown shared page not shared with a child"
    );
    munmap(moved, 2 * PAGE).map_err(failed("munmap"))
}

fn shm_open_shares_pages_between_processes() -> CheckOutcome {
    let name = "/memory-check";
    let _ = shm_unlink(name);
    let fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600).map_err(failed("shm_open"))?;
    ensure!(
        shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0o600) == Err(Errno::EEXIST),
        "O_EXCL on an existing object"
    );
    ftruncate(fd, (2 * PAGE) as i64).map_err(failed("ftruncate"))?;
    let area = mmap(0, 2 * PAGE, READ_WRITE, MAP_SHARED, fd, 0).map_err(failed("mmap"))?;
    let _ = close(fd);
    write(area + PAGE + 1, 61);
    // Another process opens the name afresh and maps it: the same pages.
    let status = in_child(|| {
        let Ok(other) = shm_open("/memory-check", O_RDWR, 0) else {
            return 1;
        };
        let Ok(view) = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, other, 0) else {
            return 2;
        };
        if read(view + 4096 + 1) != 61 {
            return 3;
        }
        write(view, 62);
        0
    })?;
    ensure!(status == 0, "child's view failed: {status}");
    ensure!(read(area) == 62, "the child's store is not in our mapping");
    shm_unlink(name).map_err(failed("shm_unlink"))?;
    ensure!(
        shm_open(name, O_RDWR, 0) == Err(Errno::ENOENT),
        "the name survived shm_unlink"
    );
    ensure!(read(area) == 62, "unlinking dropped a mapped object");
    ensure!(
        shm_open("/a/b", O_RDWR, 0) == Err(Errno::EINVAL),
        "a name with a slash"
    );
    ensure!(
        shm_unlink("/memory-check") == Err(Errno::ENOENT),
        "unlinked twice"
    );
    munmap(area, 2 * PAGE).map_err(failed("munmap"))
}

fn mprotect_shared_file_mapping() -> CheckOutcome {
    let path = "/tmp/mmap-protect";
    let fd = file_of(path, 1, b'k')?;
    let area = mmap(0, PAGE, READ_WRITE, MAP_SHARED, fd, 0).map_err(failed("mmap"))?;
    mprotect(area, PAGE, PROT_NONE).map_err(failed("mprotect PROT_NONE"))?;
    // While the pages are inaccessible here, the file changes under them.
    pwrite64(fd, b"W", 2).map_err(failed("pwrite"))?;
    mprotect(area, PAGE, PROT_READ).map_err(failed("mprotect PROT_READ"))?;
    ensure!(
        read(area + 2) == b'W',
        "the mapping came back without the file's new byte"
    );
    ensure!(
        read(area) == b'k',
        "the mapping came back with other contents"
    );
    mprotect(area, PAGE, READ_WRITE).map_err(failed("mprotect PROT_READ|PROT_WRITE"))?;
    write(area + 3, b'V');
    let mut byte = [0u8; 1];
    pread64(fd, &mut byte, 3).map_err(failed("pread"))?;
    ensure!(
        byte[0] == b'V',
        "a store after mprotect did not reach the file"
    );
    munmap(area, PAGE).map_err(failed("munmap"))?;
    let _ = close(fd);
    let _ = unlink(path);
    Ok(())
}

fn munmap_partial_shared_anonymous() -> CheckOutcome {
    let area =
        mmap(0, 3 * PAGE, READ_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0).map_err(failed("mmap"))?;
    munmap(area, PAGE).map_err(failed("munmap first page"))?;
    let status = in_child(|| {
        write(area + 2 * 4096, 21);
        0
    })?;
    ensure!(status == 0, "child failed");
    ensure!(
        read(area + 2 * PAGE) == 21,
        "the rest no longer shared after a partial munmap"
    );
    let mut vector = [0u8; 1];
    ensure!(
        mincore(area, PAGE, &mut vector) == Err(Errno::ENOMEM),
        "the unmapped page is still mapped"
    );
    munmap(area + PAGE, 2 * PAGE).map_err(failed("munmap rest"))
}
