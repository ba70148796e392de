//! The Limine boot protocol: requests placed in the kernel image and the entry Limine jumps to.
//!
//! Limine loads the kernel by virtual address (anywhere in physical memory), enters it in long
//! mode on its own page tables with a higher-half direct map, and answers the requests below.
//!
//! Tested with Limine 8.2 (base revision 2: it leaves our request for revision 3 unanswered and
//! boots with 2), under SeaBIOS and OVMF. The code copes with both revisions: 8.x does not know
//! the executable-command-line request (so the command line also comes from the
//! executable-file request) and reports the RSDP as a direct-map address, revision 3 as a
//! physical one.

use core::arch::global_asm;

use heapless::Vec;
use limine::BaseRevision;
use limine::memory_map::EntryType;
use limine::paging::Mode;
use limine::request::{
    ExecutableAddressRequest, ExecutableCmdlineRequest, ExecutableFileRequest, FramebufferRequest,
    HhdmRequest, MemoryMapRequest, ModuleRequest, PagingModeRequest, RequestsEndMarker,
    RequestsStartMarker, RsdpRequest,
};
use spin::Once;

use crate::information::{
    BootInformation, CommandLine, Framebuffer, Loader, MAXIMUM_MEMORY_REGIONS, MemoryRegion,
    MemoryRegionKind, Module,
};
use crate::{enter_kernel, normalise_memory_map};

/// Revision 3 is the newest the `limine` crate knows. A loader that supports it zeroes the
/// request; an older one leaves it, boots with an earlier revision, and (if new enough) says
/// which one: see [`revision_three_or_later`].
#[used]
#[unsafe(link_section = ".limine_requests")]
static BASE_REVISION: BaseRevision = BaseRevision::with_revision(3);

#[used]
#[unsafe(link_section = ".limine_requests")]
static MEMORY_MAP: MemoryMapRequest = MemoryMapRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests")]
static DIRECT_MAP: HhdmRequest = HhdmRequest::new();

/// The kernel builds 4-level page tables; never let the loader turn on 5-level paging.
#[used]
#[unsafe(link_section = ".limine_requests")]
static PAGING_MODE: PagingModeRequest = PagingModeRequest::new()
    .with_mode(Mode::FOUR_LEVEL)
    .with_max_mode(Mode::FOUR_LEVEL)
    .with_min_mode(Mode::FOUR_LEVEL);

#[used]
#[unsafe(link_section = ".limine_requests")]
static MODULES: ModuleRequest = ModuleRequest::new();

#[used]
#[unsafe(link_section = ".limine_requests")]
static COMMAND_LINE: ExecutableCmdlineRequest = ExecutableCmdlineRequest::new();

/// Limine 8.x does not know [`COMMAND_LINE`]; it passes the command line with the kernel file.
#[used]
#[unsafe(link_section = ".limine_requests")]
static KERNEL_FILE: ExecutableFileRequest = ExecutableFileRequest::new();

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

// The ELF entry point. Limine jumps here in long mode with its stack in bootloader-reclaimable
// memory, addressed through its direct map. That stack survives the kernel's switch to its own
// page tables only while the two direct maps happen to share an offset (not with
// `randomise_hhdm_base: yes` in limine.conf: verified to triple-fault), and the memory is the
// loader's, which the kernel may reclaim.
// So move at once to the kernel's own boot stack, in the image's .bss (the PVH path uses it too;
// only one of the two entries ever runs).
global_asm!(
    r#"
    .section .text.limine_entry, "ax"
    .global limine_entry
limine_entry:
    cli
    cld
    movabsq $pvh_boot_stack_top, %rsp
    xorl %ebp, %ebp
    call limine_start
    ud2
    "#,
    options(att_syntax)
);

/// Called by `limine_entry` on the kernel's boot stack, still on Limine's page tables.
#[unsafe(no_mangle)]
extern "C" fn limine_start() -> ! {
    let information = BOOT_INFORMATION.call_once(parse);
    enter_kernel(information)
}

/// Whether the loader booted us with base revision 3 or later (newer loaders say which revision
/// they used; an older one that leaves the request unanswered used an earlier revision).
fn revision_three_or_later() -> bool {
    BASE_REVISION.is_supported()
        || BASE_REVISION
            .loaded_revision()
            .is_some_and(|revision| revision >= 3)
}

/// Copies a loader string, replacing anything that is not ASCII.
fn push_ascii(command_line: &mut CommandLine, bytes: &[u8]) {
    for &byte in bytes {
        if command_line
            .push(if byte.is_ascii() { byte as char } else { '?' })
            .is_err()
        {
            break;
        }
    }
}

fn parse() -> BootInformation {
    let direct_map_offset = DIRECT_MAP
        .get_response()
        .map_or(0, |response| response.offset());

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
                if name
                    .push(if byte.is_ascii() { byte as char } else { '?' })
                    .is_err()
                {
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
        push_ascii(&mut command_line, response.cmdline().to_bytes());
    } else if let Some(response) = KERNEL_FILE.get_response() {
        push_ascii(&mut command_line, response.file().string().to_bytes());
    }

    let framebuffer = FRAMEBUFFER.get_response().and_then(|response| {
        response
            .framebuffers()
            .next()
            .map(|framebuffer| Framebuffer {
                physical_address: (framebuffer.addr() as u64).wrapping_sub(direct_map_offset),
                width: framebuffer.width(),
                height: framebuffer.height(),
                pitch: framebuffer.pitch(),
                bits_per_pixel: framebuffer.bpp(),
            })
    });

    // Revision 3 reports the RSDP as a physical address; older revisions as a direct-map one.
    let physical_rsdp = revision_three_or_later();
    let acpi_root_pointer = ACPI_ROOT_POINTER.get_response().map(|response| {
        let address = response.address() as u64;
        if physical_rsdp {
            address
        } else {
            address.wrapping_sub(direct_map_offset)
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
