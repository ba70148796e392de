//! Counts passed and failed tests across host tests, guest suites and system tests, and names failures.

use std::fmt;

use crate::test_record::TestRecord;

/// One failure in the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFailure {
    /// What failed: `host: module::test`, `kernel/frame_allocator`, a suite or a step.
    pub name: String,
    /// Why.
    pub reason: String,
    /// How many failed tests this entry stands for (more than one for missing results).
    pub count: usize,
}

impl fmt::Display for TestFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.reason.is_empty() {
            write!(formatter, "{}", self.name)
        } else {
            write!(formatter, "{}: {}", self.name, self.reason)
        }
    }
}

/// Passed and failed counts plus every failure by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestTally {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed, plus one for each crash, time-out or step that could not run.
    pub failed: usize,
    /// The failures, in the order they happened.
    pub failures: Vec<TestFailure>,
    /// One record per individual check that reported a result (not for crashes, missing results
    /// or steps), for the results file and the coverage matrix.
    pub records: Vec<TestRecord>,
}

impl TestTally {
    /// Counts `count` passed tests.
    pub fn pass(&mut self, count: usize) {
        self.passed += count;
    }

    /// Records one failure.
    pub fn fail(&mut self, name: impl Into<String>, reason: impl Into<String>) {
        self.fail_many(name, reason, 1);
    }

    /// Records one failure entry that stands for `count` failed tests.
    pub fn fail_many(&mut self, name: impl Into<String>, reason: impl Into<String>, count: usize) {
        self.failed += count;
        self.failures.push(TestFailure {
            name: name.into(),
            reason: reason.into(),
            count,
        });
    }

    /// Adds another tally's counts and failures to this one.
    pub fn absorb(&mut self, other: Self) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.failures.extend(other.failures);
        self.records.extend(other.records);
    }

    /// Keeps one check's record (it does not count it: `pass` and `fail` do).
    pub fn record(&mut self, record: TestRecord) {
        self.records.push(record);
    }

    /// Whether nothing failed.
    pub fn is_success(&self) -> bool {
        self.failed == 0 && self.failures.is_empty()
    }

    /// `N passed, M failed`.
    pub fn summary_line(&self) -> String {
        format!("{} passed, {} failed", self.passed, self.failed)
    }

    /// Whether a failure with exactly this name was recorded.
    pub fn has_failure(&self, name: &str) -> bool {
        self.failures.iter().any(|failure| failure.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_summarises() {
        let mut tally = TestTally::default();
        tally.pass(3);
        let mut other = TestTally::default();
        other.pass(1);
        other.fail("kernel/x", "boom");
        other.fail_many("kernel", "2 of 5 planned results missing", 2);
        tally.absorb(other);
        assert_eq!(tally.summary_line(), "4 passed, 3 failed");
        assert!(!tally.is_success());
        assert!(tally.has_failure("kernel/x"));
        assert_eq!(tally.failures[0].to_string(), "kernel/x: boom");
    }
}
