//! The Linux x86_64 ABI — numbers, flags, errno and `#[repr(C)]` layouts — defined once.
//!
//! Both the LibOS that native applications link and the Linux personality
//! (unmodified static Linux binaries whose `syscall`s are upcalled into the
//! LibOS) use these definitions, so every value here is the Linux x86_64
//! value bit for bit and no translation layer exists anywhere. The host tests
//! compare every constant and every structure's size, alignment and field
//! offsets against the `libc` crate, and hand the structures to the host
//! Linux kernel itself.
//!
//! Constants, functions and fields keep their POSIX/Linux names (`O_CLOEXEC`,
//! `WIFEXITED`, `st_mode`, `EAGAIN`), because that is what they are. Structures
//! take the CamelCase form of the C name (`Timespec` for `struct timespec`,
//! `Siginfo` for `siginfo_t`), or a plain English name where the C name is a
//! bare abbreviation or would be ambiguous (`SignalSet` for the kernel's
//! `sigset_t`, `KernelSigaction`, `AuxiliaryVectorEntry`); every one carries a
//! `doc(alias)` with the C spelling. Pointers inside structures are `usize`
//! addresses: the structures describe memory shared with code that is not
//! Rust, and a plain address keeps this crate free of `unsafe`.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
compile_error!("libposix-sys describes the Linux x86_64 ABI and is only meaningful on x86_64");

pub mod auxv;
pub mod clock;
pub mod dirent;
pub mod epoll;
pub mod errno;
pub mod eventfd;
pub mod fcntl;
pub mod futex;
pub mod ioctl;
pub mod ipc;
pub mod mman;
pub mod mode;
pub mod poll;
pub mod random;
pub mod resource;
pub mod seek;
pub mod siginfo;
pub mod signal;
pub mod signalfd;
pub mod socket;
pub mod stat;
pub mod statfs;
pub mod statx;
pub mod syscall_numbers;
pub mod termios;
pub mod time;
pub mod uio;
pub mod utsname;
pub mod wait;

#[cfg(test)]
mod abi_check;

pub use errno::Errno;
pub use syscall_numbers::SystemCall;
