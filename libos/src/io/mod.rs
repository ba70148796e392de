//! Descriptors and the bytes behind them: the fd table, open file descriptions, devfs, pipes.
//!
//! - [`descriptors`]: the per-process table and `close`, `dup*`, `fcntl`, `read`, `write`, …
//! - [`description`]: open file descriptions (shared status flags and backend).
//! - [`devices`]: `/dev/null`, `zero`, `full`, `random`, `urandom`, `console`/`tty`.
//! - [`inheritance`]: the table handed to a new image (`execve`) or a child (`spawn`).
//! - [`pipe`]: pipes as shared rings with kernel-observed end of file and `EPIPE`.
//! - [`shared_state`]: a description's offset and flags in a page the processes sharing it map.
//! - [`terminal`]: the line discipline over the console; [`control`]: `ioctl`, `tcgetattr`…

pub mod control;
pub mod description;
pub mod descriptors;
pub mod devices;
pub mod inheritance;
pub mod pipe;
pub mod shared_state;
pub mod terminal;

pub use control::{Request, ioctl, isatty, tcdrain, tcflush, tcgetattr, tcsetattr};
pub use descriptors::{
    close, dup, dup2, dup3, fcntl, fdatasync, fsync, lseek, pipe, pipe2, pread64, preadv, pwrite64,
    pwritev, read, readv, sync, syncfs, write, writev,
};
