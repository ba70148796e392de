//! `posix-shell-tests`: conformance checks of `/bin/sh` (POSIX XCU chapter 2, "Shell Command
//! Language"), each a script run with `sh -c` whose exit status and output are compared with
//! what POSIX says. Each names the behaviour of the `sh` utility it proves
//! (`covers=utility_sh:…`).
#![no_std]
#![no_main]

extern crate alloc;

mod cases;
mod harness;

use alloc::format;
use alloc::string::String;

use libos::test_protocol::{report_plan, report_result, write_summary};
use libos::{Startup, println};

/// The suite name in the protocol lines.
const SUITE: &str = "posix-shell";

libos::main!(main);

fn main(_startup: &Startup) -> i32 {
    report_plan(SUITE, cases::ALL.len());
    let mut failed = 0;
    for (number, case) in cases::ALL.iter().enumerate() {
        let outcome = check(number, case);
        if outcome.is_err() {
            failed += 1;
        }
        report_result(SUITE, case.name, case.covers, &outcome);
    }
    println!("{} passed, {} failed", cases::ALL.len() - failed, failed);
    write_summary(cases::ALL.len() - failed, failed);
    i32::from(failed != 0)
}

/// Runs one case and compares.
fn check(number: usize, case: &cases::Case) -> Result<(), String> {
    let outcome = harness::run(number, case.script, case.arguments)?;
    let expected_output = match case.output {
        cases::Expected::Exactly(text) => String::from(text),
        cases::Expected::Pid => format!("{}\n", outcome.pid),
        cases::Expected::Containing(text) => {
            if !outcome.output.contains(text) {
                return Err(format!(
                    "output {:?} does not contain {text:?}",
                    outcome.output
                ));
            }
            outcome.output.clone()
        }
    };
    if outcome.status != case.status {
        return Err(format!(
            "exit status {} instead of {} (output {:?})",
            outcome.status, case.status, outcome.output
        ));
    }
    if outcome.output != expected_output {
        return Err(format!(
            "output {:?} instead of {expected_output:?}",
            outcome.output
        ));
    }
    Ok(())
}
