//! The test harness notices when the guest fails: a failing test is reported by name, and a guest
//! that never finishes is killed at the time limit and reported as a time-out.

use std::time::{Duration, Instant};

use system_tests::{NORMAL_TIMEOUT, boot_kernel};
use xtask::{BootOutcome, Machine};

#[test]
fn an_injected_failure_is_reported_by_name() {
    let boot = boot_kernel(
        "inject-failure",
        Machine::Microvm,
        "test test.inject-failure",
        NORMAL_TIMEOUT,
    );
    let tally = &boot.run.tally;
    let names: Vec<&str> = tally
        .failures
        .iter()
        .map(|failure| failure.name.as_str())
        .collect();
    assert_eq!(names, ["kernel/injected_failure"], "{:?}", tally.failures);
    assert_eq!(tally.failed, 1);
    assert!(tally.passed > 0, "the other kernel tests should still pass");
    assert!(
        matches!(boot.run.outcome, BootOutcome::Exited(status) if status != 0),
        "the kernel should exit with a failure status, not {:?}",
        boot.run.outcome
    );
}

#[test]
fn a_hung_guest_is_killed_at_the_timeout() {
    let limit = Duration::from_secs(5);
    let started = Instant::now();
    let boot = boot_kernel("hang", Machine::Microvm, "test test.hang", limit);
    let elapsed = started.elapsed();
    assert_eq!(boot.run.outcome, BootOutcome::TimedOut(limit));
    assert!(
        elapsed < limit + Duration::from_secs(10),
        "the hung guest was not killed promptly: {elapsed:?}"
    );
    let tally = &boot.run.tally;
    assert!(!tally.is_success());
    assert!(
        tally
            .failures
            .iter()
            .any(|failure| failure.reason.starts_with("timeout") && failure.reason.contains("5 s")),
        "no time-out failure in {:?}",
        tally.failures
    );
}
