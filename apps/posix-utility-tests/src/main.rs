//! Conformance checks of the native utilities, in the test protocol (docs/testing.md).
//!
//! Each check starts utilities as programs (`/bin/NAME`, the hard links to `/bin/utils`) with
//! the file server's capabilities, and checks what they did through the files they made or
//! changed and their exit statuses. Until descriptors cross `spawn`, a utility's standard
//! output is the console, so what only shows there (`ls`, `wc`, `head`, …) is not checked
//! here; its pure logic is tested on the host (`utility-logic`).
#![no_std]
#![no_main]

extern crate alloc;

mod file_utility_checks;
mod run;
mod text_utility_checks;

use libos::Startup;
use libos::test_protocol::{Check, run_checks};

libos::main!(main);

/// Fails a check with a formatted reason unless `condition` holds.
#[macro_export]
macro_rules! ensure {
    ($condition:expr, $($reason:tt)+) => {
        if !$condition {
            return Err(alloc::format!($($reason)+));
        }
    };
}

const CHECKS: &[Check] = &[
    file_utility_checks::MULTI_CALL_LINKS,
    file_utility_checks::MKDIR,
    file_utility_checks::RMDIR,
    file_utility_checks::RM,
    file_utility_checks::CP,
    file_utility_checks::MV,
    file_utility_checks::LN,
    file_utility_checks::TOUCH,
    file_utility_checks::CHMOD,
    file_utility_checks::NOT_IMPLEMENTED,
    text_utility_checks::SORT,
    text_utility_checks::UNIQ,
    text_utility_checks::GREP,
    text_utility_checks::TEST,
    text_utility_checks::TRUE_FALSE,
    text_utility_checks::ENV,
    text_utility_checks::SLEEP,
    text_utility_checks::USAGE_ERRORS,
];

fn main(_startup: &Startup) -> i32 {
    let failed = run_checks("posix-utilities", CHECKS);
    libos::println!("{} passed, {failed} failed", CHECKS.len() - failed);
    i32::from(failed != 0)
}
