//! `init` runs the command from the kernel command line and the guest exits with its status.

use system_tests::run_program;
use xtask::BootOutcome;

#[test]
fn a_missing_program_exits_127_and_says_so() {
    let boot = run_program("missing-program", "/bin/no-such-program");
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(127),
        "console: {}",
        boot.console
    );
    assert!(
        boot.console.contains("/bin/no-such-program: not found"),
        "console: {}",
        boot.console
    );
}

#[test]
fn a_file_that_is_not_an_executable_exits_126() {
    // The initramfs has directories; a directory is not an ELF file.
    let boot = run_program("not-executable", "/bin");
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(126),
        "console: {}",
        boot.console
    );
    assert!(
        boot.console.contains("not an executable"),
        "console: {}",
        boot.console
    );
}

#[test]
fn init_without_a_command_reports_and_exits_0() {
    let boot = run_program("no-command", "");
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(0),
        "console: {}",
        boot.console
    );
    assert!(
        boot.console.contains("user space is up"),
        "console: {}",
        boot.console
    );
}

#[test]
fn a_program_killed_by_a_page_fault_exits_128_plus_sigsegv() {
    let boot = run_program("page-fault", "/bin/exo-selftest fault");
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(128 + 11),
        "console: {}",
        boot.console
    );
    assert!(
        boot.console
            .contains("killed by exception 14 at address 0x10"),
        "console: {}",
        boot.console
    );
}

#[test]
fn the_shell_runs_built_ins_and_programs_and_exits_with_the_status_asked() {
    let boot = run_program(
        "shell",
        "/bin/sh -c echo%20shell%20up;%20cd%20/tmp;%20mkdir%20made;%20ls;%20pwd;%20no-such-program;%20exit%207",
    );
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(7),
        "console: {}",
        boot.console
    );
    for expected in ["shell up", "made", "/tmp", "sh: no-such-program: not found"] {
        assert!(
            boot.console.contains(expected),
            "`{expected}` missing from console: {}",
            boot.console
        );
    }
}
