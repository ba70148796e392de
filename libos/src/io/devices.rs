//! devfs: `/dev/null`, `/dev/zero`, `/dev/full`, `/dev/random`, `/dev/urandom` and
//! `/dev/console`, served in the LibOS (they hold no state another process could need
//! protected; the random generator is per process; the console is this process's own console
//! capability).

use libposix_sys::errno::Errno;

/// A device of devfs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// Reads end of file, writes vanish.
    Null,
    /// Reads zeros, writes vanish.
    Zero,
    /// Reads zeros, writes fail with `ENOSPC`.
    Full,
    /// The terminal: the serial console under the line discipline (`super::terminal`).
    Console,
    /// The process's controlling terminal: the same terminal (Linux numbers it 5,0).
    Tty,
    /// Random bytes from the process's ChaCha20 generator (`crate::random`); writes are mixed in.
    Random,
    /// The same generator (on Linux since 5.6 the two differ only before seeding).
    Urandom,
}

/// The devices, by name under `/dev`.
pub const DEVICES: &[(&str, Device)] = &[
    ("console", Device::Console),
    ("full", Device::Full),
    ("null", Device::Null),
    ("random", Device::Random),
    ("tty", Device::Tty),
    ("urandom", Device::Urandom),
    ("zero", Device::Zero),
];

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
        !self.is_terminal()
    }

    /// Whether it is the terminal (`/dev/console`, `/dev/tty`).
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Console | Self::Tty)
    }

    /// The device number `stat` reports (Linux's: 1,3 null; 1,5 zero; 1,7 full; 1,8 random;
    /// 1,9 urandom; 5,0 tty; 5,1 console).
    #[must_use]
    pub fn device_number(self) -> (u32, u32) {
        match self {
            Self::Null => (1, 3),
            Self::Zero => (1, 5),
            Self::Full => (1, 7),
            Self::Random => (1, 8),
            Self::Urandom => (1, 9),
            Self::Tty => (5, 0),
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
            Self::Random | Self::Urandom => {
                crate::random::fill(buffer);
                Ok(buffer.len())
            }
            Self::Console | Self::Tty => super::terminal::read(buffer, nonblocking),
        }
    }

    /// Writes to the device.
    ///
    /// # Errors
    /// `ENOSPC` for full.
    pub fn write(self, bytes: &[u8]) -> Result<usize, Errno> {
        match self {
            Self::Null | Self::Zero => Ok(bytes.len()),
            Self::Random | Self::Urandom => {
                crate::random::mix(bytes);
                Ok(bytes.len())
            }
            Self::Full => {
                if bytes.is_empty() {
                    Ok(0)
                } else {
                    Err(Errno::ENOSPC)
                }
            }
            Self::Console | Self::Tty => super::terminal::write(bytes),
        }
    }
}
