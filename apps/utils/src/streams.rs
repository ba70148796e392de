//! Standard output (buffered; a reader that went away ends the utility), standard error, and
//! inputs read in pieces or lines without holding whole files.

use alloc::string::String;
use alloc::vec::Vec;

use libos::io::{close, read, write};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::O_RDONLY;
use spin::Mutex;

/// Standard output's buffer, flushed at 4 KiB, at exit and before reading standard input.
static OUTPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Set once standard output's reader is gone (`EPIPE`).
static BROKEN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// The status a shell reports for a process ended by `SIGPIPE` (128 + 13): what a utility
/// exits with when its output's reader is gone (signals have no handlers or default
/// terminations of writers yet, so the utility ends itself).
pub const BROKEN_PIPE_STATUS: i32 = 141;

fn write_all(fd: i32, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        match write(fd, bytes) {
            Ok(0) => return Err(Errno::EIO),
            Ok(written) => bytes = &bytes[written..],
            Err(Errno::EINTR) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Whether output can go on (false once the reader has gone).
pub fn output_open() -> bool {
    !BROKEN.load(core::sync::atomic::Ordering::Relaxed)
}

/// Appends to standard output; false when its reader is gone or it failed.
pub fn out(bytes: &[u8]) -> bool {
    if !output_open() {
        return false;
    }
    let mut buffer = OUTPUT.lock();
    buffer.extend_from_slice(bytes);
    if buffer.len() >= 4096 {
        let pending = core::mem::take(&mut *buffer);
        drop(buffer);
        return flush_bytes(&pending);
    }
    true
}

fn flush_bytes(bytes: &[u8]) -> bool {
    match write_all(1, bytes) {
        Ok(()) => true,
        Err(Errno::EPIPE) => {
            BROKEN.store(true, core::sync::atomic::Ordering::Relaxed);
            false
        }
        Err(error) => {
            BROKEN.store(true, core::sync::atomic::Ordering::Relaxed);
            let _ = write_all(2, alloc::format!("write error: {error}\n").as_bytes());
            false
        }
    }
}

/// Writes out what is buffered.
pub fn flush_output() -> bool {
    let pending = core::mem::take(&mut *OUTPUT.lock());
    if pending.is_empty() || !output_open() {
        return output_open();
    }
    flush_bytes(&pending)
}

/// Appends a string to standard output.
pub fn out_str(text: &str) -> bool {
    out(text.as_bytes())
}

/// Writes `line` and a newline to standard error (standard output first, to keep order).
pub fn error_line(line: &str) {
    flush_output();
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    let _ = write_all(2, &bytes);
}

/// `NAME: OPERAND: error` on standard error.
pub fn complain(name: &str, operand: &str, error: Errno) {
    error_line(&alloc::format!("{name}: {operand}: {error}"));
}

/// The status after output: 141 when the reader went away, else `status`.
pub fn finish(status: i32) -> i32 {
    if !flush_output() && BROKEN.load(core::sync::atomic::Ordering::Relaxed) {
        return BROKEN_PIPE_STATUS.max(status);
    }
    status
}

/// An input: a file operand or standard input (`-`).
pub struct Input {
    fd: i32,
    owned: bool,
    buffer: Vec<u8>,
    start: usize,
    ended: bool,
}

impl Input {
    /// Opens `operand` (`-` is standard input).
    ///
    /// # Errors
    /// `open`'s error.
    pub fn open(operand: &str) -> Result<Self, Errno> {
        if operand == "-" {
            flush_output();
            return Ok(Self::from_fd(0, false));
        }
        let fd = libos::fs::open(operand, O_RDONLY, 0)?;
        let status = libos::fs::fstat(fd);
        if let Ok(status) = status
            && status.st_mode & 0o170_000 == 0o040_000
        {
            let _ = close(fd);
            return Err(Errno::EISDIR);
        }
        Ok(Self::from_fd(fd, true))
    }

    fn from_fd(fd: i32, owned: bool) -> Self {
        Self {
            fd,
            owned,
            buffer: Vec::new(),
            start: 0,
            ended: false,
        }
    }

    /// Reads the next piece into `buffer`; 0 at the end.
    ///
    /// # Errors
    /// `read`'s error.
    pub fn read_piece(&mut self, buffer: &mut [u8]) -> Result<usize, Errno> {
        if self.start < self.buffer.len() {
            let length = (self.buffer.len() - self.start).min(buffer.len());
            buffer[..length].copy_from_slice(&self.buffer[self.start..self.start + length]);
            self.start += length;
            return Ok(length);
        }
        loop {
            match read(self.fd, buffer) {
                Err(Errno::EINTR) => {}
                other => return other,
            }
        }
    }

    /// The next line without its newline, and whether it had one; `None` at the end.
    ///
    /// # Errors
    /// `read`'s error.
    pub fn next_line(&mut self) -> Result<Option<(Vec<u8>, bool)>, Errno> {
        loop {
            if let Some(position) = self.buffer[self.start..]
                .iter()
                .position(|&byte| byte == b'\n')
            {
                let line = self.buffer[self.start..self.start + position].to_vec();
                self.start += position + 1;
                return Ok(Some((line, true)));
            }
            if self.ended {
                if self.start < self.buffer.len() {
                    let line = self.buffer[self.start..].to_vec();
                    self.start = self.buffer.len();
                    return Ok(Some((line, false)));
                }
                return Ok(None);
            }
            if self.start > 0 {
                self.buffer.drain(..self.start);
                self.start = 0;
            }
            let mut piece = [0u8; 4096];
            let length = loop {
                match read(self.fd, &mut piece) {
                    Err(Errno::EINTR) => {}
                    other => break other?,
                }
            };
            if length == 0 {
                self.ended = true;
            } else {
                self.buffer.extend_from_slice(&piece[..length]);
            }
        }
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        if self.owned {
            let _ = close(self.fd);
        }
    }
}

/// The operands to read: `-` (standard input) when there are none.
pub fn inputs(operands: &[String]) -> Vec<String> {
    if operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        operands.to_vec()
    }
}

/// Writes all of `bytes` to `fd`.
///
/// # Errors
/// `write`'s error.
pub fn write_fd(fd: i32, bytes: &[u8]) -> Result<(), Errno> {
    write_all(fd, bytes)
}

/// Parses options or prints `NAME: message` and the usage; `Err(status)` to exit with.
pub fn options(
    name: &str,
    operands: &[String],
    flags: &str,
    valued: &str,
    usage: &str,
) -> Result<utility_logic::options::Parsed, i32> {
    utility_logic::options::parse(operands, flags, valued).map_err(|error| {
        error_line(&alloc::format!("{name}: {error}\nusage: {usage}"));
        2
    })
}
