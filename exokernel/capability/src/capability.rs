//! A capability: an unforgeable reference to one kernel object together with the rights it grants.

use crate::badge::Badge;
use crate::object::Object;
use exokernel_abi::Rights;

/// What one capability slot holds: which object, what may be done to it, and (for endpoints and
/// notifications) the badge identifying the holder to the receiver.
///
/// A capability never changes once created; deriving one makes a new capability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Capability {
    /// The object this capability names.
    pub object: Object,
    /// What the holder may do to the object.
    pub rights: Rights,
    /// The badge minted into an endpoint or notification capability, if any.
    pub badge: Option<Badge>,
}
