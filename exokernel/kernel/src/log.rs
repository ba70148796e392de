//! The kernel log: levelled messages on the log port (COM2, or COM1 when there is no COM2).
//!
//! Kept apart from the console so that `cargo xtask run` can hand the user only their
//! program's output.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU8, AtomicU16, Ordering};

use spin::Mutex;

use crate::arch::serial::{COM1, COM2, SerialPort};

/// How important a message is; messages above the configured level are dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 1,
    Warning = 2,
    Information = 3,
    Debug = 4,
    Trace = 5,
}

impl Level {
    /// Parses the `log=` kernel option.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "error" => Some(Self::Error),
            "warn" | "warning" => Some(Self::Warning),
            "info" => Some(Self::Information),
            "debug" => Some(Self::Debug),
            "trace" => Some(Self::Trace),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warn",
            Self::Information => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

static MAXIMUM_LEVEL: AtomicU8 = AtomicU8::new(Level::Information as u8);
static LOG_PORT: Mutex<Option<SerialPort>> = Mutex::new(None);
static LOG_PORT_BASE: AtomicU16 = AtomicU16::new(COM1);

/// Finds the log port.
pub fn initialise() {
    let (base, port) = match SerialPort::probe(COM2) {
        Some(port) => (COM2, Some(port)),
        None => (COM1, SerialPort::probe(COM1)),
    };
    LOG_PORT_BASE.store(base, Ordering::Relaxed);
    *LOG_PORT.lock() = port;
}

/// Sets the most detailed level that is printed.
pub fn set_level(level: Level) {
    MAXIMUM_LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether messages of `level` are printed.
#[must_use]
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAXIMUM_LEVEL.load(Ordering::Relaxed)
}

/// Writes one log line, and records it in the kernel's ring (`log_ring`) when it is at
/// information level or above, whatever is printed. Interrupts are held off so a handler cannot
/// deadlock on the port.
pub fn write(level: Level, arguments: fmt::Arguments<'_>) {
    if level <= Level::Information {
        crate::log_ring::record(level.label(), arguments);
    }
    if !enabled(level) {
        return;
    }
    crate::arch::cpu::without_interrupts(|| {
        if let Some(port) = LOG_PORT.lock().as_mut() {
            let _ = writeln!(port, "[{}] {}", level.label(), arguments);
        }
    });
}

/// Writes a line without taking the lock: for the panic and fatal-exception paths, which may
/// run while the lock is held by the code that failed.
pub fn emergency_write(arguments: fmt::Arguments<'_>) {
    let mut port = match SerialPort::probe(LOG_PORT_BASE.load(Ordering::Relaxed)) {
        Some(port) => port,
        None => return,
    };
    let _ = writeln!(port, "{arguments}");
}

/// Logs at error level.
#[macro_export]
macro_rules! error {
    ($($argument:tt)*) => { $crate::log::write($crate::log::Level::Error, format_args!($($argument)*)) };
}
/// Logs at warning level.
#[macro_export]
macro_rules! warning {
    ($($argument:tt)*) => { $crate::log::write($crate::log::Level::Warning, format_args!($($argument)*)) };
}
/// Logs at information level.
#[macro_export]
macro_rules! info {
    ($($argument:tt)*) => { $crate::log::write($crate::log::Level::Information, format_args!($($argument)*)) };
}
/// Logs at debug level.
#[macro_export]
macro_rules! debug {
    ($($argument:tt)*) => { $crate::log::write($crate::log::Level::Debug, format_args!($($argument)*)) };
}
