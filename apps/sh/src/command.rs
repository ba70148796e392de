//! Simple commands (POSIX XCU 2.9.1): expansion, assignments, then a special built-in, a
//! function, a built-in or a program found through `PATH`, started in a child process (or in
//! place, when this process was made for it alone).

use alloc::string::String;
use alloc::vec::Vec;

use libos::fs;
use libos::process::execve;
use libos::process::identity::_exit;
use libposix_sys::errno::Errno;
use libposix_sys::mode::{S_ISDIR, S_ISREG};
use shell_language::expansion::{ExpansionError, expand_to_string, expand_words};
use shell_language::syntax::SimpleCommand;

use crate::builtins::{self, Kind};
use crate::execute::run_command;
use crate::process::wait_for;
use crate::redirect;
use crate::shell::{Flow, Shell};
use crate::{complain, launch, script};

/// Runs a simple command; `in_place`: this process exists for it alone.
pub fn run_simple(shell: &mut Shell, command: &SimpleCommand, in_place: bool) -> Flow {
    shell.substitution_status = None;
    let words = match expand_words(shell, &command.words) {
        Ok(words) => words,
        Err(error) => return expansion_failed(shell, &error),
    };
    let mut assignments = Vec::new();
    for assignment in &command.assignments {
        match expand_to_string(shell, &assignment.value) {
            Ok(value) => assignments.push((assignment.name.clone(), value)),
            Err(error) => return expansion_failed(shell, &error),
        }
    }
    if shell.options.trace {
        let mut line = String::from("+");
        for (name, value) in &assignments {
            line.push(' ');
            line.push_str(name);
            line.push('=');
            line.push_str(&shell_language::quote::quote(value));
        }
        for word in &words {
            line.push(' ');
            line.push_str(&shell_language::quote::quote(word));
        }
        line.push('\n');
        crate::output::write_all(2, line.as_bytes());
    }
    let Some(name) = words.first() else {
        // Only assignments and redirections: the assignments stay; `$?` is the last command
        // substitution's.
        for (name, value) in &assignments {
            shell.set(name, value);
        }
        shell.status = shell.substitution_status.unwrap_or(0);
        match redirect::apply(shell, &command.redirections, true) {
            Ok(saved) => saved.restore(),
            Err(()) => shell.status = 1,
        }
        return Flow::Normal;
    };
    if name == "exec" && words.len() == 1 {
        // `exec` with only redirections: they stay in force for the rest of the shell.
        shell.status = match redirect::apply(shell, &command.redirections, false) {
            Ok(_kept) => 0,
            Err(()) => 1,
        };
        return Flow::Normal;
    }
    if name == "exec" {
        if redirect::apply(shell, &command.redirections, false).is_err() {
            shell.status = 1;
            return Flow::Exit(1);
        }
        return builtins::run(shell, &words);
    }
    let kind = builtins::kind(name);
    if kind == Some(Kind::Special) {
        for (name, value) in &assignments {
            shell.set(name, value);
        }
        return run_builtin(shell, &words, &command.redirections, in_place);
    }
    if let Some(body) = shell.functions.get(name.as_str()).cloned() {
        return run_function(shell, &body, &words, &assignments, &command.redirections);
    }
    let program = if kind == Some(Kind::Regular) {
        None
    } else {
        search(shell, name)
    };
    let program = match program {
        Some(program) => program,
        None if kind.is_some() => {
            let saved: Vec<(String, Option<String>)> = assignments
                .iter()
                .map(|(name, _)| (name.clone(), shell.get(name).map(String::from)))
                .collect();
            for (name, value) in &assignments {
                shell.set(name, value);
            }
            let flow = run_builtin(shell, &words, &command.redirections, in_place);
            for (name, value) in saved {
                match value {
                    Some(value) => shell.set(&name, &value),
                    None => {
                        shell.variables.remove(&name);
                    }
                }
            }
            return flow;
        }
        None => {
            complain!("{name}: not found");
            shell.status = 127;
            return Flow::Normal;
        }
    };
    let environment = program_environment(shell, &assignments);
    if in_place {
        run_program(shell, &program, &words, &environment, &command.redirections)
    }
    shell.status = match start_program(shell, &program, &words, &environment, &command.redirections)
    {
        Ok(pid) => wait_for(pid),
        Err(status) => status,
    };
    Flow::Normal
}

/// The environment of a program: the exported variables, with the command's assignments.
fn program_environment(shell: &Shell, assignments: &[(String, String)]) -> Vec<String> {
    let mut environment = shell.environment();
    for (name, value) in assignments {
        let prefix = alloc::format!("{name}=");
        environment.retain(|entry| !entry.starts_with(&prefix));
        environment.push(alloc::format!("{name}={value}"));
    }
    environment
}

/// Starts a program with the command's redirections (made in the shell around the start and
/// undone after it); answers its pid or the status for why it did not start.
fn start_program(
    shell: &mut Shell,
    program: &Program,
    words: &[String],
    environment: &[String],
    redirections: &[shell_language::syntax::Redirection],
) -> Result<i32, i32> {
    if !program.executable {
        complain!("{}: permission denied", words[0]);
        return Err(126);
    }
    let saved = redirect::apply(shell, redirections, true).map_err(|()| 1)?;
    let group = crate::job_control::spawn_group(shell);
    let started = launch::start(&program.path, words, environment, group);
    saved.restore();
    if let Ok(pid) = started {
        crate::job_control::started(shell, pid);
    }
    started
}

fn expansion_failed(shell: &mut Shell, error: &ExpansionError) -> Flow {
    complain!("{error}");
    shell.status = 1;
    // A non-interactive shell ends on an expansion error (XCU 2.8.1).
    if shell.options.interactive {
        Flow::Normal
    } else {
        Flow::Exit(1)
    }
}

fn run_builtin(
    shell: &mut Shell,
    words: &[String],
    redirections: &[shell_language::syntax::Redirection],
    in_place: bool,
) -> Flow {
    let Ok(saved) = redirect::apply(shell, redirections, !in_place) else {
        shell.status = 1;
        // A redirection error of a special built-in ends a non-interactive shell.
        if builtins::kind(&words[0]) == Some(Kind::Special) && !shell.options.interactive {
            return Flow::Exit(1);
        }
        return Flow::Normal;
    };
    let flow = builtins::run(shell, words);
    saved.restore();
    flow
}

fn run_function(
    shell: &mut Shell,
    body: &shell_language::syntax::Command,
    words: &[String],
    assignments: &[(String, String)],
    redirections: &[shell_language::syntax::Redirection],
) -> Flow {
    for (name, value) in assignments {
        shell.set(name, value);
    }
    let Ok(saved) = redirect::apply(shell, redirections, true) else {
        shell.status = 1;
        return Flow::Normal;
    };
    let positional = core::mem::replace(&mut shell.positional, words[1..].to_vec());
    let flow = shell.nested_call(&words[0], |shell| run_command(shell, body, false));
    shell.positional = positional;
    saved.restore();
    match flow {
        Flow::Return => Flow::Normal,
        other => other,
    }
}

/// A program to run: where it is, and whether it may be executed.
pub struct Program {
    path: String,
    executable: bool,
}

impl Program {
    /// Its path.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// The program `name` names: itself when it has a `/`, else the first regular file called
/// `name` in a `PATH` directory.
pub fn search(shell: &Shell, name: &str) -> Option<Program> {
    let check = |path: &str| match fs::stat(path) {
        Ok(status) if S_ISREG(status.st_mode) => Some(Program {
            path: String::from(path),
            executable: status.st_mode & 0o111 != 0,
        }),
        Ok(status) if S_ISDIR(status.st_mode) => None,
        Ok(_) | Err(_) => None,
    };
    if name.contains('/') {
        return check(name).or(Some(Program {
            path: String::from(name),
            executable: true,
        }));
    }
    let path = shell.get("PATH").unwrap_or("/bin");
    path.split(':').find_map(|directory| {
        let directory = if directory.is_empty() { "." } else { directory };
        check(&alloc::format!(
            "{}/{name}",
            directory.trim_end_matches('/')
        ))
    })
}

/// In the child made for it: redirections, then `execve`; a file that is not an executable
/// image is run as a shell script (XCU 2.9.1.1). Never returns.
fn run_program(
    shell: &mut Shell,
    program: &Program,
    words: &[String],
    environment: &[String],
    redirections: &[shell_language::syntax::Redirection],
) -> ! {
    if redirect::apply(shell, redirections, false).is_err() {
        _exit(1);
    }
    replace_with(shell, program, words, environment)
}

/// Replaces this process with the program (`execve`); a file that is not an executable image
/// is run as a shell script in this process. Never returns.
pub fn replace_with(
    shell: &mut Shell,
    program: &Program,
    words: &[String],
    environment: &[String],
) -> ! {
    let name = &words[0];
    if !program.executable {
        complain!("{name}: permission denied");
        _exit(126);
    }
    let arguments: Vec<&str> = words.iter().map(String::as_str).collect();
    let environment: Vec<&str> = environment.iter().map(String::as_str).collect();
    let error = match execve(&program.path, &arguments, &environment) {
        Ok(never) => match never {},
        Err(error) => error,
    };
    match error {
        // Not a program image (or not one the loader can reach): a script for this shell.
        Errno::ENOEXEC | Errno::ENOENT if fs::stat(&program.path).is_ok() => {
            let status = script::run_file(shell, &program.path, &words[1..]);
            _exit(status)
        }
        Errno::ENOENT => {
            complain!("{name}: not found");
            _exit(127)
        }
        error => {
            complain!("{name}: {}", error.description());
            _exit(126)
        }
    }
}

/// Starts a simple command that names a program (not a function or built-in, and not only
/// assignments) without waiting and without forking the shell: answers `None` when the command
/// is not one (the caller then runs it in a subshell), else its pid or the status for why it
/// did not start. Its words are expanded in the shell (POSIX allows the commands of a pipeline
/// and of `&` to run in the current environment).
pub fn start_simple_program(
    shell: &mut Shell,
    command: &SimpleCommand,
) -> Option<Result<i32, i32>> {
    let name_word = command.words.first()?;
    // A quick look before expanding anything: expansions with side effects stay in a subshell.
    if let Some(name) = name_word.as_plain_literal()
        && (builtins::kind(name).is_some() || shell.functions.contains_key(name))
    {
        return None;
    }
    let words = expand_words(shell, &command.words).ok()?;
    let name = words.first()?;
    if builtins::kind(name).is_some() || shell.functions.contains_key(name.as_str()) {
        return None;
    }
    let Some(program) = search(shell, name) else {
        complain!("{name}: not found");
        return Some(Err(127));
    };
    let mut assignments = Vec::new();
    for assignment in &command.assignments {
        assignments.push((
            assignment.name.clone(),
            expand_to_string(shell, &assignment.value).ok()?,
        ));
    }
    let environment = program_environment(shell, &assignments);
    Some(start_program(
        shell,
        &program,
        &words,
        &environment,
        &command.redirections,
    ))
}
