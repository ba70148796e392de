//! `clone` flags (`<linux/sched.h>`), as Linux x86_64 defines them.

/// The low byte of `clone`'s flags: the signal sent to the parent when the child ends.
pub const CSIGNAL: u64 = 0x0000_00ff;
/// Share the address space.
pub const CLONE_VM: u64 = 0x0000_0100;
/// Share the file-system information (root, cwd, umask).
pub const CLONE_FS: u64 = 0x0000_0200;
/// Share the descriptor table.
pub const CLONE_FILES: u64 = 0x0000_0400;
/// Share the signal handlers.
pub const CLONE_SIGHAND: u64 = 0x0000_0800;
/// Create a pidfd.
pub const CLONE_PIDFD: u64 = 0x0000_1000;
/// Let the tracer trace the child too.
pub const CLONE_PTRACE: u64 = 0x0000_2000;
/// Suspend the parent until the child execs or exits.
pub const CLONE_VFORK: u64 = 0x0000_4000;
/// The child's parent is the caller's parent.
pub const CLONE_PARENT: u64 = 0x0000_8000;
/// The child is a thread of the caller's thread group.
pub const CLONE_THREAD: u64 = 0x0001_0000;
/// New mount namespace.
pub const CLONE_NEWNS: u64 = 0x0002_0000;
/// Share System V semaphore undo values.
pub const CLONE_SYSVSEM: u64 = 0x0004_0000;
/// Set the child's TLS (FS base) to the `tls` argument.
pub const CLONE_SETTLS: u64 = 0x0008_0000;
/// Store the child's tid at `parent_tid`.
pub const CLONE_PARENT_SETTID: u64 = 0x0010_0000;
/// Zero `child_tid` and futex-wake it when the child exits.
pub const CLONE_CHILD_CLEARTID: u64 = 0x0020_0000;
/// Ignored (historical).
pub const CLONE_DETACHED: u64 = 0x0040_0000;
/// Do not let the tracer force tracing.
pub const CLONE_UNTRACED: u64 = 0x0080_0000;
/// Store the child's tid at `child_tid` in the child's memory.
pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
/// New cgroup namespace.
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;
/// New UTS namespace.
pub const CLONE_NEWUTS: u64 = 0x0400_0000;
/// New IPC namespace.
pub const CLONE_NEWIPC: u64 = 0x0800_0000;
/// New user namespace.
pub const CLONE_NEWUSER: u64 = 0x1000_0000;
/// New pid namespace.
pub const CLONE_NEWPID: u64 = 0x2000_0000;
/// New network namespace.
pub const CLONE_NEWNET: u64 = 0x4000_0000;
/// Share the I/O context.
pub const CLONE_IO: u64 = 0x8000_0000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            CSIGNAL = 0xff_u64,
            CLONE_VM,
            CLONE_FS,
            CLONE_FILES,
            CLONE_SIGHAND,
            CLONE_PIDFD,
            CLONE_PTRACE,
            CLONE_VFORK,
            CLONE_PARENT,
            CLONE_THREAD,
            CLONE_NEWNS,
            CLONE_SYSVSEM,
            CLONE_SETTLS,
            CLONE_PARENT_SETTID,
            CLONE_CHILD_CLEARTID,
            CLONE_DETACHED,
            CLONE_UNTRACED,
            CLONE_CHILD_SETTID,
            CLONE_NEWCGROUP,
            CLONE_NEWUTS,
            CLONE_NEWIPC,
            CLONE_NEWUSER,
            CLONE_NEWPID,
            CLONE_NEWNET,
            // libc's is a negative `c_int`; the flag is bit 31.
            CLONE_IO = 0x8000_0000_u64,
        );
        assert_every_constant_checked(include_str!("sched.rs"), &[checked]);
    }
}
