//! The process runtime: the `_start` entry, start-up data, the heap and the panic handler.
//!
//! Every program (the kernel's `init`, and everything the LibOS starts) begins with the same
//! registers: `rdi`/`rsi` the command (percent-encoded words separated by spaces) and `rdx`
//! the initramfs length, with its capabilities at the slots of [`exokernel_abi::initial`].

pub mod clock;
pub mod entropy;
mod heap;
pub mod parent_cache;
mod start;

pub use start::{Startup, percent_decode, program_name};
