//! Checks of `execve`: the pid and the parent's wait survive, argv and envp arrive, and every
//! error leaves the caller running unchanged — corrupt and hostile images included.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;

use libos::process::exec::execute_image;
use libos::process::identity::{_exit, getpid, waitpid};
use libos::process::{execve, fork};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

/// Every exec check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "execve:keeps-pid-passes-argv-envp",
        covers: &["execve:pid-kept", "execve:argv", "execve:envp"],
        run: keeps_pid_and_passes_arguments,
    },
    Check {
        name: "execve:ENOENT",
        covers: &["execve:ENOENT"],
        run: missing_program,
    },
    Check {
        name: "execve:ENAMETOOLONG",
        covers: &["execve:ENAMETOOLONG"],
        run: name_too_long,
    },
    Check {
        name: "execve:E2BIG",
        covers: &["execve:E2BIG"],
        run: arguments_too_big,
    },
    Check {
        name: "execve:ENOEXEC-corrupt-images",
        covers: &["execve:ENOEXEC"],
        run: corrupt_images,
    },
];

/// What the exec'd helper exits with when everything arrived.
pub const EXEC_SUCCESS: i32 = 42;

/// The helper run by `execve`: `exec-check PID WORD` exits [`EXEC_SUCCESS`] when our pid is
/// PID, the word (with a space in it) arrived whole and the environment holds `EXEC_TEST=yes`.
pub fn exec_check(startup: &libos::Startup) -> i32 {
    let arguments: vec::Vec<String> = startup.arguments().collect();
    let expected: i32 = arguments
        .get(2)
        .and_then(|pid| pid.parse().ok())
        .unwrap_or(-1);
    let word_arrived = arguments.get(3).map(String::as_str) == Some("two words");
    let environment_arrived = startup
        .environment_variables()
        .any(|variable| variable == "EXEC_TEST=yes");
    if getpid() == Ok(expected) && word_arrived && environment_arrived && arguments.len() == 4 {
        EXEC_SUCCESS
    } else {
        1
    }
}

fn quota_remaining() -> u64 {
    libos::kernel::call(libos::abi::Call::CapabilityIdentify {
        slot: libos::abi::initial::MEMORY_QUOTA,
    })
    .map_or(0, |words| words[3])
}

fn keeps_pid_and_passes_arguments() -> CheckOutcome {
    let child = fork().map_err(|e| format!("fork: {e:?}"))?;
    if child == 0 {
        let pid = getpid().unwrap_or(0).to_string();
        let _ = execve(
            crate::SELF_PATH,
            &[crate::SELF_PATH, "exec-check", &pid, "two words"],
            &["EXEC_TEST=yes"],
        );
        _exit(2);
    }
    let mut status = 0;
    let collected = waitpid(child, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if collected != child || !WIFEXITED(status) || WEXITSTATUS(status) != EXEC_SUCCESS {
        return Err(format!(
            "waitpid({child}) = {collected}, status {status:#x}; expected exit {EXEC_SUCCESS}"
        ));
    }
    Ok(())
}

fn missing_program() -> CheckOutcome {
    for path in ["/bin/no-such-program", "", "/sbin/nothing/here"] {
        match execve(path, &[path], &[]) {
            Err(Errno::ENOENT) => {}
            other => return Err(format!("execve({path:?}): {other:?}")),
        }
    }
    Ok(())
}

fn name_too_long() -> CheckOutcome {
    let long_path = "/a".repeat(2048);
    let long_component = format!("/bin/{}", "x".repeat(256));
    for path in [&long_path, &long_component] {
        match execve(path, &[], &[]) {
            Err(Errno::ENAMETOOLONG) => {}
            other => return Err(format!("execve of a {}-byte path: {other:?}", path.len())),
        }
    }
    Ok(())
}

fn arguments_too_big() -> CheckOutcome {
    let big = "y".repeat(5000);
    match execve(crate::SELF_PATH, &[crate::SELF_PATH, &big], &[]) {
        Err(Errno::E2BIG) => {}
        other => return Err(format!("5000-byte argv: {other:?}")),
    }
    match execve(crate::SELF_PATH, &[crate::SELF_PATH], &[&big]) {
        Err(Errno::E2BIG) => Ok(()),
        other => Err(format!("5000-byte envp: {other:?}")),
    }
}

/// Truncated copies of a real program, garbage, and a header claiming a segment far outside
/// the file: each is `ENOEXEC`, and the caller keeps running with the memory they took back.
fn corrupt_images() -> CheckOutcome {
    let archive = libos::process::initramfs().map_err(|e| format!("initramfs: {e:?}"))?;
    let program = initramfs::Archive::new(archive)
        .find(crate::SELF_PATH)
        .ok()
        .flatten()
        .ok_or_else(|| String::from("our own program is not in the initramfs"))?
        .data;
    let garbage: vec::Vec<u8> = (0..8192u32).map(|index| (index * 37 % 251) as u8).collect();
    let mut hostile = program[..program.len().min(64 * 1024)].to_vec();
    // The first program header's file offset, pointed far past the end of the file.
    let program_headers = u64::from_le_bytes(hostile[32..40].try_into().unwrap_or([0; 8])) as usize;
    if let Some(offset) = hostile.get_mut(program_headers + 8..program_headers + 16) {
        offset.copy_from_slice(&(u64::MAX - 16).to_le_bytes());
    }
    let images: [(&str, &[u8]); 5] = [
        ("empty", &[]),
        ("the first 64 bytes", &program[..64]),
        ("half of a program", &program[..program.len() / 2]),
        ("garbage", &garbage),
        ("a segment outside the file", &hostile),
    ];
    let before = quota_remaining();
    for (what, image) in images {
        match execute_image(image, "x", "") {
            Err(Errno::ENOEXEC) => {}
            other => return Err(format!("{what}: {other:?}")),
        }
    }
    // The address space (257 pages) and frames a failed exec built must all come back; a few
    // pages may go to our own heap and mapping-record charges meanwhile.
    let after = quota_remaining();
    if after + 8 < before {
        return Err(format!("{before} pages before, {after} after"));
    }
    Ok(())
}
