//! Conformance checks of the native utilities, in the test protocol (docs/testing.md).
//!
//! Each check starts utilities as programs (`/bin/NAME`, the hard links to `/bin/utils`) with
//! the file server's capabilities, and checks what they did through the files they made or
//! changed and their exit statuses, and (`output_checks`) what they write to standard output
//! and error, captured through pipes that `posix_spawn` passes as descriptors 1 and 2.
#![no_std]
#![no_main]

extern crate alloc;

mod file_utility_checks;
mod output_checks;
mod process_checks;
mod run;
mod text_utility_checks;
mod treesum_checks;

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
    file_utility_checks::CHOWN,
    file_utility_checks::CHMOD,
    process_checks::PS_LISTS_SELF,
    process_checks::PS_EVERY_FULL,
    process_checks::PS_FORMAT,
    process_checks::MOUNT,
    text_utility_checks::SORT,
    text_utility_checks::UNIQ,
    text_utility_checks::GREP,
    text_utility_checks::TEST,
    text_utility_checks::TRUE_FALSE,
    text_utility_checks::ENV,
    text_utility_checks::SLEEP,
    text_utility_checks::USAGE_ERRORS,
    output_checks::LS,
    output_checks::ID,
    output_checks::UNAME,
    output_checks::DMESG,
    output_checks::LS_OPTIONS,
    output_checks::CAT,
    output_checks::ECHO_PRINTF,
    output_checks::WC,
    output_checks::HEAD_TAIL,
    output_checks::GREP,
    output_checks::SORT_UNIQ,
    output_checks::CUT_TR,
    output_checks::TEE,
    output_checks::SEQ,
    output_checks::YES,
    output_checks::NAMES,
    output_checks::ENV,
    output_checks::DATE,
    output_checks::STAT,
    output_checks::KILL,
    output_checks::ERROR_MESSAGES,
    treesum_checks::CHECKSUMS,
    treesum_checks::GREP,
    treesum_checks::ERRORS,
];

fn main(_startup: &Startup) -> i32 {
    let failed = run_checks("posix-utilities", CHECKS);
    libos::println!("{} passed, {failed} failed", CHECKS.len() - failed);
    i32::from(failed != 0)
}
