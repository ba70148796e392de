//! Builds a hybrid BIOS/UEFI ISO that boots the kernel through Limine (from a binary release).
//!
//! No package registry carries Limine, so the user points `LIMINE_DIR` at a binary release (a
//! `vN.x-binary` branch of the Limine repository). The ISO holds:
//!
//! ```text
//! /boot/exokernel                 the kernel ELF
//! /boot/initramfs.cpio            the initramfs, passed as the first module
//! /boot/limine/limine.conf        boot/limine.conf with its fields filled in
//! /boot/limine/limine-bios.sys    Limine's BIOS stage 3
//! /boot/limine/limine-bios-cd.bin the El Torito BIOS boot image
//! /boot/limine/limine-uefi-cd.bin the El Torito UEFI boot image (a FAT image)
//! /EFI/BOOT/BOOTX64.EFI           Limine for UEFI firmware booting the ISO as a disk
//! ```
//!
//! `xorriso` writes the ISO and `limine bios-install` adds the BIOS boot code so the image also
//! boots when written to a disk. The `limine` host tool is taken from `LIMINE_DIR`, or compiled
//! there from the release's `limine.c` with the C compiler into `target/limine/`.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

/// The environment variable naming the Limine binary release.
pub const LIMINE_DIRECTORY_VARIABLE: &str = "LIMINE_DIR";
/// The configuration template, relative to the workspace root.
pub const CONFIG_TEMPLATE: &str = "boot/limine.conf";
/// The files of a Limine binary release that go into the ISO.
pub const LIMINE_BOOT_FILES: [&str; 4] = [
    "limine-bios.sys",
    "limine-bios-cd.bin",
    "limine-uefi-cd.bin",
    "BOOTX64.EFI",
];
/// The prebuilt host tool, if the release directory has one.
pub const LIMINE_HOST_TOOL: &str = "limine";
/// What compiling the host tool needs (the header holds the BIOS boot code it installs).
pub const LIMINE_HOST_TOOL_SOURCES: [&str; 2] = ["limine.c", "limine-bios-hdd.h"];
/// Where the kernel lies inside the ISO.
pub const KERNEL_ISO_PATH: &str = "/boot/exokernel";
/// Where the initramfs lies inside the ISO.
pub const INITRAMFS_ISO_PATH: &str = "/boot/initramfs.cpio";

/// The Limine files' directory inside the ISO, where Limine also finds its configuration.
const LIMINE_ISO_DIRECTORY: &str = "boot/limine";
/// Where UEFI firmware looks for a boot loader on removable media.
const EFI_ISO_DIRECTORY: &str = "EFI/BOOT";
/// How to get a Limine binary release, for the error messages.
const HOW_TO_GET_LIMINE: &str = "get a Limine binary release (tested: 8.2) with \
     `git clone --branch=v8.x-binary --depth=1 https://github.com/limine-bootloader/limine.git \
     /opt/limine` (any `vN.x-binary` branch, or the files of a release), then run again with \
     LIMINE_DIR=/opt/limine";

/// The fields of the configuration template: `{{NAME}}` in the template.
const TEMPLATE_FIELDS: [&str; 3] = ["KERNEL_PATH", "MODULE_PATH", "COMMAND_LINE"];

/// Why the configuration template could not be filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// A `{{` without a matching `}}`.
    UnclosedField,
    /// A `{{NAME}}` this module does not know.
    UnknownField(String),
    /// A field the template never uses (the ISO would silently lose, say, the command line).
    MissingField(&'static str),
    /// A value with a line break, which would end the option and start a new line of config.
    LineBreakInValue(&'static str),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnclosedField => formatter.write_str("a `{{` has no matching `}}`"),
            Self::UnknownField(name) => write!(
                formatter,
                "unknown field {{{{{name}}}}} (known: {})",
                TEMPLATE_FIELDS.join(", ")
            ),
            Self::MissingField(name) => {
                write!(
                    formatter,
                    "the field {{{{{name}}}}} is never used; add it to the template"
                )
            }
            Self::LineBreakInValue(name) => write!(
                formatter,
                "the value of {name} contains a line break, which a Limine option cannot hold"
            ),
        }
    }
}

impl std::error::Error for TemplateError {}

/// Why the ISO could not be built; each message says what to do about it.
#[derive(Debug)]
pub enum IsoError {
    /// `LIMINE_DIR` is not set.
    LimineDirectoryUnset,
    /// `LIMINE_DIR` names something that is not a directory.
    LimineDirectoryNotFound(PathBuf),
    /// The Limine directory lacks files the ISO needs.
    LimineFilesMissing {
        /// The directory searched.
        directory: PathBuf,
        /// The files it lacks.
        missing: Vec<&'static str>,
    },
    /// The configuration template could not be filled in.
    Template {
        /// The template file.
        path: PathBuf,
        /// What is wrong with it or with the values.
        error: TemplateError,
    },
    /// A file or directory operation failed.
    Io {
        /// What was being done, as a verb phrase ("copy the kernel to").
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
    /// A program this needs is not installed.
    ToolNotFound {
        /// The program.
        tool: String,
        /// How to install it.
        install_hint: &'static str,
    },
    /// A program ran and failed.
    ToolFailed {
        /// The command line that was run.
        command: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it printed (standard error, then standard output).
        output: String,
    },
}

impl fmt::Display for IsoError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LimineDirectoryUnset => write!(
                formatter,
                "{LIMINE_DIRECTORY_VARIABLE} is not set: building a Limine ISO needs a Limine \
                 binary release; {HOW_TO_GET_LIMINE}"
            ),
            Self::LimineDirectoryNotFound(directory) => write!(
                formatter,
                "{LIMINE_DIRECTORY_VARIABLE}={} is not a directory; {HOW_TO_GET_LIMINE}",
                directory.display()
            ),
            Self::LimineFilesMissing { directory, missing } => write!(
                formatter,
                "{LIMINE_DIRECTORY_VARIABLE}={} lacks {}: it must hold a Limine binary release \
                 ({}, and either a `{LIMINE_HOST_TOOL}` executable or {} to compile one); \
                 {HOW_TO_GET_LIMINE}",
                directory.display(),
                missing.join(", "),
                LIMINE_BOOT_FILES.join(", "),
                LIMINE_HOST_TOOL_SOURCES.join(" and ")
            ),
            Self::Template { path, error } => {
                write!(
                    formatter,
                    "cannot fill in the Limine configuration {}: {error}",
                    path.display()
                )
            }
            Self::Io {
                action,
                path,
                error,
            } => {
                write!(formatter, "could not {action} {}: {error}", path.display())
            }
            Self::ToolNotFound { tool, install_hint } => {
                write!(formatter, "`{tool}` is not installed; {install_hint}")
            }
            Self::ToolFailed {
                command,
                status,
                output,
            } => {
                write!(formatter, "`{command}` failed ({status})")?;
                if !output.trim().is_empty() {
                    write!(formatter, ":\n{}", output.trim_end())?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for IsoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Template { error, .. } => Some(error),
            Self::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// The values the configuration template is filled in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigValues<'a> {
    /// The kernel's path inside the ISO.
    pub kernel_path: &'a str,
    /// The initramfs's path inside the ISO.
    pub module_path: &'a str,
    /// The kernel command line.
    pub command_line: &'a str,
}

impl ConfigValues<'_> {
    fn value(&self, field: &str) -> Option<(&'static str, &str)> {
        match field {
            "KERNEL_PATH" => Some(("KERNEL_PATH", self.kernel_path)),
            "MODULE_PATH" => Some(("MODULE_PATH", self.module_path)),
            "COMMAND_LINE" => Some(("COMMAND_LINE", self.command_line)),
            _ => None,
        }
    }
}

/// Fills in every `{{FIELD}}` of `template`.
///
/// # Errors
/// [`TemplateError`] when the template has an unknown, unclosed or missing field, or a value
/// holds a line break.
pub fn render_config(template: &str, values: &ConfigValues<'_>) -> Result<String, TemplateError> {
    for field in TEMPLATE_FIELDS {
        let (name, value) = values.value(field).unwrap_or((field, ""));
        if value.contains(['\n', '\r']) {
            return Err(TemplateError::LineBreakInValue(name));
        }
    }
    let mut rendered = String::with_capacity(template.len() + values.command_line.len());
    let mut used = [false; TEMPLATE_FIELDS.len()];
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        rendered.push_str(&rest[..start]);
        let after_open = &rest[start + 2..];
        let end = after_open.find("}}").ok_or(TemplateError::UnclosedField)?;
        let field = after_open[..end].trim();
        let (name, value) = values
            .value(field)
            .ok_or_else(|| TemplateError::UnknownField(field.to_owned()))?;
        if let Some(index) = TEMPLATE_FIELDS.iter().position(|known| *known == name) {
            used[index] = true;
        }
        rendered.push_str(value);
        rest = &after_open[end + 2..];
    }
    rendered.push_str(rest);
    match TEMPLATE_FIELDS.iter().zip(used).find(|(_, used)| !used) {
        Some((field, _)) => Err(TemplateError::MissingField(field)),
        None => Ok(rendered),
    }
}

/// Where the `limine` host tool comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostTool {
    /// A `limine` executable shipped in the release directory.
    Prebuilt(PathBuf),
    /// `limine.c` in the release directory, to be compiled.
    Source(PathBuf),
}

/// The Limine directory from `LIMINE_DIR`.
///
/// # Errors
/// [`IsoError::LimineDirectoryUnset`] when the variable is unset or empty.
pub fn limine_directory_from_environment() -> Result<PathBuf, IsoError> {
    match std::env::var_os(LIMINE_DIRECTORY_VARIABLE) {
        Some(directory) if !directory.is_empty() => Ok(PathBuf::from(directory)),
        _ => Err(IsoError::LimineDirectoryUnset),
    }
}

fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.is_file() && metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        metadata.is_file()
    }
}

/// The files `directory` lacks to be a usable Limine binary release (empty if none).
///
/// The host-tool sources count as missing only when there is no prebuilt `limine` either.
#[must_use]
pub fn missing_limine_files(directory: &Path) -> Vec<&'static str> {
    let mut missing: Vec<&'static str> = LIMINE_BOOT_FILES
        .into_iter()
        .filter(|file| !directory.join(file).is_file())
        .collect();
    if !is_executable(&directory.join(LIMINE_HOST_TOOL)) {
        missing.extend(
            LIMINE_HOST_TOOL_SOURCES
                .into_iter()
                .filter(|file| !directory.join(file).is_file()),
        );
    }
    missing
}

/// Checks that `directory` is a usable Limine binary release; says where the host tool comes from.
///
/// # Errors
/// [`IsoError::LimineDirectoryNotFound`] or [`IsoError::LimineFilesMissing`].
pub fn check_limine_directory(directory: &Path) -> Result<HostTool, IsoError> {
    if !directory.is_dir() {
        return Err(IsoError::LimineDirectoryNotFound(directory.to_path_buf()));
    }
    let missing = missing_limine_files(directory);
    if !missing.is_empty() {
        return Err(IsoError::LimineFilesMissing {
            directory: directory.to_path_buf(),
            missing,
        });
    }
    let prebuilt = directory.join(LIMINE_HOST_TOOL);
    Ok(if is_executable(&prebuilt) {
        HostTool::Prebuilt(prebuilt)
    } else {
        HostTool::Source(directory.join(LIMINE_HOST_TOOL_SOURCES[0]))
    })
}

/// The `xorriso` arguments that write `output` from the staged tree at `root`: El Torito boot
/// images for BIOS and UEFI, plus a protective MBR so `limine bios-install` can add its code.
#[must_use]
pub fn xorriso_arguments(root: &Path, output: &Path) -> Vec<OsString> {
    let mut arguments: Vec<OsString> = Vec::new();
    let mut add = |words: &str| arguments.extend(words.split_whitespace().map(OsString::from));
    // An ISO 9660 image with Rock Ridge and Joliet names, through xorriso's mkisofs emulation.
    add("-as mkisofs -R -r -J");
    // The BIOS El Torito image, loaded as is and patched with the image's layout.
    add(&format!(
        "-b {LIMINE_ISO_DIRECTORY}/limine-bios-cd.bin -no-emul-boot -boot-load-size 4 \
         -boot-info-table"
    ));
    // HFS+ and an Apple partition map, as Limine's own ISO recipe has them.
    add("-hfsplus -apm-block-size 2048");
    // The UEFI El Torito image (a FAT image), also exposed as a GPT/MBR partition.
    add(&format!(
        "--efi-boot {LIMINE_ISO_DIRECTORY}/limine-uefi-cd.bin -efi-boot-part --efi-boot-image"
    ));
    // An MBR, into which `limine bios-install` writes its boot code.
    add("--protective-msdos-label");
    arguments.push(root.as_os_str().to_owned());
    arguments.push(OsString::from("-o"));
    arguments.push(output.as_os_str().to_owned());
    arguments
}

/// Builds the ISO at `output`: stages the tree next to it (`<output>.root/`, replaced each time
/// and removed on success), fills in [`CONFIG_TEMPLATE`], runs `xorriso` and `limine
/// bios-install`.
///
/// # Errors
/// [`IsoError`] when the Limine directory is incomplete, the template is wrong, a file cannot be
/// copied, or `xorriso`, the C compiler or `limine` is missing or fails.
pub fn build_iso(
    workspace_root: &Path,
    kernel: &Path,
    initramfs: &Path,
    limine_directory: &Path,
    command_line: &str,
    output: &Path,
) -> Result<(), IsoError> {
    let host_tool = check_limine_directory(limine_directory)?;

    let template_path = workspace_root.join(CONFIG_TEMPLATE);
    let template = fs::read_to_string(&template_path).map_err(|error| {
        io_error(
            "read the Limine configuration template",
            &template_path,
            error,
        )
    })?;
    let values = ConfigValues {
        kernel_path: KERNEL_ISO_PATH,
        module_path: INITRAMFS_ISO_PATH,
        command_line,
    };
    let config = render_config(&template, &values).map_err(|error| IsoError::Template {
        path: template_path.clone(),
        error,
    })?;

    let limine_tool = match host_tool {
        HostTool::Prebuilt(path) => path,
        HostTool::Source(source) => {
            compile_host_tool(&source, &workspace_root.join("target/limine"))?
        }
    };

    let mut staging_name = output.as_os_str().to_owned();
    staging_name.push(".root");
    let staging = PathBuf::from(staging_name);
    stage(&staging, kernel, initramfs, limine_directory, &config)?;

    if let Some(parent) = output
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        fs::create_dir_all(parent)
            .map_err(|error| io_error("create the directory", parent, error))?;
    }
    let mut xorriso = Command::new("xorriso");
    xorriso.args(xorriso_arguments(&staging, output));
    run(
        xorriso,
        "xorriso",
        "install it (Debian/Ubuntu: `apt-get install xorriso`)",
    )?;

    let mut install = Command::new(&limine_tool);
    install.arg("bios-install").arg(output);
    run(
        install,
        &limine_tool.display().to_string(),
        "check LIMINE_DIR",
    )?;

    fs::remove_dir_all(&staging)
        .map_err(|error| io_error("remove the staging directory", &staging, error))
}

fn io_error(action: &'static str, path: &Path, error: io::Error) -> IsoError {
    IsoError::Io {
        action,
        path: path.to_path_buf(),
        error,
    }
}

fn copy(from: &Path, to: &Path) -> Result<(), IsoError> {
    fs::copy(from, to).map(drop).map_err(|error| {
        let action = if from.exists() {
            "copy into the ISO tree"
        } else {
            "find the file"
        };
        io_error(action, if from.exists() { to } else { from }, error)
    })
}

/// Lays out the ISO tree at `staging` (replacing whatever was there).
fn stage(
    staging: &Path,
    kernel: &Path,
    initramfs: &Path,
    limine_directory: &Path,
    config: &str,
) -> Result<(), IsoError> {
    if staging.exists() {
        fs::remove_dir_all(staging)
            .map_err(|error| io_error("remove the old staging directory", staging, error))?;
    }
    let limine_files = staging.join(LIMINE_ISO_DIRECTORY);
    let efi_files = staging.join(EFI_ISO_DIRECTORY);
    for directory in [&limine_files, &efi_files] {
        fs::create_dir_all(directory)
            .map_err(|error| io_error("create the directory", directory, error))?;
    }
    copy(
        kernel,
        &staging.join(KERNEL_ISO_PATH.trim_start_matches('/')),
    )?;
    copy(
        initramfs,
        &staging.join(INITRAMFS_ISO_PATH.trim_start_matches('/')),
    )?;
    let config_path = limine_files.join("limine.conf");
    fs::write(&config_path, config).map_err(|error| io_error("write", &config_path, error))?;
    for file in [
        "limine-bios.sys",
        "limine-bios-cd.bin",
        "limine-uefi-cd.bin",
    ] {
        copy(&limine_directory.join(file), &limine_files.join(file))?;
    }
    copy(
        &limine_directory.join("BOOTX64.EFI"),
        &efi_files.join("BOOTX64.EFI"),
    )
}

/// Compiles the `limine` host tool from `source` into `output_directory`, unless the copy there
/// was already built from the same file (recorded in a stamp beside it).
fn compile_host_tool(source: &Path, output_directory: &Path) -> Result<PathBuf, IsoError> {
    let executable = output_directory.join(LIMINE_HOST_TOOL);
    let stamp_path = output_directory.join("limine.source");
    let metadata = fs::metadata(source).map_err(|error| io_error("read", source, error))?;
    let stamp = format!(
        "{}\n{}\n{:?}\n",
        source.display(),
        metadata.len(),
        metadata.modified().ok()
    );
    if is_executable(&executable) && fs::read_to_string(&stamp_path).is_ok_and(|old| old == stamp) {
        return Ok(executable);
    }
    fs::create_dir_all(output_directory)
        .map_err(|error| io_error("create the directory", output_directory, error))?;
    let compiler = std::env::var_os("CC")
        .filter(|cc| !cc.is_empty())
        .unwrap_or_else(|| "cc".into());
    let mut compile = Command::new(&compiler);
    compile
        .args(["-O2", "-std=c99", "-pipe"])
        .arg(source)
        .arg("-o")
        .arg(&executable);
    run(
        compile,
        &compiler.to_string_lossy(),
        "install a C compiler (Debian/Ubuntu: `apt-get install gcc`) or set CC, or put a prebuilt \
         `limine` executable in LIMINE_DIR",
    )?;
    fs::write(&stamp_path, stamp).map_err(|error| io_error("write", &stamp_path, error))?;
    Ok(executable)
}

/// Runs `command`, capturing its output, which is shown only if it fails.
fn run(mut command: Command, tool: &str, install_hint: &'static str) -> Result<(), IsoError> {
    let described = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|argument| argument.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let output = command.output().map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => IsoError::ToolNotFound {
            tool: tool.to_owned(),
            install_hint,
        },
        _ => io_error("run", Path::new(tool), error),
    })?;
    if output.status.success() {
        return Ok(());
    }
    let mut printed = String::from_utf8_lossy(&output.stderr).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stdout));
    Err(IsoError::ToolFailed {
        command: described,
        status: output.status,
        output: printed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "timeout: 0\n/exokernel\n    kernel_path: boot():{{KERNEL_PATH}}\n    \
                            module_path: boot():{{MODULE_PATH}}\n    cmdline: {{COMMAND_LINE}}\n";

    fn values(command_line: &str) -> ConfigValues<'_> {
        ConfigValues {
            kernel_path: KERNEL_ISO_PATH,
            module_path: INITRAMFS_ISO_PATH,
            command_line,
        }
    }

    /// A fresh empty directory under the system temporary directory, removed on drop.
    struct ScratchDirectory(PathBuf);

    impl ScratchDirectory {
        fn new(name: &str) -> Self {
            let path =
                std::env::temp_dir().join(format!("xtask-iso-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).expect("create a scratch directory");
            Self(path)
        }

        fn create(&self, file: &str) {
            fs::write(self.0.join(file), b"").expect("create a scratch file");
        }
    }

    impl Drop for ScratchDirectory {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn renders_every_field() {
        let rendered = render_config(TEMPLATE, &values("test log=debug")).expect("renders");
        assert_eq!(
            rendered,
            "timeout: 0\n/exokernel\n    kernel_path: boot():/boot/exokernel\n    \
             module_path: boot():/boot/initramfs.cpio\n    cmdline: test log=debug\n"
        );
    }

    #[test]
    fn renders_an_empty_command_line() {
        let rendered = render_config(TEMPLATE, &values("")).expect("renders");
        assert!(rendered.ends_with("    cmdline: \n"));
    }

    #[test]
    fn the_template_in_the_repository_renders() {
        let template = include_str!("../../boot/limine.conf");
        let rendered = render_config(template, &values("test")).expect("renders");
        assert!(rendered.contains("protocol: limine\n"));
        assert!(rendered.contains("kernel_path: boot():/boot/exokernel\n"));
        assert!(rendered.contains("module_path: boot():/boot/initramfs.cpio\n"));
        assert!(rendered.contains("cmdline: test\n"));
        assert!(!rendered.contains("{{"));
    }

    #[test]
    fn rejects_a_line_break_in_the_command_line() {
        assert_eq!(
            render_config(TEMPLATE, &values("test\n/evil")),
            Err(TemplateError::LineBreakInValue("COMMAND_LINE"))
        );
    }

    #[test]
    fn rejects_unknown_unclosed_and_missing_fields() {
        assert_eq!(
            render_config(
                "{{KERNEL_PATH}} {{MODULE_PATH}} {{COMMAND_LINE}} {{ROOT}}",
                &values("")
            ),
            Err(TemplateError::UnknownField("ROOT".to_owned()))
        );
        assert_eq!(
            render_config(
                "{{KERNEL_PATH}} {{MODULE_PATH}} {{COMMAND_LINE",
                &values("")
            ),
            Err(TemplateError::UnclosedField)
        );
        assert_eq!(
            render_config("{{KERNEL_PATH}} {{MODULE_PATH}}", &values("")),
            Err(TemplateError::MissingField("COMMAND_LINE"))
        );
    }

    #[test]
    fn a_complete_release_lacks_nothing() {
        let directory = ScratchDirectory::new("complete");
        for file in LIMINE_BOOT_FILES
            .into_iter()
            .chain(LIMINE_HOST_TOOL_SOURCES)
        {
            directory.create(file);
        }
        assert!(missing_limine_files(&directory.0).is_empty());
        assert_eq!(
            check_limine_directory(&directory.0).expect("complete"),
            HostTool::Source(directory.0.join("limine.c"))
        );
    }

    #[test]
    fn lists_exactly_the_missing_files() {
        let directory = ScratchDirectory::new("partial");
        directory.create("limine-bios.sys");
        directory.create("limine.c");
        assert_eq!(
            missing_limine_files(&directory.0),
            [
                "limine-bios-cd.bin",
                "limine-uefi-cd.bin",
                "BOOTX64.EFI",
                "limine-bios-hdd.h"
            ]
        );
        let message = check_limine_directory(&directory.0)
            .expect_err("incomplete")
            .to_string();
        assert!(message.contains(
            "lacks limine-bios-cd.bin, limine-uefi-cd.bin, BOOTX64.EFI, limine-bios-hdd.h"
        ));
        assert!(message.contains("v8.x-binary"));
    }

    #[cfg(unix)]
    #[test]
    fn a_prebuilt_host_tool_replaces_the_sources() {
        use std::os::unix::fs::PermissionsExt;
        let directory = ScratchDirectory::new("prebuilt");
        for file in LIMINE_BOOT_FILES {
            directory.create(file);
        }
        directory.create(LIMINE_HOST_TOOL);
        // Not executable yet: the sources are still needed.
        assert_eq!(missing_limine_files(&directory.0), LIMINE_HOST_TOOL_SOURCES);
        let tool = directory.0.join(LIMINE_HOST_TOOL);
        fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(
            check_limine_directory(&directory.0).expect("complete"),
            HostTool::Prebuilt(tool)
        );
    }

    #[test]
    fn a_missing_directory_says_how_to_get_limine() {
        let error = check_limine_directory(Path::new("/nonexistent/limine")).expect_err("missing");
        assert!(matches!(error, IsoError::LimineDirectoryNotFound(_)));
        assert!(error.to_string().contains("git clone --branch=v8.x-binary"));
        assert!(
            IsoError::LimineDirectoryUnset
                .to_string()
                .starts_with("LIMINE_DIR is not set")
        );
    }

    #[test]
    fn xorriso_gets_both_boot_images_and_the_output() {
        let arguments = xorriso_arguments(Path::new("/stage"), Path::new("/out.iso"));
        let arguments: Vec<&str> = arguments
            .iter()
            .map(|argument| argument.to_str().unwrap())
            .collect();
        let after = |flag: &str| {
            arguments[arguments
                .iter()
                .position(|argument| *argument == flag)
                .unwrap()
                + 1]
        };
        assert_eq!(after("-b"), "boot/limine/limine-bios-cd.bin");
        assert_eq!(after("--efi-boot"), "boot/limine/limine-uefi-cd.bin");
        assert_eq!(after("-o"), "/out.iso");
        assert!(arguments.contains(&"/stage"));
        assert!(arguments.contains(&"--protective-msdos-label"));
    }
}
