//! The library operating system linked into every process.
//!
//! - [`kernel`]: the typed kernel calls (the only `unsafe` besides the runtime).
//! - [`runtime`]: `_start`, the heap, the panic handler, the program's start-up data.
//! - [`console`]: `print!`/`println!` over the console capability.
//! - [`slots`]: allocation of this process's capability slots.
//! - [`process`]: starting programs and threads; the POSIX process calls (pids, wait, fork).
//! - [`signal`]: signals: `sigaction`, masks, handlers entered by the process server, `kill`.
//! - [`thread`]: threads of this process (spawn, join, thread-locals, futex locks, `futex`).
//! - [`time`]: the POSIX clocks and sleeps.
//! - [`io`]: file descriptors, devfs and pipes; [`fs`]: `open` and the file namespace.
//! - [`event`]: `poll`, `select`, `epoll`, `eventfd`, `timerfd`; [`socket`]: AF_UNIX sockets.
//! - [`test_protocol`]: the test-result lines `cargo xtask test` reads, with covered interfaces.
#![no_std]

extern crate alloc;

pub mod console;
pub mod event;
pub mod file_window;
pub mod fs;
pub mod io;
pub mod ipc;
pub mod kernel;
pub mod kernel_log;
pub mod memory;
pub mod process;
pub mod random;
pub mod runtime;
pub mod shared_window;
pub mod signal;
pub use runtime::clock;
pub use runtime::percent_decode;
pub mod slots;
pub mod socket;
pub mod test_protocol;
pub mod test_support;
pub mod thread;
pub mod time;
pub mod timer;
pub mod upcall;
pub mod well_known_slots;
pub mod window_recovery;

pub use exokernel_abi as abi;
pub use runtime::Startup;
