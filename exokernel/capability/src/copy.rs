//! Copy and mint: deriving a new capability, with fewer rights or a badge, from one that may be
//! passed on.

use crate::badge::Badge;
use crate::derivation::CapabilityHandle;
use crate::lookup::LookupError;
use crate::space::{DestinationError, SlotAddress};
use crate::system::CapabilitySystem;
use crate::{Capability, Rights};
use core::fmt;
use exokernel_abi::ObjectKind;

/// Why a capability could not be copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyError {
    /// The source slot holds no capability, or one without [`Rights::GRANT`].
    Source(LookupError),
    /// The destination slot cannot take a capability.
    Destination(DestinationError),
}

/// Why a capability could not be minted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MintError {
    /// The source slot holds no capability, or one without [`Rights::GRANT`].
    Source(LookupError),
    /// The destination slot cannot take a capability.
    Destination(DestinationError),
    /// Only endpoint and notification capabilities carry badges.
    NotBadgeable(ObjectKind),
    /// The source is already badged; a badge, once set, identifies the holder for good.
    AlreadyBadged,
}

impl fmt::Display for CopyError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Source(error) => write!(formatter, "source: {error}"),
            Self::Destination(error) => error.fmt(formatter),
        }
    }
}

impl fmt::Display for MintError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Source(error) => write!(formatter, "source: {error}"),
            Self::Destination(error) => error.fmt(formatter),
            Self::NotBadgeable(kind) => write!(formatter, "{kind:?} capabilities take no badge"),
            Self::AlreadyBadged => formatter.write_str("source capability is already badged"),
        }
    }
}

impl core::error::Error for CopyError {}
impl core::error::Error for MintError {}

impl CapabilitySystem {
    /// Puts into `destination` a child of the capability in `source` with rights
    /// `source rights & mask` and the same badge. The spaces may differ (a transfer over IPC).
    ///
    /// # Errors
    ///
    /// [`CopyError::Source`] if the source is unusable or lacks [`Rights::GRANT`],
    /// [`CopyError::Destination`] if the destination is unusable.
    pub fn copy(
        &mut self,
        source: SlotAddress,
        destination: SlotAddress,
        mask: Rights,
    ) -> Result<CapabilityHandle, CopyError> {
        let (parent, capability) = self
            .lookup_node(source, None, Rights::GRANT)
            .map(|(index, node)| (index, node.capability))
            .map_err(CopyError::Source)?;
        let derived = Capability {
            rights: capability.rights & mask,
            ..capability
        };
        self.place(destination, derived, Some(parent))
            .map_err(CopyError::Destination)
    }

    /// As [`CapabilitySystem::copy`], and, if `badge` is given, sets it on the new capability.
    /// Without a badge this is exactly a copy.
    ///
    /// # Errors
    ///
    /// As [`CapabilitySystem::copy`]; with a badge also [`MintError::NotBadgeable`] unless the
    /// source names an endpoint or notification, and [`MintError::AlreadyBadged`] if it is
    /// badged.
    pub fn mint(
        &mut self,
        source: SlotAddress,
        destination: SlotAddress,
        mask: Rights,
        badge: Option<Badge>,
    ) -> Result<CapabilityHandle, MintError> {
        let (parent, capability) = self
            .lookup_node(source, None, Rights::GRANT)
            .map(|(index, node)| (index, node.capability))
            .map_err(MintError::Source)?;
        let mut derived = Capability {
            rights: capability.rights & mask,
            ..capability
        };
        if let Some(badge) = badge {
            if !capability.object.is_badgeable() {
                return Err(MintError::NotBadgeable(capability.object.kind()));
            }
            if capability.badge.is_some() {
                return Err(MintError::AlreadyBadged);
            }
            derived.badge = Some(badge);
        }
        self.place(destination, derived, Some(parent))
            .map_err(MintError::Destination)
    }
}
