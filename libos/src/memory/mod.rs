//! Memory in this address space: frames from the quota mapped where asked, and in POSIX form
//! mappings ([`mmap`], [`munmap`], [`mprotect`], [`madvise`], [`mremap`], [`msync`],
//! [`mincore`]), POSIX shared memory objects ([`shm_open`]), System V shared memory
//! ([`shmget`], [`shmat`], [`shmdt`], [`shmctl`]) and the program break
//! ([`brk`], [`sbrk`]) over a region map.

mod anonymous;
pub mod beyond_end_of_file;
mod file_mapping;
mod program_break;
mod remap;
mod shared_object;
pub mod system_v;

pub(crate) use anonymous::regions_for_fork;
pub use anonymous::{
    CHUNK_PAGES, MMAP_AREA_END, MMAP_AREA_START, madvise, mapped_bytes, mmap, mprotect, munmap,
    stays_shared,
};
pub use file_mapping::{mincore, msync};
pub use program_break::{BREAK_LIMIT, BREAK_START, brk, sbrk};
pub use remap::mremap;
pub use shared_object::{SHARED_MEMORY_DIRECTORY, shm_open, shm_unlink};
pub use system_v::{shmat, shmctl, shmdt, shmget};

use exokernel_abi::{Call, KernelError, PageAddress, PageCount, Rights, Slot, initial};

use crate::kernel::call;
use crate::slots;

/// Allocates `pages` frames from `quota` (one frame capability in a fresh slot) and maps them at
/// `address` in this address space, writable or read-only. Returns the frame's slot.
///
/// # Errors
/// The kernel's error, or `OutOfMemory` when no slot is free.
pub fn allocate_and_map(
    quota: Slot,
    address: u64,
    pages: u64,
    writable: bool,
) -> Result<Slot, KernelError> {
    let slot = slots::allocate().ok_or(KernelError::OutOfMemory)?;
    if let Err(error) = call(Call::FrameAllocate {
        quota,
        destination: slot,
        pages: PageCount(pages),
    }) {
        slots::free(slot);
        return Err(error);
    }
    let rights = if writable {
        Rights::READ | Rights::WRITE
    } else {
        Rights::READ
    };
    if let Err(error) = map(initial::SELF_ADDRESS_SPACE, slot, address, 0, pages, rights) {
        let _ = call(Call::CapabilityDelete { slot });
        slots::free(slot);
        return Err(error);
    }
    Ok(slot)
}

/// Maps pages of a frame into an address space.
///
/// # Errors
/// The kernel's error.
pub fn map(
    address_space: Slot,
    frame: Slot,
    address: u64,
    first_page: u64,
    pages: u64,
    rights: Rights,
) -> Result<(), KernelError> {
    call(Call::Map {
        address_space,
        frame,
        address: PageAddress(address),
        first_page,
        pages: PageCount(pages),
        rights,
    })
    .map(|_| ())
}

/// Unmaps pages from an address space.
///
/// # Errors
/// The kernel's error.
/// Maps `pages` pages of a frame starting at `first_page`, however many: one kernel call maps at
/// most [`PageCount::MAXIMUM`] pages, so larger ranges take several.
///
/// # Errors
/// The kernel's error for the first chunk that fails (earlier chunks stay mapped).
pub fn map_all(
    address_space: Slot,
    frame: Slot,
    address: u64,
    first_page: u64,
    pages: u64,
    rights: Rights,
) -> Result<(), KernelError> {
    let mut done = 0;
    while done < pages {
        let chunk = (pages - done).min(PageCount::MAXIMUM);
        map(
            address_space,
            frame,
            address + done * exokernel_abi::PAGE_SIZE,
            first_page + done,
            chunk,
            rights,
        )?;
        done += chunk;
    }
    Ok(())
}

pub fn unmap(address_space: Slot, address: u64, pages: u64) -> Result<(), KernelError> {
    call(Call::Unmap {
        address_space,
        address: PageAddress(address),
        pages: PageCount(pages),
    })
    .map(|_| ())
}
