//! Memory calls: quota splitting, frame allocation, address-space creation, and the secure
//! binding of frames into address spaces (map, unmap, protect, batches of them).

use exokernel_abi::{
    KernelError, MapOperation, MapOperationKind, ObjectKind, PAGE_SIZE, PageCount, QuotaPages,
    Rights, Slot, USER_ADDRESS_LIMIT,
};
use exokernel_capability::{Mapping, Object, SlotAddress, SpaceId};

use super::object_creation::{self, ObjectKindOperations, refund};
use super::{Caller, errors};
use crate::arch::user_memory::read_user;
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
    let mut failure = None;
    let mut mapped = 0;
    for page in 0..pages {
        let physical_address = frame.physical_address + (first_page + page) * PAGE_SIZE;
        // The frame page is covered by the capability just checked.
        match root.map(
            address + page * PAGE_SIZE,
            physical_address,
            access,
            &mut allocate_table,
        ) {
            Ok(()) => mapped += 1,
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    if let Some(space) = kernel.address_spaces.get_mut(address_space) {
        space.page_tables += new_tables;
    }
    if let Some(error) = failure {
        for page in 0..mapped {
            // Undoing the mappings made above.
            let _ = root.unmap(address + page * PAGE_SIZE);
        }
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
    for page in 0..pages {
        // Every page was checked mapped above.
        let _ = root.unmap(address + page * PAGE_SIZE);
    }
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
    for page in 0..pages {
        let virtual_address = address + page * PAGE_SIZE;
        if root.translate(virtual_address).is_none() {
            return Err(KernelError::NotMapped);
        }
        let authority = kernel
            .capabilities
            .find_mapping(address_space, virtual_address)
            .and_then(|(_, handle)| kernel.capabilities.capability(handle))
            .map(|capability| capability.rights)
            .ok_or(KernelError::NotMapped)?;
        if !authority.contains(rights) {
            return Err(KernelError::InsufficientRights);
        }
    }
    for page in 0..pages {
        // Every page was checked mapped, within its capability's rights.
        let _ = root.protect(address + page * PAGE_SIZE, access);
    }
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
    let frame_space = match kernel.environments.get(target) {
        Some(environment) if !environment.has_ended() => environment.space,
        _ => return Err(KernelError::InvalidState),
    };
    map_batch_through(
        kernel,
        caller,
        frame_space,
        address_space_slot,
        operations,
        count,
    )
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
            if access.write {
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
