//! Runs every operation on the current platform and prints one machine-readable line each.
//!
//! The lines, read by `cargo xtask bench` (`xtask/src/bench_output.rs`):
//! `bench-start SYSTEM`, then per operation and round (see [`ROUNDS`]) either
//! `bench-result NAME cycles=TOTAL operations=N [kernel_calls=K]` (timestamp-counter cycles for
//! N operations, and the kernel calls made meanwhile where the platform counts them) or
//! `bench-unavailable NAME REASON` (this system cannot do it yet) or `bench-failed NAME REASON`,
//! then `bench-done`. Between them this system's platform prints where the time goes:
//! `bench-detail OPERATION/PIECE cycles=TOTAL operations=N [kernel_calls=K]` (a piece of an
//! operation, timed like one) and `bench-count OPERATION/WHAT count=TOTAL operations=N` (something
//! counted, such as frames allocated).

use crate::operation::Operation;
use crate::platform::{self, Measurement};

/// Timed rounds per operation and boot: the host takes the fastest, so that a boot whose host
/// slowed down for part of it still yields an undisturbed figure (docs/performance.md, Method).
pub const ROUNDS: usize = 5;

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
        Measurement::Cycles {
            cycles,
            operations,
            kernel_calls: Some(kernel_calls),
        } => platform::print_line(format_args!(
            "bench-result {} cycles={cycles} operations={operations} kernel_calls={kernel_calls}",
            operation.name()
        )),
        Measurement::Cycles {
            cycles,
            operations,
            kernel_calls: None,
        } => platform::print_line(format_args!(
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

/// What a timed loop took.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Elapsed timestamp-counter cycles.
    pub cycles: u64,
    /// Kernel calls this process made meanwhile, where the platform counts them.
    #[cfg_attr(
        target_os = "linux",
        expect(dead_code, reason = "only this system's calls are counted")
    )]
    pub kernel_calls: Option<u64>,
}

/// Runs `body` `iterations` times after a short warm-up and returns the elapsed cycles and the
/// kernel calls made by the timed iterations.
pub fn timed_counting(iterations: u64, mut body: impl FnMut(u64)) -> Timing {
    for warm_up in 0..iterations.div_ceil(10).min(100) {
        body(warm_up);
    }
    let calls_before = platform::kernel_calls();
    let start = platform::cycles();
    for iteration in 0..iterations {
        body(iteration);
    }
    let cycles = platform::cycles() - start;
    let kernel_calls = platform::kernel_calls()
        .zip(calls_before)
        .map(|(after, before)| after - before);
    Timing {
        cycles,
        kernel_calls,
    }
}

/// Like [`timed_counting`], returning only the cycles.
#[cfg_attr(
    target_os = "none",
    expect(
        dead_code,
        reason = "this system's measurements also count kernel calls"
    )
)]
pub fn timed(iterations: u64, body: impl FnMut(u64)) -> u64 {
    timed_counting(iterations, body).cycles
}
