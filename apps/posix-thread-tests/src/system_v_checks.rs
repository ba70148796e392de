//! System V shared memory: `shmget` by key and `IPC_PRIVATE`, `shmat` sharing pages between
//! processes (inherited by `fork` and attached anew by id), `shmctl`'s `IPC_STAT` fields and
//! attachment count, `IPC_RMID` keeping attachments, read-only attachments, and permissions
//! enforced by the file server for another user.

use alloc::format;
use alloc::string::String;

use libos::memory::{shmat, shmctl, shmdt, shmget};
use libos::process::fork;
use libos::process::identity::{_exit, getpid, waitpid};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::Errno;
use libposix_sys::ipc::{
    IPC_CREAT, IPC_EXCL, IPC_PRIVATE, IPC_RMID, IPC_STAT, SHM_RDONLY, SharedMemoryStatus,
};
use libposix_sys::signal::SIGSEGV;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED, WIFSIGNALED, WTERMSIG};

use crate::ensure;

pub const CHECKS: &[Check] = &[
    Check {
        name: "shmget:IPC_PRIVATE-shared-with-fork-child",
        covers: &["shmget", "shmat", "shmdt", "shmat:fork-inherits"],
        run: private_shared_with_child,
    },
    Check {
        name: "shmget:key-IPC_CREAT-IPC_EXCL-ENOENT-EINVAL",
        covers: &[
            "shmget:key",
            "shmget:IPC_EXCL",
            "shmget:ENOENT",
            "shmget:EINVAL",
        ],
        run: key_rules,
    },
    Check {
        name: "shmat:same-key-shares-pages-between-processes",
        covers: &["shmat:by-id"],
        run: key_shared_between_processes,
    },
    Check {
        name: "shmctl:IPC_STAT-IPC_SET-fields-and-attachment-count",
        covers: &["shmctl", "shmctl:IPC_STAT", "shmctl:IPC_SET"],
        run: status_fields,
    },
    Check {
        name: "shmctl:IPC_RMID-keeps-attachments",
        covers: &["shmctl:IPC_RMID"],
        run: removal_keeps_attachments,
    },
    Check {
        name: "shmat:SHM_RDONLY-write-is-SIGSEGV",
        covers: &["shmat:SHM_RDONLY"],
        run: read_only_attachment,
    },
    Check {
        name: "shmget:EACCES-other-uid",
        covers: &["shmget:EACCES", "shmat:EACCES"],
        run: other_user_refused,
    },
    Check {
        name: "shmdt:EINVAL-not-attached",
        covers: &["shmdt:EINVAL"],
        run: detach_unattached,
    },
];

/// A key of this run's own (another run's segments of the same boot cannot collide).
fn fresh_key(salt: i32) -> i32 {
    (getpid().unwrap_or(1) << 8) ^ salt ^ 0x5e00_0000
}

fn status(id: i32) -> Result<SharedMemoryStatus, String> {
    let mut status = SharedMemoryStatus::default();
    shmctl(id, IPC_STAT, Some(&mut status)).map_err(|e| format!("IPC_STAT: {e:?}"))?;
    Ok(status)
}

fn word(address: u64, offset: u64) -> &'static core::sync::atomic::AtomicU64 {
    // SAFETY: the callers pass a segment attached read-write (or read-only, only to load) at
    // `address`, at least `offset + 8` bytes long and 8-aligned at `offset`; atomics make the
    // other process's concurrent access sound.
    unsafe { &*((address + offset) as *const core::sync::atomic::AtomicU64) }
}

fn exit_status(pid: i32) -> Result<i32, String> {
    let mut status = 0;
    waitpid(pid, Some(&mut status), 0).map_err(|e| format!("waitpid: {e:?}"))?;
    Ok(status)
}

fn private_shared_with_child() -> CheckOutcome {
    use core::sync::atomic::Ordering::SeqCst;
    let id = shmget(IPC_PRIVATE, 3 * 4096, 0o600).map_err(|e| format!("shmget: {e:?}"))?;
    let address = shmat(id, 0, 0).map_err(|e| format!("shmat: {e:?}"))?;
    word(address, 0).store(0x1111, SeqCst);
    ensure!(status(id)?.shm_nattch == 1, "one attachment expected");
    let child = fork().map_err(|e| format!("fork: {e:?}"))?;
    if child == 0 {
        let counted = status(id).map(|s| s.shm_nattch).unwrap_or(0);
        let seen = word(address, 0).load(SeqCst);
        word(address, 2 * 4096 + 8).store(0x2222, SeqCst);
        _exit(if counted == 2 && seen == 0x1111 { 0 } else { 1 });
    }
    let child_status = exit_status(child)?;
    ensure!(
        WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0,
        "the child did not see the segment or its count ({child_status:#x})"
    );
    ensure!(
        word(address, 2 * 4096 + 8).load(SeqCst) == 0x2222,
        "the child's write is not in our attachment"
    );
    ensure!(
        status(id)?.shm_nattch == 1,
        "the child's exit left its attachment counted"
    );
    shmdt(address).map_err(|e| format!("shmdt: {e:?}"))?;
    ensure!(status(id)?.shm_nattch == 0, "shmdt left the count");
    shmctl(id, IPC_RMID, None).map_err(|e| format!("IPC_RMID: {e:?}"))?;
    Ok(())
}

fn key_rules() -> CheckOutcome {
    let key = fresh_key(1);
    let id = shmget(key, 4096, IPC_CREAT | 0o600).map_err(|e| format!("shmget: {e:?}"))?;
    let outcome = (|| {
        ensure!(
            shmget(key, 0, 0) == Ok(id),
            "the key does not find its segment"
        );
        ensure!(
            shmget(key, 4096, IPC_CREAT | 0o600) == Ok(id),
            "IPC_CREAT without IPC_EXCL must find the existing segment"
        );
        ensure!(
            shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0o600) == Err(Errno::EEXIST),
            "IPC_EXCL on an existing key must be EEXIST"
        );
        ensure!(
            shmget(key, 8192, 0) == Err(Errno::EINVAL),
            "a size beyond the segment's must be EINVAL"
        );
        ensure!(
            shmget(fresh_key(2), 4096, 0o600) == Err(Errno::ENOENT),
            "a key without a segment and without IPC_CREAT must be ENOENT"
        );
        ensure!(
            shmget(IPC_PRIVATE, 0, 0o600) == Err(Errno::EINVAL),
            "a new segment of size 0 must be EINVAL"
        );
        let other = shmget(IPC_PRIVATE, 4096, 0o600).map_err(|e| format!("private: {e:?}"))?;
        let distinct = other != id;
        let _ = shmctl(other, IPC_RMID, None);
        ensure!(distinct, "IPC_PRIVATE gave an existing id");
        Ok(())
    })();
    let _ = shmctl(id, IPC_RMID, None);
    outcome
}

fn key_shared_between_processes() -> CheckOutcome {
    use core::sync::atomic::Ordering::SeqCst;
    let key = fresh_key(3);
    let id = shmget(key, 4096, IPC_CREAT | 0o600).map_err(|e| format!("shmget: {e:?}"))?;
    let address = shmat(id, 0, 0).map_err(|e| format!("shmat: {e:?}"))?;
    let child = fork().map_err(|e| format!("fork: {e:?}"))?;
    if child == 0 {
        // Attach anew by key, at another address, as an unrelated process would.
        let ours = shmget(key, 0, 0).and_then(|found| shmat(found, 0, 0));
        let code = match ours {
            Ok(other) if other != address => {
                word(other, 64).store(0x3333, SeqCst);
                i32::from(shmdt(other).is_err())
            }
            _ => 2,
        };
        _exit(code);
    }
    let child_status = exit_status(child)?;
    let seen = word(address, 64).load(SeqCst);
    let _ = shmdt(address);
    let _ = shmctl(id, IPC_RMID, None);
    ensure!(
        WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0,
        "the child could not attach by key ({child_status:#x})"
    );
    ensure!(
        seen == 0x3333,
        "the other attachment's write is not in ours"
    );
    Ok(())
}

fn status_fields() -> CheckOutcome {
    let key = fresh_key(4);
    let id = shmget(key, 5000, IPC_CREAT | 0o640).map_err(|e| format!("shmget: {e:?}"))?;
    let outcome = (|| {
        let before = status(id)?;
        let pid = getpid().map_err(|e| format!("getpid: {e:?}"))?;
        let user = libos::process::credentials::geteuid();
        ensure!(before.shm_segsz == 5000, "shm_segsz {}", before.shm_segsz);
        ensure!(before.shm_perm.key == key, "key {:#x}", before.shm_perm.key);
        ensure!(
            before.shm_perm.mode & 0o777 == 0o640,
            "mode {:o}",
            before.shm_perm.mode
        );
        ensure!(
            before.shm_perm.uid == user && before.shm_perm.cuid == user,
            "owner {} creator {}",
            before.shm_perm.uid,
            before.shm_perm.cuid
        );
        ensure!(before.shm_cpid == pid, "shm_cpid {}", before.shm_cpid);
        ensure!(before.shm_nattch == 0, "nattch {}", before.shm_nattch);
        ensure!(before.shm_ctime > 0, "no shm_ctime");
        let first = shmat(id, 0, 0).map_err(|e| format!("shmat: {e:?}"))?;
        let second = shmat(id, 0, 0).map_err(|e| format!("shmat: {e:?}"))?;
        let attached = status(id)?;
        let _ = shmdt(first);
        let _ = shmdt(second);
        ensure!(
            attached.shm_nattch == 2,
            "nattch {} after two shmat",
            attached.shm_nattch
        );
        ensure!(attached.shm_lpid == pid, "shm_lpid {}", attached.shm_lpid);
        ensure!(attached.shm_atime > 0, "no shm_atime");
        ensure!(status(id)?.shm_dtime > 0, "no shm_dtime after shmdt");
        let mut changed = status(id)?;
        changed.shm_perm.mode = 0o604;
        shmctl(id, libposix_sys::ipc::IPC_SET, Some(&mut changed))
            .map_err(|e| format!("IPC_SET: {e:?}"))?;
        let mode = status(id)?.shm_perm.mode & 0o777;
        ensure!(mode == 0o604, "IPC_SET left mode {mode:o}");
        Ok(())
    })();
    let _ = shmctl(id, IPC_RMID, None);
    outcome
}

fn removal_keeps_attachments() -> CheckOutcome {
    use core::sync::atomic::Ordering::SeqCst;
    let key = fresh_key(5);
    let id = shmget(key, 4096, IPC_CREAT | 0o600).map_err(|e| format!("shmget: {e:?}"))?;
    let address = shmat(id, 0, 0).map_err(|e| format!("shmat: {e:?}"))?;
    word(address, 8).store(0x4444, SeqCst);
    shmctl(id, IPC_RMID, None).map_err(|e| format!("IPC_RMID: {e:?}"))?;
    let kept = word(address, 8).load(SeqCst) == 0x4444;
    word(address, 16).store(0x5555, SeqCst);
    let written = word(address, 16).load(SeqCst) == 0x5555;
    let attach_again = shmat(id, 0, 0);
    let find_again = shmget(key, 0, 0);
    shmdt(address).map_err(|e| format!("shmdt: {e:?}"))?;
    ensure!(kept && written, "the attachment lost its pages at IPC_RMID");
    ensure!(
        attach_again == Err(Errno::EINVAL),
        "a removed id must not attach: {attach_again:?}"
    );
    ensure!(
        find_again == Err(Errno::ENOENT),
        "a removed segment's key must be free: {find_again:?}"
    );
    Ok(())
}

fn read_only_attachment() -> CheckOutcome {
    use core::sync::atomic::Ordering::SeqCst;
    let id = shmget(IPC_PRIVATE, 4096, 0o600).map_err(|e| format!("shmget: {e:?}"))?;
    let writable = shmat(id, 0, 0).map_err(|e| format!("shmat: {e:?}"))?;
    word(writable, 0).store(0x6666, SeqCst);
    let child = fork().map_err(|e| format!("fork: {e:?}"))?;
    if child == 0 {
        let Ok(read_only) = shmat(id, 0, SHM_RDONLY) else {
            _exit(2);
        };
        if word(read_only, 0).load(SeqCst) != 0x6666 {
            _exit(3);
        }
        word(read_only, 0).store(0x7777, SeqCst);
        _exit(4);
    }
    let child_status = exit_status(child)?;
    let unchanged = word(writable, 0).load(SeqCst) == 0x6666;
    let _ = shmdt(writable);
    let _ = shmctl(id, IPC_RMID, None);
    ensure!(
        WIFSIGNALED(child_status) && WTERMSIG(child_status) == SIGSEGV,
        "a write to a SHM_RDONLY attachment must be SIGSEGV ({child_status:#x})"
    );
    ensure!(unchanged, "the read-only attachment's write landed");
    Ok(())
}

fn other_user_refused() -> CheckOutcome {
    let key = fresh_key(6);
    let id = shmget(key, 4096, IPC_CREAT | 0o600).map_err(|e| format!("shmget: {e:?}"))?;
    let child = fork().map_err(|e| format!("fork: {e:?}"))?;
    if child == 0 {
        if libos::process::credentials::setuid(4321).is_err() {
            _exit(9);
        }
        let find = shmget(key, 0, 0o600);
        let attach = shmat(id, 0, 0);
        let read_only = shmat(id, 0, SHM_RDONLY);
        let remove = shmctl(id, IPC_RMID, None);
        let code = if find != Err(Errno::EACCES) {
            1
        } else if attach != Err(Errno::EACCES) {
            2
        } else if read_only != Err(Errno::EACCES) {
            3
        } else if remove != Err(Errno::EPERM) {
            4
        } else {
            0
        };
        _exit(code);
    }
    let child_status = exit_status(child)?;
    let still_there = shmget(key, 0, 0) == Ok(id);
    let _ = shmctl(id, IPC_RMID, None);
    ensure!(
        WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0,
        "another user got at a 0600 segment (case {:#x})",
        child_status
    );
    ensure!(still_there, "another user removed the segment");
    Ok(())
}

fn detach_unattached() -> CheckOutcome {
    ensure!(
        shmdt(0x5100_0000_0000) == Err(Errno::EINVAL),
        "shmdt of an address with no attachment must be EINVAL"
    );
    ensure!(
        shmat(-1, 0, 0) == Err(Errno::EINVAL),
        "shmat of a negative id must be EINVAL"
    );
    Ok(())
}
