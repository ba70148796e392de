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
        "null_call",
        "kernel_null_call",
        "clock_gettime",
        "ipc_round_trip",
        "notification_round_trip",
        "thread_switch",
        "context_switch",
        "page_fault_anon",
        "spawn",
        "fork_exit",
        "open_close",
        "stat",
        "read_4k",
        "write_4k",
        "unix_round_trip",
        "pipe_round_trip",
        "mmap_munmap",
        "page_fault_cow",
        "signal_delivery",
    ];
    // What this system cannot do yet (may become empty: then nothing is checked here).
    let unavailable: &[&str] = &[];
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
    // The LibOS's clock_gettime reads the time page, and file reads and writes copy on the
    // file's mapped frames: no kernel entry.
    for (name, outcome) in &report.outcomes {
        if ["clock_gettime", "read_4k", "write_4k"].contains(&name.as_str()) {
            assert_eq!(
                outcome.kernel_calls_per_operation(),
                Some(0.0),
                "{outcome:?}"
            );
        }
    }
    // A copy-on-write fault is the handler's FrameAllocateCopy and its ExceptionResume (a few
    // more when a timed write also copies a stack page); an anonymous page is mapped and
    // unmapped with kernel calls.
    for (name, outcome) in &report.outcomes {
        if name == "page_fault_cow" {
            assert!(
                outcome
                    .kernel_calls_per_operation()
                    .is_some_and(|calls| (2.0..3.0).contains(&calls)),
                "{outcome:?}"
            );
        }
        if name == "mmap_munmap" {
            assert!(
                outcome
                    .kernel_calls_per_operation()
                    .is_some_and(|calls| calls >= 2.0),
                "{outcome:?}"
            );
        }
    }
    // Where the time goes: the pieces the report's breakdown is built from.
    let detail = |wanted: &str| {
        report
            .details
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, outcome)| outcome.clone())
            .unwrap_or_else(|| panic!("no {wanted} detail: {:?}", report.details))
    };
    for name in [
        "boot/machine_start_to_kernel_clock",
        "boot/kernel_clock_to_program",
        "clock_gettime/rdtsc",
        "kernel_null_call/bare_clock_read",
        "spawn/start",
        "spawn/wait",
        "spawn/reap",
        "fork_exit/fork",
        "fork_exit/wait",
        "spawn/wait.child_start_to_main",
        "page_fault_anon/delivery",
        "page_fault_anon/resume",
    ] {
        assert!(detail(name).cycles_per_operation().is_some(), "{name}");
    }
    // The handler's share of a fault is its FrameAllocate and Map.
    assert_eq!(
        detail("page_fault_anon/handler").kernel_calls_per_operation(),
        Some(2.0)
    );
    for step in ["frame_allocate", "map"] {
        assert_eq!(
            detail(&format!("page_fault_anon/handler.{step}")).kernel_calls_per_operation(),
            Some(1.0),
            "{step}"
        );
    }
    let count = |wanted: &str| {
        report
            .counts
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, count)| count.per_operation())
            .unwrap_or_else(|| panic!("no {wanted} count: {:?}", report.counts))
    };
    assert!(count("page_fault_anon/frames_allocated") >= 1.0);
    assert!(count("spawn/start.frames_allocated") >= 1.0);
    for &name in unavailable {
        assert!(
            report.outcomes.iter().any(|(reported, outcome)| reported == name
                && matches!(outcome, OperationOutcome::Unavailable(reason) if reason.contains("issue"))),
            "{name} should be listed as not yet possible: {:?}",
            report.outcomes
        );
    }
}
