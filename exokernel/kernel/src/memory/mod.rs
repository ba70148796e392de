//! Kernel memory: the physical frame allocator, the kernel's page tables and its heap.

pub mod heap;
pub mod page_fill;
pub mod physical;
mod tests;
pub mod time_page;

use boot::BootInformation;

use crate::arch::{local_apic, paging};

/// The bytes of a boot module (the initramfs): excluded from allocation, never written, and
/// mapped by the direct map for the kernel's lifetime.
#[must_use]
pub fn boot_module_bytes(module: &boot::Module) -> &'static [u8] {
    // SAFETY: as above: the range is reserved for the module and lives as long as the kernel.
    unsafe {
        core::slice::from_raw_parts(
            paging::physical_to_virtual(module.physical_address) as *const u8,
            module.length as usize,
        )
    }
}
use crate::info;

/// Why memory could not be set up; every variant is fatal at boot.
#[derive(Debug)]
pub enum MemoryError {
    /// The memory map leaves nothing usable.
    NoUsableMemory,
    /// Not enough contiguous memory for the early page tables, bookkeeping or heap.
    TooLittleMemory,
    /// Building the kernel page tables failed.
    #[expect(dead_code, reason = "read through Debug in the boot failure message")]
    Paging(paging::PagingError),
}

/// Builds the page tables, switches to them, then starts the frame allocator and the heap.
///
/// # Errors
/// [`MemoryError`] when the machine has too little memory to boot.
pub fn initialise(boot: &'static BootInformation) -> Result<(), MemoryError> {
    let mut early = physical::EarlyFrames::reserve(boot)?;
    crate::debug!("early page-table frames: {:?}", early.run());
    let root = paging::build_kernel_tables(boot, local_apic::physical_base(), &mut early)
        .map_err(MemoryError::Paging)?;
    // SAFETY: the new tables map the kernel image where it runs now, the direct map, and the
    // APIC; the stack and boot information live in the kernel image.
    unsafe { paging::activate(root) };
    physical::initialise(boot, early.used_range())?;
    heap::initialise()?;
    let (free, total) = physical::frame_counts();
    info!(
        "memory: {} MiB usable, {} MiB free after kernel set-up, heap {} KiB",
        total * 4 / 1024,
        free * 4 / 1024,
        heap::HEAP_SIZE / 1024
    );
    Ok(())
}
