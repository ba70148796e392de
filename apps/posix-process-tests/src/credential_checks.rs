//! Checks of user and group ids, held by the process server: the `set*id` rules, inheritance,
//! `kill` permission by user id, and the file access that follows the effective ids — including
//! from raw calls that bypass this program's own LibOS.

use alloc::format;
use alloc::string::String;

use libos::abi::{Call, KernelError, OptionalSlot, Rights, Slot};
use libos::fs::protocol::{FILE_SERVER_SLOT, Operation};
use libos::kernel::call;
use libos::process::credentials::{
    getegid, geteuid, getgid, getgroups, getresgid, getresuid, getuid, setgid, setgroups, setregid,
    setresgid, setresuid, setreuid, setuid,
};
use libos::process::identity::{PROCESS_SERVER, getppid, waitpid};
use libos::process::protocol;
use libos::signal::kill;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_WRONLY};
use libposix_sys::signal::SIGKILL;

use crate::helpers::start_pid;
use crate::in_child::{expect, in_child, in_child_with};

/// An unprivileged user for the checks.
const USER: u32 = 1000;
/// Another one.
const OTHER: u32 = 1001;
/// `(uid_t)-1`.
const UNCHANGED: u32 = u32::MAX;

/// Every credentials check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "getuid:root-at-start",
        covers: &[
            "getuid",
            "geteuid",
            "getgid",
            "getegid",
            "getresuid",
            "getresgid",
        ],
        run: root_at_start,
    },
    Check {
        name: "getppid:answered-without-kernel-entry",
        covers: &["getppid:no-kernel-entry", "getuid:no-kernel-entry"],
        run: answered_without_kernel_entry,
    },
    Check {
        name: "setuid:privileged-sets-all-then-EPERM",
        covers: &["setuid", "setuid:EPERM"],
        run: || in_child("setuid_privileged"),
    },
    Check {
        name: "setuid:EINVAL",
        covers: &["setuid:EINVAL", "setgid:EINVAL"],
        run: || in_child("setuid_invalid"),
    },
    Check {
        name: "setreuid:swap-and-saved-id",
        covers: &["setreuid", "setreuid:EPERM"],
        run: || in_child("setreuid_rules"),
    },
    Check {
        name: "setresuid:regain-saved-root",
        covers: &["setresuid", "setresuid:EPERM"],
        run: || in_child("setresuid_rules"),
    },
    Check {
        name: "setgid:group-ids",
        covers: &["setgid", "setregid", "setresgid", "setgid:EPERM"],
        run: || in_child("group_ids"),
    },
    Check {
        name: "setgroups:privileged-only",
        covers: &[
            "setgroups",
            "getgroups",
            "setgroups:EPERM",
            "getgroups:EINVAL",
        ],
        run: || in_child("supplementary_groups"),
    },
    Check {
        name: "fork:credentials-inherited-and-kept-by-exec",
        covers: &["fork:credentials", "execve:credentials"],
        run: || in_child("inherited"),
    },
    Check {
        name: "kill:EPERM-other-uid",
        covers: &["kill:EPERM-other-uid"],
        run: kill_other_user,
    },
    Check {
        name: "kill:same-uid-allowed",
        covers: &["kill:permission-same-uid"],
        run: kill_same_user,
    },
    Check {
        name: "setuid:raw-calls-cannot-forge",
        covers: &["setuid:authority"],
        run: || in_child("raw_calls_cannot_forge"),
    },
    Check {
        name: "kill:forged-pids-by-raw-call",
        covers: &["kill:forged-pid"],
        run: || in_child("forged_pids"),
    },
    Check {
        name: "setuid:file-access-revoked",
        covers: &["setuid:file-access"],
        run: file_access_revoked,
    },
];

/// The bodies run in a child (`in_child`), by name.
pub const BODIES: &[(&str, crate::in_child::Body)] = &[
    ("setuid_privileged", setuid_privileged),
    ("setuid_invalid", setuid_invalid),
    ("setreuid_rules", setreuid_rules),
    ("setresuid_rules", setresuid_rules),
    ("group_ids", group_ids),
    ("supplementary_groups", supplementary_groups),
    ("inherited", inherited),
    ("raw_calls_cannot_forge", raw_calls_cannot_forge),
    ("kill_other_user_body", kill_other_user_body),
    ("forged_pids", forged_pids),
    ("kill_same_user_body", kill_same_user_body),
    ("file_access_revoked_body", file_access_revoked_body),
];

fn users() -> Result<(u32, u32, u32), String> {
    let (mut real, mut effective, mut saved) = (0, 0, 0);
    getresuid(&mut real, &mut effective, &mut saved).map_err(|e| format!("getresuid: {e:?}"))?;
    Ok((real, effective, saved))
}

fn groups() -> Result<(u32, u32, u32), String> {
    let (mut real, mut effective, mut saved) = (0, 0, 0);
    getresgid(&mut real, &mut effective, &mut saved).map_err(|e| format!("getresgid: {e:?}"))?;
    Ok((real, effective, saved))
}

fn answered_without_kernel_entry() -> CheckOutcome {
    use libos::process::identity::getpid;
    // Filled once.
    let parent = getppid().map_err(|e| format!("getppid: {e:?}"))?;
    let _ = (getpid(), getuid(), geteuid(), getgid(), getegid());
    let before = libos::kernel::calls_made();
    for _ in 0..1000 {
        expect("getppid", getppid(), Ok(parent))?;
        let _ = core::hint::black_box((getpid(), getuid(), geteuid(), getgid(), getegid()));
    }
    expect(
        "kernel calls for 1,000 rounds of getppid, getpid and the ids",
        libos::kernel::calls_made() - before,
        0,
    )
}

fn root_at_start() -> CheckOutcome {
    expect("getuid", getuid(), 0)?;
    expect("geteuid", geteuid(), 0)?;
    expect("getgid", getgid(), 0)?;
    expect("getegid", getegid(), 0)?;
    expect("getresuid", users()?, (0, 0, 0))?;
    expect("getresgid", groups()?, (0, 0, 0))
}

fn setuid_privileged(_: i32) -> Result<(), String> {
    setuid(USER).map_err(|e| format!("setuid({USER}) as root: {e:?}"))?;
    expect("ids after setuid", users()?, (USER, USER, USER))?;
    expect("getuid", getuid(), USER)?;
    expect("setuid(0) unprivileged", setuid(0), Err(Errno::EPERM))?;
    expect("setuid(OTHER)", setuid(OTHER), Err(Errno::EPERM))?;
    // Setting the id one already has is allowed.
    expect("setuid(own)", setuid(USER), Ok(()))
}

fn setuid_invalid(_: i32) -> Result<(), String> {
    expect("setuid(-1)", setuid(UNCHANGED), Err(Errno::EINVAL))?;
    expect("setgid(-1)", setgid(UNCHANGED), Err(Errno::EINVAL))?;
    expect("still root", users()?, (0, 0, 0))
}

fn setreuid_rules(_: i32) -> Result<(), String> {
    setresuid(USER, OTHER, OTHER).map_err(|e| format!("setresuid: {e:?}"))?;
    // Unprivileged now: swapping real and effective is allowed, the saved id follows.
    setreuid(OTHER, USER).map_err(|e| format!("setreuid swap: {e:?}"))?;
    expect("after the swap", users()?, (OTHER, USER, USER))?;
    expect("setreuid(-1, 0)", setreuid(UNCHANGED, 0), Err(Errno::EPERM))?;
    expect("setreuid(5, -1)", setreuid(5, UNCHANGED), Err(Errno::EPERM))?;
    expect("ids unchanged by refusals", users()?, (OTHER, USER, USER))
}

fn setresuid_rules(_: i32) -> Result<(), String> {
    // Keep root as the saved id: the effective one can come back.
    setresuid(USER, USER, 0).map_err(|e| format!("setresuid: {e:?}"))?;
    expect("geteuid", geteuid(), USER)?;
    expect(
        "setresuid(OTHER, -1, -1)",
        setresuid(OTHER, UNCHANGED, UNCHANGED),
        Err(Errno::EPERM),
    )?;
    setresuid(UNCHANGED, 0, UNCHANGED).map_err(|e| format!("regaining root: {e:?}"))?;
    expect("after regaining", users()?, (USER, 0, 0))?;
    // Privileged again: anything goes.
    setresuid(7, 8, 9).map_err(|e| format!("setresuid(7, 8, 9): {e:?}"))?;
    expect("after setresuid(7, 8, 9)", users()?, (7, 8, 9))
}

fn group_ids(_: i32) -> Result<(), String> {
    setgid(50).map_err(|e| format!("setgid: {e:?}"))?;
    expect("after setgid", groups()?, (50, 50, 50))?;
    setregid(51, 52).map_err(|e| format!("setregid: {e:?}"))?;
    expect("after setregid", groups()?, (51, 52, 52))?;
    setresgid(60, 61, 62).map_err(|e| format!("setresgid: {e:?}"))?;
    expect("after setresgid", groups()?, (60, 61, 62))?;
    expect("getgid", getgid(), 60)?;
    expect("getegid", getegid(), 61)?;
    setuid(USER).map_err(|e| format!("setuid: {e:?}"))?;
    // Unprivileged: only the group ids already held.
    expect("setgid(0)", setgid(0), Err(Errno::EPERM))?;
    setgid(62).map_err(|e| format!("setgid(saved): {e:?}"))?;
    expect("after setgid(saved)", groups()?, (60, 62, 62))?;
    expect(
        "setresgid(1, -1, -1)",
        setresgid(1, UNCHANGED, UNCHANGED),
        Err(Errno::EPERM),
    )
}

fn supplementary_groups(_: i32) -> Result<(), String> {
    expect("getgroups count at start", getgroups(&mut []), Ok(0))?;
    setgroups(&[5, 6, 7]).map_err(|e| format!("setgroups: {e:?}"))?;
    let mut list = [0u32; 8];
    expect("getgroups", getgroups(&mut list), Ok(3))?;
    expect("the groups", &list[..3], &[5, 6, 7][..])?;
    expect("getgroups count", getgroups(&mut []), Ok(3))?;
    expect(
        "getgroups too small",
        getgroups(&mut [0; 2]),
        Err(Errno::EINVAL),
    )?;
    expect("33 groups", setgroups(&[1; 33]), Err(Errno::EINVAL))?;
    setuid(USER).map_err(|e| format!("setuid: {e:?}"))?;
    expect("setgroups unprivileged", setgroups(&[1]), Err(Errno::EPERM))?;
    expect("groups kept", getgroups(&mut list), Ok(3))
}

fn inherited(_: i32) -> Result<(), String> {
    setresuid(USER, USER, USER).map_err(|e| format!("setresuid: {e:?}"))?;
    let pid = libos::process::fork().map_err(|e| format!("fork: {e:?}"))?;
    if pid == 0 {
        libos::process::identity::_exit(i32::from(users() != Ok((USER, USER, USER))));
    }
    let mut status = 0;
    waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    expect("forked grandchild's status (1: ids lost)", status, 0)?;
    // exec keeps them too: the helper checks them itself and exits 0 when they are kept.
    let user = format!("{USER}");
    let error = libos::process::execve(crate::SELF_PATH, &[crate::SELF_PATH, "uid", &user], &[]);
    Err(format!("execve: {error:?}"))
}

fn kill_other_user() -> CheckOutcome {
    // A root process that is our child, and a child of ours that becomes another user: it is not
    // allowed to signal its sibling, nor its root parent.
    let victim = start_pid("sleep", "20000")?;
    let outcome = in_child_with("kill_other_user_body", victim);
    // Root may: the sibling is still there to be killed by us.
    let killed = kill(victim, SIGKILL).map_err(|e| format!("kill as root: {e:?}"));
    let _ = waitpid(victim, None, 0);
    outcome?;
    killed
}

fn kill_same_user() -> CheckOutcome {
    let victim = start_pid("setuid-sleep", "1000")?;
    let outcome = in_child_with("kill_same_user_body", victim);
    let mut status = 0;
    let collected = waitpid(victim, Some(&mut status), 0);
    outcome?;
    expect("victim killed", (collected, status), (Ok(victim), SIGKILL))
}

/// A raw call to the process server; answers the reply's errno word.
fn raw(word0: u64, word1: u64, word2: u64, transfer: Option<Slot>) -> u64 {
    match call(Call::IpcCall {
        endpoint: PROCESS_SERVER,
        word0,
        word1,
        word2,
        transfer: OptionalSlot(transfer),
        receive: OptionalSlot(None),
    }) {
        Ok(words) => words[1],
        Err(error) => 1000 + error as u64,
    }
}

fn raw_kill(pid: i32, signal: i32) -> u64 {
    raw(protocol::KILL, pid as i64 as u64, signal as u64, None)
}

fn raw_calls_cannot_forge(_: i32) -> Result<(), String> {
    setuid(USER).map_err(|e| format!("setuid: {e:?}"))?;
    let eperm = Errno::EPERM.as_raw() as u64;
    let einval = Errno::EINVAL.as_raw() as u64;
    // Back to root by every route: refused by the server, whatever our LibOS believes.
    for kind in [
        protocol::SET_ID,
        protocol::SET_REAL_EFFECTIVE,
        protocol::SET_ALL,
    ] {
        expect(
            "raw change to root",
            raw(protocol::CHANGE_IDS | kind << 8, 0, 0, None),
            eperm,
        )?;
    }
    expect(
        "raw unknown kind",
        raw(protocol::CHANGE_IDS | 9 << 8, 0, 0, None),
        einval,
    )?;
    expect(
        "raw unknown id class",
        raw(protocol::CHANGE_IDS | 7 << 16, 0, 0, None),
        einval,
    )?;
    expect(
        "raw setgroups",
        raw(protocol::SET_SUPPLEMENTARY_GROUPS, 1, 0, None),
        eperm,
    )?;
    // Only init may hand the server the file service.
    expect(
        "raw FILE_SERVICE",
        raw(protocol::FILE_SERVICE, 0, 0, Some(FILE_SERVER_SLOT)),
        eperm,
    )?;
    // Raising a hard limit unprivileged.
    expect(
        "raw SET_LIMIT",
        raw(protocol::SET_LIMIT | 6 << 8, 100_000, 100_000, None),
        eperm,
    )?;
    expect("ids", users()?, (USER, USER, USER))
}

/// Connects to the file server through `endpoint` with a fresh buffer frame: the kernel's or
/// the server's answer.
fn raw_connect(endpoint: Slot) -> Result<u64, String> {
    let frame = libos::slots::allocate().ok_or("no slot")?;
    call(Call::FrameAllocate {
        quota: libos::abi::initial::MEMORY_QUOTA,
        destination: frame,
        pages: libos::abi::PageCount(libos::fs::protocol::BUFFER_PAGES),
    })
    .map_err(|e| format!("frame: {e}"))?;
    let answer = call(Call::IpcCall {
        endpoint,
        word0: Operation::Connect as u64,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(Some(frame)),
        receive: OptionalSlot(None),
    });
    let _ = call(Call::CapabilityDelete { slot: frame });
    match answer {
        Ok(words) => Ok(words[1]),
        Err(error) => Err(format!("{error}")),
    }
}

/// A file only root may read.
const SECRET: &str = "/tmp/identity-secret";

fn file_access_revoked() -> CheckOutcome {
    let fd = libos::fs::open(SECRET, O_CREAT | O_WRONLY, 0o600)
        .map_err(|e| format!("creating {SECRET}: {e:?}"))?;
    let _ = libos::io::descriptors::close(fd);
    let outcome = in_child("file_access_revoked_body");
    let _ = libos::fs::unlink(SECRET);
    outcome
}

fn kill_other_user_body(victim: i32) -> Result<(), String> {
    setuid(USER).map_err(|e| format!("setuid: {e:?}"))?;
    expect("kill(root sibling, 0)", kill(victim, 0), Err(Errno::EPERM))?;
    expect(
        "kill(root sibling, SIGKILL)",
        kill(victim, SIGKILL),
        Err(Errno::EPERM),
    )?;
    let parent = getppid().map_err(|e| format!("getppid: {e:?}"))?;
    expect(
        "kill(root parent, SIGKILL)",
        kill(parent, SIGKILL),
        Err(Errno::EPERM),
    )?;
    // The same through a raw call (what any LibOS could send).
    expect(
        "raw KILL",
        raw_kill(victim, SIGKILL),
        Errno::EPERM.as_raw() as u64,
    )
}

fn kill_same_user_body(victim: i32) -> Result<(), String> {
    setuid(USER).map_err(|e| format!("setuid: {e:?}"))?;
    // Wait until the victim has become USER.
    let mut tries = 0;
    while kill(victim, 0) == Err(Errno::EPERM) && tries < 2000 {
        libos::kernel::yield_now();
        tries += 1;
    }
    kill(victim, SIGKILL).map_err(|e| format!("kill(same uid, SIGKILL): {e:?}"))
}

fn file_access_revoked_body(_: i32) -> Result<(), String> {
    // A copy of root's file-server capability, kept behind the LibOS's back.
    let kept = libos::slots::allocate().ok_or("no slot")?;
    call(Call::CapabilityMint {
        source: FILE_SERVER_SLOT,
        destination: kept,
        rights: Rights::SEND | Rights::GRANT,
        badge: 0,
    })
    .map_err(|e| format!("copying the capability: {e}"))?;
    raw_connect(kept).map_err(|e| format!("the copy works before setuid: {e}"))?;
    setuid(USER).map_err(|e| format!("setuid: {e:?}"))?;
    expect(
        "open(secret) after setuid",
        libos::fs::open(SECRET, O_RDONLY, 0).map(|_| ()),
        Err(Errno::EACCES),
    )?;
    // The kept copy died with the old capability.
    match call(Call::IpcCall {
        endpoint: kept,
        word0: Operation::ConnectionCount as u64,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    }) {
        Err(KernelError::EmptySlot) => {}
        other => return Err(format!("the kept root capability still answers: {other:?}")),
    }
    // Files we create now are ours.
    let mine = "/tmp/identity-owned-by-1000";
    let fd = libos::fs::open(mine, O_CREAT | O_WRONLY, 0o644)
        .map_err(|e| format!("creating {mine}: {e:?}"))?;
    let status = libos::fs::fstat(fd).map_err(|e| format!("fstat: {e:?}"))?;
    let _ = libos::io::descriptors::close(fd);
    let _ = libos::fs::unlink(mine);
    expect("owner of a new file", status.st_uid, USER)
}

/// Run in a child of user 1000: raw `KILL`s naming no process, an impossible pid, or processes
/// of other users are refused; the caller is never named by the message, only by its badge.
fn forged_pids(_: i32) -> Result<(), String> {
    setuid(USER).map_err(|e| format!("setuid: {e:?}"))?;
    let einval = Errno::EINVAL.as_raw() as u64;
    let esrch = Errno::ESRCH.as_raw() as u64;
    let eperm = Errno::EPERM.as_raw() as u64;
    // Pid 0 is our own group: with signal 0 only checked, and allowed (we are in it).
    expect("pid 0, signal 0", raw_kill(0, 0), 0)?;
    expect("pid i32::MIN", raw_kill(i32::MIN, SIGKILL), einval)?;
    expect(
        "group never used",
        raw_kill(-(i32::MAX - 1), SIGKILL),
        esrch,
    )?;
    expect(
        "pid 2^40",
        raw(protocol::KILL, 1 << 40, SIGKILL as u64, None),
        einval,
    )?;
    expect("pid never used", raw_kill(i32::MAX - 1, SIGKILL), esrch)?;
    expect("init", raw_kill(1, SIGKILL), eperm)?;
    let parent = getppid().map_err(|e| format!("getppid: {e:?}"))?;
    expect("root parent", raw_kill(parent, 0), eperm)?;
    // Whatever the words say, IDENTITY answers our own pid.
    let own = libos::process::identity::getpid().map_err(|e| format!("getpid: {e:?}"))?;
    let answer = call(Call::IpcCall {
        endpoint: PROCESS_SERVER,
        word0: protocol::IDENTITY,
        word1: 1,
        word2: 1,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    })
    .map_err(|e| format!("IDENTITY: {e}"))?;
    expect("IDENTITY with forged words", answer[2] as i32, own)
}
