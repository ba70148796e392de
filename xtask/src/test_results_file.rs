//! The machine-readable results of the last `cargo xtask test` (`target/test-results.json`): one
//! record per check with its suite, name, outcome, failure reason and covered interfaces.
//!
//! ```json
//! {"commit": "0123456789ab", "records": [
//!   {"suite": "host", "name": "cpio::tests::reads", "outcome": "pass"},
//!   {"suite": "posix", "name": "open_excl", "outcome": "fail", "reason": "got 0",
//!    "covers": ["open:O_EXCL"]}
//! ]}
//! ```

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, XtaskError};
use crate::test_protocol::{CoveredInterface, TestOutcome};
use crate::test_record::TestRecord;

const PASS: &str = "pass";
const FAIL: &str = "fail";

#[derive(Debug, Serialize, Deserialize)]
struct ResultsDocument {
    #[serde(default)]
    commit: String,
    records: Vec<RecordDocument>,
}

/// The records of one test run and the commit it ran on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResults {
    /// The commit the tests ran on, as `git` named it (with a note if the tree had changes).
    pub commit: String,
    /// One record per check.
    pub records: Vec<TestRecord>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecordDocument {
    suite: String,
    name: String,
    outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    covers: Vec<String>,
}

/// The results as JSON text.
pub fn to_json(results: &TestResults) -> String {
    let document = ResultsDocument {
        commit: results.commit.clone(),
        records: results
            .records
            .iter()
            .map(|record| {
                let (outcome, reason) = match &record.outcome {
                    TestOutcome::Pass => (PASS, None),
                    TestOutcome::Fail(reason) => (FAIL, Some(reason.clone())),
                };
                RecordDocument {
                    suite: record.suite.clone(),
                    name: record.name.clone(),
                    outcome: outcome.to_string(),
                    reason,
                    covers: record.covers.iter().map(ToString::to_string).collect(),
                }
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads results from JSON text.
///
/// # Errors
/// The text is not a results document, or a record has an unknown outcome or a malformed
/// `covers` entry.
pub fn from_json(text: &str) -> std::result::Result<TestResults, String> {
    let document: ResultsDocument =
        serde_json::from_str(text).map_err(|error| error.to_string())?;
    let records = document
        .records
        .into_iter()
        .map(|record| {
            let outcome = match record.outcome.as_str() {
                PASS => TestOutcome::Pass,
                FAIL => TestOutcome::Fail(record.reason.unwrap_or_default()),
                other => {
                    return Err(format!(
                        "{}/{}: unknown outcome `{other}`",
                        record.suite, record.name
                    ));
                }
            };
            let covers = record
                .covers
                .iter()
                .map(|entry| {
                    CoveredInterface::parse(entry).map_err(|problem| {
                        format!("{}/{}: `{entry}`: {problem}", record.suite, record.name)
                    })
                })
                .collect::<std::result::Result<_, _>>()?;
            Ok(TestRecord {
                suite: record.suite,
                name: record.name,
                outcome,
                covers,
            })
        })
        .collect::<std::result::Result<_, _>>()?;
    Ok(TestResults {
        commit: document.commit,
        records,
    })
}

/// Writes the results to `path`.
///
/// # Errors
/// The file cannot be written.
pub fn write_results(path: &Path, results: &TestResults) -> Result<()> {
    if let Some(directory) = path.parent() {
        std::fs::create_dir_all(directory)
            .map_err(|error| XtaskError::io("create", directory, &error))?;
    }
    std::fs::write(path, to_json(results)).map_err(|error| XtaskError::io("write", path, &error))
}

/// Reads the results from `path`.
///
/// # Errors
/// The file cannot be read or is not a results file.
pub fn read_results(path: &Path) -> Result<TestResults> {
    let text =
        std::fs::read_to_string(path).map_err(|error| XtaskError::io("read", path, &error))?;
    from_json(&text).map_err(|problem| {
        XtaskError::new(format!(
            "{} is not a test-results file: {problem}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_survive_a_round_trip() {
        let mut covering = TestRecord::new("posix", "open_excl", TestOutcome::Fail("got 0".into()));
        covering.covers = vec![
            CoveredInterface::parse("open:O_EXCL").expect("valid"),
            CoveredInterface::parse("close").expect("valid"),
        ];
        let records = vec![
            TestRecord::new("host", "cpio::tests::reads", TestOutcome::Pass),
            covering,
        ];
        let results = TestResults {
            commit: "0123456789ab".to_string(),
            records,
        };
        let text = to_json(&results);
        assert!(text.contains("\"covers\""));
        assert!(text.contains("\"open:O_EXCL\""));
        assert_eq!(from_json(&text), Ok(results));
    }

    #[test]
    fn malformed_files_are_refused() {
        assert!(from_json("not json").is_err());
        let bad_outcome = r#"{"records":[{"suite":"s","name":"n","outcome":"maybe"}]}"#;
        assert!(from_json(bad_outcome).is_err_and(|problem| problem.contains("maybe")));
        let bad_covers =
            r#"{"records":[{"suite":"s","name":"n","outcome":"pass","covers":["Open"]}]}"#;
        assert!(from_json(bad_covers).is_err());
    }
}
