//! A full consistency check of the capability system, for tests on the host and in the guest.
//!
//! It recomputes from scratch everything the operations maintain incrementally (slot and node
//! agreement, tree links, rights attenuation, reference counts, quota conservation, the mapping
//! indices) and reports the first disagreement. It walks every structure, so it is for tests and
//! debugging, not for every system call.

use crate::object::Object;
use crate::quota::QuotaId;
use crate::space::{SlotAddress, SpaceId};
use crate::system::CapabilitySystem;
use alloc::collections::BTreeMap;
use core::fmt;

/// The first inconsistency [`CapabilitySystem::audit`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditError {
    /// A slot points at a free node or at a node that records another location.
    SlotMismatch,
    /// The number of live capabilities differs from the number of occupied slots.
    NodeCountMismatch,
    /// Parent, child and sibling links disagree, or the parent chain has a cycle.
    BrokenLink,
    /// A capability has rights its parent lacks.
    RightsExceedParent,
    /// An object's reference count differs from the number of capabilities naming it.
    ReferenceCountMismatch,
    /// A quota's budget is not its remaining pages plus its frames, child quotas and charges.
    QuotaNotConserved,
    /// A quota is kept although nothing refers to it, or something refers to a retired quota.
    QuotaLifetime,
    /// A mapping record belongs to no live frame capability, exceeds its frame, overlaps
    /// another record, or the two mapping indices disagree.
    MappingInconsistent,
}

impl fmt::Display for AuditError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            Self::SlotMismatch => "a slot and its capability disagree about its location",
            Self::NodeCountMismatch => "live capabilities and occupied slots differ in number",
            Self::BrokenLink => "derivation tree links are inconsistent",
            Self::RightsExceedParent => "a capability has rights its parent lacks",
            Self::ReferenceCountMismatch => "an object reference count is wrong",
            Self::QuotaNotConserved => "a quota's budget is not conserved",
            Self::QuotaLifetime => "a quota is kept too long or retired too early",
            Self::MappingInconsistent => "the mapping database is inconsistent",
        })
    }
}

impl core::error::Error for AuditError {}

impl CapabilitySystem {
    /// Checks every invariant the operations maintain.
    ///
    /// # Errors
    ///
    /// The first [`AuditError`] found; `Ok` means the state is consistent.
    pub fn audit(&self) -> Result<(), AuditError> {
        self.audit_slots()?;
        self.audit_tree()?;
        let references = self.audit_references()?;
        self.audit_quotas(&references)?;
        self.audit_mappings()
    }

    fn audit_slots(&self) -> Result<(), AuditError> {
        let mut occupied = 0_usize;
        for (space_handle, space) in self.spaces.iter() {
            for (slot, index) in space.occupied() {
                let node = self.tree.nodes.at(index).ok_or(AuditError::SlotMismatch)?;
                if node.location != SlotAddress::new(SpaceId(space_handle), slot) {
                    return Err(AuditError::SlotMismatch);
                }
                occupied += 1;
            }
        }
        if occupied == self.tree.nodes.len() {
            Ok(())
        } else {
            Err(AuditError::NodeCountMismatch)
        }
    }

    fn audit_tree(&self) -> Result<(), AuditError> {
        let node_count = self.tree.nodes.len();
        let mut with_parent = 0_usize;
        let mut reached_as_child = 0_usize;
        for (handle, node) in self.tree.nodes.iter() {
            let index = handle.index();
            match node.parent {
                Some(parent) => {
                    with_parent += 1;
                    let parent_node = self.tree.nodes.at(parent).ok_or(AuditError::BrokenLink)?;
                    // An object a quota paid for sits below the quota capability without
                    // being derived from it: its rights are to a new object, not to the quota.
                    let paid_for = matches!(parent_node.capability.object, Object::MemoryQuota(_))
                        && !matches!(
                            node.capability.object,
                            Object::MemoryQuota(_) | Object::Frame(_)
                        );
                    if !paid_for
                        && !parent_node
                            .capability
                            .rights
                            .contains(node.capability.rights)
                    {
                        return Err(AuditError::RightsExceedParent);
                    }
                }
                None => {
                    if node.previous_sibling.is_some() || node.next_sibling.is_some() {
                        return Err(AuditError::BrokenLink);
                    }
                }
            }
            let mut ancestor = node.parent;
            let mut steps = 0_usize;
            while let Some(current) = ancestor {
                steps += 1;
                if current == index || steps > node_count {
                    return Err(AuditError::BrokenLink);
                }
                ancestor = self.tree.nodes.at(current).and_then(|node| node.parent);
            }
            let mut previous = None;
            let mut child = node.first_child;
            while let Some(current) = child {
                reached_as_child += 1;
                if reached_as_child > node_count {
                    return Err(AuditError::BrokenLink);
                }
                let child_node = self.tree.nodes.at(current).ok_or(AuditError::BrokenLink)?;
                if child_node.parent != Some(index) || child_node.previous_sibling != previous {
                    return Err(AuditError::BrokenLink);
                }
                previous = Some(current);
                child = child_node.next_sibling;
            }
        }
        if with_parent == reached_as_child {
            Ok(())
        } else {
            Err(AuditError::BrokenLink)
        }
    }

    /// Checks the reference counts and returns them, recounted.
    fn audit_references(&self) -> Result<BTreeMap<Object, usize>, AuditError> {
        let mut counted: BTreeMap<Object, usize> = BTreeMap::new();
        for (_, node) in self.tree.nodes.iter() {
            *counted.entry(node.capability.object).or_insert(0) += 1;
        }
        if counted == self.references {
            Ok(counted)
        } else {
            Err(AuditError::ReferenceCountMismatch)
        }
    }

    fn audit_quotas(&self, references: &BTreeMap<Object, usize>) -> Result<(), AuditError> {
        let mut outstanding: BTreeMap<QuotaId, u64> = BTreeMap::new();
        let mut add = |quota: QuotaId, pages: u64| -> Result<(), AuditError> {
            let total = outstanding.entry(quota).or_insert(0);
            *total = total
                .checked_add(pages)
                .ok_or(AuditError::QuotaNotConserved)?;
            Ok(())
        };
        for object in references.keys() {
            match object {
                Object::Frame(frame) => {
                    if let Some(quota) = frame.quota {
                        add(quota, frame.page_count)?;
                    }
                }
                Object::MemoryQuota(quota) => add(*quota, 0)?,
                _ => {}
            }
        }
        for (_, quota) in self.quotas.quotas.iter() {
            if let Some(parent) = quota.parent {
                add(parent, quota.balance.budget)?;
            }
        }
        for (handle, quota) in self.quotas.quotas.iter() {
            let id = QuotaId(handle);
            let spent = outstanding
                .remove(&id)
                .unwrap_or(0)
                .checked_add(quota.pending)
                .ok_or(AuditError::QuotaNotConserved)?;
            if quota.balance.remaining.checked_add(spent) != Some(quota.balance.budget) {
                return Err(AuditError::QuotaNotConserved);
            }
            if spent == 0 && !references.contains_key(&Object::MemoryQuota(id)) {
                return Err(AuditError::QuotaLifetime);
            }
        }
        if outstanding.is_empty() {
            Ok(())
        } else {
            Err(AuditError::QuotaLifetime)
        }
    }

    fn audit_mappings(&self) -> Result<(), AuditError> {
        let mut record_count = 0_usize;
        let mut per_address_space: BTreeMap<u32, usize> = BTreeMap::new();
        let mut previous: Option<(u32, u64)> = None;
        for (mapping, index) in self.mappings.iter() {
            record_count += 1;
            *per_address_space.entry(mapping.address_space).or_insert(0) += 1;
            let node = self
                .tree
                .nodes
                .at(index)
                .ok_or(AuditError::MappingInconsistent)?;
            let Object::Frame(frame) = node.capability.object else {
                return Err(AuditError::MappingInconsistent);
            };
            let end = mapping.end().ok_or(AuditError::MappingInconsistent)?;
            let first_page = self
                .mappings
                .first_page(mapping.address_space, mapping.virtual_address)
                .ok_or(AuditError::MappingInconsistent)?;
            if first_page.saturating_add(mapping.page_count) > frame.page_count {
                return Err(AuditError::MappingInconsistent);
            }
            if let Some((address_space, previous_end)) = previous
                && address_space == mapping.address_space
                && previous_end > mapping.virtual_address
            {
                return Err(AuditError::MappingInconsistent);
            }
            previous = Some((mapping.address_space, end));
        }
        let counts_agree = per_address_space
            .iter()
            .all(|(&address_space, &count)| self.mappings.count(address_space) == count);
        if record_count == self.mappings.node_index_len() && counts_agree {
            Ok(())
        } else {
            Err(AuditError::MappingInconsistent)
        }
    }
}
