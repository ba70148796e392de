//! System V shared memory: `shmget`, `shmat`, `shmdt` and `shmctl`, over files of the shared
//! root, so that the file server's permissions and sharing do the work.
//!
//! Segment `ID` is the file `/dev/shm/sysv/ID` (the directory is made at boot, mode 1777): a
//! header page (the key, the creator, the times, the attachment count), then the segment's
//! pages. A key names its segment by the symbolic link `/dev/shm/sysv/key-KEY` → `ID`.
//! `shmat` maps the segment's pages `MAP_SHARED` (every process attaching the same id shares
//! the file server's frames) and the header page beside them, whose count it raises
//! atomically; `shmdt`, `_exit` and `execve` lower it again and `fork` raises it for the child.
//! `IPC_RMID` unlinks the names: attachments keep the pages until they go, and a removed id
//! can no longer be attached nor `IPC_STAT`ed (`EINVAL`; Linux still answers with `SHM_DEST`
//! while attachments remain). Limits: a process killed while attached stays counted, an
//! attachment by a process that may not write the segment is not counted, and `IPC_SET`
//! changes the owner only for a privileged caller (the file server's `chown` rule).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};

use exokernel_abi::PAGE_SIZE;
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CLOEXEC, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY, O_RDWR};
use libposix_sys::ipc::{
    IPC_CREAT, IPC_EXCL, IPC_PRIVATE, IPC_RMID, IPC_SET, IPC_STAT, IpcPermissions, SHM_RDONLY,
    SHM_REMAP, SHM_RND, SHMLBA, SharedMemoryStatus,
};
use libposix_sys::mman::{MAP_FIXED, MAP_SHARED, PROT_READ, PROT_WRITE};
use spin::Mutex;

use crate::fs;
use crate::io::{close, pread64, pwrite64};

/// Where the segments live.
pub const SEGMENT_DIRECTORY: &str = "/dev/shm/sysv";
/// The largest segment (`SHMMAX`): 256 MiB, more than this system's memory.
const MAXIMUM_SEGMENT: u64 = 256 << 20;
/// Marks a header page written by this module.
const MAGIC: u64 = 0x5359_5356_5348_4d31;

/// The header page's start: what `IPC_STAT` reports beyond the file's own status.
#[repr(C)]
struct Header {
    magic: AtomicU64,
    key: AtomicI32,
    creator_pid: AtomicI32,
    creator_uid: AtomicU64,
    creator_gid: AtomicU64,
    size: AtomicU64,
    attachments: AtomicU64,
    last_pid: AtomicI32,
    attach_time: AtomicI64,
    detach_time: AtomicI64,
}

/// The header's bytes as the creator writes them.
fn header_bytes(key: i32, size: u64) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(core::mem::size_of::<Header>());
    bytes.extend_from_slice(&MAGIC.to_le_bytes());
    bytes.extend_from_slice(&key.to_le_bytes());
    let pid = crate::process::identity::getpid().unwrap_or(0);
    bytes.extend_from_slice(&pid.to_le_bytes());
    bytes.extend_from_slice(&u64::from(crate::process::credentials::geteuid()).to_le_bytes());
    bytes.extend_from_slice(&u64::from(crate::process::credentials::getegid()).to_le_bytes());
    bytes.extend_from_slice(&size.to_le_bytes());
    bytes.resize(core::mem::size_of::<Header>(), 0);
    bytes
}

/// One attachment of this process.
#[derive(Clone, Copy)]
struct Attachment {
    address: u64,
    size: u64,
    /// The header page mapped beside it (writable), when we may write the segment.
    header: Option<u64>,
}

/// This process's attachments.
static ATTACHMENTS: Mutex<Vec<Attachment>> = Mutex::new(Vec::new());

fn segment_path(id: i32) -> String {
    format!("{SEGMENT_DIRECTORY}/{id}")
}

fn key_path(key: i32) -> String {
    format!("{SEGMENT_DIRECTORY}/key-{key}")
}

fn now() -> i64 {
    crate::runtime::clock::clock_realtime()
        .map_or(0, |nanoseconds| (nanoseconds / 1_000_000_000) as i64)
}

/// The header of an attachment's segment.
fn header_of(address: u64) -> &'static Header {
    // SAFETY: `address` is a header page this module mapped (shared, writable) and keeps mapped
    // until the attachment is gone; the page is larger than `Header`, which is made of atomics,
    // so other processes writing it concurrently is sound.
    unsafe { &*(address as *const Header) }
}

/// A fresh segment file for `key` with the permission bits of `flags`; returns its id.
fn create_segment(key: i32, size: u64, flags: i32) -> Result<i32, Errno> {
    loop {
        let mut random = [0u8; 4];
        crate::random::getrandom(&mut random, 0)?;
        let id = (u32::from_le_bytes(random) & 0x3fff_ffff) as i32;
        if id == 0 {
            continue;
        }
        let fd = match fs::open(
            &segment_path(id),
            O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW,
            (flags & 0o777) as u32,
        ) {
            Ok(fd) => fd,
            Err(Errno::EEXIST) => continue,
            Err(error) => return Err(error),
        };
        let written = fs::ftruncate(
            fd,
            (PAGE_SIZE + size.div_ceil(PAGE_SIZE) * PAGE_SIZE) as i64,
        )
        .and_then(|()| pwrite64(fd, &header_bytes(key, size), 0));
        let _ = close(fd);
        if let Err(error) = written {
            let _ = fs::unlink(&segment_path(id));
            return Err(error);
        }
        return Ok(id);
    }
}

/// The id a key's link names, if it names a live segment.
fn id_of_key(key: i32) -> Result<Option<i32>, Errno> {
    let mut target = [0u8; 16];
    let length = match fs::readlink(&key_path(key), &mut target) {
        Ok(length) => length,
        Err(Errno::ENOENT) => return Ok(None),
        Err(error) => return Err(error),
    };
    let id = core::str::from_utf8(&target[..length])
        .ok()
        .and_then(|text| text.parse::<i32>().ok())
        .ok_or(Errno::EIDRM)?;
    match fs::stat(&segment_path(id)) {
        Ok(_) => Ok(Some(id)),
        // Removed: the link is stale.
        Err(Errno::ENOENT) => {
            let _ = fs::unlink(&key_path(key));
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

/// The segment's size: from its header, or for a caller who may not read it, the pages its
/// file holds.
fn segment_size(id: i32) -> Result<u64, Errno> {
    let path = segment_path(id);
    let fd = match fs::open(&path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0) {
        Ok(fd) => fd,
        Err(Errno::EACCES) => {
            let file = fs::stat(&path)?;
            return Ok((file.st_size as u64).saturating_sub(PAGE_SIZE));
        }
        Err(Errno::ENOENT) => return Err(Errno::EINVAL),
        Err(error) => return Err(error),
    };
    let mut bytes = [0u8; 8];
    let read = pread64(fd, &mut bytes, core::mem::offset_of!(Header, size) as i64);
    let _ = close(fd);
    read?;
    Ok(u64::from_le_bytes(bytes))
}

/// `shmget(key, size, flags)`: the id of the segment `key` names, made (with `IPC_CREAT`) if it
/// has none; `IPC_PRIVATE` always makes a new one. The low nine bits of `flags` are the new
/// segment's permissions, and the access asked of an existing one.
///
/// # Errors
/// `EINVAL` (a size beyond the limit, zero for a new segment, or larger than the existing
/// segment), `EEXIST` (`IPC_CREAT | IPC_EXCL` and the key has one), `ENOENT` (no segment and no
/// `IPC_CREAT`), `EACCES` (the access asked is not allowed), `ENOMEM`/`ENOSPC`.
pub fn shmget(key: i32, size: usize, flags: i32) -> Result<i32, Errno> {
    let size = size as u64;
    if size > MAXIMUM_SEGMENT {
        return Err(Errno::EINVAL);
    }
    if key == IPC_PRIVATE {
        if size == 0 {
            return Err(Errno::EINVAL);
        }
        return create_segment(key, size, flags);
    }
    loop {
        if let Some(id) = id_of_key(key)? {
            if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                return Err(Errno::EEXIST);
            }
            let mut wanted = 0;
            if flags & 0o444 != 0 {
                wanted |= libposix_sys::fcntl::R_OK;
            }
            if flags & 0o222 != 0 {
                wanted |= libposix_sys::fcntl::W_OK;
            }
            if wanted != 0 {
                fs::access(&segment_path(id), wanted)?;
            }
            if size > segment_size(id)? {
                return Err(Errno::EINVAL);
            }
            return Ok(id);
        }
        if flags & IPC_CREAT == 0 {
            return Err(Errno::ENOENT);
        }
        if size == 0 {
            return Err(Errno::EINVAL);
        }
        let id = create_segment(key, size, flags)?;
        match fs::symlink(&format!("{id}"), &key_path(key)) {
            Ok(()) => return Ok(id),
            // Another process made one for the key meanwhile: use that one.
            Err(Errno::EEXIST) => {
                let _ = fs::unlink(&segment_path(id));
            }
            Err(error) => {
                let _ = fs::unlink(&segment_path(id));
                return Err(error);
            }
        }
    }
}

/// `shmat(id, address, flags)`: maps the segment, at `address` if not 0 (rounded down to
/// `SHMLBA` with `SHM_RND`), read-only with `SHM_RDONLY`. Returns where.
///
/// # Errors
/// `EINVAL` (no such id, a removed one, an unaligned address without `SHM_RND`), `EACCES`,
/// `ENOMEM`, `mmap`'s errors.
pub fn shmat(id: i32, address: u64, flags: i32) -> Result<u64, Errno> {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let address = if flags & SHM_RND != 0 {
        address & !(SHMLBA as u64 - 1)
    } else if !address.is_multiple_of(SHMLBA as u64) {
        return Err(Errno::EINVAL);
    } else {
        address
    };
    let read_only = flags & SHM_RDONLY != 0;
    let path = segment_path(id);
    let opened = fs::open(&path, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0);
    let (fd, may_write) = match opened {
        Ok(fd) => (fd, true),
        Err(Errno::EACCES) if read_only => (
            fs::open(&path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0)?,
            false,
        ),
        Err(Errno::ENOENT) => return Err(Errno::EINVAL),
        Err(error) => return Err(error),
    };
    let attached = attach(fd, address, flags, read_only, may_write);
    let _ = close(fd);
    attached
}

fn attach(
    fd: i32,
    address: u64,
    flags: i32,
    read_only: bool,
    may_write: bool,
) -> Result<u64, Errno> {
    let mut bytes = [0u8; 8];
    pread64(fd, &mut bytes, core::mem::offset_of!(Header, size) as i64)?;
    let size = u64::from_le_bytes(bytes);
    if size == 0 {
        return Err(Errno::EINVAL);
    }
    let protection = if read_only {
        PROT_READ
    } else {
        PROT_READ | PROT_WRITE
    };
    let mapping_flags = if address != 0 && flags & SHM_REMAP == 0 {
        MAP_SHARED | libposix_sys::mman::MAP_FIXED_NOREPLACE
    } else if address != 0 {
        MAP_SHARED | MAP_FIXED
    } else {
        MAP_SHARED
    };
    let data = super::mmap(
        address,
        size,
        protection,
        mapping_flags,
        fd,
        PAGE_SIZE as i64,
    )
    .map_err(|error| {
        if error == Errno::EEXIST {
            Errno::EINVAL
        } else {
            error
        }
    })?;
    let header = if may_write {
        match super::mmap(0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) {
            Ok(header) => Some(header),
            Err(error) => {
                let _ = super::munmap(data, size);
                return Err(error);
            }
        }
    } else {
        None
    };
    if let Some(header) = header {
        let header = header_of(header);
        header.attachments.fetch_add(1, Ordering::Relaxed);
        header.last_pid.store(
            crate::process::identity::getpid().unwrap_or(0),
            Ordering::Relaxed,
        );
        header.attach_time.store(now(), Ordering::Relaxed);
    }
    ATTACHMENTS.lock().push(Attachment {
        address: data,
        size,
        header,
    });
    Ok(data)
}

/// Lowers the count of the segment behind `attachment` and unmaps it.
fn detach(attachment: &Attachment) {
    if let Some(address) = attachment.header {
        let header = header_of(address);
        let _ = header
            .attachments
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| {
                count.checked_sub(1)
            });
        header.last_pid.store(
            crate::process::identity::getpid().unwrap_or(0),
            Ordering::Relaxed,
        );
        header.detach_time.store(now(), Ordering::Relaxed);
        let _ = super::munmap(address, PAGE_SIZE);
    }
    let _ = super::munmap(attachment.address, attachment.size);
}

/// `shmdt(address)`: detaches the segment attached at `address`.
///
/// # Errors
/// `EINVAL` when nothing is attached there.
pub fn shmdt(address: u64) -> Result<(), Errno> {
    let attachment = {
        let mut attachments = ATTACHMENTS.lock();
        let index = attachments
            .iter()
            .position(|attachment| attachment.address == address)
            .ok_or(Errno::EINVAL)?;
        attachments.remove(index)
    };
    detach(&attachment);
    Ok(())
}

/// Before `_exit` or a new image: every attachment's count goes down (the mappings go with the
/// address space).
pub(crate) fn before_image_ends() {
    for attachment in ATTACHMENTS.lock().iter() {
        if let Some(address) = attachment.header {
            let _ = header_of(address).attachments.fetch_update(
                Ordering::Relaxed,
                Ordering::Relaxed,
                |count| count.checked_sub(1),
            );
        }
    }
}

/// After a failed `execve`: the attachments are still ours, so they count again.
pub(crate) fn image_kept() {
    for attachment in ATTACHMENTS.lock().iter() {
        if let Some(address) = attachment.header {
            header_of(address)
                .attachments
                .fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// In a new child of `fork`: it shares every attachment (the mappings are `MAP_SHARED`), so
/// each counts once more.
pub(crate) fn after_fork() {
    image_kept();
}

/// `shmctl(id, command, status)`: `IPC_STAT` fills `status`, `IPC_SET` applies its owner ids
/// and mode, `IPC_RMID` removes the segment's names (attachments keep its pages).
///
/// # Errors
/// `EINVAL` (an unknown id or command), `EACCES` (`IPC_STAT` without read permission), `EPERM`
/// (`IPC_SET`/`IPC_RMID` by neither the owner, the creator, nor a privileged process).
pub fn shmctl(id: i32, command: i32, status: Option<&mut SharedMemoryStatus>) -> Result<(), Errno> {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let path = segment_path(id);
    match command {
        IPC_STAT => {
            let status = status.ok_or(Errno::EFAULT)?;
            let fd = fs::open(&path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0).map_err(|error| {
                if error == Errno::ENOENT {
                    Errno::EINVAL
                } else {
                    error
                }
            })?;
            let result = stat_into(fd, status);
            let _ = close(fd);
            result
        }
        IPC_SET => {
            let status = status.ok_or(Errno::EFAULT)?;
            let file = fs::stat(&path).map_err(|_| Errno::EINVAL)?;
            if (file.st_uid, file.st_gid) != (status.shm_perm.uid, status.shm_perm.gid) {
                fs::chown(&path, status.shm_perm.uid, status.shm_perm.gid)?;
            }
            fs::chmod(&path, u32::from(status.shm_perm.mode) & 0o777)
        }
        IPC_RMID => {
            let file = fs::stat(&path).map_err(|_| Errno::EINVAL)?;
            let mut bytes = [0u8; 24];
            let fd = fs::open(&path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
            if let Ok(fd) = fd {
                let _ = pread64(fd, &mut bytes, 0);
                let _ = close(fd);
            }
            let key = i32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            let creator = u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
            let euid = crate::process::credentials::geteuid();
            if euid != 0 && euid != file.st_uid && euid != creator {
                return Err(Errno::EPERM);
            }
            // The file server decides in the end (the sticky directory: owner or privileged).
            fs::unlink(&path)?;
            if key != IPC_PRIVATE {
                let _ = fs::unlink(&key_path(key));
            }
            Ok(())
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `IPC_STAT` of the segment open at `fd`.
fn stat_into(fd: i32, status: &mut SharedMemoryStatus) -> Result<(), Errno> {
    let file = fs::fstat(fd)?;
    let mut bytes = [0u8; core::mem::size_of::<Header>()];
    pread64(fd, &mut bytes, 0)?;
    let word = |offset: usize| {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[offset..offset + 8]);
        u64::from_le_bytes(word)
    };
    let half = |offset: usize| word(offset) as u32 as i32;
    if word(core::mem::offset_of!(Header, magic)) != MAGIC {
        return Err(Errno::EINVAL);
    }
    *status = SharedMemoryStatus {
        shm_perm: IpcPermissions {
            key: half(core::mem::offset_of!(Header, key)),
            uid: file.st_uid,
            gid: file.st_gid,
            cuid: word(core::mem::offset_of!(Header, creator_uid)) as u32,
            cgid: word(core::mem::offset_of!(Header, creator_gid)) as u32,
            mode: (file.st_mode & 0o777) as u16,
            ..IpcPermissions::default()
        },
        shm_segsz: word(core::mem::offset_of!(Header, size)),
        shm_atime: word(core::mem::offset_of!(Header, attach_time)) as i64,
        shm_dtime: word(core::mem::offset_of!(Header, detach_time)) as i64,
        shm_ctime: file.st_ctime,
        shm_cpid: half(core::mem::offset_of!(Header, creator_pid)),
        shm_lpid: half(core::mem::offset_of!(Header, last_pid)),
        shm_nattch: word(core::mem::offset_of!(Header, attachments)),
        ..SharedMemoryStatus::default()
    };
    Ok(())
}
