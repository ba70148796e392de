//! `fork`: a child process that is a copy of this one, its private writable memory shared
//! copy-on-write ([`super::copy_on_write`]), its capability space copied, registered with the
//! process server as our child. Only the calling thread is duplicated.
//!
//! The child starts at `libos_fork_resume` in `libos_fork_enter`, with the stack pointer at the
//! callee-saved registers the parent pushed there: it pops them and returns 0 from the same
//! call that returns the child's pid in the parent. The parent builds the child on the stack
//! and in the buffers of its scratch area ([`super::fork_scratch`]), which the child does not
//! get, so that building writes nothing of the memory the child gets. The child's memory is
//! mapped by the parent through the child's own copies of our frame capabilities
//! (`EnvironmentMapBatch`), so the parent's exit, exec or deletion of frames cannot take it
//! away. The pages we wrote since the last fork the child gets as fresh copies of its own
//! (`EnvironmentFrameCopy`), mapped writable, while ours stay as they are: neither side takes a
//! copy-on-write fault on them. Only a frame whose capability could not be copied (no GRANT) is
//! mapped through ours (a shared window: the child repairs it if it goes, `window_recovery`).

use alloc::vec::Vec;
use core::arch::global_asm;
use core::sync::atomic::Ordering;

use exokernel_abi::{
    Call, KernelError, MapOperation, MapOperationKind, PAGE_SIZE, PageCopy, PageCount, RegisterSet,
    Rights, Slot, UserAddress, initial,
};
use libposix_sys::errno::Errno;

use super::child::{Child, take_slot};
use super::copy_on_write::{self, PRIVATE_AREA, PRIVATE_AREA_PAGES};
use super::fork_scratch::{self, Buffers, Filling, Record};
use super::identity;
use crate::kernel::call;
use crate::memory::map_all;
use crate::slots::{self, FORKED_SLOT_COUNT, PRIVATE_AREA_SLOT};
/// The least a forked child can live on (its address space's 257 pages, its capability space,
/// private area and a few copied pages): with less left in our quota, `fork` is `ENOMEM` at
/// once rather than a child that dies at its first copy.
const SMALLEST_BUDGET_PAGES: u64 = 384;
/// The mapping records fork first makes room for (a program's image, stack, heap and a few
/// windows fit).
const FIRST_RECORDS: usize = 48;
/// The most mapping records a process that forks may have.
const MAXIMUM_RECORDS: usize = 1024;
/// What `build_child` returns when our mappings do not fit the scratch area's buffers.
const NEEDS_ROOM: i64 = i64::MIN;

global_asm!(
    r#"
    .text
    .global libos_fork_enter
    .global libos_fork_resume
// i64 libos_fork_enter(i64 (*build)(u64 resume_rsp, u64 resume_rip), u64 build_stack_top)
libos_fork_enter:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rdi, %rax
    mov %rsp, %rdi
    mov %rsp, %rbx
    mov %rsi, %rsp
    lea libos_fork_resume(%rip), %rsi
    call *%rax
    mov %rbx, %rsp
    jmp 1f
libos_fork_resume:
    xor %eax, %eax
1:
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    "#,
    options(att_syntax)
);

unsafe extern "C" {
    /// Pushes the callee-saved registers, calls `build(stack pointer at them, resume address)`
    /// on the stack ending at `build_stack_top` (16-byte aligned) and returns what it returned
    /// — or 0, in a child started at the resume address.
    fn libos_fork_enter(build: extern "C" fn(u64, u64) -> i64, build_stack_top: u64) -> i64;
}

/// Why [`build`] made no child.
enum BuildError {
    /// Our mappings do not fit the scratch area's buffers: fork again with more room.
    NeedsRoom,
    Failed(Errno),
}

impl From<Errno> for BuildError {
    fn from(error: Errno) -> Self {
        Self::Failed(error)
    }
}

fn rights_of(record: &Record) -> Rights {
    Rights::from_bits_truncate(record.access as _)
}

/// `fork`: creates a child process, a copy of this one; returns the child's pid here and 0 in
/// the child.
///
/// # Errors
/// `ENOSYS` when this process is not registered with a process server; `ENOMEM` when memory,
/// slots or copy-on-write ranges run out; `EAGAIN` when the process server is full.
pub fn fork() -> Result<i32, Errno> {
    identity::getpid()?;
    // Threads that ended by themselves give back their stacks and pages first.
    crate::thread::registry::reclaim();
    adopt_own_image()?;
    // Mapped file pages would turn copy-on-write below: drop them; both sides map again.
    crate::fs::server_file::forget_mappings_before_fork();
    copy_on_write::ensure_private_area().map_err(|_| Errno::ENOMEM)?;
    let mut capacity = fork_scratch::capacity().max(FIRST_RECORDS);
    let result = loop {
        let stack_top = fork_scratch::prepare(capacity).map_err(|error| match error {
            KernelError::InvalidState => Errno::EAGAIN,
            _ => Errno::ENOMEM,
        })?;
        crate::signal::page::set_forking(true);
        // SAFETY: `build_child` follows the contract of `libos_fork_enter` (any values; it
        // returns a pid or a negative errno); the assembly keeps the System V calling
        // convention; `stack_top` ends the scratch area's stack, mapped and ours alone.
        let result = unsafe { libos_fork_enter(build_child, stack_top) };
        if result == NEEDS_ROOM && capacity < MAXIMUM_RECORDS {
            crate::signal::page::set_forking(false);
            capacity = (capacity * 4).min(MAXIMUM_RECORDS);
            continue;
        }
        break if result == NEEDS_ROOM {
            -i64::from(Errno::ENOMEM.as_raw())
        } else {
            result
        };
    };
    if result != 0 {
        // The dead-window bits turned copy-on-write: private again before a fault needs them.
        crate::window_recovery::after_fork();
        crate::signal::page::set_forking(false);
        crate::signal::delivery::deliver_pending();
    }
    match result {
        0 => {
            child_side();
            crate::window_recovery::after_fork();
            Ok(0)
        }
        pid if pid > 0 => Ok(pid as i32),
        error => Err(Errno::from_raw((-error) as i32).unwrap_or(Errno::ENOMEM)),
    }
}

/// `vfork`: as [`fork`], but this process resumes only once the child has `execve`d or ended
/// (POSIX's guarantee; the child still runs on a copy-on-write copy of our memory, so what it
/// does before then cannot harm us, a stricter behaviour than Linux's shared memory).
///
/// The child holds one end of a channel that nothing records: its `execve` deletes it with the
/// rest of the old image's slots, and its end takes it too, so the kernel tells us either way.
///
/// # Errors
/// As [`fork`].
pub fn vfork() -> Result<i32, Errno> {
    let quota = initial::MEMORY_QUOTA;
    let ends = (slots::allocate(), slots::allocate(), slots::allocate());
    let (Some(ours), Some(theirs), Some(woken)) = ends else {
        for slot in [ends.0, ends.1, ends.2].into_iter().flatten() {
            slots::free(slot);
        }
        return Err(Errno::ENOMEM);
    };
    let release = |slot: Slot| {
        let _ = call(Call::CapabilityDelete { slot });
        slots::free(slot);
    };
    let made = call(Call::ChannelCreate {
        quota,
        first: ours,
        second: theirs,
    })
    .and_then(|_| {
        call(Call::NotificationCreate {
            quota,
            destination: woken,
        })
    })
    .and_then(|_| {
        call(Call::ChannelWatch {
            end: ours,
            notification: woken,
            bits: 1,
        })
    });
    if made.is_err() {
        for slot in [ours, theirs, woken] {
            release(slot);
        }
        return Err(Errno::ENOMEM);
    }
    let forked = fork();
    match forked {
        Ok(0) => {
            // Ours is the end nobody records; the parent's end and notification are not ours.
            release(ours);
            release(woken);
        }
        Ok(_) => {
            release(theirs);
            // Until every capability to the child's end is gone: its exec or its end.
            while call(Call::CapabilityIdentify { slot: ours }).is_ok_and(|words| words[3] != 0) {
                let _ = call(Call::NotificationWait {
                    notification: woken,
                    timeout: 100_000_000,
                });
            }
            release(ours);
            release(woken);
        }
        Err(_) => {
            for slot in [ours, theirs, woken] {
                release(slot);
            }
        }
    }
    forked
}

/// Whether our image and stack are mapped through our own frame capabilities.
static IMAGE_ADOPTED: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Remaps our image and stack — mapped by the program that started us through its own frame
/// capabilities — through the copies it gave us, in address order from `FIRST_IMAGE_SLOT`
/// (`spawn`'s layout), so that every mapping of ours names a slot of ours that a child can
/// copy. Each record's unmap and map happen in one kernel entry.
fn adopt_own_image() -> Result<(), Errno> {
    if IMAGE_ADOPTED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut address = 0;
    let mut slot = initial::FIRST_IMAGE_SLOT.0;
    loop {
        let words = match call(Call::MappingNext {
            address_space: initial::SELF_ADDRESS_SPACE,
            address,
        }) {
            Ok(words) => words,
            Err(KernelError::NotMapped) => break,
            Err(error) => return Err(kernel(error)),
        };
        let (start, pages, frame, first_page, access) =
            (words[0], words[1], words[2], words[3], words[4]);
        address = start + pages * PAGE_SIZE;
        if frame != u64::MAX {
            continue;
        }
        let identity = call(Call::CapabilityIdentify { slot: Slot(slot) }).map_err(kernel)?;
        if slot >= initial::FIRST_FREE_SLOT.0
            || identity[0] != exokernel_abi::ObjectKind::Frame as u64
            || identity[3] != pages
            || first_page != 0
            || pages > PageCount::MAXIMUM
        {
            return Err(Errno::ENOMEM);
        }
        // On the heap: the kernel reads each entry as it goes, and the stack is being remapped.
        let operations = alloc::boxed::Box::new([
            MapOperation {
                kind: MapOperationKind::Unmap as u64,
                frame: 0,
                virtual_address: start,
                first_page: 0,
                page_count: pages,
                rights: 0,
            },
            MapOperation {
                kind: MapOperationKind::Map as u64,
                frame: u64::from(slot),
                virtual_address: start,
                first_page: 0,
                page_count: pages,
                rights: access,
            },
        ]);
        let words = call(Call::MapBatch {
            address_space: initial::SELF_ADDRESS_SPACE,
            operations: UserAddress(operations.as_ptr() as u64),
            count: 2,
        })
        .map_err(kernel)?;
        if words[1] != 0 {
            return Err(Errno::ENOMEM);
        }
        slot += 1;
    }
    IMAGE_ADOPTED.store(true, Ordering::Relaxed);
    Ok(())
}

extern "C" fn build_child(resume_stack: u64, resume_address: u64) -> i64 {
    match build(resume_stack, resume_address) {
        Ok(pid) => i64::from(pid),
        Err(BuildError::NeedsRoom) => NEEDS_ROOM,
        Err(BuildError::Failed(error)) => -i64::from(error.as_raw()),
    }
}

fn kernel(error: KernelError) -> Errno {
    match error {
        KernelError::QuotaExhausted | KernelError::OutOfMemory => Errno::ENOMEM,
        _ => Errno::EAGAIN,
    }
}

/// Every mapping of ours, in address order, except the private area, the signal page and the
/// scratch area, into `records` (the heap must not grow, map new pages, once our mappings are
/// read), read with `MappingList` into `listed`.
fn read_mappings(
    records: &mut Filling<'_, Record>,
    listed: &mut [[u64; 5]],
) -> Result<(), BuildError> {
    let mut address = 0;
    loop {
        let capacity = (listed.len() as u64).min(exokernel_abi::MAPPING_LIST_MAXIMUM);
        let words = call(Call::MappingList {
            address_space: initial::SELF_ADDRESS_SPACE,
            address,
            buffer: UserAddress(listed.as_mut_ptr() as u64),
            capacity,
        })
        .map_err(kernel)?;
        let (count, more) = ((words[0] as usize).min(listed.len()), words[1] != 0);
        for entry in &listed[..count] {
            let record = Record {
                address: entry[0],
                pages: entry[1],
                slot: entry[2],
                first_page: entry[3],
                access: entry[4],
                hot: 0,
            };
            address = record.address + record.pages * PAGE_SIZE;
            if (PRIVATE_AREA..PRIVATE_AREA + PRIVATE_AREA_PAGES * PAGE_SIZE)
                .contains(&record.address)
                || record.address == crate::signal::page::SIGNAL_PAGE_ADDRESS
                || fork_scratch::contains(record.address)
            {
                // The private area is made anew; the signal page is the server's per process
                // (the child maps its own copy, `signal::page::remap_after_fork`); the scratch
                // area is ours alone.
                continue;
            }
            if record.slot == u64::MAX {
                // Made through a capability we do not hold: nothing to give the child.
                return Err(Errno::ENOMEM.into());
            }
            // One place stays for the private area's record.
            if records.push(record).is_err() || records.is_full() {
                return Err(BuildError::NeedsRoom);
            }
        }
        if !more || count == 0 {
            return Ok(());
        }
    }
}

/// Copies our capabilities into the child's space at the same slots, except those `skip` marks.
fn copy_capabilities(environment: Slot, skip: &[u8]) -> Result<(), Errno> {
    let mut slot = initial::CONSOLE.0 as usize;
    let end = skip.len();
    while slot < end {
        if skip[slot] != 0 {
            slot += 1;
            continue;
        }
        let mut count = 0;
        while slot + count < end && skip[slot + count] == 0 && count < 256 {
            count += 1;
        }
        let words = call(Call::CapabilityCopyRange {
            environment,
            source: Slot(slot as u32),
            destination: Slot(slot as u32),
            count: count as u64,
        })
        .map_err(kernel)?;
        // A slot that cannot be copied (no GRANT) is skipped: the child does without it.
        let done = (words[0] as usize).min(count);
        slot += if words[1] == 0 { count } else { done + 1 };
    }
    Ok(())
}

fn build(resume_stack: u64, resume_address: u64) -> Result<i32, BuildError> {
    let available = call(Call::CapabilityIdentify {
        slot: initial::MEMORY_QUOTA,
    })
    .map_err(kernel)?[3];
    if available < SMALLEST_BUDGET_PAGES {
        return Err(Errno::ENOMEM.into());
    }
    // Private regions with nothing mapped (PROT_NONE) are copy-on-write as well: whichever side
    // makes them accessible again maps their frames without WRITE, and the first write copies.
    // Regions mapped without PROT_WRITE are noted, so that a write there stays the program's
    // error for both sides.
    let regions = crate::memory::regions_for_fork();
    for (start, end) in regions.unmapped {
        copy_on_write::add_range(start, end).map_err(kernel)?;
    }
    copy_on_write::replace_unwritable(&regions.unwritable);
    // The child pays from our quota through a copy of our capability (`share_quota`): what it
    // allocates is charged to the budget we share, and revoking the copy when it is collected
    // takes back exactly what it made.
    let quota = super::spawn::share_quota().map_err(kernel)?;
    // Files of the shared root: a connection of the child's own, with our handles duplicated
    // into it, made now (before our memory is fixed) so the child finds it in its copy.
    if let Err(error) = prepare_files() {
        let _ = call(Call::CapabilityRevoke { slot: quota });
        let _ = call(Call::CapabilityDelete { slot: quota });
        slots::free(quota);
        return Err(error.into());
    }
    let mut child = Child {
        environment: take_slot().map_err(|_| Errno::ENOMEM)?,
        notification: take_slot().map_err(|_| Errno::ENOMEM)?,
        address_space: Some(take_slot().map_err(|_| Errno::ENOMEM)?),
        quota: Some(quota),
        frames: Vec::new(),
        pid: None,
    };
    let built = fork_scratch::with_buffers(|buffers| match buffers {
        Some(buffers) => build_in(&mut child, quota, resume_stack, resume_address, buffers),
        None => Err(Errno::EAGAIN.into()),
    });
    // Our capabilities of the child's connection go: the child has its copies.
    if let Some(files) = FORK_FILES.lock().take() {
        crate::fs::client::release_parts(files.connection);
    }
    match built {
        Ok(()) => child.adopt().map_err(|child| {
            child.reap();
            Errno::ENOSYS.into()
        }),
        Err(error) => {
            child.reap();
            Err(error)
        }
    }
}

fn build_in(
    child: &mut Child,
    quota: Slot,
    resume_stack: u64,
    resume_address: u64,
    buffers: Buffers<'_>,
) -> Result<(), BuildError> {
    let Buffers {
        snapshot: child_state,
        skip,
        mut records,
        mut protections,
        mut child_mappings,
        listed,
        mut copies,
    } = buffers;
    let address_space = child.address_space.ok_or(Errno::EINVAL)?;
    let environment = child.environment;
    call(Call::AddressSpaceCreate {
        quota,
        destination: address_space,
    })
    .map_err(kernel)?;
    call(Call::EnvironmentCreate {
        quota,
        address_space,
        destination: environment,
        slots: FORKED_SLOT_COUNT,
    })
    .map_err(kernel)?;

    // Nothing of ours that the child gets is written from here on but by the kernel calls
    // themselves: everything built below is in the scratch area, on its stack, or ours alone.
    skip.fill(0);
    for slot in [
        initial::SELF_ENVIRONMENT,
        initial::SELF_ADDRESS_SPACE,
        initial::MEMORY_QUOTA,
        identity::PROCESS_SERVER,
        PRIVATE_AREA_SLOT,
    ]
    .into_iter()
    .chain(fork_scratch::slot())
    .chain(crate::signal::page::held_slot())
    .chain(child.slots())
    .chain(super::child::adopted_slots())
    .chain(identity::child_events_slot())
    // A registered child gets a file-server capability of its own from the process server
    // (badged with its credentials, revoked when they change), not a copy of ours.
    .chain(identity::is_registered().then_some(crate::well_known_slots::FILE_SERVER))
    // Likewise its socket-server capability (badged with its pid), when ours came that way.
    .chain(
        (identity::is_registered() && crate::socket::protocol::minted_for_process())
            .then_some(crate::well_known_slots::SOCKET_SERVER),
    )
    // Likewise its capability to the terminal server, badged with its own pid.
    .chain(identity::is_registered().then_some(crate::well_known_slots::TERMINAL_SERVER))
    {
        if let Some(entry) = skip.get_mut(slot.0 as usize) {
            *entry = 1;
        }
    }
    child.frames.reserve(2);
    read_mappings(&mut records, listed)?;
    for record in records.iter() {
        let end = record.address + record.pages * PAGE_SIZE;
        // Shared windows (pipe rings, buffers shared with servers) stay shared.
        if crate::memory::stays_shared(record.address) {
            continue;
        }
        if rights_of(record).contains(Rights::WRITE)
            || copy_on_write::is_copy_on_write(record.address)
        {
            copy_on_write::add_range(record.address, end).map_err(kernel)?;
        }
    }
    records
        .push(Record {
            address: PRIVATE_AREA,
            pages: PRIVATE_AREA_PAGES,
            slot: u64::from(PRIVATE_AREA_SLOT.0),
            first_page: 0,
            access: u64::from((Rights::READ | Rights::WRITE).bits()),
            hot: 0,
        })
        .map_err(|_| BuildError::NeedsRoom)?;

    // The child's copy-on-write state: ours as it is now (the same ranges and pool position).
    copy_on_write::take_snapshot(child_state);
    // The pages we wrote since the last fork (writable one-page frames of the pool), likely to
    // be written again by both sides: the child gets copies of its own, writable, at the same
    // slots, and ours stay writable.
    for record in records.iter_mut() {
        if !copies.is_full()
            && record.pages == 1
            && rights_of(record).contains(Rights::WRITE)
            && copy_on_write::is_pool_slot(record.slot)
            && copy_on_write::is_copy_on_write(record.address)
            && !crate::memory::stays_shared(record.address)
        {
            record.hot = 1;
            let _ = copies.push(PageCopy {
                address: record.address,
                destination: record.slot,
            });
            if let Some(entry) = skip.get_mut(record.slot as usize) {
                *entry = 1;
            }
        }
    }

    // The child's memory, mapped (below) through its own capabilities at the same slots as
    // ours: copies of our frame capabilities, whose pages turn read-only on both sides and stay
    // as they are (our own writes from then on go to copies), and the copies of our hot pages.
    for record in records.iter() {
        let mut rights = rights_of(record);
        // (A shared mapping may sit where an earlier fork recorded a copy-on-write range that
        // was unmapped since: ranges are never removed, so it must not be taken for one.)
        if record.address != PRIVATE_AREA
            && record.hot == 0
            && copy_on_write::is_copy_on_write(record.address)
            && !crate::memory::stays_shared(record.address)
        {
            rights.remove(Rights::WRITE);
        }
        for done in (0..record.pages).step_by(PageCount::MAXIMUM as usize) {
            child_mappings
                .push(MapOperation {
                    kind: MapOperationKind::Map as u64,
                    frame: record.slot,
                    virtual_address: record.address + done * PAGE_SIZE,
                    first_page: record.first_page + done,
                    page_count: (record.pages - done).min(PageCount::MAXIMUM),
                    rights: u64::from(rights.bits()),
                })
                .map_err(|_| BuildError::NeedsRoom)?;
        }
    }

    // Our own writable pages but the hot ones turn read-only: from here on, the frames behind
    // them hold the child's memory, fixed. A record of a copy-on-write range turns read-only
    // whatever its first page says (all `MappingList` reports): pages of it may have been made
    // writable in place since the last fork (`FRAME_COPY_REUSE`) while its first page was not.
    for record in records.iter().filter(|record| {
        record.address != PRIVATE_AREA
            && record.hot == 0
            && (rights_of(record).contains(Rights::WRITE)
                || copy_on_write::is_copy_on_write(record.address))
            && !crate::memory::stays_shared(record.address)
    }) {
        for done in (0..record.pages).step_by(PageCount::MAXIMUM as usize) {
            protections
                .push(MapOperation {
                    kind: MapOperationKind::Protect as u64,
                    frame: 0,
                    virtual_address: record.address + done * PAGE_SIZE,
                    first_page: 0,
                    page_count: (record.pages - done).min(PageCount::MAXIMUM),
                    rights: u64::from((rights_of(record) - Rights::WRITE).bits()),
                })
                .map_err(|_| BuildError::NeedsRoom)?;
        }
    }
    let pool_before = copy_on_write::pool_mark();
    let mut batch_start = 0;
    while batch_start < protections.len() {
        let mut pages = 0;
        let mut batch_end = batch_start;
        while batch_end < protections.len()
            && batch_end - batch_start < MapOperation::MAXIMUM_BATCH as usize
            && pages + protections[batch_end].page_count <= PageCount::MAXIMUM
        {
            pages += protections[batch_end].page_count;
            batch_end += 1;
        }
        let words = call(Call::MapBatch {
            address_space: initial::SELF_ADDRESS_SPACE,
            operations: UserAddress(protections[batch_start..].as_ptr() as u64),
            count: (batch_end - batch_start) as u64,
        })
        .map_err(kernel)?;
        if words[1] != 0 {
            return Err(Errno::ENOMEM.into());
        }
        batch_start = batch_end;
    }
    // The child's copies of the pages that stay writable, as they are at this moment.
    if !copies.is_empty() {
        let words = call(Call::EnvironmentFrameCopy {
            environment,
            quota,
            address_space: initial::SELF_ADDRESS_SPACE,
            copies: UserAddress(copies.as_ptr() as u64),
            count: copies.len() as u64,
        })
        .map_err(kernel)?;
        if words[1] != 0 {
            let error = KernelError::from_code(words[1]).unwrap_or(KernelError::OutOfMemory);
            return Err(kernel(error).into());
        }
    }

    // The frames of any copy-on-write fault taken since our pages turned read-only are ours
    // alone (the child keeps the frames the faults copied away from).
    for slot in copy_on_write::pool_taken_since(pool_before) {
        if let Some(entry) = skip.get_mut(slot.0 as usize) {
            *entry = 1;
        }
    }
    // Capabilities: everything but our identity, our children's, the child's own and those of
    // the pages it got copies of.
    copy_capabilities(environment, skip)?;
    // A fault since the slots above were marked took a slot the child got a copy of.
    for slot in copy_on_write::pool_taken_since(pool_before) {
        if skip.get(slot.0 as usize).is_some_and(|&entry| entry == 0) {
            copy_on_write::mark_used(child_state, slot);
        }
    }

    // The child's private area: our state and lists pages as they were before the pool took
    // anything for faults since (the pool slots taken since are empty in the child's space,
    // so they are free there as that pool position says).
    let private = super::spawn::filled_frame(
        quota,
        PRIVATE_AREA_PAGES,
        0,
        copy_on_write::snapshot_bytes(child_state),
    )
    .map_err(kernel)?;
    child.frames.push(private);
    for (source, destination) in [
        (environment, initial::SELF_ENVIRONMENT),
        (address_space, initial::SELF_ADDRESS_SPACE),
        (quota, initial::MEMORY_QUOTA),
        (private, PRIVATE_AREA_SLOT),
    ] {
        call(Call::EnvironmentGrant {
            environment,
            source,
            destination,
            rights: Rights::all(),
        })
        .map_err(kernel)?;
    }

    map_into_child(environment, address_space, &child_mappings)?;

    call(Call::EnvironmentSetExceptionHandler {
        environment,
        entry: UserAddress(copy_on_write::entry()),
        stack_top: UserAddress(copy_on_write::stack_top()),
        options: 0,
    })
    .map_err(kernel)?;

    // Only the calling thread goes on in the child, as its main thread (GS base 0), with the
    // caller's FS base (its TLS).
    let registers = RegisterSet {
        rip: resume_address,
        rsp: resume_stack,
        fs_base: crate::thread::own_fs_base(),
        ..RegisterSet::default()
    };
    super::spawn::equip_and_start(
        child,
        quota,
        [].iter(),
        &registers,
        super::spawn::Registration::Fork,
    )
    .map_err(kernel)?;
    // The frames our pages were copied away from by faults since the last fork are ours alone
    // to delete: no child maps them through our capabilities.
    copy_on_write::reclaim_retired();
    if child.pid.is_none() {
        return Err(Errno::ENOSYS.into());
    }
    Ok(())
}

/// Applies the `Map` operations to the child's address space through the child's capabilities,
/// at most 512 entries and 1024 pages per kernel call. An entry the child's space cannot serve
/// (its capability was not copied: no GRANT) is mapped through ours instead, when that shares
/// nothing writable that should not be (a read-only page, or a shared window).
fn map_into_child(
    environment: Slot,
    address_space: Slot,
    operations: &[MapOperation],
) -> Result<(), Errno> {
    let mut start = 0;
    while start < operations.len() {
        let mut pages = 0;
        let mut end = start;
        while end < operations.len()
            && end - start < MapOperation::MAXIMUM_BATCH as usize
            && pages + operations[end].page_count <= PageCount::MAXIMUM
        {
            pages += operations[end].page_count;
            end += 1;
        }
        let words = call(Call::EnvironmentMapBatch {
            environment,
            address_space,
            operations: UserAddress(operations[start..].as_ptr() as u64),
            count: (end - start) as u64,
        })
        .map_err(kernel)?;
        let applied = (words[0] as usize).min(end - start);
        start += applied;
        if words[1] != 0 && start < operations.len() {
            let operation = &operations[start];
            // The private area and the copies are the child's own frames: nothing of ours can
            // stand in for them.
            let rights = Rights::from_bits_truncate(operation.rights as _);
            if operation.virtual_address == PRIVATE_AREA
                || (rights.contains(Rights::WRITE)
                    && !crate::memory::stays_shared(operation.virtual_address))
            {
                return Err(Errno::ENOMEM);
            }
            map_all(
                address_space,
                Slot(operation.frame as u32),
                operation.virtual_address,
                operation.first_page,
                operation.page_count,
                rights,
            )
            .map_err(kernel)?;
            start += 1;
        }
    }
    Ok(())
}

/// The connection a child of `fork` takes over, and the handle each file description of ours
/// has in it.
struct ForkFiles {
    connection: crate::fs::client::ConnectionParts,
    handles: Vec<(crate::io::descriptors::Description, u32)>,
}

static FORK_FILES: spin::Mutex<Option<ForkFiles>> = spin::Mutex::new(None);

/// Shares the offset of every shared-root file our descriptors name (`io::shared_state`), opens
/// the child's connection and duplicates the handle of each into it (none when no such file is
/// open: the child connects on first use).
fn prepare_files() -> Result<(), Errno> {
    use crate::io::description::Backend;
    let mut handles: Vec<(crate::io::descriptors::Description, u32)> = Vec::new();
    let mut connection = None;
    for (_, description, _) in crate::io::descriptors::snapshot() {
        let Backend::Server(file) = description.backend() else {
            continue;
        };
        if handles
            .iter()
            .any(|(known, _)| alloc::sync::Arc::ptr_eq(known, &description))
        {
            continue;
        }
        // The child shares the offset and status flags: they move into a page both map (the
        // mapping is in the shared-window region, which the child keeps shared).
        if let Err(error) = description.share() {
            if let Some(parts) = connection {
                crate::fs::client::release_parts(parts);
            }
            return Err(error);
        }
        let parts = match connection {
            Some(parts) => parts,
            None => {
                let parts = crate::fs::client::connection_for_child(initial::MEMORY_QUOTA)?;
                connection = Some(parts);
                parts
            }
        };
        match crate::fs::client::duplicate(file.handle(), parts.number) {
            Ok(handle) => handles.push((description.clone(), handle)),
            Err(error) => {
                crate::fs::client::release_parts(parts);
                return Err(error);
            }
        }
    }
    *FORK_FILES.lock() = connection.map(|connection| ForkFiles {
        connection,
        handles,
    });
    Ok(())
}

/// In the child: move to the connection the parent made for us and name our files by their
/// handles there; without one, forget the parent's connection (ours comes on first use).
fn adopt_files() {
    use crate::io::description::Backend;
    match FORK_FILES.lock().take() {
        Some(files) => {
            let _ = crate::fs::client::adopt_connection(files.connection);
            for (description, handle) in files.handles {
                if let Backend::Server(file) = description.backend() {
                    file.set_handle(handle);
                }
            }
        }
        None => crate::fs::client::forget_connection(),
    }
}

/// The child's first steps: forget the parent's identity, children, scratch area and retired
/// frames.
fn child_side() {
    copy_on_write::forget_retired();
    fork_scratch::forget_after_fork();
    adopt_files();
    identity::forget_after_fork();
    crate::thread::registry::forget_after_fork();
    super::child::forget_adopted_after_fork();
    crate::event::wake::forget_after_fork();
    crate::socket::named::forget_after_fork();
    crate::signal::page::remap_after_fork();
    crate::memory::system_v::after_fork();
    crate::time::timers::forget_after_fork();
}
