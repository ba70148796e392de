//! The machine-readable results of the last `cargo xtask test` (`target/test-results.json`): one
//! record per check with its suite, name, outcome, failure reason and covered interfaces.
//!
//! ```json
//! {"records": [
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
    records: Vec<RecordDocument>,
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

/// The records as JSON text.
pub fn to_json(records: &[TestRecord]) -> String {
    let document = ResultsDocument {
        records: records
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

/// Reads records from JSON text.
///
/// # Errors
/// The text is not a results document, or a record has an unknown outcome or a malformed
/// `covers` entry.
pub fn from_json(text: &str) -> std::result::Result<Vec<TestRecord>, String> {
    let document: ResultsDocument =
        serde_json::from_str(text).map_err(|error| error.to_string())?;
    document
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
        .collect()
}

/// Writes the records to `path`.
///
/// # Errors
/// The file cannot be written.
pub fn write_results(path: &Path, records: &[TestRecord]) -> Result<()> {
    if let Some(directory) = path.parent() {
        std::fs::create_dir_all(directory)
            .map_err(|error| XtaskError::io("create", directory, &error))?;
    }
    std::fs::write(path, to_json(records)).map_err(|error| XtaskError::io("write", path, &error))
}

/// Reads the records from `path`.
///
/// # Errors
/// The file cannot be read or is not a results file.
pub fn read_results(path: &Path) -> Result<Vec<TestRecord>> {
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
        let text = to_json(&records);
        assert!(text.contains("\"covers\""));
        assert!(text.contains("\"open:O_EXCL\""));
        assert_eq!(from_json(&text), Ok(records));
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
