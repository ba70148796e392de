//! The shell end to end, as `cargo xtask run -- /bin/sh -c '…'` runs it: the acceptance lines
//! of the processes and files issues, with the output on the console and the guest's exit
//! status.

use system_tests::run_program;
use xtask::BootOutcome;

/// The command line for `/bin/sh -c SCRIPT` (words are percent-encoded on the kernel command
/// line).
fn shell_command(script: &str) -> String {
    let mut encoded = String::from("/bin/sh -c ");
    for byte in script.bytes() {
        if byte <= b' ' || byte == b'%' {
            encoded.push_str(&format!("%{byte:02X}"));
        } else {
            encoded.push(char::from(byte));
        }
    }
    encoded
}

#[test]
fn the_acceptance_scripts_print_what_they_should_and_exit_7() {
    let script = "false; echo status $?; sleep 1 & wait $!; echo waited $?; \
                  for i in 1 2 3; do echo line$i; done; no-such-command; echo unknown $?; \
                  x=1; (x=2; echo subshell $x); echo parent $x; exit 7";
    let boot = run_program("shell-acceptance", &shell_command(script));
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(7),
        "console: {}",
        boot.console
    );
    let console = boot.console.replace('\r', "");
    for expected in [
        "status 1\n",
        "waited 0\n",
        "line1\nline2\nline3\n",
        "no-such-command: not found",
        "unknown 127\n",
        "subshell 2\n",
        "parent 1\n",
    ] {
        assert!(
            console.contains(expected),
            "`{expected}` missing from console: {console}"
        );
    }
}

#[test]
fn a_shell_that_kills_itself_with_sigkill_exits_137() {
    let boot = run_program("shell-kill-9", &shell_command("kill -9 $$; echo survived"));
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(137),
        "console: {}",
        boot.console
    );
    assert!(
        !boot.console.contains("survived"),
        "console: {}",
        boot.console
    );
}

/// The files issue's directory line, as written: its first command is a program, not a built-in,
/// so the shell has not touched its descriptor table when it spawns it (the child used to get an
/// empty table: no standard streams, every write failed, `ls` printed nothing and exited 141).
#[test]
fn the_directory_line_prints_f_then_fails() {
    let script =
        "mkdir -p /tmp/d/e && touch /tmp/d/e/f && ls /tmp/d/e && rm -r /tmp/d && ls /tmp/d";
    let boot = run_program("shell-directory-acceptance", &shell_command(script));
    let console = boot.console.replace('\r', "");
    assert!(
        matches!(boot.outcome, BootOutcome::Exited(status) if status != 0 && status != 141),
        "outcome {:?}, console: {console}",
        boot.outcome
    );
    assert!(
        console.contains("f\n"),
        "`f` missing from console: {console}"
    );
    assert!(
        console.contains("ls: cannot access '/tmp/d': No such file or directory"),
        "the second ls's error is missing from console: {console}"
    );
}

#[test]
fn the_files_issue_lines_pipe_redirect_and_substitute_through_the_utilities() {
    let script = "echo hello > /tmp/a && cat /tmp/a | wc -c; echo more >> /tmp/a; cat /tmp/a; \
                  seq 1 100000 | sort -rn | head -n 3; yes | head -n 1; \
                  echo words $(echo a b | wc -w); ls /bin/s*";
    let boot = run_program("shell-files-acceptance", &shell_command(script));
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(0),
        "console: {}",
        boot.console
    );
    let console = boot.console.replace('\r', "");
    for expected in [
        "6\nhello\nmore\n",
        "100000\n99999\n99998\ny\n",
        "words 2\n",
        "/bin/sh\n",
        "/bin/sleep\n",
    ] {
        assert!(
            console.contains(expected),
            "`{expected}` missing from console: {console}"
        );
    }
}
