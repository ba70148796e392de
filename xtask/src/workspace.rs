//! Where things live in the repository: the workspace root, the target directories and the image files.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo workspace this build tool belongs to, and the paths derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// The workspace that contains this crate (`xtask/` is one level below the root).
    pub fn locate() -> Self {
        let manifest_directory = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = manifest_directory
            .parent()
            .unwrap_or(manifest_directory)
            .to_path_buf();
        Self { root }
    }

    /// A workspace rooted at `root` (used by host tests).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The repository root, which holds the workspace `Cargo.toml`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The shared `target/` directory.
    pub fn target_directory(&self) -> PathBuf {
        self.root.join("target")
    }

    /// The cargo target directory of the kernel build (kept apart: it has its own rustflags).
    pub fn kernel_target_directory(&self) -> PathBuf {
        self.target_directory().join("kernel")
    }

    /// The cargo target directory of the user-program build.
    pub fn user_target_directory(&self) -> PathBuf {
        self.target_directory().join("user")
    }

    /// The kernel ELF produced by the guest build.
    pub fn kernel_executable(&self) -> PathBuf {
        self.kernel_target_directory()
            .join(crate::guest_build::GUEST_TARGET)
            .join("release")
            .join(crate::guest_build::KERNEL_PACKAGE)
    }

    /// The initial RAM file system handed to the kernel.
    pub fn initramfs(&self) -> PathBuf {
        self.target_directory().join("initramfs.cpio")
    }

    /// Where `cargo xtask run` writes the kernel log (COM2).
    pub fn run_kernel_log(&self) -> PathBuf {
        self.target_directory().join("qemu-kernel.log")
    }

    /// The directory of kernel logs written by test boots, one file per boot.
    pub fn test_log_directory(&self) -> PathBuf {
        self.target_directory().join("test-logs")
    }

    /// The machine-readable results of the last `cargo xtask test`, one record per check.
    pub fn test_results_file(&self) -> PathBuf {
        self.target_directory().join("test-results.json")
    }

    /// The generated POSIX coverage matrix.
    pub fn posix_coverage_document(&self) -> PathBuf {
        self.root.join("docs").join("posix-coverage.md")
    }

    /// The directory holding one directory per user program.
    pub fn apps_directory(&self) -> PathBuf {
        self.root.join("apps")
    }

    /// A `cargo` command run in the workspace root (the same cargo that runs us, when known).
    pub fn cargo(&self) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
        let mut command = Command::new(cargo);
        command.current_dir(&self.root);
        command
    }
}
