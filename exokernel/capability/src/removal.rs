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

    /// Removes one node: its mappings, its tree links, its slot, its object reference.
    fn remove_node(&mut self, index: usize, releases: &mut ReleaseCollector) {
        releases.unmap(self.mappings.remove_node(index));
        let Some(node) = self.tree.remove(index) else {
            return;
        };
        self.set_slot(node.location, None);
        self.release_reference(node.capability.object, releases);
    }

    /// Drops one reference to `object`; the last one makes it unreferenced, which pays a frame's
    /// pages back to its quota and may let a quota retire.
    fn release_reference(&mut self, object: Object, releases: &mut ReleaseCollector) {
        let Some(count) = self.references.get_mut(&object) else {
            return;
        };
        *count = count.saturating_sub(1);
        if *count > 0 {
            return;
        }
        self.references.remove(&object);
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
