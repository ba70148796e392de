//! A deliberate kernel fault stops the guest with a failure status, and the kernel log names the
//! exception vector, the error code, CR2 and RIP; a kernel stack overflow is caught by the guard
//! page below the stack and reported as such.

use system_tests::{NORMAL_TIMEOUT, boot_kernel};
use xtask::{BootOutcome, Machine};

/// The status the kernel exits with after a fatal exception (`trap::KERNEL_FAILURE_STATUS`).
const KERNEL_FAILURE_STATUS: u8 = 0x7f;

/// Boots with `crash=<kind>`, checks the guest exited with the kernel's failure status (not a
/// reset, a hang or success) and returns the kernel log.
fn crash_log(kind: &str) -> String {
    let boot = boot_kernel(
        &format!("crash-{kind}"),
        Machine::Microvm,
        &format!("crash={kind}"),
        NORMAL_TIMEOUT,
    );
    assert_eq!(
        boot.run.outcome,
        BootOutcome::Exited(KERNEL_FAILURE_STATUS),
        "crash={kind} should stop the machine with the kernel failure status: {}",
        boot.run.outcome.describe()
    );
    boot.kernel_log
}

/// Boots with `crash=<kind>` and returns the kernel log's first `EXCEPTION vector=` line.
fn exception_line(kind: &str) -> String {
    let log = crash_log(kind);
    log.lines()
        .find(|line| line.contains("EXCEPTION vector="))
        .unwrap_or_else(|| panic!("no EXCEPTION line in the kernel log:\n{log}"))
        .to_string()
}

/// The value of `key=` on the line, e.g. `cr2` in `… cr2=0x1000 …`.
fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no `{key}=` in {line:?}"))
}

fn assert_hexadecimal(line: &str, key: &str) -> u64 {
    let value = field(line, key);
    let digits = value
        .strip_prefix("0x")
        .unwrap_or_else(|| panic!("`{key}={value}` is not hexadecimal in {line:?}"));
    u64::from_str_radix(digits, 16)
        .unwrap_or_else(|_| panic!("`{key}={value}` is not hexadecimal in {line:?}"))
}

#[test]
fn a_page_fault_is_reported_with_error_code_cr2_and_rip() {
    let line = exception_line("page-fault");
    assert_eq!(field(&line, "vector"), "14", "{line}");
    assert_hexadecimal(&line, "error");
    assert_ne!(
        assert_hexadecimal(&line, "cr2"),
        0,
        "CR2 should hold the faulting address: {line}"
    );
    assert_ne!(assert_hexadecimal(&line, "rip"), 0, "{line}");
}

#[test]
fn a_general_protection_fault_is_reported_with_error_code_cr2_and_rip() {
    let line = exception_line("general-protection");
    assert_eq!(field(&line, "vector"), "13", "{line}");
    assert_hexadecimal(&line, "error");
    assert_hexadecimal(&line, "cr2");
    assert_ne!(assert_hexadecimal(&line, "rip"), 0, "{line}");
}

#[test]
fn a_kernel_stack_overflow_hits_the_guard_page_and_is_reported() {
    let log = crash_log("stack-overflow");
    let overflow = log
        .lines()
        .find(|line| line.contains("EXCEPTION kernel stack overflow"))
        .unwrap_or_else(|| panic!("no stack-overflow report in the kernel log:\n{log}"));
    assert!(
        overflow.contains("the boot stack ran into its guard page"),
        "the overflow should name the boot stack (crash= runs on it): {overflow}"
    );
    let line = log
        .lines()
        .find(|line| line.contains("EXCEPTION vector="))
        .unwrap_or_else(|| panic!("no EXCEPTION line in the kernel log:\n{log}"));
    // The page fault on the guard cannot push its frame, so it becomes a double fault, which
    // runs on its own stack.
    assert_eq!(field(line, "vector"), "8", "{line}");
    assert!(line.contains("in kernel mode"), "{line}");
}
