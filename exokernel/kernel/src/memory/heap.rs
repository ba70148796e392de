//! The kernel heap: `talc` over a contiguous run of frames reached through the direct map.

use talc::TalcLock;
use talc::source::Manual;

use super::MemoryError;
use super::physical;
use crate::arch::paging::physical_to_virtual;

/// Bytes of heap claimed at boot.
pub const HEAP_SIZE: usize = 4 * 1024 * 1024;

#[global_allocator]
static ALLOCATOR: TalcLock<spin::mutex::SpinMutex<()>, Manual> = TalcLock::new(Manual);

/// Claims the heap arena from the frame allocator.
///
/// # Errors
/// [`MemoryError::TooLittleMemory`] when no contiguous run of [`HEAP_SIZE`] bytes is free.
pub fn initialise() -> Result<(), MemoryError> {
    let physical = physical::allocate_contiguous((HEAP_SIZE / 4096) as u64, 4096)
        .ok_or(MemoryError::TooLittleMemory)?;
    let base = physical_to_virtual(physical) as *mut u8;
    // SAFETY: the frames were just allocated for the heap alone and are mapped by the direct
    // map; nothing else will ever touch them. Interrupt handlers do not allocate, so taking
    // the lock here cannot deadlock.
    let claimed = unsafe { ALLOCATOR.lock().claim(base, HEAP_SIZE) };
    claimed.map(|_| ()).ok_or(MemoryError::TooLittleMemory)
}
