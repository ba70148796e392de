//! The machine-readable test protocol that `cargo xtask test` reads from a test program's console
//! (docs/testing.md): `test-plan`, then one `test-result` per check, naming the POSIX interfaces
//! the check proves so that `docs/posix-coverage.md` can be derived from the results.

use alloc::string::String;

use crate::println;

/// A check's outcome: `Err` carries the reason it failed.
pub type CheckOutcome = Result<(), String>;

/// One check of a test program.
pub struct Check {
    /// The name in the result line (no spaces).
    pub name: &'static str,
    /// The interfaces the check proves when it passes: `open` claims the whole documented
    /// behaviour of `open`, `openat:dirfd` one behaviour, `_sysctl:ENOSYS` that the call answers
    /// `ENOSYS`. Only name what the check really exercises; an unknown name fails the run.
    pub covers: &'static [&'static str],
    /// Runs it.
    pub run: fn() -> CheckOutcome,
}

/// Announces how many results `suite` will report.
pub fn report_plan(suite: &str, count: usize) {
    println!("test-plan {suite} {count}");
}

/// Reports one check's result, with the interfaces it covers.
pub fn report_result(suite: &str, name: &str, covers: &[&str], outcome: &CheckOutcome) {
    let mut covers_word = String::new();
    for (index, entry) in covers.iter().enumerate() {
        covers_word.push_str(if index == 0 { " covers=" } else { "," });
        covers_word.push_str(entry);
    }
    match outcome {
        Ok(()) => println!("test-result {suite} {name} pass{covers_word}"),
        Err(reason) => {
            // A reason spanning lines would end the protocol line early.
            let reason = reason.replace(['\n', '\r'], " ");
            println!("test-result {suite} {name} fail{covers_word} {reason}");
        }
    }
}

/// Where `/bin/posix-tests` collects the totals of the programs it runs: when this directory
/// exists, [`run_checks`] writes `passed failed` to a file named after the program.
pub const SUMMARY_DIRECTORY: &str = "/tmp/posix-tests-summaries";

/// Runs every check in order, reporting the plan and each result; returns how many failed.
pub fn run_checks(suite: &str, checks: &[Check]) -> usize {
    report_plan(suite, checks.len());
    let mut failed = 0;
    for check in checks {
        let outcome = (check.run)();
        if outcome.is_err() {
            failed += 1;
        }
        report_result(suite, check.name, check.covers, &outcome);
    }
    write_summary(checks.len() - failed, failed);
    failed
}

/// Leaves the totals for `/bin/posix-tests` when it is the one running us ([`run_checks`] does
/// this itself; a program that reports its results otherwise calls it at the end).
pub fn write_summary(passed: usize, failed: usize) {
    use libposix_sys::fcntl::{O_CREAT, O_TRUNC, O_WRONLY};
    if crate::fs::stat(SUMMARY_DIRECTORY).is_err() {
        return;
    }
    let Some(program) = crate::runtime::program_name() else {
        return;
    };
    let path = alloc::format!("{SUMMARY_DIRECTORY}/{program}");
    if let Ok(fd) = crate::fs::open(&path, O_CREAT | O_WRONLY | O_TRUNC, 0o644) {
        let _ = crate::io::descriptors::write(fd, alloc::format!("{passed} {failed}\n").as_bytes());
        let _ = crate::io::descriptors::close(fd);
    }
}
