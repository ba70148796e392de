//! Checks of resource limits: `getrlimit`/`setrlimit`/`prlimit64`, `RLIMIT_NOFILE` enforced by
//! the descriptor table, `RLIMIT_AS` by the memory calls, `RLIMIT_NPROC` by the process server
//! (per real user id), inheritance, and a fork bomb contained by `RLIMIT_NPROC`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::process::credentials::setuid;
use libos::process::identity::{_exit, getpid, waitpid};
use libos::process::limits::{getrlimit, prlimit64, setrlimit};
use libos::process::{execve, fork};
use libos::signal::kill;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_WRONLY};
use libposix_sys::mman::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
use libposix_sys::resource::{
    RLIM_INFINITY, RLIMIT_AS, RLIMIT_CPU, RLIMIT_NOFILE, RLIMIT_NPROC, Rlimit,
};
use libposix_sys::signal::SIGKILL;
use libposix_sys::time::Timespec;
use libposix_sys::wait::WEXITSTATUS;

use crate::in_child::{expect, in_child};

/// Every limit check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "getrlimit:defaults-and-EINVAL",
        covers: &["getrlimit", "getrlimit:EINVAL"],
        run: defaults,
    },
    Check {
        name: "setrlimit:RLIMIT_NOFILE-EMFILE",
        covers: &["setrlimit:RLIMIT_NOFILE"],
        run: || in_child("descriptor_limit"),
    },
    Check {
        name: "setrlimit:EPERM-raise-hard-EINVAL-soft-above-hard",
        covers: &["setrlimit:EPERM", "setrlimit:EINVAL"],
        run: || in_child("raising"),
    },
    Check {
        name: "setrlimit:RLIMIT_AS-ENOMEM",
        covers: &["setrlimit:RLIMIT_AS", "mmap:ENOMEM-RLIMIT_AS"],
        run: || in_child("address_space_limit"),
    },
    Check {
        name: "setrlimit:RLIMIT_NPROC-fork-EAGAIN",
        covers: &["setrlimit:RLIMIT_NPROC", "fork:EAGAIN"],
        run: || in_child("process_limit"),
    },
    Check {
        name: "prlimit64:own-process",
        covers: &["prlimit64", "prlimit64:EPERM-other-process"],
        run: || in_child("prlimit_own"),
    },
    Check {
        name: "setrlimit:inherited-by-fork-and-exec",
        covers: &["fork:limits", "execve:limits"],
        run: || in_child("limits_inherited"),
    },
    Check {
        name: "setrlimit:fork-bomb-contained-and-killed",
        covers: &["setrlimit:RLIMIT_NPROC-fork-bomb"],
        run: fork_bomb,
    },
];

/// The bodies run in a child (`in_child`), by name.
pub const BODIES: &[(&str, crate::in_child::Body)] = &[
    ("descriptor_limit", descriptor_limit),
    ("raising", raising),
    ("address_space_limit", address_space_limit),
    ("process_limit", process_limit),
    ("prlimit_own", prlimit_own),
    ("limits_inherited", limits_inherited),
    ("fork_bomb_top", fork_bomb_top),
];

fn limit(resource: u32) -> Result<Rlimit, String> {
    let mut value = Rlimit::default();
    getrlimit(resource, &mut value).map_err(|e| format!("getrlimit({resource}): {e:?}"))?;
    Ok(value)
}

fn set(resource: u32, soft: u64, hard: u64) -> Result<(), Errno> {
    setrlimit(
        resource,
        &Rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        },
    )
}

fn defaults() -> CheckOutcome {
    let descriptors = limit(RLIMIT_NOFILE)?;
    expect(
        "RLIMIT_NOFILE",
        (descriptors.rlim_cur, descriptors.rlim_max),
        (1024, 4096),
    )?;
    let memory = limit(RLIMIT_AS)?;
    expect("RLIMIT_AS", memory.rlim_cur, RLIM_INFINITY)?;
    let processes = limit(RLIMIT_NPROC)?;
    if processes.rlim_cur == 0 || processes.rlim_cur > processes.rlim_max {
        return Err(format!("RLIMIT_NPROC {processes:?}"));
    }
    let mut value = Rlimit::default();
    expect(
        "RLIMIT_CPU (not enforced)",
        getrlimit(RLIMIT_CPU, &mut value),
        Err(Errno::EINVAL),
    )?;
    expect("resource 99", getrlimit(99, &mut value), Err(Errno::EINVAL))
}

fn descriptor_limit(_: i32) -> Result<(), String> {
    set(RLIMIT_NOFILE, 6, 4096).map_err(|e| format!("setrlimit: {e:?}"))?;
    expect("getrlimit", limit(RLIMIT_NOFILE)?.rlim_cur, 6)?;
    let mut opened = Vec::new();
    let outcome = loop {
        match libos::io::descriptors::dup(0) {
            Ok(fd) if fd < 6 => opened.push(fd),
            Ok(fd) => break Err(format!("dup gave {fd}, at or above the limit 6")),
            Err(Errno::EMFILE) => break Ok(()),
            Err(error) => break Err(format!("dup: {error:?}")),
        }
    };
    outcome?;
    expect("descriptors 3..6 opened", opened.len(), 3)?;
    expect(
        "dup2 to 6",
        libos::io::descriptors::dup2(0, 6),
        Err(Errno::EBADF),
    )?;
    // Raising the soft limit again lets one more in.
    set(RLIMIT_NOFILE, 7, 4096).map_err(|e| format!("raising the soft limit: {e:?}"))?;
    expect("dup after raising", libos::io::descriptors::dup(0), Ok(6))
}

fn raising(_: i32) -> Result<(), String> {
    expect(
        "soft above hard",
        set(RLIMIT_NOFILE, 100, 50),
        Err(Errno::EINVAL),
    )?;
    expect(
        "NOFILE above the ceiling",
        set(RLIMIT_NOFILE, 10, 5000),
        Err(Errno::EPERM),
    )?;
    set(RLIMIT_NPROC, 100, 200).map_err(|e| format!("lowering: {e:?}"))?;
    // Root may raise the hard limit again.
    set(RLIMIT_NPROC, 100, 300).map_err(|e| format!("raising as root: {e:?}"))?;
    setuid(1000).map_err(|e| format!("setuid: {e:?}"))?;
    expect(
        "raising unprivileged",
        set(RLIMIT_NPROC, 100, 301),
        Err(Errno::EPERM),
    )?;
    // The soft limit may still move up to the hard one.
    set(RLIMIT_NPROC, 300, 300).map_err(|e| format!("soft up to hard: {e:?}"))?;
    set(RLIMIT_NPROC, 10, 20).map_err(|e| format!("lowering unprivileged: {e:?}"))?;
    expect(
        "raising back",
        set(RLIMIT_NPROC, 10, 300),
        Err(Errno::EPERM),
    )?;
    expect("NPROC now", limit(RLIMIT_NPROC)?.rlim_max, 20)
}

fn map(bytes: u64) -> Result<u64, Errno> {
    libos::memory::mmap(
        0,
        bytes,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    )
}

fn address_space_limit(_: i32) -> Result<(), String> {
    let first = map(64 * 1024).map_err(|e| format!("mmap before the limit: {e:?}"))?;
    // Whatever is mapped now, plus 256 KiB.
    let mapped: u64 = 256 * 1024 + current_mapped();
    set(RLIMIT_AS, mapped, RLIM_INFINITY).map_err(|e| format!("setrlimit: {e:?}"))?;
    expect(
        "mmap of 1 MiB over the limit",
        map(1024 * 1024).map(|_| ()),
        Err(Errno::ENOMEM),
    )?;
    let small = map(64 * 1024).map_err(|e| format!("mmap within the limit: {e:?}"))?;
    // Unmapping gives room back.
    let _ = libos::memory::munmap(first, 64 * 1024);
    let _ = libos::memory::munmap(small, 64 * 1024);
    map(256 * 1024)
        .map(|_| ())
        .map_err(|e| format!("mmap after munmap: {e:?}"))
}

/// What the LibOS holds mapped through `mmap` and `brk` (what `RLIMIT_AS` bounds).
fn current_mapped() -> u64 {
    libos::memory::mapped_bytes()
}

fn process_limit(_: i32) -> Result<(), String> {
    set(RLIMIT_NPROC, 3, 3).map_err(|e| format!("setrlimit: {e:?}"))?;
    // Root is not bound by RLIMIT_NPROC: become user 2000 first (this process counts).
    setuid(2000).map_err(|e| format!("setuid: {e:?}"))?;
    let mut children = Vec::new();
    let outcome = loop {
        match fork() {
            Ok(0) => {
                sleep_seconds(30);
                _exit(0);
            }
            Ok(pid) => children.push(pid),
            Err(Errno::EAGAIN) => break Ok(()),
            Err(error) => break Err(format!("fork: {error:?} after {}", children.len())),
        }
        if children.len() > 3 {
            break Err(String::from("more than 3 processes for one user"));
        }
    };
    for &child in &children {
        let _ = kill(child, SIGKILL);
        let _ = waitpid(child, None, 0);
    }
    outcome?;
    expect("children before EAGAIN", children.len(), 2)?;
    // Collected children no longer count.
    let pid = fork().map_err(|e| format!("fork after collecting: {e:?}"))?;
    if pid == 0 {
        _exit(0);
    }
    waitpid(pid, None, 0).map_err(|e| format!("waitpid: {e:?}"))?;
    Ok(())
}

fn sleep_seconds(seconds: i64) {
    let _ = libos::time::nanosleep(&Timespec {
        tv_sec: seconds,
        tv_nsec: 0,
    });
}

fn prlimit_own(_: i32) -> Result<(), String> {
    let mut old = Rlimit::default();
    let new = Rlimit {
        rlim_cur: 500,
        rlim_max: 600,
    };
    prlimit64(0, RLIMIT_NPROC, Some(&new), Some(&mut old))
        .map_err(|e| format!("prlimit64: {e:?}"))?;
    if old.rlim_cur == 0 {
        return Err(format!("old limit {old:?}"));
    }
    let mut now = Rlimit::default();
    let own = getpid().map_err(|e| format!("getpid: {e:?}"))?;
    prlimit64(own, RLIMIT_NPROC, None, Some(&mut now))
        .map_err(|e| format!("prlimit64(own pid): {e:?}"))?;
    expect("limit read back", now, new)?;
    expect(
        "prlimit64 on init",
        prlimit64(1, RLIMIT_NPROC, None, Some(&mut now)),
        Err(Errno::EPERM),
    )
}

fn limits_inherited(_: i32) -> Result<(), String> {
    set(RLIMIT_NOFILE, 100, 200).map_err(|e| format!("setrlimit: {e:?}"))?;
    let pid = fork().map_err(|e| format!("fork: {e:?}"))?;
    if pid == 0 {
        let kept = limit(RLIMIT_NOFILE).map(|l| (l.rlim_cur, l.rlim_max)) == Ok((100, 200));
        _exit(i32::from(!kept));
    }
    let mut status = 0;
    waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    expect("forked child's status (1: limit lost)", status, 0)?;
    let error = execve(crate::SELF_PATH, &[crate::SELF_PATH, "nofile", "100"], &[]);
    Err(format!("execve: {error:?}"))
}

/// The bomb's user.
const BOMB_USER: u32 = 3000;
/// Its `RLIMIT_NPROC`.
const BOMB_LIMIT: u64 = 4;

/// Where the bomb's top process writes what it saw (it must stay alive: its children's memory
/// is part of its own).
const BOMB_REPORT: &str = "/tmp/fork-bomb-report";

/// Nested fork bomb: a child (started afresh, so it has a budget of its own) becomes user 3000
/// under `RLIMIT_NPROC` 4, and each of its processes forks until refused, then sleeps. The
/// bomb's top process checks that it was refused with `EAGAIN` and that the servers still
/// answer, and says so in a file; its parent (this check) checks that it can still fork and
/// reach the file server, then kills the whole tree and sees every process of it end.
fn fork_bomb() -> CheckOutcome {
    let _ = libos::fs::unlink(BOMB_REPORT);
    let bomb = crate::helpers::start_pid("child", "fork_bomb_top 0")?;
    let report = wait_for_report();
    // The system is responsive for the others: we can still fork, and the servers answer.
    let responsive = (|| {
        let probe = fork().map_err(|e| format!("fork beside the bomb: {e:?}"))?;
        if probe == 0 {
            _exit(0);
        }
        waitpid(probe, None, 0).map_err(|e| format!("waitpid(probe): {e:?}"))?;
        libos::fs::stat("/bin")
            .map(|_| ())
            .map_err(|e| format!("the file server beside the bomb: {e:?}"))
    })();
    let killed = kill_user_processes(BOMB_USER, bomb - 1);
    let mut status = 0;
    let collected = waitpid(bomb, Some(&mut status), 0);
    let _ = libos::fs::unlink(BOMB_REPORT);
    expect(
        "the bomb's report",
        report.as_str(),
        "EAGAIN, servers answer",
    )?;
    responsive?;
    let killed = killed?;
    expect("the top, killed", (collected, status), (Ok(bomb), SIGKILL))?;
    // The top and at least one more, at most the limit.
    if !(2..=BOMB_LIMIT).contains(&killed) {
        return Err(format!(
            "{killed} bomb processes killed, expected 2..={BOMB_LIMIT}"
        ));
    }
    Ok(())
}

/// The bomb's report, once written (at most ten seconds).
fn wait_for_report() -> String {
    let end = libos::kernel::clock_nanoseconds() + 10_000_000_000;
    while libos::kernel::clock_nanoseconds() < end {
        if let Ok(fd) = libos::fs::open(BOMB_REPORT, O_RDONLY, 0) {
            let mut buffer = [0u8; 64];
            let count = libos::io::descriptors::read(fd, &mut buffer).unwrap_or(0);
            let _ = libos::io::descriptors::close(fd);
            if count > 0 && buffer[count - 1] == b'.' {
                return String::from_utf8_lossy(&buffer[..count - 1]).into_owned();
            }
        }
        sleep_milliseconds(20);
    }
    String::from("no report")
}

fn sleep_milliseconds(milliseconds: i64) {
    let _ = libos::time::nanosleep(&Timespec {
        tv_sec: 0,
        tv_nsec: milliseconds * 1_000_000,
    });
}

/// The bomb's top process: reports, then stays (its children live on its memory).
fn fork_bomb_top(_: i32) -> Result<(), String> {
    set(RLIMIT_NPROC, BOMB_LIMIT, BOMB_LIMIT).map_err(|e| format!("setrlimit: {e:?}"))?;
    setuid(BOMB_USER).map_err(|e| format!("setuid: {e:?}"))?;
    let mut refused = None;
    let mut is_top = true;
    let mut other_errors = 0;
    while refused.is_none() {
        match fork() {
            Ok(0) => is_top = false,
            Ok(_) => {}
            Err(Errno::EAGAIN) => refused = Some(Errno::EAGAIN),
            // Out of memory (a child's budget is a part of its parent's): try a few times.
            Err(error) if other_errors < 100 => {
                other_errors += 1;
                if !is_top && other_errors > 3 {
                    refused = Some(error);
                }
                libos::kernel::yield_now();
            }
            Err(error) => refused = Some(error),
        }
    }
    if is_top {
        let report = match (
            refused,
            limit(RLIMIT_NPROC).is_ok(),
            libos::fs::stat("/bin").is_ok(),
        ) {
            (Some(Errno::EAGAIN), true, true) => String::from("EAGAIN, servers answer."),
            (refused, process_server, file_server) => format!(
                "refused with {refused:?}, process server {process_server}, file server {file_server}."
            ),
        };
        let fd = libos::fs::open(BOMB_REPORT, O_CREAT | O_WRONLY, 0o644)
            .map_err(|e| format!("report: {e:?}"))?;
        let _ = libos::io::descriptors::write(fd, report.as_bytes());
        let _ = libos::io::descriptors::close(fd);
    }
    // Hold the place until killed.
    loop {
        sleep_seconds(60);
    }
}

/// Kills every process of `user` with a pid above `first`: a killer running as that user may
/// signal exactly those (`kill` permission by user id), so probing pids finds the bomb's tree
/// and nothing else. Waits until init has reaped them all. Answers how many it killed.
fn kill_user_processes(user: u32, first: i32) -> Result<u64, String> {
    use core::sync::atomic::{AtomicI32, Ordering};
    static USER: AtomicI32 = AtomicI32::new(0);
    static FIRST: AtomicI32 = AtomicI32::new(0);
    USER.store(user as i32, Ordering::Relaxed);
    FIRST.store(first, Ordering::Relaxed);
    let killer = fork().map_err(|e| format!("fork(killer): {e:?}"))?;
    if killer == 0 {
        if setuid(USER.load(Ordering::Relaxed) as u32).is_err() {
            _exit(255);
        }
        let own = getpid().unwrap_or(0);
        let mut killed = 0;
        let mut alive: Vec<i32> = Vec::new();
        // Sweep until a sweep finds nothing: a bomb process may fork once more meanwhile.
        loop {
            let mut found = 0;
            for pid in FIRST.load(Ordering::Relaxed) + 1..own + 64 {
                if pid != own && kill(pid, SIGKILL).is_ok() {
                    found += 1;
                    alive.push(pid);
                }
            }
            killed += found;
            if found == 0 {
                break;
            }
        }
        // Every one of them ended (init collects the orphans).
        for _ in 0..2000 {
            if alive.iter().all(|&pid| kill(pid, 0) == Err(Errno::ESRCH)) {
                _exit(killed.min(250));
            }
            libos::kernel::yield_now();
        }
        _exit(254);
    }
    let mut status = 0;
    waitpid(killer, Some(&mut status), 0).map_err(|e| format!("waitpid(killer): {e:?}"))?;
    match WEXITSTATUS(status) {
        255 => Err(String::from("the killer could not become the bomb's user")),
        254 => Err(String::from("killed bomb processes did not all end")),
        count => Ok(count as u64),
    }
}
