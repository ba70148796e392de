//! Copy-on-write after `fork`: the private upcall area and the page-fault handler that gives a
//! process its own copy of a shared page on the first write to it.
//!
//! Every process that forks has a private area at [`PRIVATE_AREA`] (never shared, never
//! read-only): a state page (the copy-on-write ranges and the next free slot of the copy pool),
//! a page of pool slot lists (free, and retired: frames a page was copied away from, deleted
//! by `fork` once its child no longer needs our capability to them) and the handler's stack. The handler touches no other memory of ours and makes its kernel
//! calls with [`call_uncounted`], because any other page may be read-only when it runs.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use exokernel_abi::{
    Call, ExceptionFrame, FRAME_COPY_REPLACE, FRAME_COPY_REUSE, KernelError, PAGE_SIZE,
    PageAddress, PageCount, Rights, Slot, UserAddress, initial,
};

use crate::kernel::call_uncounted;
use crate::slots::{COPY_ON_WRITE_FIRST_SLOT, FORKED_SLOT_COUNT, PRIVATE_AREA_SLOT};

/// Where the private area is, in every process that forks: outside the `mmap` area (from
/// `0x5000_0000_0000`), so that anonymous memory mapped before the first fork cannot be in its way.
pub const PRIVATE_AREA: u64 = 0x0000_5200_0000_0000;
/// Its size: the state page, the lists page and four pages of handler stack.
pub const PRIVATE_AREA_PAGES: u64 = 6;
/// How many slots each pool list holds.
const LIST_CAPACITY: usize = 255;
/// How many copy-on-write ranges the state page holds.
pub const MAXIMUM_RANGES: usize = 188;

/// How many ranges the program made unwritable (`mprotect` without PROT_WRITE) the state page
/// holds; `mprotect` answers ENOMEM beyond.
pub const MAXIMUM_UNWRITABLE: usize = 64;

/// The state page.
#[repr(C)]
struct State {
    /// The next slot of the copy pool (from [`COPY_ON_WRITE_FIRST_SLOT`]).
    next_slot: u64,
    range_count: u64,
    /// `[start, end)` page-aligned ranges whose read-only pages are copied on write.
    ranges: [[u64; 2]; MAXIMUM_RANGES],
    unwritable_count: u64,
    /// `[start, end)` page-aligned ranges the program mapped without PROT_WRITE: a write fault
    /// there is the program's error, not a copy-on-write. Kept here, read without a lock by the
    /// handler (whose faults may come while the region map's lock is held, or in its page).
    unwritable: [[u64; 2]; MAXIMUM_UNWRITABLE],
    /// The kernel calls the handler has made for the copies (uncounted by
    /// [`crate::kernel::calls_made`], whose counter may be in a read-only page then).
    handler_calls: u64,
    /// Held while a page is copied: threads share the copy window and the pool (taken by a
    /// swap; a waiter yields).
    lock: AtomicU64,
}

const _: () = assert!(core::mem::size_of::<State>() <= PAGE_SIZE as usize);

/// How many kernel calls the copy-on-write handler has made in this process (each copy:
/// `FrameAllocateCopy` and `ExceptionResume`); 0 in a process that never forked.
#[must_use]
pub fn handler_calls() -> u64 {
    if !READY.load(Ordering::Relaxed) {
        return 0;
    }
    // SAFETY: the private area is mapped for the rest of the program once READY is set.
    unsafe { (*state()).handler_calls }
}

/// The lists page.
#[repr(C)]
struct Lists {
    free_count: u64,
    free: [u64; LIST_CAPACITY],
    retired_count: u64,
    retired: [u64; LIST_CAPACITY],
}

const _: () = assert!(core::mem::size_of::<State>() <= PAGE_SIZE as usize);
const _: () = assert!(core::mem::size_of::<Lists>() <= PAGE_SIZE as usize);

fn lists() -> *mut Lists {
    (PRIVATE_AREA + PAGE_SIZE) as *mut Lists
}

/// Whether this process has its private area.
static READY: AtomicBool = AtomicBool::new(false);

fn state() -> *mut State {
    PRIVATE_AREA as *mut State
}

/// The handler's stack top.
#[must_use]
pub fn stack_top() -> u64 {
    PRIVATE_AREA + PRIVATE_AREA_PAGES * PAGE_SIZE
}

/// The handler's entry, for setting it on a child.
#[must_use]
pub fn entry() -> u64 {
    upcall as *const () as usize as u64
}

/// Maps this process's private area (at [`PRIVATE_AREA_SLOT`]) and makes [`upcall`] its
/// exception handler, once.
///
/// # Errors
/// The kernel's error.
pub fn ensure_private_area() -> Result<(), KernelError> {
    if READY.load(Ordering::Relaxed) {
        return Ok(());
    }
    crate::slots::reserve_for_copy_on_write()?;
    crate::kernel::call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: PRIVATE_AREA_SLOT,
        pages: PageCount(PRIVATE_AREA_PAGES),
    })?;
    crate::memory::map(
        initial::SELF_ADDRESS_SPACE,
        PRIVATE_AREA_SLOT,
        PRIVATE_AREA,
        0,
        PRIVATE_AREA_PAGES,
        Rights::READ | Rights::WRITE,
    )?;
    // SAFETY: the state and lists pages were just mapped read-write and are ours alone.
    unsafe {
        (*state()).next_slot = u64::from(COPY_ON_WRITE_FIRST_SLOT.0);
        (*state()).range_count = 0;
        (*state()).handler_calls = 0;
        (*lists()).free_count = 0;
        (*lists()).retired_count = 0;
    }
    crate::upcall::set_handler(
        initial::SELF_ENVIRONMENT,
        upcall,
        stack_top(),
        exokernel_abi::HandlerOptions::empty(),
    )?;
    READY.store(true, Ordering::Relaxed);
    Ok(())
}

/// The state and lists pages' bytes, to give a child the same ranges and pool position (its
/// retired list is emptied by [`forget_retired`]).
#[must_use]
pub fn state_bytes() -> &'static [u8] {
    // SAFETY: the private area is mapped (callers ran `ensure_private_area`) for the rest of
    // the program; the handler only changes it on our own faults, not while this is read.
    unsafe { core::slice::from_raw_parts(PRIVATE_AREA as *const u8, 2 * PAGE_SIZE as usize) }
}

/// The state and lists pages as words, for a child's private area (see [`state_bytes`]).
pub type Snapshot = [u64; 2 * PAGE_SIZE as usize / 8];

/// Copies the state and lists pages into `snapshot`.
pub fn take_snapshot(snapshot: &mut Snapshot) {
    for (word, byte) in snapshot.iter_mut().zip(state_bytes().chunks_exact(8)) {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(byte);
        *word = u64::from_ne_bytes(bytes);
    }
}

/// The bytes of `snapshot`, for the child's private area.
#[must_use]
pub fn snapshot_bytes(snapshot: &Snapshot) -> &[u8] {
    // SAFETY: the array's bytes, for as long as it is borrowed; u8 has no alignment needs and
    // every byte of a u64 is initialised.
    unsafe {
        core::slice::from_raw_parts(
            snapshot.as_ptr().cast::<u8>(),
            core::mem::size_of::<Snapshot>(),
        )
    }
}

/// Marks the pool slot `slot` used in `snapshot` (a child got a capability there): off its
/// free list, and below its next fresh slot.
pub fn mark_used(snapshot: &mut Snapshot, slot: Slot) {
    let slot = u64::from(slot.0);
    let words_per_page = PAGE_SIZE as usize / 8;
    // The state page's `next_slot` and the lists page's `free_count` and `free` (layouts above).
    if slot >= snapshot[0] {
        snapshot[0] = slot + 1;
    }
    let count = (snapshot[words_per_page] as usize).min(LIST_CAPACITY);
    let free = words_per_page + 1;
    if let Some(position) = snapshot[free..free + count]
        .iter()
        .position(|&entry| entry == slot)
    {
        snapshot[free + position] = snapshot[free + count - 1];
        snapshot[words_per_page] = count as u64 - 1;
    }
}

/// Deletes the frames pages were copied away from and makes their slots free for the pool
/// again. Only safe when no child still maps them through our capabilities (`fork` calls it
/// once its child has remapped through its own copies).
pub fn reclaim_retired() {
    loop {
        // SAFETY: the lists page is ours; one thread; the handler (which may run on a fault
        // between these statements) only appends, at the end, to either list.
        let slot = unsafe {
            let lists = &mut *lists();
            if lists.retired_count == 0 {
                return;
            }
            lists.retired_count -= 1;
            lists.retired[lists.retired_count as usize]
        };
        if call_uncounted(Call::CapabilityDelete {
            slot: Slot(slot as u32),
        })
        .is_err()
        {
            continue;
        }
        // SAFETY: as above.
        unsafe {
            let lists = &mut *lists();
            if (lists.free_count as usize) < LIST_CAPACITY {
                lists.free[lists.free_count as usize] = slot;
                lists.free_count += 1;
            }
        }
    }
}

/// In a new child: the parent's retired frames are not ours to delete (our copies of them
/// stay, unused).
pub fn forget_retired() {
    // SAFETY: the lists and state pages are ours. (A parent's thread copying a page while the
    // parent forked leaves the lock held in the child's copy: only the calling thread lives
    // here, so nobody holds it.)
    unsafe {
        (*lists()).retired_count = 0;
        (*state()).lock.store(0, Ordering::Relaxed);
    };
}

/// Whether this process has its private area and the copy-on-write handler.
#[must_use]
pub fn is_ready() -> bool {
    READY.load(Ordering::Relaxed)
}

/// The state page's copy-on-write ranges and unwritable ranges, in use; both empty in a process
/// that never forked (it has no state page).
fn recorded_ranges() -> (&'static [[u64; 2]], &'static [[u64; 2]]) {
    if !READY.load(Ordering::Relaxed) {
        return (&[], &[]);
    }
    // SAFETY: the private area is mapped for the rest of the program once READY is set; read
    // only here (writers store whole entries before the counts that cover them).
    let state = unsafe { &*state() };
    let ranges = (state.range_count as usize).min(MAXIMUM_RANGES);
    let unwritable = (state.unwritable_count as usize).min(MAXIMUM_UNWRITABLE);
    (&state.ranges[..ranges], &state.unwritable[..unwritable])
}

fn contains(ranges: &[[u64; 2]], address: u64) -> bool {
    ranges
        .iter()
        .any(|&[start, end]| (start..end).contains(&address))
}

/// Whether `address` lies in a copy-on-write range.
#[must_use]
pub fn is_copy_on_write(address: u64) -> bool {
    contains(recorded_ranges().0, address)
}

/// Whether the program made `address` unwritable (false in a process that never forked: it has
/// no copy-on-write handler to ask).
#[must_use]
pub fn is_unwritable(address: u64) -> bool {
    contains(recorded_ranges().1, address)
}

/// Records `[start, end)` as unwritable (`unwritable`) or not, replacing what was recorded for
/// any part of it; nothing to do in a process that never forked (`fork` records what the
/// region map holds then).
///
/// # Errors
/// `OutOfMemory` (nothing changed) when the table would hold more than
/// [`MAXIMUM_UNWRITABLE`] ranges.
pub fn set_unwritable(start: u64, end: u64, unwritable: bool) -> Result<(), KernelError> {
    if !READY.load(Ordering::Relaxed) || start >= end {
        return Ok(());
    }
    // SAFETY: mapped and ours; the region map's lock, which every caller holds, keeps other
    // writers out, and the handler reads whole entries.
    let state = unsafe { &mut *state() };
    let count = (state.unwritable_count as usize).min(MAXIMUM_UNWRITABLE);
    let mut kept: heapless::Vec<[u64; 2], { MAXIMUM_UNWRITABLE + 2 }> = heapless::Vec::new();
    for &[from, to] in &state.unwritable[..count] {
        // What lies outside `[start, end)` stays.
        for piece in [[from, to.min(start)], [from.max(end), to]] {
            if piece[0] < piece[1] {
                kept.push(piece).map_err(|_| KernelError::OutOfMemory)?;
            }
        }
    }
    if unwritable {
        kept.push([start, end])
            .map_err(|_| KernelError::OutOfMemory)?;
    }
    if kept.len() > MAXIMUM_UNWRITABLE {
        return Err(KernelError::OutOfMemory);
    }
    state.unwritable[..kept.len()].copy_from_slice(&kept);
    state.unwritable_count = kept.len() as u64;
    Ok(())
}

/// Replaces the unwritable ranges with `ranges` (`fork`, from the region map), as many as fit:
/// a program with more than [`MAXIMUM_UNWRITABLE`] of them has its writes to the rest resolved
/// as copy-on-write, as before there was a table.
pub fn replace_unwritable(ranges: &[(u64, u64)]) {
    if !READY.load(Ordering::Relaxed) {
        return;
    }
    // SAFETY: mapped and ours; `fork` runs on one thread.
    let state = unsafe { &mut *state() };
    let count = ranges.len().min(MAXIMUM_UNWRITABLE);
    for (entry, &(start, end)) in state.unwritable.iter_mut().zip(&ranges[..count]) {
        *entry = [start, end];
    }
    state.unwritable_count = count as u64;
}

/// `[start, end)` cut where copy-on-write ranges begin and end: each piece in order, with
/// whether it lies in one.
#[must_use]
pub fn segments(start: u64, end: u64) -> alloc::vec::Vec<(u64, u64, bool)> {
    let mut cuts = alloc::vec![start, end];
    for &[range_start, range_end] in recorded_ranges().0 {
        cuts.extend(
            [range_start, range_end]
                .into_iter()
                .filter(|&cut| start < cut && cut < end),
        );
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|pair| (pair[0], pair[1], is_copy_on_write(pair[0])))
        .collect()
}

/// Records `[start, end)` as copy-on-write.
///
/// # Errors
/// `OutOfMemory` when the state page is full.
pub fn add_range(start: u64, end: u64) -> Result<(), KernelError> {
    if is_copy_on_write(start) && is_copy_on_write(end - 1) {
        return Ok(());
    }
    // SAFETY: mapped and ours; single-threaded use (fork duplicates only the calling thread).
    let state = unsafe { &mut *state() };
    let count = state.range_count as usize;
    if count >= MAXIMUM_RANGES {
        return Err(KernelError::OutOfMemory);
    }
    state.ranges[count] = [start, end];
    state.range_count += 1;
    Ok(())
}

/// Whether `slot` is one of the copy pool's (a one-page frame the handler made).
#[must_use]
pub fn is_pool_slot(slot: u64) -> bool {
    (u64::from(COPY_ON_WRITE_FIRST_SLOT.0)..FORKED_SLOT_COUNT).contains(&slot)
}

/// How many more copies the pool can make before it runs out of slots.
#[must_use]
pub fn pool_available() -> u64 {
    // SAFETY: the private area is mapped (callers ran `ensure_private_area`); read only.
    unsafe { (*lists()).free_count + FORKED_SLOT_COUNT.saturating_sub((*state()).next_slot) }
}

/// Where the pool stands: its next fresh slot and how many free slots it lists.
#[derive(Clone, Copy)]
pub struct PoolMark {
    next_slot: u64,
    free_count: u64,
}

/// The pool's position now, to learn later which slots it gave out since
/// ([`pool_taken_since`]).
#[must_use]
pub fn pool_mark() -> PoolMark {
    // SAFETY: the private area is mapped (callers ran `ensure_private_area`); read only.
    unsafe {
        PoolMark {
            next_slot: (*state()).next_slot,
            free_count: (*lists()).free_count,
        }
    }
}

/// The pool slots given out since `mark`, as long as none was given back meanwhile (only
/// [`reclaim_retired`] gives slots back).
pub fn pool_taken_since(mark: PoolMark) -> impl Iterator<Item = Slot> {
    // SAFETY: as in `pool_mark`; popped free entries stay in the array until overwritten,
    // which only `reclaim_retired` does.
    let (next_slot, popped) = unsafe {
        let lists = &*lists();
        let end = (mark.free_count as usize).min(LIST_CAPACITY);
        let start = (lists.free_count as usize).min(end);
        let popped: heapless::Vec<u64, LIST_CAPACITY> =
            lists.free[start..end].iter().copied().collect();
        ((*state()).next_slot, popped)
    };
    (mark.next_slot..next_slot)
        .chain(popped)
        .map(|slot| Slot(slot as u32))
}

/// Copies the copy-on-write `page` into a frame of our own, mapped writable in its place.
/// Several threads may fault on it at once: one that had to wait for another's copy first asks
/// whether that copy served it. (A second copy of a page copied meanwhile would lose nothing —
/// the kernel copies and swaps in one step — it only costs a frame, retired like any other.)
pub(crate) fn copy_page(page: u64) -> Result<(), KernelError> {
    // SAFETY: the state page is ours, writable and never shared; the lock is an atomic.
    let lock = unsafe { &(*state()).lock };
    let mut waited = false;
    while lock.swap(1, Ordering::Acquire) != 0 {
        waited = true;
        let _ = call_uncounted(Call::Yield {});
    }
    let already_copied = waited
        && call_uncounted(Call::MappingNext {
            address_space: initial::SELF_ADDRESS_SPACE,
            address: page,
        })
        .is_ok_and(|words| {
            let (start, pages, access) = (words[0], words[1], words[4]);
            (start..start + pages * PAGE_SIZE).contains(&page)
                && access & u64::from(Rights::WRITE.bits()) != 0
        });
    let result = if already_copied {
        Ok(())
    } else {
        copy_page_once(page)
    };
    lock.store(0, Ordering::Release);
    result
}

/// Resolves a write fault on a present page of a copy-on-write range (on any thread) by copying
/// the page; true when the faulting instruction can be re-run.
pub(crate) fn resolve_write_fault(vector: u64, error_code: u64, address: u64) -> bool {
    const PRESENT_WRITE: u64 = 0b11;
    // A page the program itself made read-only faults as the program's error.
    let copied = vector == 14
        && error_code & PRESENT_WRITE == PRESENT_WRITE
        && is_copy_on_write(address)
        && !is_unwritable(address)
        && copy_page(address & !(PAGE_SIZE - 1)).is_ok();
    if copied {
        // SAFETY: the state page is ours and writable. Its `FrameAllocateCopy` and the
        // `ExceptionResume` after it (approximate when threads fault at once: a statistic).
        unsafe { (*state()).handler_calls += 2 };
    }
    copied
}

/// Gives the page at `page` a fresh frame holding a copy of its contents, mapped writable in
/// its place: one `FrameAllocateCopy` (the kernel copies and swaps the mapping). The frame the
/// page was in is retired when it was a pool frame of ours (deleted by `fork` once no child
/// needs our capability to it). When nobody else can reach that frame any more (every child
/// that shared it is gone), the kernel makes the page writable where it is instead: no copy,
/// and no pool slot taken. The caller holds the lock.
fn copy_page_once(page: u64) -> Result<(), KernelError> {
    // SAFETY: the private area is mapped and ours; the lock keeps other threads of ours out.
    let state = unsafe { &mut *state() };
    // SAFETY: as above.
    let lists = unsafe { &mut *lists() };
    let frame = if lists.free_count > 0 {
        Slot(lists.free[lists.free_count as usize - 1] as u32)
    } else if state.next_slot < FORKED_SLOT_COUNT {
        Slot(state.next_slot as u32)
    } else {
        return Err(KernelError::OutOfMemory);
    };
    // Few pool slots left: the block of pages around the fault goes into one frame, so that a
    // process writing more pages than the pool has slots (while a child still shares them)
    // does not run out.
    if lists.free_count + FORKED_SLOT_COUNT.saturating_sub(state.next_slot) <= LOW_POOL
        && let Some(block) = copy_block(page, frame, state)
    {
        take_pool_slot(state, lists);
        // The pool frames it replaced wholly are mapped by nobody through our capabilities
        // (a child maps through its own copies): their slots serve again at once.
        for &slot in block.replaced.iter().take(block.count) {
            if call_uncounted(Call::CapabilityDelete {
                slot: Slot(slot as u32),
            })
            .is_ok()
                && (lists.free_count as usize) < LIST_CAPACITY
            {
                lists.free[lists.free_count as usize] = slot;
                lists.free_count += 1;
            }
        }
        return Ok(());
    }
    let old = call_uncounted(Call::FrameAllocateCopy {
        quota: initial::MEMORY_QUOTA,
        destination: frame,
        address_space: initial::SELF_ADDRESS_SPACE,
        address: PageAddress(page),
        options: FRAME_COPY_REPLACE | FRAME_COPY_REUSE,
        pages: PageCount(1),
    })?;
    if old[3] == 1 {
        // Nobody else could reach the frame any more (the children that shared it are gone):
        // the kernel made the page writable where it is, and the pool slot stays free.
        return Ok(());
    }
    take_pool_slot(state, lists);
    let (old_slot, old_start, old_pages) = (old[0], old[1], old[2]);
    if old_start == page && old_pages == 1 && is_pool_slot(old_slot) && frame_pages(old_slot) == 1 {
        retire(lists, old_slot);
    }
    Ok(())
}

/// The pages of the frame at `slot` (0 if it holds no frame). A pool slot may hold a block's
/// frame ([`copy_block`]) whose mapping later copies split into several records: such a frame
/// still maps pages outside the record at hand, and deleting it would take them away.
fn frame_pages(slot: u64) -> u64 {
    call_uncounted(Call::CapabilityIdentify {
        slot: Slot(slot as u32),
    })
    .map_or(0, |words| words[3])
}

/// At or below this many free pool slots, a fault copies a whole block of pages ([`copy_block`]).
const LOW_POOL: u64 = 64;
/// The pages of such a block (aligned to its size): the most one `FrameAllocateCopy` copies.
const BLOCK_PAGES: u64 = exokernel_abi::FRAME_COPY_MAXIMUM_PAGES;

/// The pool frames a block copy replaced wholly.
struct BlockCopy {
    replaced: [u64; BLOCK_PAGES as usize],
    count: usize,
}

/// Copies the aligned block of [`BLOCK_PAGES`] pages around `page`, within its copy-on-write
/// range, into one new frame at `frame`, mapped writable in its place. Only when every page of
/// it is mapped and each record in it is either read-only (copy-on-write) or one of our pool
/// frames: a writable mapping of something else there could be shared memory, which a copy
/// would cut off. `None` when that does not hold or the copy fails (the caller copies the one
/// page instead).
fn copy_block(page: u64, frame: Slot, state: &State) -> Option<BlockCopy> {
    let block_bytes = BLOCK_PAGES * PAGE_SIZE;
    let count = (state.range_count as usize).min(MAXIMUM_RANGES);
    let &[range_start, range_end] = state.ranges[..count]
        .iter()
        .find(|&&[start, end]| (start..end).contains(&page))?;
    let start = (page & !(block_bytes - 1)).max(range_start);
    let end = ((page & !(block_bytes - 1)) + block_bytes).min(range_end);
    let pages = (end - start) / PAGE_SIZE;
    if pages < 2 {
        return None;
    }
    let mut listed = [[0_u64; 5]; BLOCK_PAGES as usize];
    let words = call_uncounted(Call::MappingList {
        address_space: initial::SELF_ADDRESS_SPACE,
        address: start,
        buffer: UserAddress(listed.as_mut_ptr() as u64),
        capacity: BLOCK_PAGES,
    })
    .ok()?;
    let mut block = BlockCopy {
        replaced: [0; BLOCK_PAGES as usize],
        count: 0,
    };
    let mut covered = start;
    for &[address, record_pages, slot, first_page, access] in listed.iter().take(words[0] as usize)
    {
        if address >= end {
            break;
        }
        let record_end = address + record_pages * PAGE_SIZE;
        let writable = access & u64::from(Rights::WRITE.bits()) != 0;
        if address > covered || (writable && !is_pool_slot(slot)) {
            return None;
        }
        // Only a pool frame that this record maps whole is replaced wholly (a block's frame
        // may map pages outside the block too, through other records).
        if is_pool_slot(slot)
            && address >= start
            && record_end <= end
            && first_page == 0
            && frame_pages(slot) == record_pages
        {
            block.replaced[block.count] = slot;
            block.count += 1;
        }
        covered = record_end;
    }
    if covered < end {
        return None;
    }
    call_uncounted(Call::FrameAllocateCopy {
        quota: initial::MEMORY_QUOTA,
        destination: frame,
        address_space: initial::SELF_ADDRESS_SPACE,
        address: PageAddress(start),
        options: FRAME_COPY_REPLACE,
        pages: PageCount(pages),
    })
    .ok()?;
    Some(block)
}

/// The pool slot [`copy_page_once`] chose was filled: off the free list, or past it.
fn take_pool_slot(state: &mut State, lists: &mut Lists) {
    if lists.free_count > 0 {
        lists.free_count -= 1;
    } else {
        state.next_slot += 1;
    }
}

/// Marks the pool frame at `slot` for deletion once no child needs our capability to it.
fn retire(lists: &mut Lists, slot: u64) {
    if (lists.retired_count as usize) < LIST_CAPACITY {
        lists.retired[lists.retired_count as usize] = slot;
        lists.retired_count += 1;
    }
}

/// The exception handler of a process that forked: a write to a present page of a
/// copy-on-write range gets the page copied, a missing page of a shared window whose frame died
/// is repaired (`window_recovery`); a fault whose signal the process catches enters its signal
/// handler; anything else removes the handler and re-runs the instruction, so the kernel ends
/// the process with the fault as if there had been no handler.
extern "C" fn upcall(frame: *mut ExceptionFrame) -> ! {
    // SAFETY: the kernel wrote a whole frame at `frame` on our handler stack.
    let (vector, error_code, address) =
        unsafe { ((*frame).vector, (*frame).error_code, (*frame).fault_address) };
    let copied = resolve_write_fault(vector, error_code, address);
    let repaired = copied || crate::window_recovery::recover(vector, error_code, address);
    // A fault the process catches (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) resumes in its
    // signal trampoline instead.
    let caught = !repaired && {
        // SAFETY: as above; the frame is ours to edit before resuming it.
        let registers = unsafe { &mut (*frame).registers };
        crate::signal::delivery::enter_from_fault(registers, vector, error_code, address)
    };
    // An uncaught SIGBUS past the end of a mapped file ends the process as SIGBUS.
    let diverted = !repaired && !caught && {
        // SAFETY: as above; the frame is ours to edit before resuming it.
        let registers = unsafe { &mut (*frame).registers };
        crate::memory::beyond_end_of_file::divert_uncaught(registers, vector, error_code, address)
    };
    if !repaired && !caught && !diverted {
        let _ = call_uncounted(Call::EnvironmentSetExceptionHandler {
            environment: initial::SELF_ENVIRONMENT,
            entry: UserAddress(0),
            stack_top: UserAddress(0),
            options: 0,
        });
    }
    let _ = call_uncounted(Call::ExceptionResume {
        frame: UserAddress(frame as u64),
    });
    let _ = call_uncounted(Call::Exit { status: 255 });
    loop {
        core::hint::spin_loop();
    }
}
