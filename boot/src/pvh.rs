//! Xen PVH direct boot: the ELF note, the 32-bit entry that reaches long mode, and the parser
//! of `hvm_start_info`.
//!
//! QEMU's `-kernel` loads the ELF by physical address and jumps to the entry named in the
//! `XEN_ELFNOTE_PHYS32_ENTRY` note in 32-bit protected mode with paging off and `ebx` pointing
//! at `hvm_start_info`. The entry switches to long mode on statically built page tables that
//! map the first 4 GiB three times: identity (for the jump), at the direct-map offset, and the
//! first 2 GiB at the kernel's higher-half base.

use core::arch::global_asm;

use heapless::Vec;
use spin::Once;

use crate::information::{
    BootInformation, CommandLine, Loader, MAXIMUM_MEMORY_REGIONS, MemoryRegion, MemoryRegionKind,
    Module,
};
use crate::{KERNEL_VIRTUAL_BASE, enter_kernel, normalise_memory_map};

/// Where the boot page tables map the first 4 GiB of physical memory (the kernel's direct map).
pub const BOOT_DIRECT_MAP_OFFSET: u64 = 0xffff_8000_0000_0000;

/// `hvm_start_info.magic`.
const START_INFO_MAGIC: u32 = 0x336e_c578;

global_asm!(
    r#"
    .set KERNEL_VIRTUAL_BASE, 0xffffffff80000000

    /* The PVH note: type 18 (XEN_ELFNOTE_PHYS32_ENTRY), name "Xen", the physical entry. */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long 18
    .asciz "Xen"
    .balign 4
    .quad pvh_entry - KERNEL_VIRTUAL_BASE
    .balign 4

    .section .boot.text, "ax"
    .code32
    .global pvh_entry
pvh_entry:
    cli
    cld
    movl %ebx, %edi
    movl $(pvh_boot_stack_top - KERNEL_VIRTUAL_BASE), %esp

    /* Physical-address extension, required for long mode. */
    movl %cr4, %eax
    orl $0x20, %eax
    movl %eax, %cr4

    movl $(pvh_boot_pml4 - KERNEL_VIRTUAL_BASE), %eax
    movl %eax, %cr3

    /* EFER.LME */
    movl $0xc0000080, %ecx
    rdmsr
    orl $0x100, %eax
    wrmsr

    /* Paging, write protection, protected mode. */
    movl %cr0, %eax
    orl $0x80010001, %eax
    movl %eax, %cr0

    lgdt (pvh_boot_gdt_pointer - KERNEL_VIRTUAL_BASE)
    ljmp $0x08, $(pvh_entry_long_mode - KERNEL_VIRTUAL_BASE)

    .code64
pvh_entry_long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $pvh_entry_higher_half, %rax
    jmpq *%rax

pvh_entry_higher_half:
    movabsq $pvh_boot_stack_top, %rsp
    xorl %ebp, %ebp
    /* Zero-extend the start-info address saved from 32-bit mode. */
    movl %edi, %edi
    call pvh_start
    ud2

    .section .boot.data, "aw", @progbits
    .balign 8
pvh_boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff   /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff   /* 0x10: data */
pvh_boot_gdt_end:
pvh_boot_gdt_pointer:
    .word pvh_boot_gdt_end - pvh_boot_gdt - 1
    .long pvh_boot_gdt - KERNEL_VIRTUAL_BASE

    .balign 4096
pvh_boot_pml4:
    .quad pvh_boot_pdpt_low - KERNEL_VIRTUAL_BASE + 0x3
    .fill 255, 8, 0
    .quad pvh_boot_pdpt_low - KERNEL_VIRTUAL_BASE + 0x3
    .fill 254, 8, 0
    .quad pvh_boot_pdpt_high - KERNEL_VIRTUAL_BASE + 0x3

    .balign 4096
pvh_boot_pdpt_low:
    .quad pvh_boot_pd - KERNEL_VIRTUAL_BASE + 0x3
    .quad pvh_boot_pd - KERNEL_VIRTUAL_BASE + 0x1003
    .quad pvh_boot_pd - KERNEL_VIRTUAL_BASE + 0x2003
    .quad pvh_boot_pd - KERNEL_VIRTUAL_BASE + 0x3003
    .fill 508, 8, 0

    .balign 4096
pvh_boot_pdpt_high:
    .fill 510, 8, 0
    .quad pvh_boot_pd - KERNEL_VIRTUAL_BASE + 0x3
    .quad pvh_boot_pd - KERNEL_VIRTUAL_BASE + 0x1003

    /* 2048 two-megabyte pages: physical 0 .. 4 GiB, present + writable + huge. */
    .balign 4096
pvh_boot_pd:
    .set page, 0
    .rept 2048
    .quad (page << 21) | 0x83
    .set page, page + 1
    .endr

    /* The boot stack; global because the Limine entry (limine_protocol.rs) switches to it too.
     * The page below it is a guard the kernel leaves unmapped in its own page tables
     * (exokernel/kernel/src/arch/x86_64/kernel_stacks.rs), so an overflow faults. */
    .section .boot.bss, "aw", @nobits
    .balign 4096
    .global pvh_boot_stack_guard
pvh_boot_stack_guard:
    .skip 4096
    .global pvh_boot_stack_top
pvh_boot_stack:
    .skip 65536
pvh_boot_stack_top:

    .text
    "#,
    options(att_syntax)
);

static BOOT_INFORMATION: Once<BootInformation> = Once::new();

/// `struct hvm_start_info` (version 1).
#[repr(C)]
#[derive(Clone, Copy)]
struct StartInfo {
    magic: u32,
    version: u32,
    flags: u32,
    module_count: u32,
    module_list_address: u64,
    command_line_address: u64,
    acpi_root_pointer_address: u64,
    memory_map_address: u64,
    memory_map_entries: u32,
    reserved: u32,
}

/// `struct hvm_modlist_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
struct ModuleEntry {
    physical_address: u64,
    size: u64,
    command_line_address: u64,
    reserved: u64,
}

/// `struct hvm_memmap_table_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
struct MemoryMapEntry {
    address: u64,
    size: u64,
    kind: u32,
    reserved: u32,
}

/// Reads a `T` from low physical memory through the boot direct map.
///
/// # Safety
/// `physical_address` must lie in the first 4 GiB with the whole `T` readable there.
unsafe fn read_physical<T: Copy>(physical_address: u64) -> T {
    let pointer = (BOOT_DIRECT_MAP_OFFSET + physical_address) as *const T;
    // SAFETY: the caller promises the range is mapped by the boot page tables; the loader does
    // not promise alignment, so read unaligned.
    unsafe { pointer.read_unaligned() }
}

/// Copies a NUL-terminated string from physical memory, keeping what fits in `N` bytes.
///
/// # Safety
/// The string must lie in the first 4 GiB and be terminated within `limit` bytes, or the
/// memory up to `limit` must be readable.
unsafe fn read_physical_string<const N: usize>(physical_address: u64) -> heapless::String<N> {
    let mut text = heapless::String::new();
    if physical_address == 0 {
        return text;
    }
    for index in 0..N as u64 {
        // SAFETY: forwarded from the caller.
        let byte: u8 = unsafe { read_physical(physical_address + index) };
        if byte == 0 {
            break;
        }
        let character = if byte.is_ascii() { byte as char } else { '?' };
        if text.push(character).is_err() {
            break;
        }
    }
    text
}

fn memory_region_kind(pvh_kind: u32) -> MemoryRegionKind {
    match pvh_kind {
        1 => MemoryRegionKind::Usable,
        3 => MemoryRegionKind::AcpiReclaimable,
        4 => MemoryRegionKind::AcpiNonVolatile,
        5 => MemoryRegionKind::Bad,
        _ => MemoryRegionKind::Reserved,
    }
}

/// Called by the assembly entry on the boot stack, in long mode, on the boot page tables.
#[unsafe(no_mangle)]
extern "C" fn pvh_start(start_info_address: u64) -> ! {
    let information = BOOT_INFORMATION.call_once(|| {
        // SAFETY: QEMU passes the start-info structure in low memory, which the boot tables map.
        unsafe { parse(start_info_address) }
    });
    enter_kernel(information)
}

/// Builds the boot information from `hvm_start_info`.
///
/// # Safety
/// `start_info_address` must be the physical address QEMU passed in `ebx`.
unsafe fn parse(start_info_address: u64) -> BootInformation {
    // SAFETY: forwarded from the caller.
    let start_info: StartInfo = unsafe { read_physical(start_info_address) };
    if start_info.magic != START_INFO_MAGIC {
        // Nothing sensible can be booted without the memory map; stop where a debugger can see it.
        loop {
            core::hint::spin_loop();
        }
    }

    let mut raw_map: Vec<MemoryRegion, MAXIMUM_MEMORY_REGIONS> = Vec::new();
    if start_info.version >= 1 {
        for index in 0..u64::from(start_info.memory_map_entries) {
            let address = start_info.memory_map_address
                + index * core::mem::size_of::<MemoryMapEntry>() as u64;
            // SAFETY: the table lies in low memory as placed by the loader.
            let entry: MemoryMapEntry = unsafe { read_physical(address) };
            let region = MemoryRegion {
                start: entry.address,
                length: entry.size,
                kind: memory_region_kind(entry.kind),
            };
            if raw_map.push(region).is_err() {
                break;
            }
        }
    }

    let mut modules = Vec::new();
    for index in 0..u64::from(start_info.module_count) {
        let address =
            start_info.module_list_address + index * core::mem::size_of::<ModuleEntry>() as u64;
        // SAFETY: the module list lies in low memory as placed by the loader.
        let entry: ModuleEntry = unsafe { read_physical(address) };
        // Modules sit in RAM the map reports usable: mark them so they are not handed out.
        let _ = raw_map.push(MemoryRegion {
            start: entry.physical_address,
            length: entry.size,
            kind: MemoryRegionKind::KernelAndModules,
        });
        let module = Module {
            physical_address: entry.physical_address,
            length: entry.size,
            // SAFETY: the module's command line, if any, lies in low memory.
            name: unsafe { read_physical_string(entry.command_line_address) },
        };
        if modules.push(module).is_err() {
            break;
        }
    }

    // SAFETY: the command line lies in low memory as placed by the loader.
    let command_line: CommandLine =
        unsafe { read_physical_string(start_info.command_line_address) };

    BootInformation {
        loader: Loader::Pvh,
        memory_map: normalise_memory_map(&raw_map),
        modules,
        command_line,
        framebuffer: None,
        kernel_physical_start: 0x10_0000,
        loader_direct_map_offset: BOOT_DIRECT_MAP_OFFSET,
        acpi_root_pointer: (start_info.acpi_root_pointer_address != 0)
            .then_some(start_info.acpi_root_pointer_address),
    }
}

const _: () = assert!(KERNEL_VIRTUAL_BASE == 0xffff_ffff_8000_0000);
