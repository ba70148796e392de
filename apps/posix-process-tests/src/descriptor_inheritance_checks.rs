//! Checks that descriptors reach a new image and a new process as POSIX says: `execve` keeps
//! every descriptor without FD_CLOEXEC (same description: offset, flags, pipe end) and closes
//! the others; `fork` shares pipes and files; `posix_spawn` applies its file actions.
//!
//! The helper modes (`fd-write FD TEXT`, `fd-read FD TEXT`, `fd-closed FD`, `fd-flags FD FLAGS`,
//! `fd-shared A B`) run in the exec'd or spawned program.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use libos::fs::{open, unlink};
use libos::io::{close, dup2, fcntl, lseek, pipe, read, write};
use libos::process::identity::{_exit, waitpid};
use libos::process::{FileAction, SpawnAttributes, execve, fork, posix_spawn, posix_spawnp};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_CREAT, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC,
    O_WRONLY,
};
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

/// Every descriptor-inheritance check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "execve:keeps-pipe-descriptor",
        covers: &["execve:keeps-fds"],
        run: exec_keeps_pipe,
    },
    Check {
        name: "execve:FD_CLOEXEC-closes",
        covers: &["execve:FD_CLOEXEC-closes", "fcntl:F_SETFD"],
        run: exec_closes_cloexec,
    },
    Check {
        name: "execve:keeps-file-offset",
        covers: &["execve:keeps-file-offset"],
        run: exec_keeps_file_offset,
    },
    Check {
        name: "execve:keeps-status-flags-and-numbers",
        covers: &["execve:keeps-status-flags"],
        run: exec_keeps_flags,
    },
    Check {
        name: "execve:duplicates-stay-one-description",
        covers: &["execve:keeps-shared-descriptions"],
        run: exec_keeps_duplicates_shared,
    },
    Check {
        name: "fork:pipe-shared",
        covers: &["fork:pipe-shared"],
        run: fork_pipe_shared,
    },
    Check {
        name: "fork:inherits-open-files",
        covers: &["fork:inherits-fds"],
        run: fork_inherits_files,
    },
    Check {
        name: "fork:child-close-keeps-parent-file",
        covers: &["fork:close-in-child-independent"],
        run: fork_child_close_independent,
    },
    Check {
        name: "posix_spawn:inherits-fds",
        covers: &["posix_spawn:inherits-fds"],
        run: spawn_inherits,
    },
    Check {
        name: "posix_spawn:file-actions-dup2",
        covers: &["posix_spawn:file-actions-dup2"],
        run: spawn_dup2,
    },
    Check {
        name: "posix_spawn:file-actions-close",
        covers: &["posix_spawn:file-actions-close"],
        run: spawn_close,
    },
    Check {
        name: "posix_spawn:file-actions-open",
        covers: &["posix_spawn:file-actions-open"],
        run: spawn_open,
    },
    Check {
        name: "posix_spawn:FD_CLOEXEC-closes",
        covers: &["posix_spawn:FD_CLOEXEC-closes"],
        run: spawn_closes_cloexec,
    },
    Check {
        name: "posix_spawn:pipe-between-two-children",
        covers: &["posix_spawn:pipeline", "pipe:between-processes"],
        run: spawn_pipeline,
    },
    Check {
        name: "posix_spawn:errors",
        covers: &[
            "posix_spawn:ENOENT",
            "posix_spawn:EBADF",
            "posix_spawn:ENOSYS-attributes",
        ],
        run: spawn_errors,
    },
    Check {
        name: "posix_spawn:POSIX_SPAWN_SETPGROUP",
        covers: &["posix_spawn:POSIX_SPAWN_SETPGROUP"],
        run: spawn_in_group,
    },
    Check {
        name: "posix_spawnp:PATH-search",
        covers: &["posix_spawnp:PATH-search", "posix_spawnp:ENOENT"],
        run: spawnp_searches_path,
    },
    Check {
        name: "vfork:parent-waits-for-exit",
        covers: &["vfork:waits-for-exit"],
        run: vfork_waits_for_exit,
    },
    Check {
        name: "vfork:parent-resumes-at-exec",
        covers: &["vfork:resumes-at-exec"],
        run: vfork_resumes_at_exec,
    },
];

fn sleep_milliseconds(milliseconds: u64) {
    let end = libos::kernel::clock_nanoseconds() + milliseconds * 1_000_000;
    while libos::kernel::clock_nanoseconds() < end {
        libos::kernel::yield_now();
    }
}

fn vfork_waits_for_exit() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let _ = fcntl(reader, F_SETFL, O_NONBLOCK as u64);
    let child = libos::process::vfork().map_err(|e| format!("vfork: {e}"))?;
    if child == 0 {
        sleep_milliseconds(30);
        let _ = write(writer, b"done");
        _exit(0);
    }
    // Resumed only after the child ended: what it wrote last is there already.
    let mut buffer = [0u8; 8];
    let got = read(reader, &mut buffer);
    let _ = close(reader);
    let _ = close(writer);
    exited_zero(child, "the vfork child")?;
    ensure(
        got == Ok(4) && &buffer[..4] == b"done",
        format!("read right after vfork returned: {got:?}"),
    )
}

fn vfork_resumes_at_exec() -> CheckOutcome {
    let before = libos::kernel::clock_nanoseconds();
    let child = libos::process::vfork().map_err(|e| format!("vfork: {e}"))?;
    if child == 0 {
        sleep_milliseconds(40);
        exec_helper(&["sleep", "300"]);
    }
    let waited = libos::kernel::clock_nanoseconds() - before;
    let mut status = 0;
    let running = waitpid(child, Some(&mut status), libposix_sys::wait::WNOHANG);
    exited_zero(child, "the exec'd sleeper")?;
    ensure(
        waited >= 40_000_000,
        format!("vfork returned after {waited} ns, before the child's exec"),
    )?;
    ensure(
        running == Ok(0),
        format!("the parent waited for the exec'd program's end too ({running:?})"),
    )
}

/// Runs a helper mode of this file; `None` when `mode` is not one of them.
pub fn run_helper(mode: &str, arguments: &[String]) -> Option<i32> {
    let number = |index: usize| -> i32 {
        arguments
            .get(index)
            .and_then(|text| text.parse().ok())
            .unwrap_or(-1)
    };
    let text = arguments.get(3).map_or("", String::as_str);
    Some(match mode {
        // Writes TEXT to FD.
        "fd-write" => i32::from(write(number(2), text.as_bytes()) != Ok(text.len())),
        // Reads FD to its end and exits 0 when it held exactly TEXT.
        "fd-read" => match read_to_end(number(2)) {
            Ok(data) if data == text => 0,
            _ => 1,
        },
        // Exits 0 when FD is closed.
        "fd-closed" => i32::from(fcntl(number(2), F_GETFD, 0) != Err(Errno::EBADF)),
        // Exits 0 when FD's status flags are FLAGS and its FD_CLOEXEC is clear.
        "fd-flags" => {
            let flags = fcntl(number(2), F_GETFL, 0);
            let descriptor = fcntl(number(2), F_GETFD, 0);
            i32::from(flags != Ok(i64::from(number(3))) || descriptor != Ok(0))
        }
        // Exits 0 when descriptors A and B share one offset (a seek of A moves B).
        "fd-shared" => {
            let moved = lseek(number(2), 3, libposix_sys::seek::SEEK_SET);
            let seen = lseek(number(3), 0, libposix_sys::seek::SEEK_CUR);
            i32::from(moved != Ok(3) || seen != Ok(3))
        }
        _ => return None,
    })
}

fn read_to_end(fd: i32) -> Result<String, Errno> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 256];
    loop {
        match read(fd, &mut buffer)? {
            0 => return Ok(String::from_utf8_lossy(&data).into_owned()),
            count => data.extend_from_slice(&buffer[..count]),
        }
    }
}

fn read_file(path: &str) -> Result<String, String> {
    let fd = open(path, O_RDONLY, 0).map_err(|e| format!("open {path}: {e}"))?;
    let data = read_to_end(fd).map_err(|e| format!("read {path}: {e}"));
    let _ = close(fd);
    data
}

/// Waits for `pid` and checks that it exited 0.
fn exited_zero(pid: i32, what: &str) -> CheckOutcome {
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e}"))?;
    if collected != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 {
        return Err(format!("{what}: status {status:#x}"));
    }
    Ok(())
}

/// In a forked child: exec this program as helper `words`; never returns.
fn exec_helper(words: &[&str]) -> ! {
    let mut argv = alloc::vec![crate::SELF_PATH];
    argv.extend_from_slice(words);
    let _ = execve(crate::SELF_PATH, &argv, &[]);
    _exit(100)
}

fn spawn_helper(actions: &[FileAction<'_>], words: &[&str]) -> Result<i32, String> {
    let mut argv = alloc::vec![crate::SELF_PATH];
    argv.extend_from_slice(words);
    posix_spawn(crate::SELF_PATH, actions, None, &argv, &[])
        .map_err(|e| format!("posix_spawn {words:?}: {e}"))
}

fn exec_keeps_pipe() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let child = fork().map_err(|e| format!("fork: {e}"))?;
    if child == 0 {
        let _ = close(reader);
        exec_helper(&["fd-write", &writer.to_string(), "through-exec"]);
    }
    let _ = close(writer);
    let data = read_to_end(reader);
    let _ = close(reader);
    exited_zero(child, "the exec'd writer")?;
    let data = data.map_err(|e| format!("read: {e}"))?;
    ensure(data == "through-exec", format!("read {data:?}"))
}

fn ensure(condition: bool, otherwise: String) -> CheckOutcome {
    if condition { Ok(()) } else { Err(otherwise) }
}

fn exec_closes_cloexec() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    fcntl(writer, F_SETFD, FD_CLOEXEC as u64).map_err(|e| format!("F_SETFD: {e}"))?;
    let child = fork().map_err(|e| format!("fork: {e}"))?;
    if child == 0 {
        let _ = close(reader);
        exec_helper(&["fd-closed", &writer.to_string()]);
    }
    let _ = close(writer);
    // The child's copy of the write end went at its exec: end of file, not a hang.
    let data = read_to_end(reader);
    let _ = close(reader);
    exited_zero(
        child,
        "the exec'd program still had the FD_CLOEXEC descriptor",
    )?;
    ensure(data == Ok(String::new()), format!("read gave {data:?}"))
}

fn exec_keeps_file_offset() -> CheckOutcome {
    let path = "/tmp/exec-offset";
    let child = fork().map_err(|e| format!("fork: {e}"))?;
    if child == 0 {
        let Ok(fd) = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644) else {
            _exit(101)
        };
        if write(fd, b"before-") != Ok(7) {
            _exit(102);
        }
        exec_helper(&["fd-write", &fd.to_string(), "after"]);
    }
    exited_zero(child, "the exec'd writer")?;
    let data = read_file(path);
    let _ = unlink(path);
    let data = data?;
    ensure(
        data == "before-after",
        format!("the file holds {data:?}, not the write after the exec at the kept offset"),
    )
}

fn exec_keeps_flags() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let child = fork().map_err(|e| format!("fork: {e}"))?;
    if child == 0 {
        // At a high number, nonblocking, and set close-on-exec then cleared again.
        if dup2(writer, 40) != Ok(40)
            || fcntl(40, F_SETFL, O_NONBLOCK as u64).is_err()
            || fcntl(40, F_SETFD, FD_CLOEXEC as u64).is_err()
            || fcntl(40, F_SETFD, 0).is_err()
        {
            _exit(101);
        }
        let flags = (O_WRONLY | O_NONBLOCK).to_string();
        exec_helper(&["fd-flags", "40", &flags]);
    }
    let _ = close(writer);
    let _ = close(reader);
    exited_zero(child, "fd 40's flags after exec")
}

fn exec_keeps_duplicates_shared() -> CheckOutcome {
    let path = "/tmp/exec-shared";
    let child = fork().map_err(|e| format!("fork: {e}"))?;
    if child == 0 {
        let Ok(fd) = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644) else {
            _exit(101)
        };
        if write(fd, b"0123456789") != Ok(10) || dup2(fd, 30) != Ok(30) {
            _exit(102);
        }
        exec_helper(&["fd-shared", &fd.to_string(), "30"]);
    }
    let outcome = exited_zero(child, "dup'd descriptors after exec");
    let _ = unlink(path);
    outcome
}

fn fork_pipe_shared() -> CheckOutcome {
    let [to_child, from_parent] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let [from_child, to_parent] = pipe().map_err(|e| format!("pipe: {e}"))?;
    // Swap the names so each reads like its use.
    let (child_reads, parent_writes) = (to_child, from_parent);
    let (parent_reads, child_writes) = (from_child, to_parent);
    let child = fork().map_err(|e| format!("fork: {e}"))?;
    if child == 0 {
        let _ = close(parent_writes);
        let _ = close(parent_reads);
        // Echo upper-cased until end of file, several round trips through both rings.
        let mut buffer = [0u8; 64];
        loop {
            match read(child_reads, &mut buffer) {
                Ok(0) => _exit(0),
                Ok(count) => {
                    buffer[..count].make_ascii_uppercase();
                    if write(child_writes, &buffer[..count]) != Ok(count) {
                        _exit(101);
                    }
                }
                Err(_) => _exit(102),
            }
        }
    }
    let _ = close(child_reads);
    let _ = close(child_writes);
    let mut outcome = Ok(());
    for word in ["ping", "pong", "round-trip"] {
        let _ = write(parent_writes, word.as_bytes());
        let mut buffer = [0u8; 64];
        let mut got = Vec::new();
        while got.len() < word.len() {
            match read(parent_reads, &mut buffer) {
                Ok(count) if count > 0 => got.extend_from_slice(&buffer[..count]),
                other => {
                    outcome = Err(format!("read after {word:?}: {other:?}"));
                    break;
                }
            }
        }
        if got != word.to_ascii_uppercase().as_bytes() {
            outcome = outcome.and(Err(format!("sent {word:?}, got {got:?}")));
            break;
        }
    }
    let _ = close(parent_writes);
    let end = read_to_end(parent_reads);
    let _ = close(parent_reads);
    let waited = exited_zero(child, "the echoing child");
    outcome?;
    waited?;
    ensure(
        end == Ok(String::new()),
        format!("after the child's exit: {end:?}"),
    )
}

fn fork_inherits_files() -> CheckOutcome {
    let path = "/tmp/fork-file";
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644).map_err(|e| format!("open: {e}"))?;
    let written = write(fd, b"parent;");
    let child = fork().map_err(|e| format!("fork: {e}"))?;
    if child == 0 {
        // The inherited descriptor writes at the offset the parent had; a file the child opens
        // itself works too.
        let ok = write(fd, b"child;") == Ok(6)
            && open("/tmp/fork-file-own", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
                .and_then(|own| write(own, b"own"))
                == Ok(3);
        _exit(i32::from(!ok));
    }
    let waited = exited_zero(child, "the writing child");
    let _ = close(fd);
    let data = read_file(path);
    let own = read_file("/tmp/fork-file-own");
    let _ = unlink(path);
    let _ = unlink("/tmp/fork-file-own");
    ensure(written == Ok(7), format!("write: {written:?}"))?;
    waited?;
    let data = data?;
    ensure(data == "parent;child;", format!("the file holds {data:?}"))?;
    ensure(
        own == Ok(String::from("own")),
        format!("child's own file: {own:?}"),
    )
}

fn fork_child_close_independent() -> CheckOutcome {
    let path = "/tmp/fork-close";
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644).map_err(|e| format!("open: {e}"))?;
    let child = fork().map_err(|e| format!("fork: {e}"))?;
    if child == 0 {
        _exit(i32::from(close(fd).is_err()));
    }
    let waited = exited_zero(child, "the closing child");
    // Our descriptor still names the open file.
    let written = write(fd, b"still-open");
    let _ = close(fd);
    let data = read_file(path);
    let _ = unlink(path);
    waited?;
    ensure(
        written == Ok(10),
        format!("write after the child closed: {written:?}"),
    )?;
    ensure(
        data == Ok(String::from("still-open")),
        format!("the file holds {data:?}"),
    )
}

fn spawn_inherits() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let child = spawn_helper(&[], &["fd-write", &writer.to_string(), "spawned"]);
    let _ = close(writer);
    let data = read_to_end(reader);
    let _ = close(reader);
    exited_zero(child?, "the spawned writer")?;
    ensure(
        data == Ok(String::from("spawned")),
        format!("read {data:?}"),
    )
}

fn spawn_dup2() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let actions = [
        FileAction::Dup2 {
            old: writer,
            new: 1,
        },
        FileAction::Close(writer),
        FileAction::Close(reader),
    ];
    let child = spawn_helper(&actions, &["fd-write", "1", "on-stdout"]);
    let _ = close(writer);
    let data = read_to_end(reader);
    let _ = close(reader);
    exited_zero(child?, "the spawned writer")?;
    ensure(
        data == Ok(String::from("on-stdout")),
        format!("read {data:?}"),
    )
}

fn spawn_close() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let child = spawn_helper(
        &[FileAction::Close(writer)],
        &["fd-closed", &writer.to_string()],
    );
    let _ = close(writer);
    // Neither the parent nor the child holds the write end: end of file.
    let data = read_to_end(reader);
    let _ = close(reader);
    exited_zero(child?, "the child with the closed descriptor")?;
    ensure(data == Ok(String::new()), format!("read gave {data:?}"))
}

fn spawn_open() -> CheckOutcome {
    let path = "/tmp/spawn-open";
    let actions = [FileAction::Open {
        fd: 7,
        path,
        flags: O_WRONLY | O_CREAT | O_TRUNC,
        mode: 0o644,
    }];
    let child = spawn_helper(&actions, &["fd-write", "7", "opened-for-child"]);
    let waited = child.and_then(|pid| exited_zero(pid, "the spawned writer"));
    let data = read_file(path);
    let _ = unlink(path);
    // Not opened in our table.
    let ours = fcntl(7, F_GETFD, 0);
    waited?;
    ensure(
        data == Ok(String::from("opened-for-child")),
        format!("file {data:?}"),
    )?;
    ensure(ours == Err(Errno::EBADF), format!("our fd 7: {ours:?}"))
}

fn spawn_closes_cloexec() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let _ = fcntl(writer, F_SETFD, FD_CLOEXEC as u64);
    let child = spawn_helper(&[], &["fd-closed", &writer.to_string()]);
    let _ = close(writer);
    let data = read_to_end(reader);
    let _ = close(reader);
    exited_zero(child?, "the child with the close-on-exec descriptor")?;
    ensure(data == Ok(String::new()), format!("read gave {data:?}"))
}

fn spawn_pipeline() -> CheckOutcome {
    let [reader, writer] = pipe().map_err(|e| format!("pipe: {e}"))?;
    let writer_pid = spawn_helper(
        &[
            FileAction::Dup2 {
                old: writer,
                new: 1,
            },
            FileAction::Close(reader),
            FileAction::Close(writer),
        ],
        &["fd-write", "1", "one-child-to-another"],
    );
    let reader_pid = spawn_helper(
        &[
            FileAction::Dup2 {
                old: reader,
                new: 0,
            },
            FileAction::Close(reader),
            FileAction::Close(writer),
        ],
        &["fd-read", "0", "one-child-to-another"],
    );
    let _ = close(reader);
    let _ = close(writer);
    let first = writer_pid.and_then(|pid| exited_zero(pid, "the writer"));
    let second = reader_pid.and_then(|pid| exited_zero(pid, "the reader (data or end of file)"));
    first.and(second)
}

fn spawn_errors() -> CheckOutcome {
    let missing = posix_spawn("/bin/no-such-program", &[], None, &["x"], &[]);
    ensure(
        missing == Err(Errno::ENOENT),
        format!("missing: {missing:?}"),
    )?;
    let bad = posix_spawn(
        crate::SELF_PATH,
        &[FileAction::Dup2 { old: 900, new: 3 }],
        None,
        &[crate::SELF_PATH, "exit", "0"],
        &[],
    );
    ensure(
        bad == Err(Errno::EBADF),
        format!("dup2 of a closed fd: {bad:?}"),
    )?;
    // POSIX_SPAWN_SETSIGMASK: not supported yet.
    let attributes = SpawnAttributes {
        flags: 8,
        ..SpawnAttributes::default()
    };
    let flagged = posix_spawn(
        crate::SELF_PATH,
        &[],
        Some(&attributes),
        &[crate::SELF_PATH, "exit", "0"],
        &[],
    );
    ensure(
        flagged == Err(Errno::ENOSYS),
        format!("POSIX_SPAWN_SETSIGMASK: {flagged:?}"),
    )
}

fn spawnp_searches_path() -> CheckOutcome {
    let name = crate::SELF_PATH.trim_start_matches("/bin/");
    let found = posix_spawnp(
        name,
        &[],
        None,
        &[name, "exit", "0"],
        &["PATH=/nowhere:/bin"],
    )
    .map_err(|e| format!("posix_spawnp along PATH: {e}"))?;
    exited_zero(found, "the program found along PATH")?;
    let missing = posix_spawnp(name, &[], None, &[name], &["PATH=/nowhere:/tmp"]);
    ensure(
        missing == Err(Errno::ENOENT),
        format!("not along PATH: {missing:?}"),
    )?;
    Ok(())
}

/// `POSIX_SPAWN_SETPGROUP`: 0 makes the child lead a new group, another value joins that group
/// (of our session); a group that does not exist is refused with `EPERM` and starts nothing.
fn spawn_in_group() -> CheckOutcome {
    use libos::process::identity::getpgid;
    use libos::process::posix_spawn::POSIX_SPAWN_SETPGROUP;
    let own_group = SpawnAttributes {
        flags: POSIX_SPAWN_SETPGROUP,
        pgroup: 0,
    };
    let leader = posix_spawn(
        crate::SELF_PATH,
        &[],
        Some(&own_group),
        &[crate::SELF_PATH, "exit", "0"],
        &[],
    )
    .map_err(|error| format!("spawn a leader: {error:?}"))?;
    // A zombie keeps its group until collected.
    let leader_group = getpgid(leader);
    let joining = SpawnAttributes {
        flags: POSIX_SPAWN_SETPGROUP,
        pgroup: leader,
    };
    let member = posix_spawn(
        crate::SELF_PATH,
        &[],
        Some(&joining),
        &[crate::SELF_PATH, "exit", "0"],
        &[],
    );
    let member_group = member.map(getpgid);
    let missing = SpawnAttributes {
        flags: POSIX_SPAWN_SETPGROUP,
        pgroup: 999_999,
    };
    let refused = posix_spawn(
        crate::SELF_PATH,
        &[],
        Some(&missing),
        &[crate::SELF_PATH, "exit", "0"],
        &[],
    );
    if let Ok(pid) = member {
        exited_zero(pid, "the member")?;
    }
    exited_zero(leader, "the leader")?;
    ensure(
        leader_group == Ok(leader),
        format!("the leader's group: {leader_group:?}, its pid {leader}"),
    )?;
    ensure(
        member_group == Ok(Ok(leader)),
        format!("the member's group: {member_group:?}"),
    )?;
    ensure(
        refused == Err(Errno::EPERM),
        format!("an unknown group: {refused:?}"),
    )
}
