//! The loader-independent description of the machine that the kernel starts from.

use heapless::{String, Vec};

/// The most memory-map entries kept; firmware maps are far smaller in practice.
pub const MAXIMUM_MEMORY_REGIONS: usize = 128;
/// The most boot modules kept (QEMU's PVH loader passes exactly one, the initramfs).
pub const MAXIMUM_MODULES: usize = 8;
/// The longest kernel command line kept; anything longer is cut at a character boundary.
pub const MAXIMUM_COMMAND_LINE: usize = 2048;

/// The kernel command line as the loader passed it.
pub type CommandLine = String<MAXIMUM_COMMAND_LINE>;

/// Which boot protocol started the kernel (for the log only; nothing may depend on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loader {
    /// Xen PVH direct boot (`qemu-system-x86_64 -kernel`).
    Pvh,
    /// The Limine boot protocol.
    Limine,
}

/// What a range of physical memory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MemoryRegionKind {
    /// Free RAM the kernel may hand out.
    Usable,
    /// RAM holding the loader's data structures; reclaimable once boot information is copied.
    BootloaderReclaimable,
    /// ACPI tables; reclaimable after they are parsed.
    AcpiReclaimable,
    /// ACPI non-volatile storage; never touched.
    AcpiNonVolatile,
    /// Memory the firmware reported as broken.
    Bad,
    /// The kernel image and boot modules as placed by the loader.
    KernelAndModules,
    /// The linear framebuffer.
    Framebuffer,
    /// Anything else: never used.
    Reserved,
}

/// One range of physical memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// First byte of the range.
    pub start: u64,
    /// Length in bytes.
    pub length: u64,
    /// What the range holds.
    pub kind: MemoryRegionKind,
}

impl MemoryRegion {
    /// One past the last byte of the range (saturating, so a bogus firmware entry cannot wrap).
    #[must_use]
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.length)
    }
}

/// A file the loader placed in memory (the initramfs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Module {
    /// Physical address of the first byte.
    pub physical_address: u64,
    /// Length in bytes.
    pub length: u64,
    /// The module's name or command line, when the loader gave one.
    pub name: String<64>,
}

/// A linear framebuffer, when the loader set one up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framebuffer {
    /// Physical address of the first pixel.
    pub physical_address: u64,
    /// Width in pixels.
    pub width: u64,
    /// Height in pixels.
    pub height: u64,
    /// Bytes per row.
    pub pitch: u64,
    /// Bits per pixel.
    pub bits_per_pixel: u16,
}

/// Everything the kernel needs from the loader, in one loader-independent form.
#[derive(Debug)]
pub struct BootInformation {
    /// Which protocol ran.
    pub loader: Loader,
    /// Sorted, non-overlapping physical memory map (see [`crate::normalise_memory_map`]).
    pub memory_map: Vec<MemoryRegion, MAXIMUM_MEMORY_REGIONS>,
    /// Boot modules; the first is the initramfs.
    pub modules: Vec<Module, MAXIMUM_MODULES>,
    /// The kernel command line.
    pub command_line: CommandLine,
    /// The framebuffer, if any.
    pub framebuffer: Option<Framebuffer>,
    /// Physical address where the kernel image (linked at `KERNEL_VIRTUAL_BASE + 1 MiB`) starts.
    pub kernel_physical_start: u64,
    /// Offset at which the loader's page tables map physical memory; valid only until the kernel
    /// installs its own tables, and then only for the memory the loader mapped (at least the
    /// first 4 GiB and everything in the memory map it reported as usable or reclaimable).
    pub loader_direct_map_offset: u64,
    /// Physical address of the ACPI RSDP, if the loader found one.
    pub acpi_root_pointer: Option<u64>,
}
