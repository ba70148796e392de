//! One entry of the normalised firmware memory map: a range and what the firmware says it holds.

use crate::address::PhysicalAddress;
use crate::range::PhysicalRange;

/// What a memory-map region holds, as far as the frame allocator cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryKind {
    /// Free RAM the kernel may hand out.
    Usable,
    /// Firmware-reserved or otherwise unavailable memory.
    Reserved,
    /// ACPI tables, reclaimable once they have been parsed.
    AcpiReclaimable,
    /// ACPI non-volatile storage, which must be preserved across sleep states.
    AcpiNonVolatile,
    /// RAM the firmware reported as faulty.
    Defective,
    /// Memory the bootloader used for its own structures (including the memory map itself).
    BootloaderReclaimable,
    /// The kernel image and boot modules as loaded by the bootloader.
    KernelAndModules,
    /// The boot framebuffer.
    Framebuffer,
}

impl MemoryKind {
    /// Whether frames of this kind may be handed out. Only [`MemoryKind::Usable`] is:
    /// reclaimable kinds still hold data the kernel reads during boot.
    #[must_use]
    pub const fn is_usable(self) -> bool {
        matches!(self, Self::Usable)
    }
}

/// A range of physical memory and its kind, in whatever order and alignment the firmware gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryRegion {
    range: PhysicalRange,
    kind: MemoryKind,
}

impl MemoryRegion {
    /// A region of `length` bytes from `start`.
    #[must_use]
    pub const fn new(start: PhysicalAddress, length: u64, kind: MemoryKind) -> Self {
        Self {
            range: PhysicalRange::from_start_and_length(start, length),
            kind,
        }
    }

    /// A region covering `range`.
    #[must_use]
    pub const fn from_range(range: PhysicalRange, kind: MemoryKind) -> Self {
        Self { range, kind }
    }

    /// The bytes the region covers.
    #[must_use]
    pub const fn range(self) -> PhysicalRange {
        self.range
    }

    /// What the region holds.
    #[must_use]
    pub const fn kind(self) -> MemoryKind {
        self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_usable_memory_is_usable() {
        assert!(MemoryKind::Usable.is_usable());
        assert!(!MemoryKind::BootloaderReclaimable.is_usable());
        assert!(!MemoryKind::AcpiReclaimable.is_usable());
        assert!(!MemoryKind::Reserved.is_usable());
    }

    #[test]
    fn region_from_start_and_length() {
        let region = MemoryRegion::new(PhysicalAddress::new(0x1000), 0x3000, MemoryKind::Usable);
        assert_eq!(region.range().end(), PhysicalAddress::new(0x4000));
        assert_eq!(region.kind(), MemoryKind::Usable);
    }
}
