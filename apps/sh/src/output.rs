//! Writing the shell's own output through descriptors 1 and 2 (never straight to the console),
//! so that redirections and pipes apply to built-ins as to programs.

use alloc::string::String;
use core::fmt::Write;

use libos::io::write;

/// Writes all of `bytes` to `fd`; gives up on an error (a closed pipe, a full disk).
pub fn write_all(fd: i32, bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while !rest.is_empty() {
        match write(fd, rest) {
            Ok(0) | Err(_) => return false,
            Ok(count) => rest = &rest[count.min(rest.len())..],
        }
    }
    true
}

/// Formats into one buffer and writes it with one call.
pub fn write_formatted(fd: i32, arguments: core::fmt::Arguments<'_>) -> bool {
    let mut text = String::new();
    let _ = text.write_fmt(arguments);
    write_all(fd, text.as_bytes())
}

/// Prints to standard output.
#[macro_export]
macro_rules! out {
    ($($argument:tt)*) => { $crate::output::write_formatted(1, format_args!($($argument)*)) };
}

/// Prints a line to standard error, prefixed with `sh: `.
#[macro_export]
macro_rules! complain {
    ($($argument:tt)*) => {
        $crate::output::write_formatted(2, format_args!("sh: {}\n", format_args!($($argument)*)))
    };
}
