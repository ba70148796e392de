//! `posix-signal-tests`: conformance checks of signals (handlers, masks, waiting, interrupted
//! calls, faults, stops and continues, `SIGCHLD`), process groups and sessions, and hostile
//! uses of the signal page and the process server's protocol; each check names the interfaces
//! it proves.
//!
//! It starts copies of itself as helpers: `posix-signal-tests sleep MS` exits 0 after MS
//! milliseconds; `… exec-prepare` sets up signal state and execs `… exec-signal-check`, which
//! checks what `execve` kept of it; `… exec-sleep` execs `… sleep 400`.
//! `posix-signal-tests only NAME…` runs only the named checks.
#![no_std]
#![no_main]

extern crate alloc;

mod context_checks;
mod descriptor_checks;
mod fault_checks;
mod handler_checks;
mod interrupt_checks;
mod job_checks;
mod queue_checks;
mod raw_checks;
mod support;
mod terminal_checks;
mod timer_checks;
mod vector_state_checks;
mod wait_checks;

use alloc::string::String;
use alloc::vec::Vec;

use libos::test_protocol::{Check, run_checks};
use libos::{Startup, println};

/// The suite name in the protocol lines.
const SUITE: &str = "posix-signal";
/// This program's path, for `execve`.
pub const SELF_PATH: &str = "/bin/posix-signal-tests";

libos::main!(main);

fn main(startup: &Startup) -> i32 {
    let arguments: Vec<String> = startup.arguments().collect();
    match arguments.get(1).map(String::as_str) {
        Some("exec-signal-check") => return job_checks::exec_signal_check(),
        Some("exec-prepare") => return job_checks::exec_prepare(),
        Some("exec-sleep") => return job_checks::exec_sleep(),
        Some("sleep") => {
            let milliseconds = arguments
                .get(2)
                .and_then(|text| text.parse::<u64>().ok())
                .unwrap_or(0);
            support::sleep_milliseconds(milliseconds);
            return 0;
        }
        Some("only") => {}
        Some(_) => return 2,
        None => {}
    }
    // `only NAME…`: run just the named checks (for iterating on one).
    let only: Vec<&str> = arguments.iter().skip(2).map(String::as_str).collect();
    let checks: Vec<Check> = job_checks::FIRST
        .iter()
        .chain(handler_checks::ALL)
        .chain(wait_checks::ALL)
        .chain(interrupt_checks::ALL)
        .chain(job_checks::ALL)
        .chain(fault_checks::ALL)
        .chain(raw_checks::ALL)
        .chain(queue_checks::ALL)
        .chain(descriptor_checks::ALL)
        .chain(context_checks::ALL)
        .chain(terminal_checks::ALL)
        .chain(timer_checks::ALL)
        .chain(vector_state_checks::ALL)
        .filter(|check| only.is_empty() || only.contains(&check.name))
        .map(|check| Check {
            name: check.name,
            covers: check.covers,
            run: check.run,
        })
        .collect();
    let failed = run_checks(SUITE, &checks);
    println!("{} passed, {} failed", checks.len() - failed, failed);
    i32::from(failed != 0)
}
