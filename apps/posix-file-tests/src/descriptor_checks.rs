//! Checks of the descriptor table: `dup`, `dup2`, `dup3`, `close`, `fcntl`.

use libos::io::{close, dup, dup2, dup3, fcntl, pipe, pipe2, read, write};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_ACCMODE, O_APPEND,
    O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY,
};

use crate::ensure;

/// A pipe whose ends are closed when the guard goes.
pub struct Pipe {
    /// Read end.
    pub read: i32,
    /// Write end.
    pub write: i32,
}

impl Pipe {
    /// A fresh pipe.
    pub fn new() -> Result<Self, alloc::string::String> {
        let [read, write] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
        Ok(Self { read, write })
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        let _ = close(self.read);
        let _ = close(self.write);
    }
}

fn dup_shares_the_description() -> CheckOutcome {
    let pipe = Pipe::new()?;
    let copy = dup(pipe.read).map_err(|error| alloc::format!("dup: {error}"))?;
    ensure!(
        copy > pipe.write,
        "dup gave {copy}, not the lowest free descriptor"
    );
    // The status flags belong to the description, so both descriptors see a change.
    fcntl(copy, F_SETFL, O_NONBLOCK as u64).map_err(|error| alloc::format!("F_SETFL: {error}"))?;
    let flags = fcntl(pipe.read, F_GETFL, 0).map_err(|error| alloc::format!("F_GETFL: {error}"))?;
    ensure!(
        flags as i32 & O_NONBLOCK != 0,
        "O_NONBLOCK set through the dup is not shared"
    );
    write(pipe.write, b"x").map_err(|error| alloc::format!("write: {error}"))?;
    let mut byte = [0u8; 1];
    ensure!(
        read(copy, &mut byte) == Ok(1) && byte == *b"x",
        "reading through the dup failed"
    );
    ensure!(
        fcntl(copy, F_GETFD, 0) == Ok(0),
        "dup's descriptor has FD_CLOEXEC set"
    );
    ensure!(dup(-1) == Err(Errno::EBADF), "dup(-1) is not EBADF");
    ensure!(
        dup(900) == Err(Errno::EBADF),
        "dup of a closed descriptor is not EBADF"
    );
    close(copy).map_err(|error| alloc::format!("close: {error}"))?;
    Ok(())
}

/// `dup`: the lowest free descriptor, sharing the description, close-on-exec clear; `EBADF`.
pub const DUP: Check = Check {
    name: "dup-shares-the-description",
    covers: &["dup"],
    run: dup_shares_the_description,
};

fn dup2_replaces_the_target() -> CheckOutcome {
    let first = Pipe::new()?;
    let second = Pipe::new()?;
    // Replacing an open descriptor closes what it named: the second pipe's reader goes, so
    // its writer gets EPIPE.
    ensure!(
        dup2(first.read, second.read) == Ok(second.read),
        "dup2 did not return newfd"
    );
    let result = write(second.write, b"x");
    ensure!(
        result == Err(Errno::EPIPE),
        "the replaced read end still open: write gave {result:?}"
    );
    write(first.write, b"y").map_err(|error| alloc::format!("write: {error}"))?;
    let mut byte = [0u8; 1];
    ensure!(
        read(second.read, &mut byte) == Ok(1) && byte == *b"y",
        "newfd does not name oldfd's pipe"
    );
    ensure!(
        dup2(first.read, first.read) == Ok(first.read),
        "dup2(fd, fd) is not fd"
    );
    ensure!(
        dup2(700, 701) == Err(Errno::EBADF),
        "dup2 of a closed oldfd is not EBADF"
    );
    ensure!(
        dup2(700, 700) == Err(Errno::EBADF),
        "dup2(closed, same) is not EBADF"
    );
    ensure!(
        dup2(first.read, -1) == Err(Errno::EBADF),
        "dup2 to -1 is not EBADF"
    );
    ensure!(
        dup2(first.read, 1 << 20) == Err(Errno::EBADF),
        "dup2 beyond the limit is not EBADF"
    );
    let copy = dup2(first.read, 40).map_err(|error| alloc::format!("dup2 to 40: {error}"))?;
    ensure!(fcntl(40, F_GETFD, 0) == Ok(0), "dup2 set FD_CLOEXEC");
    close(copy).map_err(|error| alloc::format!("close: {error}"))?;
    Ok(())
}

/// `dup2`: replaces an open newfd silently, `dup2(fd, fd)`, `EBADF` cases.
pub const DUP2: Check = Check {
    name: "dup2-replaces-the-target",
    covers: &["dup2"],
    run: dup2_replaces_the_target,
};

fn dup3_flags() -> CheckOutcome {
    let pipe = Pipe::new()?;
    ensure!(
        dup3(pipe.read, pipe.read, 0) == Err(Errno::EINVAL),
        "dup3(fd, fd) is not EINVAL"
    );
    ensure!(
        dup3(pipe.read, 41, O_NONBLOCK) == Err(Errno::EINVAL),
        "dup3 with a bad flag is not EINVAL"
    );
    ensure!(
        dup3(800, 41, 0) == Err(Errno::EBADF),
        "dup3 of a closed oldfd is not EBADF"
    );
    ensure!(
        dup3(pipe.read, 41, O_CLOEXEC) == Ok(41),
        "dup3 with O_CLOEXEC failed"
    );
    ensure!(
        fcntl(41, F_GETFD, 0) == Ok(i64::from(FD_CLOEXEC)),
        "dup3 O_CLOEXEC did not set FD_CLOEXEC"
    );
    ensure!(
        dup3(pipe.write, 41, 0) == Ok(41),
        "dup3 over an open descriptor failed"
    );
    ensure!(
        fcntl(41, F_GETFD, 0) == Ok(0),
        "dup3 without O_CLOEXEC kept FD_CLOEXEC"
    );
    ensure!(
        fcntl(41, F_GETFL, 0).map(|flags| flags as i32 & O_ACCMODE) == Ok(O_WRONLY),
        "41 is not the write end"
    );
    close(41).map_err(|error| alloc::format!("close: {error}"))?;
    Ok(())
}

/// `dup3`: `O_CLOEXEC`, `EINVAL` for equal descriptors and unknown flags, `EBADF`.
pub const DUP3: Check = Check {
    name: "dup3-flags",
    covers: &["dup3"],
    run: dup3_flags,
};

fn close_twice() -> CheckOutcome {
    let [read_end, write_end] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    ensure!(close(read_end) == Ok(()), "close failed");
    ensure!(
        close(read_end) == Err(Errno::EBADF),
        "second close is not EBADF"
    );
    ensure!(close(-5) == Err(Errno::EBADF), "close(-5) is not EBADF");
    ensure!(
        write(write_end, b"x") == Err(Errno::EPIPE),
        "writing with the only reader closed is not EPIPE"
    );
    ensure!(close(write_end) == Ok(()), "close of the write end failed");
    // The lowest descriptor is reused.
    let [again, other] = pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    ensure!(
        again == read_end,
        "descriptor {read_end} was not reused (got {again})"
    );
    let _ = close(again);
    let _ = close(other);
    Ok(())
}

/// `close`: releases the descriptor (its number is reused), `EBADF` for a closed one.
pub const CLOSE: Check = Check {
    name: "close-releases-and-rejects-twice",
    covers: &["close"],
    run: close_twice,
};

fn too_many_descriptors() -> CheckOutcome {
    let pipe = Pipe::new()?;
    let mut opened = alloc::vec::Vec::new();
    let outcome = loop {
        match dup(pipe.read) {
            Ok(fd) => opened.push(fd),
            Err(error) => break error,
        }
        if opened.len() > 5000 {
            break Errno::E2BIG;
        }
    };
    let count = opened.len();
    for fd in opened {
        let _ = close(fd);
    }
    ensure!(
        outcome == Errno::EMFILE,
        "ran out with {outcome:?} after {count} dups, not EMFILE"
    );
    ensure!(
        count + 5 == 1024,
        "EMFILE after {count} dups, not at the 1024-descriptor limit"
    );
    let beyond = fcntl(pipe.read, F_DUPFD, 1024);
    ensure!(
        beyond == Err(Errno::EINVAL),
        "F_DUPFD at the limit gave {beyond:?}, not EINVAL"
    );
    Ok(())
}

/// `EMFILE` at `RLIMIT_NOFILE` (1024), for `dup` and `pipe`'s table.
pub const EMFILE: Check = Check {
    name: "emfile-at-the-limit",
    covers: &["dup:EMFILE"],
    run: too_many_descriptors,
};

fn duplicate_from() -> CheckOutcome {
    let pipe = Pipe::new()?;
    let copy = fcntl(pipe.read, F_DUPFD, 30).map_err(|error| alloc::format!("F_DUPFD: {error}"))?;
    ensure!(copy == 30, "F_DUPFD 30 gave {copy}");
    let next = fcntl(pipe.read, F_DUPFD, 30).map_err(|error| alloc::format!("F_DUPFD: {error}"))?;
    ensure!(next == 31, "F_DUPFD 30 with 30 taken gave {next}");
    ensure!(fcntl(30, F_GETFD, 0) == Ok(0), "F_DUPFD set FD_CLOEXEC");
    ensure!(
        fcntl(pipe.read, F_DUPFD, -1i64 as u64) == Err(Errno::EINVAL),
        "F_DUPFD -1 is not EINVAL"
    );
    ensure!(
        fcntl(600, F_DUPFD, 0) == Err(Errno::EBADF),
        "F_DUPFD of a closed fd is not EBADF"
    );
    let _ = close(30);
    let _ = close(31);
    Ok(())
}

/// `F_DUPFD`.
pub const DUPFD: Check = Check {
    name: "fcntl-dupfd",
    covers: &["fcntl:F_DUPFD"],
    run: duplicate_from,
};

fn duplicate_from_close_on_exec() -> CheckOutcome {
    let pipe = Pipe::new()?;
    let copy = fcntl(pipe.write, F_DUPFD_CLOEXEC, 50)
        .map_err(|error| alloc::format!("F_DUPFD_CLOEXEC: {error}"))?;
    ensure!(copy == 50, "F_DUPFD_CLOEXEC 50 gave {copy}");
    ensure!(
        fcntl(50, F_GETFD, 0) == Ok(i64::from(FD_CLOEXEC)),
        "FD_CLOEXEC not set"
    );
    ensure!(
        fcntl(pipe.write, F_GETFD, 0) == Ok(0),
        "the original got FD_CLOEXEC"
    );
    let _ = close(50);
    Ok(())
}

/// `F_DUPFD_CLOEXEC`.
pub const DUPFD_CLOEXEC: Check = Check {
    name: "fcntl-dupfd-cloexec",
    covers: &["fcntl:F_DUPFD_CLOEXEC"],
    run: duplicate_from_close_on_exec,
};

fn descriptor_flags() -> CheckOutcome {
    let pipe = Pipe::new()?;
    ensure!(
        fcntl(pipe.read, F_GETFD, 0) == Ok(0),
        "a new pipe end has FD_CLOEXEC"
    );
    ensure!(
        fcntl(pipe.read, F_SETFD, FD_CLOEXEC as u64) == Ok(0),
        "F_SETFD failed"
    );
    ensure!(
        fcntl(pipe.read, F_GETFD, 0) == Ok(i64::from(FD_CLOEXEC)),
        "F_SETFD did not set FD_CLOEXEC"
    );
    ensure!(
        fcntl(pipe.write, F_GETFD, 0) == Ok(0),
        "FD_CLOEXEC leaked to the other end"
    );
    // The flag is per descriptor: a dup of a close-on-exec descriptor does not have it.
    let copy = dup(pipe.read).map_err(|error| alloc::format!("dup: {error}"))?;
    ensure!(
        fcntl(copy, F_GETFD, 0) == Ok(0),
        "FD_CLOEXEC is shared through dup"
    );
    let _ = close(copy);
    ensure!(fcntl(pipe.read, F_SETFD, 0) == Ok(0), "F_SETFD 0 failed");
    ensure!(
        fcntl(pipe.read, F_GETFD, 0) == Ok(0),
        "F_SETFD 0 did not clear FD_CLOEXEC"
    );
    ensure!(
        fcntl(555, F_GETFD, 0) == Err(Errno::EBADF),
        "F_GETFD of a closed fd is not EBADF"
    );
    ensure!(
        fcntl(555, F_SETFD, 1) == Err(Errno::EBADF),
        "F_SETFD of a closed fd is not EBADF"
    );
    Ok(())
}

/// `F_GETFD`/`F_SETFD`: per-descriptor close-on-exec.
pub const FD_FLAGS: Check = Check {
    name: "fcntl-getfd-setfd",
    covers: &["fcntl:F_GETFD", "fcntl:F_SETFD"],
    run: descriptor_flags,
};

fn status_flags() -> CheckOutcome {
    let pipe = Pipe::new()?;
    let flags =
        fcntl(pipe.read, F_GETFL, 0).map_err(|error| alloc::format!("F_GETFL: {error}"))? as i32;
    ensure!(
        flags & O_ACCMODE == O_RDONLY,
        "read end's access mode is {flags:#o}"
    );
    let flags =
        fcntl(pipe.write, F_GETFL, 0).map_err(|error| alloc::format!("F_GETFL: {error}"))? as i32;
    ensure!(
        flags & O_ACCMODE == O_WRONLY,
        "write end's access mode is {flags:#o}"
    );
    // O_NONBLOCK takes effect: a read of the empty pipe no longer waits.
    fcntl(pipe.read, F_SETFL, (O_NONBLOCK | O_WRONLY) as u64)
        .map_err(|error| alloc::format!("F_SETFL: {error}"))?;
    let flags =
        fcntl(pipe.read, F_GETFL, 0).map_err(|error| alloc::format!("F_GETFL: {error}"))? as i32;
    ensure!(
        flags & O_ACCMODE == O_RDONLY,
        "F_SETFL changed the access mode"
    );
    ensure!(flags & O_NONBLOCK != 0, "F_SETFL did not set O_NONBLOCK");
    let mut byte = [0u8; 1];
    let result = read(pipe.read, &mut byte);
    ensure!(
        result == Err(Errno::EAGAIN),
        "nonblocking read of an empty pipe gave {result:?}"
    );
    fcntl(pipe.read, F_SETFL, O_APPEND as u64)
        .map_err(|error| alloc::format!("F_SETFL: {error}"))?;
    let flags =
        fcntl(pipe.read, F_GETFL, 0).map_err(|error| alloc::format!("F_GETFL: {error}"))? as i32;
    ensure!(
        flags & O_APPEND != 0 && flags & O_NONBLOCK == 0,
        "F_SETFL O_APPEND gave {flags:#o}"
    );
    ensure!(
        fcntl(444, F_GETFL, 0) == Err(Errno::EBADF),
        "F_GETFL of a closed fd is not EBADF"
    );
    Ok(())
}

/// `F_GETFL`/`F_SETFL`: access mode kept, O_NONBLOCK applied, O_APPEND recorded.
pub const STATUS_FLAGS: Check = Check {
    name: "fcntl-getfl-setfl",
    covers: &["fcntl:F_GETFL", "fcntl:F_SETFL"],
    run: status_flags,
};

fn unknown_command() -> CheckOutcome {
    let [read_end, write_end] = pipe2(0).map_err(|error| alloc::format!("pipe2: {error}"))?;
    let result = fcntl(read_end, 0x7777, 0);
    let _ = close(read_end);
    let _ = close(write_end);
    ensure!(
        result == Err(Errno::EINVAL),
        "an unknown fcntl command gave {result:?}, not EINVAL"
    );
    ensure!(
        fcntl(333, 0x7777, 0) == Err(Errno::EBADF),
        "an unknown command on a closed fd is not EBADF"
    );
    Ok(())
}

/// Unknown `fcntl` commands are `EINVAL`, after `EBADF`.
pub const BAD_COMMAND: Check = Check {
    name: "fcntl-unknown-command",
    covers: &["fcntl:EINVAL"],
    run: unknown_command,
};
