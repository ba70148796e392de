//! `cargo xtask`: build the guest, boot it under QEMU, run programs in it, and run every test.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use xtask::bench_command::{BenchOptions, run_bench_command};
use xtask::boot::{BootOutcome, CapturedBoot, boot_captured, boot_interactive};
use xtask::coverage_command::{CoverageSource, run_coverage_command};
use xtask::guest_build::{BuildOptions, CargoOutput, GuestImage, build_guest};
use xtask::kernel_command_line::kernel_command_line;
use xtask::test_command::{TestOptions, run_test_command};
use xtask::{Accelerator, Machine, MachineOptions, Result, Workspace, XtaskError};

/// The exit status of `run` when the guest did not finish in time (as `timeout(1)` uses).
const TIMEOUT_EXIT_STATUS: u8 = 124;
/// The exit status of `run` when the guest crashed instead of reporting a status.
const CRASH_EXIT_STATUS: u8 = 125;
/// The time limit of `run` and `test` when `--timeout` is not given.
const DEFAULT_TIMEOUT_SECONDS: u64 = 60;
/// `run`'s default: long enough for `/bin/posix-tests`, every conformance program in one boot
/// (one to five minutes here, depending on the host), on a machine twice as slow.
const RUN_TIMEOUT_SECONDS: u64 = 900;
/// The time limit of one `bench` boot when `--timeout` is not given.
const BENCH_TIMEOUT_SECONDS: u64 = 300;

/// Build, boot and test the exokernel and its library OS.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the kernel, the programs in apps/ and target/initramfs.cpio (release profile).
    Build {
        #[command(flatten)]
        common: CommonOptions,
    },
    /// Build, then boot interactively to the shell (`/bin/sh`, unless the words name a command
    /// after `--`): the console and kernel log on this terminal (Ctrl-A X quits; the log is also
    /// kept in target/qemu-kernel.log).
    Qemu {
        #[command(flatten)]
        common: CommonOptions,
        /// Extra kernel command-line words.
        #[arg(last = true)]
        kernel_arguments: Vec<String>,
    },
    /// Build, boot, run CMD ARGS… in the guest; print its console output and exit with its status
    /// (124 if it timed out, 125 if it crashed).
    Run {
        #[command(flatten)]
        common: CommonOptions,
        /// Extra kernel command-line words, placed before `-- CMD ARGS…`.
        #[arg(long = "kernel-args", value_name = "WORDS")]
        kernel_arguments: Option<String>,
        /// The program to run and its arguments.
        #[arg(last = true, required = true, value_name = "CMD ARGS")]
        program: Vec<OsString>,
    },
    /// Run host tests, the kernel's tests, the guest test programs and the system tests; the last
    /// line is `N passed, M failed`.
    Test {
        #[command(flatten)]
        common: CommonOptions,
        /// Extra kernel command-line words for the kernel-test boot.
        #[arg(long = "kernel-args", value_name = "WORDS")]
        kernel_arguments: Option<String>,
    },
    /// Rebuild docs/posix-coverage.md, the POSIX coverage matrix, from the interfaces each check
    /// names (`covers=`): by default from a fresh run of the guest test programs, or with
    /// --from-last-run from target/test-results.json, which every `cargo xtask test` writes.
    Coverage {
        #[command(flatten)]
        common: CommonOptions,
        /// Use the results of the last `cargo xtask test` instead of booting the guest.
        #[arg(long = "from-last-run")]
        from_last_run: bool,
    },
    /// Boot this system and Linux alternately under the same QEMU, run the benchmark program
    /// (apps/bench) on each, print medians, ranges, Linux/this ratios and targets, and update the
    /// generated section of docs/performance.md and its chart. Installs the musl target and a Debian Linux
    /// kernel if they are missing.
    Bench {
        #[command(flatten)]
        common: CommonOptions,
        /// Boots of each system (alternating).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
        repetitions: u64,
        /// Only these operations (comma-separated names, e.g. `spawn,ipc_round_trip`).
        #[arg(long, value_delimiter = ',', value_name = "NAME,…")]
        only: Vec<String>,
        /// Also write the results as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// For development: one round of a fifth of the iterations per operation and boot.
        #[arg(long)]
        quick: bool,
        /// Convert cycles at this TSC rate (kHz) instead of the host's reported one.
        #[arg(long = "tsc-khz", value_name = "KHZ")]
        tsc_khz: Option<u64>,
        /// Do not update docs/performance.md (--quick and --only never do).
        #[arg(long = "no-docs")]
        no_docs: bool,
    },
    /// Build a hybrid BIOS/UEFI Limine ISO (target/exokernel.iso) from a Limine binary release
    /// named by --limine-dir or LIMINE_DIR; boot it with `qemu-system-x86_64 -M q35 -cdrom …`.
    Iso {
        #[command(flatten)]
        common: CommonOptions,
        /// A Limine binary release directory (for example a checkout of Limine's v8.x-binary
        /// branch); defaults to $LIMINE_DIR.
        #[arg(long = "limine-dir", value_name = "DIR")]
        limine_directory: Option<PathBuf>,
        /// Where to write the image.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Kernel command-line words baked into limine.conf (e.g. `-- /bin/exo-selftest`).
        #[arg(last = true)]
        kernel_arguments: Vec<String>,
    },
}

/// Options shared by build, qemu, run and test.
#[derive(Debug, Args)]
struct CommonOptions {
    /// QEMU accelerator; kvm only with real hardware virtualisation (kvm_intel or kvm_amd).
    #[arg(long = "accel", value_enum, default_value_t = Accelerator::Tcg)]
    accelerator: Accelerator,
    /// QEMU machine model.
    #[arg(long, value_enum, default_value_t = Machine::Microvm)]
    machine: Machine,
    /// Guest memory size, in QEMU's -m syntax.
    #[arg(long, default_value = "512M")]
    memory: String,
    /// Number of virtual processors.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    cpus: u32,
    /// Kill a guest still running after this many seconds (default 900 for run, 60 for each
    /// guest of test; none for qemu).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Add this directory's contents (paths, modes, symbolic links) to the initramfs.
    #[arg(long, value_name = "DIR")]
    overlay: Option<PathBuf>,
    /// Show compiler progress, every console line and the kernel log.
    #[arg(long)]
    verbose: bool,
}

impl CommonOptions {
    fn machine_options(&self) -> Result<MachineOptions> {
        self.accelerator.check_available()?;
        Ok(MachineOptions {
            accelerator: self.accelerator,
            machine: self.machine,
            memory: self.memory.clone(),
            cpus: self.cpus,
        })
    }

    fn timeout_or_default(&self) -> Duration {
        Duration::from_secs(self.timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS))
    }

    fn build(&self, workspace: &Workspace, quiet: bool) -> Result<GuestImage> {
        let cargo_output = if quiet && !self.verbose {
            CargoOutput::Quiet
        } else {
            CargoOutput::Normal
        };
        let options = BuildOptions {
            overlay: self.overlay.clone(),
            cargo_output,
        };
        build_guest(workspace, &options)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn execute(command: Command) -> Result<ExitCode> {
    let workspace = Workspace::locate();
    match command {
        Command::Build { common } => {
            common.machine_options()?;
            let image = common.build(&workspace, false)?;
            eprintln!("kernel:    {}", image.kernel.display());
            eprintln!("initramfs: {}", image.initramfs.display());
            for program in &image.programs {
                eprintln!(
                    "program:   {} ({})",
                    program.package,
                    program.executable.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Qemu {
            common,
            kernel_arguments,
        } => {
            let machine = common.machine_options()?;
            let image = common.build(&workspace, false)?;
            let command_line =
                xtask::kernel_command_line::with_default_program(&kernel_arguments, "/bin/sh")?;
            let timeout = common.timeout.map(Duration::from_secs);
            let kernel_log = workspace.run_kernel_log();
            let outcome = boot_interactive(&image, &machine, &command_line, &kernel_log, timeout)?;
            eprintln!("xtask: {}", describe_interactive(&outcome));
            Ok(exit_code_for(&outcome))
        }
        Command::Run {
            common,
            kernel_arguments,
            program,
        } => run(&workspace, &common, kernel_arguments, &program),
        Command::Test {
            common,
            kernel_arguments,
        } => {
            let options = TestOptions {
                machine: common.machine_options()?,
                timeout: common.timeout_or_default(),
                overlay: common.overlay.clone(),
                verbose: common.verbose,
                kernel_arguments: kernel_arguments.into_iter().collect(),
            };
            let tally = run_test_command(&workspace, &options);
            Ok(if tally.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Coverage {
            common,
            from_last_run,
        } => {
            let source = if from_last_run {
                CoverageSource::LastTestRun
            } else {
                CoverageSource::FreshRun(TestOptions {
                    machine: common.machine_options()?,
                    timeout: common.timeout_or_default(),
                    overlay: common.overlay.clone(),
                    verbose: common.verbose,
                    kernel_arguments: Vec::new(),
                })
            };
            run_coverage_command(&workspace, &source)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            common,
            repetitions,
            only,
            json,
            quick,
            tsc_khz,
            no_docs,
        } => {
            let options = BenchOptions {
                machine: common.machine_options()?,
                repetitions: usize::try_from(repetitions).unwrap_or(usize::MAX),
                only,
                quick,
                json,
                tsc_khz,
                skip_documentation: no_docs,
                timeout: Duration::from_secs(common.timeout.unwrap_or(BENCH_TIMEOUT_SECONDS)),
                verbose: common.verbose,
            };
            run_bench_command(&workspace, &options)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Iso {
            common,
            limine_directory,
            output,
            kernel_arguments,
        } => {
            let limine_directory = match limine_directory {
                Some(directory) => directory,
                None => xtask::iso::limine_directory_from_environment()
                    .map_err(|error| XtaskError::new(error.to_string()))?,
            };
            let image = common.build(&workspace, false)?;
            let command_line = kernel_command_line(&kernel_arguments, &[])?;
            let output = output.unwrap_or_else(|| workspace.root().join("target/exokernel.iso"));
            xtask::iso::build_iso(
                workspace.root(),
                &image.kernel,
                &image.initramfs,
                &limine_directory,
                &command_line,
                &output,
            )
            .map_err(|error| XtaskError::new(error.to_string()))?;
            eprintln!("iso: {}", output.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run(
    workspace: &Workspace,
    common: &CommonOptions,
    kernel_arguments: Option<String>,
    program: &[OsString],
) -> Result<ExitCode> {
    let machine = common.machine_options()?;
    let command_line = kernel_command_line(&Vec::from_iter(kernel_arguments), program)?;
    let image = common.build(workspace, true)?;
    let boot = CapturedBoot {
        image: &image,
        machine: &machine,
        command_line: &command_line,
        kernel_log: workspace.run_kernel_log(),
        echo_kernel_log: common.verbose,
        timeout: Duration::from_secs(common.timeout.unwrap_or(RUN_TIMEOUT_SECONDS)),
        console_input: Vec::new(),
        console_replies: Vec::new(),
    };
    let mut stdout = std::io::stdout().lock();
    let outcome = boot_captured(&boot, &mut |bytes| {
        let _ = stdout.write_all(bytes);
        let _ = stdout.flush();
    })?;
    if outcome.is_crash() {
        eprintln!(
            "xtask: {} (kernel log: {})",
            outcome.describe(),
            workspace.run_kernel_log().display()
        );
    }
    Ok(exit_code_for(&outcome))
}

fn exit_code_for(outcome: &BootOutcome) -> ExitCode {
    match outcome {
        BootOutcome::Exited(status) => ExitCode::from(*status),
        BootOutcome::TimedOut(_) => ExitCode::from(TIMEOUT_EXIT_STATUS),
        BootOutcome::Reset | BootOutcome::Abnormal(_) => ExitCode::from(CRASH_EXIT_STATUS),
    }
}

fn describe_interactive(outcome: &BootOutcome) -> String {
    match outcome {
        BootOutcome::Reset => {
            "QEMU exited with status 0: you quit it, or the guest reset or triple-faulted"
                .to_string()
        }
        other => other.describe(),
    }
}
