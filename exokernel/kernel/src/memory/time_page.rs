//! Writing the time page into a fresh physical frame (the one place the kernel stores into it).

use exokernel_abi::{PAGE_SIZE, TimePage};

use crate::arch::paging::physical_to_virtual;
use crate::memory::physical;

/// Allocates a frame, zeroes it and writes `page` at its start. Returns its physical address.
pub fn publish(page: &TimePage) -> Option<u64> {
    let frame = physical::allocate_frame()?;
    let address = physical_to_virtual(frame) as *mut u8;
    // SAFETY: a frame the allocator just handed out, reachable through the direct map, owned by
    // nobody else; one page long and page-aligned, so the `TimePage` fits and is aligned.
    unsafe {
        core::ptr::write_bytes(address, 0, PAGE_SIZE as usize);
        core::ptr::write_volatile(address.cast::<TimePage>(), *page);
    }
    Some(frame)
}

/// Reads back the time page published at `physical` (for the kernel's own test of it).
#[must_use]
pub fn read(physical: u64) -> TimePage {
    // SAFETY: `physical` is the frame `publish` filled, kept for the kernel's lifetime and
    // reachable through the direct map; a `TimePage` is plain data.
    unsafe { core::ptr::read_volatile(physical_to_virtual(physical) as *const TimePage) }
}
