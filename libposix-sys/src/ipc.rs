//! System V IPC: the `IPC_*` flags and commands, `struct ipc_perm`, and the shared-memory
//! segment's `SHM_*` flags and `struct shmid_ds`, as glibc lays them out on x86_64.

/// `shmget`'s key for a segment no other `shmget` can find.
pub const IPC_PRIVATE: i32 = 0;
/// Create the segment if the key has none.
pub const IPC_CREAT: i32 = 0o1000;
/// With `IPC_CREAT`: fail with `EEXIST` if the key has one.
pub const IPC_EXCL: i32 = 0o2000;
/// Do not wait (message queues and semaphores).
pub const IPC_NOWAIT: i32 = 0o4000;

/// `shmctl`: mark the segment for removal once the last attachment goes.
pub const IPC_RMID: i32 = 0;
/// `shmctl`: set the owner's ids and the mode from the buffer.
pub const IPC_SET: i32 = 1;
/// `shmctl`: copy the segment's `shmid_ds` to the buffer.
pub const IPC_STAT: i32 = 2;
/// `shmctl`: system-wide limits (Linux-specific).
pub const IPC_INFO: i32 = 3;

/// Read permission of a segment's mode (the owner's).
pub const SHM_R: i32 = 0o400;
/// Write permission of a segment's mode (the owner's).
pub const SHM_W: i32 = 0o200;
/// `shmat`: attach read-only.
pub const SHM_RDONLY: i32 = 0o10000;
/// `shmat`: round the address down to a multiple of `SHMLBA`.
pub const SHM_RND: i32 = 0o20000;
/// `shmat`: replace whatever is mapped at the address.
pub const SHM_REMAP: i32 = 0o40000;
/// In `shm_perm.mode`: the segment is marked for removal.
pub const SHM_DEST: u16 = 0o1000;
/// The attachment address granularity (a page on x86_64).
pub const SHMLBA: usize = 4096;

/// Owner and permissions of an IPC object (`struct ipc_perm`, 48 bytes).
#[doc(alias = "ipc_perm")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct IpcPermissions {
    /// The key it was created with.
    pub key: i32,
    /// The owner's user id.
    pub uid: u32,
    /// The owner's group id.
    pub gid: u32,
    /// The creator's user id.
    pub cuid: u32,
    /// The creator's group id.
    pub cgid: u32,
    /// The permission bits (and `SHM_DEST`).
    pub mode: u16,
    /// Padding.
    pub padding_1: u16,
    /// A sequence number.
    pub sequence: u16,
    /// Padding.
    pub padding_2: u16,
    /// Reserved.
    pub reserved_1: u64,
    /// Reserved.
    pub reserved_2: u64,
}

/// A shared-memory segment's status (`struct shmid_ds`, 112 bytes).
#[doc(alias = "shmid_ds")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SharedMemoryStatus {
    /// Owner and permissions.
    pub shm_perm: IpcPermissions,
    /// The size in bytes.
    pub shm_segsz: u64,
    /// The last `shmat` (seconds since 1970).
    pub shm_atime: i64,
    /// The last `shmdt`.
    pub shm_dtime: i64,
    /// The last change by `shmctl` (or the creation).
    pub shm_ctime: i64,
    /// The creator's pid.
    pub shm_cpid: i32,
    /// The pid of the last `shmat`/`shmdt`.
    pub shm_lpid: i32,
    /// How many attachments it has.
    pub shm_nattch: u64,
    /// Reserved.
    pub reserved_4: u64,
    /// Reserved.
    pub reserved_5: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let flags = check_constants!(
            IPC_PRIVATE,
            IPC_CREAT,
            IPC_EXCL,
            IPC_NOWAIT,
            IPC_RMID,
            IPC_SET,
            IPC_STAT,
            IPC_INFO,
        );
        let shared_memory = check_constants!(
            SHM_R,
            SHM_W,
            SHM_RDONLY,
            SHM_RND,
            SHM_REMAP,
            // uapi linux/shm.h and asm-generic/shmparam.h
            SHM_DEST = 0o1000,
            SHMLBA = 4096,
        );
        assert_every_constant_checked(include_str!("ipc.rs"), &[flags, shared_memory]);
    }

    #[test]
    fn layouts_match_libc() {
        check_layout!(IpcPermissions, libc::ipc_perm, {
            key = __key, uid, gid, cuid, cgid, mode, padding_1 = _, sequence = __seq,
            padding_2 = _, reserved_1 = _, reserved_2 = _,
        });
        check_layout!(SharedMemoryStatus, libc::shmid_ds, {
            shm_perm, shm_segsz, shm_atime, shm_dtime, shm_ctime, shm_cpid, shm_lpid, shm_nattch,
            reserved_4 = _, reserved_5 = _,
        });
    }
}
