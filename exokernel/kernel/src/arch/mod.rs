//! The one seam between the generic kernel and the hardware: everything arch-specific is
//! reached through the re-exports here.

mod x86_64;

pub use self::x86_64::*;
