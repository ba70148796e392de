//! Background jobs and signals: `wait`, `kill`, `jobs`.

use libos::signal::kill as send_signal;
use libposix_sys::errno::Errno;

use crate::process::wait_for;
use crate::shell::Shell;
use crate::{complain, out};

/// The signals by name, as `kill -l` lists them.
const SIGNALS: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// A signal from a name (`TERM`, `SIGTERM`, any case) or a number.
fn signal_number(text: &str) -> Option<i32> {
    if let Ok(number) = text.parse::<i32>() {
        return (0..=64).contains(&number).then_some(number);
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    SIGNALS
        .iter()
        .find(|(candidate, _)| *candidate == name)
        .map(|&(_, number)| number)
}

/// A pid from `123` or a job `%n`.
fn process_id(shell: &Shell, text: &str) -> Option<i32> {
    match text.strip_prefix('%') {
        Some(job) => {
            let index: usize = job.parse().ok()?;
            shell.jobs.get(index.checked_sub(1)?).map(|job| job.pid)
        }
        None => text.parse().ok(),
    }
}

/// `kill [-s signal | -signal] pid…` and `kill -l [status]`.
pub fn kill(shell: &mut Shell, arguments: &[&str]) -> i32 {
    let mut signal = libposix_sys::signal::SIGTERM;
    let mut rest = arguments;
    match rest.first() {
        Some(&"-l") => {
            if let Some(status) = rest.get(1) {
                let number = status
                    .parse::<i32>()
                    .ok()
                    .map(|n| if n > 128 { n - 128 } else { n });
                match SIGNALS
                    .iter()
                    .find(|&&(_, candidate)| Some(candidate) == number)
                {
                    Some((name, _)) => {
                        out!("{name}\n");
                        return 0;
                    }
                    None => {
                        complain!("kill: {status}: no such signal");
                        return 1;
                    }
                }
            }
            let names: alloc::vec::Vec<&str> = SIGNALS.iter().map(|&(name, _)| name).collect();
            out!("{}\n", names.join(" "));
            return 0;
        }
        Some(&"-s") => {
            let Some(number) = rest.get(1).and_then(|name| signal_number(name)) else {
                complain!("kill: -s needs a signal name");
                return 2;
            };
            signal = number;
            rest = &rest[2..];
        }
        Some(&"--") => rest = &rest[1..],
        Some(option) if option.starts_with('-') && option.len() > 1 => {
            let Some(number) = signal_number(&option[1..]) else {
                complain!("kill: {option}: no such signal");
                return 2;
            };
            signal = number;
            rest = &rest[1..];
            if rest.first() == Some(&"--") {
                rest = &rest[1..];
            }
        }
        _ => {}
    }
    if rest.is_empty() {
        complain!("kill: usage: kill [-s signal | -signal] pid… | kill -l [status]");
        return 2;
    }
    let mut status = 0;
    for target in rest {
        let Some(pid) = process_id(shell, target) else {
            complain!("kill: {target}: arguments must be process or job IDs");
            status = 1;
            continue;
        };
        if let Err(error) = send_signal(pid, signal) {
            complain!("kill: ({pid}): {}", error.description());
            status = 1;
        }
    }
    status
}

/// `wait [pid…]`: waits for the given children (`%n` jobs too), answering the last one's
/// status (127 for one that is not a child); without arguments, for every background job.
pub fn wait(shell: &mut Shell, arguments: &[&str]) -> i32 {
    if arguments.is_empty() {
        for job in core::mem::take(&mut shell.jobs) {
            let _ = wait_for(job.pid);
        }
        return 0;
    }
    let mut status = 0;
    for argument in arguments {
        let Some(pid) = process_id(shell, argument) else {
            complain!("wait: {argument}: not a pid or job");
            status = 127;
            continue;
        };
        let known = shell.jobs.iter().any(|job| job.pid == pid);
        let mut wait_status = 0;
        status = match libos::process::identity::waitpid(pid, Some(&mut wait_status), 0) {
            Ok(_) => crate::process::status_of(wait_status),
            Err(Errno::ECHILD) if !known => 127,
            Err(error) => {
                complain!("wait: {pid}: {}", error.description());
                127
            }
        };
        shell.jobs.retain(|job| job.pid != pid);
    }
    status
}

/// `jobs`: the jobs not yet waited for, running or stopped.
pub fn jobs(shell: &mut Shell) -> i32 {
    for (index, job) in shell.jobs.iter().enumerate() {
        let state = if job.stopped { "Stopped" } else { "Running" };
        out!("[{}] {state} {}\n", index + 1, job.text);
    }
    0
}
