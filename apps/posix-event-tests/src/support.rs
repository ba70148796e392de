//! Helpers the checks share: descriptors closed on drop, timing, a child process's exit.

use alloc::format;
use alloc::string::String;

use libos::clock::clock_monotonic;
use libos::io::{close, pipe2, read, write};
use libos::process::identity::waitpid;
use libos::socket::socketpair;
use libposix_sys::socket::AF_UNIX;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

/// A descriptor closed when dropped.
pub struct Fd(pub i32);

impl Drop for Fd {
    fn drop(&mut self) {
        let _ = close(self.0);
    }
}

/// A pipe's two ends, closed when dropped.
pub struct Pipe {
    /// The read end.
    pub read: Fd,
    /// The write end.
    pub write: Fd,
}

/// A new pipe with `flags`.
pub fn pipe_with(flags: i32) -> Result<Pipe, String> {
    let [read, write] = pipe2(flags).map_err(|error| format!("pipe2: {error}"))?;
    Ok(Pipe {
        read: Fd(read),
        write: Fd(write),
    })
}

/// A new socket pair of `kind` (with its flags).
pub fn pair(kind: i32) -> Result<(Fd, Fd), String> {
    let [first, second] =
        socketpair(AF_UNIX, kind, 0).map_err(|error| format!("socketpair: {error}"))?;
    Ok((Fd(first), Fd(second)))
}

/// Writes all of `bytes` or fails.
pub fn put(fd: i32, bytes: &[u8]) -> Result<(), String> {
    match write(fd, bytes) {
        Ok(count) if count == bytes.len() => Ok(()),
        other => Err(format!("write({fd}) gave {other:?}")),
    }
}

/// Reads once into a fresh buffer of `length` bytes.
pub fn take(fd: i32, length: usize) -> Result<alloc::vec::Vec<u8>, String> {
    let mut buffer = alloc::vec![0u8; length];
    let count = read(fd, &mut buffer).map_err(|error| format!("read({fd}): {error}"))?;
    buffer.truncate(count);
    Ok(buffer)
}

/// Milliseconds since `start` (a `clock_monotonic` reading).
pub fn milliseconds_since(start: u64) -> u64 {
    (clock_monotonic() - start) / 1_000_000
}

/// Sleeps `milliseconds`.
pub fn sleep_milliseconds(milliseconds: u64) {
    let request = libposix_sys::time::Timespec {
        tv_sec: 0,
        tv_nsec: (milliseconds * 1_000_000) as i64,
    };
    let _ = libos::time::nanosleep(&request);
}

/// Waits for child `pid` and checks that it exited with `expected`.
pub fn expect_exit(pid: i32, expected: i32) -> Result<(), String> {
    let mut status = 0;
    let collected =
        waitpid(pid, Some(&mut status), 0).map_err(|error| format!("waitpid: {error}"))?;
    if collected != pid || !WIFEXITED(status) || WEXITSTATUS(status) != expected {
        return Err(format!(
            "child {pid} ended with status {status:#x}, expected exit {expected}"
        ));
    }
    Ok(())
}
