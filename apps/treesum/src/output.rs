//! Standard output and error: output is gathered and written in large pieces, each write
//! retried until it is all out.

use alloc::vec::Vec;

use libos::io::write;
use libposix_sys::errno::Errno;

/// Writes all of `bytes` to `fd`.
///
/// # Errors
/// The error of the write that failed (`EPIPE` when the reader has gone).
pub fn write_all(fd: i32, mut bytes: &[u8]) -> Result<(), Errno> {
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

/// Standard output, flushed every 16 KiB and at the end.
pub struct Output {
    buffer: Vec<u8>,
    failed: bool,
}

impl Output {
    /// An empty buffer.
    pub fn new() -> Self {
        Output {
            buffer: Vec::new(),
            failed: false,
        }
    }

    /// Appends `bytes`.
    pub fn put(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= 16 * 1024 {
            self.flush();
        }
    }

    /// Writes what is gathered; false once a write has failed.
    pub fn flush(&mut self) -> bool {
        if !self.failed && write_all(1, &self.buffer).is_err() {
            self.failed = true;
        }
        self.buffer.clear();
        !self.failed
    }
}

/// Writes `treesum: MESSAGE` and a newline to standard error.
pub fn error_line(message: &str) {
    let line = alloc::format!("treesum: {message}\n");
    let _ = write_all(2, line.as_bytes());
}
