//! `cargo xtask bench`: boots this system and Linux alternately under the same QEMU, runs the
//! benchmark program (`apps/bench`) on each, and reports medians, ranges and ratios of the
//! fastest figures.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::bench_output::{GuestReport, START_MARKER, parse_guest_output};
use crate::bench_plot::ratio_chart;
use crate::bench_report::{
    DOCUMENT_PATH, PLOT_PATH, RunDescription, behind_sentence, counts_table, documentation_section,
    json, markdown_table, phases_table, replace_generated_section, utc_date,
};
use crate::bench_results::{
    CountRow, OperationRow, PhaseRow, combine, combine_counts, combine_phases,
};
use crate::boot::{BootOutcome, CapturedBoot, boot_captured};
use crate::cpio::CpioWriter;
use crate::error::{Result, XtaskError};
use crate::guest_build::{BuildOptions, CargoOutput, GuestImage, build_guest};
use crate::host_tsc::host_tsc_khz;
use crate::kernel_command_line::kernel_command_line;
use crate::linux_kernel::{LinuxKernel, ensure_linux_kernel};
use crate::prerequisites::ensure_rust_target;
use crate::qemu::{ConsoleConnection, MachineOptions, qemu_arguments};
use crate::workspace::Workspace;

/// The Rust target of the Linux build of the benchmark program.
pub const LINUX_TARGET: &str = "x86_64-unknown-linux-musl";
/// The benchmark program's package (and binary) name.
pub const BENCH_PACKAGE: &str = "bench";

/// What `cargo xtask bench` was asked to do.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// The virtual hardware, the same for both systems.
    pub machine: MachineOptions,
    /// Boots of each system.
    pub repetitions: usize,
    /// Only these operations (all when empty).
    pub only: Vec<String>,
    /// One round of a fifth of the iterations per operation and boot, for development.
    pub quick: bool,
    /// Also write the results as JSON here.
    pub json: Option<PathBuf>,
    /// The TSC rate to convert with, instead of the host's reported one.
    pub tsc_khz: Option<u64>,
    /// Leave `docs/performance.md` and its chart alone.
    pub skip_documentation: bool,
    /// The time limit of one boot.
    pub timeout: Duration,
    /// Show compiler output and the kernel logs.
    pub verbose: bool,
}

/// Which system a boot runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum System {
    This,
    Linux,
}

impl System {
    fn name(self) -> &'static str {
        match self {
            Self::This => "this system",
            Self::Linux => "Linux",
        }
    }
}

/// One boot's report and its boot time (QEMU start to the first line of the benchmark program).
struct BootResult {
    report: GuestReport,
    boot_nanoseconds: f64,
}

/// Runs the whole comparison, prints the table, and writes the documentation and JSON.
///
/// # Errors
/// Fails if something cannot be built, installed or booted, or a boot gives no complete report.
pub fn run_bench_command(workspace: &Workspace, options: &BenchOptions) -> Result<()> {
    let tsc_khz = match options.tsc_khz {
        Some(khz) => khz,
        None => host_tsc_khz()?,
    };
    let cargo_output = if options.verbose {
        CargoOutput::Normal
    } else {
        CargoOutput::Quiet
    };
    eprintln!("xtask: building this system and the benchmark program for both systems");
    let this_image = build_guest(
        workspace,
        &BuildOptions {
            overlay: None,
            cargo_output,
        },
    )?;
    let linux_program = build_linux_program(workspace, cargo_output)?;
    let kernel = ensure_linux_kernel(workspace)?;
    let linux_image = GuestImage {
        kernel: kernel.vmlinux.clone(),
        initramfs: write_linux_initramfs(workspace, &linux_program)?,
        programs: Vec::new(),
    };
    let program_words = program_words(options);
    let mut program: Vec<OsString> = vec!["/bin/bench".into()];
    program.extend(program_words.iter().map(OsString::from));
    let this_command_line = kernel_command_line(&[], &program)?;
    let linux_command_line = linux_command_line(tsc_khz, &program_words);

    let description = describe_run(workspace, options, tsc_khz, &kernel, &linux_command_line);
    let mut this_boots = Vec::new();
    let mut linux_boots = Vec::new();
    let total = options.repetitions * 2;
    for repetition in 0..options.repetitions {
        // Alternate which system goes first, so neither always follows the other.
        let order = if repetition.is_multiple_of(2) {
            [System::This, System::Linux]
        } else {
            [System::Linux, System::This]
        };
        for system in order {
            let done = this_boots.len() + linux_boots.len() + 1;
            eprint!("xtask: bench boot {done}/{total}: {} … ", system.name());
            let (image, command_line, boots) = match system {
                System::This => (&this_image, this_command_line.as_str(), &mut this_boots),
                System::Linux => (&linux_image, linux_command_line.as_str(), &mut linux_boots),
            };
            let started = Instant::now();
            let result = boot_once(workspace, options, system, image, command_line)?;
            eprintln!(
                "{:.1} s (first output after {:.0} ms)",
                started.elapsed().as_secs_f64(),
                result.boot_nanoseconds / 1e6
            );
            boots.push(result);
        }
    }
    let reports = |boots: &[BootResult]| -> Vec<GuestReport> {
        boots.iter().map(|boot| boot.report.clone()).collect()
    };
    let boot_times = |boots: &[BootResult]| -> Vec<f64> {
        boots.iter().map(|boot| boot.boot_nanoseconds).collect()
    };
    let rows = combine(
        &reports(&this_boots),
        &reports(&linux_boots),
        tsc_khz,
        &boot_times(&this_boots),
        &boot_times(&linux_boots),
    );
    let phases = combine_phases(&reports(&this_boots), tsc_khz);
    let counts = combine_counts(&reports(&this_boots));
    println!("{}", markdown_table(&rows));
    println!("{}\n", behind_sentence(&rows));
    if !phases.is_empty() {
        println!("{}", phases_table(&phases, &rows));
    }
    if !counts.is_empty() {
        println!("{}", counts_table(&counts));
    }
    write_outputs(workspace, options, &description, &rows, &phases, &counts)
}

fn write_outputs(
    workspace: &Workspace,
    options: &BenchOptions,
    description: &RunDescription,
    rows: &[OperationRow],
    phases: &[PhaseRow],
    counts: &[CountRow],
) -> Result<()> {
    if let Some(path) = &options.json {
        std::fs::write(path, json(description, rows))
            .map_err(|error| XtaskError::io("write", path, &error))?;
        eprintln!("xtask: wrote {}", path.display());
    }
    if options.skip_documentation {
        return Ok(());
    }
    if options.quick || !options.only.is_empty() {
        eprintln!(
            "xtask: {DOCUMENT_PATH} keeps the last full run (--quick and --only runs do not \
             replace it)"
        );
        return Ok(());
    }
    let path = workspace.root().join(DOCUMENT_PATH);
    let document = std::fs::read_to_string(&path).unwrap_or_default();
    let plot_path = workspace.root().join(PLOT_PATH);
    let caption = format!(
        "Linux / this system, fastest figures of {} alternating boots ({}, {})",
        description.repetitions, description.date, description.commit
    );
    if let Some(chart) = ratio_chart(rows, &caption) {
        std::fs::write(&plot_path, chart)
            .map_err(|error| XtaskError::io("write", &plot_path, &error))?;
    }
    let section = documentation_section(description, rows, phases, counts);
    std::fs::write(&path, replace_generated_section(&document, &section))
        .map_err(|error| XtaskError::io("write", &path, &error))?;
    eprintln!("xtask: updated {}", path.display());
    Ok(())
}

/// The benchmark program's arguments: `quick` and the operations to run.
fn program_words(options: &BenchOptions) -> Vec<String> {
    let quick = options.quick.then(|| "quick".to_string());
    quick
        .into_iter()
        .chain(options.only.iter().cloned())
        .collect()
}

/// Linux's command line: its own messages to the second serial port (the kernel-log file), the
/// host's TSC rate (microvm has no timer to calibrate against), power off on panic, and the
/// benchmark program's words as arguments of `/init`.
///
/// `tsc=reliable`: on a loaded host Linux's clocksource watchdog, which checks the TSC against
/// jiffies, sees TCG's uneven progress as skew, marks the TSC unstable and falls back to jiffies
/// — and then `clock_gettime` leaves the vDSO for a system call. Under TCG the guest's TSC is the
/// host's invariant one, so it is reliable indeed.
fn linux_command_line(tsc_khz: u64, program_words: &[String]) -> String {
    let mut words = vec![
        "console=ttyS1".to_string(),
        "quiet".to_string(),
        "panic=-1".to_string(),
        format!("tsc_early_khz={tsc_khz}"),
        "tsc=reliable".to_string(),
    ];
    if !program_words.is_empty() {
        // Words after `--` all go to init.
        words.push("--".to_string());
        words.extend(program_words.iter().cloned());
    }
    words.join(" ")
}

fn boot_once(
    workspace: &Workspace,
    options: &BenchOptions,
    system: System,
    image: &GuestImage,
    command_line: &str,
) -> Result<BootResult> {
    let kernel_log = workspace
        .target_directory()
        .join("bench")
        .join(match system {
            System::This => "exokernel-kernel.log",
            System::Linux => "linux-kernel.log",
        });
    let boot = CapturedBoot {
        image,
        machine: &options.machine,
        command_line,
        kernel_log: kernel_log.clone(),
        echo_kernel_log: options.verbose,
        timeout: options.timeout,
        console_input: Vec::new(),
        console_replies: Vec::new(),
    };
    let mut output = Vec::new();
    let mut first_output = None;
    let started = Instant::now();
    let outcome = boot_captured(&boot, &mut |bytes| {
        output.extend_from_slice(bytes);
        if first_output.is_none() && String::from_utf8_lossy(&output).contains(START_MARKER) {
            first_output = Some(started.elapsed());
        }
        if options.verbose {
            let _ = std::io::stderr().write_all(bytes);
        }
    })?;
    let text = String::from_utf8_lossy(&output).into_owned();
    let expected_ending = match system {
        System::This => outcome == BootOutcome::Exited(0),
        // Linux powers off: QEMU exits with status 0, which reads as a reset.
        System::Linux => outcome == BootOutcome::Reset,
    };
    let report = parse_guest_output(&text).map_err(|error| {
        XtaskError::new(format!(
            "{} boot: {error} ({}); its console said:\n{}\nkernel log: {}",
            system.name(),
            outcome.describe(),
            tail(&text, 2000),
            kernel_log.display()
        ))
    })?;
    if !expected_ending {
        eprint!("(ended oddly: {}) ", outcome.describe());
    }
    if let Some(clocksource) = report.clocksource.as_deref().filter(|&name| name != "tsc") {
        eprint!("(warning: Linux timed with clocksource `{clocksource}`, not `tsc`) ");
    }
    let boot_nanoseconds = first_output.unwrap_or_default().as_secs_f64() * 1e9;
    Ok(BootResult {
        report,
        boot_nanoseconds,
    })
}

fn tail(text: &str, characters: usize) -> &str {
    let start = text.len().saturating_sub(characters);
    let start = (start..=text.len())
        .find(|&index| text.is_char_boundary(index))
        .unwrap_or(text.len());
    &text[start..]
}

/// Builds the benchmark program as a static Linux binary.
fn build_linux_program(workspace: &Workspace, output: CargoOutput) -> Result<PathBuf> {
    ensure_rust_target(workspace, LINUX_TARGET)?;
    let target_directory = workspace.target_directory().join("bench-linux");
    let mut command = workspace.cargo();
    command
        .args(["build", "--release", "--target", LINUX_TARGET])
        .args(["--package", BENCH_PACKAGE])
        .env("CARGO_TARGET_DIR", &target_directory)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .stdout(std::io::stderr());
    if output != CargoOutput::Normal {
        command.arg("--quiet");
    }
    let status = command
        .status()
        .map_err(|error| XtaskError::new(format!("could not run cargo: {error}")))?;
    if !status.success() {
        return Err(XtaskError::new(format!(
            "building the Linux benchmark program failed ({status}); see the compiler output above"
        )));
    }
    Ok(target_directory
        .join(LINUX_TARGET)
        .join("release")
        .join(BENCH_PACKAGE))
}

/// An initramfs holding only `/init`: the static benchmark program.
fn write_linux_initramfs(workspace: &Workspace, program: &Path) -> Result<PathBuf> {
    let contents =
        std::fs::read(program).map_err(|error| XtaskError::io("read", program, &error))?;
    let path = workspace
        .target_directory()
        .join("bench")
        .join("linux-initramfs.cpio");
    if let Some(directory) = path.parent() {
        std::fs::create_dir_all(directory)
            .map_err(|error| XtaskError::io("create", directory, &error))?;
    }
    let mut writer = CpioWriter::new(Vec::new());
    writer
        .file("init", 0o755, &contents)
        .map_err(|error| XtaskError::io("archive", program, &error))?;
    let archive = writer
        .finish()
        .map_err(|error| XtaskError::io("archive", program, &error))?;
    std::fs::write(&path, archive).map_err(|error| XtaskError::io("write", &path, &error))?;
    Ok(path)
}

fn describe_run(
    workspace: &Workspace,
    options: &BenchOptions,
    tsc_khz: u64,
    kernel: &LinuxKernel,
    linux_command_line: &str,
) -> RunDescription {
    let placeholder = GuestImage {
        kernel: PathBuf::from("KERNEL"),
        initramfs: PathBuf::from("INITRAMFS"),
        programs: Vec::new(),
    };
    let arguments = qemu_arguments(
        &placeholder,
        &options.machine,
        "COMMAND-LINE",
        &ConsoleConnection::Pipe,
        Path::new("LOG"),
    );
    let qemu = std::iter::once("qemu-system-x86_64".to_string())
        .chain(
            arguments
                .iter()
                .map(|word| word.to_string_lossy().into_owned()),
        )
        .collect::<Vec<_>>()
        .join(" ");
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    RunDescription {
        date: utc_date(seconds),
        commit: commit(workspace),
        qemu,
        host: host_description(),
        tsc_khz,
        repetitions: options.repetitions,
        linux_kernel: format!(
            "Debian's {} (`vmlinux` extracted, booted with `-kernel`), command line \
             `{linux_command_line}`",
            kernel.release
        ),
    }
}

fn git_output(workspace: &Workspace, arguments: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(arguments)
        .current_dir(workspace.root())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn commit(workspace: &Workspace) -> String {
    let Some(hash) = git_output(workspace, &["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".to_string();
    };
    let dirty = git_output(
        workspace,
        &["status", "--porcelain", "--untracked-files=no"],
    )
    .is_some_and(|status| !status.is_empty());
    if dirty { format!("{hash}-dirty") } else { hash }
}

fn host_description() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or("an unknown CPU", |(_, model)| model.trim())
        .to_string();
    let processors = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    format!("{model}, {processors} processors, a shared VM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_gets_the_tsc_rate_and_the_selected_operations() {
        assert_eq!(
            linux_command_line(2_100_000, &[]),
            "console=ttyS1 quiet panic=-1 tsc_early_khz=2100000 tsc=reliable"
        );
        assert_eq!(
            linux_command_line(1, &["stat".to_string(), "spawn".to_string()]),
            "console=ttyS1 quiet panic=-1 tsc_early_khz=1 tsc=reliable -- stat spawn"
        );
    }

    #[test]
    fn quick_runs_tell_the_program() {
        let options = |quick, only: &[&str]| BenchOptions {
            machine: MachineOptions::default(),
            repetitions: 1,
            only: only.iter().map(|name| name.to_string()).collect(),
            quick,
            json: None,
            tsc_khz: None,
            skip_documentation: true,
            timeout: Duration::from_secs(1),
            verbose: false,
        };
        assert_eq!(program_words(&options(false, &[])), Vec::<String>::new());
        assert_eq!(program_words(&options(true, &["stat"])), ["quick", "stat"]);
    }

    #[test]
    fn tail_keeps_the_end_on_a_character_boundary() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("ab", 10), "ab");
        assert_eq!(tail("aµb", 2), "b");
    }
}
