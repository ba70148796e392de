//! Typing at the console: keys arrive on COM1 and go through the kernel's interrupt-driven
//! console input, the LibOS's line discipline and (for the shell) its line editor. Two boots.

use system_tests::run_program_typing;
use xtask::BootOutcome;

#[test]
fn the_shell_edits_abandons_and_ends_typed_lines() {
    let typed: &[u8] = b"echo ab\x7fc\n\
        junk\x03\
        cat /dev/tty\n\
        line one\n\
        part\x04\x04\
        head -n 5\n\
        abc\x03\
        echo after\n\
        exit 5\n";
    let boot = run_program_typing("terminal-shell", "/bin/sh", typed);
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
    let typed: &[u8] = b"hello\nabc\x03never read\n";
    let boot = run_program_typing(
        "terminal-interrupt",
        "/bin/posix-file-tests terminal-reader",
        typed,
    );
    let console = boot.console.replace('\r', "");
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(128 + 2),
        "console: {console}"
    );
    assert!(console.contains("hello\nhello\n"), "console: {console}");
    assert!(console.contains("abc^C"), "console: {console}");
    assert!(!console.contains("never"), "console: {console}");
}
