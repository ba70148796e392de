//! A deliberate kernel fault stops the guest with a failure status, and the kernel log names the
//! exception vector, the error code, CR2 and RIP.

use system_tests::{NORMAL_TIMEOUT, boot_kernel};
use xtask::Machine;

/// Boots with `crash=<kind>` and returns the kernel log's `EXCEPTION` line, after checking the
/// guest did not exit successfully.
fn exception_line(kind: &str) -> String {
    let boot = boot_kernel(
        &format!("crash-{kind}"),
        Machine::Microvm,
        &format!("crash={kind}"),
        NORMAL_TIMEOUT,
    );
    assert!(
        !boot.run.outcome.is_success(),
        "crash={kind} should not end in a successful exit"
    );
    boot.kernel_log
        .lines()
        .find(|line| line.contains("EXCEPTION"))
        .unwrap_or_else(|| {
            panic!(
                "no EXCEPTION line in the kernel log {}",
                boot.kernel_log_path.display()
            )
        })
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
