//! `cargo xtask coverage`: rebuilds `docs/posix-coverage.md` from test results, and the check
//! that keeps `cargo xtask test` failing while the committed matrix is stale.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Result, XtaskError};
use crate::guest_build::{BuildOptions, CargoOutput, build_guest};
use crate::posix_coverage::{
    CoverageRow, GenerationStamp, calendar_date, derive_rows, is_current, render_markdown,
};
use crate::posix_interfaces::interfaces;
use crate::test_command::{TestOptions, guest_suites, heading};
use crate::test_protocol::TestOutcome;
use crate::test_record::TestRecord;
use crate::test_results_file::read_results;
use crate::test_tally::TestTally;
use crate::workspace::Workspace;

/// The name of the staleness check in the summary of `cargo xtask test`.
pub const STALENESS_CHECK: &str = "posix-coverage-document-is-current";

/// Where `cargo xtask coverage` takes its records from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoverageSource {
    /// Build the guest and run its test programs now (the kernel's tests and every guest user
    /// suite; the host and system tests name no interfaces, so they are not needed).
    FreshRun(TestOptions),
    /// Read `target/test-results.json`, written by the last `cargo xtask test`.
    LastTestRun,
}

/// Rebuilds the matrix from `source` and writes it to `docs/posix-coverage.md`.
///
/// # Errors
/// The guest cannot be built, the results file cannot be read, a check covers an unknown
/// interface, or the document cannot be written.
pub fn run_coverage_command(workspace: &Workspace, source: &CoverageSource) -> Result<()> {
    let (records, commit, description) = match source {
        CoverageSource::FreshRun(options) => {
            let build_options = BuildOptions {
                overlay: options.overlay.clone(),
                cargo_output: if options.verbose {
                    CargoOutput::Normal
                } else {
                    CargoOutput::Quiet
                },
            };
            let image = build_guest(workspace, &build_options)?;
            let tally = guest_suites(workspace, &image, options);
            heading("summary");
            for failure in &tally.failures {
                println!("FAILED {failure}");
            }
            println!("{}", tally.summary_line());
            if !tally.is_success() {
                println!(
                    "warning: some checks failed; their interfaces are partial or missing in the matrix"
                );
            }
            (
                tally.records,
                current_commit(workspace.root()),
                "the results of a fresh run of the guest test programs",
            )
        }
        CoverageSource::LastTestRun => {
            let results = read_results(&workspace.test_results_file())?;
            (
                results.records,
                results.commit,
                "the results of the last `cargo xtask test`",
            )
        }
    };
    let rows = rows_from(&records)?;
    let stamp = GenerationStamp {
        date: today(),
        commit,
        source: description.to_string(),
    };
    let document = workspace.posix_coverage_document();
    std::fs::write(&document, render_markdown(&rows, &stamp))
        .map_err(|error| XtaskError::io("write", &document, &error))?;
    println!("wrote {}", document.display());
    Ok(())
}

fn rows_from(records: &[TestRecord]) -> Result<Vec<CoverageRow>> {
    let interfaces = interfaces()
        .map_err(|error| XtaskError::new(format!("xtask/data/posix-interfaces.txt: {error}")))?;
    derive_rows(&interfaces, records).map_err(|unknown| {
        let lines: Vec<String> = unknown.iter().map(ToString::to_string).collect();
        XtaskError::new(lines.join("\n"))
    })
}

/// Whether `docs/posix-coverage.md` is what `records` generate (apart from its generation line):
/// one passed or failed check for `cargo xtask test`'s summary. `guest_tests_ran` is false when
/// the guest build failed, so the records cannot say anything about the guest's checks.
pub fn check_coverage_document(
    workspace: &Workspace,
    records: &[TestRecord],
    guest_tests_ran: bool,
) -> TestTally {
    let document = workspace.posix_coverage_document();
    let verdict = if guest_tests_ran {
        judge_document(&document, records)
    } else {
        Err("not checked: the guest tests did not run".to_string())
    };
    let mut tally = TestTally::default();
    let outcome = match verdict {
        Ok(()) => {
            println!("{} is current", document.display());
            tally.pass(1);
            TestOutcome::Pass
        }
        Err(reason) => {
            println!("{STALENESS_CHECK} ... FAILED: {reason}");
            tally.fail(STALENESS_CHECK, reason.clone());
            TestOutcome::Fail(reason)
        }
    };
    tally.record(TestRecord::new("xtask", STALENESS_CHECK, outcome));
    tally
}

fn judge_document(document: &Path, records: &[TestRecord]) -> std::result::Result<(), String> {
    let rows = rows_from(records).map_err(|error| error.message().to_string())?;
    let stamp = GenerationStamp {
        date: String::new(),
        commit: String::new(),
        source: String::new(),
    };
    let generated = render_markdown(&rows, &stamp);
    let existing = std::fs::read_to_string(document).map_err(|error| {
        format!(
            "cannot read {}: {error}; run `cargo xtask coverage` and commit the file",
            document.display()
        )
    })?;
    if is_current(&existing, &generated) {
        Ok(())
    } else {
        Err(format!(
            "{} is stale: it differs from what this run's results generate; run `cargo xtask \
             coverage` (or `cargo xtask coverage --from-last-run` after this run) and commit it",
            document.display()
        ))
    }
}

fn today() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |duration| duration.as_secs());
    calendar_date(seconds)
}

/// The short hash of `HEAD`, noting uncommitted changes to tracked files other than the matrix
/// itself (which regeneration rewrites); `unknown` outside git.
pub fn current_commit(root: &Path) -> String {
    let git = |arguments: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(arguments)
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".to_string();
    };
    let changes = git(&[
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        ".",
        ":(exclude)docs/posix-coverage.md",
    ]);
    match changes {
        Some(changes) if !changes.is_empty() => format!("{commit} (with uncommitted changes)"),
        _ => commit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_protocol::CoveredInterface;

    /// A workspace in a fresh temporary directory with a `docs/` folder, removed on drop.
    struct ScratchWorkspace(Workspace);

    impl ScratchWorkspace {
        fn new(name: &str) -> Self {
            let root =
                std::env::temp_dir().join(format!("xtask-coverage-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join("docs")).expect("create a scratch workspace");
            Self(Workspace::at(root))
        }
    }

    impl Drop for ScratchWorkspace {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(self.0.root());
        }
    }

    fn check(passed: bool, covers: &[&str]) -> TestRecord {
        let outcome = if passed {
            TestOutcome::Pass
        } else {
            TestOutcome::Fail("regressed".to_string())
        };
        let mut record = TestRecord::new("posix", "open_creates", outcome);
        record.covers = covers
            .iter()
            .map(|entry| CoveredInterface::parse(entry).expect("valid entry"))
            .collect();
        record
    }

    fn write_document(workspace: &Workspace, records: &[TestRecord], commit: &str) {
        let rows = rows_from(records).expect("known interfaces");
        let stamp = GenerationStamp {
            date: "2026-01-01".to_string(),
            commit: commit.to_string(),
            source: "test records".to_string(),
        };
        std::fs::write(
            workspace.posix_coverage_document(),
            render_markdown(&rows, &stamp),
        )
        .expect("write the document");
    }

    #[test]
    fn a_check_that_starts_failing_makes_the_document_stale_until_regenerated() {
        let scratch = ScratchWorkspace::new("stale");
        let workspace = &scratch.0;
        let passing = [check(true, &["open"])];
        write_document(workspace, &passing, "old-commit");
        let tally = check_coverage_document(workspace, &passing, true);
        assert!(tally.is_success());
        assert_eq!(tally.summary_line(), "1 passed, 0 failed");
        assert_eq!(
            tally.records[0].qualified_name(),
            "xtask/posix-coverage-document-is-current"
        );

        let failing = [check(false, &["open"])];
        let tally = check_coverage_document(workspace, &failing, true);
        assert!(tally.has_failure(STALENESS_CHECK));
        assert!(
            tally.failures[0]
                .reason
                .contains("run `cargo xtask coverage`")
        );

        // Regenerated (on another day, from another commit): current again, `open` now missing.
        write_document(workspace, &failing, "new-commit");
        assert!(check_coverage_document(workspace, &failing, true).is_success());
        let text = std::fs::read_to_string(workspace.posix_coverage_document()).expect("read");
        assert!(text.contains("| `open` (2) | missing | `posix/open_creates` **fails** |"));
    }

    #[test]
    fn unknown_interfaces_missing_documents_and_skipped_guests_fail_the_check() {
        let scratch = ScratchWorkspace::new("unknown");
        let workspace = &scratch.0;
        let tally = check_coverage_document(workspace, &[], true);
        assert!(tally.failures[0].reason.contains("cannot read"));

        write_document(workspace, &[], "commit");
        let tally = check_coverage_document(workspace, &[check(true, &["opne"])], true);
        assert!(tally.failures[0].reason.contains("`opne`"));

        let tally = check_coverage_document(workspace, &[], false);
        assert!(tally.failures[0].reason.contains("did not run"));
    }
}
