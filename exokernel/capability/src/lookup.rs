//! Finding a capability: by slot address with its kind and rights checked in one step, or by
//! handle; and identifying what a slot holds.

use crate::capability::Capability;
use crate::derivation::CapabilityHandle;
use crate::space::{SlotAddress, SlotError};
use crate::system::CapabilitySystem;
use core::fmt;
use exokernel_abi::ObjectKind;
use exokernel_abi::Rights;

/// Why a slot did not hold a capability fit for the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupError {
    /// The space id is stale: the space was destroyed.
    NoSuchSpace,
    /// The slot number is not below the space's slot count.
    SlotOutOfRange,
    /// The slot holds no capability.
    EmptySlot,
    /// The capability names a different kind of object.
    WrongKind {
        /// The kind the operation needs.
        expected: ObjectKind,
        /// The kind the capability names.
        found: ObjectKind,
    },
    /// The capability lacks rights the operation needs.
    MissingRights {
        /// The required rights the capability does not have.
        missing: Rights,
    },
}

impl From<SlotError> for LookupError {
    fn from(error: SlotError) -> Self {
        match error {
            SlotError::NoSuchSpace => Self::NoSuchSpace,
            SlotError::SlotOutOfRange => Self::SlotOutOfRange,
            SlotError::EmptySlot => Self::EmptySlot,
        }
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchSpace => formatter.write_str("no such capability space"),
            Self::SlotOutOfRange => formatter.write_str("slot number out of range"),
            Self::EmptySlot => formatter.write_str("slot is empty"),
            Self::WrongKind { expected, found } => write!(
                formatter,
                "capability names {found:?}, operation needs {expected:?}"
            ),
            Self::MissingRights { missing } => {
                write!(formatter, "capability lacks rights {missing:?}")
            }
        }
    }
}

impl core::error::Error for LookupError {}

impl CapabilitySystem {
    /// The capability in `slot`, if it has every right in `required`.
    ///
    /// # Errors
    ///
    /// [`LookupError::NoSuchSpace`], [`LookupError::SlotOutOfRange`],
    /// [`LookupError::EmptySlot`], or [`LookupError::MissingRights`] naming the rights lacking.
    pub fn lookup(&self, slot: SlotAddress, required: Rights) -> Result<&Capability, LookupError> {
        Ok(&self.lookup_node(slot, None, required)?.1.capability)
    }

    /// The capability in `slot`, if it names an object of `kind` and has every right in
    /// `required`.
    ///
    /// # Errors
    ///
    /// As [`CapabilitySystem::lookup`], and [`LookupError::WrongKind`] if the capability names
    /// another kind of object (checked before the rights).
    pub fn lookup_kind(
        &self,
        slot: SlotAddress,
        kind: ObjectKind,
        required: Rights,
    ) -> Result<&Capability, LookupError> {
        Ok(&self.lookup_node(slot, Some(kind), required)?.1.capability)
    }

    /// What `slot` holds: the object, the rights and the badge (a copy; capabilities never
    /// change).
    ///
    /// # Errors
    ///
    /// [`SlotError::NoSuchSpace`], [`SlotError::SlotOutOfRange`] or [`SlotError::EmptySlot`].
    pub fn identify(&self, slot: SlotAddress) -> Result<Capability, SlotError> {
        let index = self.occupant(slot)?;
        self.node(index)
            .map(|node| node.capability)
            .ok_or(SlotError::EmptySlot)
    }

    /// A handle to the capability in `slot`, valid for as long as that capability lives, wherever
    /// it is moved (for a thread blocked on it, say).
    ///
    /// # Errors
    ///
    /// [`SlotError::NoSuchSpace`], [`SlotError::SlotOutOfRange`] or [`SlotError::EmptySlot`].
    pub fn handle(&self, slot: SlotAddress) -> Result<CapabilityHandle, SlotError> {
        let index = self.occupant(slot)?;
        self.handle_of(index).ok_or(SlotError::EmptySlot)
    }

    /// The capability behind `handle`, or `None` if it has been deleted or revoked.
    #[must_use]
    pub fn capability(&self, handle: CapabilityHandle) -> Option<&Capability> {
        Some(&self.tree.nodes.get(handle.0)?.capability)
    }

    /// Where the capability behind `handle` is now, or `None` if it has been deleted or revoked.
    #[must_use]
    pub fn location(&self, handle: CapabilityHandle) -> Option<SlotAddress> {
        Some(self.tree.nodes.get(handle.0)?.location)
    }

    /// The node index and node in `slot`, checked for kind and rights.
    pub(crate) fn lookup_node(
        &self,
        slot: SlotAddress,
        kind: Option<ObjectKind>,
        required: Rights,
    ) -> Result<(usize, &crate::derivation::Node), LookupError> {
        let index = self.occupant(slot)?;
        let node = self.node(index).ok_or(LookupError::EmptySlot)?;
        let found = node.capability.object.kind();
        if let Some(expected) = kind
            && expected != found
        {
            return Err(LookupError::WrongKind { expected, found });
        }
        let missing = required.difference(node.capability.rights);
        if !missing.is_empty() {
            return Err(LookupError::MissingRights { missing });
        }
        Ok((index, node))
    }
}
