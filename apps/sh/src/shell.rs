//! The shell's state — variables and which are exported, positional parameters, the special
//! parameters, options, functions and background jobs — and word expansion over it.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use shell_language::expansion::{Context, ExpansionError};
use shell_language::parser::is_name;
use shell_language::syntax::{Command, List};

/// One variable.
#[derive(Clone, Debug)]
pub struct Variable {
    /// Its value.
    pub value: String,
    /// Passed to the programs the shell runs.
    pub exported: bool,
}

/// A command started with `&`, or stopped by `^Z`, and not yet waited for.
#[derive(Clone, Debug)]
pub struct Job {
    /// Its (last) process.
    pub pid: i32,
    /// All its processes not yet collected.
    pub pids: Vec<i32>,
    /// Its process group (0 without job control).
    pub group: i32,
    /// Stopped (`^Z`) rather than running.
    pub stopped: bool,
    /// The text shown by `jobs`.
    pub text: String,
}

/// The options `set` changes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// `-e`: exit when a command fails outside a condition.
    pub exit_on_error: bool,
    /// `-x`: print each command before running it.
    pub trace: bool,
    /// `-f`: no pathname expansion.
    pub no_glob: bool,
    /// Reading commands from the terminal.
    pub interactive: bool,
}

/// What running a command asks of the commands around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Carry on.
    Normal,
    /// `break n`: leave n enclosing loops.
    Break(u32),
    /// `continue n`: next iteration of the n-th enclosing loop.
    Continue(u32),
    /// `return`: leave the function.
    Return,
    /// `exit status` (or a fatal error): leave the shell.
    Exit(i32),
}

/// Everything the shell keeps between commands.
pub struct Shell {
    /// Variables by name.
    pub variables: BTreeMap<String, Variable>,
    /// `$0`.
    pub name: String,
    /// `$1`, `$2`, ….
    pub positional: Vec<String>,
    /// `$?`.
    pub status: i32,
    /// `$$`: the pid of the shell started, also inside subshells.
    pub shell_pid: i32,
    /// `$!`.
    pub last_background: Option<i32>,
    /// The options.
    pub options: Options,
    /// Functions by name.
    pub functions: BTreeMap<String, Rc<Command>>,
    /// Background jobs not yet waited for.
    pub jobs: Vec<Job>,
    /// How many loops enclose the command running now (bounds `break` and `continue`).
    pub loop_depth: u32,
    /// How many functions, `eval`s and `.` scripts are running inside one another (bounded:
    /// each costs stack).
    pub function_depth: u32,
    /// Above 0 while running a condition (`if`, `while`, left of `&&`/`||`, after `!`), where
    /// `set -e` does not apply.
    pub condition_depth: u32,
    /// This process is a forked subshell: `exit` ends only it.
    pub is_subshell: bool,
    /// The status of the last command substitution of the command being expanded (the `$?` of
    /// a command of assignments only).
    pub substitution_status: Option<i32>,
    /// Job control, in an interactive shell on its controlling terminal.
    pub job_control: Option<crate::job_control::Control>,
    /// The job whose processes are being started.
    pub starting: Option<crate::job_control::Starting>,
}

/// How deeply functions, `eval` and `.` may nest: each level costs the shell's (small) stack, so
/// deeper recursion is an error rather than a crash.
pub const MAXIMUM_CALL_DEPTH: u32 = 24;

impl Shell {
    /// Runs `body` one call level deeper, or says the nesting is too deep (status 2, and the end
    /// of a non-interactive shell).
    pub fn nested_call(&mut self, name: &str, body: impl FnOnce(&mut Self) -> Flow) -> Flow {
        if self.function_depth >= MAXIMUM_CALL_DEPTH {
            crate::complain!("{name}: nested too deeply");
            self.status = 2;
            return if self.options.interactive {
                Flow::Normal
            } else {
                Flow::Exit(2)
            };
        }
        self.function_depth += 1;
        let flow = body(self);
        self.function_depth -= 1;
        flow
    }

    /// A shell with the environment it was started with.
    pub fn new(name: String, environment: impl Iterator<Item = String>) -> Self {
        let mut variables = BTreeMap::new();
        for entry in environment {
            if let Some((name, value)) = entry.split_once('=')
                && is_name(name)
            {
                variables.insert(
                    String::from(name),
                    Variable {
                        value: String::from(value),
                        exported: true,
                    },
                );
            }
        }
        for (name, default) in [
            ("PATH", "/bin"),
            ("HOME", "/"),
            ("PS1", "$ "),
            ("PS2", "> "),
        ] {
            variables.entry(String::from(name)).or_insert(Variable {
                value: String::from(default),
                exported: name == "PATH" || name == "HOME",
            });
        }
        variables.insert(
            String::from("IFS"),
            Variable {
                value: String::from(" \t\n"),
                exported: false,
            },
        );
        let shell_pid = libos::process::identity::getpid().unwrap_or(0);
        Self {
            variables,
            name,
            positional: Vec::new(),
            status: 0,
            shell_pid,
            last_background: None,
            options: Options::default(),
            functions: BTreeMap::new(),
            jobs: Vec::new(),
            loop_depth: 0,
            function_depth: 0,
            condition_depth: 0,
            is_subshell: false,
            substitution_status: None,
            job_control: None,
            starting: None,
        }
    }

    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.variables
            .get(name)
            .map(|variable| variable.value.as_str())
    }

    /// Sets a variable, keeping whether it is exported.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.variables.get_mut(name) {
            Some(variable) => variable.value = String::from(value),
            None => {
                self.variables.insert(
                    String::from(name),
                    Variable {
                        value: String::from(value),
                        exported: false,
                    },
                );
            }
        }
    }

    /// The environment given to programs: every exported variable as `NAME=value`.
    pub fn environment(&self) -> Vec<String> {
        self.variables
            .iter()
            .filter(|(_, variable)| variable.exported)
            .map(|(name, variable)| format!("{name}={}", variable.value))
            .collect()
    }

    /// The `$-` letters.
    fn option_letters(&self) -> String {
        let mut letters = String::new();
        if self.options.exit_on_error {
            letters.push('e');
        }
        if self.options.no_glob {
            letters.push('f');
        }
        if self.options.interactive {
            letters.push('i');
        }
        if self.options.trace {
            letters.push('x');
        }
        letters
    }
}

impl Context for Shell {
    fn parameter(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "$" => Some(self.shell_pid.to_string()),
            "!" => self.last_background.map(|pid| pid.to_string()),
            "#" => Some(self.positional.len().to_string()),
            "-" => Some(self.option_letters()),
            "0" => Some(self.name.clone()),
            _ if name.bytes().all(|byte| byte.is_ascii_digit()) => name
                .parse::<usize>()
                .ok()
                .and_then(|index| index.checked_sub(1))
                .and_then(|index| self.positional.get(index).cloned()),
            _ => self.get(name).map(String::from),
        }
    }

    fn positional_parameters(&self) -> Vec<String> {
        self.positional.clone()
    }

    fn assign(&mut self, name: &str, value: &str) -> Result<(), ExpansionError> {
        if !is_name(name) {
            return Err(ExpansionError::ReadOnly(String::from(name)));
        }
        self.set(name, value);
        Ok(())
    }

    fn command_substitution(&mut self, list: &List) -> Result<String, ExpansionError> {
        crate::substitution::capture(self, list)
    }

    fn list_directory(&mut self, path: &str) -> Option<Vec<String>> {
        if self.options.no_glob {
            return None;
        }
        crate::directory::names(path).ok()
    }
}
