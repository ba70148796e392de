//! The Linux kernel the benchmarks compare against: Debian's `linux-image-amd64`, installed with
//! apt-get if missing, its uncompressed `vmlinux` extracted once and cached under `target/`.
//!
//! Debian ships an XZ-compressed bzImage; under TCG about 5 s of every boot would go to
//! decompressing it. The payload is one XZ stream inside the image: find its magic and let
//! `xz --single-stream` decompress from there (it stops at the stream's end and ignores the
//! trailer that follows). The resulting ELF carries a PVH note, so QEMU boots it with `-kernel`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Result, XtaskError};
use crate::prerequisites::{install_debian_packages, program_exists};
use crate::workspace::Workspace;

/// The magic bytes that start an XZ stream.
pub const XZ_MAGIC: &[u8; 6] = b"\xfd7zXZ\x00";
/// Where Debian installs its kernels.
const BOOT_DIRECTORY: &str = "/boot";
/// The Debian package that pulls in the current kernel image.
const KERNEL_PACKAGE: &str = "linux-image-amd64";

/// A Linux kernel ready to boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxKernel {
    /// The release, e.g. `6.1.0-41-amd64`.
    pub release: String,
    /// The uncompressed ELF.
    pub vmlinux: PathBuf,
}

/// The offset of the first XZ stream in a compressed kernel image.
pub fn xz_stream_offset(image: &[u8]) -> Option<usize> {
    image
        .windows(XZ_MAGIC.len())
        .position(|window| window == XZ_MAGIC)
}

/// The newest `vmlinuz-RELEASE` among `names`, compared by the release's numeric parts.
pub fn newest_kernel_release<'a>(names: impl Iterator<Item = &'a str>) -> Option<String> {
    let numeric_parts = |release: &str| -> Vec<u64> {
        release
            .split(|character: char| !character.is_ascii_digit())
            .filter_map(|part| part.parse().ok())
            .collect()
    };
    names
        .filter_map(|name| name.strip_prefix("vmlinuz-"))
        .max_by(|left, right| numeric_parts(left).cmp(&numeric_parts(right)))
        .map(str::to_string)
}

/// Makes sure a Debian kernel is installed and its `vmlinux` extracted into `target/bench/`.
///
/// # Errors
/// Fails if the kernel cannot be installed or its image cannot be decompressed.
pub fn ensure_linux_kernel(workspace: &Workspace) -> Result<LinuxKernel> {
    let release = match installed_release() {
        Some(release) => release,
        None => {
            install_debian_packages(&[KERNEL_PACKAGE], "a Linux kernel to compare against")?;
            installed_release().ok_or_else(|| {
                XtaskError::new(format!(
                    "{KERNEL_PACKAGE} was installed but {BOOT_DIRECTORY} has no vmlinuz-*"
                ))
            })?
        }
    };
    let vmlinux = workspace
        .target_directory()
        .join("bench")
        .join(format!("vmlinux-{release}"));
    if !vmlinux.is_file() {
        if !program_exists("xz") {
            install_debian_packages(&["xz-utils"], "xz, to decompress the Linux kernel")?;
        }
        let image = Path::new(BOOT_DIRECTORY).join(format!("vmlinuz-{release}"));
        eprintln!(
            "xtask: extracting {} into {} (once)",
            image.display(),
            vmlinux.display()
        );
        extract_vmlinux(&image, &vmlinux)?;
    }
    Ok(LinuxKernel { release, vmlinux })
}

fn installed_release() -> Option<String> {
    let listing = std::fs::read_dir(BOOT_DIRECTORY).ok()?;
    let names: Vec<String> = listing
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    newest_kernel_release(names.iter().map(String::as_str))
}

fn extract_vmlinux(image_path: &Path, vmlinux: &Path) -> Result<()> {
    let image =
        std::fs::read(image_path).map_err(|error| XtaskError::io("read", image_path, &error))?;
    let offset = xz_stream_offset(&image).ok_or_else(|| {
        XtaskError::new(format!(
            "{} holds no XZ stream; only XZ-compressed kernels (Debian's) are supported",
            image_path.display()
        ))
    })?;
    if let Some(directory) = vmlinux.parent() {
        std::fs::create_dir_all(directory)
            .map_err(|error| XtaskError::io("create", directory, &error))?;
    }
    let mut child = Command::new("xz")
        .args(["--decompress", "--stdout", "--single-stream"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| XtaskError::new(format!("could not run xz: {error}")))?;
    let mut input = child
        .stdin
        .take()
        .ok_or_else(|| XtaskError::new("xz has no standard input"))?;
    let compressed = image[offset..].to_vec();
    let feeder = std::thread::spawn(move || {
        // xz stops reading at the stream's end; the unread trailer is no error.
        let _ = input.write_all(&compressed);
    });
    let output = child
        .wait_with_output()
        .map_err(|error| XtaskError::new(format!("could not run xz: {error}")))?;
    let _ = feeder.join();
    if !output.status.success() || !output.stdout.starts_with(b"\x7fELF") {
        return Err(XtaskError::new(format!(
            "decompressing {} from offset {offset} did not give an ELF kernel ({}): {}",
            image_path.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    let partial = vmlinux.with_extension("partial");
    std::fs::write(&partial, &output.stdout)
        .map_err(|error| XtaskError::io("write", &partial, &error))?;
    std::fs::rename(&partial, vmlinux).map_err(|error| XtaskError::io("rename", &partial, &error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_xz_stream() {
        let mut image = vec![0_u8; 1000];
        image[10..16].copy_from_slice(b"\xfd7zXZ\x01"); // not a stream: the last byte differs
        image[600..606].copy_from_slice(XZ_MAGIC);
        image[800..806].copy_from_slice(XZ_MAGIC);
        assert_eq!(xz_stream_offset(&image), Some(600));
        assert_eq!(xz_stream_offset(&image[..605]), None);
        assert_eq!(xz_stream_offset(XZ_MAGIC), Some(0));
    }

    #[test]
    fn picks_the_newest_release_numerically() {
        let names = [
            "config-6.1.0-9-amd64",
            "vmlinuz-6.1.0-9-amd64",
            "vmlinuz-6.1.0-41-amd64",
            "System.map-6.1.0-41-amd64",
        ];
        assert_eq!(
            newest_kernel_release(names.into_iter()).as_deref(),
            Some("6.1.0-41-amd64")
        );
        assert_eq!(newest_kernel_release(["initrd.img"].into_iter()), None);
    }

    #[test]
    fn extracts_an_elf_from_a_real_xz_stream_after_a_header() {
        if !program_exists("xz") {
            // `cargo xtask bench` installs xz-utils itself; say so rather than pass in silence.
            eprintln!("SKIPPED: xz is not installed, so the extraction itself is not exercised");
            return;
        }
        let directory = std::env::temp_dir().join(format!("xtask-vmlinux-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let payload = b"\x7fELF and the rest of a kernel".repeat(100);
        let compressed = Command::new("xz")
            .args(["--compress", "--stdout", "--format=xz"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                child.stdin.take().unwrap().write_all(&payload)?;
                child.wait_with_output()
            })
            .unwrap()
            .stdout;
        let mut image = b"MZ a setup header".to_vec();
        image.extend_from_slice(&compressed);
        image.extend_from_slice(b"trailer after the stream");
        let image_path = directory.join("vmlinuz-test");
        std::fs::write(&image_path, &image).unwrap();
        let vmlinux = directory.join("vmlinux-test");
        extract_vmlinux(&image_path, &vmlinux).unwrap();
        assert_eq!(std::fs::read(&vmlinux).unwrap(), payload);
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
