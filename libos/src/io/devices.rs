//! devfs: `/dev/null`, `/dev/zero`, `/dev/full` and `/dev/console`, served in the LibOS (they
//! hold no state another process could need protected; the console is this process's own
//! console capability).

use exokernel_abi::{Call, KernelError, ObjectKind, Slot, UserAddress, initial};
use libposix_sys::errno::Errno;

use crate::kernel::call;

/// A device of devfs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// Reads end of file, writes vanish.
    Null,
    /// Reads zeros, writes vanish.
    Zero,
    /// Reads zeros, writes fail with `ENOSPC`.
    Full,
    /// The serial console (the terminal until a line discipline exists).
    Console,
}

/// The devices, by name under `/dev`.
pub const DEVICES: &[(&str, Device)] = &[
    ("console", Device::Console),
    ("full", Device::Full),
    ("null", Device::Null),
    ("tty", Device::Console),
    ("zero", Device::Zero),
];

/// How long a blocked console read waits before binding console input to itself again: the
/// kernel tells one binder, the latest, so a reader that another process displaced picks the
/// input up again within this time. A reader that holds the binding wakes at once.
const CONSOLE_RECHECK_NANOSECONDS: u64 = 1_000_000_000;

/// This process's notification for console input, created on the first blocking read.
static CONSOLE_INPUT: spin::Mutex<Option<Slot>> = spin::Mutex::new(None);

impl Device {
    /// The device called `name` in `/dev`.
    #[must_use]
    pub fn named(name: &str) -> Option<Self> {
        DEVICES
            .iter()
            .find(|(device_name, _)| *device_name == name)
            .map(|&(_, device)| device)
    }

    /// Whether it has an offset: null, zero and full do (always 0), a terminal does not.
    #[must_use]
    pub fn seekable(self) -> bool {
        self != Self::Console
    }

    /// The device number `stat` reports (Linux's: 1,3 null; 1,5 zero; 1,7 full; 5,1 console).
    #[must_use]
    pub fn device_number(self) -> (u32, u32) {
        match self {
            Self::Null => (1, 3),
            Self::Zero => (1, 5),
            Self::Full => (1, 7),
            Self::Console => (5, 1),
        }
    }

    /// Reads from the device.
    ///
    /// # Errors
    /// `EAGAIN` (console, nonblocking, nothing typed), `EIO`.
    pub fn read(self, buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        match self {
            Self::Null => Ok(0),
            Self::Zero | Self::Full => {
                buffer.fill(0);
                Ok(buffer.len())
            }
            Self::Console => read_console(buffer, nonblocking),
        }
    }

    /// Writes to the device.
    ///
    /// # Errors
    /// `ENOSPC` for full.
    pub fn write(self, bytes: &[u8]) -> Result<usize, Errno> {
        match self {
            Self::Null | Self::Zero => Ok(bytes.len()),
            Self::Full => {
                if bytes.is_empty() {
                    Ok(0)
                } else {
                    Err(Errno::ENOSPC)
                }
            }
            Self::Console => {
                crate::console::write_bytes(bytes);
                Ok(bytes.len())
            }
        }
    }
}

fn read_console(buffer: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
    if buffer.is_empty() {
        return Ok(0);
    }
    loop {
        let count = read_console_now(buffer)?;
        if count > 0 {
            return Ok(count);
        }
        if nonblocking {
            return Err(Errno::EAGAIN);
        }
        wait_for_console_input()?;
    }
}

/// The bytes that have arrived, without waiting (one kernel call).
fn read_console_now(buffer: &mut [u8]) -> Result<usize, Errno> {
    let words = call(Call::ConsoleRead {
        console: initial::CONSOLE,
        buffer: UserAddress(buffer.as_mut_ptr() as u64),
        length: buffer.len() as u64,
    })
    .map_err(|_| Errno::EIO)?;
    Ok((words[0] as usize).min(buffer.len()))
}

/// Blocks until console input arrives (the kernel signals the notification bound with
/// `ConsoleNotify`; binding again before each wait costs one call, only when about to block).
fn wait_for_console_input() -> Result<(), Errno> {
    let notification = console_input_notification()?;
    call(Call::ConsoleNotify {
        console: initial::CONSOLE,
        notification,
        bits: 1,
    })
    .map_err(|_| Errno::EIO)?;
    match call(Call::NotificationWait {
        notification,
        timeout: CONSOLE_RECHECK_NANOSECONDS,
    }) {
        Ok(_) | Err(KernelError::TimedOut) => Ok(()),
        Err(KernelError::Interrupted) => Err(Errno::EINTR),
        Err(_) => Err(Errno::EIO),
    }
}

/// The notification console input signals, created once per process. A fork child that
/// inherited the slot empty (or anything else that broke it) gets a new one.
fn console_input_notification() -> Result<Slot, Errno> {
    let mut held = CONSOLE_INPUT.lock();
    if let Some(slot) = *held {
        let identity = call(Call::CapabilityIdentify { slot });
        if matches!(identity, Ok(words) if words[0] == ObjectKind::Notification as u64) {
            return Ok(slot);
        }
        let _ = call(Call::CapabilityDelete { slot });
        crate::slots::free(slot);
        *held = None;
    }
    let slot = crate::slots::allocate().ok_or(Errno::EMFILE)?;
    if let Err(error) = call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: slot,
    }) {
        crate::slots::free(slot);
        return Err(match error {
            KernelError::QuotaExhausted | KernelError::OutOfMemory => Errno::ENOMEM,
            _ => Errno::EIO,
        });
    }
    *held = Some(slot);
    Ok(slot)
}
