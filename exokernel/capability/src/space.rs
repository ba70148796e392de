//! Capability spaces (one per environment) and how their slots are addressed.
//!
//! A slot number comes straight from a user register, so it is a `u64` here and every use is
//! range-checked; a space id is issued by this crate and checked against its generation, so the
//! kernel keeping one past [`crate::CapabilitySystem::destroy_space`] gets an error, not a reused
//! space.

use crate::arena::ArenaHandle;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

/// The most slots one capability space may have; bounds the kernel memory a space creation can
/// demand.
pub const MAXIMUM_SLOTS: u64 = 1 << 16;

/// Names one capability space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpaceId(pub(crate) ArenaHandle);

/// The address of one slot: which space, and which slot in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotAddress {
    /// The capability space.
    pub space: SpaceId,
    /// The slot number, unchecked until used.
    pub slot: u64,
}

impl SlotAddress {
    /// The address of `slot` in `space`.
    #[must_use]
    pub const fn new(space: SpaceId, slot: u64) -> Self {
        Self { space, slot }
    }
}

/// Kernel heap bytes one capability slot may cost at most: the slot itself, and the
/// derivation-tree node of the capability it can hold, twice over because the node arena grows
/// by doubling. The kernel charges a new space's quota this much per slot, so filling slots
/// never makes the kernel spend memory nobody paid for (a host test checks the bound).
pub const KERNEL_BYTES_PER_SLOT: u64 = 320;

/// Kernel heap bytes one mapping record may cost at most: its entries in the by-address and
/// by-capability indices, with the B-tree nodes' slack. The kernel charges an address space's
/// quota a page per `4096 / KERNEL_BYTES_PER_MAPPING_RECORD` records it holds.
pub const KERNEL_BYTES_PER_MAPPING_RECORD: u64 = 256;

/// The slots of one space; each holds the index of the derivation-tree node of its capability.
pub(crate) struct Space {
    slots: Vec<Option<usize>>,
}

impl Space {
    pub(crate) fn new(slot_count: usize) -> Self {
        Self {
            slots: vec![None; slot_count],
        }
    }

    pub(crate) fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// What the slot holds, or `None` if `slot` is out of range.
    pub(crate) fn get(&self, slot: u64) -> Option<Option<usize>> {
        self.slots.get(usize::try_from(slot).ok()?).copied()
    }

    /// The first occupied slot in `from .. end`, `end` clamped to the slot count.
    pub(crate) fn next_occupied(&self, from: u64, end: u64) -> Option<u64> {
        let end = usize::try_from(end)
            .unwrap_or(usize::MAX)
            .min(self.slots.len());
        let from = usize::try_from(from).ok()?;
        let offset = self
            .slots
            .get(from..end)?
            .iter()
            .position(Option::is_some)?;
        u64::try_from(from + offset).ok()
    }

    pub(crate) fn get_mut(&mut self, slot: u64) -> Option<&mut Option<usize>> {
        self.slots.get_mut(usize::try_from(slot).ok()?)
    }

    /// The occupied slots with the node each holds.
    pub(crate) fn occupied(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.slots
            .iter()
            .zip(0_u64..)
            .filter_map(|(node, slot)| Some((slot, (*node)?)))
    }
}

/// Why a slot that should hold a capability could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotError {
    /// The space id is stale: the space was destroyed.
    NoSuchSpace,
    /// The slot number is not below the space's slot count.
    SlotOutOfRange,
    /// The slot holds no capability.
    EmptySlot,
}

/// Why a slot that should receive a new capability could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationError {
    /// The space id is stale: the space was destroyed.
    NoSuchSpace,
    /// The slot number is not below the space's slot count.
    SlotOutOfRange,
    /// The slot already holds a capability.
    SlotOccupied,
}

/// Why a capability space could not be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateSpaceError {
    /// The slot count is zero or above [`MAXIMUM_SLOTS`].
    InvalidSlotCount,
}

/// The space id is stale: the space was destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoSuchSpace;

impl fmt::Display for SlotError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::NoSuchSpace => "no such capability space",
            Self::SlotOutOfRange => "slot number out of range",
            Self::EmptySlot => "slot is empty",
        })
    }
}

impl fmt::Display for DestinationError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::NoSuchSpace => "no such capability space",
            Self::SlotOutOfRange => "destination slot number out of range",
            Self::SlotOccupied => "destination slot is occupied",
        })
    }
}

impl fmt::Display for CreateSpaceError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidSlotCount => write!(
                formatter,
                "slot count must be between 1 and {MAXIMUM_SLOTS}"
            ),
        }
    }
}

impl fmt::Display for NoSuchSpace {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("no such capability space")
    }
}

impl core::error::Error for SlotError {}
impl core::error::Error for DestinationError {}
impl core::error::Error for CreateSpaceError {}
impl core::error::Error for NoSuchSpace {}
