//! Memory calls: quota splitting, frame allocation, address-space creation, and the secure
//! binding of frames into address spaces (map, unmap, protect, batches of them).

use exokernel_abi::{
    FRAME_COPY_MAXIMUM_PAGES, FRAME_COPY_REPLACE, FRAME_COPY_REUSE, KernelError,
    MAPPING_LIST_MAXIMUM, MapOperation, MapOperationKind, ObjectKind, PAGE_SIZE, PageCopy,
    PageCount, QuotaPages, Rights, Slot, USER_ADDRESS_LIMIT,
};
use exokernel_capability::{Mapping, Object, SlotAddress, SpaceId};

use super::object_creation::{self, ObjectKindOperations, refund};
use super::{Caller, errors};
use crate::arch::user_memory::{read_user, write_user};
use crate::arch::user_paging::{PageAccess, PagingFailure, UserPageTables};
use crate::kernel_state::KernelState;
use crate::memory::physical;
use crate::objects::address_space::{AddressSpace, MAXIMUM_PAGE_TABLES, RECORDS_PER_PAGE};

type Result = core::result::Result<[u64; 6], KernelError>;

pub fn split_quota(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    destination: Slot,
    pages: QuotaPages,
) -> Result {
    kernel
        .capabilities
        .split_quota(
            caller.slot(quota),
            caller.slot(destination),
            pages.0,
            Rights::all(),
        )
        .map_err(errors::split_quota)?;
    Ok([0; 6])
}

pub fn allocate_frame(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    destination: Slot,
    pages: PageCount,
) -> Result {
    kernel
        .capabilities
        .check_empty(caller.slot(destination))
        .map_err(errors::destination)?;
    let charge = kernel
        .capabilities
        .charge(caller.slot(quota), pages.0)
        .map_err(errors::charge)?;
    // Zeroed, so no data from their previous owner leaks.
    let Some(physical_address) = physical::allocate_zeroed(pages.0) else {
        kernel.capabilities.refund(charge);
        return Err(KernelError::OutOfMemory);
    };
    if let Err(error) = kernel.capabilities.create_frame(
        charge,
        caller.slot(destination),
        physical_address,
        Rights::all(),
    ) {
        for page in 0..pages.0 {
            let _ = physical::free_frame(physical_address + page * PAGE_SIZE);
        }
        return Err(errors::create_frame(error));
    }
    Ok([physical_address, 0, 0, 0, 0, 0])
}

/// `FrameAllocateCopy`: a frame of `pages` pages from `quota` at `destination` holding a copy
/// of the pages mapped from `address` on in the caller's own address space (named by
/// `address_space_slot`, MAP); with [`FRAME_COPY_REPLACE`] the copy is mapped in their place,
/// writable; with [`FRAME_COPY_REUSE`] as well, a single page whose frame nobody else can reach
/// is made writable in place instead (word 3 is 1 then).
#[allow(clippy::too_many_arguments)]
pub fn allocate_frame_copy(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    destination: Slot,
    address_space_slot: Slot,
    address: u64,
    options: u64,
    pages: u64,
) -> Result {
    if options & !(FRAME_COPY_REPLACE | FRAME_COPY_REUSE) != 0 || pages > FRAME_COPY_MAXIMUM_PAGES {
        return Err(KernelError::InvalidArgument);
    }
    let replace = options & FRAME_COPY_REPLACE != 0;
    let reuse = options & FRAME_COPY_REUSE != 0;
    if reuse && !replace {
        return Err(KernelError::InvalidArgument);
    }
    check_range(address, pages)?;
    let (address_space, root) = address_space(kernel, caller, address_space_slot)?;
    // Only the caller's own pages: it can read them anyway, and nobody learns through this
    // what another address space holds.
    if root != caller.root {
        return Err(KernelError::InvalidArgument);
    }
    let mut sources = [0_u64; FRAME_COPY_MAXIMUM_PAGES as usize];
    for (page, source) in sources.iter_mut().enumerate().take(pages as usize) {
        *source = root
            .translate(address + page as u64 * PAGE_SIZE)
            .ok_or(KernelError::NotMapped)?
            .0;
    }
    let (_, access) = root.translate(address).ok_or(KernelError::NotMapped)?;
    let (old, handle) = kernel
        .capabilities
        .find_mapping(address_space, address)
        .ok_or(KernelError::NotMapped)?;
    let old_slot = kernel
        .capabilities
        .location(handle)
        .filter(|location| location.space == caller.space)
        .map_or(u64::MAX, |location| location.slot);
    kernel
        .capabilities
        .check_empty(caller.slot(destination))
        .map_err(errors::destination)?;
    let mut rights = Rights::READ | Rights::WRITE;
    if access.execute {
        rights |= Rights::EXECUTE;
    }
    // The caller's own capability made the mapping and nobody else can reach the frame (no
    // other capability names it, it is mapped nowhere else, and no unmap of a removed
    // capability's pages is still queued): the page becomes writable where it is, as Linux
    // reuses a copy-on-write page whose other mappings are gone.
    if reuse
        && pages == 1
        && old_slot != u64::MAX
        && kernel.work.is_empty()
        && kernel.capabilities.is_sole_holder(handle, address_space)
        && protect(kernel, caller, address_space_slot, address, 1, rights).is_ok()
    {
        return Ok([old_slot, old.virtual_address, old.page_count, 1, 0, 0]);
    }
    if replace {
        // The copy gets the quota capability's rights: it must be mappable in the pages' place
        // before they are unmapped.
        let quota_rights = kernel
            .capabilities
            .lookup(caller.slot(quota), Rights::ALLOCATE)
            .map_err(errors::lookup)?
            .rights;
        if !quota_rights.contains(rights | Rights::MAP) {
            return Err(KernelError::InsufficientRights);
        }
        // The unmap may split a record in two and the copy adds one: paid before anything
        // changes, so the replacement below cannot fail for want of a record.
        let records = kernel.capabilities.mapping_count(address_space) as u64 + 2;
        pay_for_records(kernel, address_space, records)?;
    }
    let charge = kernel
        .capabilities
        .charge(caller.slot(quota), pages)
        .map_err(errors::charge)?;
    let Some(physical_address) = physical::allocate_copies(&sources[..pages as usize]) else {
        kernel.capabilities.refund(charge);
        return Err(KernelError::OutOfMemory);
    };
    if let Err(error) = kernel.capabilities.create_frame(
        charge,
        caller.slot(destination),
        physical_address,
        Rights::all(),
    ) {
        for page in 0..pages {
            let _ = physical::free_frame(physical_address + page * PAGE_SIZE);
        }
        return Err(errors::create_frame(error));
    }
    if replace {
        // The pages were checked mapped and their page tables stay, so neither step can fail;
        // if one did, the error is returned and the new capability stays the caller's.
        unmap(kernel, caller, address_space_slot, address, pages)?;
        map(
            kernel,
            caller,
            address_space_slot,
            destination,
            address,
            0,
            pages,
            rights,
        )?;
        for (page, source) in sources.iter().enumerate().take(pages as usize) {
            super::futex::move_page_waiters(
                kernel,
                address_space,
                source & !(PAGE_SIZE - 1),
                physical_address + page as u64 * PAGE_SIZE,
            );
        }
    }
    Ok([old_slot, old.virtual_address, old.page_count, 0, 0, 0])
}

pub fn create_address_space(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    destination: Slot,
) -> Result {
    let operations = ObjectKindOperations {
        table: |kernel: &mut KernelState| &mut kernel.address_spaces,
        object: Object::AddressSpace,
        undo: |kernel: &mut KernelState, address_space: AddressSpace| {
            refund(kernel, address_space.charge);
            address_space.root.destroy();
        },
    };
    let build = |kernel: &mut KernelState, charge| {
        let Some(root) = UserPageTables::create() else {
            kernel.capabilities.refund(charge);
            return Err(KernelError::OutOfMemory);
        };
        Ok(AddressSpace {
            root,
            environment_count: 0,
            unreferenced: false,
            page_tables: 0,
            record_capacity: 0,
            charge: Some(charge),
        })
    };
    let pages = 1 + MAXIMUM_PAGE_TABLES;
    object_creation::create(
        kernel,
        caller,
        quota,
        destination,
        pages,
        build,
        &operations,
    )?;
    Ok([0; 6])
}

/// The id and root of the address space an address-space capability names (needs MAP).
fn address_space(
    kernel: &KernelState,
    caller: Caller,
    slot: Slot,
) -> core::result::Result<(u32, UserPageTables), KernelError> {
    let capability = kernel
        .capabilities
        .lookup_kind(
            caller.slot(slot),
            exokernel_capability::ObjectKind::AddressSpace,
            Rights::MAP,
        )
        .map_err(errors::lookup)?;
    let Object::AddressSpace(id) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    let root = kernel
        .address_spaces
        .get(id)
        .ok_or(KernelError::InvalidState)?
        .root;
    Ok((id, root))
}

/// Makes sure the address space's charge pays for `records` mapping records, growing it from
/// the quota that paid for the address space a page at a time.
///
/// # Errors
/// `QuotaExhausted` when that quota cannot pay.
fn pay_for_records(
    kernel: &mut KernelState,
    address_space: u32,
    records: u64,
) -> core::result::Result<(), KernelError> {
    let Some(space) = kernel.address_spaces.get_mut(address_space) else {
        return Err(KernelError::InvalidState);
    };
    if records <= space.record_capacity {
        return Ok(());
    }
    let Some(charge) = space.charge.as_mut() else {
        return Err(KernelError::QuotaExhausted);
    };
    let pages = (records - space.record_capacity).div_ceil(RECORDS_PER_PAGE);
    kernel
        .capabilities
        .extend_charge(charge, pages)
        .map_err(errors::charge)?;
    space.record_capacity += pages * RECORDS_PER_PAGE;
    Ok(())
}

/// Makes sure one more mapping record is paid for: a map or an unmap adds at most one.
fn pay_for_one_more_record(
    kernel: &mut KernelState,
    address_space: u32,
) -> core::result::Result<(), KernelError> {
    let records = kernel.capabilities.mapping_count(address_space) as u64 + 1;
    pay_for_records(kernel, address_space, records)
}

fn page_access(rights: Rights) -> core::result::Result<PageAccess, KernelError> {
    if !rights.contains(Rights::READ)
        || !(Rights::READ | Rights::WRITE | Rights::EXECUTE).contains(rights)
    {
        return Err(KernelError::InvalidArgument);
    }
    Ok(PageAccess {
        write: rights.contains(Rights::WRITE),
        execute: rights.contains(Rights::EXECUTE),
    })
}

fn check_range(address: u64, pages: u64) -> core::result::Result<u64, KernelError> {
    let end = pages
        .checked_mul(PAGE_SIZE)
        .and_then(|length| address.checked_add(length));
    match end {
        Some(end) if end <= USER_ADDRESS_LIMIT => Ok(end),
        _ => Err(KernelError::InvalidAddress),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn map(
    kernel: &mut KernelState,
    caller: Caller,
    address_space_slot: Slot,
    frame_slot: Slot,
    address: u64,
    first_page: u64,
    pages: u64,
    rights: Rights,
) -> Result {
    let frame_slot = caller.slot(frame_slot);
    map_through(
        kernel,
        caller,
        address_space_slot,
        frame_slot,
        address,
        first_page,
        pages,
        rights,
    )
}

/// `Map` with the frame capability at `frame_slot`, in the caller's space or (for
/// `EnvironmentMapBatch`) another environment's: that capability owns the mapping record.
#[allow(clippy::too_many_arguments)]
fn map_through(
    kernel: &mut KernelState,
    caller: Caller,
    address_space_slot: Slot,
    frame_slot: SlotAddress,
    address: u64,
    first_page: u64,
    pages: u64,
    rights: Rights,
) -> Result {
    let (address_space, root) = address_space(kernel, caller, address_space_slot)?;
    let access = page_access(rights)?;
    check_range(address, pages)?;
    // Page 0 is never mappable, so a null pointer always faults.
    if address < PAGE_SIZE {
        return Err(KernelError::InvalidAddress);
    }
    let frame = kernel
        .capabilities
        .lookup_kind(
            frame_slot,
            exokernel_capability::ObjectKind::Frame,
            Rights::MAP | rights,
        )
        .map_err(errors::lookup)?;
    let Object::Frame(frame) = frame.object else {
        return Err(KernelError::WrongKind);
    };
    let in_frame = first_page
        .checked_add(pages)
        .is_some_and(|end| end <= frame.page_count);
    if !in_frame {
        return Err(KernelError::InvalidArgument);
    }
    let mapping = Mapping {
        address_space,
        virtual_address: address,
        page_count: pages,
    };
    pay_for_one_more_record(kernel, address_space)?;
    kernel
        .capabilities
        .record_mapping_at(frame_slot, mapping, first_page)
        .map_err(errors::record_mapping)?;

    let tables = kernel
        .address_spaces
        .get(address_space)
        .map_or(0, |space| space.page_tables);
    let mut new_tables = 0u64;
    let mut allocate_table = || {
        if tables + new_tables >= MAXIMUM_PAGE_TABLES {
            return false;
        }
        new_tables += 1;
        true
    };
    // The frame's pages are covered by the capability just checked.
    let (mapped, failure) = root.map_range(
        address,
        frame.physical_address + first_page * PAGE_SIZE,
        pages,
        access,
        &mut allocate_table,
    );
    if let Some(space) = kernel.address_spaces.get_mut(address_space) {
        space.page_tables += new_tables;
    }
    if let Some(error) = failure {
        // Undoing the mappings made above.
        root.unmap_range(address, mapped);
        let _ = kernel.capabilities.forget_mappings(mapping);
        return Err(match error {
            PagingFailure::AlreadyMapped => KernelError::AlreadyMapped,
            PagingFailure::NotMapped => KernelError::NotMapped,
            PagingFailure::OutOfFrames => KernelError::OutOfMemory,
            PagingFailure::InvalidAddress => KernelError::InvalidAddress,
        });
    }
    Ok([0; 6])
}

pub fn unmap(
    kernel: &mut KernelState,
    caller: Caller,
    address_space_slot: Slot,
    address: u64,
    pages: u64,
) -> Result {
    let (address_space, root) = address_space(kernel, caller, address_space_slot)?;
    check_range(address, pages)?;
    for page in 0..pages {
        if root.translate(address + page * PAGE_SIZE).is_none() {
            return Err(KernelError::NotMapped);
        }
    }
    // Unmapping the middle of a record splits it in two.
    pay_for_one_more_record(kernel, address_space)?;
    let _ = kernel
        .capabilities
        .forget_mappings(Mapping {
            address_space,
            virtual_address: address,
            page_count: pages,
        })
        .map_err(errors::range)?;
    // Every page was checked mapped above.
    root.unmap_range(address, pages);
    Ok([0; 6])
}

pub fn protect(
    kernel: &mut KernelState,
    caller: Caller,
    address_space_slot: Slot,
    address: u64,
    pages: u64,
    rights: Rights,
) -> Result {
    let (address_space, root) = address_space(kernel, caller, address_space_slot)?;
    let access = page_access(rights)?;
    check_range(address, pages)?;
    let end = address + pages * PAGE_SIZE;
    // Every page must be recorded (so mapped), within the rights of the capability that
    // mapped it: checked a record at a time, before anything changes.
    let mut at = address;
    while at < end {
        let (mapping, handle) = kernel
            .capabilities
            .find_mapping(address_space, at)
            .ok_or(KernelError::NotMapped)?;
        let authority = kernel
            .capabilities
            .capability(handle)
            .map(|capability| capability.rights)
            .ok_or(KernelError::NotMapped)?;
        if !authority.contains(rights) {
            return Err(KernelError::InsufficientRights);
        }
        at = mapping.virtual_address + mapping.page_count * PAGE_SIZE;
    }
    // Every page was checked recorded, within its capability's rights.
    root.protect_range(address, pages, access)
        .map_err(|_| KernelError::NotMapped)?;
    Ok([0; 6])
}

pub fn map_batch(
    kernel: &mut KernelState,
    caller: Caller,
    address_space_slot: Slot,
    operations: u64,
    count: u64,
) -> Result {
    map_batch_through(
        kernel,
        caller,
        caller.space,
        address_space_slot,
        operations,
        count,
    )
}

/// `EnvironmentMapBatch`: a `MapBatch` whose `Map` entries name frame capabilities in the
/// capability space of the environment in `environment` (CONTROL on it), so that the mappings
/// belong to that environment's capabilities (fork: the parent maps the child's memory through
/// the child's own copies, and nothing has to be re-mapped when the parent's go).
pub fn environment_map_batch(
    kernel: &mut KernelState,
    caller: Caller,
    environment: Slot,
    address_space_slot: Slot,
    operations: u64,
    count: u64,
) -> Result {
    if count > MapOperation::MAXIMUM_BATCH {
        return Err(KernelError::InvalidArgument);
    }
    let frame_space = living_environment_space(kernel, caller, environment)?;
    map_batch_through(
        kernel,
        caller,
        frame_space,
        address_space_slot,
        operations,
        count,
    )
}

/// The capability space of the environment `environment` names (CONTROL), which must not have
/// ended.
fn living_environment_space(
    kernel: &KernelState,
    caller: Caller,
    environment: Slot,
) -> core::result::Result<SpaceId, KernelError> {
    let capability = kernel
        .capabilities
        .lookup_kind(
            caller.slot(environment),
            exokernel_capability::ObjectKind::Environment,
            Rights::CONTROL,
        )
        .map_err(errors::lookup)?;
    let Object::Environment(target) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    match kernel.environments.get(target) {
        Some(environment) if !environment.has_ended() => Ok(environment.space),
        _ => Err(KernelError::InvalidState),
    }
}

/// `EnvironmentFrameCopy`: copies of pages of the caller's own address space in new one-page
/// frames from `quota`, their capabilities put into the capability space of the environment in
/// `environment` (CONTROL). Each entry is done or not as a whole; an entry that fails (or
/// cannot be read) stops the batch, and the caller learns how many were done.
pub fn environment_frame_copy(
    kernel: &mut KernelState,
    caller: Caller,
    environment: Slot,
    quota: Slot,
    address_space_slot: Slot,
    copies: u64,
    count: u64,
) -> Result {
    if count > PageCopy::MAXIMUM_BATCH {
        return Err(KernelError::InvalidArgument);
    }
    let frame_space = living_environment_space(kernel, caller, environment)?;
    let (_, root) = address_space(kernel, caller, address_space_slot)?;
    // Only the caller's own pages: it can read them anyway, and nobody learns through this
    // what another address space holds.
    if root != caller.root {
        return Err(KernelError::InvalidArgument);
    }
    let entry_size = core::mem::size_of::<PageCopy>() as u64;
    for index in 0..count {
        let done = read_user::<PageCopy>(caller.root, copies + index * entry_size)
            .map_err(|_| KernelError::InvalidAddress)
            .and_then(|copy| copy_page_into(kernel, caller, frame_space, quota, root, copy));
        if let Err(error) = done {
            return Ok([index, error.code(), 0, 0, 0, 0]);
        }
    }
    Ok([count, 0, 0, 0, 0, 0])
}

/// One entry of [`environment_frame_copy`].
fn copy_page_into(
    kernel: &mut KernelState,
    caller: Caller,
    frame_space: SpaceId,
    quota: Slot,
    root: UserPageTables,
    copy: PageCopy,
) -> core::result::Result<(), KernelError> {
    use exokernel_abi::{Argument, PageAddress};
    let address = PageAddress::decode(copy.address)?.0;
    let destination = SlotAddress::new(frame_space, copy.destination);
    let (source, _) = root.translate(address).ok_or(KernelError::NotMapped)?;
    kernel
        .capabilities
        .check_empty(destination)
        .map_err(errors::destination)?;
    let charge = kernel
        .capabilities
        .charge(caller.slot(quota), 1)
        .map_err(errors::charge)?;
    let Some(physical_address) = physical::allocate_copies(&[source & !(PAGE_SIZE - 1)]) else {
        kernel.capabilities.refund(charge);
        return Err(KernelError::OutOfMemory);
    };
    if let Err(error) =
        kernel
            .capabilities
            .create_frame(charge, destination, physical_address, Rights::all())
    {
        let _ = physical::free_frame(physical_address);
        return Err(errors::create_frame(error));
    }
    Ok(())
}

fn map_batch_through(
    kernel: &mut KernelState,
    caller: Caller,
    frame_space: SpaceId,
    address_space_slot: Slot,
    operations: u64,
    count: u64,
) -> Result {
    if count > MapOperation::MAXIMUM_BATCH {
        return Err(KernelError::InvalidArgument);
    }
    let entry_size = core::mem::size_of::<MapOperation>() as u64;
    // The batch as a whole works on at most as many pages as one call may.
    let mut pages_left = PageCount::MAXIMUM;
    for index in 0..count {
        // An unreadable entry stops the batch like a failing one: the caller learns how many
        // entries were applied either way.
        let applied = read_user::<MapOperation>(caller.root, operations + index * entry_size)
            .map_err(|_| KernelError::InvalidAddress)
            .and_then(|operation| {
                pages_left = pages_left
                    .checked_sub(operation.page_count)
                    .ok_or(KernelError::InvalidArgument)?;
                apply(kernel, caller, frame_space, address_space_slot, &operation)
            });
        if let Err(error) = applied {
            return Ok([index, error.code(), 0, 0, 0, 0]);
        }
    }
    Ok([count, 0, 0, 0, 0, 0])
}

fn apply(
    kernel: &mut KernelState,
    caller: Caller,
    frame_space: SpaceId,
    address_space_slot: Slot,
    operation: &MapOperation,
) -> Result {
    use exokernel_abi::{Argument, PageAddress};
    let address = PageAddress::decode(operation.virtual_address)?.0;
    let pages = PageCount::decode(operation.page_count)?.0;
    let rights = || <Rights as Argument>::decode(operation.rights);
    match operation.kind {
        kind if kind == MapOperationKind::Map as u64 => {
            let frame = Slot::decode(operation.frame)?;
            map_through(
                kernel,
                caller,
                address_space_slot,
                SlotAddress::new(frame_space, u64::from(frame.0)),
                address,
                operation.first_page,
                pages,
                rights()?,
            )
        }
        kind if kind == MapOperationKind::Unmap as u64 => {
            unmap(kernel, caller, address_space_slot, address, pages)
        }
        kind if kind == MapOperationKind::Protect as u64 => protect(
            kernel,
            caller,
            address_space_slot,
            address,
            pages,
            rights()?,
        ),
        _ => Err(KernelError::InvalidArgument),
    }
}

const _: () = assert!(ObjectKind::Frame as u64 == 2);

/// `MappingList`: [`mapping_next`]'s words for up to `capacity` records from `address` on,
/// written to `buffer` in the caller's memory (five words each); returns how many were
/// written and whether more follow.
pub fn mapping_list(
    kernel: &mut KernelState,
    caller: Caller,
    address_space_slot: Slot,
    address: u64,
    buffer: u64,
    capacity: u64,
) -> Result {
    if capacity > MAPPING_LIST_MAXIMUM {
        return Err(KernelError::InvalidArgument);
    }
    // Checked before anything is written.
    let (space_id, _) = address_space(kernel, caller, address_space_slot)?;
    let entry_size = 5 * core::mem::size_of::<u64>() as u64;
    let mut next = address;
    for index in 0..capacity {
        let words = match mapping_next(kernel, caller, address_space_slot, next) {
            Ok(words) => words,
            Err(KernelError::NotMapped) => return Ok([index, 0, 0, 0, 0, 0]),
            Err(error) => return Err(error),
        };
        let entry: [u64; 5] = [words[0], words[1], words[2], words[3], words[4]];
        write_user(caller.root, buffer + index * entry_size, &entry)
            .map_err(|_| KernelError::InvalidAddress)?;
        next = words[0] + words[1] * PAGE_SIZE;
    }
    let more = kernel.capabilities.next_mapping(space_id, next).is_some();
    Ok([capacity, u64::from(more), 0, 0, 0, 0])
}

/// The first mapping record of the address space at or after `address`, so a LibOS can read
/// back what it has mapped (for fork): `[virtual address, page count, slot of the frame
/// capability that made it in the caller's space or u64::MAX, the record's first page within that
/// frame, the access of its first page (READ | WRITE | EXECUTE bits)]`.
pub fn mapping_next(
    kernel: &mut KernelState,
    caller: Caller,
    address_space_slot: Slot,
    address: u64,
) -> Result {
    let (address_space, root) = address_space(kernel, caller, address_space_slot)?;
    let (mapping, handle, first_page) = kernel
        .capabilities
        .next_mapping(address_space, address)
        .ok_or(KernelError::NotMapped)?;
    let location = kernel.capabilities.location(handle);
    let slot = location
        .filter(|location| location.space == caller.space)
        .map_or(u64::MAX, |location| location.slot);
    let access = root
        .translate(mapping.virtual_address)
        .map_or(0, |(_, access)| {
            let mut rights = Rights::READ;
            // Any writable page makes the record writable: pages behind a read-only first page
            // may have been made writable since (`Protect`, `FRAME_COPY_REUSE`).
            if access.write
                || root.any_writable(
                    mapping.virtual_address + PAGE_SIZE,
                    mapping.page_count.saturating_sub(1),
                )
            {
                rights |= Rights::WRITE;
            }
            if access.execute {
                rights |= Rights::EXECUTE;
            }
            u64::from(rights.bits())
        });
    Ok([
        mapping.virtual_address,
        mapping.page_count,
        slot,
        first_page,
        access,
        0,
    ])
}
