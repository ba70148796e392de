//! The performance targets `cargo xtask bench` tracks in `docs/performance.md`: one table, read
//! by the report to say for each operation whether this system meets its target. Targets are
//! goals to chase, never asserted by a test.

use crate::bench_results::{BOOT_OPERATION, OperationRow};

/// What an operation should achieve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Linux's fastest figure over this system's at least this (this system this many times
    /// faster; `bench_statistics::ratio` says why the fastest).
    FasterThanLinux(f64),
    /// This system's fastest figure at most this many nanoseconds.
    AtMostNanoseconds(f64),
}

/// Where a target comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSource {
    /// Issue 11, §5: named for the operation.
    Issue,
    /// The project's premise for everything else (issue 11, "Why"): an operation that needs the
    /// kernel's protection should cost no more than on Linux.
    Premise,
}

/// One operation's target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OperationTarget {
    /// The operation, as `apps/bench/src/operation.rs` names it.
    pub operation: &'static str,
    /// The target.
    pub target: Target,
    /// Where it comes from.
    pub source: TargetSource,
}

const fn issue(operation: &'static str, factor: f64) -> OperationTarget {
    OperationTarget {
        operation,
        target: Target::FasterThanLinux(factor),
        source: TargetSource::Issue,
    }
}

const fn premise(operation: &'static str) -> OperationTarget {
    OperationTarget {
        operation,
        target: Target::FasterThanLinux(1.0),
        source: TargetSource::Premise,
    }
}

/// Every target, in the order of the issue.
pub const TARGETS: [OperationTarget; 21] = [
    issue("null_call", 50.0),
    issue("open_close", 3.0),
    issue("stat", 3.0),
    issue("read_4k", 3.0),
    issue("write_4k", 3.0),
    issue("pipe_round_trip", 3.0),
    issue("unix_round_trip", 3.0),
    issue("context_switch", 3.0),
    issue("fork_exit", 1.5),
    issue("signal_delivery", 1.5),
    issue("page_fault_cow", 1.5),
    issue("fork_exec", 1.0),
    issue("spawn", 1.0),
    OperationTarget {
        operation: BOOT_OPERATION,
        target: Target::AtMostNanoseconds(100_000_000.0),
        source: TargetSource::Issue,
    },
    premise("clock_gettime"),
    premise("thread_switch"),
    premise("page_fault_anon"),
    premise("mmap_munmap"),
    premise("kernel_null_call"),
    premise("ipc_round_trip"),
    premise("notification_round_trip"),
];

/// The target of `operation`, if it has one.
pub fn target_of(operation: &str) -> Option<&'static OperationTarget> {
    TARGETS.iter().find(|target| target.operation == operation)
}

/// How an operation stands against its target in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    /// The run's fastest figures meet it.
    Met,
    /// The run's fastest figures fall short.
    Behind,
    /// This system (or Linux, for a ratio) has no figure: it cannot run the operation yet.
    NotYetMeasurable,
}

impl TargetStatus {
    /// The word the table shows.
    pub fn word(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Behind => "behind",
            Self::NotYetMeasurable => "not yet measurable",
        }
    }
}

impl Target {
    /// The target as the table shows it: `≥ 3×` or `≤ 100 ms`.
    pub fn describe(self) -> String {
        match self {
            Self::FasterThanLinux(factor) => format!("≥ {factor}×"),
            Self::AtMostNanoseconds(nanoseconds) => {
                format!("≤ {} ms", nanoseconds / 1_000_000.0)
            }
        }
    }

    /// Where `row` stands against this target.
    pub fn status(self, row: &OperationRow) -> TargetStatus {
        let achieved = match self {
            Self::FasterThanLinux(factor) => row.ratio().map(|ratio| ratio >= factor),
            Self::AtMostNanoseconds(limit) => {
                row.this.summary().map(|summary| summary.minimum <= limit)
            }
        };
        match achieved {
            Some(true) => TargetStatus::Met,
            Some(false) => TargetStatus::Behind,
            None => TargetStatus::NotYetMeasurable,
        }
    }
}

/// The target cell of `row`'s line: `≥ 3×: behind`, or empty when it has no target.
pub fn target_cell(row: &OperationRow) -> String {
    target_of(&row.name).map_or_else(String::new, |target| {
        let marker = match target.source {
            TargetSource::Issue => "",
            TargetSource::Premise => "*",
        };
        format!(
            "{}{marker}: {}",
            target.target.describe(),
            target.target.status(row).word()
        )
    })
}

/// The operations of `rows` that this system runs but that miss their target.
pub fn behind_target(rows: &[OperationRow]) -> Vec<&str> {
    rows.iter()
        .filter(|row| {
            target_of(&row.name)
                .is_some_and(|target| target.target.status(row) == TargetStatus::Behind)
        })
        .map(|row| row.name.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_results::SystemFigures;
    use crate::bench_statistics::Summary;

    fn measured(median: f64) -> SystemFigures {
        SystemFigures::Measured(Summary {
            median,
            minimum: median,
            maximum: median,
            count: 1,
        })
    }

    fn row(name: &str, this: SystemFigures, linux: SystemFigures) -> OperationRow {
        OperationRow {
            name: name.to_string(),
            this,
            linux,
            this_kernel_calls: None,
        }
    }

    #[test]
    fn every_operation_has_one_target_and_the_issue_figures_are_kept() {
        for (index, target) in TARGETS.iter().enumerate() {
            assert!(
                TARGETS[index + 1..]
                    .iter()
                    .all(|other| other.operation != target.operation),
                "{} twice",
                target.operation
            );
        }
        assert_eq!(
            target_of("null_call").unwrap().target,
            Target::FasterThanLinux(50.0)
        );
        assert_eq!(
            target_of("boot").unwrap().target,
            Target::AtMostNanoseconds(100_000_000.0)
        );
        assert_eq!(target_of("spawn").unwrap().source, TargetSource::Issue);
        assert_eq!(
            target_of("clock_gettime").unwrap().source,
            TargetSource::Premise
        );
        assert_eq!(target_of("no_such_operation"), None);
    }

    #[test]
    fn ratios_and_durations_are_judged_against_their_targets() {
        // Linux 300, this 100: 3× faster, exactly the target.
        let met = row("context_switch", measured(100.0), measured(300.0));
        assert_eq!(target_cell(&met), "≥ 3×: met");
        let behind = row("context_switch", measured(101.0), measured(300.0));
        assert_eq!(target_cell(&behind), "≥ 3×: behind");
        let missing = row(
            "fork_exit",
            SystemFigures::Unavailable("needs fork".to_string()),
            measured(300.0),
        );
        assert_eq!(target_cell(&missing), "≥ 1.5×: not yet measurable");
        let slow_boot = row("boot", measured(158e6), measured(3e9));
        assert_eq!(target_cell(&slow_boot), "≤ 100 ms: behind");
        let premise_met = row("ipc_round_trip", measured(1.0), measured(2.0));
        assert_eq!(target_cell(&premise_met), "≥ 1×*: met");
        assert_eq!(
            target_cell(&row("unlisted", measured(1.0), measured(1.0))),
            ""
        );
        let rows = [met, behind, missing, slow_boot, premise_met];
        assert_eq!(behind_target(&rows), ["context_switch", "boot"]);
    }
}
