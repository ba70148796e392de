//! `posix-process-tests`: conformance checks of the POSIX process calls (pids, the parent/child
//! tree, wait and exit statuses, fork), each naming the interfaces it proves.
//!
//! It starts copies of itself as helpers: `posix-process-tests exit N` exits with N,
//! `… ppid P` exits 0 when its parent's pid is P, `… sleep MS` exits 0 after MS milliseconds,
//! `… segfault` dies of a page fault, `… exec-check PID WORD` checks what `execve` passed.
#![no_std]
#![no_main]

extern crate alloc;

mod accounting_checks;
mod credential_checks;
mod descriptor_inheritance_checks;
mod exec_checks;
mod exec_path_checks;
mod fork_checks;
mod helpers;
mod identity_checks;
mod in_child;
mod kill_checks;
mod limit_checks;
mod set_id_checks;

use alloc::string::String;
use alloc::vec::Vec;

use libos::test_protocol::{Check, run_checks};
use libos::{Startup, println};

/// The suite name in the protocol lines.
const SUITE: &str = "posix-process";
/// This program's path, for starting helpers.
pub const SELF_PATH: &str = "/bin/posix-process-tests";

libos::main!(main);

fn main(startup: &Startup) -> i32 {
    let arguments: Vec<String> = startup.arguments().collect();
    if arguments.get(1).map(String::as_str) == Some("exec-check") {
        return exec_checks::exec_check(startup);
    }
    if arguments.get(1).map(String::as_str) == Some("child") {
        let name = arguments.get(2).map_or("", String::as_str);
        let argument = arguments
            .get(3)
            .and_then(|text| text.parse().ok())
            .unwrap_or(0);
        return in_child::run(name, argument);
    }
    if let Some(mode) = arguments.get(1) {
        if let Some(status) = descriptor_inheritance_checks::run_helper(mode, &arguments) {
            return status;
        }
        if let Some(status) = exec_path_checks::run_helper(mode, &arguments) {
            return status;
        }
        if let Some(status) = set_id_checks::run_helper(mode, &arguments) {
            return status;
        }
        return helpers::run(mode, arguments.get(2).map(String::as_str));
    }
    let checks: Vec<Check> = identity_checks::ALL
        .iter()
        .chain(fork_checks::ALL)
        .chain(exec_checks::ALL)
        .chain(descriptor_inheritance_checks::ALL)
        .chain(exec_path_checks::ALL)
        .chain(set_id_checks::ALL)
        .chain(kill_checks::ALL)
        .chain(credential_checks::ALL)
        .chain(limit_checks::ALL)
        .chain(accounting_checks::ALL)
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
