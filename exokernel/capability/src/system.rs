//! The capability system: every capability space, the derivation tree, the quota ledger and the
//! mapping database, kept consistent with one another by the operations in the sibling modules.

use crate::arena::Arena;
use crate::capability::Capability;
use crate::derivation::{CapabilityHandle, DerivationTree, Node};
use crate::mapping_database::MappingDatabase;
use crate::object::Object;
use crate::quota::QuotaLedger;
use crate::space::{
    CreateSpaceError, DestinationError, MAXIMUM_SLOTS, SlotAddress, SlotError, Space, SpaceId,
};
use alloc::collections::BTreeMap;

/// All capability state of the kernel. The kernel keeps one, behind a lock, and calls it from its
/// system-call handlers with slot numbers straight from user registers.
pub struct CapabilitySystem {
    pub(crate) spaces: Arena<Space>,
    pub(crate) tree: DerivationTree,
    /// How many capabilities name each object; an object is absent once it is unreferenced.
    pub(crate) references: BTreeMap<Object, usize>,
    pub(crate) quotas: QuotaLedger,
    pub(crate) mappings: MappingDatabase,
}

impl Default for CapabilitySystem {
    fn default() -> Self {
        Self::new()
    }
}

impl CapabilitySystem {
    /// An empty system: no spaces, no capabilities.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            spaces: Arena::new(),
            tree: DerivationTree::new(),
            references: BTreeMap::new(),
            quotas: QuotaLedger::new(),
            mappings: MappingDatabase::new(),
        }
    }

    /// Creates an empty capability space with `slot_count` slots (for a new environment).
    ///
    /// # Errors
    ///
    /// [`CreateSpaceError::InvalidSlotCount`] if `slot_count` is zero or above
    /// [`MAXIMUM_SLOTS`].
    pub fn create_space(&mut self, slot_count: u64) -> Result<SpaceId, CreateSpaceError> {
        if slot_count == 0 || slot_count > MAXIMUM_SLOTS {
            return Err(CreateSpaceError::InvalidSlotCount);
        }
        let slot_count =
            usize::try_from(slot_count).map_err(|_| CreateSpaceError::InvalidSlotCount)?;
        Ok(SpaceId(self.spaces.insert(Space::new(slot_count))))
    }

    /// How many slots the space has, or `None` if it was destroyed.
    #[must_use]
    pub fn slot_count(&self, space: SpaceId) -> Option<u64> {
        let count = self.spaces.get(space.0)?.slot_count();
        u64::try_from(count).ok()
    }

    /// The first occupied slot of `space` in `from .. end` (`end` clamped to the space's size), so
    /// a range of mostly empty slots is walked without a lookup per slot.
    ///
    /// # Errors
    ///
    /// [`NoSuchSpace`] if the space was destroyed.
    pub fn next_occupied(
        &self,
        space: SpaceId,
        from: u64,
        end: u64,
    ) -> Result<Option<u64>, crate::space::NoSuchSpace> {
        let space = self.spaces.get(space.0).ok_or(crate::space::NoSuchSpace)?;
        Ok(space.next_occupied(from, end))
    }

    /// Checks that `destination` exists and is empty, so the kernel can validate a destination
    /// before doing work (allocating pages, blocking in IPC) that would be wasted if it is not.
    ///
    /// # Errors
    ///
    /// [`DestinationError::NoSuchSpace`], [`DestinationError::SlotOutOfRange`] or
    /// [`DestinationError::SlotOccupied`].
    pub fn check_empty(&self, destination: SlotAddress) -> Result<(), DestinationError> {
        let space = self
            .spaces
            .get(destination.space.0)
            .ok_or(DestinationError::NoSuchSpace)?;
        match space.get(destination.slot) {
            None => Err(DestinationError::SlotOutOfRange),
            Some(Some(_)) => Err(DestinationError::SlotOccupied),
            Some(None) => Ok(()),
        }
    }

    /// The node index of the capability in `slot`.
    pub(crate) fn occupant(&self, slot: SlotAddress) -> Result<usize, SlotError> {
        let space = self
            .spaces
            .get(slot.space.0)
            .ok_or(SlotError::NoSuchSpace)?;
        space
            .get(slot.slot)
            .ok_or(SlotError::SlotOutOfRange)?
            .ok_or(SlotError::EmptySlot)
    }

    pub(crate) fn node(&self, index: usize) -> Option<&Node> {
        self.tree.nodes.at(index)
    }

    pub(crate) fn handle_of(&self, index: usize) -> Option<CapabilityHandle> {
        self.tree.nodes.handle_at(index).map(CapabilityHandle)
    }

    /// Puts a new capability into an empty slot, below `parent` in the derivation tree, and
    /// counts the reference to its object.
    pub(crate) fn place(
        &mut self,
        destination: SlotAddress,
        capability: Capability,
        parent: Option<usize>,
    ) -> Result<CapabilityHandle, DestinationError> {
        self.check_empty(destination)?;
        let index = self.tree.add(capability, destination, parent);
        if let Some(space) = self.spaces.get_mut(destination.space.0)
            && let Some(slot) = space.get_mut(destination.slot)
        {
            *slot = Some(index);
        }
        *self.references.entry(capability.object).or_insert(0) += 1;
        self.handle_of(index).ok_or(DestinationError::NoSuchSpace)
    }

    /// Points the slot at `node` (or empties it).
    pub(crate) fn set_slot(&mut self, slot: SlotAddress, node: Option<usize>) {
        if let Some(space) = self.spaces.get_mut(slot.space.0)
            && let Some(entry) = space.get_mut(slot.slot)
        {
            *entry = node;
        }
    }
}
