//! Reads what the benchmark program (`apps/bench`) prints on the guest console.
//!
//! The lines: `bench-start SYSTEM`, optionally `bench-clocksource NAME` (Linux), then per
//! operation `bench-result NAME cycles=TOTAL operations=N`, `bench-unavailable NAME REASON…` or
//! `bench-failed NAME REASON…`, and finally `bench-done`. `bench-detail OPERATION/PHASE
//! cycles=TOTAL operations=N [kernel_calls=K]` lines break an operation into phases, and
//! `bench-count OPERATION/WHAT count=TOTAL operations=N` lines count something per operation
//! (frames allocated, a child's kernel calls). Anything else (kernel messages, firmware text before
//! a line) is ignored; serial `\r\n` endings are accepted.

use std::fmt;

/// What one boot said about one operation.
#[derive(Debug, Clone, PartialEq)]
pub enum OperationOutcome {
    /// `operations` operations took `cycles` timestamp-counter cycles.
    Measured {
        /// Elapsed cycles.
        cycles: u64,
        /// Operations they cover (at least 1).
        operations: u64,
        /// Kernel calls the measuring process made meanwhile, when reported.
        kernel_calls: Option<u64>,
    },
    /// The system cannot do it yet; the reason names what it needs.
    Unavailable(String),
    /// Measuring it went wrong.
    Failed(String),
}

impl OperationOutcome {
    /// Kernel calls per operation, for a measured outcome that counted them.
    pub fn kernel_calls_per_operation(&self) -> Option<f64> {
        match self {
            Self::Measured {
                operations,
                kernel_calls: Some(calls),
                ..
            } => Some(*calls as f64 / *operations as f64),
            _ => None,
        }
    }

    /// Cycles per operation, for a measured outcome.
    pub fn cycles_per_operation(&self) -> Option<f64> {
        match self {
            Self::Measured {
                cycles, operations, ..
            } => Some(*cycles as f64 / *operations as f64),
            Self::Unavailable(_) | Self::Failed(_) => None,
        }
    }
}

/// Everything one boot of the benchmark program reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuestReport {
    /// The system named by `bench-start`.
    pub system: String,
    /// The clocksource Linux was using when timing began, if reported.
    pub clocksource: Option<String>,
    /// Each operation's outcome, in the order reported.
    pub outcomes: Vec<(String, OperationOutcome)>,
    /// Phases of an operation (`spawn/start`), each measured like an operation: where its time
    /// goes.
    pub details: Vec<(String, OperationOutcome)>,
    /// Things counted per operation (`spawn/start.frames_allocated`): per line, the total and the
    /// operations it covers.
    pub counts: Vec<(String, Count)>,
}

/// A `bench-count` line: `total` of something over `operations` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// The total counted.
    pub total: u64,
    /// The operations it covers (at least 1).
    pub operations: u64,
}

impl Count {
    /// The count per operation.
    pub fn per_operation(self) -> f64 {
        self.total as f64 / self.operations as f64
    }
}

/// Why the console output is not a complete report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputError {
    /// No `bench-start` line: the program never ran.
    NotStarted,
    /// No `bench-done` line: the program stopped early (the last operation is named, if any).
    Unfinished {
        /// The last operation reported before the output stopped.
        last: Option<String>,
    },
    /// A benchmark line that does not parse.
    Malformed(String),
}

impl fmt::Display for OutputError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotStarted => formatter.write_str("the benchmark program never started"),
            Self::Unfinished { last: Some(last) } => write!(
                formatter,
                "the benchmark program stopped after reporting `{last}`"
            ),
            Self::Unfinished { last: None } => {
                formatter.write_str("the benchmark program stopped before its first result")
            }
            Self::Malformed(line) => write!(formatter, "a benchmark line does not parse: {line}"),
        }
    }
}

impl std::error::Error for OutputError {}

/// The marker that starts every line of the protocol (and whose first appearance marks the first
/// user-space output, for the boot time).
pub const START_MARKER: &str = "bench-start";

/// Parses a whole boot's console output.
///
/// # Errors
/// [`OutputError`] when the program did not start, did not finish, or printed a bad line.
pub fn parse_guest_output(text: &str) -> Result<GuestReport, OutputError> {
    let mut report = GuestReport::default();
    let mut started = false;
    let mut done = false;
    for line in text.lines() {
        // Firmware may leave text without a newline before the first line.
        let Some(start) = line.find("bench-") else {
            continue;
        };
        let line = line[start..].trim_end();
        let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
        match keyword {
            START_MARKER => {
                started = true;
                report.system = rest.trim().to_string();
            }
            "bench-clocksource" => report.clocksource = Some(rest.trim().to_string()),
            "bench-result" => report.outcomes.push(parse_result(rest, line)?),
            "bench-detail" => report.details.push(parse_result(rest, line)?),
            "bench-count" => report.counts.push(parse_count(rest, line)?),
            "bench-unavailable" | "bench-failed" => {
                let (name, reason) = rest.split_once(' ').unwrap_or((rest, ""));
                if name.is_empty() {
                    return Err(OutputError::Malformed(line.to_string()));
                }
                let reason = reason.trim().to_string();
                let outcome = if keyword == "bench-failed" {
                    OperationOutcome::Failed(reason)
                } else {
                    OperationOutcome::Unavailable(reason)
                };
                report.outcomes.push((name.to_string(), outcome));
            }
            "bench-done" => done = true,
            _ => {}
        }
    }
    if !started {
        return Err(OutputError::NotStarted);
    }
    if !done {
        return Err(OutputError::Unfinished {
            last: report.outcomes.last().map(|(name, _)| name.clone()),
        });
    }
    Ok(report)
}

fn parse_result(rest: &str, line: &str) -> Result<(String, OperationOutcome), OutputError> {
    let malformed = || OutputError::Malformed(line.to_string());
    let mut words = rest.split_whitespace();
    let name = words.next().ok_or_else(malformed)?;
    let mut cycles = None;
    let mut operations = None;
    let mut kernel_calls = None;
    for word in words {
        let (key, value) = word.split_once('=').ok_or_else(malformed)?;
        let value: u64 = value.parse().map_err(|_| malformed())?;
        match key {
            "cycles" => cycles = Some(value),
            "operations" => operations = Some(value),
            "kernel_calls" => kernel_calls = Some(value),
            _ => {}
        }
    }
    match (cycles, operations) {
        (Some(cycles), Some(operations)) if operations > 0 => Ok((
            name.to_string(),
            OperationOutcome::Measured {
                cycles,
                operations,
                kernel_calls,
            },
        )),
        _ => Err(malformed()),
    }
}

fn parse_count(rest: &str, line: &str) -> Result<(String, Count), OutputError> {
    let malformed = || OutputError::Malformed(line.to_string());
    let mut words = rest.split_whitespace();
    let name = words.next().ok_or_else(malformed)?;
    let mut total = None;
    let mut operations = None;
    for word in words {
        let (key, value) = word.split_once('=').ok_or_else(malformed)?;
        let value: u64 = value.parse().map_err(|_| malformed())?;
        match key {
            "count" => total = Some(value),
            "operations" => operations = Some(value),
            _ => {}
        }
    }
    match (total, operations) {
        (Some(total), Some(operations)) if operations > 0 => {
            Ok((name.to_string(), Count { total, operations }))
        }
        _ => Err(malformed()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_complete_report_with_serial_line_endings_and_noise() {
        let text = "SeaBIOS text without newlinebench-start linux\r\n\
                    [    1.0] a kernel message\r\n\
                    bench-clocksource tsc\r\n\
                    bench-result null_call cycles=4000 operations=20 kernel_calls=30\r\n\
                    bench-unavailable fork_exit needs fork in the LibOS (issue 8)\r\n\
                    bench-failed spawn the child did not exit\r\n\
                    bench-detail spawn/start cycles=90 operations=3\r\n\
                    bench-count spawn/start.frames_allocated count=45 operations=5\r\n\
                    bench-done\r\n";
        let report = parse_guest_output(text).unwrap();
        assert_eq!(report.system, "linux");
        assert_eq!(report.clocksource.as_deref(), Some("tsc"));
        assert_eq!(
            report.outcomes,
            vec![
                (
                    "null_call".to_string(),
                    OperationOutcome::Measured {
                        cycles: 4000,
                        operations: 20,
                        kernel_calls: Some(30)
                    }
                ),
                (
                    "fork_exit".to_string(),
                    OperationOutcome::Unavailable("needs fork in the LibOS (issue 8)".to_string())
                ),
                (
                    "spawn".to_string(),
                    OperationOutcome::Failed("the child did not exit".to_string())
                ),
            ]
        );
        assert_eq!(report.outcomes[0].1.cycles_per_operation(), Some(200.0));
        assert_eq!(report.details.len(), 1);
        assert_eq!(report.details[0].0, "spawn/start");
        assert_eq!(report.details[0].1.cycles_per_operation(), Some(30.0));
        assert_eq!(report.outcomes[1].1.cycles_per_operation(), None);
        assert_eq!(report.outcomes[0].1.kernel_calls_per_operation(), Some(1.5));
        assert_eq!(report.details[0].1.kernel_calls_per_operation(), None);
        assert_eq!(
            report.counts,
            vec![(
                "spawn/start.frames_allocated".to_string(),
                Count {
                    total: 45,
                    operations: 5
                }
            )]
        );
        assert_eq!(report.counts[0].1.per_operation(), 9.0);
    }

    #[test]
    fn a_missing_start_or_end_is_an_error() {
        assert_eq!(
            parse_guest_output("panic: oops\n"),
            Err(OutputError::NotStarted)
        );
        assert_eq!(
            parse_guest_output("bench-start x\nbench-result a cycles=1 operations=1\n"),
            Err(OutputError::Unfinished {
                last: Some("a".to_string())
            })
        );
    }

    #[test]
    fn malformed_results_are_rejected() {
        for line in [
            "bench-result a cycles=1",
            "bench-result a cycles=x operations=1",
            "bench-result a cycles=1 operations=0",
            "bench-result",
            "bench-unavailable",
            "bench-detail spawn/start cycles=1",
            "bench-count spawn/start.frames_allocated count=1 operations=0",
            "bench-count spawn/start.frames_allocated operations=2",
            "bench-count",
        ] {
            let text = format!("bench-start x\n{line}\nbench-done\n");
            assert!(
                matches!(parse_guest_output(&text), Err(OutputError::Malformed(_))),
                "{line}"
            );
        }
    }
}
