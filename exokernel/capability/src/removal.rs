//! Removing capabilities: delete one, revoke everything derived from one, destroy a whole space;
//! and what each removal releases.
//!
//! Delete removes only the capability itself: its children stay and move up to its parent (seL4's
//! derivation list behaves the same), so revoking any ancestor still reaches them. Revoke removes
//! every descendant and keeps the capability itself, so the holder can hand out fresh copies.

use crate::object::Object;
use crate::quota::QuotaId;
use crate::release::{ReleaseCollector, Releases};
use crate::space::{NoSuchSpace, SlotAddress, SlotError};
use crate::system::CapabilitySystem;
use alloc::vec::Vec;

impl CapabilitySystem {
    /// Deletes the capability in `slot`. Its children are re-parented to its parent (or become
    /// roots). Mappings made through it are released, then its object if this was the last
    /// capability naming it.
    ///
    /// # Errors
    ///
    /// [`SlotError::NoSuchSpace`], [`SlotError::SlotOutOfRange`] or [`SlotError::EmptySlot`].
    pub fn delete(&mut self, slot: SlotAddress) -> Result<Releases, SlotError> {
        let index = self.occupant(slot)?;
        let mut releases = ReleaseCollector::default();
        self.remove_node(index, &mut releases);
        Ok(releases.finish())
    }

    /// Like [`CapabilitySystem::delete`], but in bounded steps: a capability mapped or copied
    /// many times first has its mappings released and its children moved up, `budget` units at
    /// a time. Returns the releases and whether the capability is gone; call again until it is.
    ///
    /// # Errors
    ///
    /// [`SlotError::NoSuchSpace`], [`SlotError::SlotOutOfRange`] or [`SlotError::EmptySlot`].
    pub fn delete_limited(
        &mut self,
        slot: SlotAddress,
        budget: usize,
    ) -> Result<(Releases, bool), SlotError> {
        let index = self.occupant(slot)?;
        let mut releases = ReleaseCollector::default();
        let (_, ready) = self.prepare_removal(index, budget, &mut releases);
        if ready {
            self.remove_prepared(index, &mut releases);
        }
        Ok((releases.finish(), ready))
    }

    /// Deletes every capability derived, directly or not, from the one in `slot`, wherever they
    /// are, and keeps that one. Releases their mappings, then the objects left unreferenced.
    ///
    /// # Errors
    ///
    /// [`SlotError::NoSuchSpace`], [`SlotError::SlotOutOfRange`] or [`SlotError::EmptySlot`].
    pub fn revoke(&mut self, slot: SlotAddress) -> Result<Releases, SlotError> {
        let index = self.occupant(slot)?;
        let mut releases = ReleaseCollector::default();
        // Children after parents in the list, so removing from the back only removes leaves and
        // nothing is re-parented on the way.
        for descendant in self.tree.descendants(index).into_iter().rev() {
            self.remove_node(descendant, &mut releases);
        }
        Ok(releases.finish())
    }

    /// Like [`CapabilitySystem::revoke`], but stops once about `budget` units of work are done
    /// (a unit is one capability removed, one mapping released, or one child moved), so that no
    /// single kernel call does unbounded work. Descendants are removed leaves first, so what is
    /// left after a partial revoke is still a proper subtree and calling again continues where
    /// this call stopped. Returns the releases and whether the revoke is complete.
    ///
    /// # Errors
    ///
    /// [`SlotError::NoSuchSpace`], [`SlotError::SlotOutOfRange`] or [`SlotError::EmptySlot`].
    pub fn revoke_limited(
        &mut self,
        slot: SlotAddress,
        budget: usize,
    ) -> Result<(Releases, bool), SlotError> {
        let root = self.occupant(slot)?;
        let mut releases = ReleaseCollector::default();
        let mut work = 0_usize;
        let mut current = self.tree.nodes.at(root).and_then(|node| node.first_child);
        while let Some(mut node) = current {
            if work >= budget {
                return Ok((releases.finish(), false));
            }
            // Down to a leaf: removing a leaf re-parents nothing.
            while let Some(child) = self.tree.nodes.at(node).and_then(|entry| entry.first_child) {
                node = child;
            }
            let parent = self.tree.nodes.at(node).and_then(|entry| entry.parent);
            let (spent, ready) = self.prepare_removal(node, budget - work, &mut releases);
            work += spent;
            if !ready {
                return Ok((releases.finish(), false));
            }
            self.remove_prepared(node, &mut releases);
            work += 1;
            current = match parent {
                Some(parent) if parent != root => Some(parent),
                _ => self.tree.nodes.at(root).and_then(|entry| entry.first_child),
            };
        }
        Ok((releases.finish(), true))
    }

    /// Deletes up to about `budget` units of the space's capabilities (as
    /// [`CapabilitySystem::destroy_space`], in bounded steps) and destroys the space once it is
    /// empty. Returns the releases and whether the space is gone; call again until it is.
    ///
    /// # Errors
    ///
    /// [`NoSuchSpace`] if the space was already destroyed.
    pub fn destroy_space_limited(
        &mut self,
        space: crate::SpaceId,
        budget: usize,
    ) -> Result<(Releases, bool), NoSuchSpace> {
        let mut releases = ReleaseCollector::default();
        let mut work = 0_usize;
        loop {
            // One pass over the slots collects the next batch, so the scan is paid once per
            // batch rather than once per capability.
            let batch: Vec<usize> = self
                .spaces
                .get(space.0)
                .ok_or(NoSuchSpace)?
                .occupied()
                .take(budget.saturating_sub(work).max(1))
                .map(|(_, index)| index)
                .collect();
            if batch.is_empty() {
                self.spaces.remove(space.0);
                return Ok((releases.finish(), true));
            }
            for index in batch {
                let (spent, ready) =
                    self.prepare_removal(index, budget.saturating_sub(work), &mut releases);
                work += spent;
                if !ready {
                    return Ok((releases.finish(), false));
                }
                self.remove_prepared(index, &mut releases);
                work += 1;
            }
            if work >= budget {
                return Ok((releases.finish(), false));
            }
        }
    }

    /// Deletes every capability in the space (as [`CapabilitySystem::delete`], so capabilities
    /// derived from them in other spaces survive) and destroys the space; its id becomes stale.
    ///
    /// # Errors
    ///
    /// [`NoSuchSpace`] if the space was already destroyed.
    pub fn destroy_space(&mut self, space: crate::SpaceId) -> Result<Releases, NoSuchSpace> {
        let occupants: Vec<usize> = self
            .spaces
            .get(space.0)
            .ok_or(NoSuchSpace)?
            .occupied()
            .map(|(_, index)| index)
            .collect();
        let mut releases = ReleaseCollector::default();
        for index in occupants {
            self.remove_node(index, &mut releases);
        }
        self.spaces.remove(space.0);
        Ok(releases.finish())
    }

    /// Gets a node ready for removal within `budget` units: releases its mappings and moves its
    /// children up to its parent, a bounded number at a time (what `remove_node` would do at
    /// once). Returns the units spent and whether the node is ready — no mappings, no children —
    /// so that removing it is constant work.
    fn prepare_removal(
        &mut self,
        index: usize,
        budget: usize,
        releases: &mut ReleaseCollector,
    ) -> (usize, bool) {
        let (mappings, mappings_left) = self.mappings.remove_node_some(index, budget.max(1));
        let mut work = mappings.len();
        releases.unmap(mappings);
        let parent = self.tree.nodes.at(index).and_then(|node| node.parent);
        while work < budget {
            let Some(child) = self.tree.nodes.at(index).and_then(|node| node.first_child) else {
                break;
            };
            self.tree.move_child_up(child, parent);
            work += 1;
        }
        let has_children = self
            .tree
            .nodes
            .at(index)
            .is_some_and(|node| node.first_child.is_some());
        (work, !mappings_left && !has_children)
    }

    /// Removes a node [`Self::prepare_removal`] found ready (no mappings, no children): its
    /// tree links, its slot, its object reference, without searching its mappings again.
    fn remove_prepared(&mut self, index: usize, releases: &mut ReleaseCollector) {
        let Some(node) = self.tree.remove(index) else {
            return;
        };
        self.set_slot(node.location, None);
        self.release_reference(node.capability.object, releases);
    }

    /// Removes one node: its mappings, its tree links, its slot, its object reference. Returns
    /// the extra work it took: mappings released and children moved up.
    fn remove_node(&mut self, index: usize, releases: &mut ReleaseCollector) -> usize {
        let mappings = self.mappings.remove_node(index);
        let mut work = mappings.len();
        releases.unmap(mappings);
        let mut child = self.tree.nodes.at(index).and_then(|node| node.first_child);
        while let Some(current) = child {
            work += 1;
            child = self
                .tree
                .nodes
                .at(current)
                .and_then(|node| node.next_sibling);
        }
        let Some(node) = self.tree.remove(index) else {
            return work;
        };
        self.set_slot(node.location, None);
        self.release_reference(node.capability.object, releases);
        work
    }

    /// Drops one reference to `object`; the last one makes it unreferenced, which pays a frame's
    /// pages back to its quota and may let a quota retire.
    fn release_reference(&mut self, object: Object, releases: &mut ReleaseCollector) {
        // One search whether or not this was the last reference.
        let alloc::collections::btree_map::Entry::Occupied(mut count) =
            self.references.entry(object)
        else {
            return;
        };
        if *count.get() > 1 {
            *count.get_mut() -= 1;
            return;
        }
        count.remove();
        releases.unreferenced(object);
        match object {
            Object::Frame(frame) => {
                if let Some(quota) = frame.quota {
                    self.quotas.credit(quota, frame.page_count);
                    self.retire_quota_if_done(quota);
                }
            }
            Object::MemoryQuota(quota) => self.retire_quota_if_done(quota),
            _ => {}
        }
    }

    /// Frees the quota's ledger entry once no capability names it and everything it paid for
    /// has come back, returning its budget to the quota it was split from.
    pub(crate) fn retire_quota_if_done(&mut self, quota: QuotaId) {
        let references = &self.references;
        self.quotas.retire_if_done(quota, |candidate| {
            !references.contains_key(&Object::MemoryQuota(candidate))
        });
    }
}
