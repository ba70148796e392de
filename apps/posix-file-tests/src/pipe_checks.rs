//! Checks of pipes: data, end of file, `EPIPE`, `O_NONBLOCK`, `pipe2` flags, a transfer larger
//! than the ring between processes, and what a reader or writer sees when its peer crashes or is
//! killed (design.md's **must**).

use alloc::string::String;

use libos::abi::Slot;
use libos::io::descriptors::{adopt_pipe_end, pipe_end_slots};
use libos::io::pipe::{EndSlots, Side};
use libos::io::{close, fcntl, pipe, pipe2, read, write};
use libos::process::{Child, Ending, spawn};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_GETFD, F_GETFL, FD_CLOEXEC, O_CLOEXEC, O_NONBLOCK};

use crate::descriptor_checks::Pipe;
use crate::{CHILD_SLOTS, ensure};

/// How long a child may take to finish (generous: twice a slow machine's worst).
const CHILD_NANOSECONDS: u64 = 10_000_000_000;
/// Bytes the streaming child writes: four times the ring.
const STREAM_BYTES: usize = 256 * 1024;

fn pattern(index: usize) -> u8 {
    (index % 251) as u8
}

fn round_trip() -> CheckOutcome {
    let pipe = Pipe::new()?;
    ensure!(write(pipe.write, b"hello, ") == Ok(7), "first write failed");
    ensure!(write(pipe.write, b"pipe") == Ok(4), "second write failed");
    let mut buffer = [0u8; 64];
    let count = read(pipe.read, &mut buffer).map_err(|error| alloc::format!("read: {error}"))?;
    ensure!(
        &buffer[..count] == b"hello, pipe",
        "read {:?}",
        &buffer[..count]
    );
    // A short read leaves the rest for the next one.
    write(pipe.write, b"abc").map_err(|error| alloc::format!("write: {error}"))?;
    let mut two = [0u8; 2];
    ensure!(
        read(pipe.read, &mut two) == Ok(2) && two == *b"ab",
        "short read gave {two:?}"
    );
    ensure!(
        read(pipe.read, &mut two) == Ok(1) && two[0] == b'c',
        "rest of the data lost"
    );
    ensure!(
        read(pipe.read, &mut []) == Ok(0),
        "a zero-length read did not return 0"
    );
    Ok(())
}

/// `pipe`: bytes come out in order, short reads keep the rest (not the bare `pipe`: SIGPIPE
/// waits for signals).
pub const ROUND_TRIP: Check = Check {
    name: "pipe-round-trip",
    covers: &["pipe:data-in-order", "read:pipe", "write:pipe"],
    run: round_trip,
};

fn eof_after_close() -> CheckOutcome {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    write(write_end, b"last").map_err(|error| alloc::format!("write: {error}"))?;
    close(write_end).map_err(|error| alloc::format!("close: {error}"))?;
    let mut buffer = [0u8; 8];
    let data = read(read_end, &mut buffer);
    let end = read(read_end, &mut buffer);
    let _ = close(read_end);
    ensure!(
        data == Ok(4),
        "data written before close: read gave {data:?}"
    );
    ensure!(
        end == Ok(0),
        "after the writer closed, read gave {end:?}, not end of file"
    );
    Ok(())
}

/// End of file once the only writer closed, after the data it wrote.
pub const EOF_AFTER_CLOSE: Check = Check {
    name: "pipe-eof-after-close",
    covers: &["pipe:EOF-after-close"],
    run: eof_after_close,
};

fn epipe_after_close() -> CheckOutcome {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let copy = libos::io::dup(read_end).map_err(|error| alloc::format!("dup: {error}"))?;
    close(read_end).map_err(|error| alloc::format!("close: {error}"))?;
    let still = write(write_end, b"x");
    close(copy).map_err(|error| alloc::format!("close: {error}"))?;
    let gone = write(write_end, b"x");
    let _ = close(write_end);
    ensure!(
        still == Ok(1),
        "with a dup of the reader open, write gave {still:?}"
    );
    ensure!(
        gone == Err(Errno::EPIPE),
        "with every reader closed, write gave {gone:?}"
    );
    Ok(())
}

/// `EPIPE` once every reader (including dups) closed.
pub const EPIPE_AFTER_CLOSE: Check = Check {
    name: "pipe-epipe-after-close",
    covers: &["pipe:EPIPE-after-close"],
    run: epipe_after_close,
};

fn nonblocking() -> CheckOutcome {
    let [read_end, write_end] =
        pipe2(O_NONBLOCK).map_err(|error| alloc::format!("pipe2: {error}"))?;
    let outcome = (|| {
        let empty = read(read_end, &mut [0u8; 4]);
        ensure!(
            empty == Err(Errno::EAGAIN),
            "empty nonblocking read gave {empty:?}"
        );
        let chunk = [7u8; 4096];
        let mut total = 0;
        let last = loop {
            match write(write_end, &chunk) {
                Ok(count) => total += count,
                Err(error) => break error,
            }
            if total > 1 << 20 {
                break Errno::E2BIG;
            }
        };
        ensure!(
            last == Errno::EAGAIN,
            "filling the pipe ended with {last:?}"
        );
        ensure!(total == 65536, "the pipe held {total} bytes, not 65536");
        // PIPE_BUF atomicity: with 4 bytes free, a 10-byte write goes in whole or not at all.
        let mut small = [0u8; 6];
        ensure!(read(read_end, &mut small) == Ok(6), "drain of 6 failed");
        let atomic = write(write_end, &[1u8; 10]);
        ensure!(
            atomic == Err(Errno::EAGAIN),
            "a 10-byte write into 6 free bytes gave {atomic:?}"
        );
        Ok(())
    })();
    let _ = (close(read_end), close(write_end));
    outcome
}

/// `pipe2(O_NONBLOCK)`: `EAGAIN` when empty and when full, a 64 KiB ring, writes up to
/// `PIPE_BUF` atomic.
pub const NONBLOCKING: Check = Check {
    name: "pipe2-nonblocking",
    covers: &["pipe2:O_NONBLOCK", "write:PIPE_BUF-atomic"],
    run: nonblocking,
};

fn pipe2_flags() -> CheckOutcome {
    let [read_end, write_end] =
        pipe2(O_CLOEXEC).map_err(|error| alloc::format!("pipe2: {error}"))?;
    let flags = (fcntl(read_end, F_GETFD, 0), fcntl(write_end, F_GETFD, 0));
    let status = fcntl(read_end, F_GETFL, 0);
    let _ = (close(read_end), close(write_end));
    let cloexec = i64::from(FD_CLOEXEC);
    ensure!(
        flags == (Ok(cloexec), Ok(cloexec)),
        "pipe2(O_CLOEXEC) gave FD flags {flags:?}"
    );
    ensure!(
        status.is_ok_and(|flags| flags as i32 & O_NONBLOCK == 0),
        "O_NONBLOCK set without asking"
    );
    let bad = pipe2(0o1);
    ensure!(
        bad == Err(Errno::EINVAL),
        "pipe2 with an unknown flag gave {bad:?}"
    );
    Ok(())
}

/// `pipe2(O_CLOEXEC)` and `EINVAL` for other flags.
pub const PIPE2_FLAGS: Check = Check {
    name: "pipe2-flags",
    covers: &["pipe2:O_CLOEXEC", "pipe2:EINVAL"],
    run: pipe2_flags,
};

/// Starts this program as `role`, holding the pipe end `fd` (granted to [`CHILD_SLOTS`]).
fn start_child(role: &str, fd: i32) -> Result<Child, String> {
    let (_, slots) = pipe_end_slots(fd).map_err(|error| alloc::format!("slots: {error}"))?;
    let grants = [
        (slots.frame, Slot(CHILD_SLOTS[0])),
        (slots.channel_end, Slot(CHILD_SLOTS[1])),
        (slots.own_notification, Slot(CHILD_SLOTS[2])),
        (slots.peer_notification, Slot(CHILD_SLOTS[3])),
    ];
    spawn(
        "/bin/posix-file-tests",
        &alloc::format!("/bin/posix-file-tests {role}"),
        &grants,
    )
    .map_err(|error| alloc::format!("spawn {role}: {error:?}"))
}

fn large_transfer() -> CheckOutcome {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let child = start_child("stream-writer", write_end);
    let _ = close(write_end);
    let child = match child {
        Ok(child) => child,
        Err(reason) => {
            let _ = close(read_end);
            return Err(reason);
        }
    };
    let mut received = 0;
    let mut buffer = [0u8; 3000];
    let outcome = loop {
        match read(read_end, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(count) => {
                if let Some(bad) =
                    (0..count).find(|&offset| buffer[offset] != pattern(received + offset))
                {
                    break Err(alloc::format!("byte {} is wrong", received + bad));
                }
                received += count;
            }
            Err(error) => break Err(alloc::format!("read: {error}")),
        }
    };
    let ending = child.wait(CHILD_NANOSECONDS);
    child.reap();
    let _ = close(read_end);
    outcome?;
    ensure!(
        received == STREAM_BYTES,
        "received {received} of {STREAM_BYTES} bytes"
    );
    ensure!(
        ending == Ok(Ending::Exited(0)),
        "the writer ended {ending:?}"
    );
    Ok(())
}

/// 256 KiB (four rings) from a child process, both sides blocking, then end of file at its exit.
pub const LARGE_TRANSFER: Check = Check {
    name: "pipe-large-transfer-between-processes",
    covers: &["pipe:blocking", "pipe:EOF-after-writer-exit"],
    run: large_transfer,
};

/// Reads until end of file or an error (blocking: the end of file must wake the reader).
fn drain_to_end(fd: i32) -> Result<(String, Result<usize, Errno>), String> {
    let mut data = String::new();
    let mut buffer = [0u8; 512];
    loop {
        match read(fd, &mut buffer) {
            Ok(count) if count > 0 => {
                data.push_str(core::str::from_utf8(&buffer[..count]).unwrap_or("?"));
            }
            other => return Ok((data, other)),
        }
    }
}

fn eof_after_writer_crash() -> CheckOutcome {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let child = start_child("crash-writer", write_end);
    let _ = close(write_end);
    let child = child?;
    let ending = child.wait(CHILD_NANOSECONDS);
    let before_reaping = drain_to_end(read_end);
    child.reap();
    let _ = close(read_end);
    ensure!(
        matches!(ending, Ok(Ending::Faulted { .. })),
        "the writer ended {ending:?}, not by a fault"
    );
    let (data, end) = before_reaping?;
    ensure!(data.starts_with("crash"), "data before the crash: {data:?}");
    ensure!(
        end == Ok(0),
        "after the writer crashed, read gave {end:?}, not end of file"
    );
    Ok(())
}

/// A reader sees the data and then end of file when the only writer crashed (a fault, no
/// `close`), before anyone reaps it.
pub const EOF_AFTER_WRITER_CRASH: Check = Check {
    name: "pipe-eof-after-writer-crash",
    covers: &[
        "pipe:EOF-after-writer-crash",
        "pipe2:EOF-after-writer-crash",
    ],
    run: eof_after_writer_crash,
};

fn eof_after_writer_killed() -> CheckOutcome {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let child = start_child("blocked-writer", write_end);
    let _ = close(write_end);
    let child = child?;
    // Wait until it has filled the ring and is blocked in write: after our one-byte read, its
    // 4096-byte writes stop with 65535 bytes in the ring.
    let mut first = [0u8; 1];
    let started = read(read_end, &mut first);
    let deadline = libos::kernel::clock_nanoseconds() + CHILD_NANOSECONDS;
    let mut full = false;
    while !full && libos::kernel::clock_nanoseconds() < deadline {
        let used = libos::io::descriptors::description(read_end)
            .ok()
            .and_then(|file| match file.backend() {
                libos::io::description::Backend::Pipe(end) => end.available().ok(),
                _ => None,
            });
        full = used == Some(65535);
        libos::kernel::yield_now();
    }
    // Killing: stop and destroy it while it waits (what SIGKILL does).
    child.reap();
    let drained = drain_to_end(read_end);
    let _ = close(read_end);
    ensure!(started == Ok(1), "first read gave {started:?}");
    ensure!(full, "the writer never filled the ring");
    let (data, end) = drained?;
    ensure!(
        data.len() == 65535,
        "{} bytes left after the kill, not the full ring",
        data.len()
    );
    ensure!(
        end == Ok(0),
        "after the writer was killed, read gave {end:?}, not end of file"
    );
    Ok(())
}

/// A reader sees end of file when the only writer was killed while blocked in `write`.
pub const EOF_AFTER_WRITER_KILLED: Check = Check {
    name: "pipe-eof-after-writer-killed",
    covers: &["pipe:EOF-after-writer-killed"],
    run: eof_after_writer_killed,
};

fn epipe_after_reader_crash() -> CheckOutcome {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let child = start_child("crash-reader", read_end);
    let _ = close(read_end);
    let child = child?;
    let ending = child.wait(CHILD_NANOSECONDS);
    // The crashed reader's capabilities go as the kernel tears its space down (in bounded
    // steps, maybe after the fault is reported): writes may still land in the ring until then,
    // and then, blocked on a full ring at the latest, the writer must get EPIPE.
    let deadline = libos::kernel::clock_nanoseconds() + CHILD_NANOSECONDS;
    let mut accepted = 0;
    let before_reaping = loop {
        match write(write_end, b"anyone?") {
            Ok(count) => accepted += count,
            Err(error) => break Err(error),
        }
        if libos::kernel::clock_nanoseconds() > deadline {
            break Ok(accepted);
        }
    };
    child.reap();
    let after_reaping = write(write_end, b"anyone?");
    let _ = close(write_end);
    ensure!(
        matches!(ending, Ok(Ending::Faulted { .. })),
        "the reader ended {ending:?}, not by a fault"
    );
    ensure!(
        before_reaping == Err(Errno::EPIPE),
        "after the reader crashed, write gave {before_reaping:?} ({accepted} bytes taken), not EPIPE"
    );
    ensure!(
        after_reaping == Err(Errno::EPIPE),
        "after reaping the reader, write gave {after_reaping:?}"
    );
    Ok(())
}

/// A writer gets `EPIPE` when the only reader crashed.
pub const EPIPE_AFTER_READER_CRASH: Check = Check {
    name: "pipe-epipe-after-reader-crash",
    covers: &[
        "pipe:EPIPE-after-reader-crash",
        "pipe2:EPIPE-after-reader-crash",
    ],
    run: epipe_after_reader_crash,
};

/// Overflows the stack into the unmapped page below it: a real fault, no `close`, no exit.
#[allow(unconditional_recursion, reason = "the point is to fault")]
fn crash(depth: u64) -> u64 {
    let frame = core::hint::black_box([depth; 64]);
    crash(depth + 1).wrapping_add(frame[0])
}

/// Crashes this process (a real fault).
pub fn crash_now() -> i32 {
    crash(0) as i32
}

/// The child half of a pipe check; returns its exit status (crashing roles never return).
pub fn run_child(role: &str) -> i32 {
    let slots = EndSlots {
        frame: Slot(CHILD_SLOTS[0]),
        channel_end: Slot(CHILD_SLOTS[1]),
        own_notification: Slot(CHILD_SLOTS[2]),
        peer_notification: Slot(CHILD_SLOTS[3]),
    };
    let side = if role == "crash-reader" {
        Side::Reader
    } else {
        Side::Writer
    };
    let fd = match adopt_pipe_end(side, slots) {
        Ok(fd) => fd,
        Err(error) => {
            libos::println!("posix-file-tests {role}: cannot adopt the pipe end: {error}");
            return 2;
        }
    };
    match role {
        "stream-writer" => {
            let data: alloc::vec::Vec<u8> = (0..STREAM_BYTES).map(pattern).collect();
            // Odd-sized writes so they straddle the ring's wrap.
            for chunk in data.chunks(7919) {
                if write(fd, chunk) != Ok(chunk.len()) {
                    return 3;
                }
            }
            0
        }
        "crash-writer" => {
            let _ = write(fd, b"crash");
            crash(0) as i32
        }
        "blocked-writer" => {
            let block = [b'k'; 4096];
            loop {
                if write(fd, &block).is_err() {
                    return 4;
                }
            }
        }
        "crash-reader" => crash(0) as i32,
        // Holds the write end without writing until it is killed.
        "idle-writer" => loop {
            libos::kernel::yield_now();
        },
        _ => 5,
    }
}

fn vectored() -> CheckOutcome {
    let pipe = Pipe::new()?;
    let written = libos::io::writev(pipe.write, &[b"scat", b"", b"ter", b"-gather"]);
    ensure!(written == Ok(14), "writev gave {written:?}");
    let (mut first, mut second, mut third) = ([0u8; 3], [0u8; 0], [0u8; 20]);
    let read_count = libos::io::readv(pipe.read, &mut [&mut first, &mut second, &mut third]);
    ensure!(read_count == Ok(14), "readv gave {read_count:?}");
    ensure!(
        first == *b"sca" && &third[..11] == b"tter-gather",
        "scattered {first:?} {:?}",
        &third[..11]
    );
    let too_many: alloc::vec::Vec<&[u8]> = (0..1025).map(|_| b"x".as_slice()).collect();
    let refused = libos::io::writev(pipe.write, &too_many);
    ensure!(
        refused == Err(Errno::EINVAL),
        "writev of 1025 buffers gave {refused:?}"
    );
    ensure!(
        libos::io::writev(999, &[b"x"]) == Err(Errno::EBADF),
        "writev to a closed fd is not EBADF"
    );
    let size = fcntl(pipe.read, libposix_sys::fcntl::F_GETPIPE_SZ, 0);
    ensure!(size == Ok(65536), "F_GETPIPE_SZ gave {size:?}");
    let not_pipe = fcntl(0, libposix_sys::fcntl::F_GETPIPE_SZ, 0);
    ensure!(
        not_pipe == Err(Errno::EBADF),
        "F_GETPIPE_SZ of the console gave {not_pipe:?}"
    );
    Ok(())
}

/// `readv`/`writev` gather and scatter in order, `EINVAL` past `IOV_MAX`; `F_GETPIPE_SZ`.
pub const VECTORED: Check = Check {
    name: "readv-writev-pipe-size",
    covers: &[
        "readv:pipe",
        "writev:pipe",
        "writev:IOV_MAX",
        "fcntl:F_GETPIPE_SZ",
    ],
    run: vectored,
};

fn nonblocking_eof_after_writer_killed() -> CheckOutcome {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let child = start_child("idle-writer", write_end);
    let _ = close(write_end);
    let child = child?;
    let set = fcntl(read_end, libposix_sys::fcntl::F_SETFL, O_NONBLOCK as u64);
    // While the writer lives: nothing to read, and no end of file.
    let empty = read(read_end, &mut [0u8; 1]);
    // Killed without closing anything: its end goes as the kernel tears its space down (in
    // bounded steps), and nothing this process waits on tells it so; a read that does not wait
    // must still see end of file once the end is gone, not `EAGAIN` for ever.
    child.reap();
    let deadline = libos::kernel::clock_nanoseconds() + CHILD_NANOSECONDS;
    let end = loop {
        match read(read_end, &mut [0u8; 1]) {
            Err(Errno::EAGAIN) if libos::kernel::clock_nanoseconds() < deadline => {
                libos::kernel::yield_now();
            }
            other => break other,
        }
    };
    let _ = close(read_end);
    ensure!(set.is_ok(), "F_SETFL O_NONBLOCK gave {set:?}");
    ensure!(
        empty == Err(Errno::EAGAIN),
        "a read with the writer alive gave {empty:?}, not EAGAIN"
    );
    ensure!(
        end == Ok(0),
        "after the writer was killed, a non-blocking read gave {end:?}, not end of file"
    );
    Ok(())
}

/// An `O_NONBLOCK` read of an empty pipe gives `EAGAIN` while the writer lives and end of file
/// once it was killed, though the reader never waited (the LibOS caches "the writers live" for
/// readers about to sleep; a read that returns at once asks the kernel).
pub const NONBLOCKING_EOF_AFTER_WRITER_KILLED: Check = Check {
    name: "pipe-nonblocking-eof-after-writer-killed",
    covers: &["read:O_NONBLOCK-EOF-after-writer-killed"],
    run: nonblocking_eof_after_writer_killed,
};
