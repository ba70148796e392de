//! `poll` descriptors (`struct pollfd`) and the `POLL*` event bits.

/// There is data to read.
pub const POLLIN: i16 = 0x0001;
/// There is urgent data to read.
pub const POLLPRI: i16 = 0x0002;
/// Writing will not block.
pub const POLLOUT: i16 = 0x0004;
/// Error condition (reported whether asked for or not).
pub const POLLERR: i16 = 0x0008;
/// Hang up (reported whether asked for or not).
pub const POLLHUP: i16 = 0x0010;
/// The descriptor is not open (reported whether asked for or not).
pub const POLLNVAL: i16 = 0x0020;
/// Normal data may be read.
pub const POLLRDNORM: i16 = 0x0040;
/// Priority data may be read.
pub const POLLRDBAND: i16 = 0x0080;
/// Normal data may be written.
pub const POLLWRNORM: i16 = 0x0100;
/// Priority data may be written.
pub const POLLWRBAND: i16 = 0x0200;
/// A message is available (unused).
pub const POLLMSG: i16 = 0x0400;
/// Remove from the poll set (unused).
pub const POLLREMOVE: i16 = 0x1000;
/// The peer closed its writing end.
pub const POLLRDHUP: i16 = 0x2000;

/// How many descriptors an `fd_set` holds (`select`).
pub const FD_SETSIZE: usize = 1024;

/// A descriptor set for `select` and `pselect6` (`fd_set`): bit `fd % 64` of word `fd / 64`.
#[doc(alias = "fd_set")]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FdSet {
    /// The bits.
    pub fds_bits: [u64; FD_SETSIZE / 64],
}

impl Default for FdSet {
    fn default() -> Self {
        Self {
            fds_bits: [0; FD_SETSIZE / 64],
        }
    }
}

impl FdSet {
    /// Whether `fd` is in the set (`FD_ISSET`); false outside it.
    #[must_use]
    pub fn contains(&self, fd: usize) -> bool {
        fd < FD_SETSIZE && self.fds_bits[fd / 64] & (1 << (fd % 64)) != 0
    }

    /// Adds `fd` (`FD_SET`); ignored outside the set's range.
    pub fn insert(&mut self, fd: usize) {
        if fd < FD_SETSIZE {
            self.fds_bits[fd / 64] |= 1 << (fd % 64);
        }
    }
}

/// One descriptor to poll (`struct pollfd`).
#[doc(alias = "pollfd")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Pollfd {
    /// The descriptor; a negative one is skipped and gets `revents` 0.
    pub fd: i32,
    /// The events asked for.
    pub events: i16,
    /// The events that happened, filled in by `poll`.
    pub revents: i16,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(
            POLLIN,
            POLLPRI,
            POLLOUT,
            POLLERR,
            POLLHUP,
            POLLNVAL,
            POLLRDNORM,
            POLLRDBAND,
            POLLWRNORM,
            POLLWRBAND,
            POLLRDHUP,
            // uapi asm-generic/poll.h
            POLLMSG = 0x0400,
            POLLREMOVE = 0x1000,
            FD_SETSIZE,
        );
        assert_every_constant_checked(include_str!("poll.rs"), &[checked]);
    }

    #[test]
    fn layout_matches_libc() {
        check_layout!(Pollfd, libc::pollfd, { fd, events, revents });
        assert_eq!(
            core::mem::size_of::<FdSet>(),
            core::mem::size_of::<libc::fd_set>()
        );
        assert_eq!(
            core::mem::align_of::<FdSet>(),
            core::mem::align_of::<libc::fd_set>()
        );
    }
}
