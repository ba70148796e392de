//! `fork`'s scratch area: the stack `fork` builds a child on and the buffers it builds it with,
//! in pages of the parent's own that the child never gets.
//!
//! Everything `fork` writes while it builds a child would otherwise land on the parent's stack
//! and heap, and every page written between two forks is one the next fork copies (or one both
//! sides take a copy-on-write fault on). Kept here, `fork` writes almost nothing of the memory it
//! hands down. The area is mapped at [`SCRATCH_ADDRESS`] on the first fork, grows when a fork
//! needs more records, and is left out of the child's memory and capabilities ([`contains`],
//! [`slot`]); a child makes its own when it forks ([`forget_after_fork`]).

use core::ops::{Deref, DerefMut};
use core::sync::atomic::{AtomicBool, Ordering};

use exokernel_abi::{Call, KernelError, MapOperation, PAGE_SIZE, PageCopy, Slot, initial};
use spin::Mutex;

use crate::kernel::call;
use crate::slots::FORKED_SLOT_COUNT;

/// Where the area is: between the private upcall area and the shared windows, outside the
/// `mmap` area.
pub const SCRATCH_ADDRESS: u64 = 0x0000_5300_0000_0000;
/// The build's stack at the start of the area (it grows down towards the unmapped page below).
const STACK_PAGES: u64 = 8;
/// The most pages the area may take (room for 1024 records at most).
const MAXIMUM_PAGES: u64 = 128;

/// The mapping records `MappingList` reads at once.
pub const LISTED_AT_ONCE: usize = 64;
/// The most pages one fork copies for its child.
pub const COPIES_MAXIMUM: usize = 32;

/// One of our mappings, as `fork` hands it to the child.
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct Record {
    pub address: u64,
    pub pages: u64,
    /// The frame capability's slot (the same in the child's space).
    pub slot: u64,
    pub first_page: u64,
    /// `Rights` bits.
    pub access: u64,
    /// 1: a page we wrote since the last fork, which the child gets a copy of.
    pub hot: u64,
}

/// The state and lists pages of the copy-on-write private area, as words.
pub type Snapshot = [u64; 2 * PAGE_SIZE as usize / 8];

/// A slice that is filled from the front, up to its length.
pub struct Filling<'a, T> {
    items: &'a mut [T],
    length: usize,
}

/// [`Filling::push`] on a full buffer.
#[derive(Debug)]
pub struct Full;

impl<'a, T: Copy> Filling<'a, T> {
    fn new(items: &'a mut [T]) -> Self {
        Self { items, length: 0 }
    }

    /// Appends `item`.
    ///
    /// # Errors
    /// [`Full`] when every place is taken.
    pub fn push(&mut self, item: T) -> Result<(), Full> {
        let place = self.items.get_mut(self.length).ok_or(Full)?;
        *place = item;
        self.length += 1;
        Ok(())
    }

    /// Whether every place is taken.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.length == self.items.len()
    }
}

impl<T> Deref for Filling<'_, T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.items[..self.length]
    }
}

impl<T> DerefMut for Filling<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.items[..self.length]
    }
}

/// The buffers of one fork, carved from the area.
pub struct Buffers<'a> {
    /// The copy-on-write private area's state for the child.
    pub snapshot: &'a mut Snapshot,
    /// Per slot of ours, non-zero: not copied to the child.
    pub skip: &'a mut [u8],
    pub records: Filling<'a, Record>,
    /// Our own writable pages turning read-only.
    pub protections: Filling<'a, MapOperation>,
    /// The child's memory.
    pub child_mappings: Filling<'a, MapOperation>,
    /// What one `MappingList` wrote.
    pub listed: &'a mut [[u64; 5]],
    /// The pages the child gets copies of.
    pub copies: Filling<'a, PageCopy>,
}

/// The area as it is mapped.
#[derive(Clone, Copy)]
struct Area {
    slot: Slot,
    pages: u64,
    /// The records its buffers hold.
    capacity: usize,
}

static AREA: Mutex<Option<Area>> = Mutex::new(None);

/// Bytes of buffers for `capacity` records (every part a whole number of words).
fn buffer_bytes(capacity: usize) -> usize {
    core::mem::size_of::<Snapshot>()
        + FORKED_SLOT_COUNT as usize
        + capacity * core::mem::size_of::<Record>()
        + 4 * capacity * core::mem::size_of::<MapOperation>()
        + LISTED_AT_ONCE * core::mem::size_of::<[u64; 5]>()
        + COPIES_MAXIMUM * core::mem::size_of::<PageCopy>()
}

/// The records the area holds now (0 before the first fork).
#[must_use]
pub fn capacity() -> usize {
    AREA.lock().map_or(0, |area| area.capacity)
}

/// Maps the area with buffers for at least `capacity` records (anew when the one we have is
/// smaller); returns the top of the build's stack.
///
/// # Errors
/// `OutOfMemory` beyond the largest area or when slots run out; `InvalidState` while another
/// thread forks; the kernel's error when the quota cannot pay.
pub fn prepare(capacity: usize) -> Result<u64, KernelError> {
    if IN_USE.load(Ordering::Acquire) {
        // Another thread's fork is building on it.
        return Err(KernelError::InvalidState);
    }
    let mut area = AREA.lock();
    if area.is_some_and(|area| area.capacity >= capacity) {
        return Ok(stack_top());
    }
    let pages = STACK_PAGES + (buffer_bytes(capacity) as u64).div_ceil(PAGE_SIZE);
    if pages > MAXIMUM_PAGES {
        return Err(KernelError::OutOfMemory);
    }
    if let Some(old) = area.take() {
        release(old);
    }
    let slot =
        crate::memory::allocate_and_map(initial::MEMORY_QUOTA, SCRATCH_ADDRESS, pages, true)?;
    *area = Some(Area {
        slot,
        pages,
        capacity,
    });
    Ok(stack_top())
}

fn stack_top() -> u64 {
    SCRATCH_ADDRESS + STACK_PAGES * PAGE_SIZE
}

fn release(area: Area) {
    let _ = crate::memory::unmap(initial::SELF_ADDRESS_SPACE, SCRATCH_ADDRESS, area.pages);
    let _ = call(Call::CapabilityDelete { slot: area.slot });
    crate::slots::free(area.slot);
}

/// Set while a fork uses the buffers.
static IN_USE: AtomicBool = AtomicBool::new(false);

/// Runs `build` with the area's buffers (`None` before [`prepare`], or while another thread's
/// fork has them).
pub fn with_buffers<R>(build: impl FnOnce(Option<Buffers<'_>>) -> R) -> R {
    let Some(Area { capacity, .. }) = *AREA.lock() else {
        return build(None);
    };
    if IN_USE.swap(true, Ordering::Acquire) {
        return build(None);
    }
    let words = buffer_bytes(capacity) / 8;
    // SAFETY: the area is mapped read-write from SCRATCH_ADDRESS for its pages (it is only
    // replaced by `prepare`, which runs before a fork and never while the buffers are out), the
    // buffers (after the stack) lie within it, and it is ours alone: the child never gets it and
    // nothing else in this process names it. IN_USE keeps a second slice from being made while
    // this one lives; every value the buffers hold is plain old data, so any bytes are valid.
    let memory = unsafe {
        core::slice::from_raw_parts_mut(
            (SCRATCH_ADDRESS + STACK_PAGES * PAGE_SIZE) as *mut u64,
            words,
        )
    };
    let (snapshot, rest) = memory.split_at_mut(core::mem::size_of::<Snapshot>() / 8);
    let (skip, rest) = rest.split_at_mut(FORKED_SLOT_COUNT as usize / 8);
    let record_words = core::mem::size_of::<Record>() / 8;
    let (records, rest) = rest.split_at_mut(capacity * record_words);
    let operation_words = core::mem::size_of::<MapOperation>() / 8;
    let (protections, rest) = rest.split_at_mut(2 * capacity * operation_words);
    let (child_mappings, rest) = rest.split_at_mut(2 * capacity * operation_words);
    let (listed, copies) = rest.split_at_mut(LISTED_AT_ONCE * 5);
    let result = match <&mut Snapshot>::try_from(snapshot) {
        Ok(snapshot) => build(Some(Buffers {
            snapshot,
            skip: bytemuck::cast_slice_mut(skip),
            records: Filling::new(bytemuck::cast_slice_mut(records)),
            protections: Filling::new(bytemuck::cast_slice_mut(protections)),
            child_mappings: Filling::new(bytemuck::cast_slice_mut(child_mappings)),
            listed: bytemuck::cast_slice_mut(listed),
            copies: Filling::new(bytemuck::cast_slice_mut(copies)),
        })),
        Err(_) => build(None),
    };
    IN_USE.store(false, Ordering::Release);
    result
}

/// Whether `address` lies in the area (a child does not get it).
#[must_use]
pub fn contains(address: u64) -> bool {
    AREA.lock().is_some_and(|area| {
        (SCRATCH_ADDRESS..SCRATCH_ADDRESS + area.pages * PAGE_SIZE).contains(&address)
    })
}

/// The area's frame capability (a child does not get it).
#[must_use]
pub fn slot() -> Option<Slot> {
    AREA.lock().map(|area| area.slot)
}

/// In a new child: the parent's area is not ours (neither mapped nor in our space); its slot is
/// free here.
pub fn forget_after_fork() {
    if let Some(area) = AREA.lock().take() {
        crate::slots::free(area.slot);
    }
    IN_USE.store(false, Ordering::Relaxed);
}
