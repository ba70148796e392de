//! Checks of process identity and wait: getpid, getppid, waitpid/wait4 statuses, WNOHANG,
//! ECHILD decided by the process server.

use alloc::format;
use alloc::string::String;

use libos::process::identity::{getpid, getppid, wait, wait4, waitpid};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::signal::SIGSEGV;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED, WIFSIGNALED, WNOHANG, WTERMSIG};

use crate::helpers::start_pid;

/// Every identity check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "getpid:stable-positive",
        covers: &["getpid"],
        run: getpid_is_stable,
    },
    Check {
        name: "getppid:child-sees-parent",
        covers: &["getppid"],
        run: child_sees_parent,
    },
    Check {
        name: "waitpid:exit-status",
        covers: &["waitpid:pid", "exit:status"],
        run: waitpid_collects_status,
    },
    Check {
        name: "wait4:any-child",
        covers: &["wait4:any-child"],
        run: wait4_any_child,
    },
    Check {
        name: "waitpid:WNOHANG",
        covers: &["waitpid:WNOHANG"],
        run: waitpid_no_hang,
    },
    Check {
        name: "waitpid:ECHILD-not-a-child",
        covers: &["waitpid:ECHILD"],
        run: waitpid_not_a_child,
    },
    Check {
        name: "wait:ECHILD-no-children",
        covers: &["wait:ECHILD"],
        run: wait_without_children,
    },
    Check {
        name: "wait4:WIFSIGNALED-segfault",
        covers: &["wait4:WIFSIGNALED"],
        run: segfault_is_signalled,
    },
    Check {
        name: "waitpid:zombie-reaped-once",
        covers: &["waitpid:reaped"],
        run: zombie_reaped_once,
    },
    Check {
        name: "process-server:forged-founder-refused",
        covers: &[],
        run: forged_founder_refused,
    },
    Check {
        name: "process-server:register-needs-environment",
        covers: &[],
        run: register_needs_environment,
    },
    Check {
        name: "wait4:EINVAL-options",
        covers: &["wait4:EINVAL"],
        run: wait4_bad_options,
    },
];

fn expect_exit(pid: i32, expected: i32) -> CheckOutcome {
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if collected != pid {
        return Err(format!("waitpid returned {collected}, expected {pid}"));
    }
    if !WIFEXITED(status) || WEXITSTATUS(status) != expected {
        return Err(format!("status {status:#x}, expected exit {expected}"));
    }
    Ok(())
}

fn getpid_is_stable() -> CheckOutcome {
    let first = getpid().map_err(|e| format!("getpid: {e:?}"))?;
    let second = getpid().map_err(|e| format!("getpid: {e:?}"))?;
    if first <= 1 || first != second {
        return Err(format!("pids {first} and {second}"));
    }
    // A child's pid differs from ours.
    let child = start_pid("exit", "0")?;
    if child == first || child <= 1 {
        return Err(format!("child pid {child}, ours {first}"));
    }
    expect_exit(child, 0)
}

fn child_sees_parent() -> CheckOutcome {
    let ours = getpid().map_err(|e| format!("getpid: {e:?}"))?;
    let parent = getppid().map_err(|e| format!("getppid: {e:?}"))?;
    if parent < 1 || parent == ours {
        return Err(format!("our parent is {parent}"));
    }
    let child = start_pid("ppid", &format!("{ours}"))?;
    expect_exit(child, 0)
}

fn waitpid_collects_status() -> CheckOutcome {
    let child = start_pid("exit", "42")?;
    expect_exit(child, 42)?;
    let child = start_pid("exit", "0")?;
    expect_exit(child, 0)
}

fn wait4_any_child() -> CheckOutcome {
    let first = start_pid("exit", "3")?;
    let second = start_pid("exit", "4")?;
    let mut seen = [false; 2];
    for _ in 0..2 {
        let mut status = 0;
        let pid = wait4(-1, Some(&mut status), 0, None).map_err(|e| format!("wait4: {e:?}"))?;
        let (index, code) = if pid == first {
            (0, 3)
        } else if pid == second {
            (1, 4)
        } else {
            return Err(format!("wait4 returned unknown pid {pid}"));
        };
        if seen[index] || !WIFEXITED(status) || WEXITSTATUS(status) != code {
            return Err(format!("pid {pid}: status {status:#x}"));
        }
        seen[index] = true;
    }
    Ok(())
}

fn waitpid_no_hang() -> CheckOutcome {
    let child = start_pid("sleep", "300")?;
    let mut status = -1;
    match waitpid(child, Some(&mut status), WNOHANG) {
        Ok(0) => {}
        other => return Err(format!("WNOHANG on a running child: {other:?}")),
    }
    expect_exit(child, 0)
}

fn waitpid_not_a_child() -> CheckOutcome {
    // init (pid 1) and our parent exist but are not our children: the server refuses.
    let parent = getppid().map_err(|e| format!("getppid: {e:?}"))?;
    for pid in [1, parent, getpid().unwrap_or(0), 999_999] {
        match waitpid(pid, None, WNOHANG) {
            Err(Errno::ECHILD) => {}
            other => return Err(format!("waitpid({pid}): {other:?}, expected ECHILD")),
        }
    }
    Ok(())
}

fn wait_without_children() -> CheckOutcome {
    match wait(None) {
        Err(Errno::ECHILD) => Ok(()),
        other => Err(format!("wait with no children: {other:?}")),
    }
}

fn segfault_is_signalled() -> CheckOutcome {
    let child = start_pid("segfault", "0")?;
    let mut status = 0;
    waitpid(child, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    if !WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV || WIFEXITED(status) {
        return Err(format!("status {status:#x}, expected killed by SIGSEGV"));
    }
    Ok(())
}

fn zombie_reaped_once() -> CheckOutcome {
    let child = start_pid("exit", "5")?;
    expect_exit(child, 5)?;
    match waitpid(child, None, 0) {
        Err(Errno::ECHILD) => Ok(()),
        other => Err(format!("second waitpid: {other:?}")),
    }
}

fn wait4_bad_options() -> CheckOutcome {
    let child = start_pid("exit", "0")?;
    let result = waitpid(child, None, 0x4000);
    if result != Err(Errno::EINVAL) {
        return Err(format!("unknown option bit: {result:?}"));
    }
    expect_exit(child, 0).map_err(|reason| String::from("after EINVAL: ") + &reason)
}

/// Talks to the process server directly, bypassing the LibOS: an answer's errno.
fn raw_request(operation: u64, transfer: Option<libos::abi::Slot>) -> Result<u64, String> {
    use libos::abi::{Call, OptionalSlot};
    let scratch = libos::slots::allocate().ok_or_else(|| String::from("no slot"))?;
    let reply = libos::kernel::call(Call::IpcCall {
        endpoint: libos::process::identity::PROCESS_SERVER,
        word0: operation,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(transfer),
        receive: OptionalSlot(Some(scratch)),
    });
    let _ = libos::kernel::call(Call::CapabilityDelete { slot: scratch });
    libos::slots::free(scratch);
    reply
        .map(|words| words[1])
        .map_err(|e| format!("call: {e:?}"))
}

/// Claiming to be init (pid 1) through our own badged endpoint is refused.
fn forged_founder_refused() -> CheckOutcome {
    let errno = raw_request(
        libos::process::protocol::FOUNDER,
        Some(libos::abi::initial::SELF_ENVIRONMENT),
    )?;
    if errno != Errno::EPERM.as_raw() as u64 {
        return Err(format!(
            "FOUNDER from a registered process answered {errno}"
        ));
    }
    if getpid() == Ok(1) {
        return Err(String::from("we became pid 1"));
    }
    Ok(())
}

/// Registering a "child" that is not an environment is refused.
fn register_needs_environment() -> CheckOutcome {
    let errno = raw_request(
        libos::process::protocol::REGISTER_CHILD,
        Some(libos::abi::initial::MEMORY_QUOTA),
    )?;
    if errno != Errno::EINVAL.as_raw() as u64 {
        return Err(format!("REGISTER_CHILD with a quota answered {errno}"));
    }
    let errno = raw_request(libos::process::protocol::REGISTER_CHILD, None)?;
    if errno != Errno::EINVAL.as_raw() as u64 {
        return Err(format!(
            "REGISTER_CHILD without a capability answered {errno}"
        ));
    }
    Ok(())
}
