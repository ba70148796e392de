//! The terminal server's IPC protocol (`apps/tty-server`, docs/files.md "The terminal"):
//! operation numbers in word 0 of a call, results in word 0 of the reply (0 or a positive Linux
//! errno). A client is known only by the badge of its capability at
//! [`crate::well_known_slots::TERMINAL_SERVER`], which the process server mints for it: its pid.
//!
//! Each client first hands the server one page of its own ([`CONNECT`]); a read's bytes and
//! the attributes of `tcgetattr`/`tcsetattr` pass through it, so reading a line is one call.

use exokernel_abi::Slot;

/// The server's endpoint in its own space; a client's badged SEND capability in a client's.
pub const TERMINAL_SERVER: Slot = crate::well_known_slots::TERMINAL_SERVER;

/// Hands the server the client's buffer page (a one-page frame with READ, WRITE and MAP,
/// transferred), replacing the one it had. Reply `[0, 0, 0]` with a read-only capability to
/// the settings page (below); `EINVAL`, `ENOMEM`.
pub const CONNECT: u64 = 1;
/// Reads: word 1 the most bytes wanted (at most [`BUFFER_BYTES`]) with [`NONBLOCKING`] or'ed
/// in, word 2 the monotonic time the read began (for `VTIME`). Reply `[0, count, 0]` with the
/// bytes at the start of the buffer page (0: end of file); `[EAGAIN, nanoseconds, 0]` when the
/// read must wait — for input, or at most `nanoseconds` when not 0 (`VTIME`); `EINTR` (a
/// background reader: `SIGTTIN` was sent), `EIO`, `ENOTCONN` (no buffer page).
pub const READ: u64 = 2;
/// Or'ed into word 1 of [`READ`]: never answer `EAGAIN` with a time to wait.
pub const NONBLOCKING: u64 = 1 << 32;
/// Asks the server to signal a notification (transferred, SIGNAL) with word 1's bits whenever
/// input arrives, at once when some is there; replaces the client's earlier one. Reply
/// `[0, 0, 0]`.
pub const WATCH: u64 = 3;
/// `tcgetattr`: the attributes (`Termios`) written at the start of the buffer page.
pub const GET_ATTRIBUTES: u64 = 4;
/// `tcsetattr`: word 1 the action (`TCSANOW`, `TCSADRAIN`, `TCSAFLUSH`), the attributes read
/// from the start of the buffer page. Reply `[0, 0, 0]`; `EINVAL`, `ENOTCONN`.
pub const SET_ATTRIBUTES: u64 = 5;
/// `TIOCGWINSZ`: reply `[0, rows | columns << 16 | x pixels << 32 | y pixels << 48, 0]`.
pub const GET_WINDOW: u64 = 6;
/// `TIOCSWINSZ`: word 1 the size packed as [`GET_WINDOW`] answers it.
pub const SET_WINDOW: u64 = 7;
/// `tcflush(TCIFLUSH)`: discards typed input nobody read.
pub const FLUSH_INPUT: u64 = 8;
/// Readiness: reply `[0, bytes a read could take now (FIONREAD), readable for poll (0/1) |
/// typed bytes taken in so far << 1]`.
pub const STATUS: u64 = 9;

/// The bytes one [`READ`] can carry: the buffer page.
pub const BUFFER_BYTES: usize = 4096;

// The settings page: one page the server writes and every client maps read-only, so that
// `tcgetattr`, `isatty`, `TIOCGWINSZ` and a write's output processing need no call. Words of
// 64 bits: a sequence count (odd while the server writes), the attributes in five words (the
// 36 bytes of `Termios`, little-endian, zero-padded), then the window size packed as
// [`GET_WINDOW`] answers it.

/// Word index of the sequence count.
pub const SEQUENCE_WORD: usize = 0;
/// Word index of the first of the attributes' five words.
pub const ATTRIBUTES_WORD: usize = 1;
/// Word index of the window size.
pub const WINDOW_WORD: usize = 6;

/// The attributes as the settings page's five words.
#[must_use]
pub fn attributes_to_words(settings: &libposix_sys::termios::Termios) -> [u64; 5] {
    let mut bytes = [0u8; 40];
    bytes[0..4].copy_from_slice(&settings.c_iflag.to_le_bytes());
    bytes[4..8].copy_from_slice(&settings.c_oflag.to_le_bytes());
    bytes[8..12].copy_from_slice(&settings.c_cflag.to_le_bytes());
    bytes[12..16].copy_from_slice(&settings.c_lflag.to_le_bytes());
    bytes[16] = settings.c_line;
    bytes[17..17 + settings.c_cc.len()].copy_from_slice(&settings.c_cc);
    let mut words = [0u64; 5];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        *word = u64::from_le_bytes(eight);
    }
    words
}

/// The attributes from the settings page's five words.
#[must_use]
pub fn attributes_from_words(words: &[u64; 5]) -> libposix_sys::termios::Termios {
    let mut bytes = [0u8; 40];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    let flag =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let mut settings = libposix_sys::termios::Termios {
        c_iflag: flag(0),
        c_oflag: flag(4),
        c_cflag: flag(8),
        c_lflag: flag(12),
        c_line: bytes[16],
        ..libposix_sys::termios::Termios::default()
    };
    let count = settings.c_cc.len();
    settings.c_cc.copy_from_slice(&bytes[17..17 + count]);
    settings
}

/// The window size packed in one word.
#[must_use]
pub fn window_to_word(window: &libposix_sys::termios::Winsize) -> u64 {
    u64::from(window.ws_row)
        | u64::from(window.ws_col) << 16
        | u64::from(window.ws_xpixel) << 32
        | u64::from(window.ws_ypixel) << 48
}

/// The window size from its word.
#[must_use]
pub fn window_from_word(word: u64) -> libposix_sys::termios::Winsize {
    libposix_sys::termios::Winsize {
        ws_row: word as u16,
        ws_col: (word >> 16) as u16,
        ws_xpixel: (word >> 32) as u16,
        ws_ypixel: (word >> 48) as u16,
    }
}
