//! The QEMU command line: machine model, accelerator, serial ports and the debug-exit device.
//!
//! Port roles: COM1 (0x3f8) is the console (program output, and in test mode the machine-readable
//! test lines); COM2 (0x2f8) is the kernel log. The guest ends the run by writing a status byte
//! `v` to port 0xf4 (`isa-debug-exit`), and QEMU then exits with `(v << 1) | 1`.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use crate::accelerator::Accelerator;
use crate::guest_build::GuestImage;
use crate::prerequisites::QEMU;

/// The I/O port of the `isa-debug-exit` device.
pub const DEBUG_EXIT_PORT: &str = "0xf4";
/// The I/O port of the kernel-log serial port (COM2).
pub const KERNEL_LOG_PORT: &str = "0x2f8";

/// The QEMU machine model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Machine {
    /// A minimal machine without PCI or firmware: boots in tens of milliseconds.
    #[default]
    Microvm,
    /// A modern PC (Q35 chipset, PCIe, SeaBIOS).
    Q35,
}

impl Machine {
    /// The name QEMU's `-M` option takes.
    pub fn qemu_name(self) -> &'static str {
        match self {
            Self::Microvm => "microvm",
            Self::Q35 => "q35",
        }
    }
}

/// The virtual hardware of a boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineOptions {
    /// How QEMU executes the guest.
    pub accelerator: Accelerator,
    /// The machine model.
    pub machine: Machine,
    /// Memory size in QEMU's `-m` syntax, e.g. `512M`.
    pub memory: String,
    /// The number of virtual processors.
    pub cpus: u32,
}

impl Default for MachineOptions {
    fn default() -> Self {
        Self {
            accelerator: Accelerator::Tcg,
            machine: Machine::Microvm,
            memory: "512M".to_string(),
            cpus: 1,
        }
    }
}

/// Where the console (COM1) goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleConnection {
    /// QEMU's standard input and output, multiplexed with the QEMU monitor (Ctrl-A X quits).
    Terminal,
    /// QEMU's standard input and output without the monitor, for a caller that reads the output.
    Pipe,
}

/// The complete QEMU invocation for booting `image` with `command_line`.
pub fn qemu_command(
    image: &GuestImage,
    machine: &MachineOptions,
    command_line: &str,
    console: &ConsoleConnection,
    kernel_log: &Path,
) -> Command {
    let mut command = Command::new(QEMU);
    command.args(qemu_arguments(
        image,
        machine,
        command_line,
        console,
        kernel_log,
    ));
    command
}

/// The arguments of [`qemu_command`].
pub fn qemu_arguments(
    image: &GuestImage,
    machine: &MachineOptions,
    command_line: &str,
    console: &ConsoleConnection,
    kernel_log: &Path,
) -> Vec<OsString> {
    let serial = match console {
        ConsoleConnection::Terminal => "mon:stdio",
        ConsoleConnection::Pipe => "stdio",
    };
    let mut arguments: Vec<OsString> = Vec::new();
    let mut push = |words: &[&str]| arguments.extend(words.iter().map(OsString::from));
    push(&["-M", machine.machine.qemu_name()]);
    push(&["-accel", machine.accelerator.qemu_name()]);
    push(&[
        "-cpu",
        "max",
        "-m",
        &machine.memory,
        "-smp",
        &machine.cpus.to_string(),
    ]);
    push(&["-display", "none", "-nodefaults", "-no-reboot"]);
    arguments.push("-kernel".into());
    arguments.push(image.kernel.clone().into_os_string());
    arguments.push("-initrd".into());
    arguments.push(image.initramfs.clone().into_os_string());
    arguments.push("-append".into());
    arguments.push(command_line.into());
    arguments.push("-serial".into());
    arguments.push(serial.into());
    arguments.push("-chardev".into());
    arguments.push(kernel_log_chardev(kernel_log));
    arguments.push("-device".into());
    arguments.push(format!("isa-serial,chardev=kernellog,iobase={KERNEL_LOG_PORT},irq=3").into());
    arguments.push("-device".into());
    arguments.push(format!("isa-debug-exit,iobase={DEBUG_EXIT_PORT},iosize=4").into());
    arguments
}

/// `file,id=kernellog,path=…` (the file is truncated at boot); QEMU option values escape a comma
/// by doubling it.
fn kernel_log_chardev(path: &Path) -> OsString {
    let mut value = OsString::from("file,id=kernellog,path=");
    value.push(path.as_os_str().to_string_lossy().replace(',', ",,"));
    value
}

/// How the guest's run ended, decoded from QEMU's exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestExit {
    /// The guest wrote `status` to the debug-exit port. Process exit codes have 8 bits, so only
    /// statuses 0–127 come through intact (128 would look like 0).
    Status(u8),
    /// QEMU exited 0: the guest reset or triple-faulted (with `-no-reboot` that stops QEMU), or the
    /// user quit QEMU.
    Reset,
    /// QEMU exited with another status or was killed by a signal.
    Abnormal(String),
}

impl GuestExit {
    /// Decodes QEMU's exit code (`None` when QEMU died from a signal).
    pub fn from_qemu_status(code: Option<i32>) -> Self {
        match code {
            Some(0) => Self::Reset,
            Some(code) if code & 1 == 1 && (1..=255).contains(&code) => {
                Self::Status(u8::try_from((code - 1) / 2).unwrap_or(u8::MAX))
            }
            Some(code) => Self::Abnormal(format!("QEMU exited with status {code}")),
            None => Self::Abnormal("QEMU was killed by a signal".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn image() -> GuestImage {
        GuestImage {
            kernel: PathBuf::from("/k/exokernel"),
            initramfs: PathBuf::from("/k/initramfs.cpio"),
            programs: Vec::new(),
        }
    }

    #[test]
    fn builds_the_documented_command_line() {
        let arguments = qemu_arguments(
            &image(),
            &MachineOptions::default(),
            "test -- /bin/x a%20b",
            &ConsoleConnection::Pipe,
            Path::new("/t/log,1"),
        );
        let arguments: Vec<String> = arguments
            .into_iter()
            .map(|argument| argument.into_string().unwrap())
            .collect();
        assert_eq!(
            arguments.join(" "),
            "-M microvm -accel tcg -cpu max -m 512M -smp 1 -display none -nodefaults -no-reboot \
             -kernel /k/exokernel -initrd /k/initramfs.cpio -append test -- /bin/x a%20b \
             -serial stdio -chardev file,id=kernellog,path=/t/log,,1 \
             -device isa-serial,chardev=kernellog,iobase=0x2f8,irq=3 \
             -device isa-debug-exit,iobase=0xf4,iosize=4"
        );
    }

    #[test]
    fn interactive_console_has_the_monitor() {
        let machine = MachineOptions {
            machine: Machine::Q35,
            cpus: 2,
            ..MachineOptions::default()
        };
        let arguments = qemu_arguments(
            &image(),
            &machine,
            "",
            &ConsoleConnection::Terminal,
            Path::new("/t/log"),
        );
        let has = |pair: [&str; 2]| arguments.windows(2).any(|window| window == pair);
        assert!(has(["-serial", "mon:stdio"]));
        assert!(has(["-M", "q35"]));
        assert!(has(["-smp", "2"]));
        assert!(has(["-chardev", "file,id=kernellog,path=/t/log"]));
    }

    #[test]
    fn decodes_exit_statuses() {
        assert_eq!(GuestExit::from_qemu_status(Some(1)), GuestExit::Status(0));
        assert_eq!(GuestExit::from_qemu_status(Some(3)), GuestExit::Status(1));
        assert_eq!(
            GuestExit::from_qemu_status(Some(255)),
            GuestExit::Status(127)
        );
        assert_eq!(GuestExit::from_qemu_status(Some(0)), GuestExit::Reset);
        assert!(matches!(
            GuestExit::from_qemu_status(Some(2)),
            GuestExit::Abnormal(_)
        ));
        assert!(matches!(
            GuestExit::from_qemu_status(None),
            GuestExit::Abnormal(_)
        ));
    }
}
