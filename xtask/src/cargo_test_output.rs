//! Runs `cargo test`, streaming its output, and counts results from libtest's summary lines.
//!
//! libtest prints `test <name> ... FAILED` for each failing test and, per test binary,
//! `test result: ok. 5 passed; 0 failed; 0 ignored; …` (or `FAILED.`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::test_protocol::TestOutcome;
use crate::test_record::TestRecord;
use crate::test_tally::TestTally;

/// Counts gathered from `cargo test` output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CargoTestCounts {
    /// Sum of `N passed` over all summary lines.
    pub passed: usize,
    /// Sum of `M failed` over all summary lines.
    pub failed: usize,
    /// Names of the tests reported as `FAILED`.
    pub failed_names: Vec<String>,
    /// Names of the tests reported as `ok`.
    pub passed_names: Vec<String>,
    /// How many `test result:` lines there were (one per test binary that ran).
    pub summaries: usize,
}

impl CargoTestCounts {
    /// Reads one line of `cargo test` standard output.
    pub fn observe(&mut self, line: &str) {
        let line = line.trim_end();
        if let Some(rest) = line.strip_prefix("test result: ") {
            self.summaries += 1;
            for part in rest.split(';') {
                let mut words = part.split_whitespace().rev();
                let (Some(label), Some(number)) = (words.next(), words.next()) else {
                    continue;
                };
                let Ok(number) = number.parse::<usize>() else {
                    continue;
                };
                match label {
                    "passed" => self.passed += number,
                    "failed" => self.failed += number,
                    _ => {}
                }
            }
        } else if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ... FAILED"))
        {
            self.failed_names.push(name.to_string());
        } else if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ... ok"))
        {
            self.passed_names.push(name.to_string());
        }
    }

    /// The tally, given how cargo exited; `label` prefixes failure names (`host: a::b`).
    pub fn into_tally(self, label: &str, cargo_succeeded: bool) -> TestTally {
        let mut tally = TestTally::default();
        tally.pass(self.passed);
        for name in &self.passed_names {
            tally.record(TestRecord::new(label, name, TestOutcome::Pass));
        }
        for name in &self.failed_names {
            tally.record(TestRecord::new(
                label,
                name,
                TestOutcome::Fail(String::from("see the cargo test output")),
            ));
        }
        let mut named = 0;
        for name in &self.failed_names {
            if named < self.failed {
                tally.fail(format!("{label}: {name}"), "");
                named += 1;
            }
        }
        if self.failed > named {
            tally.fail_many(
                label,
                "tests failed (see the output above)",
                self.failed - named,
            );
        }
        if !cargo_succeeded && self.failed == 0 {
            let reason = if self.summaries == 0 {
                "cargo test failed before any test ran (a compile error?); see the output above"
            } else {
                "cargo test failed (a test binary crashed?); see the output above"
            };
            tally.fail(label, reason);
        }
        tally
    }
}

/// Runs `command` (a `cargo test …`), echoing its standard output line by line, and returns the
/// tally. Never fails: a cargo that cannot start is a failure in the tally.
pub fn run_cargo_tests(mut command: Command, label: &str) -> TestTally {
    let mut counts = CargoTestCounts::default();
    let child = command.stdout(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            let mut tally = TestTally::default();
            tally.fail(label, format!("could not run cargo: {error}"));
            return tally;
        }
    };
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            println!("{line}");
            counts.observe(&line);
        }
    }
    let succeeded = child.wait().is_ok_and(|status| status.success());
    counts.into_tally(label, succeeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "
running 3 tests
test cpio::tests::a ... ok
test cpio::tests::b ... FAILED
test cpio::tests::c ... ignored

failures:

failures:
    cpio::tests::b

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s

running 2 tests
test x ... ok
test y ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

    fn counts(output: &str) -> CargoTestCounts {
        let mut counts = CargoTestCounts::default();
        output.lines().for_each(|line| counts.observe(line));
        counts
    }

    #[test]
    fn sums_summary_lines_and_names_failures() {
        let counts = counts(OUTPUT);
        assert_eq!((counts.passed, counts.failed, counts.summaries), (3, 1, 2));
        assert_eq!(counts.failed_names, ["cpio::tests::b"]);
        let tally = counts.into_tally("host", false);
        assert_eq!(tally.summary_line(), "3 passed, 1 failed");
        assert_eq!(tally.failures[0].name, "host: cpio::tests::b");
        let records: Vec<(String, bool)> = tally
            .records
            .iter()
            .map(|record| (record.qualified_name(), record.passed()))
            .collect();
        assert_eq!(
            records,
            [
                ("host/cpio::tests::a".to_string(), true),
                ("host/x".to_string(), true),
                ("host/y".to_string(), true),
                ("host/cpio::tests::b".to_string(), false),
            ]
        );
    }

    #[test]
    fn a_compile_error_is_a_failure() {
        let tally = counts("").into_tally("host", false);
        assert_eq!(tally.summary_line(), "0 passed, 1 failed");
        assert!(tally.failures[0].reason.contains("compile error"));
    }

    #[test]
    fn a_clean_run_has_no_failures() {
        let tally = counts(
            &OUTPUT
                .replace("FAILED", "ok")
                .replace("1 failed", "0 failed"),
        )
        .into_tally("host", true);
        assert!(tally.is_success());
    }
}
