//! `sh`: a POSIX command interpreter over the LibOS.
//!
//! `sh -c 'COMMANDS' [NAME [ARGUMENT…]]` runs a string; `sh FILE [ARGUMENT…]` runs a script;
//! `sh` alone reads commands from the terminal with a prompt. The language (quoting, expansion,
//! the grammar) is the host-tested `shell-language` crate; this program runs its trees:
//! [`execute`] (lists, pipelines, compound commands), [`command`] (simple commands and `PATH`),
//! [`redirect`], [`substitution`], [`process`] (subshells and statuses) and [`builtins`].
#![no_std]
#![no_main]

extern crate alloc;

mod builtins;
mod command;
mod directory;
mod execute;
mod job_control;
mod launch;
mod line;
mod output;
mod process;
mod redirect;
mod script;
mod shell;
mod substitution;

use alloc::string::String;
use alloc::vec::Vec;

use libos::Startup;
use libos::process::identity::waitpid;
use libposix_sys::wait::WNOHANG;
use shell_language::parser::{ParseError, parse};

use crate::execute::run_list;
use crate::line::Input;
use crate::shell::{Flow, Shell};

libos::main!(main);

fn main(startup: &Startup) -> i32 {
    let arguments: Vec<String> = startup.arguments().collect();
    let name = arguments
        .first()
        .cloned()
        .unwrap_or_else(|| String::from("sh"));
    let mut shell = Shell::new(name, startup.environment_variables());
    let mut rest = &arguments[arguments.len().min(1)..];
    // Options before the operands: -c, and -e/-x as for `set`.
    let mut command_string = false;
    while let Some(option) = rest.first() {
        match option.as_str() {
            "-c" => command_string = true,
            "--" => {
                rest = &rest[1..];
                break;
            }
            "-e" => shell.options.exit_on_error = true,
            "-x" => shell.options.trace = true,
            "-i" => shell.options.interactive = true,
            _ => break,
        }
        rest = &rest[1..];
    }
    if command_string {
        let Some(text) = rest.first() else {
            complain!("-c: a command string is required");
            return 2;
        };
        if let Some(name) = rest.get(1) {
            shell.name = name.clone();
        }
        shell.positional = rest.iter().skip(2).cloned().collect();
        let flow = script::run_text(&mut shell, text);
        return finish(&mut shell, flow);
    }
    if let Some(path) = rest.first() {
        let status = script::run_file(&mut shell, path, &rest[1..]);
        return status;
    }
    // Commands from standard input: interactive when it is a terminal (or with -i).
    if shell.options.interactive || is_terminal(0) {
        shell.options.interactive = true;
        interact(&mut shell)
    } else {
        read_standard_input(&mut shell)
    }
}

/// Whether `fd` is a terminal (a character device: the console).
fn is_terminal(fd: i32) -> bool {
    libos::fs::fstat(fd).is_ok_and(|status| libposix_sys::mode::S_ISCHR(status.st_mode))
}

/// Runs commands read from a standard input that is not a terminal: line by line, each complete
/// command as soon as it is read, so that a command reading standard input gets the lines after
/// it (as POSIX requires of `sh < script`), without prompts or echo.
fn read_standard_input(shell: &mut Shell) -> i32 {
    let mut text = String::new();
    loop {
        let Some(line) = line::read_raw_line(0) else {
            if !text.is_empty() {
                // The input ended inside a command: say so, as a syntax error.
                let flow = script::run_text(shell, &text);
                return finish(shell, flow);
            }
            return shell.status;
        };
        text.push_str(&line);
        text.push('\n');
        match parse(&text) {
            Err(ParseError::Incomplete(_)) => continue,
            _ => {
                let command = core::mem::take(&mut text);
                if let Flow::Exit(status) = script::run_text(shell, &command) {
                    return status;
                }
            }
        }
    }
}

/// The exit status for how the program ended.
fn finish(shell: &mut Shell, flow: Flow) -> i32 {
    match flow {
        Flow::Exit(status) => status,
        _ => shell.status,
    }
}

/// Reads and runs commands from the terminal until `exit` or end of input.
fn interact(shell: &mut Shell) -> i32 {
    job_control::enable(shell);
    let mut text = String::new();
    loop {
        if text.is_empty() {
            report_finished_jobs(shell);
        }
        let prompt = if text.is_empty() { "PS1" } else { "PS2" };
        let prompt = String::from(shell.get(prompt).unwrap_or("$ "));
        match line::read_line(&prompt) {
            Input::Line(line) => {
                text.push_str(&line);
                text.push('\n');
            }
            Input::Interrupted => {
                text.clear();
                shell.status = 130;
                continue;
            }
            Input::End => {
                out!("\n");
                return shell.status;
            }
        }
        match parse(&text) {
            Ok(list) => {
                text.clear();
                if let Flow::Exit(status) = run_list(shell, &list) {
                    return status;
                }
            }
            Err(ParseError::Incomplete(_)) => {}
            Err(error) => {
                text.clear();
                complain!("{error}");
                shell.status = 2;
            }
        }
    }
}

/// Collects background jobs that have ended and says so, as an interactive shell does before
/// each prompt.
fn report_finished_jobs(shell: &mut Shell) {
    let mut index = 0;
    while index < shell.jobs.len() {
        let mut last_status = None;
        let job = &mut shell.jobs[index];
        job.pids.retain(|&pid| {
            let mut status = 0;
            match waitpid(pid, Some(&mut status), WNOHANG) {
                Ok(0) => true,
                Ok(_) => {
                    if pid == job.pid {
                        last_status = Some(status);
                    }
                    false
                }
                Err(_) => false,
            }
        });
        if !job.pids.is_empty() {
            index += 1;
            continue;
        }
        if let Some(status) = last_status {
            out!(
                "[{}] Done ({}) {}\n",
                index + 1,
                process::status_of(status),
                job.text
            );
        }
        shell.jobs.remove(index);
    }
}
