//! `exo-selftest`: proves the exokernel's guarantees through real kernel calls, reporting
//! each result in the harness's machine-readable form and ending with `N passed, M failed`.
//!
//! `exo-selftest fuzz SEED COUNT` is the fuzzing child the `random_kernel_calls` test starts;
//! `exo-selftest bench` only prints the benchmarks; `exo-selftest fault` dies of a page fault, for the system test of exit statuses.
#![no_std]
#![no_main]

extern crate alloc;

/// `ensure!(condition, reason…)`, shared by every test program.
pub(crate) use libos::ensure;

mod benchmark;
mod channel_tests;
mod floating_point_tests;
mod futex_requeue_tests;
mod fuzz;
mod mechanism_tests;
mod process_mechanism_tests;
mod support;
mod tests;

use libos::test_protocol::{report_plan, report_result};
use libos::{Startup, println};

/// The suite name in the protocol lines.
const SUITE: &str = "exo-selftest";

libos::main!(main);

fn main(startup: &Startup) -> i32 {
    let arguments: alloc::vec::Vec<_> = startup.arguments().collect();
    if arguments.get(1).map(alloc::string::String::as_str) == Some("fuzz") {
        let seed = arguments
            .get(2)
            .and_then(|text| text.parse().ok())
            .unwrap_or(1);
        let count = arguments
            .get(3)
            .and_then(|text| text.parse().ok())
            .unwrap_or(1000);
        fuzz::run_child(seed, count);
    }
    if arguments.get(1).map(alloc::string::String::as_str) == Some("exec-in-place") {
        process_mechanism_tests::run_exec_in_place();
    }
    if arguments.get(1).map(alloc::string::String::as_str) == Some("crashing-channel-holder") {
        channel_tests::run_crashing_holder();
    }
    if arguments.get(1).map(alloc::string::String::as_str) == Some("fault") {
        // For the system test of how a fatal exception reaches the host: read an unmapped page.
        // SAFETY: not sound on purpose: the kernel ends this program with a page fault.
        let value = unsafe { core::ptr::read_volatile(0x10 as *const u64) };
        return value as i32;
    }
    if arguments.get(1).map(alloc::string::String::as_str) == Some("bench") {
        // Only the measurements, for comparing builds in alternating boots.
        benchmark::null_call();
        benchmark::ipc_round_trip(false);
        benchmark::ipc_round_trip(true);
        return 0;
    }
    // `exo-selftest mechanisms` runs only the mechanism tests (quick to iterate on).
    let only_mechanisms = arguments.get(1).map(alloc::string::String::as_str) == Some("mechanisms");
    let tests: alloc::vec::Vec<&tests::Test> = if only_mechanisms {
        mechanism_tests::ALL.iter().collect()
    } else {
        tests::ALL.iter().chain(mechanism_tests::ALL).collect()
    };
    // These tests prove kernel mechanisms, not POSIX interfaces, so they cover none.
    report_plan(SUITE, tests.len());
    let mut failed = 0;
    for test in &tests {
        let outcome = (test.run)();
        failed += usize::from(outcome.is_err());
        report_result(SUITE, test.name, &[], &outcome);
    }
    benchmark::null_call();
    benchmark::ipc_round_trip(false);
    println!("{} passed, {} failed", tests.len() - failed, failed);
    i32::from(failed != 0)
}
