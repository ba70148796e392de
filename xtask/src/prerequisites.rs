//! Checks (and where it safely can, installs) what a guest build and boot need: the
//! `x86_64-unknown-none` Rust target and `qemu-system-x86_64`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::error::{Result, XtaskError};
use crate::guest_build::GUEST_TARGET;
use crate::workspace::Workspace;

/// The QEMU executable the boots use.
pub const QEMU: &str = "qemu-system-x86_64";

/// Makes sure the guest target and QEMU are installed; checks once per process.
///
/// # Errors
/// Fails, saying exactly what to run, if something is missing and cannot be installed here.
pub fn ensure_guest_prerequisites(workspace: &Workspace) -> Result<()> {
    static CHECKED: OnceLock<Result<()>> = OnceLock::new();
    CHECKED
        .get_or_init(|| {
            ensure_guest_target(workspace)?;
            ensure_qemu()
        })
        .clone()
}

/// Makes sure the toolchain can build for `x86_64-unknown-none`, adding the target with rustup if
/// it is missing.
///
/// # Errors
/// Fails if the target is missing and rustup is absent or cannot add it.
pub fn ensure_guest_target(workspace: &Workspace) -> Result<()> {
    ensure_rust_target(workspace, GUEST_TARGET)
}

/// Makes sure the toolchain can build for `target`, adding it with rustup if it is missing.
///
/// # Errors
/// Fails if the target is missing and rustup is absent or cannot add it.
pub fn ensure_rust_target(workspace: &Workspace, target: &str) -> Result<()> {
    let listing = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(workspace.root())
        .stderr(Stdio::inherit())
        .output();
    let listing = match listing {
        Ok(listing) if listing.status.success() => listing,
        Ok(_) | Err(_) => return target_without_rustup(workspace, target),
    };
    let installed = String::from_utf8_lossy(&listing.stdout);
    if installed.lines().any(|line| line.trim() == target) {
        return Ok(());
    }
    eprintln!("xtask: the Rust target {target} is missing; running `rustup target add {target}`");
    let status = Command::new("rustup")
        .args(["target", "add", target])
        .current_dir(workspace.root())
        .status()
        .map_err(|error| XtaskError::new(format!("could not run rustup: {error}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(XtaskError::new(format!(
            "`rustup target add {target}` failed ({status}); fix the error above and run it again"
        )))
    }
}

/// Without rustup, the target is usable only if the toolchain already ships its standard library.
fn target_without_rustup(workspace: &Workspace, target: &str) -> Result<()> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .current_dir(workspace.root())
        .output();
    if let Ok(sysroot) = sysroot {
        let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
        if Path::new(&sysroot)
            .join("lib/rustlib")
            .join(target)
            .is_dir()
        {
            return Ok(());
        }
    }
    Err(XtaskError::new(format!(
        "the Rust target {target} is not installed and rustup is not available to add it. \
         Install rustup (https://rustup.rs), then run `rustup target add {target}` in {}",
        workspace.root().display()
    )))
}

/// Makes sure `qemu-system-x86_64` is on `PATH`, installing Debian's `qemu-system-x86` with
/// apt-get when running as root.
///
/// # Errors
/// Fails with the command to run if QEMU is missing and cannot be installed here.
pub fn ensure_qemu() -> Result<()> {
    if qemu_is_installed() {
        return Ok(());
    }
    install_debian_packages(&["qemu-system-x86"], QEMU)?;
    if qemu_is_installed() {
        Ok(())
    } else {
        Err(XtaskError::new(format!(
            "qemu-system-x86 was installed but {QEMU} is still not on PATH; add its directory to PATH"
        )))
    }
}

fn qemu_is_installed() -> bool {
    Command::new(QEMU)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Installs Debian packages with apt-get (`update`, then `install -y`) when running as root.
///
/// # Errors
/// Fails with the command to run if not root, without apt-get, or if apt-get fails.
pub fn install_debian_packages(packages: &[&str], what: &str) -> Result<()> {
    let install_command = format!(
        "apt-get update && apt-get install -y {}",
        packages.join(" ")
    );
    if !running_as_root() || !program_exists("apt-get") {
        return Err(XtaskError::new(format!(
            "{what} is missing. Install it, e.g. `sudo sh -c '{install_command}'` on Debian or \
             Ubuntu, then run this command again"
        )));
    }
    let mut install = vec!["install", "-y"];
    install.extend_from_slice(packages);
    for arguments in [&["update"][..], &install[..]] {
        eprintln!(
            "xtask: {what} is missing; running `apt-get {}`",
            arguments.join(" ")
        );
        let status = Command::new("apt-get")
            .args(arguments)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .status()
            .map_err(|error| XtaskError::new(format!("could not run apt-get: {error}")))?;
        if !status.success() {
            return Err(XtaskError::new(format!(
                "`apt-get {}` failed ({status}); fix the error above, run `{install_command}`, then \
                 run this command again",
                arguments.join(" ")
            )));
        }
    }
    Ok(())
}

/// Whether `program` is an executable file in a `PATH` directory.
pub fn program_exists(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|directory| directory.join(program).is_file())
    })
}

/// Whether this process's effective user is root, from `/proc/self/status`.
fn running_as_root() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|effective| effective == "0")
}
