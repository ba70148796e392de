//! The process server's listing, as `/proc` and `ps` read it: the pids, each process's record,
//! and the command this LibOS tells the server at `execve` and for a spawned child.
//!
//! Every answer comes from the server (`docs/process-server.md`, `PROCESS_LIST`,
//! `PROCESS_RECORD`): this LibOS never guesses another process's facts.

use alloc::string::String;
use alloc::vec::Vec;

use exokernel_abi::{Call, OptionalSlot, Slot};
use libposix_sys::errno::Errno;

use super::identity::{request, server_error};
use super::protocol::{
    self, COMMAND_LINE_LIMIT, COMMAND_NAME_LIMIT, PROCESS_LIST, PROCESS_RECORD, SET_COMMAND,
};
use crate::kernel::call;
use crate::runtime::percent_decode;

/// Every pid the process server holds (zombies included), ascending.
///
/// # Errors
/// `ENOSYS` without a process server.
pub fn process_ids() -> Result<Vec<i32>, Errno> {
    let mut pids = Vec::new();
    let mut cursor = 0u64;
    loop {
        let [first, second] = request(PROCESS_LIST, [cursor, 0], None, None)?;
        let found = [first, first >> 32, second, second >> 32]
            .into_iter()
            .map(|half| (half & 0xffff_ffff) as i32)
            .take_while(|&pid| pid > 0);
        let before = pids.len();
        pids.extend(found);
        match pids.last() {
            Some(&last) if pids.len() - before == 4 => cursor = last as u64,
            _ => return Ok(pids),
        }
    }
}

fn record(pid: i32, field: u64, chunk: u64) -> Result<[u64; 2], Errno> {
    request(
        PROCESS_RECORD | field << 8 | chunk << 16,
        [pid as u32 as u64, 0],
        None,
        None,
    )
}

/// A process's place and state, as the server holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcessState {
    /// Its parent's pid.
    pub parent: i32,
    /// Linux's state letter: `R`, `S`, `T` or `Z`.
    pub state: u8,
    /// Its process group and session.
    pub group: i32,
    pub session: i32,
    /// How many bytes its argument list has.
    pub command_line_length: usize,
}

/// `pid`'s place and state.
///
/// # Errors
/// `ESRCH` when the server has no such process; `ENOSYS` without a server.
pub fn process_state(pid: i32) -> Result<ProcessState, Errno> {
    let [first, second] = record(pid, protocol::RECORD_STATE, 0)?;
    Ok(ProcessState {
        parent: first as u32 as i32,
        state: (first >> 32) as u8,
        command_line_length: ((first >> 40) as usize).min(COMMAND_LINE_LIMIT),
        group: second as u32 as i32,
        session: (second >> 32) as u32 as i32,
    })
}

/// `pid`'s user ids (or, with `groups`, its group ids): real, effective, saved.
///
/// # Errors
/// As [`process_state`].
pub fn process_ids_of(pid: i32, groups: bool) -> Result<[u32; 3], Errno> {
    let field = if groups {
        protocol::RECORD_GROUPS
    } else {
        protocol::RECORD_USERS
    };
    let [first, saved] = record(pid, field, 0)?;
    Ok([first as u32, (first >> 32) as u32, saved as u32])
}

/// Processor time of `pid` (user, system nanoseconds), or with `children` of its collected
/// children.
///
/// # Errors
/// As [`process_state`].
pub fn process_times(pid: i32, children: bool) -> Result<(u64, u64), Errno> {
    let field = if children {
        protocol::RECORD_CHILD_TIMES
    } else {
        protocol::RECORD_TIMES
    };
    let [user, system] = record(pid, field, 0)?;
    Ok((user, system))
}

/// When `pid` was registered (monotonic nanoseconds since boot) and its wait status if it is a
/// zombie (else 0).
///
/// # Errors
/// As [`process_state`].
pub fn process_start(pid: i32) -> Result<(u64, i32), Errno> {
    let [started, status] = record(pid, protocol::RECORD_START, 0)?;
    Ok((started, status as u32 as i32))
}

/// `pid`'s signal sets from its signal page: pending, blocked, ignored, caught (all 0 when it
/// has no page yet).
///
/// # Errors
/// As [`process_state`].
pub fn process_signals(pid: i32) -> Result<[u64; 4], Errno> {
    let [pending, blocked] = record(pid, protocol::RECORD_SIGNALS, 0)?;
    let [ignored, caught] = record(pid, protocol::RECORD_DISPOSITIONS, 0)?;
    Ok([pending, blocked, ignored, caught])
}

fn chunk_bytes(words: [u64; 2]) -> [u8; 16] {
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&words[0].to_le_bytes());
    bytes[8..].copy_from_slice(&words[1].to_le_bytes());
    bytes
}

/// `pid`'s command name (`comm`).
///
/// # Errors
/// As [`process_state`].
pub fn process_name(pid: i32) -> Result<Vec<u8>, Errno> {
    let bytes = chunk_bytes(record(pid, protocol::RECORD_COMMAND, 0)?);
    let length = bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(COMMAND_NAME_LIMIT)
        .min(COMMAND_NAME_LIMIT);
    Ok(bytes[..length].to_vec())
}

/// `pid`'s argument list (NUL-separated, as `/proc/PID/cmdline`), `length` bytes of it (from
/// [`ProcessState::command_line_length`]).
///
/// # Errors
/// As [`process_state`].
pub fn process_command_line(pid: i32, length: usize) -> Result<Vec<u8>, Errno> {
    let length = length.min(COMMAND_LINE_LIMIT);
    let mut line = Vec::with_capacity(length);
    let mut chunk = 1;
    while line.len() < length {
        let bytes = chunk_bytes(record(pid, protocol::RECORD_COMMAND, chunk)?);
        let wanted = (length - line.len()).min(16);
        line.extend_from_slice(&bytes[..wanted]);
        chunk += 1;
    }
    Ok(line)
}

/// The name and argument list a command (percent-encoded words) gives: the last component of
/// its first word (cut to [`COMMAND_NAME_LIMIT`] bytes) and its words, each ending in a NUL
/// (cut to [`COMMAND_LINE_LIMIT`] bytes).
#[must_use]
pub fn command_description(command: &str) -> (Vec<u8>, Vec<u8>) {
    let words: Vec<String> = command
        .split(' ')
        .filter(|word| !word.is_empty())
        .map(percent_decode)
        .collect();
    let name = words.first().map_or("", |first| {
        first
            .rsplit('/')
            .find(|part| !part.is_empty())
            .unwrap_or("")
    });
    describe_name(name, &words)
}

/// As [`command_description`] with `name` as the name.
fn describe_name(name: &str, words: &[String]) -> (Vec<u8>, Vec<u8>) {
    let name = name.as_bytes();
    let name = name[..name.len().min(COMMAND_NAME_LIMIT)].to_vec();
    let mut line = Vec::new();
    for word in words {
        line.extend_from_slice(word.as_bytes());
        line.push(0);
    }
    line.truncate(COMMAND_LINE_LIMIT);
    (name, line)
}

/// Tells the process server, through `endpoint` (ours, or a child's before the child holds it),
/// the command `command` (percent-encoded words), named after its first word. Failures are
/// ignored: the record only describes, and the program runs either way.
pub(crate) fn describe_command(endpoint: Slot, command: &str) {
    let (name, line) = command_description(command);
    send_description(endpoint, &name, &line);
}

/// As [`describe_command`] with `name` (the executed file's path, whose last component becomes
/// the name, as Linux names a process after the file it executes).
pub(crate) fn describe_command_named(endpoint: Slot, path: &str, command: &str) {
    let (_, line) = command_description(command);
    let name = path.rsplit('/').find(|part| !part.is_empty()).unwrap_or("");
    let name = &name.as_bytes()[..name.len().min(COMMAND_NAME_LIMIT)];
    send_description(endpoint, name, &line);
}

fn send_description(endpoint: Slot, name: &[u8], line: &[u8]) {
    let send = |chunk: usize, bytes: &[u8]| {
        let mut padded = [0u8; 16];
        padded[..bytes.len()].copy_from_slice(bytes);
        let mut low = [0; 8];
        let mut high = [0; 8];
        low.copy_from_slice(&padded[..8]);
        high.copy_from_slice(&padded[8..]);
        call(Call::IpcCall {
            endpoint,
            word0: SET_COMMAND | (chunk as u64) << 8 | (bytes.len() as u64) << 24,
            word1: u64::from_le_bytes(low),
            word2: u64::from_le_bytes(high),
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        })
        .map_err(server_error)
    };
    if send(0, name).is_err() {
        return;
    }
    if line.is_empty() {
        let _ = send(1, &[]);
    }
    for (index, bytes) in line.chunks(16).enumerate() {
        if send(index + 1, bytes).is_err() {
            return;
        }
    }
}

/// Tells the process server our own command (for `init`, which no parent describes): named
/// after `path`'s last component, `command` (percent-encoded words) as the argument list.
pub fn describe_self(path: &str, command: &str) {
    describe_command_named(super::identity::PROCESS_SERVER, path, command);
}
