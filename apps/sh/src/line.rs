//! Reading lines: from the terminal (fd 0) with basic editing — the characters typed are echoed,
//! backspace/delete erases one, ^U erases the line, ^C abandons it, ^D on an empty line is end
//! of input — and from anything else as they come.
//!
//! On a terminal the shell edits the line itself, as readline does: it switches the line
//! discipline to non-canonical mode without echo or signal characters while it reads, so `^C`
//! abandons the line instead of ending the shell, and restores the terminal's settings before
//! the command runs.

use alloc::string::String;

use libos::io::{read, tcgetattr, tcsetattr};
use libposix_sys::termios::{ECHO, ICANON, ISIG, TCSANOW, VMIN, VTIME};

use crate::output::write_all;

/// What reading a line gave.
pub enum Input {
    /// A line, without its end.
    Line(String),
    /// ^C: the line was abandoned.
    Interrupted,
    /// End of input.
    End,
}

/// Shows `prompt` and reads the next line. The editing mode is set before the prompt is shown
/// and the terminal's settings are back before the line's end is echoed, so that what is typed
/// after seeing either is read in the right mode.
pub fn read_line(prompt: &str) -> Input {
    let saved = tcgetattr(0).ok();
    if let Some(saved) = saved {
        let mut editing = saved;
        editing.c_lflag &= !(ICANON | ECHO | ISIG);
        editing.c_cc[VMIN] = 1;
        editing.c_cc[VTIME] = 0;
        let _ = tcsetattr(0, TCSANOW, &editing);
    }
    write_all(1, prompt.as_bytes());
    let input = read_edited_line();
    if let Some(saved) = saved {
        let _ = tcsetattr(0, TCSANOW, &saved);
    }
    match &input {
        Input::Line(_) => {
            write_all(1, b"\n");
        }
        Input::Interrupted => {
            write_all(1, b"^C\n");
        }
        Input::End => {}
    }
    input
}

fn read_edited_line() -> Input {
    let mut line = String::new();
    let mut pending = alloc::vec::Vec::new();
    loop {
        let mut byte = [0u8; 1];
        match read(0, &mut byte) {
            Ok(0) | Err(_) => {
                return if line.is_empty() {
                    Input::End
                } else {
                    Input::Line(line)
                };
            }
            Ok(_) => {}
        }
        match byte[0] {
            b'\r' | b'\n' => return Input::Line(line),
            // ^D on an empty line: end of input.
            0x04 if line.is_empty() => return Input::End,
            // ^C: abandon the line.
            0x03 => return Input::Interrupted,
            // ^U: erase the whole line, on the screen too.
            0x15 => {
                for _ in 0..line.chars().count() {
                    write_all(1, b"\x08 \x08");
                }
                line.clear();
            }
            // Backspace and delete remove the last character.
            0x08 | 0x7f => {
                if line.pop().is_some() {
                    write_all(1, b"\x08 \x08");
                }
            }
            b'\t' => {
                line.push('\t');
                write_all(1, b" ");
            }
            byte if byte.is_ascii_control() => {}
            byte => {
                // UTF-8 sequences are collected until they form a character.
                pending.push(byte);
                if let Ok(text) = core::str::from_utf8(&pending) {
                    line.push_str(text);
                    write_all(1, &pending);
                    pending.clear();
                } else if pending.len() >= 4 {
                    pending.clear();
                }
            }
        }
    }
}

/// The next line from `fd` without its newline, read a byte at a time (so that nothing after it
/// is consumed) and without echo; `None` at end of input with nothing read.
pub fn read_raw_line(fd: i32) -> Option<String> {
    let mut bytes = alloc::vec::Vec::new();
    loop {
        let mut byte = [0u8; 1];
        match read(fd, &mut byte) {
            Ok(1..) if byte[0] == b'\n' => break,
            Ok(1..) => bytes.push(byte[0]),
            Err(libposix_sys::errno::Errno::EINTR) => {}
            Ok(_) | Err(_) => {
                if bytes.is_empty() {
                    return None;
                }
                break;
            }
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
