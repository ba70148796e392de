//! Starting programs from the initramfs.
//!
//! A program from the initramfs gets a fresh address space, an environment, and a memory quota
//! split off ours; everything it is given is derived from that quota, so reaping it is one
//! revoke. When this process is registered with the process server, the child is registered as
//! its child (a pid, a badged endpoint at [`super::identity::PROCESS_SERVER`]) before it starts.

use alloc::vec::Vec;

use exokernel_abi::{
    Call, KernelError, OptionalSlot, PAGE_SIZE, PageCount, QuotaPages, RegisterSet, Rights, Slot,
    USER_ADDRESS_LIMIT, UserAddress, initial,
};
use goblin::elf::Elf;
use goblin::elf::program_header::{PF_W, PF_X, PT_LOAD};

use super::child::{Child, take_slot};
use super::exec::SetIdFile;
use super::initramfs::{INITRAMFS_LENGTH, initramfs};
use super::protocol;
use crate::kernel::call;
use crate::memory::{map, unmap};
use crate::slots;
use crate::well_known_slots::FILE_SERVER;
use libposix_sys::errno::Errno;
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
/// granting `extra` capabilities (our slot, its slot) before it starts (one at a
/// slot this function fills itself, such as `initial::CONSOLE`, replaces our own there). The child inherits our
/// descriptors without FD_CLOEXEC (as `fork` then `execve` would give it).
///
/// # Errors
/// [`SpawnError`] when the program is missing, not executable, or resources run out.
pub fn spawn(path: &str, command: &str, extra: &[(Slot, Slot)]) -> Result<Child, SpawnError> {
    spawn_with_environment(path, command, "", extra)
}

/// As [`spawn`], with `environment` (percent-encoded `NAME=value` words) as the child's
/// environment.
///
/// # Errors
/// As [`spawn`].
pub fn spawn_with_environment(
    path: &str,
    command: &str,
    environment: &str,
    extra: &[(Slot, Slot)],
) -> Result<Child, SpawnError> {
    let archive = initramfs()?;
    let image = find_program(archive, path)?;
    spawn_image(image, command, environment, extra)
}

/// As [`spawn_with_environment`], for an executable already in memory (`posix_spawn` reads
/// it through the file system).
///
/// # Errors
/// As [`spawn`].
pub fn spawn_image(
    image: &[u8],
    command: &str,
    environment: &str,
    extra: &[(Slot, Slot)],
) -> Result<Child, SpawnError> {
    // Half of what we have, at most the default budget: a child can never starve its parent.
    let available = call(Call::CapabilityIdentify {
        slot: initial::MEMORY_QUOTA,
    })?[3];
    let budget = (available / 2).clamp(64, CHILD_BUDGET_PAGES);
    spawn_image_with_quota(
        image,
        command,
        environment,
        extra,
        QuotaSource::Split(budget),
        SetIdFile::default(),
    )
}

/// As [`spawn_image`], but the child pays from our own quota (a copy of our capability)
/// instead of a budget split off it: `posix_spawn`, like `fork`, starts a member of our
/// process tree, which shares the memory the tree was given as processes on Linux share the
/// machine's. A child can then use up memory we need (`ENOMEM` for us, as on Linux); the
/// tree as a whole stays within what its creator split off for it. The child's ids follow the
/// program file's set-ID bits (`set_id`) as `execve`'s would, before it starts.
///
/// # Errors
/// As [`spawn`].
pub(super) fn spawn_image_sharing_quota(
    image: &[u8],
    command: &str,
    environment: &str,
    extra: &[(Slot, Slot)],
    set_id: SetIdFile,
) -> Result<Child, SpawnError> {
    spawn_image_with_quota(
        image,
        command,
        environment,
        extra,
        QuotaSource::Shared,
        set_id,
    )
}

/// Where a child's memory comes from.
enum QuotaSource {
    /// A budget of this many pages split off ours.
    Split(u64),
    /// Our own quota, through a copy of our capability.
    Shared,
}

/// A copy of our quota capability in a fresh slot, for a child that shares our budget: what is
/// allocated through it is charged to our quota, and revoking it takes all of that back.
///
/// # Errors
/// `OutOfMemory` (no slot), or the kernel's error.
pub(super) fn share_quota() -> Result<Slot, KernelError> {
    let quota = take_slot()?;
    if let Err(error) = call(Call::CapabilityCopy {
        source: initial::MEMORY_QUOTA,
        destination: quota,
        rights: exokernel_abi::Rights::all(),
    }) {
        slots::free(quota);
        return Err(error);
    }
    Ok(quota)
}

/// [`spawn_with_environment`] with a budget of `budget` pages split off ours (a runner that
/// starts one program at a time may give it nearly everything it has).
///
/// # Errors
/// As [`spawn`]; `QuotaExhausted` when we have fewer pages than `budget`.
pub fn spawn_with_budget(
    path: &str,
    command: &str,
    environment: &str,
    extra: &[(Slot, Slot)],
    budget: u64,
) -> Result<Child, SpawnError> {
    let archive = initramfs()?;
    let image = find_program(archive, path)?;
    spawn_image_with_quota(
        image,
        command,
        environment,
        extra,
        QuotaSource::Split(budget),
        SetIdFile::default(),
    )
}

fn spawn_image_with_quota(
    image: &[u8],
    command: &str,
    environment: &str,
    extra: &[(Slot, Slot)],
    source: QuotaSource,
    set_id: SetIdFile,
) -> Result<Child, SpawnError> {
    let elf = parse_executable(image)?;
    share_inherited_files(extra)?;

    let quota = match source {
        QuotaSource::Split(budget) => {
            let quota = take_slot()?;
            if let Err(error) = call(Call::QuotaSplit {
                quota: initial::MEMORY_QUOTA,
                destination: quota,
                pages: QuotaPages(budget),
            }) {
                slots::free(quota);
                return Err(error.into());
            }
            quota
        }
        QuotaSource::Shared => share_quota()?,
    };
    let mut child = Child {
        environment: take_slot()?,
        notification: take_slot()?,
        address_space: Some(take_slot()?),
        quota: Some(quota),
        frames: Vec::new(),
        pid: None,
    };
    let result = build(&mut child, &elf, image, command, environment, extra, set_id);
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
    environment: &str,
    extra: &[(Slot, Slot)],
    set_id: SetIdFile,
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
    let registers = build_image(
        quota,
        address_space,
        elf,
        image,
        command.as_bytes(),
        environment.as_bytes(),
        &mut child.frames,
    )?;

    call(Call::EnvironmentCreate {
        quota,
        address_space,
        destination: child.environment,
        slots: initial::SLOT_COUNT,
    })?;
    let environment = child.environment;
    let handover = inherit(quota, extra)?;
    let inherited: Vec<(Slot, Slot)> = handover
        .iter()
        .flat_map(|handover| {
            handover
                .slots
                .iter()
                .map(|&slot| (slot, slot))
                .chain(core::iter::once((
                    handover.frame,
                    crate::io::inheritance::HANDOVER_SLOT,
                )))
        })
        .collect();
    let grants = [
        (environment, initial::SELF_ENVIRONMENT),
        (address_space, initial::SELF_ADDRESS_SPACE),
        (quota, initial::MEMORY_QUOTA),
        (initial::CONSOLE, initial::CONSOLE),
        (initial::INITRAMFS, initial::INITRAMFS),
    ];
    // A grant of `extra` at one of these slots replaces ours: `init` hands the terminal server
    // the console with READ, everyone else the write-only copy at `initial::CONSOLE`.
    let not_replaced =
        |(_, destination): &&(Slot, Slot)| !extra.iter().any(|(_, wanted)| wanted == destination);
    // Every program gets the time page at the same slot, when we have it to give.
    let time_page = [(initial::TIME_PAGE, initial::TIME_PAGE)];
    let time_page = if crate::clock::has_time_page() {
        &time_page[..]
    } else {
        &[]
    };
    // The program holds the frames of its own image and stack, at the slots init finds its own
    // in: what fork needs to copy them and what exec needs to let them go.
    let image: Vec<(Slot, Slot)> = child
        .frames
        .iter()
        .zip(initial::FIRST_IMAGE_SLOT.0..initial::FIRST_FREE_SLOT.0)
        .map(|(&frame, slot)| (frame, Slot(slot)))
        .collect();
    let started = equip_and_start(
        child,
        quota,
        grants
            .iter()
            .filter(not_replaced)
            .chain(time_page)
            .chain(&image)
            .chain(extra)
            .chain(&inherited),
        &registers,
        Registration::Program(command, set_id),
    );
    if let Some(handover) = handover {
        handover.release();
    }
    started?;
    Ok(())
}

/// The descriptor table a spawned child inherits (ours without the close-on-exec descriptors,
/// or the one [`set_inherited_table`] prepared), granted at the same slots. None when `extra`
/// already uses the hand-over slot or a slot the table needs (the child then starts with the
/// console). Files of the shared root go along when the child gets our file-server capability.
fn inherit(
    quota: Slot,
    extra: &[(Slot, Slot)],
) -> Result<Option<crate::io::inheritance::Handover>, SpawnError> {
    use crate::io::inheritance::{HANDOVER_SLOT, Receiver, prepare, prepare_table};
    let file_server = crate::well_known_slots::FILE_SERVER;
    if extra
        .iter()
        .any(|&(_, destination)| destination == HANDOVER_SLOT)
    {
        return Ok(None);
    }
    let receiver = Receiver::Child {
        quota,
        files: extra.contains(&(file_server, file_server)),
    };
    let prepared = match PREPARED_TABLE.lock().take() {
        Some(table) => prepare_table(receiver, &table),
        None => prepare(receiver),
    };
    let handover = prepared.map_err(|error| {
        SpawnError::Kernel(if error == libposix_sys::errno::Errno::ENOMEM {
            KernelError::OutOfMemory
        } else {
            KernelError::InvalidState
        })
    })?;
    let collides = handover.as_ref().is_some_and(|handover| {
        handover.slots.iter().any(|slot| {
            slot.0 < initial::FIRST_FREE_SLOT.0
                || extra.iter().any(|&(_, destination)| destination == *slot)
        })
    });
    if collides {
        if let Some(handover) = handover {
            handover.release();
        }
        return Ok(None);
    }
    Ok(handover)
}

/// Moves the offsets of the files the child will inherit into shared pages
/// (`io::shared_state`) now, while our quota still has the pages: the split that pays for the
/// child may leave it with few.
fn share_inherited_files(extra: &[(Slot, Slot)]) -> Result<(), SpawnError> {
    let file_server = crate::well_known_slots::FILE_SERVER;
    if !extra.contains(&(file_server, file_server)) {
        return Ok(());
    }
    let prepared: Option<Vec<crate::io::descriptors::Description>> =
        PREPARED_TABLE.lock().as_ref().map(|table| {
            table
                .iter()
                .map(|(_, description)| description.clone())
                .collect()
        });
    let descriptions = prepared.unwrap_or_else(|| {
        crate::io::descriptors::snapshot()
            .into_iter()
            .filter(|(_, _, close_on_exec)| !close_on_exec)
            .map(|(_, description, _)| description)
            .collect()
    });
    for description in descriptions {
        description
            .share()
            .map_err(|_| SpawnError::Kernel(KernelError::OutOfMemory))?;
    }
    Ok(())
}

/// A table for the next [`spawn`] to hand over instead of ours (`posix_spawn`'s, after its file
/// actions).
static PREPARED_TABLE: spin::Mutex<Option<Vec<(i32, crate::io::descriptors::Description)>>> =
    spin::Mutex::new(None);

/// Makes the next [`spawn`] hand `table` to the child instead of our own.
pub(super) fn set_inherited_table(table: Vec<(i32, crate::io::descriptors::Description)>) {
    *PREPARED_TABLE.lock() = Some(table);
}

/// Forgets a table [`set_inherited_table`] prepared that no spawn took.
pub(super) fn take_inherited_table() {
    let table = PREPARED_TABLE.lock().take();
    drop(table);
}

/// The program at `path` in the initramfs `archive`.
///
/// # Errors
/// `NotFound`.
pub(super) fn find_program<'a>(archive: &'a [u8], path: &str) -> Result<&'a [u8], SpawnError> {
    let entry = initramfs::Archive::new(archive)
        .find(path)
        .map_err(|_| SpawnError::NotFound)?
        .ok_or(SpawnError::NotFound)?;
    Ok(entry.data)
}

/// Parses `image` as a static x86_64 executable.
///
/// # Errors
/// `NotExecutable` for anything else, however malformed.
pub(super) fn parse_executable(image: &[u8]) -> Result<Elf<'_>, SpawnError> {
    let elf = Elf::parse(image).map_err(|_| SpawnError::NotExecutable)?;
    if !elf.is_64
        || elf.header.e_machine != goblin::elf::header::EM_X86_64
        || elf.header.e_type != goblin::elf::header::ET_EXEC
    {
        return Err(SpawnError::NotExecutable);
    }
    Ok(elf)
}

/// The most bytes of command or of environment a program is started with.
pub const MAXIMUM_COMMAND_BYTES: usize = 4096;

/// Builds a program's image in `address_space` from `quota`: each loadable segment in a frame of
/// its own, then the stack with `command`, a NUL and `environment` at its top (the start-up
/// protocol of `libos::runtime::start`). The frames go to `frames` in that order (also when it
/// fails part-way, so that the caller can delete them). Returns the first registers.
///
/// # Errors
/// `NotExecutable` for a segment outside user space or outside the file; the kernel's error
/// when memory runs out.
pub(super) fn build_image(
    quota: Slot,
    address_space: Slot,
    elf: &Elf<'_>,
    image: &[u8],
    command: &[u8],
    environment: &[u8],
    frames: &mut Vec<Slot>,
) -> Result<RegisterSet, SpawnError> {
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
        let file_end = header
            .p_offset
            .checked_add(header.p_filesz)
            .ok_or(SpawnError::NotExecutable)?;
        let contents = usize::try_from(header.p_offset)
            .ok()
            .zip(usize::try_from(file_end).ok())
            .and_then(|(first, last)| image.get(first..last))
            .ok_or(SpawnError::NotExecutable)?;
        let pages = (end - start).div_ceil(PAGE_SIZE);
        if pages == 0 || pages > PageCount::MAXIMUM {
            return Err(SpawnError::NotExecutable);
        }
        let frame = filled_frame(quota, pages, header.p_vaddr - start, contents)?;
        frames.push(frame);
        let mut rights = Rights::READ;
        if header.p_flags & PF_W != 0 {
            rights |= Rights::WRITE;
        }
        if header.p_flags & PF_X != 0 {
            rights |= Rights::EXECUTE;
        }
        map(address_space, frame, start, 0, pages, rights)?;
    }
    // The stack, with the command and the environment at its top.
    let command = &command[..command.len().min(MAXIMUM_COMMAND_BYTES)];
    let environment = &environment[..environment.len().min(MAXIMUM_COMMAND_BYTES)];
    let mut top = Vec::with_capacity(command.len() + 1 + environment.len());
    top.extend_from_slice(command);
    top.push(0);
    top.extend_from_slice(environment);
    let stack_bytes = initial::STACK_PAGES * PAGE_SIZE;
    let command_offset = (stack_bytes - top.len() as u64 - 1) & !0xf;
    let stack = filled_frame(quota, initial::STACK_PAGES, command_offset, &top)?;
    frames.push(stack);
    let stack_bottom = initial::STACK_TOP - stack_bytes;
    map(
        address_space,
        stack,
        stack_bottom,
        0,
        initial::STACK_PAGES,
        Rights::READ | Rights::WRITE,
    )?;
    let command_address = stack_bottom + command_offset;
    Ok(RegisterSet {
        rip: elf.entry,
        rsp: command_address - 16,
        rdi: command_address,
        rsi: command.len() as u64,
        rdx: INITRAMFS_LENGTH.load(core::sync::atomic::Ordering::Relaxed),
        r9: environment.len() as u64,
        ..RegisterSet::default()
    })
}

/// The process group the next child started by [`equip_and_start`] joins before it runs
/// (`None`: ours; `Some(0)`: a new one numbered with its pid), and whether that group is then
/// made the terminal's foreground group.
static NEXT_GROUP: spin::Mutex<Option<(Option<i32>, bool)>> = spin::Mutex::new(None);
/// Why setting the group failed, for `posix_spawn`'s answer, and the pid the child had been
/// registered with (it ends without running, and is collected by `posix_spawn`).
static GROUP_ERROR: spin::Mutex<Option<(Errno, i32)>> = spin::Mutex::new(None);

/// Makes the next program this process spawns join `group` (`Some(0)`: a group of its own)
/// and, with `foreground`, makes its group the terminal's foreground group — both before it
/// runs, so that it can never read the terminal from the background by accident (a shell's
/// job, `init`'s command). Needs a registered process; the spawn fails if either step does.
pub fn set_next_group(group: Option<i32>, foreground: bool) {
    *NEXT_GROUP.lock() = Some((group, foreground));
    *GROUP_ERROR.lock() = None;
}

/// The error that made the last spawn fail while setting its group, if that was it, and the
/// pid of the child that never ran.
pub(super) fn take_group_error() -> Option<(Errno, i32)> {
    NEXT_GROUP.lock().take();
    GROUP_ERROR.lock().take()
}

/// Applies [`set_next_group`] to the registered child `pid`.
fn join_group(pid: i32) -> Result<(), Errno> {
    let Some((group, foreground)) = NEXT_GROUP.lock().take() else {
        return Ok(());
    };
    let group = match group {
        Some(group) => {
            super::identity::setpgid(pid, group)?;
            if group == 0 { pid } else { group }
        }
        None => super::identity::getpgid(0)?,
    };
    if foreground {
        crate::io::control::set_foreground_group(group)?;
    }
    Ok(())
}

/// Whether and how [`equip_and_start`] registers the child with the process server.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Registration<'a> {
    /// Not a process (a thread of ours).
    None,
    /// A new program with this command (percent-encoded words, told to the process server for
    /// `/proc` and `ps`) and what its file's set-ID bits ask: caught signals start at their
    /// default action.
    Program(&'a str, SetIdFile),
    /// A `fork` copy: it keeps our signal handlers.
    Fork,
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
    register: Registration<'_>,
) -> Result<(), KernelError> {
    let environment = child.environment;
    let registered = register != Registration::None && super::identity::is_registered();
    let socket_server = crate::well_known_slots::SOCKET_SERVER;
    let socket_minted = registered && crate::socket::protocol::minted_for_process();
    for (source, destination) in grants {
        // Likewise the socket server's (badged with its pid).
        if socket_minted && *source == socket_server && *destination == socket_server {
            continue;
        }
        // A registered child gets a file-server capability of its own from the process server
        // (badged with its credentials, revoked when they change), not a copy of ours.
        if registered && *source == FILE_SERVER && *destination == FILE_SERVER {
            continue;
        }
        call(Call::EnvironmentGrant {
            environment,
            source: *source,
            destination: *destination,
            rights: Rights::all(),
        })?;
    }
    if registered {
        // Our child-event notification, once subscribed, watches the child too, ahead of the
        // process server's watch (added at registration): at the child's end the kernel wakes
        // us before the server, and our `WAIT` then finds the server about to handle that end,
        // one address-space switch fewer than being woken by the server once it has.
        if let Some(events) = super::identity::child_events_slot() {
            let _ = call(Call::EnvironmentWatch {
                environment,
                notification: events,
                bits: super::protocol::CHILD_EVENT_BIT,
            });
        }
        let (pid, endpoint) =
            super::identity::register_child(environment, register == Registration::Fork).map_err(
                |error| match error {
                    Errno::EAGAIN => KernelError::WouldBlock,
                    _ => KernelError::OutOfMemory,
                },
            )?;
        child.pid = Some(pid);
        if let Registration::Program(command, set_id) = register {
            // Through the child's own endpoint, before the child holds it: the record is the
            // child's from its first instruction.
            super::listing::describe_command(endpoint, command);
            if set_id.flags() != 0 {
                // Its ids as `execve` of the file would set them (honoured within reach only:
                // docs/process-server.md). A refusal leaves them ours, as a `nosuid` mount.
                let _ = call(Call::IpcCall {
                    endpoint,
                    word0: protocol::SET_ID_PROGRAM | set_id.flags(),
                    word1: 0,
                    word2: set_id.owner_and_group(),
                    transfer: OptionalSlot(None),
                    receive: OptionalSlot(None),
                });
            }
        }
        let granted = call(Call::EnvironmentGrant {
            environment,
            source: endpoint,
            destination: super::identity::PROCESS_SERVER,
            rights: Rights::all(),
        });
        super::child::release_slot(endpoint);
        granted?;
        if matches!(register, Registration::Program(..))
            && let Err(errno) = join_group(pid)
        {
            *GROUP_ERROR.lock() = Some((errno, pid));
            return Err(KernelError::InvalidArgument);
        }
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
