//! Reading a line from fd 0, echoing what is typed and honouring the editing keys.
//!
//! On a terminal the shell edits the line itself, as readline does: it switches the line
//! discipline to non-canonical mode without echo or signal characters while it reads, so `^C`
//! abandons the line instead of ending the shell, and restores the terminal's settings before
//! the command runs.

use alloc::string::String;

use libos::io::{read, tcgetattr, tcsetattr, write};
use libposix_sys::termios::{ECHO, ICANON, ISIG, TCSANOW, VMIN, VTIME};

const INTERRUPT: u8 = 0x03;
const END_OF_FILE: u8 = 0x04;
const KILL_LINE: u8 = 0x15;
const ERASE_WORD: u8 = 0x17;

/// The next line without its end, or `None` at end of input.
pub fn read_line() -> Option<String> {
    let saved = tcgetattr(0).ok();
    if let Some(saved) = saved {
        let mut editing = saved;
        editing.c_lflag &= !(ICANON | ECHO | ISIG);
        editing.c_cc[VMIN] = 1;
        editing.c_cc[VTIME] = 0;
        let _ = tcsetattr(0, TCSANOW, &editing);
    }
    let line = read_edited_line(saved.is_some());
    if let Some(saved) = saved {
        let _ = tcsetattr(0, TCSANOW, &saved);
    }
    line
}

fn erase_last(line: &mut String) -> bool {
    if line.pop().is_some() {
        let _ = write(1, b"\x08 \x08");
        true
    } else {
        false
    }
}

fn read_edited_line(terminal: bool) -> Option<String> {
    let mut line = String::new();
    let mut byte = [0u8; 1];
    loop {
        match read(0, &mut byte) {
            Ok(0) | Err(_) => return (!line.is_empty()).then_some(line),
            Ok(_) => {}
        }
        match byte[0] {
            b'\r' | b'\n' => {
                let _ = write(1, b"\n");
                return Some(line);
            }
            // Backspace and delete remove the last character, on the screen too.
            0x08 | 0x7f => {
                erase_last(&mut line);
            }
            INTERRUPT if terminal => {
                let _ = write(1, b"^C\n");
                return Some(String::new());
            }
            END_OF_FILE if terminal && line.is_empty() => return None,
            KILL_LINE if terminal => while erase_last(&mut line) {},
            ERASE_WORD if terminal => {
                while line.ends_with(' ') && erase_last(&mut line) {}
                while !line.is_empty() && !line.ends_with(' ') && erase_last(&mut line) {}
            }
            byte if byte.is_ascii() && !byte.is_ascii_control() => {
                line.push(char::from(byte));
                let _ = write(1, &[byte]);
            }
            _ => {}
        }
    }
}
