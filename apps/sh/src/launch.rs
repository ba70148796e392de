//! Starting a program as a new process without forking the shell: `posix_spawn` with the
//! arguments, the environment and the descriptors the shell has at that moment (so redirections
//! are made in the shell around the call and undone after it). Cheaper than `fork` + `execve`
//! — no copy of the shell's address space — and the child gets a program's full budget. A file
//! that is not a program image is run by `/bin/sh` as a script (XCU 2.9.1.1).

use alloc::string::String;
use alloc::vec::Vec;

use libos::process::posix_spawn::POSIX_SPAWN_SETPGROUP;
use libos::process::{FileAction, SpawnAttributes, posix_spawn};
use libposix_sys::errno::Errno;

use crate::complain;

/// The shell itself, which runs files that are not program images.
const SHELL_PATH: &str = "/bin/sh";

/// Starts the program at `path` with `words` as its argv and `environment`, with this process's
/// descriptors (close-on-exec ones closed); answers its pid, or says why it could not start and
/// answers the shell's status for that (126, or 127 when it vanished). With `group` (job
/// control), it joins that process group (0: a new one) before it runs, and with a terminal
/// descriptor its group is made the terminal's foreground group first.
pub fn start(
    path: &str,
    words: &[String],
    environment: &[String],
    group: Option<(i32, Option<i32>)>,
) -> Result<i32, i32> {
    let environment: Vec<&str> = environment.iter().map(String::as_str).collect();
    let mut arguments: Vec<&str> = words.iter().map(String::as_str).collect();
    let attributes = group.map(|(group, _)| SpawnAttributes {
        flags: POSIX_SPAWN_SETPGROUP,
        pgroup: group,
    });
    let foreground: Vec<FileAction<'_>> = group
        .and_then(|(_, terminal)| terminal)
        .map(FileAction::TerminalForeground)
        .into_iter()
        .collect();
    let mut started = posix_spawn(
        path,
        &foreground,
        attributes.as_ref(),
        &arguments,
        &environment,
    );
    if matches!(started, Err(Errno::ENOEXEC | Errno::ENOENT)) {
        // Not an image the loader takes (or not in the initramfs): a script for the shell.
        arguments[0] = path;
        arguments.insert(0, "sh");
        started = posix_spawn(
            SHELL_PATH,
            &foreground,
            attributes.as_ref(),
            &arguments,
            &environment,
        );
    }
    started.map_err(|error| {
        complain!("{}: cannot start: {}", words[0], error.description());
        if error == Errno::ENOENT { 127 } else { 126 }
    })
}
