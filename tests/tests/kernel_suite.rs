//! The kernel boots on each supported machine model and its built-in test suite passes.

use system_tests::{NORMAL_TIMEOUT, boot_kernel};
use xtask::{BootOutcome, Machine};

fn assert_kernel_suite_passes(name: &str, machine: Machine) {
    let boot = boot_kernel(name, machine, "test", NORMAL_TIMEOUT);
    let tally = &boot.run.tally;
    assert!(
        tally.is_success(),
        "the kernel suite failed on {machine:?}: {:?}",
        tally.failures
    );
    assert!(
        tally.passed > 0,
        "the kernel reported no tests on {machine:?}"
    );
    assert_eq!(boot.run.outcome, BootOutcome::Exited(0));
}

#[test]
fn kernel_suite_passes_on_microvm() {
    assert_kernel_suite_passes("microvm", Machine::Microvm);
}

#[test]
fn kernel_suite_passes_on_q35() {
    assert_kernel_suite_passes("q35", Machine::Q35);
}
