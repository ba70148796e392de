//! Running one `/bin/sh -c` script in a child and collecting its exit status and what it wrote
//! to standard output: the shell is started with `posix_spawn`, its standard output a file
//! (a file action), which is read back afterwards.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::process::identity::waitpid;
use libos::process::{FileAction, posix_spawn};
use libos::{fs, io};
use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
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

/// Runs `sh -c SCRIPT sh ARGUMENTS…` with `PATH=/bin` and `HOME=/tmp` and waits for it.
///
/// # Errors
/// Why it could not be run or collected.
pub fn run(number: usize, script: &str, arguments: &[&str]) -> Result<Outcome, String> {
    let output_path = format!("/tmp/shell-test-{number}");
    let mut argv: Vec<&str> = alloc::vec!["sh", "-c", script, "sh"];
    argv.extend_from_slice(arguments);
    let actions = [FileAction::Open {
        fd: 1,
        path: &output_path,
        // Not appending: the shell and the programs it starts share the description's offset
        // (`libos::io::shared_state`), so their writes land in order.
        flags: O_WRONLY | O_CREAT | O_TRUNC,
        mode: 0o644,
    }];
    let pid = posix_spawn(
        "/bin/sh",
        &actions,
        None,
        &argv,
        &["PATH=/bin", "HOME=/tmp"],
    )
    .map_err(|error| format!("posix_spawn /bin/sh: {}", error.description()))?;
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
