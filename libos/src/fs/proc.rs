//! `/proc`, synthesised in the LibOS from the process server's answers (the pid list and each
//! process's record), the kernel's memory figures and the clock, so it costs IPCs only when it
//! is read.
//!
//! Names: `/proc/self` (a link to the caller's pid), `/proc/PID/{stat,status,cmdline,comm}`,
//! `/proc/PID/fd/` (links to what each descriptor names, for the caller's own process only:
//! nobody else's table is known to an authority, so another process's is `EACCES`),
//! `/proc/meminfo`, `/proc/uptime`, `/proc/mounts`. Everything is read-only (`EACCES`).
//! A file's bytes are made when it is opened, and read from that snapshot.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use exokernel_abi::{Call, initial};
use libposix_sys::errno::Errno;
use libposix_sys::mode::{S_IFDIR, S_IFLNK, S_IFREG};
use libposix_sys::stat::{Stat, makedev};

use crate::io::description::Backend;
use crate::kernel::call;
use crate::process::listing;

/// `f_type` of `/proc` (Linux's `PROC_SUPER_MAGIC`).
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
/// Linux's `USER_HZ`: the clock ticks `stat` counts in.
const TICKS_PER_SECOND: u64 = 100;

/// A file of a process's directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessFile {
    Stat,
    Status,
    CommandLine,
    Name,
}

const PROCESS_FILES: &[(&str, ProcessFile)] = &[
    ("cmdline", ProcessFile::CommandLine),
    ("comm", ProcessFile::Name),
    ("stat", ProcessFile::Stat),
    ("status", ProcessFile::Status),
];

/// A file of `/proc` itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalFile {
    MemoryInformation,
    Uptime,
    Mounts,
}

const GLOBAL_FILES: &[(&str, GlobalFile)] = &[
    ("meminfo", GlobalFile::MemoryInformation),
    ("mounts", GlobalFile::Mounts),
    ("uptime", GlobalFile::Uptime),
];

/// A node of `/proc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    /// `/proc`.
    Directory,
    /// `/proc/self`.
    SelfLink,
    /// `/proc/PID`.
    Process(i32),
    /// `/proc/PID/NAME`.
    ProcessFile(i32, ProcessFile),
    /// `/proc/PID/fd`.
    Descriptors(i32),
    /// `/proc/PID/fd/N`.
    Descriptor(i32, i32),
    /// `/proc/NAME`.
    Global(GlobalFile),
}

/// Where a path under `/proc` leads.
pub enum Resolved {
    /// A node of `/proc`.
    Node(Node),
    /// Out of `/proc` through a descriptor's link: this absolute path, to be routed afresh.
    Elsewhere(String),
}

fn own_pid() -> Result<i32, Errno> {
    crate::process::identity::getpid()
}

/// Whether `pid` is a process the server holds (zombies too).
fn exists(pid: i32) -> Result<(), Errno> {
    match listing::process_state(pid) {
        Ok(_) => Ok(()),
        Err(Errno::ESRCH) => Err(Errno::ENOENT),
        Err(error) => Err(error),
    }
}

/// Resolves `absolute` (lexically normalised, starting `/proc`), following a final link when
/// `follow` (or when `directory`: the path ended in a slash).
///
/// # Errors
/// `ENOENT`, `ENOTDIR`, `EACCES` (another process's descriptors), the server's.
pub fn resolve(absolute: &str, follow: bool, directory: bool) -> Result<Resolved, Errno> {
    let names: Vec<&str> = absolute
        .split('/')
        .filter(|name| !name.is_empty())
        .skip(1)
        .collect();
    let follow = follow || directory;
    let mut node = Node::Directory;
    for (index, name) in names.iter().enumerate() {
        let last = index + 1 == names.len();
        node = match node {
            Node::Directory if *name == "self" => {
                if last && !follow {
                    Node::SelfLink
                } else {
                    Node::Process(own_pid()?)
                }
            }
            Node::Directory => {
                if let Some((_, file)) = GLOBAL_FILES.iter().find(|(known, _)| known == name) {
                    Node::Global(*file)
                } else {
                    let pid: i32 = parse_number(name).ok_or(Errno::ENOENT)?;
                    exists(pid)?;
                    Node::Process(pid)
                }
            }
            Node::Process(pid) if *name == "fd" => Node::Descriptors(pid),
            Node::Process(pid) => PROCESS_FILES
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, file)| Node::ProcessFile(pid, *file))
                .ok_or(Errno::ENOENT)?,
            Node::Descriptors(pid) => {
                if pid != own_pid()? {
                    return Err(Errno::EACCES);
                }
                let fd: i32 = parse_number(name).ok_or(Errno::ENOENT)?;
                crate::io::descriptors::description(fd).map_err(|_| Errno::ENOENT)?;
                let link = Node::Descriptor(pid, fd);
                if last && !follow {
                    link
                } else {
                    // A descriptor's link leads to what it names: route the rest from there.
                    let target = read_link(link)?;
                    if !target.starts_with('/') {
                        // A pipe, socket or anonymous object: no path to go on from.
                        return if last {
                            Ok(Resolved::Node(link))
                        } else {
                            Err(Errno::ENOTDIR)
                        };
                    }
                    let mut rest = target;
                    for name in &names[index + 1..] {
                        rest.push('/');
                        rest.push_str(name);
                    }
                    if directory {
                        rest.push('/');
                    }
                    return Ok(Resolved::Elsewhere(rest));
                }
            }
            Node::ProcessFile(..) | Node::Descriptor(..) | Node::Global(_) | Node::SelfLink => {
                return Err(Errno::ENOTDIR);
            }
        };
    }
    if directory && !is_directory(node) {
        return Err(Errno::ENOTDIR);
    }
    Ok(Resolved::Node(node))
}

/// A decimal number with no sign, no leading zeros and no other bytes (as `/proc`'s names).
fn parse_number(name: &str) -> Option<i32> {
    if name.is_empty() || (name.len() > 1 && name.starts_with('0')) {
        return None;
    }
    if !name.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

/// Whether `node` is a directory.
#[must_use]
pub fn is_directory(node: Node) -> bool {
    matches!(
        node,
        Node::Directory | Node::Process(_) | Node::Descriptors(_)
    )
}

/// The absolute path of `node` (for `getcwd`, `dirfd`s and `fd` links).
#[must_use]
pub fn path(node: Node) -> String {
    match node {
        Node::Directory => String::from("/proc"),
        Node::SelfLink => String::from("/proc/self"),
        Node::Process(pid) => format!("/proc/{pid}"),
        Node::ProcessFile(pid, file) => {
            let name = PROCESS_FILES
                .iter()
                .find(|(_, known)| *known == file)
                .map_or("", |(name, _)| name);
            format!("/proc/{pid}/{name}")
        }
        Node::Descriptors(pid) => format!("/proc/{pid}/fd"),
        Node::Descriptor(pid, fd) => format!("/proc/{pid}/fd/{fd}"),
        Node::Global(file) => {
            let name = GLOBAL_FILES
                .iter()
                .find(|(_, known)| *known == file)
                .map_or("", |(name, _)| name);
            format!("/proc/{name}")
        }
    }
}

/// The target of a link: `self`'s pid, or what a descriptor of ours names.
///
/// # Errors
/// `EINVAL` (not a link), `ENOENT` (the descriptor closed).
pub fn read_link(node: Node) -> Result<String, Errno> {
    match node {
        Node::SelfLink => Ok(own_pid()?.to_string()),
        Node::Descriptor(_, fd) => {
            let description = crate::io::descriptors::description(fd).map_err(|_| Errno::ENOENT)?;
            Ok(describe(description.backend()))
        }
        _ => Err(Errno::EINVAL),
    }
}

/// What a descriptor's link says, as Linux writes it.
fn describe(backend: &Backend) -> String {
    match backend {
        Backend::Server(file) => String::from(file.path()),
        Backend::Device(device) => crate::io::devices::DEVICES
            .iter()
            .find(|(_, known)| known == device)
            .map_or_else(|| String::from("/dev"), |(name, _)| format!("/dev/{name}")),
        Backend::Directory(node) => String::from(node.path()),
        Backend::Pipe(_) => String::from("pipe:[1]"),
        Backend::Socket(_) => String::from("socket:[1]"),
        Backend::Event(_) => String::from("anon_inode:[eventfd]"),
        Backend::Proc(file) => path(file.node),
    }
}

/// The node's `stat`: owners from the server's record of the process it belongs to.
///
/// # Errors
/// The server's (`ENOENT` once the process is gone).
pub fn status(node: Node) -> Result<Stat, Errno> {
    let mut status = Stat {
        st_blksize: 4096,
        st_nlink: 1,
        st_dev: makedev(0, 20),
        ..Stat::default()
    };
    let (mode, number) = match node {
        Node::Directory => (S_IFDIR | 0o555, 1),
        Node::SelfLink => (S_IFLNK | 0o777, 2),
        Node::Global(file) => (S_IFREG | 0o444, 3 + file as u64),
        Node::Process(pid) => (S_IFDIR | 0o555, (pid as u64) << 8),
        Node::ProcessFile(pid, file) => (S_IFREG | 0o444, (pid as u64) << 8 | (1 + file as u64)),
        Node::Descriptors(pid) => (S_IFDIR | 0o500, (pid as u64) << 8 | 0x10),
        Node::Descriptor(pid, fd) => (
            S_IFLNK | 0o700,
            (pid as u64) << 32 | 0x8000_0000 | fd as u64,
        ),
    };
    status.st_mode = mode;
    status.st_ino = number;
    if is_directory(node) {
        status.st_nlink = 2;
    }
    let owner = match node {
        Node::Process(pid)
        | Node::ProcessFile(pid, _)
        | Node::Descriptors(pid)
        | Node::Descriptor(pid, _) => Some(pid),
        _ => None,
    };
    let boot = boot_time_seconds();
    status.st_atime = boot;
    status.st_mtime = boot;
    status.st_ctime = boot;
    if let Some(pid) = owner {
        let users = listing::process_ids_of(pid, false).map_err(missing)?;
        let groups = listing::process_ids_of(pid, true).map_err(missing)?;
        status.st_uid = users[1];
        status.st_gid = groups[1];
        let (started, _) = listing::process_start(pid).map_err(missing)?;
        let time = boot + (started / 1_000_000_000) as i64;
        status.st_atime = time;
        status.st_mtime = time;
        status.st_ctime = time;
    }
    Ok(status)
}

fn missing(error: Errno) -> Errno {
    if error == Errno::ESRCH {
        Errno::ENOENT
    } else {
        error
    }
}

/// The wall-clock time of boot, in seconds.
fn boot_time_seconds() -> i64 {
    let real = crate::clock::clock_realtime().unwrap_or(0);
    let monotonic = crate::clock::clock_monotonic();
    (real.saturating_sub(monotonic) / 1_000_000_000) as i64
}

/// A directory's entries: name, node number and `d_type` (`.` and `..` first).
///
/// # Errors
/// `EACCES` (another process's descriptors), the server's.
pub fn entries(node: Node) -> Result<Vec<(String, u64, u8)>, Errno> {
    use libposix_sys::dirent::{DT_DIR, DT_LNK, DT_REG};
    let mut list: Vec<(String, u64, u8)> = alloc::vec![
        (String::from("."), status_number(node), DT_DIR),
        (String::from(".."), 1, DT_DIR),
    ];
    match node {
        Node::Directory => {
            for pid in listing::process_ids()? {
                list.push((pid.to_string(), (pid as u64) << 8, DT_DIR));
            }
            list.push((String::from("self"), 2, DT_LNK));
            for (name, file) in GLOBAL_FILES {
                list.push((String::from(*name), 3 + *file as u64, DT_REG));
            }
        }
        Node::Process(pid) => {
            list.push((String::from("fd"), (pid as u64) << 8 | 0x10, DT_DIR));
            for (name, file) in PROCESS_FILES {
                list.push((
                    String::from(*name),
                    (pid as u64) << 8 | (1 + *file as u64),
                    DT_REG,
                ));
            }
        }
        Node::Descriptors(pid) => {
            if pid != own_pid()? {
                return Err(Errno::EACCES);
            }
            // Makes the table (with the console at 0–2) if this program never touched it.
            let _ = crate::io::descriptors::description(0);
            for (fd, _, _) in crate::io::descriptors::snapshot() {
                list.push((
                    fd.to_string(),
                    (pid as u64) << 32 | 0x8000_0000 | fd as u64,
                    DT_LNK,
                ));
            }
        }
        _ => return Err(Errno::ENOTDIR),
    }
    Ok(list)
}

fn status_number(node: Node) -> u64 {
    status(node).map_or(0, |status| status.st_ino)
}

/// A file's bytes, made now.
///
/// # Errors
/// The server's (`ENOENT` once the process is gone).
pub fn contents(node: Node) -> Result<Vec<u8>, Errno> {
    match node {
        Node::ProcessFile(pid, file) => process_file(pid, file).map_err(missing),
        Node::Global(GlobalFile::MemoryInformation) => memory_information(),
        Node::Global(GlobalFile::Uptime) => {
            let now = crate::clock::clock_monotonic();
            let centiseconds = now / 10_000_000;
            // The kernel does not count idle time: the second figure stays 0.
            Ok(format!("{}.{:02} 0.00\n", centiseconds / 100, centiseconds % 100).into_bytes())
        }
        Node::Global(GlobalFile::Mounts) => Ok(crate::fs::mounts::table().into_bytes()),
        _ => Err(Errno::EISDIR),
    }
}

fn memory_information() -> Result<Vec<u8>, Errno> {
    let words = call(Call::MemoryStatus {
        quota: initial::MEMORY_QUOTA,
    })
    .map_err(|_| Errno::EIO)?;
    let free = words[1] * 4;
    let total = words[2] * 4;
    let mut text = String::new();
    for (name, value) in [
        ("MemTotal:", total),
        ("MemFree:", free),
        ("MemAvailable:", free),
    ] {
        let _ = writeln!(text, "{name:<15}{value:>9} kB");
    }
    Ok(text.into_bytes())
}

fn ticks(nanoseconds: u64) -> u64 {
    nanoseconds / (1_000_000_000 / TICKS_PER_SECOND)
}

fn process_file(pid: i32, file: ProcessFile) -> Result<Vec<u8>, Errno> {
    let state = listing::process_state(pid)?;
    match file {
        ProcessFile::Name => {
            let mut name = listing::process_name(pid)?;
            name.push(b'\n');
            Ok(name)
        }
        ProcessFile::CommandLine => {
            if state.state == b'Z' {
                // A zombie's arguments are gone with its memory, as on Linux.
                return Ok(Vec::new());
            }
            listing::process_command_line(pid, state.command_line_length)
        }
        ProcessFile::Stat => {
            let name = listing::process_name(pid)?;
            let (user, system) = listing::process_times(pid, false)?;
            let (children_user, children_system) = listing::process_times(pid, true)?;
            let (started, exit_status) = listing::process_start(pid)?;
            let [pending, blocked, ignored, caught] = listing::process_signals(pid)?;
            let mut line = format!("{pid} (").into_bytes();
            line.extend_from_slice(&name);
            let rest = format!(
                ") {} {} {} {} 0 -1 0 0 0 0 0 {} {} {} {} 20 0 1 0 {} 0 0 {} 0 0 0 0 0 {} {} {} {} \
                 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 {}\n",
                state.state as char,
                state.parent,
                state.group,
                state.session,
                ticks(user),
                ticks(system),
                ticks(children_user),
                ticks(children_system),
                ticks(started),
                u64::MAX,
                pending,
                blocked,
                ignored,
                caught,
                exit_status,
            );
            line.extend_from_slice(rest.as_bytes());
            Ok(line)
        }
        ProcessFile::Status => {
            let name = listing::process_name(pid)?;
            let users = listing::process_ids_of(pid, false)?;
            let groups = listing::process_ids_of(pid, true)?;
            let [pending, blocked, ignored, caught] = listing::process_signals(pid)?;
            let state_name = match state.state {
                b'R' => "R (running)",
                b'S' => "S (sleeping)",
                b'T' => "T (stopped)",
                b'Z' => "Z (zombie)",
                _ => "? (unknown)",
            };
            let mut text = b"Name:\t".to_vec();
            // Linux escapes a newline in the name so that a line stays a line.
            for &byte in &name {
                match byte {
                    b'\n' => text.extend_from_slice(b"\\n"),
                    b'\\' => text.extend_from_slice(b"\\\\"),
                    _ => text.push(byte),
                }
            }
            let rest = format!(
                "\nState:\t{state_name}\nTgid:\t{pid}\nPid:\t{pid}\nPPid:\t{}\nUid:\t{}\t{}\t{}\t{}\n\
                 Gid:\t{}\t{}\t{}\t{}\nSigPnd:\t{pending:016x}\nSigBlk:\t{blocked:016x}\n\
                 SigIgn:\t{ignored:016x}\nSigCgt:\t{caught:016x}\n",
                state.parent,
                users[0],
                users[1],
                users[2],
                users[1],
                groups[0],
                groups[1],
                groups[2],
                groups[1],
            );
            text.extend_from_slice(rest.as_bytes());
            Ok(text)
        }
    }
}

/// An open file or directory of `/proc`: its node, the bytes (or entries) made at open, and
/// the read offset.
pub struct ProcFile {
    /// The node it names.
    pub node: Node,
    bytes: Vec<u8>,
    entries: Vec<(String, u64, u8)>,
    offset: AtomicU64,
}

impl ProcFile {
    /// Opens `node`: a file's bytes or a directory's entries are made now (not for `O_PATH`).
    ///
    /// # Errors
    /// As [`contents`] and [`entries`].
    pub fn open(node: Node, path_only: bool) -> Result<Self, Errno> {
        let (bytes, entries) = if path_only {
            (Vec::new(), Vec::new())
        } else if is_directory(node) {
            (Vec::new(), entries(node)?)
        } else if matches!(node, Node::SelfLink | Node::Descriptor(..)) {
            (Vec::new(), Vec::new())
        } else {
            (contents(node)?, Vec::new())
        };
        Ok(Self {
            node,
            bytes,
            entries,
            offset: AtomicU64::new(0),
        })
    }

    /// `read` at the offset.
    ///
    /// # Errors
    /// `EISDIR` for a directory.
    pub fn read(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        let offset = self.offset.load(Ordering::Relaxed);
        let count = self.read_at(buffer, offset)?;
        self.offset.store(offset + count as u64, Ordering::Relaxed);
        Ok(count)
    }

    /// `pread64`.
    ///
    /// # Errors
    /// `EISDIR` for a directory.
    pub fn read_at(&self, buffer: &mut [u8], offset: u64) -> Result<usize, Errno> {
        if is_directory(self.node) {
            return Err(Errno::EISDIR);
        }
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        let count = buffer.len().min(self.bytes.len() - start);
        buffer[..count].copy_from_slice(&self.bytes[start..start + count]);
        Ok(count)
    }

    /// `lseek`: `SEEK_SET`, `SEEK_CUR`, `SEEK_END` over the snapshot.
    ///
    /// # Errors
    /// `EINVAL` for an unknown `whence` or a negative result.
    pub fn seek(&self, offset: i64, whence: i32) -> Result<i64, Errno> {
        use libposix_sys::seek::{SEEK_CUR, SEEK_END, SEEK_SET};
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => self.offset.load(Ordering::Relaxed) as i64,
            SEEK_END => self.bytes.len() as i64,
            _ => return Err(Errno::EINVAL),
        };
        let position = base.checked_add(offset).ok_or(Errno::EINVAL)?;
        if position < 0 {
            return Err(Errno::EINVAL);
        }
        self.offset.store(position as u64, Ordering::Relaxed);
        Ok(position)
    }

    /// The directory's entries, from the snapshot made at open.
    #[must_use]
    pub fn entries(&self) -> &[(String, u64, u8)] {
        &self.entries
    }
}
