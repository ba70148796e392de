//! The console (COM1): program output, and the machine-readable test lines.

use core::fmt::{self, Write};

use spin::Mutex;

use crate::arch::serial::{COM1, SerialPort};

static CONSOLE: Mutex<Option<SerialPort>> = Mutex::new(None);

/// Finds the console port.
pub fn initialise() {
    *CONSOLE.lock() = SerialPort::probe(COM1);
}

/// Writes formatted text to the console.
pub fn write_formatted(arguments: fmt::Arguments<'_>) {
    crate::arch::cpu::without_interrupts(|| {
        if let Some(port) = CONSOLE.lock().as_mut() {
            let _ = port.write_fmt(arguments);
        }
    });
}

/// Writes raw bytes to the console, translating `\n` to `\r\n`.
pub fn write_bytes(bytes: &[u8]) {
    crate::arch::cpu::without_interrupts(|| {
        if let Some(port) = CONSOLE.lock().as_mut() {
            for &byte in bytes {
                if byte == b'\n' {
                    port.write_byte(b'\r');
                }
                port.write_byte(byte);
            }
        }
    });
}

/// Reads a byte from the console, if one is waiting.
#[must_use]
pub fn try_read_byte() -> Option<u8> {
    crate::arch::cpu::without_interrupts(|| {
        CONSOLE.lock().as_ref().and_then(SerialPort::try_read_byte)
    })
}

/// Prints a line on the console.
#[macro_export]
macro_rules! console_line {
    ($($argument:tt)*) => {
        $crate::console::write_formatted(format_args!("{}\n", format_args!($($argument)*)))
    };
}
