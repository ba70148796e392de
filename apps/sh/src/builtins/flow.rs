//! Built-ins that change what runs next: `exit`, `return`, `break`, `continue`, `eval`, `.`,
//! `exec`, and `type`, which says what a name would run.

use alloc::string::String;

use libos::process::identity::_exit;

use crate::builtins::{self, Kind};
use crate::command::search;
use crate::shell::{Flow, Shell};
use crate::{complain, out, script};

fn number(text: &str, what: &str) -> Option<i32> {
    match text.parse::<i32>() {
        Ok(value) => Some(value),
        Err(_) => {
            complain!("{what}: {text}: numeric argument required");
            None
        }
    }
}

/// `exit [n]`: leaves the shell with `n` (default `$?`).
pub fn exit(shell: &mut Shell, arguments: &[&str]) -> Flow {
    match arguments.first() {
        None => Flow::Exit(shell.status),
        Some(text) => match number(text, "exit") {
            Some(status) => Flow::Exit(status & 0xff),
            None => Flow::Exit(2),
        },
    }
}

/// `return [n]`: leaves the running function (or `.` script).
pub fn return_(shell: &mut Shell, arguments: &[&str]) -> Flow {
    if let Some(text) = arguments.first() {
        shell.status = number(text, "return").map_or(2, |status| status & 0xff);
    }
    Flow::Return
}

/// `break [n]` / `continue [n]`.
pub fn break_or_continue(shell: &mut Shell, arguments: &[&str], is_break: bool) -> Flow {
    let name = if is_break { "break" } else { "continue" };
    let levels = match arguments.first() {
        None => 1,
        Some(text) => match number(text, name) {
            Some(levels) if levels >= 1 => levels as u32,
            _ => {
                shell.status = 1;
                return Flow::Normal;
            }
        },
    };
    if shell.loop_depth == 0 {
        shell.status = 0;
        return Flow::Normal;
    }
    shell.status = 0;
    let levels = levels.min(shell.loop_depth);
    if is_break {
        Flow::Break(levels)
    } else {
        Flow::Continue(levels)
    }
}

/// `eval [argument…]`: the arguments joined by spaces, parsed and run.
pub fn eval(shell: &mut Shell, arguments: &[&str]) -> Flow {
    let text = arguments.join(" ");
    shell.nested_call("eval", |shell| script::run_text(shell, &text))
}

/// `. file`: runs the file's commands in this shell.
pub fn source(shell: &mut Shell, arguments: &[&str]) -> Flow {
    let Some(path) = arguments.first() else {
        complain!(".: a file name is required");
        shell.status = 2;
        return Flow::Normal;
    };
    let Some(text) = script::read_file(path) else {
        shell.status = 1;
        return if shell.options.interactive {
            Flow::Normal
        } else {
            Flow::Exit(1)
        };
    };
    match shell.nested_call(".", |shell| script::run_text(shell, &text)) {
        Flow::Return => Flow::Normal,
        other => other,
    }
}

/// `exec [command [argument…]]`: replaces the shell with the command. (Without a command, the
/// simple command's redirections were made permanent before this runs.)
pub fn exec(shell: &mut Shell, words: &[String]) -> Flow {
    if words.len() < 2 {
        shell.status = 0;
        return Flow::Normal;
    }
    let name = &words[1];
    let Some(program) = search(shell, name) else {
        complain!("exec: {name}: not found");
        _exit(127);
    };
    let environment = shell.environment();
    crate::command::replace_with(shell, &program, &words[1..], &environment)
}

/// `type name…`: says whether each name is a built-in, a function or a program (and where).
pub fn type_(shell: &mut Shell, arguments: &[&str]) -> i32 {
    let mut status = 0;
    for name in arguments {
        if builtins::kind(name) == Some(Kind::Special) {
            out!("{name} is a special shell builtin\n");
        } else if shell.functions.contains_key(*name) {
            out!("{name} is a function\n");
        } else if builtins::kind(name) == Some(Kind::Regular) {
            out!("{name} is a shell builtin\n");
        } else if let Some(program) = search(shell, name) {
            out!("{name} is {}\n", program.path());
        } else {
            complain!("type: {name}: not found");
            status = 1;
        }
    }
    status
}
