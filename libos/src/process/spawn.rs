//! Starting programs from the initramfs.
//!
//! A program from the initramfs gets a fresh address space, an environment, and a memory quota
//! split off ours; everything it is given is derived from that quota, so reaping it is one
//! revoke. When this process is registered with the process server, the child is registered as
//! its child (a pid, a badged endpoint at [`super::identity::PROCESS_SERVER`]) before it starts.

use alloc::vec::Vec;

use exokernel_abi::{
    Call, KernelError, PAGE_SIZE, PageCount, QuotaPages, RegisterSet, Rights, Slot,
    USER_ADDRESS_LIMIT, UserAddress, initial,
};
use goblin::elf::Elf;
use goblin::elf::program_header::{PF_W, PF_X, PT_LOAD};

use super::child::{Child, take_slot};
use super::initramfs::{INITRAMFS_LENGTH, initramfs};
use crate::kernel::call;
use crate::memory::{map, unmap};
use crate::slots;
/// Where this process maps a child's frames while filling them.
const SCRATCH_BASE: u64 = 0x0000_3000_0000_0000;
/// Pages of budget a child starts with (64 MiB).
const CHILD_BUDGET_PAGES: u64 = 16 * 1024;

/// Why a program could not be started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// No such file in the initramfs.
    NotFound,
    /// Not a loadable x86_64 executable (the ENOEXEC case).
    NotExecutable,
    /// The kernel refused something (memory, slots).
    Kernel(KernelError),
}

impl From<KernelError> for SpawnError {
    fn from(error: KernelError) -> Self {
        Self::Kernel(error)
    }
}

/// Fills `pages` fresh pages from `quota` with `contents` at `offset`, returning the frame slot.
pub(super) fn filled_frame(
    quota: Slot,
    pages: u64,
    offset: u64,
    contents: &[u8],
) -> Result<Slot, KernelError> {
    let frame = take_slot()?;
    if let Err(error) = call(Call::FrameAllocate {
        quota,
        destination: frame,
        pages: PageCount(pages),
    }) {
        slots::free(frame);
        return Err(error);
    }
    if !contents.is_empty() {
        map(
            initial::SELF_ADDRESS_SPACE,
            frame,
            SCRATCH_BASE,
            0,
            pages,
            Rights::READ | Rights::WRITE,
        )?;
        // SAFETY: the scratch window was just mapped read-write over `pages` pages; the copy
        // stays inside them (callers keep `offset + contents.len()` within the frame).
        unsafe {
            core::ptr::copy_nonoverlapping(
                contents.as_ptr(),
                (SCRATCH_BASE + offset) as *mut u8,
                contents.len(),
            );
        }
        unmap(initial::SELF_ADDRESS_SPACE, SCRATCH_BASE, pages)?;
    }
    Ok(frame)
}

/// Starts `path` from the initramfs with `command` (percent-encoded words) as its command,
/// granting `extra` capabilities (our slot, its slot) before it starts.
///
/// # Errors
/// [`SpawnError`] when the program is missing, not executable, or resources run out.
pub fn spawn(path: &str, command: &str, extra: &[(Slot, Slot)]) -> Result<Child, SpawnError> {
    let archive = initramfs()?;
    let entry = initramfs::Archive::new(archive)
        .find(path)
        .map_err(|_| SpawnError::NotFound)?
        .ok_or(SpawnError::NotFound)?;
    let image = entry.data;
    let elf = Elf::parse(image).map_err(|_| SpawnError::NotExecutable)?;
    if !elf.is_64
        || elf.header.e_machine != goblin::elf::header::EM_X86_64
        || elf.header.e_type != goblin::elf::header::ET_EXEC
    {
        return Err(SpawnError::NotExecutable);
    }

    let quota = take_slot()?;
    // Half of what we have, at most the default budget: a child can never starve its parent.
    let available = call(Call::CapabilityIdentify {
        slot: initial::MEMORY_QUOTA,
    })?[3];
    let budget = (available.min(CHILD_BUDGET_PAGES) / 2).max(64);
    call(Call::QuotaSplit {
        quota: initial::MEMORY_QUOTA,
        destination: quota,
        pages: QuotaPages(budget),
    })?;
    let mut child = Child {
        environment: take_slot()?,
        notification: take_slot()?,
        address_space: Some(take_slot()?),
        quota: Some(quota),
        frames: Vec::new(),
        pid: None,
    };
    let result = build(&mut child, &elf, image, command, extra);
    if let Err(error) = result {
        child.reap();
        return Err(error);
    }
    Ok(child)
}

fn build(
    child: &mut Child,
    elf: &Elf<'_>,
    image: &[u8],
    command: &str,
    extra: &[(Slot, Slot)],
) -> Result<(), SpawnError> {
    let quota = child
        .quota
        .ok_or(SpawnError::Kernel(KernelError::InvalidState))?;
    let address_space = child
        .address_space
        .ok_or(SpawnError::Kernel(KernelError::InvalidState))?;
    call(Call::AddressSpaceCreate {
        quota,
        destination: address_space,
    })?;
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
            .ok_or(SpawnError::NotExecutable)?;
        let contents = image
            .get(header.p_offset as usize..(header.p_offset + header.p_filesz) as usize)
            .ok_or(SpawnError::NotExecutable)?;
        let pages = (end - start).div_ceil(PAGE_SIZE);
        let frame = filled_frame(quota, pages, header.p_vaddr - start, contents)?;
        child.frames.push(frame);
        let mut rights = Rights::READ;
        if header.p_flags & PF_W != 0 {
            rights |= Rights::WRITE;
        }
        if header.p_flags & PF_X != 0 {
            rights |= Rights::EXECUTE;
        }
        map(address_space, frame, start, 0, pages, rights)?;
    }
    // The stack, with the command at its top.
    let command = &command.as_bytes()[..command.len().min(4096)];
    let stack_bytes = initial::STACK_PAGES * PAGE_SIZE;
    let command_offset = (stack_bytes - command.len() as u64 - 1) & !0xf;
    let stack = filled_frame(quota, initial::STACK_PAGES, command_offset, command)?;
    child.frames.push(stack);
    let stack_bottom = initial::STACK_TOP - stack_bytes;
    map(
        address_space,
        stack,
        stack_bottom,
        0,
        initial::STACK_PAGES,
        Rights::READ | Rights::WRITE,
    )?;

    call(Call::EnvironmentCreate {
        quota,
        address_space,
        destination: child.environment,
        slots: initial::SLOT_COUNT,
    })?;
    let environment = child.environment;
    let grants = [
        (environment, initial::SELF_ENVIRONMENT),
        (address_space, initial::SELF_ADDRESS_SPACE),
        (quota, initial::MEMORY_QUOTA),
        (initial::CONSOLE, initial::CONSOLE),
        (initial::INITRAMFS, initial::INITRAMFS),
    ];
    // Every program gets the time page at the same slot, when we have it to give.
    let time_page = [(initial::TIME_PAGE, initial::TIME_PAGE)];
    let time_page = if crate::clock::has_time_page() {
        &time_page[..]
    } else {
        &[]
    };
    let command_address = stack_bottom + command_offset;
    let registers = RegisterSet {
        rip: elf.entry,
        rsp: command_address - 16,
        rdi: command_address,
        rsi: command.len() as u64,
        rdx: INITRAMFS_LENGTH.load(core::sync::atomic::Ordering::Relaxed),
        ..RegisterSet::default()
    };
    // The program holds the frames of its own image and stack, at the slots init finds its own
    // in: what fork needs to copy them and what exec needs to let them go.
    let image: Vec<(Slot, Slot)> = child
        .frames
        .iter()
        .zip(initial::FIRST_IMAGE_SLOT.0..initial::FIRST_FREE_SLOT.0)
        .map(|(&frame, slot)| (frame, Slot(slot)))
        .collect();
    equip_and_start(
        child,
        quota,
        grants.iter().chain(time_page).chain(&image).chain(extra),
        &registers,
        true,
    )?;
    Ok(())
}

/// Gives a created child its capabilities (our slot, its slot), its registers and an exit
/// notification paid from `quota`, then starts it.
/// With `register`, and when this process is registered with the process server, the child is
/// registered as our child first (a pid, and its badged endpoint at
/// [`super::identity::PROCESS_SERVER`]).
pub(super) fn equip_and_start<'a>(
    child: &mut Child,
    quota: Slot,
    grants: impl Iterator<Item = &'a (Slot, Slot)>,
    registers: &RegisterSet,
    register: bool,
) -> Result<(), KernelError> {
    let environment = child.environment;
    for (source, destination) in grants {
        call(Call::EnvironmentGrant {
            environment,
            source: *source,
            destination: *destination,
            rights: Rights::all(),
        })?;
    }
    if register && super::identity::is_registered() {
        let (pid, endpoint) =
            super::identity::register_child(environment).map_err(|_| KernelError::OutOfMemory)?;
        child.pid = Some(pid);
        let granted = call(Call::EnvironmentGrant {
            environment,
            source: endpoint,
            destination: super::identity::PROCESS_SERVER,
            rights: Rights::all(),
        });
        super::child::release_slot(endpoint);
        granted?;
    }
    call(Call::EnvironmentSetRegisters {
        environment,
        registers: UserAddress(core::ptr::from_ref(registers) as u64),
    })?;
    call(Call::NotificationCreate {
        quota,
        destination: child.notification,
    })?;
    // Watching needs only READ, and no call removes a watcher: the child, holding every
    // right to itself, still cannot hide its end from us.
    call(Call::EnvironmentWatch {
        environment,
        notification: child.notification,
        bits: 1,
    })?;
    call(Call::EnvironmentStart { environment })?;
    Ok(())
}
