//! What `/proc` and `ps` read: the pid list and each process's record (state, ids, times,
//! command), and the command each process (or its parent, at spawn) tells the server.
//!
//! Every record is readable by every registered process, as `/proc` is on Linux by default.
//! The command is the one fact the server takes from a LibOS: a process's own arguments are its
//! own to describe (as a Linux process may rewrite its argument area), it is bounded
//! ([`protocol::COMMAND_LINE_LIMIT`]) and kept as bytes, never interpreted.

use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use libos::abi::{Call, EnvironmentState};
use libos::kernel::call;
use libos::process::protocol::{self, COMMAND_LINE_LIMIT, COMMAND_NAME_LIMIT};
use libposix_sys::errno::Errno;

use crate::Server;

/// A process's command: its name (`comm`) and its NUL-separated arguments (`cmdline`).
#[derive(Clone, Default)]
pub struct Command {
    /// At most [`COMMAND_NAME_LIMIT`] bytes.
    pub name: Vec<u8>,
    /// At most [`COMMAND_LINE_LIMIT`] bytes.
    pub line: Vec<u8>,
}

/// The bytes of words 1 and 2, little-endian.
fn chunk_bytes(words: [u64; 3]) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&words[1].to_le_bytes());
    bytes[8..].copy_from_slice(&words[2].to_le_bytes());
    bytes
}

/// Words 1 and 2 holding 16 bytes from `bytes[start..]` (zero-padded).
fn chunk_words(bytes: &[u8], start: usize) -> [u64; 2] {
    let mut chunk = [0u8; 16];
    if let Some(rest) = bytes.get(start..) {
        let length = rest.len().min(16);
        chunk[..length].copy_from_slice(&rest[..length]);
    }
    let mut low = [0; 8];
    let mut high = [0; 8];
    low.copy_from_slice(&chunk[..8]);
    high.copy_from_slice(&chunk[8..]);
    [u64::from_le_bytes(low), u64::from_le_bytes(high)]
}

impl Command {
    /// Applies one `SET_COMMAND` message.
    ///
    /// # Errors
    /// `EINVAL` for a length over 16, a name over the limit, a chunk out of order or past the
    /// limit.
    pub fn set(&mut self, words: [u64; 3]) -> Result<(), Errno> {
        let chunk = (words[0] >> 8) & 0xffff;
        let length = ((words[0] >> 24) & 0xff) as usize;
        if length > 16 {
            return Err(Errno::EINVAL);
        }
        let bytes = chunk_bytes(words);
        let bytes = &bytes[..length];
        if chunk == 0 {
            if length > COMMAND_NAME_LIMIT {
                return Err(Errno::EINVAL);
            }
            self.name = bytes.to_vec();
            return Ok(());
        }
        let offset = (chunk as usize - 1) * 16;
        if chunk == 1 {
            self.line.clear();
        } else if self.line.len() != offset {
            return Err(Errno::EINVAL);
        }
        if offset + length > COMMAND_LINE_LIMIT {
            return Err(Errno::EINVAL);
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// Chunk `chunk` as a `RECORD_COMMAND` answer.
    fn chunk(&self, chunk: u64) -> [u64; 2] {
        if chunk == 0 {
            return chunk_words(&self.name, 0);
        }
        let start = usize::try_from(chunk - 1)
            .ok()
            .and_then(|index| index.checked_mul(16))
            .unwrap_or(usize::MAX);
        chunk_words(&self.line, start)
    }
}

impl Server {
    /// `PROCESS_LIST`: up to four pids greater than the cursor in word 1.
    pub(crate) fn list(&self, words: [u64; 3]) -> [u64; 3] {
        let cursor = i32::try_from(words[1] as i64).unwrap_or(i32::MAX);
        let mut found = self
            .table
            .iter()
            .map(|(&pid, _)| pid)
            .filter(|&pid| pid > cursor)
            .take(4)
            .map(|pid| pid as u32 as u64);
        let mut next = || found.next().unwrap_or(0);
        let first = next() | next() << 32;
        let second = next() | next() << 32;
        [0, first, second]
    }

    /// `PROCESS_RECORD` about word 1's pid, asked by `caller`.
    ///
    /// # Errors
    /// `ESRCH` (no such process), `EINVAL` (unknown field).
    pub(crate) fn record(&mut self, caller: i32, words: [u64; 3]) -> Result<[u64; 2], Errno> {
        let field = (words[0] >> 8) & 0xff;
        let chunk = (words[0] >> 16) & 0xffff;
        let pid = i32::try_from(words[1] as i64).map_err(|_| Errno::ESRCH)?;
        // Notice an end that raced with this question.
        self.notice_ends(&[pid]);
        let process = self.table.get(pid).ok_or(Errno::ESRCH)?;
        let answer = match field {
            protocol::RECORD_STATE => {
                let state = if process.ended.is_some() {
                    b'Z'
                } else if process.stopped.is_some() {
                    b'T'
                } else if pid == caller {
                    // It is running: it asked.
                    b'R'
                } else {
                    match call(Call::EnvironmentStatus {
                        environment: process.environment,
                    })
                    .ok()
                    .and_then(|status| EnvironmentState::from_code(status[0]).ok())
                    {
                        Some(EnvironmentState::Blocked) => b'S',
                        Some(EnvironmentState::Stopped) => b'T',
                        _ => b'R',
                    }
                };
                [
                    process.parent as u32 as u64
                        | u64::from(state) << 32
                        | (process.command.line.len() as u64) << 40,
                    process.group as u32 as u64 | (process.session as u32 as u64) << 32,
                ]
            }
            protocol::RECORD_USERS | protocol::RECORD_GROUPS => {
                let reply = self
                    .identities
                    .ids_of(pid, field == protocol::RECORD_GROUPS)?;
                [reply[1], reply[2]]
            }
            protocol::RECORD_TIMES => {
                // A zombie's ended environment still answers its final figures.
                let (user, system) = crate::processor_time(process.environment);
                [user, system]
            }
            protocol::RECORD_CHILD_TIMES => {
                let (user, system) = self.identities.children_time(pid);
                [user, system]
            }
            protocol::RECORD_START => [process.started, process.ended.unwrap_or(0) as u32 as u64],
            protocol::RECORD_COMMAND => process.command.chunk(chunk),
            protocol::RECORD_SIGNALS | protocol::RECORD_DISPOSITIONS => {
                match self.signal_page(pid) {
                    Some(page) if field == protocol::RECORD_SIGNALS => [
                        page.pending.load(Ordering::Relaxed),
                        page.blocked.load(Ordering::Relaxed),
                    ],
                    Some(page) => [
                        page.ignored.load(Ordering::Relaxed),
                        page.caught.load(Ordering::Relaxed),
                    ],
                    None => [0, 0],
                }
            }
            _ => return Err(Errno::EINVAL),
        };
        Ok(answer)
    }

    /// `SET_COMMAND` from `caller` about itself.
    ///
    /// # Errors
    /// `EINVAL` (see [`Command::set`]), `ESRCH`.
    pub(crate) fn set_command(&mut self, caller: i32, words: [u64; 3]) -> Result<(), Errno> {
        self.table
            .get_mut(caller)
            .ok_or(Errno::ESRCH)?
            .command
            .set(words)
    }
}
