//! The console (COM1): program output, and the machine-readable test lines.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};

use spin::Mutex;

use crate::arch::serial::{COM1, SerialPort};

static CONSOLE: Mutex<Option<SerialPort>> = Mutex::new(None);

/// Set by the receive interrupt, taken by [`take_input_interrupt`] under the kernel lock.
static INPUT_INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Whether the receive interrupt is routed; without it the timer tick checks for input.
static INPUT_INTERRUPT_ENABLED: AtomicBool = AtomicBool::new(false);

/// Routes the console's receive interrupt through the I/O APIC to `vector`. Returns whether it
/// is on (no I/O APIC, or no console: input is then noticed on timer ticks).
pub fn enable_input_interrupt(vector: u8) -> bool {
    crate::arch::cpu::without_interrupts(|| {
        let console = CONSOLE.lock();
        let Some(port) = console.as_ref() else {
            return false;
        };
        let Some(pins) = crate::arch::io_apic::initialise() else {
            return false;
        };
        if !crate::arch::io_apic::route(COM1_INTERRUPT_PIN, vector, pins) {
            return false;
        }
        port.enable_receive_interrupt();
        INPUT_INTERRUPT_ENABLED.store(true, Ordering::Relaxed);
        true
    })
}

/// ISA IRQ 4, COM1's line.
const COM1_INTERRUPT_PIN: u32 = 4;

/// The receive interrupt fired: input is waiting (or was, and a reader took it).
pub fn note_input_interrupt() {
    INPUT_INTERRUPTED.store(true, Ordering::Release);
}

/// Whether input arrived since the last call: the receive interrupt fired, or — when it is not
/// routed — the port has a byte waiting.
#[must_use]
pub fn take_input_interrupt() -> bool {
    if INPUT_INTERRUPT_ENABLED.load(Ordering::Relaxed) {
        INPUT_INTERRUPTED.swap(false, Ordering::Acquire)
    } else {
        has_input()
    }
}

/// Whether a received byte is waiting at the port.
#[must_use]
pub fn has_input() -> bool {
    crate::arch::cpu::without_interrupts(|| {
        CONSOLE.lock().as_ref().is_some_and(SerialPort::has_input)
    })
}

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

/// Writes bytes to the console as they are: turning `\n` into `\r\n` is the terminal's output
/// processing (`OPOST`/`ONLCR`), which the LibOS applies.
pub fn write_bytes(bytes: &[u8]) {
    crate::arch::cpu::without_interrupts(|| {
        if let Some(port) = CONSOLE.lock().as_mut() {
            for &byte in bytes {
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
