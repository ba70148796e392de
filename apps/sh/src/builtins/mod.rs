//! The built-in commands: POSIX's special built-ins (which change the shell itself and whose
//! assignments persist) and the regular ones a shell must have built in (`cd`, `wait`, `read`,
//! …), plus `echo` and `test`. File utilities (`ls`, `cat`, `sleep`, …) are programs in `/bin`.

mod directories;
mod echo;
mod flow;
mod jobs;
mod test;
mod variables;

use alloc::string::String;

use crate::shell::{Flow, Shell};

/// What kind of built-in a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A POSIX special built-in: found before functions, its assignments persist, its errors
    /// end a non-interactive shell.
    Special,
    /// A regular built-in: found before `PATH`.
    Regular,
}

const SPECIAL: &[&str] = &[
    ":", ".", "break", "continue", "eval", "exec", "exit", "export", "return", "set", "shift",
    "unset",
];
const REGULAR: &[&str] = &[
    "cd", "pwd", "echo", "true", "false", "test", "[", "wait", "kill", "jobs", "fg", "bg", "read",
    "type",
];

/// The kind of built-in `name` is, if it is one.
#[must_use]
pub fn kind(name: &str) -> Option<Kind> {
    if SPECIAL.contains(&name) {
        Some(Kind::Special)
    } else if REGULAR.contains(&name) {
        Some(Kind::Regular)
    } else {
        None
    }
}

/// Runs the built-in `words[0]` with its arguments; sets `$?`.
pub fn run(shell: &mut Shell, words: &[String]) -> Flow {
    let arguments: alloc::vec::Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let name = words[0].as_str();
    let status = match name {
        ":" | "true" => 0,
        "false" => 1,
        "exit" => return flow::exit(shell, &arguments),
        "return" => return flow::return_(shell, &arguments),
        "break" => return flow::break_or_continue(shell, &arguments, true),
        "continue" => return flow::break_or_continue(shell, &arguments, false),
        "eval" => return flow::eval(shell, &arguments),
        "." => return flow::source(shell, &arguments),
        "exec" => return flow::exec(shell, words),
        "export" => variables::export(shell, &arguments),
        "unset" => variables::unset(shell, &arguments),
        "set" => variables::set(shell, &arguments),
        "shift" => variables::shift(shell, &arguments),
        "read" => variables::read(shell, &arguments),
        "cd" => directories::cd(shell, &arguments),
        "pwd" => directories::pwd(),
        "echo" => echo::echo(&arguments),
        "test" => test::test(&arguments),
        "[" => match arguments.split_last() {
            Some((&"]", rest)) => test::test(rest),
            _ => {
                crate::complain!("[: missing ]");
                2
            }
        },
        "wait" => jobs::wait(shell, &arguments),
        "kill" => jobs::kill(shell, &arguments),
        "jobs" => jobs::jobs(shell),
        "fg" => crate::job_control::fg(shell, &arguments),
        "bg" => crate::job_control::bg(shell, &arguments),
        "type" => flow::type_(shell, &arguments),
        _ => {
            crate::complain!("{name}: not a built-in");
            127
        }
    };
    shell.status = status;
    Flow::Normal
}
