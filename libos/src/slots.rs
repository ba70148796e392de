//! This process's capability slots: which are free for new capabilities.

use exokernel_abi::{Slot, initial};
use spin::Mutex;

const WORDS: usize = (initial::SLOT_COUNT as usize) / 64;

/// One bit per slot; slots below [`initial::FIRST_FREE_SLOT`] are never handed out.
static USED: Mutex<[u64; WORDS]> = Mutex::new([0; WORDS]);

/// Takes a free slot, or `None` when all are used.
#[must_use]
pub fn allocate() -> Option<Slot> {
    let mut used = USED.lock();
    let first = initial::FIRST_FREE_SLOT.0 as usize;
    (first..initial::SLOT_COUNT as usize).find_map(|slot| {
        let (word, bit) = (slot / 64, slot % 64);
        if used[word] & (1 << bit) == 0 {
            used[word] |= 1 << bit;
            Some(Slot(slot as u32))
        } else {
            None
        }
    })
}

/// Returns a slot (its capability must already be deleted or moved away).
pub fn free(slot: Slot) {
    let slot = slot.0 as usize;
    if slot < initial::SLOT_COUNT as usize {
        USED.lock()[slot / 64] &= !(1 << (slot % 64));
    }
}
