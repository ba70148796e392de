//! POSIX time: the clocks (`clock_gettime`, `clock_getres`, `gettimeofday`, `time`) read from the
//! time page without a kernel entry, and the sleeps (`nanosleep`, `clock_nanosleep`), each in
//! Linux form with `libposix-sys` types.

mod clocks;
mod sleep;

pub use clocks::{clock_getres, clock_gettime, gettimeofday, time};
pub use sleep::{clock_nanosleep, nanosleep, nanosleep_remaining};
