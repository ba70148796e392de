//! devfs: `/dev/null`, `/dev/zero`, `/dev/full` and `/dev/console`, served in the LibOS (they
//! hold no state another process could need protected; the console is this process's own
//! console capability).

use exokernel_abi::{Call, UserAddress, initial};
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

/// How long a blocking console read sleeps between polls of the serial port (the kernel's
/// console has no interrupt-driven wait yet).
const CONSOLE_POLL_NANOSECONDS: u64 = 10_000_000;

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
        let words = call(Call::ConsoleRead {
            console: initial::CONSOLE,
            buffer: UserAddress(buffer.as_mut_ptr() as u64),
            length: buffer.len() as u64,
        })
        .map_err(|_| Errno::EIO)?;
        let count = (words[0] as usize).min(buffer.len());
        if count > 0 {
            return Ok(count);
        }
        if nonblocking {
            return Err(Errno::EAGAIN);
        }
        // Sleep on a private futex word nobody wakes: a timed wait.
        let word = 0u32;
        let epoch = crate::signal::delivery::Epoch::now();
        match call(Call::FutexWait {
            address: UserAddress(core::ptr::from_ref(&word) as u64),
            expected: 0,
            timeout: CONSOLE_POLL_NANOSECONDS,
        }) {
            Ok(_) | Err(exokernel_abi::KernelError::TimedOut) => {}
            Err(exokernel_abi::KernelError::Interrupted) => {
                crate::signal::delivery::deliver_pending();
                if epoch.must_interrupt() {
                    return Err(Errno::EINTR);
                }
            }
            Err(_) => return Err(Errno::EIO),
        }
    }
}
