//! This process's capability slots: which are free for new capabilities.

use core::sync::atomic::{AtomicU32, Ordering};
use exokernel_abi::{Slot, initial};

use spin::Mutex;

const WORDS: usize = (initial::SLOT_COUNT as usize) / 64;

/// One bit per slot; slots below [`initial::FIRST_FREE_SLOT`] are never handed out.
static USED: Mutex<[u64; WORDS]> = Mutex::new([0; WORDS]);

/// Once this process forks, slots from here up are no longer handed out by [`allocate`]: the
/// copy-on-write fault handler takes the frames it copies pages into from them
/// (`crate::process::copy_on_write`), without touching memory that fork may have made
/// read-only.
pub const COPY_ON_WRITE_FIRST_SLOT: Slot = Slot(256);
/// The slot of the private upcall area's frame in a process that forked.
pub const PRIVATE_AREA_SLOT: Slot = Slot(255);
/// The size of a forked child's capability space (the end of the copy-on-write pool): a slot
/// costs kernel memory, paid from the child's quota.
pub const FORKED_SLOT_COUNT: u64 = 512;

/// The end of the slots [`allocate`] hands out.
static LIMIT: AtomicU32 = AtomicU32::new(initial::SLOT_COUNT as u32);

/// Stops handing out [`PRIVATE_AREA_SLOT`] and everything above it (the first `fork` calls this).
///
/// # Errors
/// `OutOfMemory` when one of them is already in use.
pub fn reserve_for_copy_on_write() -> Result<(), exokernel_abi::KernelError> {
    let used = USED.lock();
    let first = PRIVATE_AREA_SLOT.0 as usize;
    if (first..FORKED_SLOT_COUNT as usize).any(|slot| used[slot / 64] & (1 << (slot % 64)) != 0) {
        return Err(exokernel_abi::KernelError::OutOfMemory);
    }
    LIMIT.store(PRIVATE_AREA_SLOT.0, Ordering::Relaxed);
    Ok(())
}

/// Takes a free slot, or `None` when all are used.
#[must_use]
pub fn allocate() -> Option<Slot> {
    let mut used = USED.lock();
    let first = initial::FIRST_FREE_SLOT.0 as usize;
    (first..LIMIT.load(Ordering::Relaxed) as usize).find_map(|slot| {
        let (word, bit) = (slot / 64, slot % 64);
        if used[word] & (1 << bit) == 0 {
            used[word] |= 1 << bit;
            Some(Slot(slot as u32))
        } else {
            None
        }
    })
}

/// Marks `slot` used (a capability handed over to this image that start-up keeps).
pub fn mark_used(slot: Slot) {
    let slot = slot.0 as usize;
    if slot < initial::SLOT_COUNT as usize {
        USED.lock()[slot / 64] |= 1 << (slot % 64);
    }
}

/// Whether `slot` is marked used.
#[must_use]
pub fn is_used(slot: Slot) -> bool {
    let slot = slot.0 as usize;
    slot < initial::SLOT_COUNT as usize && USED.lock()[slot / 64] & (1 << (slot % 64)) != 0
}

/// Returns a slot (its capability must already be deleted or moved away).
pub fn free(slot: Slot) {
    let slot = slot.0 as usize;
    if slot < initial::SLOT_COUNT as usize {
        USED.lock()[slot / 64] &= !(1 << (slot % 64));
    }
}
