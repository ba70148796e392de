//! Command substitution: the command's standard output is a pipe the shell reads to its end. A
//! lone pipeline is started from the shell with the pipe as its output (programs spawned,
//! other commands forked); anything else runs in a forked subshell.

use alloc::string::String;
use alloc::vec::Vec;

use libos::io::{close, dup2, fcntl, pipe2, read};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_DUPFD_CLOEXEC, O_CLOEXEC};
use shell_language::expansion::ExpansionError;
use shell_language::syntax::{List, Pipeline};

use crate::execute::{StartedPipeline, run_list, start_pipeline};
use crate::process::{fork_subshell, wait_for};
use crate::redirect::FIRST_PRIVATE_FD;
use crate::shell::Shell;

fn failure(what: &str, error: Errno) -> ExpansionError {
    ExpansionError::CommandSubstitution(alloc::format!("{what}: {}", error.description()))
}

/// Runs `list` with its output captured; its status is kept for a command of only
/// assignments.
///
/// # Errors
/// [`ExpansionError::CommandSubstitution`] when no pipe or process can be made.
pub fn capture(shell: &mut Shell, list: &List) -> Result<String, ExpansionError> {
    let [reader, writer] = pipe2(O_CLOEXEC).map_err(|error| failure("pipe", error))?;
    // Its processes belong to no job: they run in the shell's own group.
    let starting = shell.starting.take();
    let captured = capture_into(shell, list, reader, writer);
    shell.starting = starting;
    captured
}

fn capture_into(
    shell: &mut Shell,
    list: &List,
    reader: i32,
    writer: i32,
) -> Result<String, ExpansionError> {
    let waiting = match lone_pipeline(list) {
        // The pipeline's processes are started from this shell, their output the pipe: no copy
        // of the shell wraps them.
        Some(pipeline) => {
            let saved = fcntl(1, F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD)
                .map_err(|error| failure("dup", error))? as i32;
            let _ = dup2(writer, 1);
            let started = start_pipeline(shell, &pipeline.commands);
            let _ = dup2(saved, 1);
            let _ = close(saved);
            Waiting::Pipeline(started, pipeline.negated)
        }
        None => match fork_subshell(shell, |shell| {
            let _ = close(reader);
            let _ = dup2(writer, 1);
            let _ = close(writer);
            run_list(shell, list)
        }) {
            Ok(pid) => Waiting::Subshell(pid),
            Err(error) => {
                crate::complain!("{}", failure("fork", error));
                Waiting::Nothing
            }
        },
    };
    let _ = close(writer);
    let mut output = Vec::new();
    let mut buffer = [0u8; 512];
    loop {
        match read(reader, &mut buffer) {
            Ok(0) => break,
            Ok(count) => output.extend_from_slice(&buffer[..count]),
            Err(Errno::EINTR) => {}
            Err(_) => break,
        }
    }
    let _ = close(reader);
    shell.substitution_status = Some(match waiting {
        Waiting::Pipeline(started, negated) => {
            let status = started.wait();
            if negated {
                i32::from(status == 0)
            } else {
                status
            }
        }
        Waiting::Subshell(pid) => wait_for(pid),
        Waiting::Nothing => 1,
    });
    Ok(String::from_utf8_lossy(&output).into_owned())
}

/// What the substitution waits for once its output is read.
enum Waiting {
    Pipeline(StartedPipeline, bool),
    Subshell(i32),
    Nothing,
}

/// The list's only pipeline when it is one pipeline in the foreground.
fn lone_pipeline(list: &List) -> Option<&Pipeline> {
    match list.as_slice() {
        [item] if !item.background && item.and_or.rest.is_empty() => Some(&item.and_or.first),
        _ => None,
    }
}
