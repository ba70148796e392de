//! Combines the boots of one `cargo xtask bench` run into one row per operation.

use crate::bench_output::{GuestReport, OperationOutcome};
use crate::bench_statistics::{Summary, cycles_to_nanoseconds, median_ratio, ratio};

/// The name of the host-timed operation: QEMU start to the first user-space output.
pub const BOOT_OPERATION: &str = "boot";

/// One system's figures for one operation, in nanoseconds.
#[derive(Debug, Clone, PartialEq)]
pub enum SystemFigures {
    /// Measured in at least one boot.
    Measured(Summary),
    /// Not possible on this system yet, with what it needs.
    Unavailable(String),
    /// Every attempt failed, with the first reason.
    Failed(String),
    /// Never reported (for example excluded with `--only`, or a program that stopped early).
    Missing,
}

impl SystemFigures {
    /// The summary, when measured.
    pub fn summary(&self) -> Option<&Summary> {
        match self {
            Self::Measured(summary) => Some(summary),
            _ => None,
        }
    }
}

/// One operation on both systems.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationRow {
    /// The operation's name, as in `apps/bench/src/operation.rs`.
    pub name: String,
    /// This system's figures.
    pub this: SystemFigures,
    /// Linux's figures.
    pub linux: SystemFigures,
    /// Kernel calls per operation made by this system's measuring process (median over its
    /// rounds and boots), when counted.
    pub this_kernel_calls: Option<f64>,
}

impl OperationRow {
    /// Linux's fastest figure over this system's (above 1: this system is faster), when both
    /// measured: what targets are judged by ([`ratio`]).
    pub fn ratio(&self) -> Option<f64> {
        ratio(self.this.summary()?, self.linux.summary()?)
    }

    /// Linux's median over this system's, when both measured.
    pub fn median_ratio(&self) -> Option<f64> {
        median_ratio(self.this.summary()?, self.linux.summary()?)
    }
}

/// The figures of one system for `name` across its boots: each boot's figure is its fastest
/// round (the host's slow stretches only ever add time), and the summary is over those per-boot
/// figures.
fn figures(reports: &[GuestReport], name: &str, tsc_khz: u64) -> SystemFigures {
    figures_of(reports, |report| &report.outcomes, name, tsc_khz)
}

fn figures_of(
    reports: &[GuestReport],
    list: fn(&GuestReport) -> &Vec<(String, OperationOutcome)>,
    name: &str,
    tsc_khz: u64,
) -> SystemFigures {
    let mut per_boot = Vec::new();
    let mut unavailable = None;
    let mut failed = None;
    for report in reports {
        let mut rounds = Vec::new();
        for (reported, outcome) in list(report) {
            if reported != name {
                continue;
            }
            match outcome {
                OperationOutcome::Measured { .. } => {
                    if let Some(cycles) = outcome.cycles_per_operation() {
                        rounds.push(cycles_to_nanoseconds(cycles, tsc_khz));
                    }
                }
                OperationOutcome::Unavailable(reason) => {
                    unavailable.get_or_insert_with(|| reason.clone());
                }
                OperationOutcome::Failed(reason) => {
                    failed.get_or_insert_with(|| reason.clone());
                }
            }
        }
        if let Some(boot) = Summary::of(&rounds) {
            per_boot.push(boot.minimum);
        }
    }
    if let Some(summary) = Summary::of(&per_boot) {
        SystemFigures::Measured(summary)
    } else if let Some(reason) = failed {
        SystemFigures::Failed(reason)
    } else if let Some(reason) = unavailable {
        SystemFigures::Unavailable(reason)
    } else {
        SystemFigures::Missing
    }
}

/// The median over every round of every boot of `name`'s kernel calls per operation.
fn kernel_calls(reports: &[GuestReport], name: &str) -> Option<f64> {
    kernel_calls_of(reports, |report| &report.outcomes, name)
}

fn kernel_calls_of(
    reports: &[GuestReport],
    list: fn(&GuestReport) -> &Vec<(String, OperationOutcome)>,
    name: &str,
) -> Option<f64> {
    let counts: Vec<f64> = reports
        .iter()
        .flat_map(list)
        .filter(|(reported, _)| reported == name)
        .filter_map(|(_, outcome)| outcome.kernel_calls_per_operation())
        .collect();
    Summary::of(&counts).map(|summary| summary.median)
}

/// One row per operation reported by either system (in the order Linux, then this system,
/// first reported them), then the boot row from the host's timings in nanoseconds.
pub fn combine(
    this: &[GuestReport],
    linux: &[GuestReport],
    tsc_khz: u64,
    this_boots: &[f64],
    linux_boots: &[f64],
) -> Vec<OperationRow> {
    let mut names: Vec<&str> = Vec::new();
    for report in linux.iter().chain(this) {
        for (name, _) in &report.outcomes {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let mut rows: Vec<OperationRow> = names
        .into_iter()
        .map(|name| OperationRow {
            name: name.to_string(),
            this: figures(this, name, tsc_khz),
            linux: figures(linux, name, tsc_khz),
            this_kernel_calls: kernel_calls(this, name),
        })
        .collect();
    let boot = |samples: &[f64]| {
        Summary::of(samples).map_or(SystemFigures::Missing, SystemFigures::Measured)
    };
    rows.push(OperationRow {
        name: BOOT_OPERATION.to_string(),
        this: boot(this_boots),
        linux: boot(linux_boots),
        this_kernel_calls: None,
    });
    rows
}

/// One phase of an operation on this system (`spawn/start`), in nanoseconds per operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRow {
    /// `OPERATION/PHASE`.
    pub name: String,
    /// Its figures over the boots.
    pub figures: SystemFigures,
    /// The measuring process's kernel calls per operation in this phase (median over rounds and
    /// boots), when counted.
    pub kernel_calls: Option<f64>,
}

/// Something counted per operation on this system (`spawn/start.frames_allocated`).
#[derive(Debug, Clone, PartialEq)]
pub struct CountRow {
    /// `OPERATION/WHAT`.
    pub name: String,
    /// Per operation: each boot's figure is the median of its lines, summarised over the boots.
    pub per_operation: Summary,
}

/// The counts this system reported, in the order first reported.
pub fn combine_counts(this: &[GuestReport]) -> Vec<CountRow> {
    let mut names: Vec<&str> = Vec::new();
    for report in this {
        for (name, _) in &report.counts {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let per_boot: Vec<f64> = this
                .iter()
                .filter_map(|report| {
                    let lines: Vec<f64> = report
                        .counts
                        .iter()
                        .filter(|(reported, _)| reported == name)
                        .map(|(_, count)| count.per_operation())
                        .collect();
                    Summary::of(&lines).map(|summary| summary.median)
                })
                .collect();
            Some(CountRow {
                name: name.to_string(),
                per_operation: Summary::of(&per_boot)?,
            })
        })
        .collect()
}

/// The phases this system reported, in the order first reported.
pub fn combine_phases(this: &[GuestReport], tsc_khz: u64) -> Vec<PhaseRow> {
    let mut names: Vec<&str> = Vec::new();
    for report in this {
        for (name, _) in &report.details {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    names
        .into_iter()
        .map(|name| PhaseRow {
            name: name.to_string(),
            figures: figures_of(this, |report| &report.details, name, tsc_khz),
            kernel_calls: kernel_calls_of(this, |report| &report.details, name),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench_output::Count;

    fn report(outcomes: &[(&str, OperationOutcome)]) -> GuestReport {
        GuestReport {
            system: "x".to_string(),
            clocksource: None,
            outcomes: outcomes
                .iter()
                .map(|(name, outcome)| (name.to_string(), outcome.clone()))
                .collect(),
            details: Vec::new(),
            counts: Vec::new(),
        }
    }

    #[test]
    fn phases_are_combined_like_operations() {
        let mut first = report(&[]);
        first.details = vec![
            ("spawn/start".to_string(), measured(100)),
            ("spawn/wait".to_string(), measured(50)),
        ];
        let mut second = report(&[]);
        second.details = vec![("spawn/start".to_string(), measured(300))];
        let phases = combine_phases(&[first, second], 1_000_000);
        assert_eq!(phases.len(), 2);
        assert_eq!(phases[0].name, "spawn/start");
        assert_eq!(phases[0].figures.summary().unwrap().median, 20.0);
        assert_eq!(phases[1].figures.summary().unwrap().count, 1);
        // 100 cycles / 100 = 1 call over 10 operations, 300 → 3 over 10: median 0.2.
        assert_eq!(phases[0].kernel_calls, Some(0.2));
    }

    #[test]
    fn counts_are_medians_per_boot_then_over_boots() {
        let count = |total, operations| Count { total, operations };
        let mut first = report(&[]);
        first.counts = vec![
            ("spawn/start.frames_allocated".to_string(), count(50, 5)),
            ("spawn/start.frames_allocated".to_string(), count(60, 5)),
            ("spawn/start.frames_allocated".to_string(), count(200, 5)),
        ];
        let mut second = report(&[]);
        second.counts = vec![("spawn/start.frames_allocated".to_string(), count(40, 4))];
        let rows = combine_counts(&[first, second, report(&[])]);
        assert_eq!(rows.len(), 1);
        let summary = rows[0].per_operation;
        // Boot one: median of 10, 12, 40 is 12; boot two: 10.
        assert_eq!(
            (summary.median, summary.minimum, summary.maximum),
            (11.0, 10.0, 12.0)
        );
        assert_eq!(summary.count, 2);
    }

    fn measured(cycles: u64) -> OperationOutcome {
        OperationOutcome::Measured {
            cycles,
            operations: 10,
            kernel_calls: Some(cycles / 100),
        }
    }

    #[test]
    fn combines_boots_into_medians_and_ratios() {
        let this = [
            report(&[
                (
                    "null_call",
                    OperationOutcome::Unavailable("needs fork".into()),
                ),
                ("ipc", measured(1000)),
            ]),
            report(&[
                (
                    "null_call",
                    OperationOutcome::Unavailable("needs fork".into()),
                ),
                ("ipc", measured(3000)),
            ]),
            // Three rounds in one boot: the boot's figure is the fastest.
            report(&[
                ("ipc", measured(2000)),
                ("ipc", measured(9000)),
                ("ipc", measured(2500)),
            ]),
        ];
        let linux = [
            report(&[("null_call", measured(500)), ("ipc", measured(8000))]),
            report(&[("null_call", measured(700)), ("ipc", measured(8000))]),
        ];
        // 1 GHz: one cycle per nanosecond.
        let rows = combine(&this, &linux, 1_000_000, &[100.0, 300.0], &[900.0]);
        let names: Vec<&str> = rows.iter().map(|row| row.name.as_str()).collect();
        assert_eq!(names, ["null_call", "ipc", "boot"]);
        assert_eq!(
            rows[0].this,
            SystemFigures::Unavailable("needs fork".into())
        );
        assert_eq!(rows[0].linux.summary().unwrap().median, 60.0);
        assert_eq!(rows[0].ratio(), None);
        let ipc = rows[1].this.summary().unwrap();
        assert_eq!(
            (ipc.median, ipc.minimum, ipc.maximum, ipc.count),
            (200.0, 100.0, 300.0, 3)
        );
        // Linux's fastest 800 over this system's 100; the medians, 800 over 200.
        assert_eq!(rows[1].ratio(), Some(8.0));
        assert_eq!(rows[1].median_ratio(), Some(4.0));
        // Rounds of 10 operations with cycles / 100 calls: 1,000 → 1, 2,000 → 2, … per operation;
        // the median over every round.
        assert_eq!(rows[1].this_kernel_calls, Some(2.5));
        assert_eq!(rows[2].this_kernel_calls, None);
        assert_eq!(rows[2].ratio(), Some(9.0));
        assert_eq!(rows[2].median_ratio(), Some(4.5));
    }

    #[test]
    fn failures_and_missing_operations_are_kept() {
        let this = [report(&[(
            "spawn",
            OperationOutcome::Failed("no memory".into()),
        )])];
        let linux = [report(&[("spawn", measured(10)), ("stat", measured(10))])];
        let rows = combine(&this, &linux, 1_000_000, &[], &[]);
        assert_eq!(rows[0].this, SystemFigures::Failed("no memory".into()));
        assert_eq!(rows[1].this, SystemFigures::Missing);
        assert_eq!(rows[2].this, SystemFigures::Missing);
    }
}
