//! `cargo xtask test`: host tests, the guest build, the kernel's tests, the user suites and the
//! system tests, then one summary whose last line is `N passed, M failed`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::boot::{CapturedBoot, read_kernel_log};
use crate::cargo_test_output::run_cargo_tests;
use crate::coverage_command::{check_coverage_document, current_commit};
use crate::guest_build::{BuildOptions, CargoOutput, GuestImage, build_guest};
use crate::guest_suites::{GUEST_USER_SUITES, KERNEL_SUITE, KERNEL_TEST_WORD};
use crate::guest_test_run::{ConsoleLine, GuestTestRun, run_guest_tests};
use crate::kernel_command_line::kernel_command_line;
use crate::manifest::default_member_packages;
use crate::qemu::MachineOptions;
use crate::test_protocol::{ProtocolLine, TestOutcome};
use crate::test_results_file::{TestResults, write_results};
use crate::test_tally::TestTally;
use crate::workspace::Workspace;

/// The package of the system tests, run last (they boot the image themselves).
pub const SYSTEM_TESTS_PACKAGE: &str = "system-tests";

/// How many kernel-log lines to show when a test boot crashes.
const KERNEL_LOG_TAIL_LINES: usize = 25;

/// Options of `cargo xtask test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOptions {
    /// The virtual hardware of the guest test boots.
    pub machine: MachineOptions,
    /// The time limit of each guest test boot.
    pub timeout: Duration,
    /// A directory added to the initramfs.
    pub overlay: Option<PathBuf>,
    /// Show every console line and the kernel log, not just test results.
    pub verbose: bool,
    /// Extra kernel command-line words for the kernel-test boot.
    pub kernel_arguments: Vec<String>,
}

/// Runs every step and prints progress and the summary; returns the combined tally.
pub fn run_test_command(workspace: &Workspace, options: &TestOptions) -> TestTally {
    let mut tally = TestTally::default();
    // Taken first: the tests run on the tree as it is now.
    let commit = current_commit(workspace.root());

    heading("host tests");
    tally.absorb(host_tests(workspace));

    heading("guest build");
    let build_options = BuildOptions {
        overlay: options.overlay.clone(),
        cargo_output: if options.verbose {
            CargoOutput::Normal
        } else {
            CargoOutput::Quiet
        },
    };
    let guest_tests_ran = match build_guest(workspace, &build_options) {
        Ok(image) => {
            println!(
                "built {} and {}",
                image.kernel.display(),
                image.initramfs.display()
            );
            tally.absorb(guest_suites(workspace, &image, options));
            heading("system tests");
            let mut command = workspace.cargo();
            command.args(["test", "--no-fail-fast", "--package", SYSTEM_TESTS_PACKAGE]);
            tally.absorb(run_cargo_tests(command, SYSTEM_TESTS_PACKAGE));
            true
        }
        Err(error) => {
            println!("error: {error}");
            tally.fail("guest build", error.message());
            tally.fail(
                "guest tests",
                "not run because the guest build failed (kernel tests, user suites, system tests)",
            );
            false
        }
    };

    heading("POSIX coverage matrix");
    let coverage = check_coverage_document(workspace, &tally.records, guest_tests_ran);
    tally.absorb(coverage);
    let results_file = workspace.test_results_file();
    let results = TestResults {
        commit,
        records: tally.records.clone(),
    };
    match write_results(&results_file, &results) {
        Ok(()) => println!(
            "{} results written to {}",
            tally.records.len(),
            results_file.display()
        ),
        Err(error) => tally.fail("test results file", error.message()),
    }

    heading("summary");
    for failure in &tally.failures {
        println!("FAILED {failure}");
    }
    println!("{}", tally.summary_line());
    tally
}

/// Prints a step's heading.
pub fn heading(title: &str) {
    println!("\n==> {title}");
}

/// The kernel's test boot, then one boot per guest user suite (what the coverage matrix is made
/// from).
pub fn guest_suites(workspace: &Workspace, image: &GuestImage, options: &TestOptions) -> TestTally {
    let mut tally = TestTally::default();
    heading("kernel tests");
    tally.absorb(kernel_tests(workspace, image, options));
    for suite in GUEST_USER_SUITES {
        heading(&format!("guest suite {}", suite.command.join(" ")));
        tally.absorb(user_suite(
            workspace,
            image,
            options,
            suite.command,
            suite.suites,
        ));
    }
    tally
}

/// `cargo test` of the workspace's default members except the system tests: the host crates.
fn host_tests(workspace: &Workspace) -> TestTally {
    let packages = match default_member_packages(workspace.root()) {
        Ok(packages) => packages,
        Err(error) => {
            let mut tally = TestTally::default();
            tally.fail("host", error.message());
            return tally;
        }
    };
    let mut command = workspace.cargo();
    command.args(["test", "--no-fail-fast"]);
    for package in packages
        .iter()
        .filter(|package| *package != SYSTEM_TESTS_PACKAGE)
    {
        command.args(["--package", package]);
    }
    run_cargo_tests(command, "host")
}

fn kernel_tests(workspace: &Workspace, image: &GuestImage, options: &TestOptions) -> TestTally {
    let mut words = vec![KERNEL_TEST_WORD.to_string()];
    words.extend(options.kernel_arguments.iter().cloned());
    let command_line = match kernel_command_line(&words, &[]) {
        Ok(command_line) => command_line,
        Err(error) => return single_failure("kernel boot", error.message()),
    };
    let log = workspace.test_log_directory().join("kernel.log");
    guest_boot(image, options, &command_line, &log, &[KERNEL_SUITE])
}

fn user_suite(
    workspace: &Workspace,
    image: &GuestImage,
    options: &TestOptions,
    program: &[&str],
    suites: &[&str],
) -> TestTally {
    let program: Vec<_> = program.iter().map(std::ffi::OsString::from).collect();
    let command_line = match kernel_command_line(&[], &program) {
        Ok(command_line) => command_line,
        Err(error) => return single_failure("guest suite", error.message()),
    };
    let file_name: String = command_line
        .chars()
        .map(|character| {
            if character.is_ascii_alphanumeric() {
                character
            } else {
                '_'
            }
        })
        .collect();
    let log = workspace
        .test_log_directory()
        .join(format!("{file_name}.log"));
    guest_boot(image, options, &command_line, &log, suites)
}

/// One test boot, printing each result as it arrives.
fn guest_boot(
    image: &GuestImage,
    options: &TestOptions,
    command_line: &str,
    log: &Path,
    suites: &[&str],
) -> TestTally {
    let label = format!("boot `{command_line}`");
    println!(
        "booting with kernel command line `{command_line}` (kernel log: {})",
        log.display()
    );
    let boot = CapturedBoot {
        image,
        machine: &options.machine,
        command_line,
        kernel_log: log.to_path_buf(),
        echo_kernel_log: options.verbose,
        timeout: options.timeout,
        console_input: Vec::new(),
        console_replies: Vec::new(),
    };
    let verbose = options.verbose;
    let result = run_guest_tests(&boot, &label, suites, &mut |line| {
        print_console_line(&line, verbose)
    });
    match result {
        Ok(run) => {
            report_boot_end(&run, log);
            run.tally
        }
        Err(error) => single_failure(&label, error.message()),
    }
}

fn print_console_line(line: &ConsoleLine<'_>, verbose: bool) {
    match line.protocol {
        Some(Ok(ProtocolLine::Result {
            suite,
            name,
            outcome,
            ..
        })) => match outcome {
            TestOutcome::Pass => println!("{suite}/{name} ... ok"),
            TestOutcome::Fail(reason) => println!("{suite}/{name} ... FAILED: {reason}"),
        },
        Some(Ok(ProtocolLine::Plan { suite, count })) => println!("{suite}: {count} tests planned"),
        Some(Err(malformed)) => println!(
            "malformed test line `{}`: {}",
            malformed.line, malformed.problem
        ),
        None if verbose => println!("console: {}", line.text),
        None => {}
    }
}

fn report_boot_end(run: &GuestTestRun, log: &Path) {
    println!("{}", run.outcome.describe());
    if !run.outcome.is_crash() {
        return;
    }
    let kernel_log = read_kernel_log(log);
    let lines: Vec<&str> = kernel_log.lines().collect();
    let tail = &lines[lines.len().saturating_sub(KERNEL_LOG_TAIL_LINES)..];
    println!(
        "last {} lines of the kernel log ({}):",
        tail.len(),
        log.display()
    );
    for line in tail {
        println!("  | {line}");
    }
}

fn single_failure(name: &str, reason: &str) -> TestTally {
    let mut tally = TestTally::default();
    tally.fail(name, reason);
    tally
}
