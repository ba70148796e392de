//! Anonymous memory in POSIX form: `mmap` (MAP_PRIVATE|MAP_ANONYMOUS, MAP_FIXED,
//! MAP_FIXED_NOREPLACE), `munmap` of any page range, `mprotect` and `madvise`.
//!
//! The LibOS keeps a [`RegionMap`] of what `mmap` (and `brk`) made: each region records the
//! frame capability backing it, where that frame's first page would sit (so a region keeps its
//! value when split), and its protection. Memory is allocated **eagerly**: `mmap` takes zeroed
//! frames of up to [`CHUNK_PAGES`] pages from the quota and maps them at once, so no page fault
//! is ever taken on anonymous memory and the exception upcall stays free for the program.
//! A frame's capability is deleted (its pages go back to the quota) when no region uses it.

use alloc::vec::Vec;

use exokernel_abi::{Call, PAGE_SIZE, PageAddress, PageCount, Rights, Slot, initial};
use libposix_sys::Errno;
use libposix_sys::mman::{
    MADV_DODUMP, MADV_DOFORK, MADV_DONTDUMP, MADV_DONTFORK, MADV_DONTNEED, MADV_FREE, MADV_NORMAL,
    MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MAP_32BIT, MAP_ANONYMOUS, MAP_FIXED,
    MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_HUGETLB, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE,
    MAP_TYPE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE,
};
use region_map::{Region, RegionMap};

use crate::kernel::call;
use crate::slots;
use crate::thread::Mutex;

/// Where `mmap` places mappings (and the only place MAP_FIXED may name): 1 MiB past the start
/// of `fork`'s private area (`process::copy_on_write::PRIVATE_AREA`, its pages and its copy
/// window), which a mapping placed there would otherwise take and make every `fork` fail.
pub const MMAP_AREA_START: u64 = 0x0000_5000_0010_0000;
/// The end of the `mmap` area (512 GiB).
pub const MMAP_AREA_END: u64 = 0x0000_5080_0000_0000;

/// The most pages one backing frame holds (a physically contiguous run from the quota).
pub const CHUNK_PAGES: u64 = 256;

/// What backs a region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Backing {
    /// The frame capability.
    pub(crate) frame: Slot,
    /// The address at which the frame's page 0 is (or would be) mapped.
    pub(crate) origin: u64,
    /// `PROT_*` bits.
    pub(crate) protection: i32,
    /// The frame is shared (MAP_SHARED, anonymous or a file's pages): `fork` leaves it shared
    /// and `madvise(MADV_DONTNEED)` keeps its contents.
    pub(crate) shared: bool,
    /// Whether PROT_WRITE may be given (false for a shared mapping of a file not open for
    /// writing: `mprotect` answers `EACCES`).
    pub(crate) may_write: bool,
    /// The frame is a file's (a shared file mapping).
    pub(crate) file: bool,
    /// The pages are past the end of the mapped file: never mapped, an access is SIGBUS
    /// (`beyond_end_of_file`).
    pub(crate) beyond_end_of_file: bool,
}

impl Backing {
    /// The kernel rights its pages are mapped with under `protection` (`None`: left unmapped,
    /// for PROT_NONE and past the end of a file).
    pub(crate) fn mapped_rights(&self, protection: i32) -> Option<Rights> {
        if self.beyond_end_of_file {
            None
        } else {
            rights_for(protection)
        }
    }
}

/// Every region `mmap` and `brk` made.
pub(crate) static REGIONS: Mutex<RegionMap<Backing>> = Mutex::new(RegionMap::new());

/// The kernel rights for `PROT_*` bits (`None` for PROT_NONE: the pages are left unmapped).
pub(crate) fn rights_for(protection: i32) -> Option<Rights> {
    if protection & (PROT_READ | PROT_WRITE | PROT_EXEC) == PROT_NONE {
        return None;
    }
    let mut rights = Rights::READ;
    if protection & PROT_WRITE != 0 {
        rights |= Rights::WRITE;
    }
    if protection & PROT_EXEC != 0 {
        rights |= Rights::EXECUTE;
    }
    Some(rights)
}

pub(crate) fn valid_protection(protection: i32) -> bool {
    protection & !(PROT_READ | PROT_WRITE | PROT_EXEC) == 0
}

/// Pages in `length` bytes, rounded up; `None` when it would wrap.
fn pages_in(length: u64) -> Option<u64> {
    Some(length.checked_add(PAGE_SIZE - 1)? / PAGE_SIZE)
}

fn aligned(address: u64) -> bool {
    address.is_multiple_of(PAGE_SIZE)
}

/// Maps (with `rights`) the part `[start, end)` of a region backed by `backing`.
pub(crate) fn map_piece(
    backing: &Backing,
    start: u64,
    end: u64,
    rights: Rights,
) -> Result<(), Errno> {
    crate::memory::map_all(
        initial::SELF_ADDRESS_SPACE,
        backing.frame,
        start,
        (start - backing.origin) / PAGE_SIZE,
        (end - start) / PAGE_SIZE,
        rights,
    )
    .map_err(|_| Errno::ENOMEM)
}

/// Unmaps `[start, end)` (pages that are not mapped are skipped by the kernel's rules: the
/// callers only name pages they mapped).
pub(crate) fn unmap_range(start: u64, end: u64) {
    let mut address = start;
    while address < end {
        let pages = ((end - address) / PAGE_SIZE).min(PageCount::MAXIMUM);
        let _ = crate::memory::unmap(initial::SELF_ADDRESS_SPACE, address, pages);
        address += pages * PAGE_SIZE;
    }
}

/// Deletes the frames of `removed` that no region uses any more.
fn release_unused_frames(regions: &RegionMap<Backing>, removed: &[Region<Backing>]) {
    let mut frames: Vec<Slot> = removed.iter().map(|piece| piece.value.frame).collect();
    frames.sort_unstable();
    frames.dedup();
    for frame in frames {
        if !regions.iter().any(|region| region.value.frame == frame) {
            let _ = call(Call::CapabilityDelete { slot: frame });
            slots::free(frame);
        }
    }
}

/// Removes `[start, end)` from the map and the address space, freeing unused frames.
pub(crate) fn discard(regions: &mut RegionMap<Backing>, start: u64, end: u64) {
    // A range left in the table (it is full) only matters once something is mapped here read-only
    // and copy-on-write, and the next `fork` rebuilds the table from the region map.
    let _ = crate::process::copy_on_write::set_unwritable(start, end, false);
    let removed = regions.remove(start, end);
    for piece in &removed {
        if piece.value.mapped_rights(piece.value.protection).is_some() {
            unmap_range(piece.start, piece.end);
        }
    }
    release_unused_frames(regions, &removed);
    if removed.iter().any(|piece| piece.value.beyond_end_of_file) {
        super::beyond_end_of_file::rebuild(regions);
    }
}

/// `ENOMEM` when mapping `more` bytes beside what `regions` holds would pass `RLIMIT_AS` (which
/// bounds what `mmap` and `brk` hold mapped; the image and the stack are not counted). `limit`
/// is read by the caller before it takes the lock: reading it may ask the process server.
pub(crate) fn within_limit(
    regions: &RegionMap<Backing>,
    more: u64,
    limit: u64,
) -> Result<(), Errno> {
    let mapped: u64 = regions.iter().map(|region| region.end - region.start).sum();
    if mapped.saturating_add(more) > limit {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

/// The bytes `mmap` and `brk` hold mapped now (what `RLIMIT_AS` bounds).
#[must_use]
pub fn mapped_bytes() -> u64 {
    REGIONS
        .lock()
        .iter()
        .map(|region| region.end - region.start)
        .sum()
}

/// Fills the free range `[start, end)` with fresh zeroed frames mapped with `protection`.
///
/// # Errors
/// `ENOMEM` when the quota, the slots or contiguous memory run out (nothing is left behind).
pub(crate) fn populate(
    regions: &mut RegionMap<Backing>,
    start: u64,
    end: u64,
    protection: i32,
) -> Result<(), Errno> {
    populate_kind(regions, start, end, protection, false)
}

/// [`populate`], the frames marked shared (MAP_SHARED|MAP_ANONYMOUS) or not.
pub(crate) fn populate_kind(
    regions: &mut RegionMap<Backing>,
    start: u64,
    end: u64,
    protection: i32,
    shared: bool,
) -> Result<(), Errno> {
    let mut address = start;
    while address < end {
        let pages = ((end - address) / PAGE_SIZE).min(CHUNK_PAGES);
        let result = populate_chunk(regions, address, pages, protection, shared);
        if let Err(error) = result {
            discard(regions, start, address);
            return Err(error);
        }
        address += pages * PAGE_SIZE;
    }
    Ok(())
}

fn populate_chunk(
    regions: &mut RegionMap<Backing>,
    address: u64,
    pages: u64,
    protection: i32,
    shared: bool,
) -> Result<(), Errno> {
    let frame = slots::allocate().ok_or(Errno::ENOMEM)?;
    if call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: frame,
        pages: PageCount(pages),
    })
    .is_err()
    {
        slots::free(frame);
        return Err(Errno::ENOMEM);
    }
    let backing = Backing {
        frame,
        origin: address,
        protection,
        shared,
        may_write: true,
        file: false,
        beyond_end_of_file: false,
    };
    let end = address + pages * PAGE_SIZE;
    let mapped = match rights_for(protection) {
        Some(rights) => map_piece(&backing, address, end, rights),
        None => Ok(()),
    };
    if mapped.is_err() || regions.insert(address, end, backing).is_err() {
        unmap_range(address, end);
        let _ = call(Call::CapabilityDelete { slot: frame });
        slots::free(frame);
        return Err(Errno::ENOMEM);
    }
    note_protection(address, end, protection);
    Ok(())
}

/// Tells the copy-on-write handler whether a new mapping at `start..end` may be written: a
/// write fault in a mapping without PROT_WRITE is the program's error even where an earlier
/// mapping left a copy-on-write range. (When the handler's table is full the range is left out,
/// and a write there is copied instead.)
pub(crate) fn note_protection(start: u64, end: u64, protection: i32) {
    let unwritable = rights_for(protection).is_some() && protection & PROT_WRITE == 0;
    let _ = crate::process::copy_on_write::set_unwritable(start, end, unwritable);
}

/// `mmap(address, length, protection, flags, fd, offset)`.
/// Without MAP_FIXED the hint is used when it is free and in the `mmap` area, else the lowest
/// free range there; MAP_FIXED replaces whatever was in the range; MAP_FIXED_NOREPLACE fails
/// instead. Anonymous memory is zeroed and mapped at once (MAP_SHARED: frames `fork` leaves
/// shared); file mappings are described in `file_mapping`. MAP_NORESERVE, MAP_STACK,
/// MAP_POPULATE, MAP_LOCKED and the other hints are accepted (all memory is resident anyway).
///
/// # Errors
/// `EINVAL` for a zero length, an unaligned offset or fixed address, unknown protection bits or
/// a missing MAP_PRIVATE/MAP_SHARED, and for MAP_GROWSDOWN (not offered: Linux's own answer for
/// a flag it rejects); `EBADF`, `EACCES`, `ENODEV` for file mappings (see `file_mapping`);
/// `ENOSYS` for MAP_HUGETLB and MAP_32BIT; `EEXIST` for MAP_FIXED_NOREPLACE over a mapping;
/// `ENOMEM` when memory runs out or a fixed range lies outside the `mmap` area.
pub fn mmap(
    address: u64,
    length: u64,
    protection: i32,
    flags: i32,
    fd: i32,
    offset: i64,
) -> Result<u64, Errno> {
    let pages = pages_in(length).ok_or(Errno::ENOMEM)?;
    if length == 0 || offset % (PAGE_SIZE as i64) != 0 || !valid_protection(protection) {
        return Err(Errno::EINVAL);
    }
    let shared = match flags & MAP_TYPE {
        MAP_PRIVATE => false,
        MAP_SHARED | MAP_SHARED_VALIDATE => true,
        _ => return Err(Errno::EINVAL),
    };
    if flags & MAP_GROWSDOWN != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (MAP_HUGETLB | MAP_32BIT) != 0 {
        return Err(Errno::ENOSYS);
    }
    let file = if flags & MAP_ANONYMOUS == 0 {
        Some(super::file_mapping::FileSource::of(
            fd, offset, protection, shared,
        )?)
    } else {
        None
    };
    let size = pages.checked_mul(PAGE_SIZE).ok_or(Errno::ENOMEM)?;
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let limit = crate::process::limits::address_space_limit();
    let in_area = |start: u64| {
        start >= MMAP_AREA_START
            && start
                .checked_add(size)
                .is_some_and(|end| end <= MMAP_AREA_END)
    };
    let mut regions = REGIONS.lock();
    let start = if fixed {
        if !aligned(address) {
            return Err(Errno::EINVAL);
        }
        if !in_area(address) {
            return Err(Errno::ENOMEM);
        }
        if flags & MAP_FIXED_NOREPLACE != 0 && !regions.is_free(address, address + size) {
            return Err(Errno::EEXIST);
        }
        discard(&mut regions, address, address + size);
        address
    } else if aligned(address) && in_area(address) && regions.is_free(address, address + size) {
        address
    } else {
        regions
            .find_free(size, MMAP_AREA_START, MMAP_AREA_END)
            .ok_or(Errno::ENOMEM)?
    };
    // What MAP_FIXED replaced was discarded above: only the new size counts.
    within_limit(&regions, size, limit)?;
    match file {
        None => populate_kind(&mut regions, start, start + size, protection, shared)?,
        Some(source) if shared => {
            source.map_shared(&mut regions, start, start + size)?;
            if let Err(error) = source.cut_beyond_end(&mut regions, start, start + size) {
                discard(&mut regions, start, start + size);
                return Err(error);
            }
        }
        Some(source) => {
            // A private copy: writable while the file's bytes are copied in, then protected.
            populate(&mut regions, start, start + size, PROT_READ | PROT_WRITE)?;
            drop(regions);
            if let Err(error) = source.copy_into(start, size) {
                discard(&mut REGIONS.lock(), start, start + size);
                return Err(error);
            }
            if let Err(error) = source.cut_beyond_end(&mut REGIONS.lock(), start, start + size) {
                discard(&mut REGIONS.lock(), start, start + size);
                return Err(error);
            }
            if protection != PROT_READ | PROT_WRITE {
                mprotect(start, size, protection)?;
            }
        }
    }
    Ok(start)
}

/// Whether the page at `address` is shared memory `fork` must leave shared rather than make
/// copy-on-write: a shared window (pipe rings, server buffers), a MAP_SHARED mapping, or a
/// thread's exception-handler stack (the child never uses it; the parent's thread must be able
/// to take a fault on it at any time).
#[must_use]
pub fn stays_shared(address: u64) -> bool {
    crate::shared_window::contains(address)
        || crate::thread::start::is_handler_stack(address)
        || REGIONS
            .lock()
            .get(address)
            .is_some_and(|region| region.value.shared)
}

/// `munmap(address, length)`: removes every page of `[address, address + length)` that `mmap`
/// or `brk` mapped, splitting mappings that reach beyond it. Pages nobody mapped are fine.
///
/// # Errors
/// `EINVAL` for an unaligned address, a zero length or a range that wraps.
pub fn munmap(address: u64, length: u64) -> Result<(), Errno> {
    let pages = pages_in(length).ok_or(Errno::EINVAL)?;
    if !aligned(address) || length == 0 {
        return Err(Errno::EINVAL);
    }
    let end = pages
        .checked_mul(PAGE_SIZE)
        .and_then(|size| address.checked_add(size))
        .ok_or(Errno::EINVAL)?;
    discard(&mut REGIONS.lock(), address, end);
    Ok(())
}

/// `mprotect(address, length, protection)`: changes the protection of whole pages, splitting
/// mappings at the range's edges. A write to a page without PROT_WRITE (or any access to a
/// PROT_NONE page) faults; until signals exist the fault reaches the exception upcall.
///
/// # Errors
/// `EINVAL` for an unaligned address or unknown protection bits; `ENOMEM` when part of the range
/// is not mapped; `EACCES` for PROT_WRITE on a shared mapping of a file not open for writing
/// (nothing changes then).
pub fn mprotect(address: u64, length: u64, protection: i32) -> Result<(), Errno> {
    let pages = pages_in(length).ok_or(Errno::ENOMEM)?;
    if !aligned(address) || !valid_protection(protection) {
        return Err(Errno::EINVAL);
    }
    let end = address
        .checked_add(pages * PAGE_SIZE)
        .ok_or(Errno::ENOMEM)?;
    let mut regions = REGIONS.lock();
    if !regions.covers(address, end) {
        return Err(Errno::ENOMEM);
    }
    if protection & PROT_WRITE != 0
        && regions
            .pieces(address, end)
            .iter()
            .any(|piece| !piece.value.may_write)
    {
        return Err(Errno::EACCES);
    }
    // Before anything changes: a write fault in pages mapped without PROT_WRITE is the
    // program's error, which the copy-on-write handler must not resolve.
    let unwritable = rights_for(protection).is_some() && protection & PROT_WRITE == 0;
    crate::process::copy_on_write::set_unwritable(address, end, unwritable)
        .map_err(|_| Errno::ENOMEM)?;
    let old = regions.update(address, end, |backing, _| Backing {
        protection,
        ..*backing
    });
    for piece in &old {
        match (
            piece.value.mapped_rights(piece.value.protection),
            piece.value.mapped_rights(protection),
        ) {
            (Some(_), Some(rights)) => {
                for (start, end, rights) in copy_on_write_rights(&piece.value, piece, rights) {
                    protect_piece(start, end, rights)?;
                }
            }
            (Some(_), None) => {
                keep_our_copies(&mut regions, piece)?;
                unmap_range(piece.start, piece.end);
            }
            (None, Some(rights)) => {
                for (start, end, rights) in copy_on_write_rights(&piece.value, piece, rights) {
                    // A piece `keep_our_copies` moved to frames of its own maps those.
                    for current in regions.pieces(start, end) {
                        map_piece(&current.value, current.start, current.end, rights)?;
                    }
                }
            }
            (None, None) => {}
        }
    }
    Ok(())
}

/// `piece` cut at the copy-on-write ranges, each part with `rights`, less WRITE where a part is
/// copy-on-write: its pages may be shared with a child, and only the copy-on-write handler may
/// make them writable (copying them first while they are shared).
fn copy_on_write_rights(
    backing: &Backing,
    piece: &Region<Backing>,
    rights: Rights,
) -> Vec<(u64, u64, Rights)> {
    if backing.shared {
        return alloc::vec![(piece.start, piece.end, rights)];
    }
    crate::process::copy_on_write::segments(piece.start, piece.end)
        .into_iter()
        .map(|(start, end, copy_on_write)| {
            let rights = if copy_on_write {
                rights.difference(Rights::WRITE)
            } else {
                rights
            };
            (start, end, rights)
        })
        .collect()
}

/// Before a private copy-on-write `piece` is unmapped (PROT_NONE): pages of it that are copies
/// of our own (the copy-on-write handler's, mapped in place of the frame the region names) would
/// be lost, so the piece's copy-on-write parts that hold any move to fresh frames holding what
/// they hold now, which the region names from then on.
pub(crate) fn keep_our_copies(
    regions: &mut RegionMap<Backing>,
    piece: &Region<Backing>,
) -> Result<(), Errno> {
    if piece.value.shared {
        return Ok(());
    }
    for (start, end, copy_on_write) in
        crate::process::copy_on_write::segments(piece.start, piece.end)
    {
        if !copy_on_write || !holds_copies(piece.value.frame, start, end) {
            continue;
        }
        let mut chunk = start;
        while chunk < end {
            let pages = ((end - chunk) / PAGE_SIZE).min(exokernel_abi::FRAME_COPY_MAXIMUM_PAGES);
            let frame = slots::allocate().ok_or(Errno::ENOMEM)?;
            if call(Call::FrameAllocateCopy {
                quota: initial::MEMORY_QUOTA,
                destination: frame,
                address_space: initial::SELF_ADDRESS_SPACE,
                address: PageAddress(chunk),
                options: 0,
                pages: PageCount(pages),
            })
            .is_err()
            {
                slots::free(frame);
                return Err(Errno::ENOMEM);
            }
            let chunk_end = chunk + pages * PAGE_SIZE;
            let replaced = regions.update(chunk, chunk_end, |backing, _| Backing {
                frame,
                origin: chunk,
                ..*backing
            });
            release_unused_frames(regions, &replaced);
            chunk = chunk_end;
        }
    }
    Ok(())
}

/// Whether any page of `[start, end)` is mapped from another frame than `frame`.
fn holds_copies(frame: Slot, start: u64, end: u64) -> bool {
    let mut address = start;
    while address < end {
        let Ok(words) = call(Call::MappingNext {
            address_space: initial::SELF_ADDRESS_SPACE,
            address,
        }) else {
            return false;
        };
        let (record_start, pages, slot) = (words[0], words[1], words[2]);
        if record_start >= end {
            return false;
        }
        if slot != u64::from(frame.0) {
            return true;
        }
        address = record_start + pages * PAGE_SIZE;
    }
    false
}

/// For `fork`: the private regions with nothing mapped (PROT_NONE), which it makes copy-on-write
/// too, so that neither side later maps their frames writable while the other can reach them;
/// and the regions mapped without PROT_WRITE, where a write fault is the program's error and
/// not a copy-on-write (`copy_on_write::replace_unwritable`).
pub(crate) fn regions_for_fork() -> RegionsForFork {
    let regions = REGIONS.lock();
    let mapped = |region: &Region<&Backing>| {
        region
            .value
            .mapped_rights(region.value.protection)
            .is_some()
    };
    let unmapped = regions
        .iter()
        .filter(|region| !region.value.shared && !mapped(region))
        .map(|region| (region.start, region.end))
        .collect();
    let unwritable = regions
        .iter()
        .filter(|region| mapped(region) && region.value.protection & PROT_WRITE == 0)
        .map(|region| (region.start, region.end))
        .collect();
    RegionsForFork {
        unmapped,
        unwritable,
    }
}

/// What [`regions_for_fork`] answers: `[start, end)` ranges.
pub(crate) struct RegionsForFork {
    /// Private regions with nothing mapped.
    pub(crate) unmapped: Vec<(u64, u64)>,
    /// Regions mapped without PROT_WRITE.
    pub(crate) unwritable: Vec<(u64, u64)>,
}

fn protect_piece(start: u64, end: u64, rights: Rights) -> Result<(), Errno> {
    let mut address = start;
    while address < end {
        let pages = ((end - address) / PAGE_SIZE).min(1024);
        call(Call::Protect {
            address_space: initial::SELF_ADDRESS_SPACE,
            address: PageAddress(address),
            pages: PageCount(pages),
            rights,
        })
        .map_err(|_| Errno::ENOMEM)?;
        address += pages * PAGE_SIZE;
    }
    Ok(())
}

/// `madvise(address, length, advice)`: MADV_DONTNEED and MADV_FREE give the pages back and
/// replace them with fresh zeroed ones (later reads see zeros); the pure hints (NORMAL, RANDOM,
/// SEQUENTIAL, WILLNEED — already true, all memory is resident — DONTFORK, DOFORK, DONTDUMP,
/// DODUMP) are accepted and change nothing.
///
/// # Errors
/// `EINVAL` for an unaligned address or other advice; `ENOMEM` when part of the range is not
/// mapped or fresh memory runs out.
pub fn madvise(address: u64, length: u64, advice: i32) -> Result<(), Errno> {
    let pages = pages_in(length).ok_or(Errno::EINVAL)?;
    if !aligned(address) {
        return Err(Errno::EINVAL);
    }
    let end = address
        .checked_add(pages * PAGE_SIZE)
        .ok_or(Errno::EINVAL)?;
    match advice {
        MADV_DONTNEED | MADV_FREE => {}
        MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL | MADV_WILLNEED | MADV_DONTFORK
        | MADV_DOFORK | MADV_DONTDUMP | MADV_DODUMP => {
            return if REGIONS.lock().covers(address, end) {
                Ok(())
            } else {
                Err(Errno::ENOMEM)
            };
        }
        _ => return Err(Errno::EINVAL),
    }
    let mut regions = REGIONS.lock();
    if !regions.covers(address, end) {
        return Err(Errno::ENOMEM);
    }
    // Shared pages keep their contents: the next access sees the shared frame's bytes, as a
    // Linux process sees the page cache's after dropping its mapping of it.
    for piece in regions.pieces(address, end) {
        if piece.value.shared || piece.value.beyond_end_of_file {
            continue;
        }
        discard(&mut regions, piece.start, piece.end);
        populate(&mut regions, piece.start, piece.end, piece.value.protection)?;
    }
    Ok(())
}
