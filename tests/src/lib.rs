//! Host-driven system tests that boot the image (see tests/tests/): builds the guest once per test
//! binary and boots it through the xtask library.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use xtask::boot::read_kernel_log;
use xtask::guest_build::CargoOutput;
use xtask::guest_suites::KERNEL_SUITE;
use xtask::guest_test_run::{GuestTestRun, run_guest_tests};
use xtask::{BuildOptions, CapturedBoot, GuestImage, Machine, MachineOptions, Workspace};

/// The time limit of a boot that is expected to finish (generous: the host may be busy).
pub const NORMAL_TIMEOUT: Duration = Duration::from_secs(60);

/// The guest image, built (release profile) by the first test of the binary that asks for it.
///
/// # Panics
/// Panics with the build error if the guest does not build.
pub fn guest_image() -> &'static GuestImage {
    static IMAGE: OnceLock<Result<GuestImage, String>> = OnceLock::new();
    let built = IMAGE.get_or_init(|| {
        let options = BuildOptions {
            overlay: None,
            cargo_output: CargoOutput::Silent,
        };
        xtask::guest_build::build_guest(&Workspace::locate(), &options)
            .map_err(|error| error.to_string())
    });
    match built {
        Ok(image) => image,
        Err(error) => panic!("the guest image did not build: {error}"),
    }
}

/// What one test boot produced.
#[derive(Debug)]
pub struct KernelBoot {
    /// The outcome and the protocol verdict for the `kernel` suite.
    pub run: GuestTestRun,
    /// The kernel log (COM2) of the boot.
    pub kernel_log: String,
    /// Where the kernel log was written.
    pub kernel_log_path: PathBuf,
}

/// Boots the kernel on `machine` with `command_line`, judging the `kernel` suite. `name` names the
/// boot's log file (`target/test-logs/system-<name>.log`).
///
/// # Panics
/// Panics if QEMU cannot run at all.
pub fn boot_kernel(
    name: &str,
    machine: Machine,
    command_line: &str,
    timeout: Duration,
) -> KernelBoot {
    let image = guest_image();
    let workspace = Workspace::locate();
    let kernel_log_path = workspace
        .test_log_directory()
        .join(format!("system-{name}.log"));
    let machine = MachineOptions {
        machine,
        ..MachineOptions::default()
    };
    let boot = CapturedBoot {
        image,
        machine: &machine,
        command_line,
        kernel_log: kernel_log_path.clone(),
        echo_kernel_log: false,
        timeout,
        console_input: Vec::new(),
        console_replies: Vec::new(),
    };
    let run = run_guest_tests(
        &boot,
        &format!("boot `{command_line}`"),
        &[KERNEL_SUITE],
        &mut |line| {
            println!("console: {}", line.text);
        },
    )
    .unwrap_or_else(|error| panic!("QEMU could not run: {error}"));
    let kernel_log = read_kernel_log(&kernel_log_path);
    println!("{}", run.outcome.describe());
    println!("kernel log ({}):\n{kernel_log}", kernel_log_path.display());
    KernelBoot {
        run,
        kernel_log,
        kernel_log_path,
    }
}

/// What a boot that runs one program produced.
#[derive(Debug)]
pub struct ProgramBoot {
    /// How the boot ended (the guest's exit status is the program's).
    pub outcome: xtask::BootOutcome,
    /// Everything the program printed on the console.
    pub console: String,
}

/// Boots with `-- command` on the kernel command line, as `cargo xtask run` does.
///
/// # Panics
/// Panics if QEMU cannot run at all.
pub fn run_program(name: &str, command: &str) -> ProgramBoot {
    run_program_typing(name, command, b"")
}

/// Like [`run_program`], with `typed` arriving at the console (COM1's input) as the boot starts.
///
/// # Panics
/// Panics if QEMU cannot run at all.
pub fn run_program_typing(name: &str, command: &str, typed: &[u8]) -> ProgramBoot {
    boot_program(name, command, typed.to_vec(), Vec::new())
}

/// Like [`run_program`], typing each entry's bytes once the console has printed its text (after
/// the previous entry's), as a person types after seeing a prompt.
///
/// # Panics
/// Panics if QEMU cannot run at all.
pub fn run_program_conversing(name: &str, command: &str, replies: &[(&str, &[u8])]) -> ProgramBoot {
    let replies = replies
        .iter()
        .map(|(awaited, typed)| ((*awaited).to_owned(), typed.to_vec()))
        .collect();
    boot_program(name, command, Vec::new(), replies)
}

fn boot_program(
    name: &str,
    command: &str,
    typed: Vec<u8>,
    replies: Vec<(String, Vec<u8>)>,
) -> ProgramBoot {
    let image = guest_image();
    let workspace = Workspace::locate();
    let kernel_log = workspace
        .test_log_directory()
        .join(format!("system-{name}.log"));
    let machine = MachineOptions::default();
    let command_line = format!("-- {command}");
    let boot = CapturedBoot {
        image,
        machine: &machine,
        command_line: &command_line,
        kernel_log,
        echo_kernel_log: false,
        timeout: NORMAL_TIMEOUT,
        console_input: typed,
        console_replies: replies,
    };
    let mut console = Vec::new();
    let outcome = xtask::boot::boot_captured(&boot, &mut |bytes| console.extend_from_slice(bytes))
        .unwrap_or_else(|error| panic!("QEMU could not run: {error}"));
    ProgramBoot {
        outcome,
        console: String::from_utf8_lossy(&console).into_owned(),
    }
}
