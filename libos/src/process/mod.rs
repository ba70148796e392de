//! Processes: starting programs and threads, and the POSIX process calls.
//!
//! - [`spawn`](mod@spawn): a program from the initramfs in a fresh address space.
//! - [`thread`]: environments in this address space.
//! - [`child`]: a started program or thread, waiting for it and reaping it.
//! - [`initramfs`](mod@initramfs): the boot archive programs are loaded from.
//! - [`exec`]: `execve`, a new program in place.
//! - [`fork`](mod@fork), [`fork_scratch`] and [`copy_on_write`]: `fork`, the pages it builds a
//!   child in, and the fault handler behind it.
//! - [`posix_spawn`](mod@posix_spawn): `posix_spawn`/`posix_spawnp` with file actions.
//! - [`identity`]: the process server client — pids, the parent/child tree, `wait4`, `_exit`.
//! - [`protocol`]: the process server's messages (`docs/process-server.md`).
//! - [`credentials`]: user and group ids, held by the process server.
//! - [`exit`](mod@exit): `exit` with `atexit` handlers.
//! - [`waitid`](mod@waitid): `waitid` with `siginfo_t`, `WNOWAIT`.
//! - [`resource_usage`]: `getrusage`, `times` (processor time the kernel measures).
//! - [`limits`]: resource limits (`getrlimit`, `setrlimit`, `prlimit64`).
//! - [`uname`](mod@uname): `uname`, this system's identification.

pub mod child;
pub mod copy_on_write;
pub mod credentials;
pub mod exec;
mod exec_threads;
pub mod exit;
pub mod fork;
pub mod fork_scratch;
pub mod identity;
pub mod initramfs;
pub mod limits;
pub mod listing;
pub mod posix_spawn;
pub mod protocol;
pub mod resource_usage;
pub mod spawn;
pub mod thread;
pub mod uname;
pub mod waitid;

pub use child::{Child, Ending};
pub use exec::{execv, execve, execvp, execvpe};
pub use exit::exit_group;
pub use fork::{fork, vfork};
pub use initramfs::{initramfs, set_initramfs_length};
pub use posix_spawn::{FileAction, SpawnAttributes, posix_spawn, posix_spawnp};
pub use spawn::{SpawnError, spawn, spawn_with_budget};
pub use thread::{spawn_shared_thread, spawn_thread};
pub use uname::uname;
