//! The kernel heap: `talc` over runs of frames reached through the direct map, growing by
//! taking more frames when it runs out.
//!
//! Kernel objects that user programs create are charged to the creator's memory quota, which
//! is what bounds this growth; the heap itself only has to find frames.

use core::alloc::Layout;

use talc::TalcLock;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

use super::MemoryError;
use super::physical;
use crate::arch::paging::physical_to_virtual;

/// Bytes of heap claimed at boot.
pub const HEAP_SIZE: usize = 4 * 1024 * 1024;
/// The heap grows in runs of at least this many bytes.
const GROWTH: usize = 1024 * 1024;

/// Takes contiguous frames from the physical allocator when the heap is full.
#[derive(Debug)]
pub struct FrameSource;

// SAFETY: `acquire` claims only frames it has just allocated, which nothing else uses.
unsafe impl Source for FrameSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let needed = (layout.size() + layout.align() + 4096).next_multiple_of(4096);
        // A large run when one is free; else just what this allocation needs, so that physical
        // memory fragmented by programs' single-page frames cannot starve the kernel heap while
        // free frames remain (the kernel's reserve outside every quota keeps some).
        let (physical, length) =
            match physical::allocate_contiguous((needed.max(GROWTH) / 4096) as u64, 4096) {
                Some(physical) => (physical, needed.max(GROWTH)),
                None => (
                    physical::allocate_contiguous((needed / 4096) as u64, 4096).ok_or(())?,
                    needed,
                ),
            };
        // SAFETY: fresh frames, mapped by the direct map, owned by the heap from now on.
        unsafe { talc.claim(physical_to_virtual(physical) as *mut u8, length) }
            .map(|_| ())
            .ok_or(())
    }
}

#[global_allocator]
static ALLOCATOR: TalcLock<spin::mutex::SpinMutex<()>, FrameSource> = TalcLock::new(FrameSource);

/// Claims the first heap arena from the frame allocator.
///
/// # Errors
/// [`MemoryError::TooLittleMemory`] when no contiguous run of [`HEAP_SIZE`] bytes is free.
pub fn initialise() -> Result<(), MemoryError> {
    let physical = physical::allocate_contiguous((HEAP_SIZE / 4096) as u64, 4096)
        .ok_or(MemoryError::TooLittleMemory)?;
    let base = physical_to_virtual(physical) as *mut u8;
    // SAFETY: the frames were just allocated for the heap alone and are mapped by the direct
    // map. Interrupt handlers do not allocate, so taking the lock here cannot deadlock.
    let claimed = unsafe { ALLOCATOR.lock().claim(base, HEAP_SIZE) };
    claimed.map(|_| ()).ok_or(MemoryError::TooLittleMemory)
}

/// What the kernel heap holds and has free.
#[derive(Clone, Copy, Debug)]
pub struct HeapStatistics {
    /// Bytes free for allocation in the claimed arenas.
    pub available_bytes: u64,
    /// Bytes in live allocations.
    pub allocated_bytes: u64,
}

/// The heap's current figures.
#[must_use]
pub fn statistics() -> HeapStatistics {
    let counters = *ALLOCATOR.lock().counters();
    HeapStatistics {
        available_bytes: counters.available_bytes as u64,
        allocated_bytes: counters.allocated_bytes as u64,
    }
}
