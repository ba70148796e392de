//! `sh`: a small command interpreter over the LibOS. `sh` reads commands from the console with a
//! `$ ` prompt; `sh -c 'COMMANDS'` runs one line and exits with the last command's status.
//! Commands are separated by `;`, words by spaces. Built in: `echo`, `pwd`, `cd`, `ls`, `cat`,
//! `mkdir`, `rm`, `exit`, `help`; any other word names a program in the initramfs (`/bin/NAME`
//! when it has no `/`), started with the command's words and this shell's file-server
//! capabilities, and waited for. Not yet: quoting, pipes, redirection, variables, job control.
#![no_std]
#![no_main]

extern crate alloc;

mod builtins;
mod line;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::fs::protocol::{FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::kernel::call;
use libos::process::identity::waitpid;
use libos::process::{Ending, SpawnError, spawn};
use libos::{Startup, print, println};
use libposix_sys::wait::{WEXITSTATUS, WIFSIGNALED, WTERMSIG};

libos::main!(main);

/// What a command line asks the shell to do after running.
enum Next {
    /// Read the next line.
    Continue,
    /// Exit with this status.
    Exit(i32),
}

fn main(startup: &Startup) -> i32 {
    let arguments: Vec<String> = startup.arguments().collect();
    if arguments.get(1).map(String::as_str) == Some("-c") {
        let script = arguments[2..].join(" ");
        let mut status = 0;
        return match run_line(&script, &mut status) {
            Next::Exit(code) => code,
            Next::Continue => status,
        };
    }
    println!("sh: type `help` for the built-in commands, `exit` to leave.");
    let mut status = 0;
    loop {
        print!("$ ");
        let Some(text) = line::read_line() else {
            return status;
        };
        if let Next::Exit(code) = run_line(&text, &mut status) {
            return code;
        }
    }
}

/// Runs every `;`-separated command of a line; `status` is the last command's exit status.
fn run_line(text: &str, status: &mut i32) -> Next {
    for command in text.split(';') {
        let words: Vec<&str> = command.split_whitespace().collect();
        let Some(&name) = words.first() else {
            continue;
        };
        if name == "exit" {
            let code = words
                .get(1)
                .and_then(|word| word.parse().ok())
                .unwrap_or(*status);
            return Next::Exit(code);
        }
        *status = match builtins::run(name, &words[1..]) {
            Some(code) => code,
            None => run_program(name, &words),
        };
    }
    Next::Continue
}

/// Starts a program from the initramfs and waits for it; answers its status as a shell does.
fn run_program(name: &str, words: &[&str]) -> i32 {
    let path = if name.contains('/') {
        String::from(name)
    } else {
        format!("/bin/{name}")
    };
    let mut command = path.clone();
    for word in &words[1..] {
        command.push(' ');
        command.push_str(&percent_encode(word));
    }
    // The child reaches the file server through the same capabilities we hold.
    let grants: Vec<_> = [FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT]
        .into_iter()
        .filter(|&slot| call(libos::abi::Call::CapabilityIdentify { slot }).is_ok())
        .map(|slot| (slot, slot))
        .collect();
    let child = match spawn(&path, &command, &grants) {
        Ok(child) => child,
        Err(SpawnError::NotFound) => {
            println!("sh: {name}: not found");
            return 127;
        }
        Err(SpawnError::NotExecutable) => {
            println!("sh: {name}: not an executable");
            return 126;
        }
        Err(SpawnError::Kernel(error)) => {
            println!("sh: {name}: cannot start: {error}");
            return 126;
        }
    };
    // A registered child is waited for through the process server, which also knows when a
    // signal (`^C` typed at it, a `kill`) ended it.
    let child = match child.adopt() {
        Ok(pid) => return wait_for_pid(name, pid),
        Err(child) => child,
    };
    let status = match child.wait(0) {
        Ok(Ending::Exited(code)) => (code & 0xff) as i32,
        Ok(Ending::Faulted { vector, .. }) => {
            println!("sh: {name}: killed by exception {vector}");
            128 + 11
        }
        Err(error) => {
            println!("sh: {name}: {error}");
            1
        }
    };
    child.reap();
    status
}

/// Waits for child `pid` with `waitpid`; its exit status, or 128 + the signal that ended it.
fn wait_for_pid(name: &str, pid: i32) -> i32 {
    let mut status = 0;
    loop {
        match waitpid(pid, Some(&mut status), 0) {
            Ok(_) => break,
            Err(libposix_sys::errno::Errno::EINTR) => {}
            Err(error) => {
                println!("sh: {name}: {error}");
                return 1;
            }
        }
    }
    if WIFSIGNALED(status) {
        let signal = WTERMSIG(status);
        // ^C needs no comment (the terminal showed it), only a fresh line.
        if signal == libposix_sys::signal::SIGINT {
            println!();
        } else {
            println!("sh: {name}: killed by signal {signal}");
        }
        128 + signal
    } else {
        WEXITSTATUS(status)
    }
}

/// Percent-encodes the characters the start-up protocol separates words with.
fn percent_encode(word: &str) -> String {
    let mut encoded = String::new();
    for byte in word.bytes() {
        match byte {
            b' ' | b'%' => encoded.push_str(&format!("%{byte:02X}")),
            _ => encoded.push(char::from(byte)),
        }
    }
    encoded
}
