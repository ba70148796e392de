//! Running one `/bin/sh -c` script in a child and collecting its exit status and what it wrote
//! to standard output.
//!
//! Descriptors do not survive `execve` yet, so the child's own standard output cannot be handed
//! to the shell: the script runs inside `{ …\n} > FILE`, which captures everything the shell
//! and its built-ins write (a program started by the script writes to the console instead), and
//! the file is read back afterwards.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::abi::Call;
use libos::fs::protocol::{FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::kernel::call;
use libos::process::identity::waitpid;
use libos::process::spawn;
use libos::{fs, io};
use libposix_sys::fcntl::O_RDONLY;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED, WIFSIGNALED, WTERMSIG};

/// What a script did.
pub struct Outcome {
    /// The pid the shell ran as.
    pub pid: i32,
    /// Its exit status as a shell reports it (128 + signal when killed).
    pub status: i32,
    /// What it wrote to standard output.
    pub output: String,
}

/// Runs `sh -c SCRIPT sh ARGUMENTS…` (started with `spawn`, so with a program's full memory
/// budget rather than a forked child's) and waits for it.
///
/// # Errors
/// Why it could not be run or collected.
pub fn run(number: usize, script: &str, arguments: &[&str]) -> Result<Outcome, String> {
    let output_path = format!("/tmp/shell-test-{number}");
    let wrapped = format!("{{ {script}\n}} > {output_path}");
    let mut command = String::from("/bin/sh -c ");
    command.push_str(&percent_encode(&wrapped));
    command.push_str(" sh");
    for argument in arguments {
        command.push(' ');
        command.push_str(&percent_encode(argument));
    }
    // The shell reaches the file server through the same capabilities we hold.
    let grants: Vec<_> = [FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT]
        .into_iter()
        .filter(|&slot| call(Call::CapabilityIdentify { slot }).is_ok())
        .map(|slot| (slot, slot))
        .collect();
    let child = spawn("/bin/sh", &command, &grants).map_err(|error| format!("spawn: {error:?}"))?;
    let pid = child
        .adopt()
        .map_err(|_| String::from("the shell has no pid (no process server)"))?;
    let mut wait_status = 0;
    waitpid(pid, Some(&mut wait_status), 0)
        .map_err(|error| format!("waitpid: {}", error.description()))?;
    let status = if WIFEXITED(wait_status) {
        WEXITSTATUS(wait_status)
    } else if WIFSIGNALED(wait_status) {
        128 + WTERMSIG(wait_status)
    } else {
        return Err(format!("odd wait status {wait_status:#x}"));
    };
    let output = read_file(&output_path).unwrap_or_default();
    let _ = fs::unlink(&output_path);
    Ok(Outcome {
        pid,
        status,
        output,
    })
}

/// Percent-encodes the bytes the start-up protocol separates words with (and `%`).
fn percent_encode(word: &str) -> String {
    let mut encoded = String::new();
    for byte in word.bytes() {
        if byte <= b' ' || byte == b'%' {
            encoded.push_str(&format!("%{byte:02X}"));
        } else {
            encoded.push(char::from(byte));
        }
    }
    encoded
}

/// A file's text, or `None` when it cannot be opened.
pub fn read_file(path: &str) -> Option<String> {
    let file = fs::open(path, O_RDONLY, 0).ok()?;
    let mut text = Vec::new();
    let mut buffer = [0u8; 1024];
    while let Ok(count @ 1..) = io::read(file, &mut buffer) {
        text.extend_from_slice(&buffer[..count]);
    }
    let _ = io::close(file);
    Some(String::from_utf8_lossy(&text).into_owned())
}
