//! Command substitution: the list runs in a forked subshell whose standard output is a pipe
//! the shell reads to its end.

use alloc::string::String;
use alloc::vec::Vec;

use libos::io::{close, dup2, pipe, read};
use shell_language::expansion::ExpansionError;
use shell_language::syntax::List;

use crate::execute::run_list;
use crate::process::{fork_subshell, wait_for};
use crate::shell::Shell;

/// Runs `list` with its output captured; its status is kept for a command of only
/// assignments.
///
/// # Errors
/// [`ExpansionError::CommandSubstitution`] when no pipe or subshell can be made.
pub fn capture(shell: &mut Shell, list: &List) -> Result<String, ExpansionError> {
    let failure = |what: &str, error: libposix_sys::errno::Errno| {
        ExpansionError::CommandSubstitution(alloc::format!("{what}: {}", error.description()))
    };
    let [reader, writer] = pipe().map_err(|error| failure("pipe", error))?;
    let child = fork_subshell(shell, |shell| {
        let _ = close(reader);
        if writer != 1 {
            let _ = dup2(writer, 1);
            let _ = close(writer);
        }
        run_list(shell, list)
    });
    let _ = close(writer);
    let pid = match child {
        Ok(pid) => pid,
        Err(error) => {
            let _ = close(reader);
            return Err(failure("fork", error));
        }
    };
    let mut output = Vec::new();
    let mut buffer = [0u8; 512];
    while let Ok(count @ 1..) = read(reader, &mut buffer) {
        output.extend_from_slice(&buffer[..count]);
    }
    let _ = close(reader);
    shell.substitution_status = Some(wait_for(pid));
    Ok(String::from_utf8_lossy(&output).into_owned())
}
