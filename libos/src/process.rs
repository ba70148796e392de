//! Starting programs and threads.
//!
//! A program from the initramfs gets a fresh address space, an environment, and a memory quota
//! split off ours; everything it is given is derived from that quota, so reaping it is one
//! revoke. A thread is an environment in our own address space.

use alloc::vec::Vec;

use exokernel_abi::{
    Call, EnvironmentState, KernelError, PAGE_SIZE, PageCount, QuotaPages, RegisterSet, Rights,
    Slot, USER_ADDRESS_LIMIT, UserAddress, initial,
};
use goblin::elf::Elf;
use goblin::elf::program_header::{PF_W, PF_X, PT_LOAD};
use spin::Once;

use crate::kernel::call;
use crate::memory::{map, map_all, unmap};
use crate::slots;

/// Where this process maps the initramfs to read programs from it.
const INITRAMFS_BASE: u64 = 0x0000_2000_0000_0000;
/// Where this process maps a child's frames while filling them.
const SCRATCH_BASE: u64 = 0x0000_3000_0000_0000;
/// Where thread stacks go.
const THREAD_STACKS: u64 = 0x0000_4000_0000_0000;
/// Pages of budget a child starts with (64 MiB).
const CHILD_BUDGET_PAGES: u64 = 16 * 1024;

static INITRAMFS: Once<Result<&'static [u8], KernelError>> = Once::new();

/// Records the initramfs length from start-up (the runtime calls this).
pub fn set_initramfs_length(length: u64) {
    INITRAMFS_LENGTH.store(length, core::sync::atomic::Ordering::Relaxed);
}

static INITRAMFS_LENGTH: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The initramfs, mapped read-only on first use.
///
/// # Errors
/// The kernel's error if it cannot be mapped.
pub fn initramfs() -> Result<&'static [u8], KernelError> {
    *INITRAMFS.call_once(|| {
        let length = INITRAMFS_LENGTH.load(core::sync::atomic::Ordering::Relaxed);
        let frame_pages = call(Call::CapabilityIdentify {
            slot: initial::INITRAMFS,
        })?[3];
        map_all(
            initial::SELF_ADDRESS_SPACE,
            initial::INITRAMFS,
            INITRAMFS_BASE,
            0,
            frame_pages,
            Rights::READ,
        )?;
        // SAFETY: just mapped read-only for the rest of the program; `length` fits in the frame.
        Ok(unsafe {
            core::slice::from_raw_parts(
                INITRAMFS_BASE as *const u8,
                length.min(frame_pages * PAGE_SIZE) as usize,
            )
        })
    })
}

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

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It exited with this status.
    Exited(u64),
    /// It was killed by an exception.
    Faulted {
        /// The exception vector.
        vector: u64,
        /// The faulting address, for page faults.
        address: u64,
    },
}

/// A started program or thread.
pub struct Child {
    environment: Slot,
    notification: Slot,
    address_space: Option<Slot>,
    quota: Option<Slot>,
    frames: Vec<Slot>,
}

fn take_slot() -> Result<Slot, KernelError> {
    slots::allocate().ok_or(KernelError::OutOfMemory)
}

fn release_slot(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

impl Child {
    /// The environment capability's slot.
    #[must_use]
    pub fn environment(&self) -> Slot {
        self.environment
    }

    /// Waits until the child ends (or `timeout` nanoseconds pass; 0 = forever).
    ///
    /// # Errors
    /// `TimedOut`, or the kernel's error.
    pub fn wait(&self, timeout: u64) -> Result<Ending, KernelError> {
        loop {
            let status = call(Call::EnvironmentStatus {
                environment: self.environment,
            })?;
            match EnvironmentState::from_code(status[0])? {
                EnvironmentState::Exited => return Ok(Ending::Exited(status[1])),
                EnvironmentState::Faulted => {
                    return Ok(Ending::Faulted {
                        vector: status[1],
                        address: status[2],
                    });
                }
                _ => {}
            }
            call(Call::NotificationWait {
                notification: self.notification,
                timeout,
            })?;
        }
    }

    /// Stops the child if it still runs and returns everything it had. Its own capabilities to
    /// itself and its address space are copies of ours, so revoking ours ends it for certain.
    pub fn reap(self) {
        let _ = call(Call::EnvironmentStop {
            environment: self.environment,
        });
        let _ = call(Call::CapabilityRevoke {
            slot: self.environment,
        });
        release_slot(self.environment);
        if let Some(quota) = self.quota {
            let _ = call(Call::CapabilityRevoke { slot: quota });
            for frame in self.frames {
                slots::free(frame);
            }
            release_slot(quota);
        } else {
            for frame in self.frames {
                release_slot(frame);
            }
        }
        if let Some(address_space) = self.address_space {
            let _ = call(Call::CapabilityRevoke {
                slot: address_space,
            });
            release_slot(address_space);
        }
        release_slot(self.notification);
    }
}

/// Fills `pages` fresh pages from `quota` with `contents` at `offset`, returning the frame slot.
fn filled_frame(
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
    )?;
    Ok(())
}

/// Gives a created child its capabilities (our slot, its slot), its registers and an exit
/// notification paid from `quota`, then starts it.
fn equip_and_start<'a>(
    child: &Child,
    quota: Slot,
    grants: impl Iterator<Item = &'a (Slot, Slot)>,
    registers: &RegisterSet,
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

static NEXT_THREAD_STACK: core::sync::atomic::AtomicU64 =
    core::sync::atomic::AtomicU64::new(THREAD_STACKS);

/// Starts `entry(argument)` as a new environment in this address space with its own stack and
/// a capability space holding copies of our address space, quota and console at the usual
/// slots, plus `extra` (our slot, its slot). The thread never returns: it ends with `exit`.
///
/// # Errors
/// The kernel's error.
pub fn spawn_thread(
    entry: extern "C" fn(u64) -> !,
    argument: u64,
    extra: &[(Slot, Slot)],
) -> Result<Child, KernelError> {
    const STACK_PAGES: u64 = 16;
    let stack_base = NEXT_THREAD_STACK.fetch_add(
        (STACK_PAGES + 1) * PAGE_SIZE,
        core::sync::atomic::Ordering::Relaxed,
    );
    let stack =
        crate::memory::allocate_and_map(initial::MEMORY_QUOTA, stack_base, STACK_PAGES, true)?;
    let mut child = Child {
        environment: take_slot()?,
        notification: take_slot()?,
        address_space: None,
        quota: None,
        frames: alloc::vec![stack],
    };
    let environment = child.environment;
    let result = (|| {
        call(Call::EnvironmentCreate {
            quota: initial::MEMORY_QUOTA,
            address_space: initial::SELF_ADDRESS_SPACE,
            destination: environment,
            slots: 256,
        })?;
        let grants = [
            (environment, initial::SELF_ENVIRONMENT),
            (initial::SELF_ADDRESS_SPACE, initial::SELF_ADDRESS_SPACE),
            (initial::MEMORY_QUOTA, initial::MEMORY_QUOTA),
            (initial::CONSOLE, initial::CONSOLE),
        ];
        let registers = RegisterSet {
            rip: entry as usize as u64,
            // As if called: the return-address slot below a 16-byte-aligned top.
            rsp: stack_base + STACK_PAGES * PAGE_SIZE - 8,
            rdi: argument,
            ..RegisterSet::default()
        };
        equip_and_start(
            &child,
            initial::MEMORY_QUOTA,
            grants.iter().chain(extra),
            &registers,
        )
    })();
    if let Err(error) = result {
        child.address_space = None;
        child.reap();
        return Err(error);
    }
    Ok(child)
}

/// Starts `entry(argument)` as a thread of this process: an environment sharing our capability
/// space (so slots, frames and the heap are one per process, as the rest of the LibOS assumes)
/// and our address space, with its own stack. The thread never returns: it ends with `exit`,
/// and its capabilities stay with the process.
///
/// # Errors
/// The kernel's error.
pub fn spawn_shared_thread(
    entry: extern "C" fn(u64) -> !,
    argument: u64,
) -> Result<Child, KernelError> {
    const STACK_PAGES: u64 = 16;
    let stack_base = NEXT_THREAD_STACK.fetch_add(
        (STACK_PAGES + 1) * PAGE_SIZE,
        core::sync::atomic::Ordering::Relaxed,
    );
    let stack =
        crate::memory::allocate_and_map(initial::MEMORY_QUOTA, stack_base, STACK_PAGES, true)?;
    let mut child = Child {
        environment: take_slot()?,
        notification: take_slot()?,
        address_space: None,
        quota: None,
        frames: alloc::vec![stack],
    };
    let result = call(Call::EnvironmentCreateThread {
        quota: initial::MEMORY_QUOTA,
        process: initial::SELF_ENVIRONMENT,
        destination: child.environment,
    })
    .and_then(|_| {
        let registers = RegisterSet {
            rip: entry as usize as u64,
            // As if called: the return-address slot below a 16-byte-aligned top.
            rsp: stack_base + STACK_PAGES * PAGE_SIZE - 8,
            rdi: argument,
            ..RegisterSet::default()
        };
        equip_and_start(&child, initial::MEMORY_QUOTA, [].iter(), &registers)
    });
    if let Err(error) = result {
        child.address_space = None;
        child.reap();
        return Err(error);
    }
    Ok(child)
}
