//! Starting a utility and waiting for its status; files to set up and read back.

use alloc::string::String;
use alloc::vec::Vec;

use libos::abi::Call;
use libos::fs::protocol::{FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::io::{close, read, write};
use libos::kernel::call;
use libos::process::{Ending, spawn};
use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};

/// How long a utility may take (generous: a loaded machine's worst many times over).
const UTILITY_NANOSECONDS: u64 = 10_000_000_000;

/// Percent-encodes a word for the start-up protocol.
fn encode(word: &str, into: &mut String) {
    for byte in word.bytes() {
        if byte <= b' ' || byte == b'%' || byte >= 0x7f {
            into.push_str(&alloc::format!("%{byte:02X}"));
        } else {
            into.push(char::from(byte));
        }
    }
}

/// Runs `/bin/WORDS[0]` with `words` and returns its exit status.
///
/// # Errors
/// When it cannot start, takes too long or crashes.
pub fn run(words: &[&str]) -> Result<i32, String> {
    let path = alloc::format!("/bin/{}", words[0]);
    let mut command = String::new();
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            command.push(' ');
        }
        encode(if index == 0 { &path } else { word }, &mut command);
    }
    let grants: Vec<_> = [FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT]
        .into_iter()
        .filter(|&slot| call(Call::CapabilityIdentify { slot }).is_ok())
        .map(|slot| (slot, slot))
        .collect();
    let child =
        spawn(&path, &command, &grants).map_err(|error| alloc::format!("{path}: {error:?}"))?;
    let ending = child.wait(UTILITY_NANOSECONDS);
    child.reap();
    match ending {
        Ok(Ending::Exited(code)) => Ok((code & 0xff) as i32),
        Ok(Ending::Faulted { vector, address }) => Err(alloc::format!(
            "{words:?} crashed (vector {vector}, address {address:#x})"
        )),
        Err(error) => Err(alloc::format!("{words:?}: {error}")),
    }
}

/// Runs and requires exit status `expected`.
///
/// # Errors
/// When the status differs or the utility could not run.
pub fn expect(words: &[&str], expected: i32) -> Result<(), String> {
    let status = run(words)?;
    if status != expected {
        return Err(alloc::format!(
            "{words:?} exited {status}, expected {expected}"
        ));
    }
    Ok(())
}

/// Writes `bytes` to a new (or truncated) file.
///
/// # Errors
/// The call that failed.
pub fn write_file(path: &str, bytes: &[u8]) -> Result<(), String> {
    let fd = libos::fs::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        .map_err(|error| alloc::format!("open {path}: {error}"))?;
    let result = write(fd, bytes);
    let _ = close(fd);
    match result {
        Ok(written) if written == bytes.len() => Ok(()),
        Ok(written) => Err(alloc::format!(
            "write {path}: {written} of {} bytes",
            bytes.len()
        )),
        Err(error) => Err(alloc::format!("write {path}: {error}")),
    }
}

/// The whole contents of a file.
///
/// # Errors
/// The call that failed.
pub fn read_file(path: &str) -> Result<Vec<u8>, String> {
    let fd = libos::fs::open(path, O_RDONLY, 0)
        .map_err(|error| alloc::format!("open {path}: {error}"))?;
    let mut contents = Vec::new();
    let mut buffer = [0u8; 4096];
    let result = loop {
        match read(fd, &mut buffer) {
            Ok(0) => break Ok(contents),
            Ok(length) => contents.extend_from_slice(&buffer[..length]),
            Err(error) => break Err(alloc::format!("read {path}: {error}")),
        }
    };
    let _ = close(fd);
    result
}

/// Requires the file at `path` to hold exactly `expected`.
///
/// # Errors
/// When it differs or cannot be read.
pub fn expect_contents(path: &str, expected: &str) -> Result<(), String> {
    let contents = read_file(path)?;
    if contents != expected.as_bytes() {
        return Err(alloc::format!(
            "{path} holds {:?}, expected {expected:?}",
            String::from_utf8_lossy(&contents)
        ));
    }
    Ok(())
}

/// Whether `path` exists (without following a final link).
pub fn exists(path: &str) -> bool {
    libos::fs::lstat(path).is_ok()
}

/// A fresh, empty scratch directory `/tmp/utility-NAME` (removed first if left behind).
///
/// # Errors
/// When it cannot be made.
pub fn scratch(name: &str) -> Result<String, String> {
    let path = alloc::format!("/tmp/utility-{name}");
    if exists(&path) {
        expect(&["rm", "-r", &path], 0)?;
    }
    libos::fs::mkdir(&path, 0o755).map_err(|error| alloc::format!("mkdir {path}: {error}"))?;
    Ok(path)
}

/// What a utility wrote and how it ended.
pub struct Captured {
    /// The exit status.
    pub status: i32,
    /// Everything written to standard output.
    pub output: String,
    /// Everything written to standard error.
    pub errors: String,
}

/// Reads `fd` to its end.
fn drain(fd: i32) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match read(fd, &mut buffer) {
            Ok(0) => return Ok(bytes),
            Ok(length) => bytes.extend_from_slice(&buffer[..length]),
            Err(error) => return Err(alloc::format!("read a pipe: {error}")),
        }
    }
}

/// Runs `/bin/WORDS[0]` with standard input from `input` (through a file; `/dev/null` when
/// `None`) and standard output and error captured through pipes (descriptors cross
/// `posix_spawn`); `environment` is its environment.
///
/// # Errors
/// When it cannot start or its status cannot be collected.
pub fn capture_with_environment(
    words: &[&str],
    input: Option<&[u8]>,
    environment: &[&str],
) -> Result<Captured, String> {
    use libos::process::FileAction;
    use libposix_sys::fcntl::O_CLOEXEC;
    let input_path = "/tmp/utility-capture-input";
    let input_path = match input {
        Some(bytes) => {
            write_file(input_path, bytes)?;
            input_path
        }
        None => "/dev/null",
    };
    let [output_read, output_write] =
        libos::io::pipe2(O_CLOEXEC).map_err(|error| alloc::format!("pipe2: {error}"))?;
    let [errors_read, errors_write] = match libos::io::pipe2(O_CLOEXEC) {
        Ok(ends) => ends,
        Err(error) => {
            let _ = close(output_read);
            let _ = close(output_write);
            return Err(alloc::format!("pipe2: {error}"));
        }
    };
    let path = alloc::format!("/bin/{}", words[0]);
    let actions = [
        FileAction::Open {
            fd: 0,
            path: input_path,
            flags: O_RDONLY,
            mode: 0,
        },
        FileAction::Dup2 {
            old: output_write,
            new: 1,
        },
        FileAction::Dup2 {
            old: errors_write,
            new: 2,
        },
    ];
    let spawned = libos::process::posix_spawn(&path, &actions, None, words, environment);
    let _ = close(output_write);
    let _ = close(errors_write);
    let pid = match spawned {
        Ok(pid) => pid,
        Err(error) => {
            let _ = close(output_read);
            let _ = close(errors_read);
            return Err(alloc::format!("posix_spawn {path}: {error}"));
        }
    };
    let output = drain(output_read);
    let errors = drain(errors_read);
    let _ = close(output_read);
    let _ = close(errors_read);
    let mut status = 0;
    libos::process::identity::waitpid(pid, Some(&mut status), 0)
        .map_err(|error| alloc::format!("waitpid {words:?}: {error}"))?;
    if !libposix_sys::wait::WIFEXITED(status) {
        return Err(alloc::format!(
            "{words:?} did not exit (wait status {status:#x})"
        ));
    }
    Ok(Captured {
        status: libposix_sys::wait::WEXITSTATUS(status),
        output: String::from_utf8_lossy(&output?).into_owned(),
        errors: String::from_utf8_lossy(&errors?).into_owned(),
    })
}

/// [`capture_with_environment`] with an empty environment.
///
/// # Errors
/// As [`capture_with_environment`].
pub fn capture(words: &[&str], input: Option<&[u8]>) -> Result<Captured, String> {
    capture_with_environment(words, input, &[])
}

/// Runs and requires exactly `output` on standard output and status `status`.
///
/// # Errors
/// When either differs.
pub fn expect_output(
    words: &[&str],
    input: Option<&str>,
    output: &str,
    status: i32,
) -> Result<(), String> {
    let captured = capture(words, input.map(str::as_bytes))?;
    if captured.output != output || captured.status != status {
        return Err(alloc::format!(
            "{words:?} wrote {:?} and exited {} (errors {:?}); expected {output:?} and {status}",
            captured.output,
            captured.status,
            captured.errors
        ));
    }
    Ok(())
}

/// Runs and requires standard error to be exactly `errors` (with a failing status).
///
/// # Errors
/// When it differs or the status is 0.
pub fn expect_error(words: &[&str], errors: &str, status: i32) -> Result<(), String> {
    let captured = capture(words, None)?;
    if captured.errors != errors || captured.status != status {
        return Err(alloc::format!(
            "{words:?} wrote {:?} to standard error and exited {}; expected {errors:?} and {status}",
            captured.errors,
            captured.status
        ));
    }
    Ok(())
}
