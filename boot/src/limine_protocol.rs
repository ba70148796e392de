//! The Limine boot protocol: requests placed in the kernel image and the entry Limine jumps to.
//!
//! Limine loads the kernel by virtual address (anywhere in physical memory), enters it in long
//! mode on its own page tables with a higher-half direct map, and answers the requests below.

use heapless::Vec;
use limine::BaseRevision;
use limine::memory_map::EntryType;
use limine::request::{
    ExecutableAddressRequest, ExecutableCmdlineRequest, FramebufferRequest, HhdmRequest,
    MemoryMapRequest, ModuleRequest, RequestsEndMarker, RequestsStartMarker, RsdpRequest,
};
use spin::Once;

use crate::information::{
    BootInformation, CommandLine, Framebuffer, Loader, MAXIMUM_MEMORY_REGIONS, MemoryRegion,
    MemoryRegionKind, Module,
};
use crate::{enter_kernel, normalise_memory_map};

/// Revision 3 is the newest the `limine` crate knows; older loaders report what they loaded.
#[used]
#[unsafe(link_section = ".limine_requests")]
static BASE_REVISION: BaseRevision = BaseRevision::with_revision(3);

#[used]
#[unsafe(link_section = ".limine_requests")]
static MEMORY_MAP: MemoryMapRequest = MemoryMapRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests")]
static DIRECT_MAP: HhdmRequest = HhdmRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests")]
static MODULES: ModuleRequest = ModuleRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests")]
static COMMAND_LINE: ExecutableCmdlineRequest = ExecutableCmdlineRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests")]
static KERNEL_ADDRESS: ExecutableAddressRequest = ExecutableAddressRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests")]
static FRAMEBUFFER: FramebufferRequest = FramebufferRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests")]
static ACPI_ROOT_POINTER: RsdpRequest = RsdpRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests_start")]
static REQUESTS_START: RequestsStartMarker = RequestsStartMarker::new();

#[used]
#[unsafe(link_section = ".limine_requests_end")]
static REQUESTS_END: RequestsEndMarker = RequestsEndMarker::new();

static BOOT_INFORMATION: Once<BootInformation> = Once::new();

fn memory_region_kind(kind: EntryType) -> MemoryRegionKind {
    match kind {
        EntryType::USABLE => MemoryRegionKind::Usable,
        EntryType::ACPI_RECLAIMABLE => MemoryRegionKind::AcpiReclaimable,
        EntryType::ACPI_NVS => MemoryRegionKind::AcpiNonVolatile,
        EntryType::BAD_MEMORY => MemoryRegionKind::Bad,
        EntryType::BOOTLOADER_RECLAIMABLE => MemoryRegionKind::BootloaderReclaimable,
        EntryType::EXECUTABLE_AND_MODULES => MemoryRegionKind::KernelAndModules,
        EntryType::FRAMEBUFFER => MemoryRegionKind::Framebuffer,
        _ => MemoryRegionKind::Reserved,
    }
}

/// The ELF entry point: Limine jumps here in long mode on its own stack.
#[unsafe(no_mangle)]
extern "C" fn limine_entry() -> ! {
    let information = BOOT_INFORMATION.call_once(parse);
    enter_kernel(information)
}

fn parse() -> BootInformation {
    let direct_map_offset = DIRECT_MAP.get_response().map_or(0, |response| response.offset());

    let mut raw_map: Vec<MemoryRegion, MAXIMUM_MEMORY_REGIONS> = Vec::new();
    if let Some(response) = MEMORY_MAP.get_response() {
        for entry in response.entries() {
            let region = MemoryRegion {
                start: entry.base,
                length: entry.length,
                kind: memory_region_kind(entry.entry_type),
            };
            if raw_map.push(region).is_err() {
                break;
            }
        }
    }

    let mut modules = Vec::new();
    if let Some(response) = MODULES.get_response() {
        for file in response.modules() {
            let mut name = heapless::String::new();
            for &byte in file.path().to_bytes() {
                if name.push(if byte.is_ascii() { byte as char } else { '?' }).is_err() {
                    break;
                }
            }
            let module = Module {
                // Limine hands out direct-map addresses; the kernel wants physical ones.
                physical_address: (file.addr() as u64).wrapping_sub(direct_map_offset),
                length: file.size(),
                name,
            };
            if modules.push(module).is_err() {
                break;
            }
        }
    }

    let mut command_line = CommandLine::new();
    if let Some(response) = COMMAND_LINE.get_response() {
        for &byte in response.cmdline().to_bytes() {
            if command_line.push(if byte.is_ascii() { byte as char } else { '?' }).is_err() {
                break;
            }
        }
    }

    let framebuffer = FRAMEBUFFER.get_response().and_then(|response| {
        response.framebuffers().next().map(|framebuffer| Framebuffer {
            physical_address: (framebuffer.addr() as u64).wrapping_sub(direct_map_offset),
            width: framebuffer.width(),
            height: framebuffer.height(),
            pitch: framebuffer.pitch(),
            bits_per_pixel: framebuffer.bpp(),
        })
    });

    // Revision 3 reports the RSDP as a physical address; older revisions as a direct-map one.
    let acpi_root_pointer = ACPI_ROOT_POINTER.get_response().map(|response| {
        let address = response.address() as u64;
        if address >= direct_map_offset && direct_map_offset != 0 {
            address - direct_map_offset
        } else {
            address
        }
    });

    BootInformation {
        loader: Loader::Limine,
        memory_map: normalise_memory_map(&raw_map),
        modules,
        command_line,
        framebuffer,
        kernel_physical_start: KERNEL_ADDRESS
            .get_response()
            .map_or(0x10_0000, |response| response.physical_base()),
        loader_direct_map_offset: direct_map_offset,
        acpi_root_pointer,
    }
}
