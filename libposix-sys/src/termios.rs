//! Terminal attributes as the `TCGETS`/`TCSETS` ioctls see them (the kernel's `struct termios`) and `struct winsize`.
//!
//! The kernel's `struct termios` has 19 control characters and no speed
//! fields (36 bytes); glibc's user-space `struct termios` is a different,
//! larger structure that glibc converts. Speeds live in `c_cflag` (`CBAUD`).

/// The number of control characters in the kernel's `c_cc`.
pub const NCCS: usize = 19;

/// `c_cc` index: interrupt character (`SIGINT`).
pub const VINTR: usize = 0;
/// `c_cc` index: quit character (`SIGQUIT`).
pub const VQUIT: usize = 1;
/// `c_cc` index: erase character.
pub const VERASE: usize = 2;
/// `c_cc` index: kill-line character.
pub const VKILL: usize = 3;
/// `c_cc` index: end-of-file character.
pub const VEOF: usize = 4;
/// `c_cc` index: non-canonical read timeout in tenths of a second.
pub const VTIME: usize = 5;
/// `c_cc` index: non-canonical read minimum byte count.
pub const VMIN: usize = 6;
/// `c_cc` index: switch character (unused).
pub const VSWTC: usize = 7;
/// `c_cc` index: start (XON) character.
pub const VSTART: usize = 8;
/// `c_cc` index: stop (XOFF) character.
pub const VSTOP: usize = 9;
/// `c_cc` index: suspend character (`SIGTSTP`).
pub const VSUSP: usize = 10;
/// `c_cc` index: additional end-of-line character.
pub const VEOL: usize = 11;
/// `c_cc` index: reprint character.
pub const VREPRINT: usize = 12;
/// `c_cc` index: discard character.
pub const VDISCARD: usize = 13;
/// `c_cc` index: word-erase character.
pub const VWERASE: usize = 14;
/// `c_cc` index: literal-next character.
pub const VLNEXT: usize = 15;
/// `c_cc` index: second additional end-of-line character.
pub const VEOL2: usize = 16;

/// `c_iflag`: ignore break conditions.
pub const IGNBRK: u32 = 0o000001;
/// `c_iflag`: a break flushes the queues and sends `SIGINT`.
pub const BRKINT: u32 = 0o000002;
/// `c_iflag`: ignore framing and parity errors.
pub const IGNPAR: u32 = 0o000004;
/// `c_iflag`: mark parity errors.
pub const PARMRK: u32 = 0o000010;
/// `c_iflag`: check input parity.
pub const INPCK: u32 = 0o000020;
/// `c_iflag`: strip the eighth bit.
pub const ISTRIP: u32 = 0o000040;
/// `c_iflag`: translate NL to CR on input.
pub const INLCR: u32 = 0o000100;
/// `c_iflag`: ignore CR on input.
pub const IGNCR: u32 = 0o000200;
/// `c_iflag`: translate CR to NL on input.
pub const ICRNL: u32 = 0o000400;
/// `c_iflag`: map upper case to lower case on input.
pub const IUCLC: u32 = 0o001000;
/// `c_iflag`: XON/XOFF flow control on output.
pub const IXON: u32 = 0o002000;
/// `c_iflag`: any character restarts stopped output.
pub const IXANY: u32 = 0o004000;
/// `c_iflag`: XON/XOFF flow control on input.
pub const IXOFF: u32 = 0o010000;
/// `c_iflag`: ring the bell when the input queue is full.
pub const IMAXBEL: u32 = 0o020000;
/// `c_iflag`: input is UTF-8 (for character erase in canonical mode).
pub const IUTF8: u32 = 0o040000;

/// `c_oflag`: post-process output.
pub const OPOST: u32 = 0o000001;
/// `c_oflag`: map lower case to upper case on output.
pub const OLCUC: u32 = 0o000002;
/// `c_oflag`: map NL to CR-NL on output.
pub const ONLCR: u32 = 0o000004;
/// `c_oflag`: map CR to NL on output.
pub const OCRNL: u32 = 0o000010;
/// `c_oflag`: no CR output at column 0.
pub const ONOCR: u32 = 0o000020;
/// `c_oflag`: NL performs the CR function.
pub const ONLRET: u32 = 0o000040;
/// `c_oflag`: send fill characters for a delay.
pub const OFILL: u32 = 0o000100;
/// `c_oflag`: the fill character is DEL.
pub const OFDEL: u32 = 0o000200;
/// `c_oflag`: newline delay mask.
pub const NLDLY: u32 = 0o000400;
/// `c_oflag`: carriage-return delay mask.
pub const CRDLY: u32 = 0o003000;
/// `c_oflag`: horizontal-tab delay mask.
pub const TABDLY: u32 = 0o014000;
/// `c_oflag`: expand tabs to spaces (`TAB3`).
pub const XTABS: u32 = 0o014000;
/// `c_oflag`: backspace delay mask.
pub const BSDLY: u32 = 0o020000;
/// `c_oflag`: vertical-tab delay mask.
pub const VTDLY: u32 = 0o040000;
/// `c_oflag`: form-feed delay mask.
pub const FFDLY: u32 = 0o100000;

/// `c_cflag`: mask of the baud rate.
pub const CBAUD: u32 = 0o010017;
/// `c_cflag`: hang up.
pub const B0: u32 = 0o000000;
/// `c_cflag`: 50 baud.
pub const B50: u32 = 0o000001;
/// `c_cflag`: 75 baud.
pub const B75: u32 = 0o000002;
/// `c_cflag`: 110 baud.
pub const B110: u32 = 0o000003;
/// `c_cflag`: 134.5 baud.
pub const B134: u32 = 0o000004;
/// `c_cflag`: 150 baud.
pub const B150: u32 = 0o000005;
/// `c_cflag`: 200 baud.
pub const B200: u32 = 0o000006;
/// `c_cflag`: 300 baud.
pub const B300: u32 = 0o000007;
/// `c_cflag`: 600 baud.
pub const B600: u32 = 0o000010;
/// `c_cflag`: 1200 baud.
pub const B1200: u32 = 0o000011;
/// `c_cflag`: 1800 baud.
pub const B1800: u32 = 0o000012;
/// `c_cflag`: 2400 baud.
pub const B2400: u32 = 0o000013;
/// `c_cflag`: 4800 baud.
pub const B4800: u32 = 0o000014;
/// `c_cflag`: 9600 baud.
pub const B9600: u32 = 0o000015;
/// `c_cflag`: 19200 baud.
pub const B19200: u32 = 0o000016;
/// `c_cflag`: 38400 baud.
pub const B38400: u32 = 0o000017;
/// `c_cflag`: the speed is in `c_ispeed`/`c_ospeed` of `termios2`.
pub const BOTHER: u32 = 0o010000;
/// `c_cflag`: 57600 baud.
pub const B57600: u32 = 0o010001;
/// `c_cflag`: 115200 baud.
pub const B115200: u32 = 0o010002;
/// `c_cflag`: 230400 baud.
pub const B230400: u32 = 0o010003;
/// `c_cflag`: 460800 baud.
pub const B460800: u32 = 0o010004;
/// `c_cflag`: 500000 baud.
pub const B500000: u32 = 0o010005;
/// `c_cflag`: 576000 baud.
pub const B576000: u32 = 0o010006;
/// `c_cflag`: 921600 baud.
pub const B921600: u32 = 0o010007;
/// `c_cflag`: 1000000 baud.
pub const B1000000: u32 = 0o010010;
/// `c_cflag`: 1152000 baud.
pub const B1152000: u32 = 0o010011;
/// `c_cflag`: 1500000 baud.
pub const B1500000: u32 = 0o010012;
/// `c_cflag`: 2000000 baud.
pub const B2000000: u32 = 0o010013;
/// `c_cflag`: 2500000 baud.
pub const B2500000: u32 = 0o010014;
/// `c_cflag`: 3000000 baud.
pub const B3000000: u32 = 0o010015;
/// `c_cflag`: 3500000 baud.
pub const B3500000: u32 = 0o010016;
/// `c_cflag`: 4000000 baud.
pub const B4000000: u32 = 0o010017;
/// `c_cflag`: mask of the character size.
pub const CSIZE: u32 = 0o000060;
/// `c_cflag`: 5-bit characters.
pub const CS5: u32 = 0o000000;
/// `c_cflag`: 6-bit characters.
pub const CS6: u32 = 0o000020;
/// `c_cflag`: 7-bit characters.
pub const CS7: u32 = 0o000040;
/// `c_cflag`: 8-bit characters.
pub const CS8: u32 = 0o000060;
/// `c_cflag`: two stop bits.
pub const CSTOPB: u32 = 0o000100;
/// `c_cflag`: enable the receiver.
pub const CREAD: u32 = 0o000200;
/// `c_cflag`: parity generation and checking.
pub const PARENB: u32 = 0o000400;
/// `c_cflag`: odd parity.
pub const PARODD: u32 = 0o001000;
/// `c_cflag`: hang up on last close.
pub const HUPCL: u32 = 0o002000;
/// `c_cflag`: ignore modem control lines.
pub const CLOCAL: u32 = 0o004000;
/// `c_cflag`: mask of the input baud rate (when it differs from the output rate).
pub const CIBAUD: u32 = 0o02003600000;
/// `c_cflag`: mark or space (stick) parity.
pub const CMSPAR: u32 = 0o10000000000;
/// `c_cflag`: RTS/CTS hardware flow control.
pub const CRTSCTS: u32 = 0o20000000000;

/// `c_lflag`: generate signals for INTR, QUIT, SUSP and DSUSP.
pub const ISIG: u32 = 0o000001;
/// `c_lflag`: canonical (line-by-line) input.
pub const ICANON: u32 = 0o000002;
/// `c_lflag`: upper-case terminal (unused).
pub const XCASE: u32 = 0o000004;
/// `c_lflag`: echo input.
pub const ECHO: u32 = 0o000010;
/// `c_lflag`: ERASE erases the previous character on screen.
pub const ECHOE: u32 = 0o000020;
/// `c_lflag`: KILL erases the line.
pub const ECHOK: u32 = 0o000040;
/// `c_lflag`: echo NL even without `ECHO`.
pub const ECHONL: u32 = 0o000100;
/// `c_lflag`: do not flush the queues on INTR, QUIT and SUSP.
pub const NOFLSH: u32 = 0o000200;
/// `c_lflag`: background writes send `SIGTTOU`.
pub const TOSTOP: u32 = 0o000400;
/// `c_lflag`: echo control characters as `^X`.
pub const ECHOCTL: u32 = 0o001000;
/// `c_lflag`: print erased characters between `\` and `/`.
pub const ECHOPRT: u32 = 0o002000;
/// `c_lflag`: KILL erases each character of the line.
pub const ECHOKE: u32 = 0o004000;
/// `c_lflag`: output is being flushed.
pub const FLUSHO: u32 = 0o010000;
/// `c_lflag`: reprint pending input at the next read.
pub const PENDIN: u32 = 0o040000;
/// `c_lflag`: implementation-defined input processing (LNEXT, WERASE, …).
pub const IEXTEN: u32 = 0o100000;
/// `c_lflag`: external processing (pseudo-terminal packet mode).
pub const EXTPROC: u32 = 0o200000;

/// `tcsetattr`: change now (`TCSETS`).
pub const TCSANOW: i32 = 0;
/// `tcsetattr`: change after output drains (`TCSETSW`).
pub const TCSADRAIN: i32 = 1;
/// `tcsetattr`: change after output drains, discarding input (`TCSETSF`).
pub const TCSAFLUSH: i32 = 2;
/// `TCFLSH`: flush received data.
pub const TCIFLUSH: i32 = 0;
/// `TCFLSH`: flush written, untransmitted data.
pub const TCOFLUSH: i32 = 1;
/// `TCFLSH`: flush both.
pub const TCIOFLUSH: i32 = 2;
/// `TCXONC`: suspend output.
pub const TCOOFF: i32 = 0;
/// `TCXONC`: resume output.
pub const TCOON: i32 = 1;
/// `TCXONC`: send STOP.
pub const TCIOFF: i32 = 2;
/// `TCXONC`: send START.
pub const TCION: i32 = 3;

/// Terminal attributes as the kernel's `TCGETS`/`TCSETS` read and write them (36 bytes).
#[doc(alias = "termios")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Termios {
    /// Input modes.
    pub c_iflag: u32,
    /// Output modes.
    pub c_oflag: u32,
    /// Control modes, the baud rate included.
    pub c_cflag: u32,
    /// Local modes.
    pub c_lflag: u32,
    /// Line discipline (0, `N_TTY`).
    pub c_line: u8,
    /// Control characters, indexed by `V*`.
    pub c_cc: [u8; NCCS],
}

impl Termios {
    /// The attributes Linux gives a new console terminal (`tty_std_termios`): canonical
    /// mode with echo and signals, CR→NL on input, NL→CR-NL on output, 38400 baud, 8 bits.
    pub const fn linux_default() -> Self {
        Termios {
            c_iflag: ICRNL | IXON,
            c_oflag: OPOST | ONLCR,
            c_cflag: B38400 | CS8 | CREAD | HUPCL,
            c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            c_line: 0,
            // INIT_C_CC: ^C ^\ DEL ^U ^D 0 1 0 ^Q ^S ^Z 0 ^R ^O ^W ^V 0, then unused.
            c_cc: [
                0o003, 0o034, 0o177, 0o025, 0o004, 0, 1, 0, 0o021, 0o023, 0o032, 0, 0o022, 0o017,
                0o027, 0o026, 0, 0, 0,
            ],
        }
    }
}

/// A terminal's size (`struct winsize`), for `TIOCGWINSZ` and `TIOCSWINSZ`.
#[doc(alias = "winsize")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Winsize {
    /// Rows, in characters.
    pub ws_row: u16,
    /// Columns, in characters.
    pub ws_col: u16,
    /// Width in pixels (unused).
    pub ws_xpixel: u16,
    /// Height in pixels (unused).
    pub ws_ypixel: u16,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};
    use core::mem::{offset_of, size_of};

    #[test]
    fn constants_match_libc() {
        let indices = check_constants!(
            VINTR,
            VQUIT,
            VERASE,
            VKILL,
            VEOF,
            VTIME,
            VMIN,
            VSWTC,
            VSTART,
            VSTOP,
            VSUSP,
            VEOL,
            VREPRINT,
            VDISCARD,
            VWERASE,
            VLNEXT,
            VEOL2,
            // uapi asm-generic/termbits.h; glibc's user-space NCCS is 32.
            NCCS = 19,
        );
        let input = check_constants!(
            IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP, INLCR, IGNCR, ICRNL, IUCLC, IXON, IXANY,
            IXOFF, IMAXBEL, IUTF8,
        );
        let output = check_constants!(
            OPOST, OLCUC, ONLCR, OCRNL, ONOCR, ONLRET, OFILL, OFDEL, NLDLY, CRDLY, TABDLY, XTABS,
            BSDLY, VTDLY, FFDLY,
        );
        let control = check_constants!(
            CBAUD, B0, B50, B75, B110, B134, B150, B200, B300, B600, B1200, B1800, B2400, B4800,
            B9600, B19200, B38400, BOTHER, B57600, B115200, B230400, B460800, B500000, B576000,
            B921600, B1000000, B1152000, B1500000, B2000000, B2500000, B3000000, B3500000,
            B4000000, CSIZE, CS5, CS6, CS7, CS8, CSTOPB, CREAD, PARENB, PARODD, HUPCL, CLOCAL,
            CIBAUD, CMSPAR, CRTSCTS,
        );
        let local = check_constants!(
            ISIG, ICANON, XCASE, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, TOSTOP, ECHOCTL, ECHOPRT,
            ECHOKE, FLUSHO, PENDIN, IEXTEN, EXTPROC,
        );
        let actions = check_constants!(
            TCSANOW, TCSADRAIN, TCSAFLUSH, TCIFLUSH, TCOFLUSH, TCIOFLUSH, TCOOFF, TCOON, TCIOFF,
            TCION,
        );
        assert_every_constant_checked(
            include_str!("termios.rs"),
            &[indices, input, output, control, local, actions],
        );
    }

    /// The kernel's `struct termios` is the prefix of `struct termios2` before the speeds.
    #[test]
    fn layout_is_the_kernel_termios2_prefix() {
        assert_eq!(size_of::<Termios>(), offset_of!(libc::termios2, c_ispeed));
        assert_eq!(size_of::<Termios>(), 36);
        assert_eq!(
            offset_of!(Termios, c_iflag),
            offset_of!(libc::termios2, c_iflag)
        );
        assert_eq!(
            offset_of!(Termios, c_oflag),
            offset_of!(libc::termios2, c_oflag)
        );
        assert_eq!(
            offset_of!(Termios, c_cflag),
            offset_of!(libc::termios2, c_cflag)
        );
        assert_eq!(
            offset_of!(Termios, c_lflag),
            offset_of!(libc::termios2, c_lflag)
        );
        assert_eq!(
            offset_of!(Termios, c_line),
            offset_of!(libc::termios2, c_line)
        );
        assert_eq!(offset_of!(Termios, c_cc), offset_of!(libc::termios2, c_cc));
        assert_eq!(
            core::mem::align_of::<Termios>(),
            core::mem::align_of::<libc::termios2>()
        );
    }

    #[test]
    fn winsize_layout_matches_libc() {
        check_layout!(Winsize, libc::winsize, { ws_row, ws_col, ws_xpixel, ws_ypixel });
    }

    #[test]
    fn linux_default_is_cooked_mode() {
        let default = Termios::linux_default();
        assert_eq!(default.c_cc[VINTR], 3);
        assert_eq!(default.c_cc[VERASE], 0x7f);
        assert_eq!(default.c_cc[VMIN], 1);
        assert_eq!(default.c_cflag & CBAUD, B38400);
        assert_ne!(default.c_lflag & ICANON, 0);
    }
}
