//! Starting user space: the kernel loads only `/sbin/init` from the initramfs (ELF parsed with
//! goblin), gives it capabilities to all remaining memory, the initramfs and the console, and
//! stops the machine with its exit status when it ends.

use exokernel_abi::{PAGE_SIZE, Rights, USER_ADDRESS_LIMIT, initial};
use exokernel_capability::{Frame, IoPortRange, Object, SlotAddress};
use goblin::elf::Elf;
use goblin::elf::program_header::{PF_W, PF_X, PT_LOAD};

use crate::arch::context::initial_user_frame;
use crate::arch::floating_point::FloatingPointState;
use crate::arch::serial::COM1;
use crate::arch::user_memory::{copy_to_user, load_into_user};
use crate::arch::user_paging::{PageAccess, UserPageTables};
use crate::kernel_state::KernelState;
use crate::memory::physical;
use crate::objects::address_space::{AddressSpace, RECORDS_PER_PAGE};
use crate::objects::environment::{Ending, Environment, Life};
use crate::{error, info};

/// Frames the kernel keeps outside every quota, for page tables and its own objects.
const KERNEL_RESERVE_FRAMES: u64 = 2048;

/// Why `init` could not be started.
#[derive(Debug)]
pub enum InitError {
    /// No initramfs module was passed.
    NoInitramfs,
    /// The initramfs has no `/sbin/init`, or is malformed.
    NotFound,
    /// `/sbin/init` is not a loadable x86_64 ELF executable.
    #[expect(dead_code, reason = "read through Debug in the boot failure message")]
    BadExecutable(&'static str),
    /// Not enough memory.
    OutOfMemory,
    /// A capability operation failed while setting up.
    Capability,
}

/// Builds `init`'s environment in `kernel` and returns its initial frame.
///
/// # Errors
/// [`InitError`] when the initramfs or the executable is unusable or memory runs out.
pub fn load(
    kernel: &mut KernelState,
    boot: &boot::BootInformation,
) -> Result<crate::arch::TrapFrame, InitError> {
    let module = boot.modules.first().ok_or(InitError::NoInitramfs)?;
    let archive = crate::memory::boot_module_bytes(module);
    let entry = initramfs::Archive::new(archive)
        .find("/sbin/init")
        .map_err(|_| InitError::NotFound)?
        .ok_or(InitError::NotFound)?;
    let image = entry.data;
    let elf = Elf::parse(image).map_err(|_| InitError::BadExecutable("not an ELF file"))?;
    if !elf.is_64 || elf.header.e_machine != goblin::elf::header::EM_X86_64 {
        return Err(InitError::BadExecutable("not an x86_64 ELF"));
    }
    if elf.header.e_type != goblin::elf::header::ET_EXEC {
        return Err(InitError::BadExecutable(
            "not a static executable (ET_EXEC)",
        ));
    }

    let space = kernel
        .capabilities
        .create_space(initial::SLOT_COUNT)
        .map_err(|_| InitError::Capability)?;
    let slot = |slot: exokernel_abi::Slot| SlotAddress::new(space, u64::from(slot.0));
    let root = UserPageTables::create().ok_or(InitError::OutOfMemory)?;
    let address_space = kernel
        .address_spaces
        .insert(AddressSpace {
            root,
            environment_count: 1,
            unreferenced: false,
            page_tables: 0,
            record_capacity: 0,
            charge: None,
        })
        .map_err(|_| InitError::OutOfMemory)?;
    let (free, _) = physical::frame_counts();
    let budget = free.saturating_sub(KERNEL_RESERVE_FRAMES);
    kernel
        .capabilities
        .create_quota(slot(initial::MEMORY_QUOTA), budget, Rights::all())
        .map_err(|_| InitError::Capability)?;
    // init's mapping records are paid for like anyone's: by a charge on its quota that grows.
    let records_charge = kernel
        .capabilities
        .charge(slot(initial::MEMORY_QUOTA), 1)
        .map_err(|_| InitError::OutOfMemory)?;
    if let Some(address_space) = kernel.address_spaces.get_mut(address_space) {
        address_space.charge = Some(records_charge);
        address_space.record_capacity = RECORDS_PER_PAGE;
    } else {
        kernel.capabilities.refund(records_charge);
    }
    let insert =
        |kernel: &mut KernelState, at: exokernel_abi::Slot, object: Object, rights: Rights| {
            kernel
                .capabilities
                .insert_original(slot(at), object, rights)
                .map(|_| ())
                .map_err(|_| InitError::Capability)
        };
    insert(
        kernel,
        initial::SELF_ADDRESS_SPACE,
        Object::AddressSpace(address_space),
        Rights::all(),
    )?;
    insert(
        kernel,
        initial::CONSOLE,
        Object::IoPorts(IoPortRange {
            first: COM1,
            count: 8,
        }),
        Rights::READ | Rights::WRITE | Rights::GRANT,
    )?;
    let initramfs_frame = Frame {
        physical_address: module.physical_address & !(PAGE_SIZE - 1),
        page_count: (module.physical_address % PAGE_SIZE + module.length)
            .div_ceil(PAGE_SIZE)
            .max(1),
        quota: None,
    };
    insert(
        kernel,
        initial::INITRAMFS,
        Object::Frame(initramfs_frame),
        Rights::READ | Rights::MAP | Rights::GRANT,
    )?;
    if let Some(physical_address) = crate::time_page::physical_address() {
        let time_page = Frame {
            physical_address,
            page_count: 1,
            quota: None,
        };
        insert(
            kernel,
            initial::TIME_PAGE,
            Object::Frame(time_page),
            Rights::READ | Rights::MAP | Rights::GRANT,
        )?;
    }

    // Segments and the stack, each in a frame charged to init's quota.
    let mut next_slot = initial::FIRST_IMAGE_SLOT.0;
    let mut tables = || true;
    for header in elf
        .program_headers
        .iter()
        .filter(|header| header.p_type == PT_LOAD)
    {
        let start = header.p_vaddr & !(PAGE_SIZE - 1);
        let end = header
            .p_vaddr
            .checked_add(header.p_memsz)
            .filter(|&end| end <= USER_ADDRESS_LIMIT && header.p_filesz <= header.p_memsz)
            .ok_or(InitError::BadExecutable("segment outside user space"))?;
        let file_range = (header.p_offset as usize)..(header.p_offset + header.p_filesz) as usize;
        let contents = image
            .get(file_range)
            .ok_or(InitError::BadExecutable("segment outside the file"))?;
        let pages = (end - start).div_ceil(PAGE_SIZE);
        let physical_start = new_frame(
            kernel,
            slot(initial::MEMORY_QUOTA),
            slot(exokernel_abi::Slot(next_slot)),
            pages,
        )?;
        let access = PageAccess {
            write: header.p_flags & PF_W != 0,
            execute: header.p_flags & PF_X != 0,
        };
        map_frame(
            kernel,
            root,
            address_space,
            slot(exokernel_abi::Slot(next_slot)),
            start,
            physical_start,
            pages,
            access,
            &mut tables,
        )?;
        // The frames were just mapped (zeroed) at `start`; the copy stays inside them.
        load_into_user(root, header.p_vaddr, contents)
            .map_err(|_| InitError::BadExecutable("segment outside its pages"))?;
        next_slot += 1;
    }
    let stack_bottom = initial::STACK_TOP - initial::STACK_PAGES * PAGE_SIZE;
    let stack_slot = slot(exokernel_abi::Slot(next_slot));
    let stack_physical = new_frame(
        kernel,
        slot(initial::MEMORY_QUOTA),
        stack_slot,
        initial::STACK_PAGES,
    )?;
    let access = PageAccess {
        write: true,
        execute: false,
    };
    map_frame(
        kernel,
        root,
        address_space,
        stack_slot,
        stack_bottom,
        stack_physical,
        initial::STACK_PAGES,
        access,
        &mut tables,
    )?;

    // The command line goes at the top of the stack.
    let command = crate::options().command().unwrap_or("").as_bytes();
    let command_length = command.len().min(4096) as u64;
    let command_address = (initial::STACK_TOP - command_length - 1) & !0xf;
    // Inside the stack mapped above.
    copy_to_user(root, command_address, &command[..command_length as usize])
        .map_err(|_| InitError::OutOfMemory)?;

    let mut environment = Environment {
        context: initial_user_frame(0, 0),
        floating_point: FloatingPointState::new(),
        fs_base: 0,
        gs_base: 0,
        space,
        address_space,
        life: Life::Runnable,
        exception_handler: None,
        in_exception_handler: false,
        watchers: heapless::Vec::new(),
        held_result: None,
        foreign_system_calls: false,
        stop_pending: false,
        reply_to: None,
        queued: false,
        queue_token: 0,
        charge: None,
        processor_time: crate::objects::environment::ProcessorTime::default(),
        timeout_entry: None,
    };
    // init's first registers pass the same check as any other installed context.
    let registers = exokernel_abi::RegisterSet {
        rip: elf.entry,
        rsp: command_address - 16,
        rdi: command_address,
        rsi: command_length,
        rdx: module.length,
        rflags: crate::arch::context::USER_FLAGS_FORCED,
        ..exokernel_abi::RegisterSet::default()
    };
    crate::system_calls::apply_registers(&mut environment, &registers)
        .map_err(|_| InitError::BadExecutable("entry point outside user space"))?;
    let frame = environment.context;
    let id = kernel
        .environments
        .insert(environment)
        .map_err(|_| InitError::OutOfMemory)?;
    insert(
        kernel,
        initial::SELF_ENVIRONMENT,
        Object::Environment(id),
        Rights::all(),
    )?;
    kernel.init = Some(id);
    kernel.current = Some(id);
    info!(
        "init: {} bytes, entry {:#x}, {} pages of quota",
        image.len(),
        elf.entry,
        budget
    );
    Ok(frame)
}

fn new_frame(
    kernel: &mut KernelState,
    quota: SlotAddress,
    destination: SlotAddress,
    pages: u64,
) -> Result<u64, InitError> {
    let charge = kernel
        .capabilities
        .charge(quota, pages)
        .map_err(|_| InitError::OutOfMemory)?;
    let Some(physical_address) = physical::allocate_zeroed(pages) else {
        kernel.capabilities.refund(charge);
        return Err(InitError::OutOfMemory);
    };
    kernel
        .capabilities
        .create_frame(charge, destination, physical_address, Rights::all())
        .map_err(|_| InitError::Capability)?;
    Ok(physical_address)
}

#[allow(clippy::too_many_arguments)]
fn map_frame(
    kernel: &mut KernelState,
    root: UserPageTables,
    address_space: u32,
    frame: SlotAddress,
    address: u64,
    physical_address: u64,
    pages: u64,
    access: PageAccess,
    tables: &mut impl FnMut() -> bool,
) -> Result<(), InitError> {
    let mapping = exokernel_capability::Mapping {
        address_space,
        virtual_address: address,
        page_count: pages,
    };
    kernel
        .capabilities
        .record_mapping(frame, mapping)
        .map_err(|_| InitError::BadExecutable("overlapping segments"))?;
    for page in 0..pages {
        // The page belongs to the frame just created for init.
        root.map(
            address + page * PAGE_SIZE,
            physical_address + page * PAGE_SIZE,
            access,
            tables,
        )
        .map_err(|_| InitError::BadExecutable("overlapping segments"))?;
    }
    Ok(())
}

/// Stops the machine when `init` ends: its exit status becomes the guest's.
pub fn init_ended(ending: Ending) -> ! {
    let status = match ending {
        Ending::Exited { status } => status,
        Ending::Faulted { vector, address } => {
            error!("init died: exception {vector} at address {address:#x}");
            128 + 11
        }
        Ending::Destroyed => 128 + 9,
    };
    let status = (status & 0xff) as u8;
    // The exact status, for the host: QEMU's exit code keeps only seven bits of it.
    crate::log::emergency_write(format_args!("exit-status {status}"));
    crate::arch::qemu::exit(status.min(0x7e).max(u8::from(status != 0)))
}
