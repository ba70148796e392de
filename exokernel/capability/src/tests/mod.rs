//! Tests of the capability system: one file of unit tests per operation family, and property
//! tests over random operation sequences.

extern crate std;

mod audit;
mod charged;
mod copy;
mod insert;
mod lookup;
mod mapping;
mod memory;
mod moving;
mod properties;
mod removal;
mod spaces;

use crate::{CapabilitySystem, Object, Release, Releases, Rights, SlotAddress, SpaceId};
use alloc::vec::Vec;

/// A system with two spaces of eight slots each.
pub(super) fn two_spaces() -> (CapabilitySystem, SpaceId, SpaceId) {
    let mut system = CapabilitySystem::new();
    let first = system.create_space(8).expect("valid slot count");
    let second = system.create_space(8).expect("valid slot count");
    (system, first, second)
}

pub(super) fn at(space: SpaceId, slot: u64) -> SlotAddress {
    SlotAddress::new(space, slot)
}

/// Inserts an original endpoint capability with every right.
pub(super) fn endpoint(system: &mut CapabilitySystem, slot: SlotAddress, id: u32) {
    system
        .insert_original(slot, Object::Endpoint(id), Rights::all())
        .expect("empty slot");
}

pub(super) fn unreferenced(releases: &Releases) -> Vec<Object> {
    releases
        .iter()
        .filter_map(|release| match release {
            Release::ObjectUnreferenced(object) => Some(*object),
            Release::Unmap(_) => None,
        })
        .collect()
}

pub(super) fn unmaps(releases: &Releases) -> Vec<crate::Mapping> {
    releases
        .iter()
        .filter_map(|release| match release {
            Release::Unmap(mapping) => Some(*mapping),
            Release::ObjectUnreferenced(_) => None,
        })
        .collect()
}
