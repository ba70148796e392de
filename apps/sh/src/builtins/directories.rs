//! `cd` and `pwd`.

use alloc::string::String;

use libos::fs;

use crate::shell::Shell;
use crate::{complain, out};

/// The working directory's path.
pub fn current_directory() -> Option<String> {
    let path = fs::getcwd(4096).ok()?;
    let text = String::from_utf8_lossy(&path);
    Some(String::from(text.trim_end_matches('\0')))
}

/// `cd [directory | -]`: to `$HOME` without an argument, to `$OLDPWD` (printed) with `-`;
/// sets `PWD` and `OLDPWD`.
pub fn cd(shell: &mut Shell, arguments: &[&str]) -> i32 {
    let arguments = match arguments.first() {
        Some(&"--") => &arguments[1..],
        _ => arguments,
    };
    let (target, announce) = match arguments.first() {
        None => match shell.get("HOME") {
            Some(home) => (String::from(home), false),
            None => {
                complain!("cd: HOME not set");
                return 1;
            }
        },
        Some(&"-") => match shell.get("OLDPWD") {
            Some(previous) => (String::from(previous), true),
            None => {
                complain!("cd: OLDPWD not set");
                return 1;
            }
        },
        Some(directory) => (String::from(*directory), false),
    };
    let previous = current_directory();
    if let Err(error) = fs::chdir(&target) {
        complain!("cd: {target}: {}", error.description());
        return 1;
    }
    if let Some(previous) = previous {
        shell.set("OLDPWD", &previous);
    }
    if let Some(now) = current_directory() {
        if announce {
            out!("{now}\n");
        }
        shell.set("PWD", &now);
    }
    0
}

/// `pwd`.
pub fn pwd() -> i32 {
    match current_directory() {
        Some(path) => {
            out!("{path}\n");
            0
        }
        None => {
            complain!("pwd: cannot tell the working directory");
            1
        }
    }
}
