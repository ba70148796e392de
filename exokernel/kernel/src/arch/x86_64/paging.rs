//! The kernel's own page tables: a direct map of physical memory, the kernel image with
//! per-section permissions, and the local APIC registers.
//!
//! The kernel half (PML4 entries 256..512) is built once at boot and its top-level entries are
//! copied into every address space. The kernel never adds a top-level entry after boot (it
//! reaches all memory through the direct map), so nothing has to be propagated later.

use boot::{BootInformation, KERNEL_VIRTUAL_BASE, MemoryRegionKind};
use x86_64::registers::control::{Cr3, Cr3Flags};
use x86_64::structures::paging::mapper::MapToError;
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageSize, PageTable, PageTableFlags, PhysFrame,
    Size2MiB, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

/// Where the kernel maps all of physical memory.
pub const DIRECT_MAP_OFFSET: u64 = 0xffff_8000_0000_0000;

/// Kernel virtual address of a physical address, through the direct map.
#[must_use]
pub const fn physical_to_virtual(physical_address: u64) -> u64 {
    DIRECT_MAP_OFFSET + physical_address
}

/// The physical frames the page-table builder may take.
pub trait FrameSource {
    /// Any free 4 KiB frame (the builder zeroes it).
    fn allocate_frame(&mut self) -> Option<u64>;
}

/// Why the kernel's tables could not be built.
#[derive(Debug)]
pub enum PagingError {
    /// No free frame for a page table.
    OutOfFrames,
    /// A mapping the builder made overlaps another one it made.
    #[expect(dead_code, reason = "read through Debug in the boot failure message")]
    Overlap(u64),
}

struct FrameSourceAdapter<'a, Source: FrameSource>(&'a mut Source, u64);

// SAFETY: every frame handed out comes from the physical frame allocator, is unused, and is
// zeroed through the loader's direct map before being returned.
unsafe impl<Source: FrameSource> FrameAllocator<Size4KiB> for FrameSourceAdapter<'_, Source> {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        let physical = self.0.allocate_frame()?;
        // SAFETY: the frame is free and mapped by the loader's direct map at offset `self.1`.
        unsafe { core::ptr::write_bytes((self.1 + physical) as *mut u8, 0, 4096) };
        Some(PhysFrame::containing_address(PhysAddr::new(physical)))
    }
}

unsafe extern "C" {
    static __kernel_start: u8;
    static __kernel_text_end: u8;
    static __kernel_rodata_end: u8;
    static __kernel_end: u8;
}

/// Virtual bounds of the kernel image sections: `[start, text_end, rodata_end, end)`.
fn kernel_sections() -> [u64; 4] {
    [
        &raw const __kernel_start as u64,
        &raw const __kernel_text_end as u64,
        &raw const __kernel_rodata_end as u64,
        &raw const __kernel_end as u64,
    ]
}

/// The physical range `[start, end)` occupied by the kernel image.
#[must_use]
pub fn kernel_physical_range(boot: &BootInformation) -> (u64, u64) {
    let [start, _, _, end] = kernel_sections();
    (
        boot.kernel_physical_start,
        boot.kernel_physical_start + (end - start),
    )
}

/// Builds the kernel's page tables and returns the physical address of the new PML4.
///
/// # Errors
/// [`PagingError`] when frames run out or mappings collide.
pub fn build_kernel_tables(
    boot: &BootInformation,
    local_apic_physical: u64,
    frames: &mut impl FrameSource,
) -> Result<u64, PagingError> {
    let loader_offset = boot.loader_direct_map_offset;
    let mut allocator = FrameSourceAdapter(frames, loader_offset);
    let root = allocator.allocate_frame().ok_or(PagingError::OutOfFrames)?;
    // SAFETY: the root frame was just allocated and zeroed, and is reachable at the loader's
    // direct-map offset, as is every table frame the mapper allocates.
    let mut mapper = unsafe {
        let root_table = &mut *((loader_offset + root.start_address().as_u64()) as *mut PageTable);
        OffsetPageTable::new(root_table, VirtAddr::new(loader_offset))
    };
    let table_flags = PageTableFlags::PRESENT | PageTableFlags::WRITABLE;
    let data_flags = PageTableFlags::PRESENT
        | PageTableFlags::WRITABLE
        | PageTableFlags::NO_EXECUTE
        | PageTableFlags::GLOBAL;

    // Direct map: every region that holds memory, rounded out to 2 MiB pages.
    for region in &boot.memory_map {
        if matches!(
            region.kind,
            MemoryRegionKind::Reserved | MemoryRegionKind::Bad
        ) {
            continue;
        }
        let first = region.start & !(Size2MiB::SIZE - 1);
        let mut physical = first;
        while physical < region.end() {
            let page =
                Page::<Size2MiB>::containing_address(VirtAddr::new(physical_to_virtual(physical)));
            let frame = PhysFrame::<Size2MiB>::containing_address(PhysAddr::new(physical));
            // SAFETY: the direct map aliases physical memory only at its own offset, which
            // nothing else uses; the new tables are not active yet.
            match unsafe {
                mapper.map_to_with_table_flags(page, frame, data_flags, table_flags, &mut allocator)
            } {
                Ok(flush) => flush.ignore(),
                Err(MapToError::PageAlreadyMapped(_)) => {}
                Err(MapToError::FrameAllocationFailed) => return Err(PagingError::OutOfFrames),
                Err(MapToError::ParentEntryHugePage) => return Err(PagingError::Overlap(physical)),
            }
            physical += Size2MiB::SIZE;
        }
    }

    // The kernel image with per-section rights: text read+execute, rodata read, data read+write.
    let [start, text_end, rodata_end, end] = kernel_sections();
    let mut virtual_address = start;
    while virtual_address < end {
        // Guard pages below the kernel stacks stay unmapped, so an overflow faults.
        if super::kernel_stacks::is_guard_page(virtual_address) {
            virtual_address += Size4KiB::SIZE;
            continue;
        }
        let flags = if virtual_address < text_end {
            PageTableFlags::PRESENT | PageTableFlags::GLOBAL
        } else if virtual_address < rodata_end {
            PageTableFlags::PRESENT | PageTableFlags::NO_EXECUTE | PageTableFlags::GLOBAL
        } else {
            data_flags
        };
        let physical = boot.kernel_physical_start + (virtual_address - start);
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virtual_address));
        let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(physical));
        // SAFETY: maps the kernel image to where the loader put it; tables not yet active.
        unsafe { mapper.map_to_with_table_flags(page, frame, flags, table_flags, &mut allocator) }
            .map_err(|_| PagingError::Overlap(virtual_address))?
            .ignore();
        virtual_address += Size4KiB::SIZE;
    }

    // The local APIC and I/O APIC registers, uncached, unless a RAM region's huge page already
    // covers them.
    let device_flags = data_flags | PageTableFlags::NO_CACHE | PageTableFlags::WRITE_THROUGH;
    for device_physical in [local_apic_physical, super::io_apic::PHYSICAL_BASE] {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(physical_to_virtual(
            device_physical,
        )));
        let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(device_physical));
        // SAFETY: the APIC pages are device memory that only the kernel touches.
        match unsafe {
            mapper.map_to_with_table_flags(page, frame, device_flags, table_flags, &mut allocator)
        } {
            Ok(flush) => flush.ignore(),
            Err(MapToError::FrameAllocationFailed) => return Err(PagingError::OutOfFrames),
            Err(_) => {}
        }
    }

    Ok(root.start_address().as_u64())
}

/// Switches to the page tables rooted at `root`.
///
/// # Safety
/// `root` must be a PML4 built by [`build_kernel_tables`] (or sharing its kernel half), so that
/// the running code, its stack and its data stay mapped.
pub unsafe fn activate(root: u64) {
    let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(root));
    // SAFETY: forwarded from the caller.
    unsafe { Cr3::write(frame, Cr3Flags::empty()) };
}

/// Whether `virtual_address` is mapped in the active page tables (kernel half included).
#[must_use]
pub fn is_mapped(virtual_address: u64) -> bool {
    use x86_64::structures::paging::Translate;
    let Ok(address) = VirtAddr::try_new(virtual_address) else {
        return false;
    };
    // SAFETY: the active root is a live PML4 reachable through the direct map; the mapper is
    // only read (translate) and dropped before anything else can change the tables.
    let mapper = unsafe {
        OffsetPageTable::new(
            &mut *(physical_to_virtual(active_root()) as *mut PageTable),
            VirtAddr::new(DIRECT_MAP_OFFSET),
        )
    };
    mapper.translate_addr(address).is_some()
}

/// The physical address of the active PML4.
#[must_use]
pub fn active_root() -> u64 {
    Cr3::read().0.start_address().as_u64()
}

const _: () = assert!(KERNEL_VIRTUAL_BASE > DIRECT_MAP_OFFSET);
