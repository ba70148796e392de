//! The benchmark program (`apps/bench`, this system's build) runs each operation this system
//! supports to completion, with its own checks (replies, turns, faults), and reports it in the
//! form `cargo xtask bench` reads; the others it lists as not yet possible. (The Linux build and
//! the side-by-side comparison are `cargo xtask bench`'s, which needs a Linux image.)

use system_tests::run_program;
use xtask::BootOutcome;
use xtask::bench_output::{OperationOutcome, parse_guest_output};

#[test]
fn the_benchmark_program_measures_what_this_system_supports() {
    let measured = [
        "kernel_null_call",
        "clock_gettime",
        "ipc_round_trip",
        "notification_round_trip",
        "thread_switch",
        "context_switch",
        "page_fault_anon",
        "spawn",
    ];
    let unavailable = ["fork_exit", "open_close"];
    let command = format!(
        "/bin/bench {} {}",
        measured.join(" "),
        unavailable.join(" ")
    );
    let boot = run_program("bench", &command);
    assert_eq!(
        boot.outcome,
        BootOutcome::Exited(0),
        "console: {}",
        boot.console
    );
    let report = parse_guest_output(&boot.console)
        .unwrap_or_else(|error| panic!("{error}; console: {}", boot.console));
    assert_eq!(report.system, "exokernel");
    for name in measured {
        let rounds: Vec<&OperationOutcome> = report
            .outcomes
            .iter()
            .filter(|(reported, _)| reported == name)
            .map(|(_, outcome)| outcome)
            .collect();
        assert!(!rounds.is_empty(), "{name} was not reported");
        for outcome in rounds {
            assert!(
                outcome
                    .cycles_per_operation()
                    .is_some_and(|cycles| cycles > 0.0),
                "{name}: {outcome:?}"
            );
        }
    }
    for name in unavailable {
        assert!(
            report.outcomes.iter().any(|(reported, outcome)| reported == name
                && matches!(outcome, OperationOutcome::Unavailable(reason) if reason.contains("issue"))),
            "{name} should be listed as not yet possible: {:?}",
            report.outcomes
        );
    }
}
