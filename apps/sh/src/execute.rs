//! Running the syntax tree: lists, `&&`/`||`, pipelines, background jobs and the compound
//! commands. Simple commands are [`crate::command`]'s.

use alloc::format;
use alloc::vec::Vec;

use libos::io::{close, dup2, fcntl, pipe2};
use libposix_sys::fcntl::{F_DUPFD_CLOEXEC, O_CLOEXEC, O_RDONLY};
use shell_language::expansion::{expand_to_pattern, expand_to_string, expand_words};
use shell_language::pattern;
use shell_language::syntax::{AndOr, Command, CompoundCommand, Connector, List, Pipeline};

use crate::command::run_simple;
use crate::complain;
use crate::process::{fork_subshell, wait_for};
use crate::redirect::{self, FIRST_PRIVATE_FD};
use crate::shell::{Flow, Job, Shell};

/// Runs each and-or list of `list` in turn.
pub fn run_list(shell: &mut Shell, list: &List) -> Flow {
    for item in list {
        let flow = if item.background {
            run_background(shell, &item.and_or)
        } else {
            run_and_or(shell, &item.and_or)
        };
        if flow != Flow::Normal {
            return flow;
        }
    }
    Flow::Normal
}

/// Runs an and-or list in a forked subshell without waiting; `$!` is its pid. With job control
/// it is a job of its own group.
fn run_background(shell: &mut Shell, and_or: &AndOr) -> Flow {
    let text = describe(&and_or.first);
    crate::job_control::run_job(shell, text, true, |shell| {
        start_background(shell, and_or);
        Flow::Normal
    })
}

/// The text `jobs` shows for a pipeline: its simple commands' literal words.
fn describe(pipeline: &Pipeline) -> alloc::string::String {
    let commands: Vec<alloc::string::String> = pipeline
        .commands
        .iter()
        .map(|command| match command {
            Command::Simple(simple) => simple
                .words
                .iter()
                .map(|word| word.as_plain_literal().unwrap_or("…"))
                .collect::<Vec<&str>>()
                .join(" "),
            _ => alloc::string::String::from("…"),
        })
        .collect();
    commands.join(" | ")
}

fn start_background(shell: &mut Shell, and_or: &AndOr) {
    // Without job control, a background command reads `/dev/null`, not the terminal (its own
    // redirections, made later, still apply): set around the start, undone after it.
    let saved_input = if shell.options.interactive {
        None
    } else {
        let saved = fcntl(0, F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD).ok();
        if let Ok(null) = libos::fs::open("/dev/null", O_RDONLY | O_CLOEXEC, 0) {
            let _ = dup2(null, 0);
            let _ = close(null);
        }
        saved
    };
    let started = match (
        and_or.rest.is_empty(),
        and_or.first.negated,
        and_or.first.commands.as_slice(),
    ) {
        // A lone program is started directly, without a copy of the shell around it.
        (true, false, [Command::Simple(simple)]) => {
            crate::command::start_simple_program(shell, simple)
        }
        _ => None,
    };
    let started = match started {
        Some(started) => started,
        None => fork_subshell(shell, |shell| {
            if let Some(saved) = saved_input {
                let _ = close(saved as i32);
            }
            run_and_or(shell, and_or)
        })
        .map_err(|error| {
            complain!("cannot start a background job: {}", error.description());
            1
        }),
    };
    if let Some(saved) = saved_input {
        let _ = dup2(saved as i32, 0);
        let _ = close(saved as i32);
    }
    match started {
        Ok(pid) => record_job(shell, pid),
        Err(status) => shell.status = status,
    }
}

/// Remembers a background job: `$!`, `jobs`, `wait`.
fn record_job(shell: &mut Shell, pid: i32) {
    shell.last_background = Some(pid);
    let (group, pids) = shell
        .starting
        .as_ref()
        .filter(|starting| !starting.pids.is_empty())
        .map_or((0, alloc::vec![pid]), |starting| {
            (starting.group, starting.pids.clone())
        });
    shell.jobs.push(Job {
        pid,
        pids,
        group,
        stopped: false,
        text: format!("{pid}"),
    });
    if shell.options.interactive {
        crate::out!("[{}] {pid}\n", shell.jobs.len());
    }
    shell.status = 0;
}

/// Runs pipelines joined by `&&` and `||`.
pub fn run_and_or(shell: &mut Shell, and_or: &AndOr) -> Flow {
    let last = and_or.rest.len();
    let flow = run_condition_or_not(shell, &and_or.first, last > 0);
    if flow != Flow::Normal {
        return flow;
    }
    for (index, (connector, pipeline)) in and_or.rest.iter().enumerate() {
        let run = match connector {
            Connector::And => shell.status == 0,
            Connector::Or => shell.status != 0,
        };
        if run {
            let flow = run_condition_or_not(shell, pipeline, index + 1 < last);
            if flow != Flow::Normal {
                return flow;
            }
        }
    }
    Flow::Normal
}

/// Runs a pipeline as a condition (where `set -e` does not apply) or not, applying `set -e`
/// afterwards when it does.
fn run_condition_or_not(shell: &mut Shell, pipeline: &Pipeline, is_condition: bool) -> Flow {
    let is_condition = is_condition || pipeline.negated;
    if is_condition {
        shell.condition_depth += 1;
    }
    let flow = run_pipeline(shell, pipeline);
    if is_condition {
        shell.condition_depth -= 1;
    }
    if flow == Flow::Normal
        && shell.status != 0
        && shell.options.exit_on_error
        && shell.condition_depth == 0
        && !is_condition
    {
        return Flow::Exit(shell.status);
    }
    flow
}

/// Runs a condition list (of `if`, `while`, `until`).
fn run_condition(shell: &mut Shell, list: &List) -> Flow {
    shell.condition_depth += 1;
    let flow = run_list(shell, list);
    shell.condition_depth -= 1;
    flow
}

/// Runs the commands of a pipeline, each in its own process when there are several, with each
/// one's output piped to the next one's input; the status is the last command's.
pub fn run_pipeline(shell: &mut Shell, pipeline: &Pipeline) -> Flow {
    let text = if shell.job_control.is_some() {
        describe(pipeline)
    } else {
        alloc::string::String::new()
    };
    let flow = crate::job_control::run_job(shell, text, false, |shell| {
        match pipeline.commands.as_slice() {
            [command] => run_command(shell, command, false),
            commands => {
                run_piped(shell, commands);
                Flow::Normal
            }
        }
    });
    if pipeline.negated && flow == Flow::Normal {
        shell.status = i32::from(shell.status == 0);
    }
    flow
}

fn run_piped(shell: &mut Shell, commands: &[Command]) {
    let started = start_pipeline(shell, commands);
    shell.status = started.wait();
}

/// The processes of a pipeline started by [`start_pipeline`].
pub struct StartedPipeline {
    /// Each process, and whether it runs the last command.
    children: Vec<(i32, bool)>,
    /// The last command's status when it did not start.
    last_status: Option<i32>,
}

impl StartedPipeline {
    /// Waits for every process and answers the last command's status.
    pub fn wait(self) -> i32 {
        let mut last_status = self.last_status;
        for (pid, last) in self.children {
            let status = wait_for(pid);
            if last {
                last_status = Some(status);
            }
        }
        last_status.unwrap_or(1)
    }
}

/// Starts every command of a pipeline, each one's output piped to the next one's input (the
/// first reads and the last writes the shell's own 0 and 1), without waiting: a simple command
/// naming a program is spawned, anything else runs in a forked subshell.
pub fn start_pipeline(shell: &mut Shell, commands: &[Command]) -> StartedPipeline {
    // Each command's standard input and output are set in the shell (saved above fd 10 and put
    // back after), so that a program is spawned with them and a subshell forked with them.
    let (Ok(saved_input), Ok(saved_output)) = (
        fcntl(0, F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD),
        fcntl(1, F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD),
    ) else {
        complain!("pipeline: no descriptor to save standard input and output in");
        return StartedPipeline {
            children: Vec::new(),
            last_status: Some(1),
        };
    };
    let (saved_input, saved_output) = (saved_input as i32, saved_output as i32);
    let mut children = Vec::new();
    let mut last_status = None;
    // The read end of the previous pipe (close-on-exec, so no program keeps it by accident).
    let mut input: Option<i32> = None;
    for (index, command) in commands.iter().enumerate() {
        let last = index + 1 == commands.len();
        let pipe_ends = if last {
            None
        } else {
            match pipe2(O_CLOEXEC) {
                Ok(ends) => Some(ends),
                Err(error) => {
                    complain!("pipe: {}", error.description());
                    break;
                }
            }
        };
        let _ = dup2(input.unwrap_or(saved_input), 0);
        let _ = dup2(pipe_ends.map_or(saved_output, |[_, writer]| writer), 1);
        let spawned = match command {
            Command::Simple(simple) => crate::command::start_simple_program(shell, simple),
            _ => None,
        };
        let started = match spawned {
            Some(started) => started,
            None => fork_subshell(shell, |shell| {
                // Only 0 and 1 are this command's: the pipe ends and saved copies are not.
                for fd in [
                    input,
                    pipe_ends.map(|[reader, _]| reader),
                    pipe_ends.map(|[_, writer]| writer),
                ]
                .into_iter()
                .flatten()
                .chain([saved_input, saved_output])
                {
                    let _ = close(fd);
                }
                run_command(shell, command, true)
            })
            .map_err(|error| {
                complain!("fork: {}", error.description());
                1
            }),
        };
        if let Some(reader) = input.take() {
            let _ = close(reader);
        }
        if let Some([reader, writer]) = pipe_ends {
            let _ = close(writer);
            input = Some(reader);
        }
        match started {
            Ok(pid) => children.push((pid, last)),
            Err(status) if last => last_status = Some(status),
            Err(_) => {}
        }
    }
    if let Some(reader) = input {
        let _ = close(reader);
    }
    let _ = dup2(saved_input, 0);
    let _ = dup2(saved_output, 1);
    let _ = close(saved_input);
    let _ = close(saved_output);
    StartedPipeline {
        children,
        last_status,
    }
}

/// Runs one command. `in_place`: this process is a child made for it alone, so a program may
/// replace it rather than be started in a new one.
pub fn run_command(shell: &mut Shell, command: &Command, in_place: bool) -> Flow {
    match command {
        Command::Simple(simple) => run_simple(shell, simple, in_place),
        Command::FunctionDefinition(name, body) => {
            shell.functions.insert(name.clone(), body.clone());
            shell.status = 0;
            Flow::Normal
        }
        Command::Compound(compound, redirections) => {
            let Ok(saved) = redirect::apply(shell, redirections, !in_place) else {
                shell.status = 1;
                return Flow::Normal;
            };
            let flow = run_compound(shell, compound);
            saved.restore();
            flow
        }
    }
}

fn run_compound(shell: &mut Shell, compound: &CompoundCommand) -> Flow {
    match compound {
        CompoundCommand::Group(list) => run_list(shell, list),
        CompoundCommand::Subshell(list) => {
            match fork_subshell(shell, |shell| run_list(shell, list)) {
                Ok(pid) => shell.status = wait_for(pid),
                Err(error) => {
                    complain!("fork: {}", error.description());
                    shell.status = 1;
                }
            }
            Flow::Normal
        }
        CompoundCommand::If {
            branches,
            otherwise,
        } => {
            for (condition, body) in branches {
                let flow = run_condition(shell, condition);
                if flow != Flow::Normal {
                    return flow;
                }
                if shell.status == 0 {
                    return run_list(shell, body);
                }
            }
            match otherwise {
                Some(body) => run_list(shell, body),
                None => {
                    shell.status = 0;
                    Flow::Normal
                }
            }
        }
        CompoundCommand::Loop {
            condition,
            body,
            until,
        } => {
            let mut status = 0;
            shell.loop_depth += 1;
            let flow = loop {
                let flow = run_condition(shell, condition);
                if flow != Flow::Normal {
                    break flow;
                }
                if (shell.status == 0) == *until {
                    break Flow::Normal;
                }
                match loop_body(shell, body, &mut status) {
                    Some(flow) => break flow,
                    None => continue,
                }
            };
            shell.loop_depth -= 1;
            shell.status = status;
            flow
        }
        CompoundCommand::For {
            variable,
            items,
            body,
        } => {
            let items = match items {
                Some(words) => match expand_words(shell, words) {
                    Ok(items) => items,
                    Err(error) => {
                        complain!("{error}");
                        shell.status = 1;
                        return Flow::Normal;
                    }
                },
                None => shell.positional.clone(),
            };
            let mut status = 0;
            shell.loop_depth += 1;
            let mut flow = Flow::Normal;
            for item in items {
                shell.set(variable, &item);
                if let Some(ended) = loop_body(shell, body, &mut status) {
                    flow = ended;
                    break;
                }
            }
            shell.loop_depth -= 1;
            shell.status = status;
            flow
        }
        CompoundCommand::Case { subject, arms } => {
            let subject = match expand_to_string(shell, subject) {
                Ok(subject) => subject,
                Err(error) => {
                    complain!("{error}");
                    shell.status = 1;
                    return Flow::Normal;
                }
            };
            for (patterns, list) in arms {
                for word in patterns {
                    let Ok(pattern) = expand_to_pattern(shell, word) else {
                        continue;
                    };
                    if pattern::matches(&pattern, &subject) {
                        return run_list(shell, list);
                    }
                }
            }
            shell.status = 0;
            Flow::Normal
        }
    }
}

/// Runs a loop's body once. `None`: go round again; `Some(flow)`: leave the loop with `flow`.
fn loop_body(shell: &mut Shell, body: &List, status: &mut i32) -> Option<Flow> {
    let flow = run_list(shell, body);
    *status = shell.status;
    match flow {
        Flow::Normal | Flow::Continue(1) => None,
        Flow::Break(1) => Some(Flow::Normal),
        Flow::Break(levels) => Some(Flow::Break(levels - 1)),
        Flow::Continue(levels) => Some(Flow::Continue(levels - 1)),
        other => Some(other),
    }
}
