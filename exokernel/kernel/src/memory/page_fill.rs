//! Zeroing and copying whole 4 KiB frames with plain 8-byte moves, eight to a loop iteration.
//!
//! `memset`/`memcpy` use `rep stosq`/`rep movsq`, which QEMU's TCG runs as one translated block
//! per 8 bytes (the instruction jumps back to itself for every repetition); a loop of ordinary
//! stores runs as one block per 64 bytes. Page tables, fresh frames and copy-on-write copies are
//! filled on every `fork` and page fault, so this is on the hot path (docs/performance.md). The
//! moves are volatile so that the compiler does not turn the loop back into a `memset` call.

use crate::arch::paging::physical_to_virtual;

/// Words in one frame.
const WORDS: usize = 512;

/// Zeroes the frame at `physical`.
///
/// # Safety
/// `physical` is a page-aligned frame of RAM, reachable through the direct map, that nothing
/// else reads or writes meanwhile.
pub unsafe fn zero_frame(physical: u64) {
    let words = physical_to_virtual(physical) as *mut u64;
    for block in (0..WORDS).step_by(8) {
        for offset in 0..8 {
            // SAFETY: `block + offset` < 512, inside the frame the caller owns.
            unsafe { words.add(block + offset).write_volatile(0) };
        }
    }
}

/// Copies the frame at `source` into the frame at `destination`.
///
/// # Safety
/// Both are distinct page-aligned frames of RAM reachable through the direct map; nothing else
/// writes `source` or touches `destination` meanwhile.
pub unsafe fn copy_frame(destination: u64, source: u64) {
    let to = physical_to_virtual(destination) as *mut u64;
    let from = physical_to_virtual(source) as *const u64;
    for block in (0..WORDS).step_by(8) {
        for offset in 0..8 {
            // SAFETY: `block + offset` < 512, inside both frames, which do not overlap.
            unsafe {
                to.add(block + offset)
                    .write_volatile(from.add(block + offset).read_volatile());
            }
        }
    }
}
