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

use x86_64::structures::paging::mapper::{MapToError, TranslateResult};
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
        unsafe { crate::memory::page_fill::zero_frame(physical) };
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

    /// The level-1 table (512 entries) covering `virtual_address` (user half), reached by one
    /// walk from the root; with `permit_table`, the tables missing on the way are made (each
    /// only if it agrees), without it `None` when one is missing.
    fn leaf_table(
        self,
        virtual_address: u64,
        mut permit_table: Option<&mut dyn FnMut() -> bool>,
    ) -> Result<Option<&'static mut PageTable>, PagingFailure> {
        let parent =
            PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::USER_ACCESSIBLE;
        let mut table = self.root;
        for shift in [39u64, 30, 21] {
            let index = ((virtual_address >> shift) & 511) as usize;
            // SAFETY: `table` is a page table of this live root (the root itself or a table
            // one of its entries names), reachable by the direct map; the kernel is
            // single-threaded and holds its lock, so no other reference to it is in use.
            let entries = unsafe { &mut *(physical_to_virtual(table) as *mut PageTable) };
            let entry = &mut entries[index];
            if entry.is_unused() {
                let Some(permit) = permit_table.as_deref_mut() else {
                    return Ok(None);
                };
                let mut asked = || permit();
                let mut frames = TableFrames { permit: &mut asked };
                let frame = frames.allocate_frame().ok_or(PagingFailure::OutOfFrames)?;
                entry.set_addr(frame.start_address(), parent);
            } else if entry.flags().contains(PageTableFlags::HUGE_PAGE) {
                // Never made for user address spaces; refused rather than walked through.
                return Err(PagingFailure::AlreadyMapped);
            }
            table = entry.addr().as_u64();
        }
        // SAFETY: as above, for the level-1 table the walk ended at.
        Ok(Some(unsafe {
            &mut *(physical_to_virtual(table) as *mut PageTable)
        }))
    }

    /// Maps `count` consecutive pages from `virtual_address` onto consecutive frames from
    /// `physical`, walking the tables once per 2 MiB instead of once per page; the same checks
    /// and effects as [`UserPageTables::map`] page after page. Returns how many pages were
    /// mapped, and the failure that stopped it, if any (the pages before it stay mapped).
    pub fn map_range(
        self,
        virtual_address: u64,
        physical: u64,
        count: u64,
        access: PageAccess,
        permit_table: &mut impl FnMut() -> bool,
    ) -> (u64, Option<PagingFailure>) {
        let flags = flags(access);
        let mut leaf: Option<&'static mut PageTable> = None;
        for page in 0..count {
            let address = virtual_address + page * 4096;
            if user_page(address).is_err() || address < 4096 {
                return (page, Some(PagingFailure::InvalidAddress));
            }
            if leaf.is_none() || (address >> 12) & 511 == 0 {
                match self.leaf_table(address, Some(permit_table)) {
                    Ok(table) => leaf = table,
                    Err(failure) => return (page, Some(failure)),
                }
            }
            let Some(table) = leaf.as_deref_mut() else {
                return (page, Some(PagingFailure::OutOfFrames));
            };
            let entry = &mut table[((address >> 12) & 511) as usize];
            if !entry.is_unused() {
                return (page, Some(PagingFailure::AlreadyMapped));
            }
            // A new mapping needs no flush: it was not present before.
            entry.set_addr(PhysAddr::new(physical + page * 4096), flags);
        }
        (count, None)
    }

    /// Unmaps whatever is mapped in the `count` pages from `virtual_address` (pages not mapped
    /// are skipped), walking the tables once per 2 MiB; flushes the TLB entries if this root is
    /// active. Returns how many pages were unmapped.
    pub fn unmap_range(self, virtual_address: u64, count: u64) -> u64 {
        let active = self.is_active();
        let mut unmapped = 0;
        let mut page = 0;
        while page < count {
            let address = virtual_address + page * 4096;
            if user_page(address).is_err() {
                break;
            }
            let first = (address >> 12) & 511;
            let in_table = (512 - first).min(count - page);
            if let Ok(Some(table)) = self.leaf_table(address, None) {
                for index in first..first + in_table {
                    let entry = &mut table[index as usize];
                    if entry.flags().contains(PageTableFlags::PRESENT) {
                        entry.set_unused();
                        unmapped += 1;
                        if active {
                            x86_64::instructions::tlb::flush(VirtAddr::new(
                                address + (index - first) * 4096,
                            ));
                        }
                    }
                }
            }
            page += in_table;
        }
        unmapped
    }

    /// Changes the access of the `count` mapped pages from `virtual_address`, walking the
    /// tables once per 2 MiB; a page whose access is already `access` is left as it is (no TLB
    /// flush). Stops at the first page that is not mapped (the pages before it changed).
    ///
    /// # Errors
    /// [`PagingFailure`] when a page is outside the user half or not mapped.
    pub fn protect_range(
        self,
        virtual_address: u64,
        count: u64,
        access: PageAccess,
    ) -> Result<(), PagingFailure> {
        let active = self.is_active();
        let new_flags = flags(access);
        let mut page = 0;
        while page < count {
            let address = virtual_address + page * 4096;
            user_page(address)?;
            let first = (address >> 12) & 511;
            let in_table = (512 - first).min(count - page);
            let Ok(Some(table)) = self.leaf_table(address, None) else {
                return Err(PagingFailure::NotMapped);
            };
            for index in first..first + in_table {
                let entry = &mut table[index as usize];
                let old_flags = entry.flags();
                if !old_flags.contains(PageTableFlags::PRESENT) {
                    return Err(PagingFailure::NotMapped);
                }
                if old_flags == new_flags {
                    continue;
                }
                let frame = entry.addr();
                entry.set_addr(frame, new_flags);
                if active {
                    x86_64::instructions::tlb::flush(VirtAddr::new(
                        address + (index - first) * 4096,
                    ));
                }
            }
            page += in_table;
        }
        Ok(())
    }

    /// Whether any of the `count` pages from `virtual_address` is mapped writable, walking the
    /// tables once per 2 MiB.
    #[must_use]
    pub fn any_writable(self, virtual_address: u64, count: u64) -> bool {
        let mut page = 0;
        while page < count {
            let address = virtual_address + page * 4096;
            if user_page(address).is_err() {
                return false;
            }
            let first = (address >> 12) & 511;
            let in_table = (512 - first).min(count - page);
            if let Ok(Some(table)) = self.leaf_table(address, None)
                && (first..first + in_table).any(|index| {
                    table[index as usize]
                        .flags()
                        .contains(PageTableFlags::PRESENT | PageTableFlags::WRITABLE)
                })
            {
                return true;
            }
            page += in_table;
        }
        false
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
        /// Frees the tables below `table` at `level` (4 = PML4; at least 2: a level-1 table
        /// holds pages, not tables, so its entries are never looked at).
        /// `entries` is a multiple of eight entries long: most of a table is empty, and eight
        /// empty entries are skipped with one test (an unused entry is all zero).
        fn free_below(table: u64, level: u8, entries: core::ops::Range<usize>) -> u64 {
            let mut freed = 0;
            // SAFETY: `table` is a page table of this address space, reachable by the
            // direct map, and nothing else uses the address space any more.
            let page_table = unsafe { &*(physical_to_virtual(table) as *const PageTable) };
            // SAFETY: the same table, read as its 512 raw entries.
            let words = unsafe { &*(physical_to_virtual(table) as *const [u64; 512]) };
            let used = entries.step_by(8).flat_map(|first| {
                let group = &words[first..first + 8];
                let end = if group.iter().fold(0, |all, &word| all | word) == 0 {
                    first
                } else {
                    first + 8
                };
                (first..end).filter(|&index| words[index] != 0)
            });
            for index in used {
                let entry = &page_table[index];
                if entry.is_unused() || entry.flags().contains(PageTableFlags::HUGE_PAGE) {
                    continue;
                }
                let child = entry.addr().as_u64();
                if level > 2 {
                    freed += free_below(child, level - 1, 0..512);
                }
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
