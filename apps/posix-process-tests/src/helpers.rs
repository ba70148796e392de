//! The helper modes the checks start this program in, and starting them.

use alloc::format;
use alloc::string::String;

use libos::process::identity::getppid;
use libos::process::{Child, spawn};

/// Runs helper `mode` with its `argument`; returns the exit status.
pub fn run(mode: &str, argument: Option<&str>) -> i32 {
    let number = argument
        .and_then(|text| text.parse::<i64>().ok())
        .unwrap_or(0);
    match mode {
        "exit" => number as i32,
        "ppid" => i32::from(getppid() != Ok(number as i32)),
        "sleep" => {
            let end = libos::kernel::clock_nanoseconds() + number as u64 * 1_000_000;
            while libos::kernel::clock_nanoseconds() < end {
                libos::kernel::yield_now();
            }
            0
        }
        "spin" => {
            // Busy in user mode for MS milliseconds (no yielding: processor time, not waiting).
            let end = libos::kernel::clock_nanoseconds() + number as u64 * 1_000_000;
            while libos::runtime::clock::clock_monotonic() < end {
                core::hint::spin_loop();
            }
            0
        }
        "atexit-return" => {
            // Returning from main is exit: this handler ends the process with 44.
            let _ = libos::process::exit::atexit(|| libos::process::identity::_exit(44));
            0
        }
        "uid" => {
            let user = number as u32;
            i32::from(
                libos::process::credentials::getuid() != user
                    || libos::process::credentials::geteuid() != user,
            )
        }
        "nofile" => {
            let mut limit = libposix_sys::resource::Rlimit::default();
            let read = libos::process::limits::getrlimit(
                libposix_sys::resource::RLIMIT_NOFILE,
                &mut limit,
            );
            i32::from(read.is_err() || limit.rlim_cur != number as u64)
        }
        "setuid-sleep" => {
            if libos::process::credentials::setuid(number as u32).is_err() {
                return 5;
            }
            run("sleep", Some("20000"))
        }
        "kill-self" => {
            let _ = libos::process::identity::getpid()
                .and_then(|pid| libos::signal::kill(pid, libposix_sys::signal::SIGKILL));
            3
        }
        "segfault" => {
            // SAFETY: not sound on purpose: the kernel ends this helper with a page fault.
            let value = unsafe { core::ptr::read_volatile(0x10 as *const u64) };
            value as i32
        }
        _ => 2,
    }
}

/// Starts this program as helper `mode argument`.
///
/// # Errors
/// Why it could not be started.
pub fn start(mode: &str, argument: &str) -> Result<Child, String> {
    let command = format!("{} {mode} {argument}", crate::SELF_PATH);
    spawn(crate::SELF_PATH, &command, &[]).map_err(|error| format!("spawn {mode}: {error:?}"))
}

/// Starts helper `mode argument` and returns its pid.
///
/// # Errors
/// Why it could not be started, or that it got no pid.
pub fn start_pid(mode: &str, argument: &str) -> Result<i32, String> {
    // Adopted: wait4 collecting it gives its memory back.
    start(mode, argument)?.adopt().map_err(|child| {
        child.reap();
        String::from("the child got no pid")
    })
}
