//! Job control at the console (issue 9): the interactive shell puts each job in a process group
//! of its own and gives it the terminal, so `^C` and `^Z` typed while it runs reach it through
//! the terminal server — with nobody reading the terminal — and `jobs`/`fg` act on a stopped
//! job. Each boot types only after the console showed what a person would wait for.

use system_tests::run_program_conversing;
use xtask::BootOutcome;

#[test]
fn interrupt_ends_the_foreground_job_and_the_prompt_returns() {
    let boot = run_program_conversing(
        "job-control-interrupt",
        "/bin/sh",
        &[
            // `running` says the job's process runs (then it becomes `sleep 100`, keeping its
            // pid and group); nobody reads the terminal when ^C is typed.
            ("$ ", b"sh -c 'echo run''ning; exec sleep 100'\n"),
            ("running", b"\x03"),
            ("$ ", b"echo after $?\n"),
            ("after 130", b""),
            ("$ ", b"echo hi | cat\n"),
            ("\nhi\r\n", b""),
            ("$ ", b"exit 3\n"),
        ],
    );
    let console = boot.console.replace('\r', "");
    assert_eq!(boot.outcome, BootOutcome::Exited(3), "console: {console}");
    assert!(console.contains("running\n^C\n$ "), "console: {console}");
    assert!(console.contains("\nafter 130\n"), "console: {console}");
    assert!(
        console.contains("echo hi | cat\nhi\n"),
        "console: {console}"
    );
}

#[test]
fn suspend_stops_the_job_and_fg_resumes_it() {
    let boot = run_program_conversing(
        "job-control-suspend",
        "/bin/sh",
        &[
            (
                "$ ",
                b"sh -c 'echo run''ning; read line; echo resumed $line'\n",
            ),
            // ^Z while the job waits for a line of the terminal: SIGTSTP to its group.
            ("running", b"\x1a"),
            ("Stopped", b""),
            ("$ ", b"jobs\n"),
            ("[1] Stopped", b""),
            ("$ ", b"fg %1\n"),
            // Continued in the foreground, it reads this line and prints it: it runs again.
            ("fg %1\r\n", b"hello\n"),
            ("resumed hello", b""),
            ("$ ", b"jobs; echo none $?\n"),
            ("none 0", b""),
            ("$ ", b"exit 4\n"),
        ],
    );
    let console = boot.console.replace('\r', "");
    assert_eq!(boot.outcome, BootOutcome::Exited(4), "console: {console}");
    assert!(console.contains("^Z\n[1]+ Stopped"), "console: {console}");
    assert!(console.contains("[1] Stopped"), "console: {console}");
    assert!(console.contains("\nresumed hello\n"), "console: {console}");
    // The job ended after fg: the table is empty.
    assert!(
        console.contains("jobs; echo none $?\nnone 0\n"),
        "console: {console}"
    );
}
