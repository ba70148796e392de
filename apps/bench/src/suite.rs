//! Runs every operation on the current platform and prints one machine-readable line each.
//!
//! The lines, read by `cargo xtask bench` (`xtask/src/bench_output.rs`):
//! `bench-start SYSTEM`, then per operation either
//! `bench-result NAME cycles=TOTAL operations=N` (timestamp-counter cycles for N operations) or
//! `bench-unavailable NAME REASON` (this system cannot do it yet) or `bench-failed NAME REASON`,
//! then `bench-done`.

use crate::operation::Operation;
use crate::platform::{self, Measurement};

/// Measures every operation whose name is in `only` (all when it is empty) and prints the results.
pub fn run(only: &[&str]) {
    for operation in Operation::ALL {
        if !only.is_empty() && !only.contains(&operation.name()) {
            continue;
        }
        match platform::measure(operation, operation.iterations()) {
            Measurement::Cycles { cycles, operations } => platform::print_line(format_args!(
                "bench-result {} cycles={cycles} operations={operations}",
                operation.name()
            )),
            Measurement::Unavailable(reason) => platform::print_line(format_args!(
                "bench-unavailable {} {reason}",
                operation.name()
            )),
            Measurement::Failed(reason) => platform::print_line(format_args!(
                "bench-failed {} {reason}",
                operation.name()
            )),
        }
    }
    platform::print_line(format_args!("bench-done"));
}

/// Runs `body` `iterations` times after a short warm-up and returns the elapsed cycles.
pub fn timed(iterations: u64, mut body: impl FnMut(u64)) -> u64 {
    for warm_up in 0..iterations.div_ceil(10).min(100) {
        body(warm_up);
    }
    let start = platform::cycles();
    for iteration in 0..iterations {
        body(iteration);
    }
    platform::cycles() - start
}
