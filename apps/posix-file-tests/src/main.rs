//! Conformance checks of the LibOS's file calls, in the test protocol (docs/testing.md).
//!
//! Run as `/bin/posix-file-tests`. With a first argument it is instead the child half of a pipe
//! check (`crash-writer`, `blocked-writer`, `idle-writer`, `crash-reader`): it takes over the
//! pipe end granted to slots [`CHILD_SLOTS`] and then crashes or blocks, so the parent can see
//! what a reader or writer sees when its peer dies; with `terminal-reader` it copies the
//! terminal to its output (for the typed-input system test).
#![no_std]
#![no_main]

extern crate alloc;

mod data_path_checks;
mod descriptor_checks;
mod fifo_checks;
mod file_checks;
mod file_system_checks;
mod mount_checks;
mod namespace_checks;
mod owner_checks;
mod path_descriptor_checks;
mod permission_checks;
mod pipe_checks;
mod pipe_survival_checks;
mod proc_checks;
mod random_checks;
mod rename_checks;
mod set_id_checks;
mod sharing_checks;
mod sync_checks;
mod terminal_checks;
mod time_checks;

use libos::Startup;
use libos::test_protocol::{Check, run_checks};

libos::main!(main);

/// Where a child half finds its pipe end: frame, channel end, own and peer notification (slots
/// 6–15 are never handed out by the slot allocator).
pub const CHILD_SLOTS: [u32; 4] = [8, 9, 10, 11];

/// Fails a check with a formatted reason unless `condition` holds.
#[macro_export]
macro_rules! ensure {
    ($condition:expr, $($reason:tt)+) => {
        if !$condition {
            return Err(alloc::format!($($reason)+));
        }
    };
}

const CHECKS: &[Check] = &[
    descriptor_checks::DUP,
    descriptor_checks::DUP2,
    descriptor_checks::DUP3,
    descriptor_checks::CLOSE,
    descriptor_checks::EMFILE,
    descriptor_checks::DUPFD,
    descriptor_checks::DUPFD_CLOEXEC,
    descriptor_checks::FD_FLAGS,
    descriptor_checks::STATUS_FLAGS,
    descriptor_checks::BAD_COMMAND,
    namespace_checks::DEV_NULL,
    namespace_checks::DEV_ZERO,
    namespace_checks::DEV_FULL,
    namespace_checks::DEV_CONSOLE,
    namespace_checks::OPEN_ERRORS,
    namespace_checks::OPENAT_DIRFD,
    namespace_checks::CHDIR_GETCWD,
    namespace_checks::LSEEK,
    file_checks::CREATE_WRITE_READ,
    file_checks::TRUNCATE_AND_APPEND,
    file_checks::CREAT,
    file_checks::POSITIONED,
    file_checks::STATUSES,
    file_checks::DIRECTORY_LISTING,
    file_checks::DIRECTORIES,
    file_checks::WORKING_DIRECTORY,
    file_checks::UNLINKED_WHILE_OPEN,
    file_checks::SYMBOLIC_LINKS,
    file_checks::TRUNCATION,
    file_checks::MODES_AND_LINKS,
    file_checks::ACCESS_AND_UMASK,
    file_checks::CRASHED_CLIENT,
    data_path_checks::NO_KERNEL_CALLS,
    data_path_checks::GROWTH_AND_HOLES,
    data_path_checks::COHERENT_DESCRIPTIONS,
    data_path_checks::APPENDING,
    data_path_checks::UNLINKED_MAPPED,
    data_path_checks::BETWEEN_PROCESSES,
    data_path_checks::LIMITS,
    data_path_checks::READ_ONLY_FRAMES,
    data_path_checks::WRITE_ONLY,
    data_path_checks::HOSTILE_SIZE,
    data_path_checks::ACROSS_FORK,
    sharing_checks::FORK_SHARES_OFFSET,
    sharing_checks::DUP_SHARES_OFFSET,
    sharing_checks::SPAWN_SHARES_OFFSET,
    sharing_checks::EXECVE_SHARES_OFFSET,
    sharing_checks::HOSTILE_SHARER,
    rename_checks::OVER_FILES,
    rename_checks::DIRECTORIES,
    rename_checks::FLAGS_AND_DIRFDS,
    rename_checks::OTHER_USERS,
    sync_checks::SYNCING,
    sync_checks::VECTORED_POSITIONED,
    time_checks::STAMPED,
    time_checks::SETTING_TIMES,
    time_checks::TIMES_PERMISSIONS,
    time_checks::EXTENDED_STATUS,
    owner_checks::OWNERS,
    owner_checks::OWNER_RULES,
    file_system_checks::FILE_SYSTEM_STATUS,
    path_descriptor_checks::PATH_DESCRIPTORS,
    path_descriptor_checks::ACCESS_BY_DESCRIPTOR,
    permission_checks::OTHER_USER_CANNOT_READ,
    pipe_checks::ROUND_TRIP,
    pipe_checks::EOF_AFTER_CLOSE,
    pipe_checks::EPIPE_AFTER_CLOSE,
    pipe_checks::NONBLOCKING,
    pipe_checks::PIPE2_FLAGS,
    pipe_checks::VECTORED,
    pipe_checks::LARGE_TRANSFER,
    pipe_checks::EOF_AFTER_WRITER_CRASH,
    pipe_checks::EOF_AFTER_WRITER_KILLED,
    pipe_checks::EPIPE_AFTER_READER_CRASH,
    pipe_checks::NONBLOCKING_EOF_AFTER_WRITER_KILLED,
    pipe_survival_checks::READER_SURVIVES_CREATOR_KILLED,
    pipe_survival_checks::WRITER_EPIPE_AFTER_CREATOR_KILLED,
    pipe_survival_checks::THREAD_SURVIVES_CREATOR_KILLED,
    pipe_survival_checks::HOSTILE_POSITIONS,
    fifo_checks::NODES,
    fifo_checks::MKNOD_TYPES,
    fifo_checks::NONBLOCKING_OPENS,
    fifo_checks::BLOCKING_OPENS,
    fifo_checks::CAME_AND_WENT,
    fifo_checks::INTERRUPTED_OPEN,
    fifo_checks::PIPE_SEMANTICS,
    fifo_checks::UNLINKED_WHILE_OPEN,
    fifo_checks::ACROSS_FORK_AND_EXEC,
    fifo_checks::EOF_AFTER_WRITER_KILLED,
    fifo_checks::EOF_AFTER_WRITER_CRASH,
    fifo_checks::EPIPE_AFTER_READER_KILLED,
    fifo_checks::EPIPE_AFTER_READER_CRASH,
    fifo_checks::SERVER_CHECKS,
    terminal_checks::ISATTY,
    terminal_checks::ATTRIBUTES,
    terminal_checks::WINDOW_SIZE,
    terminal_checks::BYTES_AVAILABLE,
    terminal_checks::NON_CANONICAL_READS,
    terminal_checks::COSTS,
    terminal_checks::FLUSH_AND_DRAIN,
    terminal_checks::POLL,
    proc_checks::SELF_LINK,
    proc_checks::PID_STAT_FIELDS,
    proc_checks::CMDLINE,
    proc_checks::COMMAND_RAW,
    proc_checks::STATUS,
    proc_checks::READDIR_LISTS_PIDS,
    proc_checks::FD_LINKS,
    proc_checks::READ_ONLY,
    proc_checks::GLOBAL_FILES,
    mount_checks::TMPFS,
    mount_checks::EXDEV_ACROSS_MOUNTS,
    mount_checks::UMOUNT,
    mount_checks::EPERM_UNPRIVILEGED,
    set_id_checks::SET_ID_BITS,
    random_checks::GETRANDOM,
    random_checks::RANDOM_DEVICES,
    random_checks::AFTER_FORK,
];

fn main(startup: &Startup) -> i32 {
    let arguments: alloc::vec::Vec<_> = startup.arguments().collect();
    if let Some(role) = arguments.get(1) {
        if role == "file-holder" {
            return file_checks::run_file_holder();
        }
        if role == "terminal-reader" {
            return terminal_checks::run_terminal_reader();
        }
        if role == "data-writer" {
            return data_path_checks::run_data_writer();
        }
        return pipe_checks::run_child(role);
    }
    // The pipe checks look for EPIPE, so SIGPIPE is ignored, as Linux test programs do
    // (inherited by every child the checks fork or spawn).
    let _ = libos::signal::signal(libposix_sys::signal::SIGPIPE, libposix_sys::signal::SIG_IGN);
    let failed = run_checks("posix-files", CHECKS);
    libos::println!("{} passed, {failed} failed", CHECKS.len() - failed);
    i32::from(failed != 0)
}
