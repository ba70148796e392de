//! The QEMU accelerator choice, and the check that KVM is real hardware virtualisation.

use std::path::Path;

use crate::error::{Result, XtaskError};

/// How QEMU executes the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Accelerator {
    /// QEMU's portable binary translator: slower, but behaves the same everywhere.
    #[default]
    Tcg,
    /// Hardware virtualisation through /dev/kvm (only with the kvm_intel or kvm_amd module).
    Kvm,
}

impl Accelerator {
    /// The name QEMU's `-accel` option takes.
    pub fn qemu_name(self) -> &'static str {
        match self {
            Self::Tcg => "tcg",
            Self::Kvm => "kvm",
        }
    }

    /// Checks that this accelerator works on this host.
    ///
    /// # Errors
    /// For KVM, fails unless `/dev/kvm` exists and a hardware KVM module (`kvm_intel` or
    /// `kvm_amd`) is loaded: a software KVM such as `kvm_pvm` does not deliver `syscall` from
    /// ring 3, so the guest would triple-fault.
    pub fn check_available(self) -> Result<()> {
        match self {
            Self::Tcg => Ok(()),
            Self::Kvm => check_hardware_kvm(Path::new("/")),
        }
    }
}

fn check_hardware_kvm(root: &Path) -> Result<()> {
    if !root.join("dev/kvm").exists() {
        return Err(XtaskError::new(
            "--accel kvm needs /dev/kvm, which this host does not have; use --accel tcg \
             (the default), or load kvm_intel/kvm_amd on a machine with hardware virtualisation",
        ));
    }
    let modules = root.join("sys/module");
    if modules.join("kvm_intel").exists() || modules.join("kvm_amd").exists() {
        return Ok(());
    }
    Err(XtaskError::new(
        "--accel kvm refused: /dev/kvm exists but neither the kvm_intel nor the kvm_amd module is \
         loaded, so it is a software virtualiser (such as kvm_pvm) under which `syscall` from user \
         mode does not reach the kernel and the guest crashes; use --accel tcg (the default)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_root(name: &str, paths: &[&str]) -> std::path::PathBuf {
        let root = std::env::temp_dir().join(format!("xtask-kvm-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for path in paths {
            std::fs::create_dir_all(root.join(path)).unwrap();
        }
        root
    }

    #[test]
    fn kvm_needs_device_and_hardware_module() {
        let missing = fake_root("missing", &["sys/module/kvm_intel"]);
        assert!(check_hardware_kvm(&missing).is_err());
        let software = fake_root("software", &["dev/kvm", "sys/module/kvm_pvm"]);
        let error = check_hardware_kvm(&software).unwrap_err();
        assert!(error.message().contains("software virtualiser"), "{error}");
        let hardware = fake_root("hardware", &["dev/kvm", "sys/module/kvm_amd"]);
        assert!(check_hardware_kvm(&hardware).is_ok());
        for root in [missing, software, hardware] {
            std::fs::remove_dir_all(root).unwrap();
        }
    }

    #[test]
    fn tcg_is_always_available() {
        assert!(Accelerator::Tcg.check_available().is_ok());
    }
}
