//! Follows the test protocol lines of one boot and decides which suites passed.
//!
//! A suite passes only if it announced `test-plan <suite> <count>`, reported exactly `count`
//! results, all of them `pass`, and the guest then exited with status 0. Results that never came
//! are failures, and so is a crash or a time-out: a run that silently skipped tests is a failed run.

use crate::boot::BootOutcome;
use crate::test_protocol::{
    CoveredInterface, MalformedLine, ProtocolLine, TestOutcome, parse_line,
};
use crate::test_record::TestRecord;
use crate::test_tally::TestTally;

/// What one suite reported so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct SuiteRecord {
    name: String,
    planned: Option<usize>,
    extra_plans: usize,
    results: Vec<(String, TestOutcome, Vec<CoveredInterface>)>,
}

/// The protocol lines seen during one boot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuestTestSession {
    suites: Vec<SuiteRecord>,
    malformed: Vec<MalformedLine>,
}

impl GuestTestSession {
    /// Reads one console line; returns what was parsed, if it was a protocol line, so the caller
    /// can show progress.
    pub fn observe(&mut self, line: &str) -> Option<Result<ProtocolLine, MalformedLine>> {
        let parsed = parse_line(line)?;
        match &parsed {
            Ok(ProtocolLine::Plan { suite, count }) => {
                let record = self.suite(suite);
                if record.planned.is_some() {
                    record.extra_plans += 1;
                } else {
                    record.planned = Some(*count);
                }
            }
            Ok(ProtocolLine::Result {
                suite,
                name,
                outcome,
                covers,
            }) => self
                .suite(suite)
                .results
                .push((name.clone(), outcome.clone(), covers.clone())),
            Err(malformed) => self.malformed.push(malformed.clone()),
        }
        Some(parsed)
    }

    fn suite(&mut self, name: &str) -> &mut SuiteRecord {
        let index = match self.suites.iter().position(|suite| suite.name == name) {
            Some(index) => index,
            None => {
                self.suites.push(SuiteRecord {
                    name: name.to_string(),
                    ..SuiteRecord::default()
                });
                self.suites.len() - 1
            }
        };
        &mut self.suites[index]
    }

    /// The verdict once the boot has ended. `label` names the boot in failures that belong to no
    /// single test; `expected_suites` must each have reported.
    pub fn finish(
        &self,
        label: &str,
        expected_suites: &[&str],
        outcome: &BootOutcome,
    ) -> TestTally {
        let mut tally = TestTally::default();
        for expected in expected_suites {
            if !self.suites.iter().any(|suite| suite.name == *expected) {
                tally.fail(
                    *expected,
                    format!("the suite reported nothing (no `test-plan {expected} <count>` line)"),
                );
            }
        }
        for suite in &self.suites {
            for (name, outcome, covers) in &suite.results {
                match outcome {
                    TestOutcome::Pass => tally.pass(1),
                    TestOutcome::Fail(reason) => {
                        tally.fail(format!("{}/{name}", suite.name), reason.clone());
                    }
                }
                tally.record(TestRecord {
                    suite: suite.name.clone(),
                    name: name.clone(),
                    outcome: outcome.clone(),
                    covers: covers.clone(),
                });
            }
            let reported = suite.results.len();
            match suite.planned {
                None => tally.fail(
                    &suite.name,
                    format!("{reported} results without a `test-plan` line"),
                ),
                Some(planned) if reported < planned => tally.fail_many(
                    &suite.name,
                    format!(
                        "{} of {planned} planned results missing",
                        planned - reported
                    ),
                    planned - reported,
                ),
                Some(planned) if reported > planned => tally.fail(
                    &suite.name,
                    format!("{reported} results reported but only {planned} planned"),
                ),
                Some(_) => {}
            }
            if suite.extra_plans > 0 {
                tally.fail(&suite.name, "announced `test-plan` more than once");
            }
        }
        for malformed in &self.malformed {
            tally.fail(
                label,
                format!(
                    "malformed protocol line `{}`: {}",
                    malformed.line, malformed.problem
                ),
            );
        }
        match outcome {
            BootOutcome::Exited(0) => {}
            BootOutcome::Exited(status) => {
                if tally.is_success() {
                    tally.fail(
                        label,
                        format!("the guest exited with status {status} although every reported test passed"),
                    );
                }
            }
            crashed => tally.fail(label, crashed.describe()),
        }
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn session(lines: &[&str]) -> GuestTestSession {
        let mut session = GuestTestSession::default();
        for line in lines {
            session.observe(line);
        }
        session
    }

    #[test]
    fn a_complete_passing_suite_passes() {
        let session = session(&[
            "booting",
            "test-plan kernel 2",
            "test-result kernel a pass",
            "log line",
            "test-result kernel b pass",
        ]);
        let tally = session.finish("kernel boot", &["kernel"], &BootOutcome::Exited(0));
        assert_eq!(tally.summary_line(), "2 passed, 0 failed");
        assert!(tally.is_success());
    }

    #[test]
    fn failing_tests_are_named() {
        let session = session(&[
            "test-plan kernel 2",
            "test-result kernel a pass",
            "test-result kernel injected_failure fail injected on purpose",
        ]);
        let tally = session.finish("kernel boot", &["kernel"], &BootOutcome::Exited(1));
        assert_eq!(tally.summary_line(), "1 passed, 1 failed");
        assert_eq!(tally.failures[0].name, "kernel/injected_failure");
        assert_eq!(tally.records.len(), 2);
        assert!(tally.records[0].passed());
        assert_eq!(tally.records[1].qualified_name(), "kernel/injected_failure");
        assert_eq!(tally.failures[0].reason, "injected on purpose");
    }

    #[test]
    fn missing_results_fail_and_name_the_suite() {
        let session = session(&["test-plan kernel 5", "test-result kernel a pass"]);
        let tally = session.finish("kernel boot", &["kernel"], &BootOutcome::Exited(0));
        assert_eq!(tally.summary_line(), "1 passed, 4 failed");
        assert_eq!(tally.failures[0].name, "kernel");
        assert!(tally.failures[0].reason.contains("4 of 5"));
    }

    #[test]
    fn a_timeout_fails_even_after_every_result() {
        let session = session(&["test-plan kernel 1", "test-result kernel a pass"]);
        let outcome = BootOutcome::TimedOut(Duration::from_secs(5));
        let tally = session.finish("kernel boot", &["kernel"], &outcome);
        assert_eq!(tally.summary_line(), "1 passed, 1 failed");
        assert!(tally.failures[0].reason.starts_with("timeout"));
    }

    #[test]
    fn silence_and_crashes_fail() {
        let tally = session(&[]).finish("kernel boot", &["kernel"], &BootOutcome::Reset);
        assert_eq!(tally.failed, 2);
        assert!(tally.has_failure("kernel"));
        assert!(tally.has_failure("kernel boot"));
    }

    #[test]
    fn a_nonzero_exit_after_only_passes_fails() {
        let session = session(&["test-plan user 1", "test-result user a pass"]);
        let tally = session.finish("/bin/x", &["user"], &BootOutcome::Exited(3));
        assert_eq!(tally.summary_line(), "1 passed, 1 failed");
        assert!(tally.failures[0].reason.contains("status 3"));
    }

    #[test]
    fn protocol_violations_fail() {
        let session = session(&[
            "test-result loose a pass",
            "test-plan twice 1",
            "test-plan twice 1",
            "test-result twice a pass",
            "test-plan over 1",
            "test-result over a pass",
            "test-result over b pass",
            "test-result broken",
        ]);
        let tally = session.finish("boot", &[], &BootOutcome::Exited(0));
        assert_eq!(tally.passed, 4);
        let names: Vec<&str> = tally
            .failures
            .iter()
            .map(|failure| failure.name.as_str())
            .collect();
        assert_eq!(names, ["loose", "twice", "over", "boot"]);
    }

    #[test]
    fn records_keep_the_interfaces_each_check_covers() {
        let session = session(&[
            "test-plan posix 2",
            "test-result posix open_creates pass covers=open,openat:dirfd",
            "test-result posix plain pass",
        ]);
        let tally = session.finish("/bin/posix", &["posix"], &BootOutcome::Exited(0));
        assert!(tally.is_success());
        let covers: Vec<String> = tally.records[0]
            .covers
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(covers, ["open", "openat:dirfd"]);
        assert!(tally.records[1].covers.is_empty());
    }
}
