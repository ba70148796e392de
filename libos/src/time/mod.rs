//! POSIX time: the clocks (`clock_gettime`, `clock_getres`, `gettimeofday`, `time`) read from the
//! time page without a kernel entry, the sleeps (`nanosleep`, `clock_nanosleep`) and the POSIX
//! timers (`timer_create` and the rest), each in Linux form with `libposix-sys` types.

mod clocks;
mod sleep;
pub mod timers;

pub use clocks::{clock_getres, clock_gettime, gettimeofday, time};
pub use sleep::{clock_nanosleep, nanosleep, nanosleep_remaining};
pub use timers::{timer_create, timer_delete, timer_getoverrun, timer_gettime, timer_settime};
