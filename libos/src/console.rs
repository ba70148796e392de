//! Console output over the console capability, and `print!`/`println!`.
//!
//! The kernel writes bytes as they are; [`write_bytes`] turns `\n` into `\r\n` as a terminal
//! with `OPOST` and `ONLCR` does (`print!` always does; writes to the terminal's descriptors
//! follow its settings, `crate::io::terminal`), and [`write_raw`] sends bytes unchanged.

use core::fmt::{self, Write};

use exokernel_abi::{Call, UserAddress, initial};

use crate::kernel::call;

/// Writes bytes to the console, each `\n` as `\r\n`.
pub fn write_bytes(bytes: &[u8]) {
    let mut translated = heapless::Vec::<u8, 1024>::new();
    for &byte in bytes {
        if translated.len() + 2 > translated.capacity() {
            write_raw(&translated);
            translated.clear();
        }
        if byte == b'\n' {
            let _ = translated.push(b'\r');
        }
        let _ = translated.push(byte);
    }
    write_raw(&translated);
}

/// Writes bytes to the console unchanged.
pub fn write_raw(bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let result = call(Call::ConsoleWrite {
            console: initial::CONSOLE,
            buffer: UserAddress(rest.as_ptr() as u64),
            length: rest.len() as u64,
        });
        match result {
            Ok(words) if words[0] > 0 => rest = &rest[(words[0] as usize).min(rest.len())..],
            _ => return,
        }
    }
}

/// Collects formatted text into a buffer so a line costs one kernel call.
struct LineWriter {
    buffer: heapless::Vec<u8, 512>,
}

impl Write for LineWriter {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for &byte in text.as_bytes() {
            if self.buffer.push(byte).is_err() {
                write_bytes(&self.buffer);
                self.buffer.clear();
                let _ = self.buffer.push(byte);
            }
        }
        Ok(())
    }
}

/// Prints formatted text.
pub fn print(arguments: fmt::Arguments<'_>) {
    let mut writer = LineWriter {
        buffer: heapless::Vec::new(),
    };
    let _ = writer.write_fmt(arguments);
    write_bytes(&writer.buffer);
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($argument:tt)*) => { $crate::console::print(format_args!($($argument)*)) };
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    () => { $crate::console::print(format_args!("\n")) };
    ($($argument:tt)*) => { $crate::console::print(format_args!("{}\n", format_args!($($argument)*))) };
}
