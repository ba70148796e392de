//! Running shell text: a script file (`sh FILE`, `.`), a `-c` string or `eval`'s arguments.

use alloc::string::String;
use alloc::vec::Vec;

use libos::{fs, io};
use libposix_sys::fcntl::O_RDONLY;
use shell_language::parser::CompleteCommands;

use crate::complain;
use crate::execute::run_list;
use crate::shell::{Flow, Shell};

/// A file's text, or `None` (said why) when it cannot be read.
pub fn read_file(path: &str) -> Option<String> {
    let file = match fs::open(path, O_RDONLY, 0) {
        Ok(file) => file,
        Err(error) => {
            complain!("{path}: {}", error.description());
            return None;
        }
    };
    let mut text = Vec::new();
    let mut buffer = [0u8; 4096];
    let result = loop {
        match io::read(file, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(count) => text.extend_from_slice(&buffer[..count]),
            Err(error) => break Err(error),
        }
    };
    let _ = io::close(file);
    if let Err(error) = result {
        complain!("{path}: {}", error.description());
        return None;
    }
    Some(String::from_utf8_lossy(&text).into_owned())
}

/// Runs `text` one complete command at a time (each parsed just before it runs); a syntax
/// error sets `$?` to 2 and ends a non-interactive shell.
pub fn run_text(shell: &mut Shell, text: &str) -> Flow {
    for command in CompleteCommands::new(text) {
        let flow = match command {
            Ok(list) => run_list(shell, &list),
            Err(error) => {
                complain!("{error}");
                shell.status = 2;
                if shell.options.interactive {
                    Flow::Normal
                } else {
                    Flow::Exit(2)
                }
            }
        };
        if flow != Flow::Normal {
            return flow;
        }
    }
    Flow::Normal
}

/// Runs the script at `path` with `arguments` as `$1…` and answers its exit status (127 when
/// it cannot be read).
pub fn run_file(shell: &mut Shell, path: &str, arguments: &[String]) -> i32 {
    let Some(text) = read_file(path) else {
        return 127;
    };
    shell.name = String::from(path);
    shell.positional = arguments.to_vec();
    match run_text(shell, &text) {
        Flow::Exit(status) => status,
        _ => shell.status,
    }
}
