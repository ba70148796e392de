//! Page tables of user address spaces: create, map, unmap, protect, translate, tear down.
//!
//! Each user root shares the kernel half (top-level entries 256..512) with the kernel's own
//! root; everything below is private and reached through the direct map.
//!
//! The contract "this is a live user root" has a type: [`UserPageTables`]. Only this module
//! builds one (from a frame it allocates itself) and only [`UserPageTables::destroy`] ends
//! one, so the rest of the kernel edits user page tables through safe methods. Every method
//! refuses addresses outside the user half, so no caller can reach the shared kernel half.

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::structures::paging::mapper::{MapToError, TranslateResult, UnmapError};
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame, Size4KiB,
    Translate,
};
use x86_64::{PhysAddr, VirtAddr};

use super::paging::{DIRECT_MAP_OFFSET, activate, active_root, physical_to_virtual};
use crate::memory::physical;

/// The kernel's own root, whose upper half every user root copies.
static KERNEL_ROOT: AtomicU64 = AtomicU64::new(0);

/// The first address above the user half (the lower half of the canonical space).
const USER_HALF_END: u64 = 0x0000_8000_0000_0000;

/// Records the kernel root (call once, after switching to the kernel's tables).
pub fn set_kernel_root(root: u64) {
    KERNEL_ROOT.store(root, Ordering::Relaxed);
}

/// The kernel's own root.
#[must_use]
pub fn kernel_root() -> u64 {
    KERNEL_ROOT.load(Ordering::Relaxed)
}

/// Loads the kernel's own root (which maps no user memory) into CR3 unless it is active.
pub fn switch_to_kernel_address_space() {
    let root = kernel_root();
    if root != 0 && active_root() != root {
        // SAFETY: the kernel root maps the kernel image, its stacks and the direct map.
        unsafe { activate(root) };
    }
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
    /// No frame for a page table (or the address space's page-table budget is spent).
    OutOfFrames,
    /// The address is not a page-aligned address in the user half.
    InvalidAddress,
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

/// The page at `virtual_address` if it is a page-aligned address in the user half.
/// (Page 0 is refused only by [`UserPageTables::map`]: it can never be mapped, so it never
/// needs unmapping or protecting, and null pointers always fault.)
fn user_page(virtual_address: u64) -> Result<Page<Size4KiB>, PagingFailure> {
    if virtual_address >= USER_HALF_END || !virtual_address.is_multiple_of(4096) {
        return Err(PagingFailure::InvalidAddress);
    }
    Ok(Page::containing_address(VirtAddr::new(virtual_address)))
}

/// Takes page-table frames from the frame allocator, each only after `permit` agrees (the
/// caller's page-table budget), and zeroes them.
struct TableFrames<'a, Permit: FnMut() -> bool> {
    permit: &'a mut Permit,
}

// SAFETY: frames come from the kernel's frame allocator, unused, and are zeroed before use.
unsafe impl<Permit: FnMut() -> bool> FrameAllocator<Size4KiB> for TableFrames<'_, Permit> {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        let physical = physical::allocate_frame()?;
        if !(self.permit)() {
            let _ = physical::free_frame(physical);
            return None;
        }
        // SAFETY: the frame was just allocated, so nothing else uses it; it is reachable
        // through the direct map.
        unsafe { core::ptr::write_bytes(physical_to_virtual(physical) as *mut u8, 0, 4096) };
        Some(PhysFrame::containing_address(PhysAddr::new(physical)))
    }
}

/// The page tables of one user address space: a handle on a live user root.
///
/// Invariant: `root` is a PML4 built by [`UserPageTables::create`] (private lower half, the
/// kernel's upper half) that has not been destroyed. Copies of the handle exist only while the
/// kernel lock is held for one kernel entry (the calling environment's `Caller`); the owning
/// copy lives in the address-space object, which calls [`UserPageTables::destroy`] once no
/// environment runs in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserPageTables {
    root: u64,
}

impl UserPageTables {
    /// A new, empty user address space (its root frame taken from the frame allocator), or
    /// `None` when no frame is free.
    #[must_use]
    pub fn create() -> Option<Self> {
        let root = physical::allocate_frame()?;
        // SAFETY: the frame was just allocated (nothing else uses it); the kernel root is live
        // for the kernel's lifetime; both are reachable through the direct map.
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
        Some(Self { root })
    }

    /// Whether this root is the one loaded in CR3.
    #[must_use]
    pub fn is_active(self) -> bool {
        active_root() == self.root
    }

    /// Loads this root into CR3 unless it is already active.
    pub fn activate(self) {
        if !self.is_active() {
            // SAFETY: a live user root shares the kernel half, so the running code, its stack
            // and its data stay mapped.
            unsafe { activate(self.root) };
        }
    }

    /// The mapper for this root.
    fn mapper(self) -> OffsetPageTable<'static> {
        // SAFETY: the root is live (the type's invariant) and reachable through the direct
        // map; the kernel is single-threaded and holds its lock, so no other mapper exists.
        unsafe {
            OffsetPageTable::new(
                &mut *(physical_to_virtual(self.root) as *mut PageTable),
                VirtAddr::new(DIRECT_MAP_OFFSET),
            )
        }
    }

    /// Maps one 4 KiB page at `virtual_address` (page-aligned, user half) onto `physical`.
    /// Each page table it needs is taken from the frame allocator only if `permit_table`
    /// returns true.
    ///
    /// `physical` must be a frame a capability covers: the capability system checks that
    /// before any caller gets here.
    ///
    /// # Errors
    /// [`PagingFailure`] when the address is page 0 or outside the user half, already mapped,
    /// or no page table could be had.
    pub fn map(
        self,
        virtual_address: u64,
        physical: u64,
        access: PageAccess,
        permit_table: &mut impl FnMut() -> bool,
    ) -> Result<(), PagingFailure> {
        let page = user_page(virtual_address)?;
        if virtual_address < 4096 {
            return Err(PagingFailure::InvalidAddress);
        }
        let mut mapper = self.mapper();
        let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(physical));
        let parent =
            PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::USER_ACCESSIBLE;
        let mut tables = TableFrames {
            permit: permit_table,
        };
        // SAFETY: a user page onto a frame a capability covers; nothing in the kernel aliases
        // user-half addresses. A new mapping needs no flush: it was not present before.
        match unsafe {
            mapper.map_to_with_table_flags(page, frame, flags(access), parent, &mut tables)
        } {
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

    /// Unmaps one page and returns the frame it mapped; flushes the TLB entry if this root is
    /// active.
    ///
    /// # Errors
    /// [`PagingFailure`] when the address is outside the user half or not mapped.
    pub fn unmap(self, virtual_address: u64) -> Result<u64, PagingFailure> {
        let page = user_page(virtual_address)?;
        let mut mapper = self.mapper();
        match mapper.unmap(page) {
            Ok((frame, flush)) => {
                if self.is_active() {
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
    /// # Errors
    /// [`PagingFailure`] when the address is outside the user half or not mapped.
    pub fn protect(self, virtual_address: u64, access: PageAccess) -> Result<(), PagingFailure> {
        let page = user_page(virtual_address)?;
        let mut mapper = self.mapper();
        // SAFETY: only the access bits of an existing user mapping change.
        match unsafe { mapper.update_flags(page, flags(access)) } {
            Ok(flush) => {
                if self.is_active() {
                    flush.flush();
                } else {
                    flush.ignore();
                }
                Ok(())
            }
            Err(_) => Err(PagingFailure::NotMapped),
        }
    }

    /// The physical address and access of the user page mapping `virtual_address`, if any.
    #[must_use]
    pub fn translate(self, virtual_address: u64) -> Option<(u64, PageAccess)> {
        if virtual_address >= USER_HALF_END {
            return None;
        }
        match self.mapper().translate(VirtAddr::new(virtual_address)) {
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

    /// Frees every user-half page table and the root itself (not the mapped frames: those
    /// belong to frame capabilities), first switching to the kernel's root if this one is
    /// loaded. Returns how many frames went back.
    pub fn destroy(self) -> u64 {
        /// Frees the tables below `table` at `level` (4 = PML4).
        fn free_below(table: u64, level: u8, entries: core::ops::Range<usize>) -> u64 {
            let mut freed = 0;
            // SAFETY: `table` is a page table of this address space, reachable by the
            // direct map, and nothing else uses the address space any more.
            let page_table = unsafe { &*(physical_to_virtual(table) as *const PageTable) };
            for index in entries {
                let entry = &page_table[index];
                if entry.is_unused()
                    || level == 1
                    || entry.flags().contains(PageTableFlags::HUGE_PAGE)
                {
                    continue;
                }
                let child = entry.addr().as_u64();
                freed += free_below(child, level - 1, 0..512);
                if physical::free_frame(child).is_ok() {
                    freed += 1;
                }
            }
            freed
        }
        if self.is_active() {
            switch_to_kernel_address_space();
        }
        // Only the private lower half is walked; the depth is four levels.
        let mut freed = free_below(self.root, 4, 0..256);
        if physical::free_frame(self.root).is_ok() {
            freed += 1;
        }
        freed
    }
}
