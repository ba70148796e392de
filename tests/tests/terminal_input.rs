//! Typing at the console: keys arrive on COM1 and go through the kernel's interrupt-driven
//! console input, the terminal server's line discipline and (for the shell) its line editor.
//! Two boots. Keys are typed once the console shows what a person would wait for: the terminal
//! server takes typed bytes as they arrive, under the settings of that moment, as a terminal
//! does.

use system_tests::run_program_conversing;
use xtask::BootOutcome;

#[test]
fn the_shell_edits_abandons_and_ends_typed_lines() {
    let boot = run_program_conversing(
        "terminal-shell",
        "/bin/sh",
        &[
            ("$ ", b"echo ab\x7fc\n"),
            ("$ ", b"junk\x03"),
            ("$ ", b"cat /dev/tty\n"),
            ("cat /dev/tty\r\n", b"line one\n"),
            // cat copies what it read when it ends (its output is buffered).
            ("line one\r\n", b"part\x04\x04"),
            // `ready` comes from the job's own process (then `head`, same pid and group), so
            // the ^C is typed while head is the terminal's foreground job.
            ("$ ", b"sh -c 'echo rea''dy; exec head -n 5'\n"),
            ("ready\r\n", b"abc\x03"),
            ("$ ", b"echo after\n"),
            ("$ ", b"exit 5\n"),
        ],
    );
    let console = boot.console.replace('\r', "");
    assert_eq!(boot.outcome, BootOutcome::Exited(5), "console: {console}");
    // The shell's editor: DEL erased `b` (on the screen too), ^C abandoned a line.
    assert!(
        console.lines().any(|line| line == "ac"),
        "console: {console}"
    );
    assert!(console.contains("ab\x08 \x08c"), "console: {console}");
    assert!(console.contains("junk^C\n"), "console: {console}");
    // cat reads the terminal in canonical mode: the echo of a whole line and of a partial one
    // ended by ^D (which is not echoed), cat's copy of both, then end of file (a second ^D).
    assert_eq!(
        console.matches("line one\n").count(),
        2,
        "the line was not echoed and copied: {console}"
    );
    assert!(
        console.contains("partpart") || console.contains("partline one\npart"),
        "console: {console}"
    );
    // ^C typed while a program (head) read: SIGINT ended it and the shell went on.
    assert!(console.contains("abc^C"), "console: {console}");
    assert!(
        console.lines().any(|line| line == "after"),
        "head did not end on ^C: {console}"
    );
}

#[test]
fn interrupt_typed_while_a_program_reads_ends_it_with_sigint() {
    let boot = run_program_conversing(
        "terminal-interrupt",
        "/bin/posix-file-tests terminal-reader",
        &[
            ("unprocessed\n", b"hello\n"),
            // The echo (whose line end follows the output flags of the moment it is typed: the
            // reader may not have turned OPOST back on yet), then the reader's copy.
            ("hello", b""),
            ("hello", b"abc\x03never read\n"),
        ],
    );
    let console = boot.console.replace('\r', "");
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(128 + 2),
        "console: {console}"
    );
    assert!(console.contains("hello\nhello\n"), "console: {console}");
    assert!(console.contains("abc^C"), "console: {console}");
    // Typed after the ^C: echoed by the terminal, never read and copied by the ended reader.
    assert!(
        console.matches("never read").count() <= 1,
        "console: {console}"
    );
}
