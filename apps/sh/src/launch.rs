//! Starting a program as a new process without forking the shell: `spawn` from the initramfs
//! with the arguments, the environment and the shell's file-server capabilities. Cheaper than
//! `fork` + `execve` (no copy of the shell's address space) and what a command without
//! redirections uses. A file that is not a program image is run by `/bin/sh` as a script.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::abi::Call;
use libos::fs::protocol::{FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::kernel::call;
use libos::process::{Child, Ending, SpawnError, spawn_with_environment};

use crate::complain;

/// The shell itself, which runs files that are not program images.
const SHELL_PATH: &str = "/bin/sh";

/// Percent-encodes the bytes the start-up protocol separates words with (and `%`).
fn encode(words: &[&str]) -> String {
    let mut encoded = String::new();
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            encoded.push(' ');
        }
        for byte in word.bytes() {
            if byte <= b' ' || byte == b'%' {
                encoded.push_str(&format!("%{byte:02X}"));
            } else {
                encoded.push(char::from(byte));
            }
        }
    }
    encoded
}

/// A started program: its pid (it is then the LibOS's POSIX child, collected by `waitpid`), or
/// the child itself when there is no process server.
pub enum Started {
    /// Registered with the process server.
    Process(i32),
    /// Not registered: waited for through its environment.
    Unregistered(Child),
}

impl Started {
    /// Waits for it and answers its `$?`.
    pub fn wait(self) -> i32 {
        match self {
            Self::Process(pid) => crate::process::wait_for(pid),
            Self::Unregistered(child) => {
                let status = match child.wait(0) {
                    Ok(Ending::Exited(code)) => (code & 0xff) as i32,
                    Ok(Ending::Faulted { .. }) => 128 + libposix_sys::signal::SIGSEGV,
                    Err(_) => 128 + libposix_sys::signal::SIGKILL,
                };
                child.reap();
                status
            }
        }
    }

    /// The pid, when registered.
    pub fn pid(&self) -> Option<i32> {
        match self {
            Self::Process(pid) => Some(*pid),
            Self::Unregistered(_) => None,
        }
    }
}

/// Starts the program at `path` with `words` as its argv and `environment`; a file the loader
/// does not take is given to `/bin/sh` as a script. Says why and answers the shell's status
/// (126) when it cannot be started.
pub fn start(path: &str, words: &[String], environment: &[String]) -> Result<Started, i32> {
    let grants: Vec<_> = [FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT]
        .into_iter()
        .filter(|&slot| call(Call::CapabilityIdentify { slot }).is_ok())
        .map(|slot| (slot, slot))
        .collect();
    let environment: Vec<&str> = environment.iter().map(String::as_str).collect();
    let environment = encode(&environment);
    let mut arguments: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut started = spawn_with_environment(path, &encode(&arguments), &environment, &grants);
    if matches!(
        started,
        Err(SpawnError::NotFound | SpawnError::NotExecutable)
    ) {
        // Not an image the loader takes (or not in the initramfs): a script for the shell.
        arguments[0] = path;
        arguments.insert(0, "sh");
        started = spawn_with_environment(SHELL_PATH, &encode(&arguments), &environment, &grants);
    }
    match started {
        Ok(child) => Ok(match child.adopt() {
            Ok(pid) => Started::Process(pid),
            Err(child) => Started::Unregistered(child),
        }),
        Err(error) => {
            complain!("{}: cannot start: {error:?}", words[0]);
            Err(126)
        }
    }
}
