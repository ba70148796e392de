//! `posix-thread-tests`: conformance checks of the LibOS's time (clocks and sleeps), threads
//! (spawn and join, thread-locals, futex locks, `futex`) and anonymous memory, in the test
//! protocol, each naming the POSIX interfaces it proves. `posix-thread-tests measure` prints what
//! eager anonymous mapping costs per page instead.
#![no_std]
#![no_main]

extern crate alloc;

/// `ensure!(condition, reason…)`, shared by every test program.
pub(crate) use libos::ensure;

mod clone_checks;
mod exec_thread_checks;
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
    if startup.arguments().nth(1).as_deref() == Some("many-threads") {
        return exec_thread_checks::many_threads_child();
    }
    if startup.arguments().nth(1).as_deref() == Some("exec-probe") {
        let words: Vec<alloc::string::String> = startup.arguments().skip(2).collect();
        return exec_thread_checks::exec_probe(&words);
    }
    let checks: Vec<Check> = [
        time_checks::CHECKS,
        memory_checks::CHECKS,
        shared_memory_checks::CHECKS,
        system_v_checks::CHECKS,
        // After checks that fork: the threads then run in a process whose private pages are
        // copy-on-write, so their writes are faults taken on each thread.
        thread_checks::CHECKS,
        clone_checks::CHECKS,
        exec_thread_checks::CHECKS,
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
