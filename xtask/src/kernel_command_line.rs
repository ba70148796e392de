//! Builds the kernel command line, percent-encoding the words of the program to run.
//!
//! The kernel splits its command line at spaces, so each argument of `cargo xtask run -- CMD ARGS…`
//! is encoded: bytes outside `[A-Za-z0-9/._=:,+@-]` become `%XX` (upper-case hexadecimal), e.g. a
//! space becomes `%20` and `%` becomes `%25`. Everything after the word `--` is the program and its
//! arguments.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

use crate::error::{Result, XtaskError};

/// The word that separates kernel options from the program to run.
pub const PROGRAM_SEPARATOR: &str = "--";

/// Percent-encodes one program argument.
///
/// # Errors
/// Fails for an empty argument, which the space-separated command line cannot represent.
pub fn encode_argument(argument: &[u8]) -> Result<String> {
    if argument.is_empty() {
        return Err(XtaskError::new(
            "an empty argument cannot be passed on the kernel command line; drop it or give it a value",
        ));
    }
    let mut encoded = String::with_capacity(argument.len());
    for &byte in argument {
        if byte.is_ascii_alphanumeric() || b"/._=:,+@-".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    Ok(encoded)
}

/// Decodes an argument encoded by [`encode_argument`] (the kernel's half, here for testing).
pub fn decode_argument(encoded: &str) -> Option<Vec<u8>> {
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let digits = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
            decoded.push(u8::from_str_radix(digits, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    Some(decoded)
}

/// The full command line: the kernel words, then, if there is a program, `-- PROGRAM ARGS…`
/// with each program word encoded.
///
/// # Errors
/// Fails if a program argument is empty.
pub fn kernel_command_line(kernel_words: &[String], program: &[OsString]) -> Result<String> {
    let mut words: Vec<String> = kernel_words
        .iter()
        .flat_map(|words| words.split_whitespace())
        .map(str::to_string)
        .collect();
    if !program.is_empty() {
        words.push(PROGRAM_SEPARATOR.to_string());
        for argument in program {
            words.push(encode_argument(argument.as_bytes())?);
        }
    }
    Ok(words.join(" "))
}

/// The kernel command line of `kernel_words`, with `-- program` appended when the words name no
/// program of their own (`cargo xtask qemu` boots to the shell this way).
///
/// # Errors
/// As [`kernel_command_line`].
pub fn with_default_program(kernel_words: &[String], program: &str) -> Result<String> {
    let names_a_program = kernel_words
        .iter()
        .flat_map(|words| words.split_whitespace())
        .any(|word| word == PROGRAM_SEPARATOR);
    if names_a_program {
        kernel_command_line(kernel_words, &[])
    } else {
        kernel_command_line(kernel_words, &[OsString::from(program)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_program_is_added_only_when_none_is_named() {
        assert_eq!(with_default_program(&[], "/bin/sh").unwrap(), "-- /bin/sh");
        assert_eq!(
            with_default_program(&[String::from("log=debug")], "/bin/sh").unwrap(),
            "log=debug -- /bin/sh"
        );
        assert_eq!(
            with_default_program(&[String::from("-- /bin/exo-selftest")], "/bin/sh").unwrap(),
            "-- /bin/exo-selftest"
        );
    }

    #[test]
    fn keeps_safe_bytes_and_encodes_the_rest() {
        assert_eq!(encode_argument(b"/bin/ls").unwrap(), "/bin/ls");
        assert_eq!(
            encode_argument(b"a-Z_0.9=x:y,z+w@v").unwrap(),
            "a-Z_0.9=x:y,z+w@v"
        );
        assert_eq!(encode_argument(b"a'b\"c").unwrap(), "a%27b%22c");
        assert_eq!(encode_argument(b"hello world").unwrap(), "hello%20world");
        assert_eq!(encode_argument(b"100%").unwrap(), "100%25");
        assert_eq!(encode_argument("é\n".as_bytes()).unwrap(), "%C3%A9%0A");
        assert!(encode_argument(b"").is_err());
    }

    #[test]
    fn decoding_inverts_encoding() {
        for argument in [&b"x y%z"[..], b"\x00\xff\t", b"--", b"$(rm -rf /)"] {
            let encoded = encode_argument(argument).unwrap();
            assert!(!encoded.contains(' '));
            assert_eq!(decode_argument(&encoded).unwrap(), argument);
        }
    }

    #[test]
    fn joins_kernel_words_and_program() {
        let program = [OsString::from("/bin/echo"), OsString::from("a b")];
        assert_eq!(
            kernel_command_line(&["test  verbose".to_string()], &program).unwrap(),
            "test verbose -- /bin/echo a%20b"
        );
        assert_eq!(
            kernel_command_line(&["test".to_string()], &[]).unwrap(),
            "test"
        );
        assert_eq!(
            kernel_command_line(&[], &program[..1]).unwrap(),
            "-- /bin/echo"
        );
    }
}
