//! `posix-thread-tests`: conformance checks of the LibOS's time (clocks and sleeps), threads
//! (spawn and join, thread-locals, futex locks, `futex`) and anonymous memory, in the test
//! protocol, each naming the POSIX interfaces it proves. `posix-thread-tests measure` prints what
//! eager anonymous mapping costs per page instead.
#![no_std]
#![no_main]

extern crate alloc;

/// `ensure!(condition, reason…)`, shared by every test program.
pub(crate) use libos::ensure;

mod memory_checks;
mod shared_memory_checks;
mod system_v_checks;
mod thread_checks;
mod time_checks;

use alloc::vec::Vec;

use libos::test_protocol::{Check, run_checks};
use libos::{Startup, println};

/// The suite name in the protocol lines.
const SUITE: &str = "posix-thread-tests";

libos::main!(main);

fn main(startup: &Startup) -> i32 {
    if startup.arguments().nth(1).as_deref() == Some("measure") {
        memory_checks::measure_eager_mapping();
        return 0;
    }
    let checks: Vec<Check> = [
        time_checks::CHECKS,
        thread_checks::CHECKS,
        memory_checks::CHECKS,
        // Last: these fork, and threads started in a process that has forked hang today (the
        // copy-on-write fault handler and threads; see the memory branch's report).
        shared_memory_checks::CHECKS,
        system_v_checks::CHECKS,
    ]
    .iter()
    .flat_map(|group| group.iter())
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
