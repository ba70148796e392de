//! Job control in an interactive shell on a terminal (XCU 2.11): each pipeline runs in a
//! process group of its own, which the shell makes the terminal's foreground group while it
//! waits (so `^C`, `^\` and `^Z` reach the job and not the shell), waiting with `WUNTRACED`; a
//! job stopped by `^Z` is kept in the job table as Stopped, and `fg`, `bg` and `jobs` (with `%N`)
//! act on the table. The terminal's owner and foreground group are the process server's, so
//! every step here is a call a program could make: `setpgid` (done by `posix_spawn` with
//! `POSIX_SPAWN_SETPGROUP` before the program runs), `tcsetpgrp`, `kill(-group, SIGCONT)`.

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use libos::io::{fcntl, tcgetpgrp, tcsetpgrp};
use libos::process::identity::{getpgrp, getpid, setpgid};
use libposix_sys::fcntl::F_DUPFD_CLOEXEC;
use libposix_sys::signal::{
    SIG_BLOCK, SIG_SETMASK, SIGCONT, SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SignalSet,
};

use crate::redirect::FIRST_PRIVATE_FD;
use crate::shell::{Flow, Job, Shell};
use crate::{complain, out};

/// Set in the interactive shell with job control (never in its forked children): waits report
/// stopped children too.
static REPORT_STOPS: AtomicBool = AtomicBool::new(false);
/// The processes a wait found stopped since the current job started.
static STOPPED: spin::Mutex<Vec<i32>> = spin::Mutex::new(Vec::new());

/// The shell's own side of job control.
#[derive(Clone, Copy, Debug)]
pub struct Control {
    /// A descriptor of the terminal the shell keeps for itself (close-on-exec).
    pub terminal: i32,
    /// The shell's own process group.
    pub group: i32,
}

/// The job being started: its group once its first process exists, and its processes.
#[derive(Clone, Debug, Default)]
pub struct Starting {
    /// 0 until the first process made the group.
    pub group: i32,
    /// Every process started for it.
    pub pids: Vec<i32>,
    /// Whether the job runs in the foreground (gets the terminal).
    pub foreground: bool,
}

/// Whether waits should report stops (and record them for the job being waited for).
#[must_use]
pub fn reports_stops() -> bool {
    REPORT_STOPS.load(Ordering::Relaxed)
}

/// A wait found `pid` stopped.
pub fn note_stopped(pid: i32) {
    STOPPED.lock().push(pid);
}

/// Turns job control on when standard input is the shell's controlling terminal: the shell
/// leads a process group of its own and holds the terminal's foreground.
pub fn enable(shell: &mut Shell) {
    if tcgetpgrp(0).is_err() {
        return;
    }
    let Ok(terminal) = fcntl(0, F_DUPFD_CLOEXEC, FIRST_PRIVATE_FD) else {
        return;
    };
    let terminal = terminal as i32;
    if let Ok(pid) = getpid() {
        // Already so when init started us as the foreground command; a session leader cannot.
        let _ = setpgid(0, pid);
    }
    let Ok(group) = getpgrp() else {
        return;
    };
    let control = Control { terminal, group };
    // The terminal's signals are for the job in the foreground: while the shell itself holds
    // the terminal, a `^C` (or a stop) must not end or stop it. Caught rather than ignored: a
    // caught signal is back at its default action in every program the shell starts, an
    // ignored one would stay ignored there.
    for signal in [SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU] {
        let _ = libos::signal::signal(signal, shell_signal_noticed as *const () as usize);
    }
    take_terminal(control);
    shell.job_control = Some(control);
    REPORT_STOPS.store(true, Ordering::Relaxed);
}

/// The handler of the terminal's signals in the job-control shell: nothing to do (a wait it
/// interrupts is asked again).
extern "C" fn shell_signal_noticed(_signal: i32) {}

/// Makes the shell's group the foreground one again, with `SIGTTOU` blocked (the shell is in
/// the background while it does so).
fn take_terminal(control: Control) {
    give_terminal(control, control.group);
}

fn give_terminal(control: Control, group: i32) {
    let mut old = SignalSet::EMPTY;
    let blocked = SignalSet::EMPTY.with(SIGTTOU);
    let _ = libos::signal::sigprocmask(SIG_BLOCK, Some(&blocked), Some(&mut old));
    let _ = tcsetpgrp(control.terminal, group);
    let _ = libos::signal::sigprocmask(SIG_SETMASK, Some(&old), None);
}

/// For a program about to be spawned for the job being started: the group it joins (0: a new
/// one) and, for a foreground job, the terminal descriptor to give that group.
#[must_use]
pub fn spawn_group(shell: &Shell) -> Option<(i32, Option<i32>)> {
    let control = shell.job_control?;
    let starting = shell.starting.as_ref()?;
    Some((
        starting.group,
        (starting.foreground && starting.group == 0).then_some(control.terminal),
    ))
}

/// A process was started for the job being started.
pub fn started(shell: &mut Shell, pid: i32) {
    if let Some(starting) = &mut shell.starting {
        if starting.group == 0 {
            starting.group = pid;
        }
        starting.pids.push(pid);
    }
}

/// In a forked child of the job being started: joins its group (the parent does so too, so
/// either order works) and leaves job control to the interactive shell.
pub fn forked_child(shell: &mut Shell) {
    if shell.job_control.take().is_some() {
        REPORT_STOPS.store(false, Ordering::Relaxed);
        if let Some(starting) = shell.starting.take() {
            let _ = setpgid(0, starting.group);
        }
    }
}

/// In the shell after forking `pid` for the job being started.
pub fn forked_parent(shell: &mut Shell, pid: i32) {
    let Some(control) = shell.job_control else {
        return;
    };
    let Some(starting) = &shell.starting else {
        return;
    };
    let group = if starting.group == 0 {
        pid
    } else {
        starting.group
    };
    let _ = setpgid(pid, group);
    if starting.foreground && starting.group == 0 {
        give_terminal(control, group);
    }
    started(shell, pid);
}

/// Runs `body` (which starts and waits for a pipeline) as a job: in the foreground, or (with
/// `background`) recorded and not waited for. A foreground job stopped by `^Z` goes to the
/// table as Stopped; either way the shell takes the terminal back.
pub fn run_job(
    shell: &mut Shell,
    text: String,
    background: bool,
    body: impl FnOnce(&mut Shell) -> Flow,
) -> Flow {
    let Some(control) = shell.job_control else {
        return body(shell);
    };
    let saved = shell.starting.replace(Starting {
        foreground: !background,
        ..Starting::default()
    });
    STOPPED.lock().clear();
    let flow = body(shell);
    let starting = core::mem::replace(&mut shell.starting, saved).unwrap_or_default();
    if background || starting.pids.is_empty() {
        return flow;
    }
    take_terminal(control);
    if shell.status == 128 + libposix_sys::signal::SIGINT {
        // After the `^C` the terminal echoed: the prompt starts a line of its own.
        out!("\n");
    }
    let stopped = !core::mem::take(&mut *STOPPED.lock()).is_empty();
    if stopped {
        out!("\n");
        let number = add_job(shell, starting.group, starting.pids, text, true);
        print_job(shell, number);
    }
    flow
}

/// Adds a job to the table; answers its number.
pub fn add_job(
    shell: &mut Shell,
    group: i32,
    pids: Vec<i32>,
    text: String,
    stopped: bool,
) -> usize {
    let pid = pids.last().copied().unwrap_or(group);
    shell.jobs.push(Job {
        pid,
        pids,
        group,
        stopped,
        text,
    });
    shell.jobs.len()
}

fn print_job(shell: &Shell, number: usize) {
    if let Some(job) = shell.jobs.get(number - 1) {
        let state = if job.stopped { "Stopped" } else { "Running" };
        out!("[{number}]+ {state} {}\n", job.text);
    }
}

/// The job `%N` (or the last one without an argument): its index in the table.
fn job_index(shell: &Shell, name: &str, argument: Option<&str>) -> Option<usize> {
    let index = match argument {
        None => shell.jobs.len().checked_sub(1),
        Some(text) => text
            .strip_prefix('%')
            .unwrap_or(text)
            .parse::<usize>()
            .ok()
            .and_then(|number| number.checked_sub(1)),
    };
    let found = index.filter(|&index| index < shell.jobs.len());
    if found.is_none() {
        complain!("{name}: {}: no such job", argument.unwrap_or("current"));
    }
    found
}

/// `fg [%N]`: continues the job in the foreground and waits for it.
pub fn fg(shell: &mut Shell, arguments: &[&str]) -> i32 {
    let Some(control) = shell.job_control else {
        complain!("fg: no job control");
        return 1;
    };
    let Some(index) = job_index(shell, "fg", arguments.first().copied()) else {
        return 1;
    };
    let job = shell.jobs.remove(index);
    out!("{}\n", job.text);
    give_terminal(control, job.group);
    let _ = libos::signal::kill(-job.group, SIGCONT);
    STOPPED.lock().clear();
    let mut status = 0;
    let mut remaining = Vec::new();
    for &pid in &job.pids {
        status = crate::process::wait_for(pid);
        if STOPPED.lock().contains(&pid) {
            remaining.push(pid);
        }
    }
    take_terminal(control);
    if !remaining.is_empty() {
        out!("\n");
        let number = add_job(shell, job.group, remaining, job.text, true);
        print_job(shell, number);
    }
    status
}

/// `bg [%N]`: continues a stopped job in the background.
pub fn bg(shell: &mut Shell, arguments: &[&str]) -> i32 {
    if shell.job_control.is_none() {
        complain!("bg: no job control");
        return 1;
    }
    let Some(index) = job_index(shell, "bg", arguments.first().copied()) else {
        return 1;
    };
    let group = shell.jobs[index].group;
    if let Err(error) = libos::signal::kill(-group, SIGCONT) {
        complain!("bg: {}", error.description());
        return 1;
    }
    shell.jobs[index].stopped = false;
    out!("[{}] {} &\n", index + 1, shell.jobs[index].text);
    0
}
