//! Runs QEMU: captured boots (console streamed to a callback, a time limit, the kernel log in a file)
//! and interactive boots on the terminal.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::{Result, XtaskError};
use crate::guest_build::GuestImage;
use crate::prerequisites::QEMU;
use crate::qemu::{ConsoleConnection, GuestExit, MachineOptions, qemu_command};

/// How often a running boot checks its time limit and copies new kernel-log output.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// A boot whose console output is read by the caller.
#[derive(Debug, Clone)]
pub struct CapturedBoot<'a> {
    /// The kernel and initramfs.
    pub image: &'a GuestImage,
    /// The virtual hardware.
    pub machine: &'a MachineOptions,
    /// The kernel command line.
    pub command_line: &'a str,
    /// The file that receives the kernel log (COM2).
    pub kernel_log: PathBuf,
    /// Also copy the kernel log to standard error as it is written.
    pub echo_kernel_log: bool,
    /// QEMU is killed if the guest is still running after this long.
    pub timeout: Duration,
    /// Bytes typed at the console (COM1's input) as the boot starts; empty: none.
    pub console_input: Vec<u8>,
    /// A conversation: each entry's bytes are typed once the console has printed its text
    /// (after what the previous entry waited for), in order — as a person types after seeing
    /// a prompt.
    pub console_replies: Vec<(String, Vec<u8>)>,
}

/// How a boot ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootOutcome {
    /// The guest reported an exit status through the debug-exit port.
    Exited(u8),
    /// The guest reset or triple-faulted (QEMU exited 0 because of `-no-reboot`).
    Reset,
    /// QEMU ended some other way (a signal, an unexpected status).
    Abnormal(String),
    /// The guest was still running at the time limit and was killed.
    TimedOut(Duration),
}

impl BootOutcome {
    /// Whether the guest exited with status 0.
    pub fn is_success(&self) -> bool {
        *self == Self::Exited(0)
    }

    /// Whether the guest never reported an exit status (it crashed, hung or QEMU failed).
    pub fn is_crash(&self) -> bool {
        !matches!(self, Self::Exited(_))
    }

    /// A sentence describing the outcome, for failure messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Exited(status) => format!("the guest exited with status {status}"),
            Self::Reset => {
                "the guest crashed: it reset or triple-faulted (QEMU runs with -no-reboot)"
                    .to_string()
            }
            Self::Abnormal(detail) => format!("the guest crashed: {detail}"),
            Self::TimedOut(limit) => format!(
                "timeout: the guest was still running after {} s and was killed",
                limit.as_secs_f64()
            ),
        }
    }

    fn from_exit(exit: GuestExit) -> Self {
        match exit {
            GuestExit::Status(status) => Self::Exited(status),
            GuestExit::Reset => Self::Reset,
            GuestExit::Abnormal(detail) => Self::Abnormal(detail),
        }
    }
}

/// What a reader thread saw on one of QEMU's output pipes.
enum PipeEvent {
    Console(Vec<u8>),
    ConsoleClosed,
    Diagnostics(Vec<u8>),
    DiagnosticsClosed,
}

/// Boots and streams the console (COM1) to `console` chunk by chunk until the guest exits or the
/// time limit passes. QEMU's own messages go to standard error.
///
/// # Errors
/// Fails if the accelerator is unavailable or QEMU cannot start (for example a bad option).
pub fn boot_captured(
    boot: &CapturedBoot<'_>,
    console: &mut dyn FnMut(&[u8]),
) -> Result<BootOutcome> {
    boot.machine.accelerator.check_available()?;
    prepare_kernel_log(&boot.kernel_log)?;
    let mut command = qemu_command(
        boot.image,
        boot.machine,
        boot.command_line,
        &ConsoleConnection::Pipe,
        &boot.kernel_log,
    );
    let typing = !boot.console_input.is_empty() || !boot.console_replies.is_empty();
    command
        .stdin(if typing {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn(&mut command)?;
    // Kept open until the guest ends: QEMU reads it as the UART has room.
    let mut console_input = child.stdin.take();
    if let Some(input) = &mut console_input {
        input
            .write_all(&boot.console_input)
            .map_err(|error| XtaskError::new(format!("typing at the guest console: {error}")))?;
    }
    let (sender, events) = mpsc::channel();
    let mut readers = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        readers.push(forward_pipe(
            stdout,
            sender.clone(),
            PipeEvent::Console,
            PipeEvent::ConsoleClosed,
        ));
    }
    if let Some(stderr) = child.stderr.take() {
        readers.push(forward_pipe(
            stderr,
            sender,
            PipeEvent::Diagnostics,
            PipeEvent::DiagnosticsClosed,
        ));
    }

    let deadline = Instant::now() + boot.timeout;
    let mut log_echo = boot
        .echo_kernel_log
        .then(|| KernelLogEcho::new(boot.kernel_log.clone()));
    let mut open_pipes = readers.len();
    let mut transcript: Vec<u8> = Vec::new();
    let mut searched_from = 0;
    let mut replies = boot.console_replies.iter();
    let mut next_reply = replies.next();
    let mut diagnostics = Vec::new();
    let mut timed_out = false;
    while open_pipes > 0 {
        let now = Instant::now();
        if now >= deadline {
            timed_out = true;
            break;
        }
        let wait = POLL_INTERVAL.min(deadline - now);
        match events.recv_timeout(wait) {
            Ok(PipeEvent::Console(bytes)) => {
                console(&bytes);
                transcript.extend_from_slice(&bytes);
                while let Some((awaited, typed)) = next_reply {
                    let Some(found) = find(&transcript[searched_from..], awaited.as_bytes()) else {
                        break;
                    };
                    searched_from += found + awaited.len();
                    if let Some(input) = &mut console_input {
                        input.write_all(typed).map_err(|error| {
                            XtaskError::new(format!("typing at the guest console: {error}"))
                        })?;
                        input.flush().map_err(|error| {
                            XtaskError::new(format!("typing at the guest console: {error}"))
                        })?;
                    }
                    next_reply = replies.next();
                }
            }
            Ok(PipeEvent::Diagnostics(bytes)) => {
                let _ = std::io::stderr().write_all(&bytes);
                diagnostics.extend_from_slice(&bytes);
            }
            Ok(PipeEvent::ConsoleClosed | PipeEvent::DiagnosticsClosed) => open_pipes -= 1,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if let Some(echo) = &mut log_echo {
            echo.copy_new_output();
        }
    }
    let status = if timed_out {
        None
    } else {
        wait_until(&mut child, deadline)?
    };
    let outcome = match status {
        Some(status) => {
            let exit = GuestExit::from_qemu_status(status.code());
            if exit == GuestExit::Status(0) && qemu_reported_error(&diagnostics) {
                // QEMU's own start-up failures also exit with status 1.
                return Err(XtaskError::new(format!(
                    "QEMU failed to start: {}",
                    String::from_utf8_lossy(&diagnostics).trim()
                )));
            }
            BootOutcome::from_exit(exact_status(exit, &read_kernel_log(&boot.kernel_log)))
        }
        None => {
            let _ = child.kill();
            let _ = child.wait();
            BootOutcome::TimedOut(boot.timeout)
        }
    };
    drop(console_input);
    for reader in readers {
        let _ = reader.join();
    }
    // Output still queued after the loop ended (only possible at a timeout) is delivered too.
    while let Ok(event) = events.try_recv() {
        if let PipeEvent::Console(bytes) = event {
            console(&bytes);
        }
    }
    if let Some(echo) = &mut log_echo {
        echo.copy_new_output();
    }
    Ok(outcome)
}

/// Boots with the console on the terminal (Ctrl-A X quits QEMU) and the kernel log written to
/// `kernel_log` and copied to standard error as it grows; waits, killing QEMU after `timeout` if
/// one is given.
///
/// The log goes through a file rather than a `/dev/stderr` chardev because QEMU would reopen
/// standard error with its own file offset and overwrite our messages when it is a file.
///
/// # Errors
/// Fails if the accelerator is unavailable or QEMU cannot be started.
pub fn boot_interactive(
    image: &GuestImage,
    machine: &MachineOptions,
    command_line: &str,
    kernel_log: &Path,
    timeout: Option<Duration>,
) -> Result<BootOutcome> {
    machine.accelerator.check_available()?;
    prepare_kernel_log(kernel_log)?;
    let mut command = qemu_command(
        image,
        machine,
        command_line,
        &ConsoleConnection::Terminal,
        kernel_log,
    );
    let mut child = spawn(&mut command)?;
    let mut echo = KernelLogEcho::new(kernel_log.to_path_buf());
    let deadline = timeout.map(|limit| Instant::now() + limit);
    let status = loop {
        let status = child
            .try_wait()
            .map_err(|error| XtaskError::new(format!("could not wait for QEMU: {error}")))?;
        echo.copy_new_output();
        if status.is_some() || deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            break status;
        }
        std::thread::sleep(POLL_INTERVAL);
    };
    echo.copy_new_output();
    match status {
        Some(status) => Ok(BootOutcome::from_exit(GuestExit::from_qemu_status(
            status.code(),
        ))),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Ok(BootOutcome::TimedOut(timeout.unwrap_or_default()))
        }
    }
}

/// Creates the log's directory and removes a previous log, so that nothing (such as the echo to
/// standard error) can read an old boot's log before QEMU creates the new one.
fn prepare_kernel_log(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| XtaskError::io("create", parent, &error))?;
    }
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(XtaskError::io("remove the old log", path, &error))
        }
        _ => Ok(()),
    }
}

fn spawn(command: &mut Command) -> Result<Child> {
    command.spawn().map_err(|error| {
        if error.kind() == std::io::ErrorKind::NotFound {
            XtaskError::new(format!(
                "{QEMU} is not on PATH; run `cargo xtask build` (it installs QEMU when it can) or \
                 `apt-get install -y qemu-system-x86`"
            ))
        } else {
            XtaskError::new(format!("could not start {QEMU}: {error}"))
        }
    })
}

fn forward_pipe(
    mut pipe: impl Read + Send + 'static,
    sender: mpsc::Sender<PipeEvent>,
    data: fn(Vec<u8>) -> PipeEvent,
    closed: PipeEvent,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buffer = [0; 4096];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(length) => {
                    if sender.send(data(buffer[..length].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
        let _ = sender.send(closed);
    })
}

/// Waits for `child` to exit, or returns `None` at the deadline.
fn wait_until(child: &mut Child, deadline: Instant) -> Result<Option<std::process::ExitStatus>> {
    loop {
        let status = child
            .try_wait()
            .map_err(|error| XtaskError::new(format!("could not wait for QEMU: {error}")))?;
        if status.is_some() || Instant::now() >= deadline {
            return Ok(status);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether QEMU printed an error of its own (as opposed to a warning).
fn qemu_reported_error(diagnostics: &[u8]) -> bool {
    String::from_utf8_lossy(diagnostics)
        .lines()
        .any(|line| line.starts_with("qemu") && line.contains(": ") && !line.contains("warning"))
}

/// Copies what QEMU appends to the kernel-log file onto standard error.
struct KernelLogEcho {
    path: PathBuf,
    position: u64,
}

impl KernelLogEcho {
    fn new(path: PathBuf) -> Self {
        Self { path, position: 0 }
    }

    fn copy_new_output(&mut self) {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return;
        };
        if file.seek(SeekFrom::Start(self.position)).is_err() {
            return;
        }
        let mut new_output = Vec::new();
        if file.read_to_end(&mut new_output).is_ok() && !new_output.is_empty() {
            self.position += new_output.len() as u64;
            let _ = std::io::stderr().write_all(&new_output);
        }
    }
}

/// The guest's full 8-bit status: the debug-exit port carries only seven bits, so the kernel
/// also logs `exit-status N`; the logged value is used when it agrees with what the port said.
#[must_use]
pub fn exact_status(exit: GuestExit, kernel_log: &str) -> GuestExit {
    let GuestExit::Status(reported) = exit else {
        return exit;
    };
    let logged = kernel_log
        .lines()
        .rev()
        .filter_map(|line| line.trim().strip_prefix("exit-status "))
        .find_map(|value| value.trim().parse::<u8>().ok());
    match logged {
        // The kernel writes min(status, 126) to the port, and 1 at least for a nonzero status.
        Some(status) if status.min(0x7e).max(u8::from(status != 0)) == reported => {
            GuestExit::Status(status)
        }
        _ => exit,
    }
}

/// Reads a kernel log written by a boot, lossily decoded, or an empty string if there is none.
pub fn read_kernel_log(path: &Path) -> String {
    std::fs::read(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_status_comes_from_the_kernel_log_when_it_agrees() {
        let log = "[info] booting\nexit-status 139\n";
        assert_eq!(
            exact_status(GuestExit::Status(126), log),
            GuestExit::Status(139)
        );
        assert_eq!(
            exact_status(GuestExit::Status(3), log),
            GuestExit::Status(3)
        );
        assert_eq!(
            exact_status(GuestExit::Status(0), "exit-status 0"),
            GuestExit::Status(0)
        );
        assert_eq!(exact_status(GuestExit::Reset, log), GuestExit::Reset);
        assert_eq!(
            exact_status(GuestExit::Status(5), "nothing"),
            GuestExit::Status(5)
        );
    }

    #[test]
    fn distinguishes_qemu_errors_from_warnings() {
        assert!(qemu_reported_error(
            b"qemu: could not open kernel file 'x'\n"
        ));
        assert!(qemu_reported_error(
            b"qemu-system-x86_64: -m foo: bad size\n"
        ));
        assert!(!qemu_reported_error(
            b"qemu-system-x86_64: warning: host doesn't support requested feature\n"
        ));
        assert!(!qemu_reported_error(b""));
    }

    #[test]
    fn outcomes_describe_themselves() {
        assert!(BootOutcome::Exited(0).is_success());
        assert!(!BootOutcome::Exited(1).is_crash());
        assert!(BootOutcome::Reset.is_crash());
        let timeout = BootOutcome::TimedOut(Duration::from_secs(5)).describe();
        assert!(
            timeout.starts_with("timeout") && timeout.contains("5 s"),
            "{timeout}"
        );
    }
}
