//! Recording and forgetting mappings: the kernel's side of the mapping database.
//!
//! The kernel records a mapping after it has put a frame into an address space's page tables,
//! and forgets it when the user unmaps the pages or the address space is torn down. Records of a
//! removed capability come back as [`crate::Release::Unmap`] from delete and revoke.

use crate::Rights;
use crate::derivation::CapabilityHandle;
use crate::lookup::LookupError;
use crate::mapping_database::Mapping;
use crate::object::Object;
use crate::space::SlotAddress;
use crate::system::CapabilitySystem;
use alloc::vec::Vec;
use core::fmt;
use exokernel_abi::ObjectKind;

/// Why a run of pages is not a valid range of virtual memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// The range has no pages.
    ZeroPages,
    /// The virtual address is not a multiple of [`crate::PAGE_SIZE`].
    Unaligned,
    /// The range runs past the end of the address space.
    Overflow,
}

/// Why a mapping could not be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordMappingError {
    /// The slot holds no frame capability with [`Rights::MAP`].
    Frame(LookupError),
    /// The virtual range is malformed.
    Range(RangeError),
    /// The mapping has more pages than the frame.
    LargerThanFrame,
    /// Part of the range is already recorded as mapped in that address space.
    Overlaps,
}

impl fmt::Display for RangeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::ZeroPages => "range has no pages",
            Self::Unaligned => "virtual address is not page aligned",
            Self::Overflow => "range runs past the end of the address space",
        })
    }
}

impl fmt::Display for RecordMappingError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(error) => write!(formatter, "frame: {error}"),
            Self::Range(error) => error.fmt(formatter),
            Self::LargerThanFrame => formatter.write_str("mapping is larger than the frame"),
            Self::Overlaps => formatter.write_str("range overlaps an existing mapping"),
        }
    }
}

impl core::error::Error for RangeError {}
impl core::error::Error for RecordMappingError {}

/// The end of the range, after checking it is well formed.
fn checked_end(mapping: &Mapping) -> Result<u64, RangeError> {
    if mapping.page_count == 0 {
        return Err(RangeError::ZeroPages);
    }
    if !mapping.virtual_address.is_multiple_of(crate::PAGE_SIZE) {
        return Err(RangeError::Unaligned);
    }
    mapping.end().ok_or(RangeError::Overflow)
}

impl CapabilitySystem {
    /// Records that `mapping` was made with the frame capability in `frame`, so that deleting
    /// or revoking that capability reports it for unmapping.
    ///
    /// # Errors
    ///
    /// [`RecordMappingError::Frame`] if the slot holds no frame capability with
    /// [`Rights::MAP`], [`RecordMappingError::Range`], [`RecordMappingError::LargerThanFrame`],
    /// or [`RecordMappingError::Overlaps`] if a recorded mapping covers part of the range.
    pub fn record_mapping(
        &mut self,
        frame: SlotAddress,
        mapping: Mapping,
    ) -> Result<(), RecordMappingError> {
        self.record_mapping_at(frame, mapping, 0)
    }

    /// [`CapabilitySystem::record_mapping`] for a mapping of the frame's pages from
    /// `first_page` on, remembered so [`CapabilitySystem::next_mapping`] can report it.
    ///
    /// # Errors
    ///
    /// As [`CapabilitySystem::record_mapping`]; [`RecordMappingError::LargerThanFrame`] also
    /// when `first_page + page_count` runs past the frame.
    pub fn record_mapping_at(
        &mut self,
        frame: SlotAddress,
        mapping: Mapping,
        first_page: u64,
    ) -> Result<(), RecordMappingError> {
        let (index, node) = self
            .lookup_node(frame, Some(ObjectKind::Frame), Rights::MAP)
            .map_err(RecordMappingError::Frame)?;
        let Object::Frame(frame_object) = node.capability.object else {
            return Err(RecordMappingError::Frame(LookupError::WrongKind {
                expected: ObjectKind::Frame,
                found: node.capability.object.kind(),
            }));
        };
        let end = checked_end(&mapping).map_err(RecordMappingError::Range)?;
        let fits = first_page
            .checked_add(mapping.page_count)
            .is_some_and(|end| end <= frame_object.page_count);
        if !fits {
            return Err(RecordMappingError::LargerThanFrame);
        }
        if self
            .mappings
            .overlaps(mapping.address_space, mapping.virtual_address, end)
        {
            return Err(RecordMappingError::Overlaps);
        }
        self.mappings.insert(mapping, index, first_page);
        Ok(())
    }

    /// Forgets the recorded pages in `range` (the user unmapped them), trimming or splitting
    /// records that extend beyond it, and returns the pieces that were recorded.
    ///
    /// # Errors
    ///
    /// [`RangeError`] if the range is malformed.
    pub fn forget_mappings(&mut self, range: Mapping) -> Result<Vec<Mapping>, RangeError> {
        let end = checked_end(&range)?;
        Ok(self
            .mappings
            .remove_range(range.address_space, range.virtual_address, end))
    }

    /// The recorded mapping covering `address` in `address_space` and the capability it was made
    /// through, so the kernel can check a change of page rights (`Protect`) against that
    /// capability's rights. `None` if no record covers the address.
    #[must_use]
    pub fn find_mapping(
        &self,
        address_space: u32,
        address: u64,
    ) -> Option<(Mapping, CapabilityHandle)> {
        let (mapping, index) = self.mappings.find(address_space, address)?;
        Some((mapping, self.handle_of(index)?))
    }

    /// Whether the capability `handle` names holds its object alone: it is the only capability
    /// naming it, and every mapping made through it is in `address_space`. For a frame, nobody
    /// but the holder of that address space can reach its pages (mappings of capabilities
    /// already removed may still wait in the kernel's unmap queue: the kernel checks that
    /// apart). A LibOS's copy-on-write fault on such a page needs no copy.
    #[must_use]
    pub fn is_sole_holder(&self, handle: CapabilityHandle, address_space: u32) -> bool {
        let Some(node) = self.tree.nodes.get(handle.0) else {
            return false;
        };
        self.references.get(&node.capability.object) == Some(&1)
            && self
                .mappings
                .node_maps_only_into(handle.0.index(), address_space)
    }

    /// The first recorded mapping of `address_space` that covers `address` or starts after it,
    /// the capability it was made through and the page of that frame it maps first: how a LibOS
    /// reads back what it has mapped.
    #[must_use]
    pub fn next_mapping(
        &self,
        address_space: u32,
        address: u64,
    ) -> Option<(Mapping, CapabilityHandle, u64)> {
        let (mapping, index) = self.mappings.next(address_space, address)?;
        let first_page = self
            .mappings
            .first_page(address_space, mapping.virtual_address)?;
        Some((mapping, self.handle_of(index)?, first_page))
    }

    /// Forgets every record of `address_space` (it is being destroyed, so its page tables go
    /// with it) and returns how many there were. The kernel must finish this before it reuses
    /// the address-space id, or later releases would unmap pages of the new address space.
    pub fn forget_address_space(&mut self, address_space: u32) -> usize {
        self.mappings
            .remove_address_space(address_space, usize::MAX)
            .0
    }

    /// Forgets up to `budget` records of `address_space`, for a teardown in bounded steps;
    /// returns whether none are left.
    pub fn forget_address_space_limited(&mut self, address_space: u32, budget: usize) -> bool {
        self.mappings.remove_address_space(address_space, budget).1
    }

    /// How many mapping records `address_space` has (each record is one run of pages mapped by
    /// one call, trimmed or split by later unmaps); the kernel charges the address space's quota
    /// for them.
    #[must_use]
    pub fn mapping_count(&self, address_space: u32) -> usize {
        self.mappings.count(address_space)
    }
}
