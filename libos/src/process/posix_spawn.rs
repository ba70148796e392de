//! `posix_spawn` and `posix_spawnp`: a new process running a program, with the descriptors a
//! `fork`, the file actions and an `execve` would leave it — without copying this process. The
//! program is found and checked as `execve` finds it (`EACCES`, `#!` scripts).
//!
//! The child's table is worked out here: ours (with each descriptor's FD_CLOEXEC), then the
//! file actions in order (`adddup2`, `addclose`, `addopen` — an open is done by us, with our
//! credentials, as the child would), then the close-on-exec sweep of the `execve`. It is handed
//! over as `spawn` hands ours (`io::inheritance`); the child gets our file-server capabilities,
//! so it acts with our credentials. Of the attributes, `POSIX_SPAWN_SETPGROUP` is supported
//! (the child joins the group before it runs); the other `POSIX_SPAWN_*` flags (signal mask
//! and defaults, ids, scheduling) are `ENOSYS`. The file action
//! [`FileAction::TerminalForeground`] (glibc's `posix_spawn_file_actions_addtcsetpgrp_np`)
//! makes the child's group the terminal's foreground group before it runs, as a job-control
//! shell needs.

use alloc::string::String;
use alloc::vec::Vec;

use exokernel_abi::{Call, Slot};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::O_CLOEXEC;
use vfs::fd_table::FdTable;

use super::exec::encode_words;
use super::spawn::{SpawnError, set_inherited_table, spawn_image_sharing_quota};
use crate::io::descriptors::{self, Description};
use crate::kernel::call;
use crate::well_known_slots::{
    FILE_SERVER, SOCKET_SERVER, UNPRIVILEGED_FILE_SERVER, UNPRIVILEGED_SOCKET_SERVER,
};

/// One file action, applied in the order given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction<'a> {
    /// `posix_spawn_file_actions_addclose`: closes `fd` (already closed is not an error, as in
    /// glibc and musl).
    Close(i32),
    /// `posix_spawn_file_actions_adddup2`: `dup2(old, new)`; with `old == new`, clears
    /// FD_CLOEXEC on it (POSIX 2008 TC2).
    Dup2 {
        /// The descriptor duplicated.
        old: i32,
        /// Where it goes.
        new: i32,
    },
    /// `posix_spawn_file_actions_addopen`: opens `path` at exactly `fd`.
    Open {
        /// The descriptor.
        fd: i32,
        /// The path.
        path: &'a str,
        /// `open`'s flags.
        flags: i32,
        /// `open`'s mode.
        mode: u32,
    },
    /// `posix_spawn_file_actions_addtcsetpgrp_np`: `tcsetpgrp(fd, the child's group)` before
    /// the child runs (done by us, with our authority over the terminal, as the child would).
    TerminalForeground(i32),
}

/// `posix_spawnattr_t`: the flags (`POSIX_SPAWN_*`; only `POSIX_SPAWN_SETPGROUP` is
/// supported) and the process group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpawnAttributes {
    /// `posix_spawnattr_setflags`.
    pub flags: i16,
    /// `posix_spawnattr_setpgroup`: the group the child joins with `POSIX_SPAWN_SETPGROUP`
    /// (0: a new group numbered with its pid).
    pub pgroup: i32,
}

/// `POSIX_SPAWN_SETPGROUP`.
pub const POSIX_SPAWN_SETPGROUP: i16 = 2;

/// The default `PATH` `posix_spawnp` and `execvp` search when the environment has none.
pub const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// The child's table: ours, then `actions`, then the close-on-exec sweep.
fn child_table(actions: &[FileAction<'_>]) -> Result<Vec<(i32, Description)>, Errno> {
    let mut table: FdTable<Description> = FdTable::default();
    // Ours as this process sees it: the console at 0, 1 and 2 if it never touched its table
    // (an empty snapshot would leave the child no standard streams at all).
    for (fd, description, close_on_exec) in descriptors::snapshot_in_use() {
        let _ = table.place(fd, description, close_on_exec);
    }
    for action in actions {
        match *action {
            FileAction::Close(fd) => {
                let _ = table.close(fd);
            }
            FileAction::Dup2 { old, new } => {
                if old == new {
                    table.set_close_on_exec(old, false)?;
                } else {
                    table.duplicate_to(old, new, false)?;
                }
            }
            FileAction::Open {
                fd,
                path,
                flags,
                mode,
            } => {
                // Opened with our credentials, as the child would; then taken out of our table.
                let opened = crate::fs::open(path, flags, mode)?;
                let description = descriptors::description(opened);
                let _ = descriptors::close(opened);
                table.place(fd, description?, flags & O_CLOEXEC != 0)?;
            }
            // Done when the child exists (`spawn::set_next_group`); checked here.
            FileAction::TerminalForeground(fd) => {
                if crate::io::control::isatty(fd).is_err() {
                    return Err(Errno::ENOTTY);
                }
            }
        }
    }
    let _closed = table.close_on_exec_sweep();
    Ok(table
        .open_descriptors()
        .filter_map(|fd| {
            table
                .description(fd)
                .ok()
                .map(|description| (fd, description.clone()))
        })
        .collect())
}

/// `posix_spawn`: starts the program at `path` with `argv` and `envp`, after `file_actions`;
/// answers the child's pid (to `waitpid` for).
///
/// # Errors
/// `ENOSYS` for attribute flags; `EBADF` (a file action names a closed descriptor), `open`'s
/// errors for an open action; `ENOENT` (no such program), `ENOEXEC`, `E2BIG`, `ENOMEM`,
/// `EAGAIN` (no pid could be given).
pub fn posix_spawn(
    path: &str,
    file_actions: &[FileAction<'_>],
    attributes: Option<&SpawnAttributes>,
    argv: &[&str],
    envp: &[&str],
) -> Result<i32, Errno> {
    if attributes.is_some_and(|attributes| attributes.flags & !POSIX_SPAWN_SETPGROUP != 0) {
        return Err(Errno::ENOSYS);
    }
    let group = attributes
        .filter(|attributes| attributes.flags & POSIX_SPAWN_SETPGROUP != 0)
        .map(|attributes| attributes.pgroup);
    if group.is_some_and(|group| group < 0) {
        return Err(Errno::EINVAL);
    }
    let foreground = file_actions
        .iter()
        .any(|action| matches!(action, FileAction::TerminalForeground(_)));
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    // Found and checked as `execve` would (through the file system, `#!` followed).
    let (program, words, set_id) = super::exec::resolve(path, argv)?;
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let argv = &words[..];
    let command = encode_words(argv)?;
    let environment = encode_words(envp)?;
    let table = child_table(file_actions)?;
    // Our credentials go along: the file-server and socket-server capabilities we hold, at the
    // same slots (a registered child gets its own from the process server instead).
    let grants: Vec<(Slot, Slot)> = [
        FILE_SERVER,
        UNPRIVILEGED_FILE_SERVER,
        SOCKET_SERVER,
        UNPRIVILEGED_SOCKET_SERVER,
    ]
    .into_iter()
    .filter(|&slot| call(Call::CapabilityIdentify { slot }).is_ok())
    .map(|slot| (slot, slot))
    .collect();
    set_inherited_table(table);
    if group.is_some() || foreground {
        super::spawn::set_next_group(group, foreground);
    }
    let started =
        spawn_image_sharing_quota(program.bytes(), &command, &environment, &grants, set_id);
    // Not used when spawn failed before handing it over.
    set_inherited_table_none();
    // A child refused its group was registered, then reaped (its zombie collected) unstarted.
    let group_error = super::spawn::take_group_error().map(|(errno, _pid)| errno);
    let child = started.map_err(|error| match (error, group_error) {
        (_, Some(errno)) => errno,
        (SpawnError::NotFound, None) => Errno::ENOENT,
        (SpawnError::NotExecutable, None) => Errno::ENOEXEC,
        (SpawnError::Kernel(_), None) => Errno::ENOMEM,
    })?;
    child.adopt().map_err(|child| {
        child.reap();
        Errno::EAGAIN
    })
}

fn set_inherited_table_none() {
    super::spawn::take_inherited_table();
}

/// The value of `PATH` in `envp`, or [`DEFAULT_PATH`].
#[must_use]
pub fn search_path<'a>(envp: &[&'a str]) -> &'a str {
    envp.iter()
        .rev()
        .find_map(|variable| variable.strip_prefix("PATH="))
        .unwrap_or(DEFAULT_PATH)
}

/// The candidates for `file` along `path` (`file` itself when it holds a `/`); an empty
/// directory means the current one, as POSIX says.
#[must_use]
pub fn candidates(file: &str, path: &str) -> Vec<String> {
    if file.contains('/') {
        return alloc::vec![String::from(file)];
    }
    path.split(':')
        .map(|directory| {
            if directory.is_empty() {
                String::from(file)
            } else {
                alloc::format!("{}/{file}", directory.trim_end_matches('/'))
            }
        })
        .collect()
}

/// `posix_spawnp`: as [`posix_spawn`], finding `file` along `PATH` (from `envp`, else
/// [`DEFAULT_PATH`]) when it holds no `/`.
///
/// # Errors
/// As [`posix_spawn`]; `ENOENT` when no directory holds it (or `file` is empty).
pub fn posix_spawnp(
    file: &str,
    file_actions: &[FileAction<'_>],
    attributes: Option<&SpawnAttributes>,
    argv: &[&str],
    envp: &[&str],
) -> Result<i32, Errno> {
    if file.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut last = Errno::ENOENT;
    for candidate in candidates(file, search_path(envp)) {
        match posix_spawn(&candidate, file_actions, attributes, argv, envp) {
            Err(Errno::ENOENT | Errno::ENOTDIR) => {}
            Err(Errno::EACCES) => last = Errno::EACCES,
            other => return other,
        }
    }
    Err(last)
}
