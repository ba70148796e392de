//! Runs every operation on the current platform and prints one machine-readable line each.
//!
//! The lines, read by `cargo xtask bench` (`xtask/src/bench_output.rs`):
//! `bench-start SYSTEM`, then per operation and round (see [`ROUNDS`]) either
//! `bench-result NAME cycles=TOTAL operations=N` (timestamp-counter cycles for N operations) or
//! `bench-unavailable NAME REASON` (this system cannot do it yet) or `bench-failed NAME REASON`,
//! then `bench-done`.

use crate::operation::Operation;
use crate::platform::{self, Measurement};

/// Timed rounds per operation and boot: the host takes their median, so one round disturbed by
/// the (noisy, shared) host does not decide the boot's figure.
pub const ROUNDS: usize = 3;

/// The word that asks for a quick run: one round of a fifth of the iterations.
pub const QUICK: &str = "quick";

/// Measures every operation named in `words` (all when none is) and prints the results; the
/// word [`QUICK`] makes the run quick.
pub fn run(words: &[&str]) {
    let quick = words.contains(&QUICK);
    let selected = |name: &str| {
        let mut named = words.iter().filter(|word| **word != QUICK).peekable();
        named.peek().is_none() || named.any(|word| *word == name)
    };
    let rounds = if quick { 1 } else { ROUNDS };
    for operation in Operation::ALL {
        if !selected(operation.name()) {
            continue;
        }
        let iterations = if quick {
            operation.iterations().div_ceil(5).max(2)
        } else {
            operation.iterations()
        };
        for _ in 0..rounds {
            if !report(operation, iterations) {
                break;
            }
        }
    }
    platform::print_line(format_args!("bench-done"));
}

/// Measures one round of `operation` and prints it; false when there is nothing to repeat.
fn report(operation: Operation, iterations: u64) -> bool {
    let measurement = platform::measure(operation, iterations);
    match measurement {
        Measurement::Cycles { cycles, operations } => platform::print_line(format_args!(
            "bench-result {} cycles={cycles} operations={operations}",
            operation.name()
        )),
        Measurement::Unavailable(reason) => platform::print_line(format_args!(
            "bench-unavailable {} {reason}",
            operation.name()
        )),
        Measurement::Failed(reason) => {
            platform::print_line(format_args!("bench-failed {} {reason}", operation.name()))
        }
    }
    matches!(measurement, Measurement::Cycles { .. })
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
