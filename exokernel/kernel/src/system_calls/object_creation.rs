//! Creating a kernel object that a memory quota pays for: check the destination slot, charge the
//! quota, build and store the object, insert its original capability below the paying quota's — and undo all of it if any
//! step fails, so a failed call changes nothing.

use exokernel_abi::{KernelError, Rights, Slot};
use exokernel_capability::{Charge, Object};

use super::{Caller, errors};
use crate::kernel_state::KernelState;
use crate::objects::table::{ObjectTable, TableFull};

/// How to make, store, name and tear down one kind of charged object.
pub struct ObjectKindOperations<T> {
    /// The table the objects live in.
    pub table: fn(&mut KernelState) -> &mut ObjectTable<T>,
    /// The capability object naming the one with this id.
    pub object: fn(u32) -> Object,
    /// Releases everything a built object holds, its charge included.
    pub undo: fn(&mut KernelState, T),
}

/// Creates an object charged `pages` to `quota` and puts its original capability (all rights)
/// at `destination`. `build` turns the charge into the object; if it fails it must refund the
/// charge itself. Returns the new object's id.
///
/// # Errors
/// Destination, quota and insertion errors, `build`'s error, or `OutOfMemory` when the table
/// is full.
pub fn create<T>(
    kernel: &mut KernelState,
    caller: Caller,
    quota: Slot,
    destination: Slot,
    pages: u64,
    build: impl FnOnce(&mut KernelState, Charge) -> Result<T, KernelError>,
    operations: &ObjectKindOperations<T>,
) -> Result<u32, KernelError> {
    kernel
        .capabilities
        .check_empty(caller.slot(destination))
        .map_err(errors::destination)?;
    let charge = kernel
        .capabilities
        .charge(caller.slot(quota), pages)
        .map_err(errors::charge)?;
    let paid_by = charge.paid_by();
    let built = build(kernel, charge)?;
    let id = match (operations.table)(kernel).insert(built) {
        Ok(id) => id,
        Err(TableFull(built)) => {
            (operations.undo)(kernel, built);
            return Err(KernelError::OutOfMemory);
        }
    };
    // The original sits below the quota capability that paid, so revoking the quota
    // destroys the object whatever capabilities to it exist.
    let inserted = kernel.capabilities.insert_charged(
        paid_by,
        caller.slot(destination),
        (operations.object)(id),
        Rights::all(),
    );
    if let Err(error) = inserted {
        if let Some(built) = (operations.table)(kernel).remove(id) {
            (operations.undo)(kernel, built);
        }
        return Err(errors::insert(error));
    }
    Ok(id)
}

/// Refunds an optional charge.
pub fn refund(kernel: &mut KernelState, charge: Option<Charge>) {
    if let Some(charge) = charge {
        kernel.capabilities.refund(charge);
    }
}
