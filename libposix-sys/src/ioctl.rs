//! `ioctl` request numbers for terminals and descriptors (`TCGETS`, `TIOCGWINSZ`, `FIONREAD`, …) and the `_IOC` encoding.
//!
//! The x86 terminal requests are the legacy `0x54xx` numbers; newer requests
//! encode direction, size, type and number with `_IOC`. The type is `u32`,
//! the kernel's `unsigned int cmd`.
#![allow(non_snake_case)]

/// `_IOC` direction: no data.
pub const _IOC_NONE: u32 = 0;
/// `_IOC` direction: user space writes, the kernel reads.
pub const _IOC_WRITE: u32 = 1;
/// `_IOC` direction: the kernel writes, user space reads.
pub const _IOC_READ: u32 = 2;

/// Encodes a request from its direction, type (a character), number and argument size.
pub const fn _IOC(direction: u32, request_type: u32, number: u32, size: usize) -> u32 {
    (direction << 30) | ((size as u32 & 0x3fff) << 16) | (request_type << 8) | number
}

/// A request without an argument.
pub const fn _IO(request_type: u32, number: u32) -> u32 {
    _IOC(_IOC_NONE, request_type, number, 0)
}

/// A request whose argument of `size` bytes the kernel writes.
pub const fn _IOR(request_type: u32, number: u32, size: usize) -> u32 {
    _IOC(_IOC_READ, request_type, number, size)
}

/// A request whose argument of `size` bytes the kernel reads.
pub const fn _IOW(request_type: u32, number: u32, size: usize) -> u32 {
    _IOC(_IOC_WRITE, request_type, number, size)
}

/// A request whose argument of `size` bytes the kernel reads and writes.
pub const fn _IOWR(request_type: u32, number: u32, size: usize) -> u32 {
    _IOC(_IOC_READ | _IOC_WRITE, request_type, number, size)
}

/// Read the terminal attributes into a kernel `termios`.
pub const TCGETS: u32 = 0x5401;
/// Set the terminal attributes now.
pub const TCSETS: u32 = 0x5402;
/// Set the terminal attributes after output drains.
pub const TCSETSW: u32 = 0x5403;
/// Set the terminal attributes after output drains, discarding input.
pub const TCSETSF: u32 = 0x5404;
/// Send a break (argument 0) or drain output (non-zero), as `tcdrain` uses it.
pub const TCSBRK: u32 = 0x5409;
/// Flow control (`TCOOFF`, `TCOON`, `TCIOFF`, `TCION`).
pub const TCXONC: u32 = 0x540A;
/// Flush queues (`TCIFLUSH`, `TCOFLUSH`, `TCIOFLUSH`).
pub const TCFLSH: u32 = 0x540B;
/// Exclusive mode: further opens fail with `EBUSY`.
pub const TIOCEXCL: u32 = 0x540C;
/// Leave exclusive mode.
pub const TIOCNXCL: u32 = 0x540D;
/// Make the terminal the controlling terminal of the calling session leader.
pub const TIOCSCTTY: u32 = 0x540E;
/// Read the foreground process group.
pub const TIOCGPGRP: u32 = 0x540F;
/// Set the foreground process group.
pub const TIOCSPGRP: u32 = 0x5410;
/// Bytes in the output queue.
pub const TIOCOUTQ: u32 = 0x5411;
/// Insert a byte into the input queue.
pub const TIOCSTI: u32 = 0x5412;
/// Read the window size.
pub const TIOCGWINSZ: u32 = 0x5413;
/// Set the window size (sends `SIGWINCH` to the foreground group).
pub const TIOCSWINSZ: u32 = 0x5414;
/// Read the modem bits.
pub const TIOCMGET: u32 = 0x5415;
/// Set the given modem bits.
pub const TIOCMBIS: u32 = 0x5416;
/// Clear the given modem bits.
pub const TIOCMBIC: u32 = 0x5417;
/// Set the modem bits.
pub const TIOCMSET: u32 = 0x5418;
/// Read the software carrier flag.
pub const TIOCGSOFTCAR: u32 = 0x5419;
/// Set the software carrier flag.
pub const TIOCSSOFTCAR: u32 = 0x541A;
/// Bytes in the input queue (also for pipes and sockets).
pub const FIONREAD: u32 = 0x541B;
/// Terminal name of `FIONREAD`.
pub const TIOCINQ: u32 = FIONREAD;
/// Linux console subcodes.
pub const TIOCLINUX: u32 = 0x541C;
/// Redirect console output to this terminal.
pub const TIOCCONS: u32 = 0x541D;
/// Read serial-port settings.
pub const TIOCGSERIAL: u32 = 0x541E;
/// Set serial-port settings.
pub const TIOCSSERIAL: u32 = 0x541F;
/// Pseudo-terminal packet mode.
pub const TIOCPKT: u32 = 0x5420;
/// Set or clear non-blocking mode (`O_NONBLOCK`).
pub const FIONBIO: u32 = 0x5421;
/// Give up the controlling terminal.
pub const TIOCNOTTY: u32 = 0x5422;
/// Set the line discipline.
pub const TIOCSETD: u32 = 0x5423;
/// Read the line discipline.
pub const TIOCGETD: u32 = 0x5424;
/// POSIX `tcsendbreak` with a duration.
pub const TCSBRKP: u32 = 0x5425;
/// Start sending a break.
pub const TIOCSBRK: u32 = 0x5427;
/// Stop sending a break.
pub const TIOCCBRK: u32 = 0x5428;
/// Read the session ID of the terminal.
pub const TIOCGSID: u32 = 0x5429;
/// Read the terminal attributes into a `termios2` (with arbitrary speeds).
pub const TCGETS2: u32 = _IOR(b'T' as u32, 0x2A, 44);
/// Set the attributes from a `termios2` now.
pub const TCSETS2: u32 = _IOW(b'T' as u32, 0x2B, 44);
/// Set the attributes from a `termios2` after output drains.
pub const TCSETSW2: u32 = _IOW(b'T' as u32, 0x2C, 44);
/// Set the attributes from a `termios2` after output drains, discarding input.
pub const TCSETSF2: u32 = _IOW(b'T' as u32, 0x2D, 44);
/// Read the pseudo-terminal number of a master (`ptsname`).
pub const TIOCGPTN: u32 = _IOR(b'T' as u32, 0x30, 4);
/// Lock or unlock a pseudo-terminal slave (`unlockpt`).
pub const TIOCSPTLCK: u32 = _IOW(b'T' as u32, 0x31, 4);
/// Read the device number of the real console behind this terminal.
pub const TIOCGDEV: u32 = _IOR(b'T' as u32, 0x32, 4);
/// Open the slave of a pseudo-terminal master, returning a descriptor.
pub const TIOCGPTPEER: u32 = _IO(b'T' as u32, 0x41);
/// Clear `FD_CLOEXEC`.
pub const FIONCLEX: u32 = 0x5450;
/// Set `FD_CLOEXEC`.
pub const FIOCLEX: u32 = 0x5451;
/// Set or clear `O_ASYNC`.
pub const FIOASYNC: u32 = 0x5452;
/// Size of the file or directory (`loff_t`).
pub const FIOQSIZE: u32 = 0x5460;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let encoding = check_constants!(
            // uapi asm-generic/ioctl.h
            _IOC_NONE = 0,
            _IOC_WRITE = 1,
            _IOC_READ = 2,
        );
        let terminal = check_constants!(
            TCGETS,
            TCSETS,
            TCSETSW,
            TCSETSF,
            TCSBRK,
            TCXONC,
            TCFLSH,
            TIOCEXCL,
            TIOCNXCL,
            TIOCSCTTY,
            TIOCGPGRP,
            TIOCSPGRP,
            TIOCOUTQ,
            TIOCSTI,
            TIOCGWINSZ,
            TIOCSWINSZ,
            TIOCMGET,
            TIOCMBIS,
            TIOCMBIC,
            TIOCMSET,
            TIOCGSOFTCAR,
            TIOCSSOFTCAR,
            FIONREAD,
            TIOCINQ,
            TIOCLINUX,
            TIOCCONS,
            TIOCGSERIAL,
            TIOCSSERIAL,
            TIOCPKT,
            FIONBIO,
            TIOCNOTTY,
            TIOCSETD,
            TIOCGETD,
            TCSBRKP,
            TIOCSBRK,
            TIOCCBRK,
            TIOCGSID,
            TCGETS2,
            TCSETS2,
            TCSETSW2,
            TCSETSF2,
            TIOCGPTN,
            TIOCSPTLCK,
            TIOCGDEV,
            TIOCGPTPEER,
            FIONCLEX,
            FIOCLEX,
            FIOASYNC,
            FIOQSIZE,
        );
        assert_every_constant_checked(include_str!("ioctl.rs"), &[encoding, terminal]);
    }

    #[test]
    fn request_encoding_matches_libc() {
        let size = core::mem::size_of::<libc::termios2>();
        assert_eq!(TCGETS2, _IOR(b'T' as u32, 0x2A, size));
        assert_eq!(_IOR(b'f' as u32, 1, 8), libc::FS_IOC_GETFLAGS as u32);
        assert_eq!(_IOW(b'f' as u32, 2, 8), libc::FS_IOC_SETFLAGS as u32);
        assert_eq!(_IOWR(b'T' as u32, 1, 8), 0xC008_5401);
    }
}
