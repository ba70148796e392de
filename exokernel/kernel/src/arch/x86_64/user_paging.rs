//! Page tables of user address spaces: create, map, unmap, protect, translate, tear down.
//!
//! Each user root shares the kernel half (top-level entries 256..512) with the kernel's own
//! root; everything below is private and reached through the direct map.

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::structures::paging::mapper::{MapToError, TranslateResult, UnmapError};
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame, Size4KiB,
    Translate,
};
use x86_64::{PhysAddr, VirtAddr};

use super::paging::{DIRECT_MAP_OFFSET, active_root, physical_to_virtual};

/// The kernel's own root, whose upper half every user root copies.
static KERNEL_ROOT: AtomicU64 = AtomicU64::new(0);

/// Records the kernel root (call once, after switching to the kernel's tables).
pub fn set_kernel_root(root: u64) {
    KERNEL_ROOT.store(root, Ordering::Relaxed);
}

/// The kernel's own root.
#[must_use]
pub fn kernel_root() -> u64 {
    KERNEL_ROOT.load(Ordering::Relaxed)
}

/// Access a user mapping grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageAccess {
    /// Writable.
    pub write: bool,
    /// Executable.
    pub execute: bool,
}

/// Why a page-table operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PagingFailure {
    /// A page is already mapped there.
    AlreadyMapped,
    /// No page is mapped there.
    NotMapped,
    /// No frame for a page table.
    OutOfFrames,
}

fn flags(access: PageAccess) -> PageTableFlags {
    let mut flags = PageTableFlags::PRESENT | PageTableFlags::USER_ACCESSIBLE;
    if access.write {
        flags |= PageTableFlags::WRITABLE;
    }
    if !access.execute {
        flags |= PageTableFlags::NO_EXECUTE;
    }
    flags
}

/// Hands page-table frames to the mapper and counts them.
struct TableFrames<'a, Allocate: FnMut() -> Option<u64>> {
    allocate: &'a mut Allocate,
}

// SAFETY: frames come from the kernel's allocator, unused, and are zeroed before use.
unsafe impl<Allocate: FnMut() -> Option<u64>> FrameAllocator<Size4KiB>
    for TableFrames<'_, Allocate>
{
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        let physical = (self.allocate)()?;
        // SAFETY: the frame is free and reachable through the direct map.
        unsafe { core::ptr::write_bytes(physical_to_virtual(physical) as *mut u8, 0, 4096) };
        Some(PhysFrame::containing_address(PhysAddr::new(physical)))
    }
}

/// The mapper for `root`.
///
/// # Safety
/// `root` must be a live user root created by [`initialise_root`], not used concurrently.
unsafe fn mapper(root: u64) -> OffsetPageTable<'static> {
    // SAFETY: forwarded from the caller; the root is reachable through the direct map.
    unsafe {
        OffsetPageTable::new(
            &mut *(physical_to_virtual(root) as *mut PageTable),
            VirtAddr::new(DIRECT_MAP_OFFSET),
        )
    }
}

/// Turns a freshly allocated frame into a user root: empty lower half, the kernel's upper half.
///
/// # Safety
/// `root` must be a frame the caller owns.
pub unsafe fn initialise_root(root: u64) {
    // SAFETY: the caller owns the frame; the kernel root is live for the kernel's lifetime.
    unsafe {
        let table = &mut *(physical_to_virtual(root) as *mut PageTable);
        let kernel = &*(physical_to_virtual(kernel_root()) as *const PageTable);
        for index in 0..256 {
            table[index].set_unused();
        }
        for index in 256..512 {
            table[index] = kernel[index].clone();
        }
    }
}

/// Maps one 4 KiB page.
///
/// # Safety
/// `root` is a live user root; `physical` is a frame the caller's capability covers;
/// `virtual_address` is page-aligned and in the user half.
pub unsafe fn map(
    root: u64,
    virtual_address: u64,
    physical: u64,
    access: PageAccess,
    allocate_table: &mut impl FnMut() -> Option<u64>,
) -> Result<(), PagingFailure> {
    // SAFETY: forwarded from the caller.
    let mut mapper = unsafe { mapper(root) };
    let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virtual_address));
    let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(physical));
    let parent =
        PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::USER_ACCESSIBLE;
    let mut tables = TableFrames {
        allocate: allocate_table,
    };
    // SAFETY: a user page onto a frame the caller may map; nothing in the kernel aliases
    // user-half addresses. A new mapping needs no flush: it was not present before.
    match unsafe { mapper.map_to_with_table_flags(page, frame, flags(access), parent, &mut tables) }
    {
        Ok(flush) => {
            flush.ignore();
            Ok(())
        }
        Err(MapToError::PageAlreadyMapped(_) | MapToError::ParentEntryHugePage) => {
            Err(PagingFailure::AlreadyMapped)
        }
        Err(MapToError::FrameAllocationFailed) => Err(PagingFailure::OutOfFrames),
    }
}

/// Unmaps one page and returns the frame it mapped; flushes the TLB entry if `root` is active.
///
/// # Safety
/// `root` is a live user root and `virtual_address` page-aligned in the user half.
pub unsafe fn unmap(root: u64, virtual_address: u64) -> Result<u64, PagingFailure> {
    // SAFETY: forwarded from the caller.
    let mut mapper = unsafe { mapper(root) };
    let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virtual_address));
    match mapper.unmap(page) {
        Ok((frame, flush)) => {
            if active_root() == root {
                flush.flush();
            } else {
                // Not loaded: its entries leave the TLB when CR3 is next written.
                flush.ignore();
            }
            Ok(frame.start_address().as_u64())
        }
        Err(UnmapError::PageNotMapped | UnmapError::ParentEntryHugePage) => {
            Err(PagingFailure::NotMapped)
        }
        Err(UnmapError::InvalidFrameAddress(_)) => Err(PagingFailure::NotMapped),
    }
}

/// Changes the access of one mapped page.
///
/// # Safety
/// As for [`unmap`].
pub unsafe fn protect(
    root: u64,
    virtual_address: u64,
    access: PageAccess,
) -> Result<(), PagingFailure> {
    // SAFETY: forwarded from the caller.
    let mut mapper = unsafe { mapper(root) };
    let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virtual_address));
    // SAFETY: only the access bits of an existing user mapping change.
    match unsafe { mapper.update_flags(page, flags(access)) } {
        Ok(flush) => {
            if active_root() == root {
                flush.flush();
            } else {
                flush.ignore();
            }
            Ok(())
        }
        Err(_) => Err(PagingFailure::NotMapped),
    }
}

/// The frame and access of the page mapping `virtual_address`, if any.
///
/// # Safety
/// `root` is a live user root.
pub unsafe fn translate(root: u64, virtual_address: u64) -> Option<(u64, PageAccess)> {
    // SAFETY: forwarded from the caller.
    let mapper = unsafe { mapper(root) };
    match mapper.translate(VirtAddr::new(virtual_address)) {
        TranslateResult::Mapped {
            frame,
            offset: _,
            flags,
        } if flags.contains(PageTableFlags::USER_ACCESSIBLE) => {
            let access = PageAccess {
                write: flags.contains(PageTableFlags::WRITABLE),
                execute: !flags.contains(PageTableFlags::NO_EXECUTE),
            };
            Some((
                frame.start_address().as_u64() + (virtual_address & 0xfff),
                access,
            ))
        }
        _ => None,
    }
}

/// Frees every user-half page table of `root` and the root itself (not the mapped frames:
/// those belong to frame capabilities).
///
/// # Safety
/// `root` is a user root no CPU has loaded and nobody uses afterwards.
pub unsafe fn destroy(root: u64, free_table: &mut impl FnMut(u64)) {
    /// Frees the tables below `table` at `level` (4 = PML4).
    unsafe fn free_below(
        table: u64,
        level: u8,
        entries: core::ops::Range<usize>,
        free_table: &mut impl FnMut(u64),
    ) {
        // SAFETY: `table` is a page table of this address space, reachable by the direct map.
        let page_table = unsafe { &*(physical_to_virtual(table) as *const PageTable) };
        for index in entries {
            let entry = &page_table[index];
            if entry.is_unused() || level == 1 || entry.flags().contains(PageTableFlags::HUGE_PAGE)
            {
                continue;
            }
            let child = entry.addr().as_u64();
            // SAFETY: the child is a page table of the same address space.
            unsafe { free_below(child, level - 1, 0..512, free_table) };
            free_table(child);
        }
    }
    // SAFETY: forwarded from the caller; only the private lower half is walked.
    unsafe { free_below(root, 4, 0..256, free_table) };
    free_table(root);
}
