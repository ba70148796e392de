//! One check's result as `cargo xtask test` keeps it: suite, name, outcome and the interfaces it
//! covers.

use crate::test_protocol::{CoveredInterface, TestOutcome};

/// The result of one check, from any tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRecord {
    /// The suite: `host`, `system-tests`, or the suite a guest program announced.
    pub suite: String,
    /// The check's name within its suite.
    pub name: String,
    /// Whether it passed.
    pub outcome: TestOutcome,
    /// The POSIX interfaces it proves (from `covers=`; always empty for libtest tests).
    pub covers: Vec<CoveredInterface>,
}

impl TestRecord {
    /// A record without coverage.
    pub fn new(suite: impl Into<String>, name: impl Into<String>, outcome: TestOutcome) -> Self {
        Self {
            suite: suite.into(),
            name: name.into(),
            outcome,
            covers: Vec::new(),
        }
    }

    /// Whether the check passed.
    pub fn passed(&self) -> bool {
        self.outcome == TestOutcome::Pass
    }

    /// `suite/name`, as the summary names checks.
    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.suite, self.name)
    }
}
