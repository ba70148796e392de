//! Spending memory quotas: root quotas, charges that become frames, and child quotas.
//!
//! A frame is created in two steps because the kernel's physical allocator sits between them:
//! [`CapabilitySystem::charge`] takes the budget, the kernel allocates the pages, and
//! [`CapabilitySystem::create_frame`] turns the charge into a frame capability (or
//! [`CapabilitySystem::refund`] returns it if allocation failed). Frames and child quotas are
//! children of the quota capability they came from, so revoking that capability reclaims them.

use crate::derivation::CapabilityHandle;
use crate::lookup::LookupError;
use crate::object::{Frame, Object};
use crate::quota::{Charge, QuotaBalance, QuotaId};
use crate::space::{DestinationError, SlotAddress};
use crate::system::CapabilitySystem;
use crate::{Capability, Rights};
use core::fmt;
use exokernel_abi::ObjectKind;

/// Why a quota could not be charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeError {
    /// The slot holds no memory quota capability with [`Rights::ALLOCATE`].
    Quota(LookupError),
    /// A frame has at least one page.
    ZeroPages,
    /// The quota has fewer pages left than requested.
    Exhausted {
        /// The pages asked for.
        requested: u64,
        /// The pages the quota has left.
        remaining: u64,
    },
}

/// Why a charge could not become a frame; the charge has been refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateFrameError {
    /// The destination slot cannot take a capability.
    Destination(DestinationError),
    /// The quota capability the charge was made through was deleted or revoked since.
    QuotaCapabilityGone,
    /// A frame with the same address, size and quota already has capabilities.
    AlreadyReferenced,
}

/// Why a child quota could not be split off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitQuotaError {
    /// The source slot holds no memory quota capability with [`Rights::ALLOCATE`].
    Source(LookupError),
    /// The destination slot cannot take a capability.
    Destination(DestinationError),
    /// A child quota has at least one page.
    ZeroPages,
    /// The source quota has fewer pages left than requested.
    Exhausted {
        /// The pages asked for.
        requested: u64,
        /// The pages the source quota has left.
        remaining: u64,
    },
}

impl fmt::Display for ChargeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Quota(error) => write!(formatter, "quota: {error}"),
            Self::ZeroPages => formatter.write_str("zero pages requested"),
            Self::Exhausted {
                requested,
                remaining,
            } => write!(
                formatter,
                "quota exhausted: {requested} pages requested, {remaining} left"
            ),
        }
    }
}

impl fmt::Display for CreateFrameError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Destination(error) => error.fmt(formatter),
            Self::QuotaCapabilityGone => {
                formatter.write_str("the charged quota capability is gone")
            }
            Self::AlreadyReferenced => formatter.write_str("frame already has capabilities"),
        }
    }
}

impl fmt::Display for SplitQuotaError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Source(error) => write!(formatter, "source: {error}"),
            Self::Destination(error) => error.fmt(formatter),
            Self::ZeroPages => formatter.write_str("zero pages requested"),
            Self::Exhausted {
                requested,
                remaining,
            } => write!(
                formatter,
                "quota exhausted: {requested} pages requested, {remaining} left"
            ),
        }
    }
}

impl core::error::Error for ChargeError {}
impl core::error::Error for CreateFrameError {}
impl core::error::Error for SplitQuotaError {}

impl CapabilitySystem {
    /// Creates a root quota of `budget` pages (at boot, for all usable memory) and puts its
    /// original capability into `destination`.
    ///
    /// # Errors
    ///
    /// [`DestinationError`] if the destination slot is unusable.
    pub fn create_quota(
        &mut self,
        destination: SlotAddress,
        budget: u64,
        rights: Rights,
    ) -> Result<QuotaId, DestinationError> {
        self.check_empty(destination)?;
        let quota = self.quotas.create(budget, None);
        let capability = Capability {
            object: Object::MemoryQuota(quota),
            rights,
            badge: None,
        };
        if let Err(error) = self.place(destination, capability, None) {
            self.quotas.quotas.remove(quota.0);
            return Err(error);
        }
        Ok(quota)
    }

    /// The quota's budget and remaining pages, or `None` once it has retired.
    #[must_use]
    pub fn quota_balance(&self, quota: QuotaId) -> Option<QuotaBalance> {
        self.quotas.balance(quota)
    }

    /// Takes `page_count` pages from the quota in `quota_slot` for a frame about to be created.
    ///
    /// # Errors
    ///
    /// [`ChargeError::Quota`] if the slot holds no quota capability with [`Rights::ALLOCATE`],
    /// [`ChargeError::ZeroPages`], or [`ChargeError::Exhausted`] if the budget is short.
    pub fn charge(
        &mut self,
        quota_slot: SlotAddress,
        page_count: u64,
    ) -> Result<Charge, ChargeError> {
        let (index, quota) = self.quota_node(quota_slot).map_err(ChargeError::Quota)?;
        if page_count == 0 {
            return Err(ChargeError::ZeroPages);
        }
        self.quotas
            .debit(quota, page_count)
            .map_err(|balance| ChargeError::Exhausted {
                requested: page_count,
                remaining: balance.remaining,
            })?;
        self.quotas.hold(quota, page_count);
        let capability = self
            .handle_of(index)
            .ok_or(ChargeError::Quota(LookupError::EmptySlot))?;
        Ok(Charge {
            quota,
            capability,
            page_count,
        })
    }

    /// Takes `page_count` more pages from the quota a charge was made from and adds them to the
    /// charge: an object that grows (an address space's mapping records) keeps paying for what
    /// it holds. The quota capability need not exist any more; the quota's ledger does as long
    /// as the charge is held.
    ///
    /// # Errors
    ///
    /// [`ChargeError::ZeroPages`], or [`ChargeError::Exhausted`] if the quota is short.
    pub fn extend_charge(
        &mut self,
        charge: &mut Charge,
        page_count: u64,
    ) -> Result<(), ChargeError> {
        if page_count == 0 {
            return Err(ChargeError::ZeroPages);
        }
        self.quotas
            .debit(charge.quota, page_count)
            .map_err(|balance| ChargeError::Exhausted {
                requested: page_count,
                remaining: balance.remaining,
            })?;
        self.quotas.hold(charge.quota, page_count);
        charge.page_count += page_count;
        Ok(())
    }

    /// Returns a charge's pages to its quota (the kernel could not allocate them).
    pub fn refund(&mut self, charge: Charge) {
        self.quotas.release_hold(charge.quota, charge.page_count);
        self.quotas.credit(charge.quota, charge.page_count);
        self.retire_quota_if_done(charge.quota);
    }

    /// Turns a charge into a frame of the charged size at `physical_address`, as a child of the
    /// quota capability charged, with rights `quota capability rights & mask`.
    ///
    /// # Errors
    ///
    /// [`CreateFrameError::Destination`], [`CreateFrameError::QuotaCapabilityGone`] or
    /// [`CreateFrameError::AlreadyReferenced`]; in every case the charge has been refunded and
    /// the kernel should free the pages it allocated.
    pub fn create_frame(
        &mut self,
        charge: Charge,
        destination: SlotAddress,
        physical_address: u64,
        mask: Rights,
    ) -> Result<CapabilityHandle, CreateFrameError> {
        let Some(parent) = self.tree.nodes.get(charge.capability.0) else {
            self.refund(charge);
            return Err(CreateFrameError::QuotaCapabilityGone);
        };
        let object = Object::Frame(Frame {
            physical_address,
            page_count: charge.page_count,
            quota: Some(charge.quota),
        });
        if self.references.contains_key(&object) {
            self.refund(charge);
            return Err(CreateFrameError::AlreadyReferenced);
        }
        let capability = Capability {
            object,
            rights: parent.capability.rights & mask,
            badge: None,
        };
        match self.place(destination, capability, Some(charge.capability.0.index())) {
            Ok(handle) => {
                self.quotas.release_hold(charge.quota, charge.page_count);
                Ok(handle)
            }
            Err(error) => {
                self.refund(charge);
                Err(CreateFrameError::Destination(error))
            }
        }
    }

    /// Moves `page_count` pages of the quota in `source` into a new child quota whose capability,
    /// with rights `source rights & mask`, goes into `destination` as a child of `source`. The
    /// pages return to the source quota when the child quota dies.
    ///
    /// # Errors
    ///
    /// [`SplitQuotaError::Source`], [`SplitQuotaError::Destination`],
    /// [`SplitQuotaError::ZeroPages`] or [`SplitQuotaError::Exhausted`].
    pub fn split_quota(
        &mut self,
        source: SlotAddress,
        destination: SlotAddress,
        page_count: u64,
        mask: Rights,
    ) -> Result<QuotaId, SplitQuotaError> {
        let (index, parent_quota) = self.quota_node(source).map_err(SplitQuotaError::Source)?;
        let rights = self
            .node(index)
            .map_or(Rights::empty(), |node| node.capability.rights & mask);
        self.check_empty(destination)
            .map_err(SplitQuotaError::Destination)?;
        if page_count == 0 {
            return Err(SplitQuotaError::ZeroPages);
        }
        self.quotas
            .debit(parent_quota, page_count)
            .map_err(|balance| SplitQuotaError::Exhausted {
                requested: page_count,
                remaining: balance.remaining,
            })?;
        let quota = self.quotas.create(page_count, Some(parent_quota));
        let capability = Capability {
            object: Object::MemoryQuota(quota),
            rights,
            badge: None,
        };
        if let Err(error) = self.place(destination, capability, Some(index)) {
            self.quotas.quotas.remove(quota.0);
            self.quotas.credit(parent_quota, page_count);
            return Err(SplitQuotaError::Destination(error));
        }
        Ok(quota)
    }

    /// The node index and quota of a memory quota capability with [`Rights::ALLOCATE`].
    fn quota_node(&self, slot: SlotAddress) -> Result<(usize, QuotaId), LookupError> {
        let (index, node) =
            self.lookup_node(slot, Some(ObjectKind::MemoryQuota), Rights::ALLOCATE)?;
        match node.capability.object {
            Object::MemoryQuota(quota) => Ok((index, quota)),
            other => Err(LookupError::WrongKind {
                expected: ObjectKind::MemoryQuota,
                found: other.kind(),
            }),
        }
    }
}
