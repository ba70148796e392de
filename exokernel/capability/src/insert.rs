//! Inserting original capabilities: the first capability to an object the kernel just created.

use crate::derivation::CapabilityHandle;
use crate::object::Object;
use crate::quota::PaidBy;
use crate::space::{DestinationError, SlotAddress};
use crate::system::CapabilitySystem;
use crate::{Capability, Rights};
use core::fmt;

/// Why an original capability could not be inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertError {
    /// The destination slot cannot take a capability.
    Destination(DestinationError),
    /// Capabilities to this object already exist: an original is the first one, so the kernel
    /// is reusing an id it has not been told to destroy.
    AlreadyReferenced,
    /// Memory quotas and quota-paid frames are made by [`CapabilitySystem::create_quota`],
    /// [`CapabilitySystem::split_quota`] and [`CapabilitySystem::create_frame`], which keep the
    /// accounting straight.
    NotAnOriginal,
    /// The quota capability a charge was made through is gone, so the object would have no
    /// place under the quota that pays for it.
    QuotaCapabilityGone,
}

impl fmt::Display for InsertError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Destination(error) => error.fmt(formatter),
            Self::AlreadyReferenced => formatter.write_str("object already has capabilities"),
            Self::NotAnOriginal => {
                formatter.write_str("quotas and quota-paid frames need their own constructor")
            }
            Self::QuotaCapabilityGone => {
                formatter.write_str("the charged quota capability is gone")
            }
        }
    }
}

impl core::error::Error for InsertError {}

impl CapabilitySystem {
    /// Inserts the original capability to an object the kernel just created (an environment, an
    /// endpoint, a device frame, an interrupt line), as a root of the derivation tree.
    ///
    /// # Errors
    ///
    /// [`InsertError::Destination`] if the slot is unusable, [`InsertError::AlreadyReferenced`]
    /// if capabilities to `object` exist, [`InsertError::NotAnOriginal`] for a memory quota or a
    /// frame with a quota.
    pub fn insert_original(
        &mut self,
        destination: SlotAddress,
        object: Object,
        rights: Rights,
    ) -> Result<CapabilityHandle, InsertError> {
        match object {
            Object::MemoryQuota(_) | Object::Frame(crate::Frame { quota: Some(_), .. }) => {
                return Err(InsertError::NotAnOriginal);
            }
            _ => {}
        }
        if self.references.contains_key(&object) {
            return Err(InsertError::AlreadyReferenced);
        }
        let capability = Capability {
            object,
            rights,
            badge: None,
        };
        self.place(destination, capability, None)
            .map_err(InsertError::Destination)
    }

    /// Inserts the original capability to an object a quota paid for (an environment, an
    /// address space, an endpoint, a notification), as a child of the quota capability the
    /// charge was made through. Revoking that quota capability (or any ancestor) therefore
    /// removes the original and every capability derived from it, wherever they are — so every
    /// object a quota paid for dies when the quota is revoked, whatever capability cycles exist
    /// among those objects. The original's rights are not bounded by the quota capability's:
    /// they are rights to a new object, not to the quota.
    ///
    /// # Errors
    ///
    /// As [`CapabilitySystem::insert_original`], and [`InsertError::QuotaCapabilityGone`] if the
    /// quota capability the charge was made through (`paid_by`, from
    /// [`crate::Charge::paid_by`]) no longer exists.
    pub fn insert_charged(
        &mut self,
        paid_by: PaidBy,
        destination: SlotAddress,
        object: Object,
        rights: Rights,
    ) -> Result<CapabilityHandle, InsertError> {
        match object {
            Object::MemoryQuota(_) | Object::Frame(_) => return Err(InsertError::NotAnOriginal),
            _ => {}
        }
        if self.tree.nodes.get(paid_by.0.0).is_none() {
            return Err(InsertError::QuotaCapabilityGone);
        }
        if self.references.contains_key(&object) {
            return Err(InsertError::AlreadyReferenced);
        }
        let capability = Capability {
            object,
            rights,
            badge: None,
        };
        self.place(destination, capability, Some(paid_by.0.0.index()))
            .map_err(InsertError::Destination)
    }
}
