//! `/proc`: every fact about another process comes from the process server, so these checks
//! compare what `/proc` says with what the process calls and a forked or spawned child show,
//! and try the server's `SET_COMMAND` with raw, malformed messages.

use alloc::string::String;
use alloc::vec::Vec;

use libos::abi::{Call, OptionalSlot};
use libos::fs::{getdents64, newfstatat, open, readlink, statfs, unlink};
use libos::io::{close, read, write};
use libos::kernel::call;
use libos::process::identity::{_exit, getpgrp, getpid, getppid, getsid, waitpid};
use libos::process::{fork, protocol};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CREAT, O_RDONLY, O_RDWR, O_WRONLY};
use libposix_sys::mode::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};

use crate::ensure;

/// A whole (small) file's bytes.
fn read_file(path: &str) -> Result<Vec<u8>, Errno> {
    let fd = open(path, O_RDONLY, 0)?;
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 512];
    let result = loop {
        match read(fd, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(count) => bytes.extend_from_slice(&buffer[..count]),
            Err(error) => break Err(error),
        }
    };
    let _ = close(fd);
    result.map(|()| bytes)
}

fn read_text(path: &str) -> Result<String, String> {
    read_file(path)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .map_err(|error| alloc::format!("reading {path}: {error}"))
}

/// The names in a directory (without `.` and `..`).
fn names(path: &str) -> Result<Vec<String>, String> {
    let fd = open(path, O_RDONLY | libposix_sys::fcntl::O_DIRECTORY, 0)
        .map_err(|error| alloc::format!("open {path}: {error}"))?;
    let mut names = Vec::new();
    let mut buffer = [0u8; 256];
    let result = loop {
        let length = match getdents64(fd, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(length) => length,
            Err(error) => break Err(alloc::format!("getdents64 {path}: {error}")),
        };
        let mut offset = 0;
        while offset < length {
            let Some((entry, name)) = libposix_sys::dirent::decode(&buffer[offset..length]) else {
                break;
            };
            offset += usize::from(entry.d_reclen).max(1);
            let name = String::from_utf8_lossy(name).into_owned();
            if name != "." && name != ".." {
                names.push(name);
            }
        }
    };
    let _ = close(fd);
    result.map(|()| names)
}

/// The fields of a `stat` line after the name: `[state, ppid, pgrp, session, …]` (Linux's
/// field 3 onwards), and the name.
fn stat_fields(line: &str) -> Result<(String, Vec<String>), String> {
    let open = line.find('(').ok_or("no (")?;
    let close = line.rfind(')').ok_or("no )")?;
    let fields = line[close + 1..]
        .split_whitespace()
        .map(String::from)
        .collect();
    Ok((String::from(&line[open + 1..close]), fields))
}

/// A forked child parked on a pipe nobody writes to, until [`end_child`].
struct Parked {
    pid: i32,
    /// Our write end of the pipe it reads: kept open so that its read never ends.
    park: i32,
}

/// Forks a child that runs `body` and then waits (reading a pipe that never gets data) until
/// it is killed; the parent gets it once `body` is done (one byte on a second pipe).
fn parked_child(body: fn() -> bool) -> Result<Parked, String> {
    let [ready_read, ready_write] =
        libos::io::pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let [park_read, park_write] =
        libos::io::pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
    let child = fork().map_err(|error| alloc::format!("fork: {error}"))?;
    if child == 0 {
        let _ = close(ready_read);
        let _ = close(park_write);
        let ok = body();
        let _ = write(ready_write, if ok { b"y" } else { b"n" });
        let mut byte = [0u8; 1];
        let _ = read(park_read, &mut byte);
        _exit(0);
    }
    let _ = close(ready_write);
    let _ = close(park_read);
    let mut byte = [0u8; 1];
    let got = read(ready_read, &mut byte);
    let _ = close(ready_read);
    let parked = Parked {
        pid: child,
        park: park_write,
    };
    if got != Ok(1) || byte[0] != b'y' {
        end_parked(&parked);
        return Err(String::from("the child's set-up failed"));
    }
    Ok(parked)
}

fn end_parked(parked: &Parked) {
    end_child(parked.pid);
    let _ = close(parked.park);
}

fn end_child(child: i32) {
    let _ = libos::signal::kill(child, libposix_sys::signal::SIGKILL);
    let mut status = 0;
    let _ = waitpid(child, Some(&mut status), 0);
}

/// `/proc/self` is a link to the caller's pid, resolved in each process for itself.
pub const SELF_LINK: Check = Check {
    name: "proc-self-link",
    covers: &["proc:self-link"],
    run: self_link,
};

fn self_link() -> CheckOutcome {
    let pid = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    let mut buffer = [0u8; 32];
    let length = readlink("/proc/self", &mut buffer)
        .map_err(|error| alloc::format!("readlink /proc/self: {error}"))?;
    ensure!(
        buffer[..length] == *alloc::format!("{pid}").as_bytes(),
        "/proc/self -> {:?}, pid {pid}",
        String::from_utf8_lossy(&buffer[..length])
    );
    let link = newfstatat(AT_FDCWD, "/proc/self", AT_SYMLINK_NOFOLLOW)
        .map_err(|error| alloc::format!("lstat: {error}"))?;
    ensure!(
        link.st_mode & S_IFMT == S_IFLNK,
        "lstat mode {:o}",
        link.st_mode
    );
    let directory =
        newfstatat(AT_FDCWD, "/proc/self/", 0).map_err(|error| alloc::format!("stat: {error}"))?;
    ensure!(
        directory.st_mode & S_IFMT == S_IFDIR,
        "stat mode {:o}",
        directory.st_mode
    );
    let file = newfstatat(AT_FDCWD, "/proc/self/stat", 0)
        .map_err(|error| alloc::format!("stat stat: {error}"))?;
    ensure!(
        file.st_mode == S_IFREG | 0o444 && file.st_uid == libos::process::credentials::geteuid(),
        "/proc/self/stat mode {:o} owner {}",
        file.st_mode,
        file.st_uid
    );
    // A forked child's /proc/self is its own pid.
    let child = fork().map_err(|error| alloc::format!("fork: {error}"))?;
    if child == 0 {
        let mut buffer = [0u8; 32];
        let own = getpid().unwrap_or(0);
        let same = readlink("/proc/self", &mut buffer)
            .is_ok_and(|length| buffer[..length] == *alloc::format!("{own}").as_bytes());
        _exit(if same { 0 } else { 1 });
    }
    let mut status = 0;
    let _ = waitpid(child, Some(&mut status), 0);
    ensure!(status == 0, "the child's /proc/self was not its pid");
    ensure!(
        readlink("/proc/self/stat", &mut buffer) == Err(Errno::EINVAL),
        "readlink of a file is not EINVAL"
    );
    Ok(())
}

/// `/proc/PID/stat`: Linux's 52 fields, the ids the process calls give, a child's state and
/// parent from the server, `Z` once it has ended and not been collected.
pub const PID_STAT_FIELDS: Check = Check {
    name: "proc-pid-stat-fields",
    covers: &["proc:pid-stat-fields"],
    run: pid_stat_fields,
};

fn pid_stat_fields() -> CheckOutcome {
    let pid = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    let line = read_text(&alloc::format!("/proc/{pid}/stat"))?;
    ensure!(line.ends_with('\n'), "no newline: {line:?}");
    ensure!(
        line.starts_with(&alloc::format!("{pid} (")),
        "starts {line:?}"
    );
    let (name, fields) = stat_fields(&line)?;
    ensure!(
        fields.len() == 50,
        "{} fields after the name: {line:?}",
        fields.len() + 2
    );
    ensure!(name == "posix-file-test", "comm {name:?}");
    ensure!(fields[0] == "R", "own state {}", fields[0]);
    let expected = [
        getppid().unwrap_or(-9),
        getpgrp().unwrap_or(-9),
        getsid(0).unwrap_or(-9),
    ];
    for (index, value) in expected.iter().enumerate() {
        ensure!(
            fields[1 + index] == alloc::format!("{value}"),
            "field {} is {}, expected {value}",
            index + 4,
            fields[1 + index]
        );
    }
    // Field 22, the start time in ticks since boot, is before now.
    let start: u64 = fields[19].parse().map_err(|_| "starttime")?;
    let now = libos::clock::clock_monotonic() / 10_000_000;
    ensure!(start <= now, "starttime {start} after now {now}");
    // Field 38 exit_signal is SIGCHLD.
    ensure!(fields[35] == "17", "exit_signal {}", fields[35]);

    let parked = parked_child(|| true)?;
    let child = parked.pid;
    let child_line = read_text(&alloc::format!("/proc/{child}/stat"));
    end_parked(&parked);
    let (child_name, child_fields) = stat_fields(&child_line?)?;
    ensure!(child_name == name, "a fork keeps the name: {child_name:?}");
    ensure!(
        child_fields[1] == alloc::format!("{pid}"),
        "the child's ppid is {}",
        child_fields[1]
    );
    ensure!(
        child_fields[0] == "S" || child_fields[0] == "R",
        "a parked child's state {}",
        child_fields[0]
    );
    let child_start: u64 = child_fields[19].parse().map_err(|_| "child starttime")?;
    ensure!(child_start >= start, "the child started before us");

    // A child that has ended but is not collected is a zombie.
    let zombie = fork().map_err(|error| alloc::format!("fork: {error}"))?;
    if zombie == 0 {
        _exit(7);
    }
    let path = alloc::format!("/proc/{zombie}/stat");
    let mut state = String::new();
    for _ in 0..200 {
        let line = read_text(&path)?;
        let (_, fields) = stat_fields(&line)?;
        state = fields[0].clone();
        if state == "Z" {
            ensure!(
                fields.last().map(String::as_str) == Some("1792"),
                "exit_code of the zombie: {line:?}"
            );
            break;
        }
        let _ = libos::time::nanosleep(&libposix_sys::time::Timespec {
            tv_sec: 0,
            tv_nsec: 5_000_000,
        });
    }
    let mut status = 0;
    let _ = waitpid(zombie, Some(&mut status), 0);
    ensure!(state == "Z", "an ended child's state stayed {state}");
    ensure!(
        read_file(&path) == Err(Errno::ENOENT),
        "a collected child's stat is still there"
    );
    Ok(())
}

/// `/proc/PID/cmdline`: the NUL-separated arguments a spawned program and an `execve` were
/// given (told to the server by the spawning parent and by the process itself); `comm` is the
/// program's name.
pub const CMDLINE: Check = Check {
    name: "proc-cmdline",
    covers: &["proc:cmdline"],
    run: command_line,
};

fn wait_for_command(pid: i32, expected: &[u8]) -> Result<(), String> {
    let path = alloc::format!("/proc/{pid}/cmdline");
    let mut seen = Vec::new();
    for _ in 0..400 {
        seen = read_file(&path).map_err(|error| alloc::format!("{path}: {error}"))?;
        if seen == expected {
            return Ok(());
        }
        let _ = libos::time::nanosleep(&libposix_sys::time::Timespec {
            tv_sec: 0,
            tv_nsec: 5_000_000,
        });
    }
    let stat = read_text(&alloc::format!("/proc/{pid}/stat")).unwrap_or_default();
    Err(alloc::format!(
        "{path} is {:?}, expected {:?} (stat {stat:?})",
        String::from_utf8_lossy(&seen),
        String::from_utf8_lossy(expected)
    ))
}

fn command_line() -> CheckOutcome {
    let own = read_file("/proc/self/cmdline").map_err(|error| alloc::format!("own: {error}"))?;
    ensure!(
        own.ends_with(&[0])
            && own.split(|&byte| byte == 0).next() == Some(b"/bin/posix-file-tests"),
        "own cmdline {:?}",
        String::from_utf8_lossy(&own)
    );
    let spawned =
        libos::process::posix_spawn("/bin/sleep", &[], None, &["sleep", "5", "two words"], &[])
            .map_err(|error| alloc::format!("posix_spawn: {error}"))?;
    let result = wait_for_command(spawned, b"sleep\x005\x00two words\x00").and_then(|()| {
        let name = read_text(&alloc::format!("/proc/{spawned}/comm"))?;
        ensure!(name == "sleep\n", "comm {name:?}");
        Ok(())
    });
    end_child(spawned);
    result?;

    // execve: the process tells the server its new command before switching.
    let child = fork().map_err(|error| alloc::format!("fork: {error}"))?;
    if child == 0 {
        // argv[0] is not the file's name, but its last component names the `utils` applet to
        // run (a first word it does not know makes it exit at once with 127, and the check
        // would race the exit).
        let _ = libos::process::execve("/bin/sleep", &["/sleeper/sleep", "5"], &[]);
        _exit(99);
    }
    let result = wait_for_command(child, b"/sleeper/sleep\x005\x00").and_then(|()| {
        // Named after the file executed, not argv[0], as on Linux.
        let name = read_text(&alloc::format!("/proc/{child}/comm"))?;
        ensure!(name == "sleep\n", "comm after execve {name:?}");
        Ok(())
    });
    end_child(child);
    result
}

/// The server keeps a command bounded and checks every `SET_COMMAND` message: raw ones with a
/// length over 16, a name over 15 bytes, chunks out of order or past the limit are `EINVAL`.
pub const COMMAND_RAW: Check = Check {
    name: "proc-command-raw-messages",
    covers: &["proc:command-raw-EINVAL"],
    run: command_raw,
};

fn raw_set(chunk: u64, length: u64, words: [u64; 2]) -> Result<(), Errno> {
    let reply = call(Call::IpcCall {
        endpoint: libos::process::identity::PROCESS_SERVER,
        word0: protocol::SET_COMMAND | chunk << 8 | length << 24,
        word1: words[0],
        word2: words[1],
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map_err(|_| Errno::EIO)?;
    match reply[1] {
        0 => Ok(()),
        errno => Err(Errno::from_raw(errno as i32).unwrap_or(Errno::EIO)),
    }
}

fn command_raw() -> CheckOutcome {
    let child = fork().map_err(|error| alloc::format!("fork: {error}"))?;
    if child == 0 {
        let code = (|| {
            let bytes = u64::from_le_bytes(*b"abcdefgh");
            if raw_set(0, 17, [bytes, bytes]) != Err(Errno::EINVAL) {
                return 1;
            }
            if raw_set(0, 16, [bytes, bytes]) != Err(Errno::EINVAL) {
                return 2;
            }
            if raw_set(3, 16, [bytes, bytes]) != Err(Errno::EINVAL) {
                return 3;
            }
            // A line filled to the limit, then one chunk more.
            if raw_set(0, 3, [u64::from_le_bytes(*b"raw\0\0\0\0\0"), 0]).is_err() {
                return 4;
            }
            let chunks = protocol::COMMAND_LINE_LIMIT as u64 / 16;
            for chunk in 1..=chunks {
                if raw_set(chunk, 16, [bytes, bytes]).is_err() {
                    return 5;
                }
            }
            if raw_set(chunks + 1, 1, [bytes, 0]) != Err(Errno::EINVAL) {
                return 6;
            }
            let line = read_file("/proc/self/cmdline").unwrap_or_default();
            if line.len() != protocol::COMMAND_LINE_LIMIT {
                return 7;
            }
            if read_file("/proc/self/comm").ok().as_deref() != Some(b"raw\n") {
                return 8;
            }
            0
        })();
        _exit(code);
    }
    let mut status = 0;
    let _ = waitpid(child, Some(&mut status), 0);
    ensure!(status == 0, "raw SET_COMMAND step {} failed", status >> 8);
    Ok(())
}

/// `/proc/PID/status`: `Name`, `State`, `Pid`, `PPid`, `Uid`, `Gid` — a child that changed its
/// user ids shows the server's record of them.
pub const STATUS: Check = Check {
    name: "proc-pid-status",
    covers: &["proc:pid-status"],
    run: status,
};

fn status() -> CheckOutcome {
    let pid = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    let text = read_text("/proc/self/status")?;
    for expected in [
        String::from("Name:\tposix-file-test\n"),
        String::from("State:\tR (running)\n"),
        alloc::format!("\nPid:\t{pid}\n"),
        alloc::format!("\nPPid:\t{}\n", getppid().unwrap_or(-9)),
        String::from("\nUid:\t0\t0\t0\t0\n"),
        String::from("\nGid:\t0\t0\t0\t0\n"),
    ] {
        ensure!(text.contains(&expected), "{expected:?} not in {text:?}");
    }
    let parked = parked_child(|| libos::process::credentials::setresuid(1000, 1001, 1002).is_ok())?;
    let text = read_text(&alloc::format!("/proc/{}/status", parked.pid));
    end_parked(&parked);
    let text = text?;
    ensure!(
        text.contains("\nUid:\t1000\t1001\t1002\t1001\n"),
        "the child's ids: {text:?}"
    );
    ensure!(
        text.contains(&alloc::format!("\nPPid:\t{pid}\n")),
        "the child's parent: {text:?}"
    );
    Ok(())
}

/// `getdents64` over `/proc` lists the live pids (a child appears, and goes once collected),
/// `self` and the global files.
pub const READDIR_LISTS_PIDS: Check = Check {
    name: "proc-readdir-lists-pids",
    covers: &["proc:readdir-lists-pids"],
    run: readdir_lists_pids,
};

fn readdir_lists_pids() -> CheckOutcome {
    let pid = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    let parked = parked_child(|| true)?;
    let child = parked.pid;
    let listed = names("/proc");
    end_parked(&parked);
    let listed = listed?;
    for expected in [
        String::from("1"),
        alloc::format!("{pid}"),
        alloc::format!("{child}"),
        String::from("self"),
        String::from("meminfo"),
        String::from("uptime"),
        String::from("mounts"),
    ] {
        ensure!(listed.contains(&expected), "{expected} not in {listed:?}");
    }
    let after = names("/proc")?;
    ensure!(
        !after.contains(&alloc::format!("{child}")),
        "a collected child is still listed"
    );
    let own = names("/proc/self")?;
    for expected in ["cmdline", "comm", "fd", "stat", "status"] {
        ensure!(
            own.iter().any(|name| name == expected),
            "{expected} not in {own:?}"
        );
    }
    ensure!(
        open("/proc/999999/stat", O_RDONLY, 0) == Err(Errno::ENOENT),
        "a pid nobody has"
    );
    Ok(())
}

/// `/proc/self/fd`: one link per descriptor naming what it is open on; opening one opens that
/// file; another process's descriptors are known to no authority (`EACCES`).
pub const FD_LINKS: Check = Check {
    name: "proc-fd-links",
    covers: &["proc:fd-links", "proc:fd-EACCES-other-process"],
    run: fd_links,
};

fn fd_links() -> CheckOutcome {
    let path = "/tmp/proc-fd-target";
    let fd = open(path, O_CREAT | O_RDWR | libposix_sys::fcntl::O_TRUNC, 0o644)
        .map_err(|error| alloc::format!("open: {error}"))?;
    let result = (|| {
        ensure!(write(fd, b"through fd") == Ok(10), "write");
        let mut buffer = [0u8; 64];
        let link = alloc::format!("/proc/self/fd/{fd}");
        let length =
            readlink(&link, &mut buffer).map_err(|error| alloc::format!("readlink: {error}"))?;
        ensure!(
            &buffer[..length] == path.as_bytes(),
            "{link} -> {:?}",
            &buffer[..length]
        );
        let listed = names("/proc/self/fd")?;
        ensure!(
            listed.contains(&alloc::format!("{fd}")),
            "{fd} not in {listed:?}"
        );
        let contents = read_file(&link).map_err(|error| alloc::format!("open {link}: {error}"))?;
        ensure!(
            contents == b"through fd",
            "read through the link: {contents:?}"
        );
        let [pipe_read, pipe_write] =
            libos::io::pipe().map_err(|error| alloc::format!("pipe: {error}"))?;
        let length = readlink(&alloc::format!("/proc/self/fd/{pipe_read}"), &mut buffer);
        let _ = close(pipe_read);
        let _ = close(pipe_write);
        ensure!(
            length.is_ok_and(|length| buffer[..length].starts_with(b"pipe:[")),
            "a pipe's link"
        );
        ensure!(
            readlink(&alloc::format!("/proc/self/fd/{pipe_read}"), &mut buffer)
                == Err(Errno::ENOENT),
            "a closed descriptor's link"
        );
        ensure!(
            open("/proc/1/fd", O_RDONLY, 0) == Err(Errno::EACCES),
            "init's descriptors"
        );
        ensure!(
            readlink("/proc/1/fd/0", &mut buffer) == Err(Errno::EACCES),
            "init's descriptor 0"
        );
        Ok(())
    })();
    let _ = close(fd);
    let _ = unlink(path);
    result
}

/// `/proc` is read-only: writing, creating, removing and renaming give `EACCES`, and a rename
/// out of it `EXDEV`.
pub const READ_ONLY: Check = Check {
    name: "proc-read-only",
    covers: &["proc:read-only-EACCES"],
    run: read_only,
};

fn read_only() -> CheckOutcome {
    ensure!(
        open("/proc/self/stat", O_WRONLY, 0) == Err(Errno::EACCES),
        "open for writing"
    );
    ensure!(
        open("/proc/uptime", O_RDWR, 0) == Err(Errno::EACCES),
        "open for reading and writing"
    );
    ensure!(
        open("/proc/new-file", O_CREAT | O_WRONLY, 0o644) == Err(Errno::EACCES),
        "create"
    );
    ensure!(unlink("/proc/uptime") == Err(Errno::EACCES), "unlink");
    ensure!(
        libos::fs::mkdir("/proc/new-directory", 0o755) == Err(Errno::EACCES),
        "mkdir"
    );
    ensure!(
        libos::fs::rename("/proc/uptime", "/tmp/uptime") == Err(Errno::EXDEV),
        "rename out"
    );
    ensure!(
        libos::fs::access("/proc/uptime", libposix_sys::fcntl::W_OK) == Err(Errno::EACCES),
        "access W_OK"
    );
    ensure!(
        libos::fs::chmod("/proc/uptime", 0o777).is_err(),
        "chmod succeeded"
    );
    Ok(())
}

/// `/proc/meminfo` (the kernel's memory figures), `/proc/uptime` (the boot clock, moving),
/// `/proc/mounts`, and `statfs` of `/proc`.
pub const GLOBAL_FILES: Check = Check {
    name: "proc-meminfo-uptime-mounts",
    covers: &["proc:meminfo", "proc:uptime", "proc:mounts", "statfs:proc"],
    run: global_files,
};

fn field_kilobytes(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find(|line| line.starts_with(name))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn global_files() -> CheckOutcome {
    let memory = read_text("/proc/meminfo")?;
    let total = field_kilobytes(&memory, "MemTotal:").ok_or("no MemTotal")?;
    let free = field_kilobytes(&memory, "MemFree:").ok_or("no MemFree")?;
    ensure!(
        total > 0 && free > 0 && free <= total && memory.contains(" kB\n"),
        "meminfo {memory:?}"
    );
    let kernel = call(Call::MemoryStatus {
        quota: libos::abi::initial::MEMORY_QUOTA,
    })
    .map_err(|error| alloc::format!("MemoryStatus: {error}"))?;
    ensure!(
        total == kernel[2] * 4,
        "MemTotal {total} kB, kernel {} frames",
        kernel[2]
    );
    let seconds = |text: &str| -> Option<f64> {
        let first = text.split_whitespace().next()?;
        let (whole, fraction) = first.split_once('.')?;
        Some(whole.parse::<f64>().ok()? + fraction.parse::<f64>().ok()? / 100.0)
    };
    let before = read_text("/proc/uptime")?;
    let _ = libos::time::nanosleep(&libposix_sys::time::Timespec {
        tv_sec: 0,
        tv_nsec: 30_000_000,
    });
    let after = read_text("/proc/uptime")?;
    let (first, second) = (
        seconds(&before).ok_or("uptime format")?,
        seconds(&after).ok_or("uptime format")?,
    );
    ensure!(
        second > first && second > 0.0 && after.ends_with('\n'),
        "uptime {before:?} then {after:?}"
    );
    let mounts = read_text("/proc/mounts")?;
    for expected in ["rootfs / ", " /proc proc ", " /dev "] {
        ensure!(mounts.contains(expected), "{expected:?} not in {mounts:?}");
    }
    let file_system = statfs("/proc/self").map_err(|error| alloc::format!("statfs: {error}"))?;
    ensure!(
        file_system.f_type == libos::fs::proc::PROC_SUPER_MAGIC,
        "statfs /proc: {:#x}",
        file_system.f_type
    );
    Ok(())
}
