//! Checks of how `execve` finds and checks what it runs: files of the shared file system
//! (scripts written at run time), `EACCES` and `ENOTDIR`, `#!` interpreters with Linux's
//! argument rules, `ELOOP`, and `execv`/`execvp` passing the environment and searching `PATH`.
//!
//! Helper modes: `script-args SCRIPT` (a `#!` script's interpreter checks its words),
//! `env-expect WORD` (exits 0 when the environment holds WORD), `execv-env WORD` (`execv`s
//! `env-expect WORD`), `execvp-exit N` (`execvp`s this program by name to exit N),
//! `execvp-denied` (`execvp` of a non-executable found along PATH must be EACCES).

use alloc::format;
use alloc::string::String;

use libos::fs::{chmod, mkdir, open, rmdir, unlink};
use libos::io::{close, write};
use libos::process::identity::{_exit, waitpid};
use libos::process::{execv, execve, execvp, fork, posix_spawn};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_TRUNC, O_WRONLY};
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

/// Every check of this file, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "execve:EACCES-not-executable",
        covers: &["execve:EACCES"],
        run: not_executable,
    },
    Check {
        name: "execve:EACCES-directory-ENOTDIR",
        covers: &["execve:EACCES-directory", "execve:ENOTDIR"],
        run: directory_and_not_directory,
    },
    Check {
        name: "execve:shebang-script-written-at-run-time",
        covers: &["execve:shebang", "execve:runs-files-of-the-file-system"],
        run: shebang_script,
    },
    Check {
        name: "execve:shebang-one-argument",
        covers: &["execve:shebang-argument"],
        run: shebang_argument,
    },
    Check {
        name: "execve:shebang-errors",
        covers: &[
            "execve:shebang-ENOEXEC",
            "execve:shebang-ENOENT",
            "execve:ELOOP",
        ],
        run: shebang_errors,
    },
    Check {
        name: "execv:passes-own-environment",
        covers: &["execv"],
        run: execv_environment,
    },
    Check {
        name: "execvp:PATH-search",
        covers: &["execvp:PATH-search"],
        run: execvp_searches,
    },
    Check {
        name: "execvp:ENOENT-and-EACCES",
        covers: &["execvp:ENOENT", "execvp:EACCES"],
        run: execvp_errors,
    },
    Check {
        name: "posix_spawn:scripts-and-EACCES",
        covers: &["posix_spawn:shebang", "posix_spawn:EACCES"],
        run: spawn_script,
    },
];

const SCRIPT: &str = "/tmp/exec-script";

fn spawn_script() -> CheckOutcome {
    write_file(SCRIPT, "#!/bin/posix-process-tests script-args\n", 0o755)?;
    let pid = posix_spawn(SCRIPT, &[], None, &[SCRIPT, "one", "two words"], &[]);
    let outcome = pid
        .map_err(|e| format!("posix_spawn of a script: {e}"))
        .and_then(|pid| {
            let mut status = 0;
            waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e}"))?;
            if WIFEXITED(status) && WEXITSTATUS(status) == 0 {
                Ok(())
            } else {
                Err(format!("the script's interpreter: status {status:#x}"))
            }
        });
    let _ = chmod(SCRIPT, 0o644);
    let denied = posix_spawn(SCRIPT, &[], None, &[SCRIPT], &[]);
    let _ = unlink(SCRIPT);
    outcome?;
    match denied {
        Err(Errno::EACCES) => Ok(()),
        other => Err(format!("posix_spawn of a 0644 file: {other:?}")),
    }
}

/// Runs a helper mode of this file; `None` when `mode` is not one of them.
pub fn run_helper(mode: &str, arguments: &[String]) -> Option<i32> {
    let word = |index: usize| arguments.get(index).map_or("", String::as_str);
    Some(match mode {
        // As an interpreter: [us, "script-args", SCRIPT, "one", "two words"].
        "script-args" => i32::from(
            arguments.len() != 5 || word(2) != SCRIPT || word(3) != "one" || word(4) != "two words",
        ),
        // The one argument of `#!/bin/posix-process-tests script with  spaces`.
        "script with  spaces" => i32::from(arguments.len() != 3 || word(2) != SCRIPT),
        "env-expect" => i32::from(
            !libos::process::exec::environment()
                .iter()
                .any(|variable| variable == word(2)),
        ),
        "execv-env" => {
            let _ = execv(crate::SELF_PATH, &[crate::SELF_PATH, "env-expect", word(2)]);
            101
        }
        "execvp-exit" => {
            let _ = execvp(
                "posix-process-tests",
                &["posix-process-tests", "exit", word(2)],
            );
            101
        }
        "execvp-denied" => {
            let denied = execvp("exec-plain", &["exec-plain"]);
            i32::from(denied.err() != Some(Errno::EACCES))
        }
        _ => return None,
    })
}

fn write_file(path: &str, contents: &str, mode: u32) -> CheckOutcome {
    let fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC, mode).map_err(|e| format!("open {path}: {e}"))?;
    let written = write(fd, contents.as_bytes());
    let _ = close(fd);
    chmod(path, mode).map_err(|e| format!("chmod {path}: {e}"))?;
    match written {
        Ok(count) if count == contents.len() => Ok(()),
        other => Err(format!("write {path}: {other:?}")),
    }
}

/// Forks; the child runs `child` (which execs), the parent expects exit `expected`.
fn in_child(child: impl FnOnce() -> i32, expected: i32) -> CheckOutcome {
    let pid = fork().map_err(|e| format!("fork: {e}"))?;
    if pid == 0 {
        _exit(child());
    }
    let mut status = 0;
    waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e}"))?;
    if !WIFEXITED(status) || WEXITSTATUS(status) != expected {
        return Err(format!(
            "the child's status {status:#x}, expected exit {expected}"
        ));
    }
    Ok(())
}

fn not_executable() -> CheckOutcome {
    let path = "/tmp/exec-not-executable";
    write_file(path, "#!/bin/posix-process-tests exit\n", 0o644)?;
    let result = execve(path, &[path], &[]);
    let _ = unlink(path);
    match result {
        Err(Errno::EACCES) => Ok(()),
        other => Err(format!("execve of a 0644 file: {other:?}")),
    }
}

fn directory_and_not_directory() -> CheckOutcome {
    match execve("/tmp", &["/tmp"], &[]) {
        Err(Errno::EACCES) => {}
        other => return Err(format!("execve of a directory: {other:?}")),
    }
    let below_a_file = format!("{}/x", crate::SELF_PATH);
    match execve(&below_a_file, &[&below_a_file], &[]) {
        Err(Errno::ENOTDIR) => Ok(()),
        other => Err(format!("execve of {below_a_file}: {other:?}")),
    }
}

fn shebang_script() -> CheckOutcome {
    write_file(
        SCRIPT,
        "#!/bin/posix-process-tests script-args\nignored\n",
        0o755,
    )?;
    let outcome = in_child(
        || {
            let _ = execve(SCRIPT, &[SCRIPT, "one", "two words"], &[]);
            100
        },
        0,
    );
    let _ = unlink(SCRIPT);
    outcome
}

fn shebang_argument() -> CheckOutcome {
    // Everything after the interpreter, spaces inside kept, is its one argument.
    write_file(
        SCRIPT,
        "#!  /bin/posix-process-tests   script with  spaces \t\n",
        0o755,
    )?;
    let outcome = in_child(
        || {
            let _ = execve(SCRIPT, &[SCRIPT], &[]);
            100
        },
        0,
    );
    let _ = unlink(SCRIPT);
    outcome
}

fn shebang_errors() -> CheckOutcome {
    let cases: [(&str, &str, Errno); 3] = [
        ("/tmp/exec-empty", "#!   \n", Errno::ENOEXEC),
        (
            "/tmp/exec-missing",
            "#!/bin/no-such-interpreter\n",
            Errno::ENOENT,
        ),
        ("/tmp/exec-loop", "#!/tmp/exec-loop\n", Errno::ELOOP),
    ];
    let mut outcome = Ok(());
    for (path, contents, expected) in cases {
        write_file(path, contents, 0o755)?;
        let result = execve(path, &[path], &[]);
        let _ = unlink(path);
        if result.err() != Some(expected) && outcome.is_ok() {
            outcome = Err(format!("{contents:?}: {result:?}, expected {expected:?}"));
        }
    }
    outcome
}

/// Spawns this program as helper `words` with `envp` (a spawned child has the quota for an
/// `exec` of a program this size; a forked one shares ours and has less) and expects exit
/// `expected`.
fn spawned(words: &[&str], envp: &[&str], expected: i32) -> CheckOutcome {
    let mut argv = alloc::vec![crate::SELF_PATH];
    argv.extend_from_slice(words);
    let pid = posix_spawn(crate::SELF_PATH, &[], None, &argv, envp)
        .map_err(|e| format!("posix_spawn: {e}"))?;
    let mut status = 0;
    waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e}"))?;
    if !WIFEXITED(status) || WEXITSTATUS(status) != expected {
        return Err(format!(
            "the helper's status {status:#x}, expected exit {expected}"
        ));
    }
    Ok(())
}

fn execv_environment() -> CheckOutcome {
    spawned(&["execv-env", "PASSED=on"], &["PASSED=on", "OTHER=1"], 0)
}

fn execvp_searches() -> CheckOutcome {
    spawned(&["execvp-exit", "9"], &["PATH=/nowhere:/tmp:/bin"], 9)
}

fn execvp_errors() -> CheckOutcome {
    match execvp("no-such-program-anywhere", &["no-such-program-anywhere"]) {
        Err(Errno::ENOENT) => {}
        other => return Err(format!("execvp of a missing name: {other:?}")),
    }
    let directory = "/tmp/exec-path";
    let _ = mkdir(directory, 0o755);
    let plain = "/tmp/exec-path/exec-plain";
    write_file(plain, "not a program\n", 0o644)?;
    let outcome = spawned(&["execvp-denied"], &["PATH=/tmp/exec-path:/nowhere"], 0);
    let _ = unlink(plain);
    let _ = rmdir(directory);
    outcome
}
