//! The kernel's physical frame allocator: built from the boot memory map with the kernel
//! image, boot modules and early page tables excluded.

use boot::{BootInformation, MemoryRegionKind};
use exokernel_memory::{
    Alignment, BookkeepingLayout, FrameAllocator, MemoryKind, MemoryMap, MemoryRegion,
    PhysicalAddress, PhysicalFrame, PhysicalRange,
};
use heapless::Vec;
use spin::Mutex;

use super::MemoryError;
use crate::arch::paging::{self, FrameSource, physical_to_virtual};

static FRAMES: Mutex<Option<FrameAllocator<'static>>> = Mutex::new(None);

/// Exclusions: the first MiB, the kernel image, the boot modules, the early tables.
const MAXIMUM_EXCLUSIONS: usize = boot::MAXIMUM_MODULES + 4;

fn memory_kind(kind: MemoryRegionKind) -> MemoryKind {
    match kind {
        MemoryRegionKind::Usable => MemoryKind::Usable,
        MemoryRegionKind::BootloaderReclaimable => MemoryKind::BootloaderReclaimable,
        MemoryRegionKind::AcpiReclaimable => MemoryKind::AcpiReclaimable,
        MemoryRegionKind::AcpiNonVolatile => MemoryKind::AcpiNonVolatile,
        MemoryRegionKind::Bad => MemoryKind::Defective,
        MemoryRegionKind::KernelAndModules => MemoryKind::KernelAndModules,
        MemoryRegionKind::Framebuffer => MemoryKind::Framebuffer,
        MemoryRegionKind::Reserved => MemoryKind::Reserved,
    }
}

fn range(start: u64, end: u64) -> PhysicalRange {
    PhysicalRange::new(PhysicalAddress::new(start), PhysicalAddress::new(end))
}

fn regions(boot: &BootInformation) -> Vec<MemoryRegion, { boot::MAXIMUM_MEMORY_REGIONS }> {
    boot.memory_map
        .iter()
        .map(|region| {
            MemoryRegion::new(
                PhysicalAddress::new(region.start),
                region.length,
                memory_kind(region.kind),
            )
        })
        .collect()
}

fn exclusions(
    boot: &BootInformation,
    early_tables: PhysicalRange,
) -> Vec<PhysicalRange, MAXIMUM_EXCLUSIONS> {
    let (kernel_start, kernel_end) = paging::kernel_physical_range(boot);
    let mut exclusions: Vec<PhysicalRange, MAXIMUM_EXCLUSIONS> = Vec::new();
    // Capacity covers the fixed entries plus every module, so these pushes cannot fail.
    let _ = exclusions.push(range(0, 0x10_0000));
    let _ = exclusions.push(range(kernel_start, kernel_end));
    let _ = exclusions.push(early_tables);
    for module in &boot.modules {
        let _ = exclusions.push(range(
            module.physical_address,
            module.physical_address + module.length,
        ));
    }
    exclusions
}

/// A bump allocator over one reserved run of frames, used only to build the kernel page tables
/// before the real allocator (whose bookkeeping is reached through those tables) exists.
pub struct EarlyFrames {
    run: PhysicalRange,
    next: u64,
}

impl EarlyFrames {
    /// Reserves enough frames for the kernel tables: one table per GiB of the direct map plus a
    /// fixed allowance for the top levels, the kernel image and the APIC.
    ///
    /// # Errors
    /// [`MemoryError::TooLittleMemory`] when no run that large is free.
    pub fn reserve(boot: &BootInformation) -> Result<Self, MemoryError> {
        let highest = boot
            .memory_map
            .iter()
            .map(boot::MemoryRegion::end)
            .max()
            .unwrap_or(0);
        let frames_needed = 64 + highest.div_ceil(1 << 30);
        let regions = regions(boot);
        let exclusions = exclusions(boot, PhysicalRange::EMPTY);
        let map = MemoryMap::new(&regions, &exclusions);
        let run = map
            .find_placement(frames_needed * 4096)
            .ok_or(MemoryError::TooLittleMemory)?;
        Ok(Self {
            run,
            next: run.start().as_u64(),
        })
    }

    /// The run reserved for the early tables.
    #[must_use]
    pub fn run(&self) -> PhysicalRange {
        self.run
    }

    /// The frames handed out so far.
    #[must_use]
    pub fn used_range(&self) -> PhysicalRange {
        range(self.run.start().as_u64(), self.next)
    }
}

impl FrameSource for EarlyFrames {
    fn allocate_frame(&mut self) -> Option<u64> {
        (self.next < self.run.end().as_u64()).then(|| {
            self.next += 4096;
            self.next - 4096
        })
    }
}

/// Builds the frame allocator; its bookkeeping goes in the lowest free run large enough.
///
/// # Errors
/// [`MemoryError`] when the map has no usable memory or no room for the bookkeeping.
pub fn initialise(boot: &BootInformation, early_tables: PhysicalRange) -> Result<(), MemoryError> {
    let regions = regions(boot);
    let exclusions = exclusions(boot, early_tables);
    let map = MemoryMap::new(&regions, &exclusions);
    let layout = BookkeepingLayout::for_memory_map(&map).ok_or(MemoryError::NoUsableMemory)?;
    let placement = map
        .find_placement(layout.byte_length())
        .ok_or(MemoryError::TooLittleMemory)?;
    // SAFETY: `placement` is free RAM (usable, not excluded), mapped by the direct map, and
    // from here on owned by the allocator alone, which also retires it from allocation.
    let storage = unsafe {
        core::slice::from_raw_parts_mut(
            physical_to_virtual(placement.start().as_u64()) as *mut u64,
            layout.word_count(),
        )
    };
    let allocator =
        FrameAllocator::new(storage, &map, placement).map_err(|_| MemoryError::NoUsableMemory)?;
    *FRAMES.lock() = Some(allocator);
    Ok(())
}

/// Allocates one 4 KiB frame; returns its physical address.
#[must_use]
pub fn allocate_frame() -> Option<u64> {
    without_interrupts(|| FRAMES.lock().as_mut()?.allocate_frame().ok())
        .map(|frame| frame.start_address().as_u64())
}

/// Allocates `count` contiguous frames aligned to `alignment` bytes; returns the first address.
#[must_use]
pub fn allocate_contiguous(count: u64, alignment: u64) -> Option<u64> {
    let alignment = Alignment::new(alignment)?;
    without_interrupts(|| {
        FRAMES
            .lock()
            .as_mut()?
            .allocate_contiguous(count, alignment)
            .ok()
    })
    .map(|frame| frame.start_address().as_u64())
}

/// Why a frame could not be returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameFreeError {
    /// The address is not frame-aligned.
    Misaligned,
    /// The frame was never allocatable or is already free.
    NotAllocated,
}

/// Returns a frame to the allocator.
///
/// # Errors
/// [`FrameFreeError`] when the address is not an allocated frame.
pub fn free_frame(physical_address: u64) -> Result<(), FrameFreeError> {
    let frame = PhysicalFrame::from_start_address(PhysicalAddress::new(physical_address))
        .ok_or(FrameFreeError::Misaligned)?;
    without_interrupts(|| match FRAMES.lock().as_mut() {
        Some(allocator) => allocator
            .free_frame(frame)
            .map_err(|_| FrameFreeError::NotAllocated),
        None => Err(FrameFreeError::NotAllocated),
    })
}

/// `(free, total)` frame counts.
#[must_use]
pub fn frame_counts() -> (u64, u64) {
    without_interrupts(|| {
        FRAMES.lock().as_ref().map_or((0, 0), |allocator| {
            (allocator.free_frame_count(), allocator.total_frame_count())
        })
    })
}

fn without_interrupts<T>(function: impl FnOnce() -> T) -> T {
    crate::arch::cpu::without_interrupts(function)
}

/// Allocates `count` contiguous frames (page-aligned) and zeroes them, so nothing of their
/// previous owner leaks; returns the first address.
#[must_use]
pub fn allocate_zeroed(count: u64) -> Option<u64> {
    let first = if count == 1 {
        allocate_frame()?
    } else {
        allocate_contiguous(count, 4096)?
    };
    for page in 0..count {
        // SAFETY: the frames were just allocated (nothing else uses them) and are reachable
        // through the direct map.
        unsafe { super::page_fill::zero_frame(first + page * 4096) };
    }
    Some(first)
}

/// Allocates `sources.len()` contiguous frames (at least one) holding copies of the 4 KiB
/// frames at `sources`, in order (allocated frames of RAM, reachable through the direct map);
/// returns the first address.
#[must_use]
pub fn allocate_copies(sources: &[u64]) -> Option<u64> {
    if sources.is_empty() || sources.iter().any(|source| !source.is_multiple_of(4096)) {
        return None;
    }
    let first = if sources.len() == 1 {
        allocate_frame()?
    } else {
        allocate_contiguous(sources.len() as u64, 4096)?
    };
    for (index, &source) in sources.iter().enumerate() {
        let copy = first + index as u64 * 4096;
        // SAFETY: `copy` is one of the frames just allocated (nothing else uses them); `source`
        // is a whole frame of RAM that a capability covers, read only, and not one of them;
        // both are reachable through the direct map, so the ranges do not overlap.
        unsafe { super::page_fill::copy_frame(copy, source) };
    }
    Some(first)
}
