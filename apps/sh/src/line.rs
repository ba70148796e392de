//! Reading a line from the console (fd 0), echoing what is typed and honouring backspace.

use alloc::string::String;

use libos::io::{read, write};

/// The next line without its end, or `None` at end of input.
pub fn read_line() -> Option<String> {
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
            0x08 | 0x7f if line.pop().is_some() => {
                let _ = write(1, b"\x08 \x08");
            }
            byte if byte.is_ascii() && !byte.is_ascii_control() => {
                line.push(char::from(byte));
                let _ = write(1, &[byte]);
            }
            _ => {}
        }
    }
}
