//! Builds the guest: the kernel ELF, the user programs in `apps/`, and the initramfs holding them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Result, XtaskError};
use crate::initramfs::Initramfs;
use crate::manifest;
use crate::prerequisites;
use crate::workspace::Workspace;

/// The Rust target of everything that runs in the guest.
pub const GUEST_TARGET: &str = "x86_64-unknown-none";
/// The package (and binary) name of the kernel.
pub const KERNEL_PACKAGE: &str = "exokernel";
/// Kernel rustflags, `\x1f`-separated as `CARGO_ENCODED_RUSTFLAGS` wants them.
pub const KERNEL_RUSTFLAGS: &str = "-Ccode-model=kernel\x1f-Crelocation-model=static";
/// User-program rustflags. The target has no SSE registers (soft float), so the `chacha20`
/// crate behind the LibOS's random generator is told to use its portable backend rather than
/// its SSE2/AVX2 ones, which LLVM cannot compile for it.
pub const USER_RUSTFLAGS: &str = "-Crelocation-model=static\x1f--cfg\x1fchacha20_backend=\"soft\"";

/// How much of cargo's output a guest build shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CargoOutput {
    /// Progress, warnings and errors.
    #[default]
    Normal,
    /// Warnings and errors only (`cargo --quiet`).
    Quiet,
    /// Nothing, unless the build fails: then the error carries cargo's output (for system tests,
    /// which build once per test binary and would repeat every warning).
    Silent,
}

/// What to build beyond the fixed parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// A host directory whose contents are added to the initramfs.
    pub overlay: Option<PathBuf>,
    /// How much of cargo's output to show.
    pub cargo_output: CargoOutput,
}

/// A user program built from `apps/<directory>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserProgram {
    /// The package name, which is also the binary name.
    pub package: String,
    /// The built ELF on the host.
    pub executable: PathBuf,
}

/// The files a boot needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestImage {
    /// The kernel ELF, booted with `-kernel` (it carries a PVH note).
    pub kernel: PathBuf,
    /// The cpio `newc` archive passed with `-initrd`.
    pub initramfs: PathBuf,
    /// The user programs inside the initramfs.
    pub programs: Vec<UserProgram>,
}

/// Builds the kernel, the user programs and the initramfs (release profile).
///
/// # Errors
/// Fails if a prerequisite is missing, cargo fails, or the initramfs cannot be written.
pub fn build_guest(workspace: &Workspace, options: &BuildOptions) -> Result<GuestImage> {
    prerequisites::ensure_guest_prerequisites(workspace)?;
    build_kernel(workspace, options)?;
    let programs = build_user_programs(workspace, options)?;
    let mut initramfs = Initramfs::skeleton();
    for program in &programs {
        initramfs.add_program(&program.package, &program.executable)?;
        let names = program_names(workspace, &program.package)?;
        initramfs.add_program_links(&program.package, &names)?;
    }
    if let Some(overlay) = &options.overlay {
        initramfs.add_overlay(overlay)?;
    }
    initramfs.write_to(&workspace.initramfs())?;
    Ok(GuestImage {
        kernel: workspace.kernel_executable(),
        initramfs: workspace.initramfs(),
        programs,
    })
}

fn build_kernel(workspace: &Workspace, options: &BuildOptions) -> Result<()> {
    let mut command = guest_cargo_build(
        workspace,
        &workspace.kernel_target_directory(),
        KERNEL_RUSTFLAGS,
        options.cargo_output,
    );
    command.args(["--package", KERNEL_PACKAGE]);
    run_cargo(command, "the kernel", options.cargo_output)?;
    let kernel = workspace.kernel_executable();
    if kernel.is_file() {
        Ok(())
    } else {
        Err(XtaskError::new(format!(
            "cargo built the kernel but {} does not exist; does package `{KERNEL_PACKAGE}` still \
             have a binary named `{KERNEL_PACKAGE}`?",
            kernel.display()
        )))
    }
}

/// The other names of a multi-call program: `apps/<package>/initramfs-names` lists them, one a
/// line (blank lines and `#` comments skipped); each becomes `/bin/<name>`, a hard link to the
/// program. None when the file does not exist.
///
/// # Errors
/// Fails if the file exists but cannot be read.
pub fn program_names(workspace: &Workspace, package: &str) -> Result<Vec<String>> {
    let path = workspace
        .apps_directory()
        .join(package)
        .join("initramfs-names");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(&path).map_err(|error| XtaskError::io("read", &path, &error))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// The package names of `apps/*/Cargo.toml`, sorted by directory.
///
/// # Errors
/// Fails if a manifest cannot be read or has no package name.
pub fn user_packages(workspace: &Workspace) -> Result<Vec<String>> {
    let apps = workspace.apps_directory();
    let Ok(listing) = std::fs::read_dir(&apps) else {
        return Ok(Vec::new());
    };
    let mut manifests = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|error| XtaskError::io("list", &apps, &error))?;
        let manifest_path = entry.path().join("Cargo.toml");
        if manifest_path.is_file() {
            manifests.push(manifest_path);
        }
    }
    manifests.sort();
    manifests
        .iter()
        .map(|path| manifest::read_package_name(path))
        .collect()
}

fn build_user_programs(workspace: &Workspace, options: &BuildOptions) -> Result<Vec<UserProgram>> {
    let packages = user_packages(workspace)?;
    if packages.is_empty() {
        return Ok(Vec::new());
    }
    let target_directory = workspace.user_target_directory();
    let mut command = guest_cargo_build(
        workspace,
        &target_directory,
        USER_RUSTFLAGS,
        options.cargo_output,
    );
    for package in &packages {
        command.args(["--package", package]);
    }
    run_cargo(command, "the user programs", options.cargo_output)?;
    let output_directory = target_directory.join(GUEST_TARGET).join("release");
    packages
        .into_iter()
        .map(|package| {
            let executable = output_directory.join(&package);
            if executable.is_file() {
                Ok(UserProgram {
                    package,
                    executable,
                })
            } else {
                Err(XtaskError::new(format!(
                    "cargo built package `{package}` but {} does not exist; each package in apps/ \
                     must have a binary named like the package",
                    executable.display()
                )))
            }
        })
        .collect()
}

/// `cargo build --release --target x86_64-unknown-none` with its own target directory and flags,
/// and none of the caller's RUSTFLAGS.
fn guest_cargo_build(
    workspace: &Workspace,
    target_directory: &Path,
    rustflags: &str,
    output: CargoOutput,
) -> Command {
    let mut command = workspace.cargo();
    command.args(["build", "--release", "--target", GUEST_TARGET]);
    if output != CargoOutput::Normal {
        command.arg("--quiet");
    }
    command
        .env("CARGO_TARGET_DIR", target_directory)
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags)
        .env_remove("RUSTFLAGS");
    command
}

fn run_cargo(mut command: Command, what: &str, output: CargoOutput) -> Result<()> {
    let could_not_run = |error: std::io::Error| {
        XtaskError::new(format!("could not run cargo to build {what}: {error}"))
    };
    if output == CargoOutput::Silent {
        let captured = command.output().map_err(could_not_run)?;
        if captured.status.success() {
            return Ok(());
        }
        return Err(XtaskError::new(format!(
            "building {what} failed ({}); cargo said:\n{}{}",
            captured.status,
            String::from_utf8_lossy(&captured.stdout),
            String::from_utf8_lossy(&captured.stderr)
        )));
    }
    // Standard output is reserved for the guest console (`cargo xtask run`), so cargo's goes to
    // standard error.
    let status = command
        .stdout(std::io::stderr())
        .status()
        .map_err(could_not_run)?;
    if status.success() {
        Ok(())
    } else {
        Err(XtaskError::new(format!(
            "building {what} failed ({status}); see the compiler output above"
        )))
    }
}
