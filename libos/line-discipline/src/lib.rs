//! The terminal's line discipline (Linux's `N_TTY`) as pure logic: bytes typed go in, and out
//! come the bytes a reader may take, the echo to write back, and the signals to send.
//!
//! Canonical mode (`ICANON`) collects a line that ERASE (`VERASE`, and `^H`), KILL (`VKILL`)
//! and WERASE (`VWERASE`, with `IEXTEN`) edit, and hands it over at NL, EOL or EOF (`VEOF`: at
//! the start of a line, a read of 0 bytes — end of file). Non-canonical mode hands every byte
//! over at once; [`LineDiscipline::read_satisfied`] applies `VMIN`/`VTIME`. `ISIG` turns INTR,
//! QUIT and SUSP into [`Signal`]s (flushing pending input unless `NOFLSH`). `ICRNL`, `INLCR` and
//! `IGNCR` translate input; `ECHO`, `ECHOE`, `ECHOK`, `ECHOKE`, `ECHONL` and `ECHOCTL` shape the
//! echo; `OPOST` with `ONLCR` and `OCRNL` shape output ([`LineDiscipline::process_output`]).
#![no_std]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use libposix_sys::termios::{
    ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, IEXTEN, IGNCR, INLCR, ISIG, NOFLSH,
    OCRNL, ONLCR, OPOST, Termios, VEOF, VEOL, VERASE, VINTR, VKILL, VMIN, VQUIT, VSUSP, VTIME,
    VWERASE, Winsize,
};

/// The longest line canonical mode collects (Linux's `N_TTY_BUF_SIZE`); bytes past it are
/// dropped until the line ends.
pub const MAXIMUM_LINE: usize = 4096;
/// The most bytes non-canonical mode holds unread; later bytes are dropped.
pub const MAXIMUM_PENDING: usize = 4096;

/// `_POSIX_VDISABLE`: a control character set to this is off.
const DISABLED: u8 = 0;
const BACKSPACE: u8 = 0x08;
const DELETE: u8 = 0x7f;

/// A signal the discipline asks to send to the terminal's foreground process group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// INTR (`^C`): `SIGINT`.
    Interrupt,
    /// QUIT (`^\`): `SIGQUIT`.
    Quit,
    /// SUSP (`^Z`): `SIGTSTP`.
    Suspend,
}

impl Signal {
    /// The Linux signal number.
    #[must_use]
    pub fn number(self) -> i32 {
        match self {
            Self::Interrupt => libposix_sys::signal::SIGINT,
            Self::Quit => libposix_sys::signal::SIGQUIT,
            Self::Suspend => libposix_sys::signal::SIGTSTP,
        }
    }
}

/// What a read found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Bytes were copied.
    Bytes(usize),
    /// End of file: EOF typed at the start of a line (canonical mode).
    EndOfFile,
    /// Nothing to read yet.
    Empty,
}

/// One terminal's line discipline.
#[derive(Clone, Debug)]
pub struct LineDiscipline {
    settings: Termios,
    window: Winsize,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// Where each character of `line` started in the echo, so ERASE removes what it printed.
    echo_widths: Vec<u8>,
    /// Input a reader may take: whole lines in canonical mode (an empty entry is an end of
    /// file), a single entry of bytes in non-canonical mode.
    ready: VecDeque<Vec<u8>>,
}

impl Default for LineDiscipline {
    fn default() -> Self {
        Self::new()
    }
}

impl LineDiscipline {
    /// A discipline with Linux's console defaults and an 80×24 window.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            settings: Termios::linux_default(),
            window: Winsize {
                ws_row: 24,
                ws_col: 80,
                ws_xpixel: 0,
                ws_ypixel: 0,
            },
            line: Vec::new(),
            echo_widths: Vec::new(),
            ready: VecDeque::new(),
        }
    }

    /// The attributes (`TCGETS`).
    #[must_use]
    pub fn settings(&self) -> Termios {
        self.settings
    }

    /// Replaces the attributes (`TCSETS`; `flush_input` for `TCSETSF`). Leaving canonical mode
    /// hands the partial line to readers; entering it keeps unread bytes as one line in the
    /// making, as Linux does.
    pub fn set_settings(&mut self, settings: Termios, flush_input: bool) {
        let was_canonical = self.canonical();
        self.settings = settings;
        if flush_input {
            self.flush_input();
            return;
        }
        match (was_canonical, self.canonical()) {
            (true, false) => {
                let partial = core::mem::take(&mut self.line);
                self.echo_widths.clear();
                let mut pending: Vec<u8> = self.ready.drain(..).flatten().collect();
                pending.extend(partial);
                if !pending.is_empty() {
                    self.ready.push_back(pending);
                }
            }
            (false, true) => {
                let pending: Vec<u8> = self.ready.drain(..).flatten().collect();
                self.echo_widths = pending.iter().map(|_| 1).collect();
                self.line = pending;
            }
            _ => {}
        }
    }

    /// The window size (`TIOCGWINSZ`).
    #[must_use]
    pub fn window(&self) -> Winsize {
        self.window
    }

    /// Sets the window size (`TIOCSWINSZ`).
    pub fn set_window(&mut self, window: Winsize) {
        self.window = window;
    }

    /// Discards typed input, complete or not (`TCIFLUSH`, `TCSAFLUSH`).
    pub fn flush_input(&mut self) {
        self.line.clear();
        self.echo_widths.clear();
        self.ready.clear();
    }

    fn canonical(&self) -> bool {
        self.settings.c_lflag & ICANON != 0
    }

    fn local(&self, flag: u32) -> bool {
        self.settings.c_lflag & flag != 0
    }

    fn control(&self, index: usize) -> Option<u8> {
        let character = self.settings.c_cc[index];
        (character != DISABLED).then_some(character)
    }

    /// Bytes a read could take now without waiting (`FIONREAD`): in canonical mode those of
    /// complete lines only.
    #[must_use]
    pub fn available(&self) -> usize {
        self.ready.iter().map(Vec::len).sum()
    }

    /// How many more typed bytes a read of `requested` bytes needs taken in before it can be
    /// answered: in canonical mode one at a time until a line is complete, otherwise what the
    /// request lacks. Taking no more than this leaves type-ahead where the next reader (perhaps
    /// another process) will find it.
    #[must_use]
    pub fn input_wanted(&self, requested: usize) -> usize {
        if self.canonical() {
            usize::from(!self.has_input())
        } else {
            requested
                .saturating_sub(self.available())
                .min(MAXIMUM_PENDING - self.available().min(MAXIMUM_PENDING))
        }
    }

    /// Whether `poll` reports the terminal readable: a complete line or end of file in canonical
    /// mode, else at least `max(VMIN, 1)` bytes (as Linux's `N_TTY` does).
    #[must_use]
    pub fn poll_readable(&self) -> bool {
        if self.canonical() {
            self.has_input()
        } else {
            self.available() >= usize::from(self.settings.c_cc[VMIN]).max(1)
        }
    }

    /// The bytes a poll needs taken in to decide (see [`Self::poll_readable`]).
    #[must_use]
    pub fn poll_request(&self) -> usize {
        usize::from(self.settings.c_cc[VMIN]).max(1)
    }

    /// Whether a read would return now (bytes, or end of file).
    #[must_use]
    pub fn has_input(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Whether a read of `requested` bytes that has waited `waited_tenths` tenths of a second
    /// since it began (or since the last byte arrived, when some have) should return now, by
    /// `VMIN`/`VTIME` in non-canonical mode; in canonical mode when a line or EOF is there.
    #[must_use]
    pub fn read_satisfied(&self, requested: usize, waited_tenths: u64) -> bool {
        if self.canonical() {
            return self.has_input();
        }
        let available = self.available();
        let minimum = usize::from(self.settings.c_cc[VMIN]).min(requested);
        let time = u64::from(self.settings.c_cc[VTIME]);
        match (minimum, time) {
            (0, 0) => true,
            (0, _) => available > 0 || waited_tenths >= time,
            (_, 0) => available >= minimum,
            (_, _) => available >= minimum || (available > 0 && waited_tenths >= time),
        }
    }

    /// The read timeout `VTIME` in tenths of a second (0: none), for non-canonical reads.
    #[must_use]
    pub fn read_timeout_tenths(&self) -> u64 {
        if self.canonical() {
            0
        } else {
            u64::from(self.settings.c_cc[VTIME])
        }
    }

    /// Takes input for a reader: at most one line in canonical mode.
    pub fn read(&mut self, buffer: &mut [u8]) -> ReadOutcome {
        let Some(front) = self.ready.front_mut() else {
            return ReadOutcome::Empty;
        };
        if front.is_empty() {
            self.ready.pop_front();
            return ReadOutcome::EndOfFile;
        }
        if buffer.is_empty() {
            return ReadOutcome::Bytes(0);
        }
        let count = buffer.len().min(front.len());
        buffer[..count].copy_from_slice(&front[..count]);
        front.drain(..count);
        if front.is_empty() {
            self.ready.pop_front();
        }
        ReadOutcome::Bytes(count)
    }

    /// Feeds bytes typed at the terminal; echo goes to `echo`. Returns the signals raised, in
    /// order.
    pub fn receive(&mut self, bytes: &[u8], echo: &mut Vec<u8>) -> Vec<Signal> {
        let mut signals = Vec::new();
        for &byte in bytes {
            if let Some(signal) = self.receive_byte(byte, echo) {
                signals.push(signal);
            }
        }
        signals
    }

    fn receive_byte(&mut self, mut byte: u8, echo: &mut Vec<u8>) -> Option<Signal> {
        let input = self.settings.c_iflag;
        if byte == b'\r' {
            if input & IGNCR != 0 {
                return None;
            }
            if input & ICRNL != 0 {
                byte = b'\n';
            }
        } else if byte == b'\n' && input & INLCR != 0 {
            byte = b'\r';
        }
        if self.local(ISIG) {
            let signal = [
                (VINTR, Signal::Interrupt),
                (VQUIT, Signal::Quit),
                (VSUSP, Signal::Suspend),
            ]
            .into_iter()
            .find(|&(index, _)| self.control(index) == Some(byte))
            .map(|(_, signal)| signal);
            if let Some(signal) = signal {
                if !self.local(NOFLSH) {
                    self.flush_input();
                }
                self.echo_character(byte, echo);
                return Some(signal);
            }
        }
        if self.canonical() {
            self.edit(byte, echo);
        } else {
            self.echo_character(byte, echo);
            if self.available() < MAXIMUM_PENDING {
                match self.ready.back_mut() {
                    Some(pending) if !pending.is_empty() => pending.push(byte),
                    _ => self.ready.push_back(alloc::vec![byte]),
                }
            }
        }
        None
    }

    /// Canonical-mode editing of one byte.
    fn edit(&mut self, byte: u8, echo: &mut Vec<u8>) {
        let erase = self.control(VERASE);
        if Some(byte) == erase || byte == BACKSPACE || (byte == DELETE && erase.is_none()) {
            self.erase_characters(1, echo);
            return;
        }
        if Some(byte) == self.control(VKILL) {
            let count = self.line.len();
            if self.local(ECHOKE) && self.local(ECHOE) {
                self.erase_characters(count, echo);
            } else {
                self.line.clear();
                self.echo_widths.clear();
                self.echo_character(byte, echo);
                if self.local(ECHOK) {
                    echo.push(b'\n');
                }
            }
            return;
        }
        if self.local(IEXTEN) && Some(byte) == self.control(VWERASE) {
            let trailing_blanks = self
                .line
                .iter()
                .rev()
                .take_while(|byte| byte.is_ascii_whitespace())
                .count();
            let word = self.line[..self.line.len() - trailing_blanks]
                .iter()
                .rev()
                .take_while(|byte| !byte.is_ascii_whitespace())
                .count();
            self.erase_characters(trailing_blanks + word, echo);
            return;
        }
        if Some(byte) == self.control(VEOF) {
            self.finish_line();
            return;
        }
        let ends_line = byte == b'\n' || Some(byte) == self.control(VEOL);
        if !ends_line && self.line.len() >= MAXIMUM_LINE - 1 {
            return;
        }
        let before = echo.len();
        if byte == b'\n' && !self.local(ECHO) && self.local(ECHONL) {
            echo.push(b'\n');
        } else {
            self.echo_character(byte, echo);
        }
        self.line.push(byte);
        self.echo_widths
            .push(u8::try_from(echo.len() - before).unwrap_or(u8::MAX));
        if ends_line {
            self.finish_line();
        }
    }

    /// Hands the line being edited to readers (an empty one is an end of file).
    fn finish_line(&mut self) {
        self.ready.push_back(core::mem::take(&mut self.line));
        self.echo_widths.clear();
    }

    /// Removes up to `count` characters from the end of the line, and with `ECHO` and `ECHOE`
    /// rubs them out on the screen (`\b \b` for each column they took).
    fn erase_characters(&mut self, count: usize, echo: &mut Vec<u8>) {
        for _ in 0..count {
            if self.line.pop().is_none() {
                break;
            }
            let width = self.echo_widths.pop().unwrap_or(1);
            if self.local(ECHO) && self.local(ECHOE) {
                for _ in 0..width {
                    echo.extend_from_slice(b"\x08 \x08");
                }
            }
        }
    }

    /// Echoes one input byte: as itself, or `^X` for a control character with `ECHOCTL`.
    fn echo_character(&self, byte: u8, echo: &mut Vec<u8>) {
        if !self.local(ECHO) {
            return;
        }
        let is_control = byte < 0x20 || byte == DELETE;
        if is_control && self.local(ECHOCTL) && !matches!(byte, b'\n' | b'\t') {
            echo.push(b'^');
            echo.push(byte ^ 0x40);
        } else {
            echo.push(byte);
        }
    }

    /// Applies the output modes to bytes a program writes (`OPOST` with `ONLCR`, `OCRNL`).
    pub fn process_output(&self, bytes: &[u8], output: &mut Vec<u8>) {
        let flags = self.settings.c_oflag;
        if flags & OPOST == 0 {
            output.extend_from_slice(bytes);
            return;
        }
        for &byte in bytes {
            match byte {
                b'\n' if flags & ONLCR != 0 => output.extend_from_slice(b"\r\n"),
                b'\r' if flags & OCRNL != 0 => output.push(b'\n'),
                _ => output.push(byte),
            }
        }
    }
}
