//! Memory quotas: budgets of physical pages, spent by creating frames and lent to child quotas.
//!
//! Every page the kernel hands to user space is paid for by a quota, and every payment comes back:
//! a frame's pages are credited to its quota when the frame object dies, and a child quota's whole
//! budget returns to its parent when the child dies. A quota's ledger therefore outlives its last
//! capability while anything it paid for is alive, and for each live quota
//! `budget == remaining + pages of live frames + budgets of live child quotas + pending charges`.

use crate::arena::{Arena, ArenaHandle};
use crate::derivation::CapabilityHandle;

/// Names one memory quota; issued by this crate, checked against its generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuotaId(pub(crate) ArenaHandle);

/// A quota's size and what is left of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaBalance {
    /// The pages the quota was created with; fixed for its lifetime.
    pub budget: u64,
    /// The pages not yet spent on frames, lent to child quotas or held by pending charges.
    pub remaining: u64,
}

/// Budget taken from a quota for a frame the kernel is about to allocate.
///
/// Hand it to [`crate::CapabilitySystem::create_frame`] once the physical pages exist, or to
/// [`crate::CapabilitySystem::refund`] if they could not be allocated. Dropping it instead leaks
/// the budget for good (the quota can then never be fully repaid and never retires).
#[must_use = "a charge holds quota budget until it becomes a frame or is refunded"]
#[derive(Debug, PartialEq, Eq)]
pub struct Charge {
    pub(crate) quota: QuotaId,
    pub(crate) capability: CapabilityHandle,
    pub(crate) page_count: u64,
}

/// Which quota capability paid for an object: taken from its [`Charge`] before the charge is
/// stored in the object, and handed to [`crate::CapabilitySystem::insert_charged`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaidBy(pub(crate) CapabilityHandle);

impl Charge {
    /// The quota capability this charge was made through.
    #[must_use]
    pub fn paid_by(&self) -> PaidBy {
        PaidBy(self.capability)
    }

    /// How many pages were charged.
    #[must_use]
    pub fn page_count(&self) -> u64 {
        self.page_count
    }

    /// The quota charged.
    #[must_use]
    pub fn quota(&self) -> QuotaId {
        self.quota
    }
}

/// One quota's ledger entry.
pub(crate) struct Quota {
    pub(crate) balance: QuotaBalance,
    /// The quota this one was split from, which gets the budget back when this one retires.
    pub(crate) parent: Option<QuotaId>,
    /// Pages held by charges not yet turned into frames or refunded.
    pub(crate) pending: u64,
}

/// Every live quota.
pub(crate) struct QuotaLedger {
    pub(crate) quotas: Arena<Quota>,
}

impl QuotaLedger {
    pub(crate) const fn new() -> Self {
        Self {
            quotas: Arena::new(),
        }
    }

    pub(crate) fn create(&mut self, budget: u64, parent: Option<QuotaId>) -> QuotaId {
        QuotaId(self.quotas.insert(Quota {
            balance: QuotaBalance {
                budget,
                remaining: budget,
            },
            parent,
            pending: 0,
        }))
    }

    pub(crate) fn balance(&self, quota: QuotaId) -> Option<QuotaBalance> {
        Some(self.quotas.get(quota.0)?.balance)
    }

    /// Takes `pages` from the quota's remaining budget.
    ///
    /// # Errors
    ///
    /// Returns the balance if the quota has fewer than `pages` remaining (or no longer exists,
    /// shown as an empty balance).
    pub(crate) fn debit(&mut self, quota: QuotaId, pages: u64) -> Result<(), QuotaBalance> {
        let Some(entry) = self.quotas.get_mut(quota.0) else {
            return Err(QuotaBalance {
                budget: 0,
                remaining: 0,
            });
        };
        match entry.balance.remaining.checked_sub(pages) {
            Some(remaining) => {
                entry.balance.remaining = remaining;
                Ok(())
            }
            None => Err(entry.balance),
        }
    }

    /// Notes that `pages` already debited are held by a charge.
    pub(crate) fn hold(&mut self, quota: QuotaId, pages: u64) {
        if let Some(entry) = self.quotas.get_mut(quota.0) {
            entry.pending = entry.pending.saturating_add(pages);
        }
    }

    /// Notes that a charge of `pages` became a frame or is being refunded.
    pub(crate) fn release_hold(&mut self, quota: QuotaId, pages: u64) {
        if let Some(entry) = self.quotas.get_mut(quota.0) {
            entry.pending = entry.pending.saturating_sub(pages);
        }
    }

    /// Gives `pages` back to the quota; a no-op for a quota that no longer exists, which cannot
    /// happen while anything it paid for is alive.
    pub(crate) fn credit(&mut self, quota: QuotaId, pages: u64) {
        if let Some(entry) = self.quotas.get_mut(quota.0) {
            entry.balance.remaining = entry
                .balance
                .remaining
                .saturating_add(pages)
                .min(entry.balance.budget);
        }
    }

    /// Frees the quota if it is fully repaid and `unreferenced` says no capability names it, then
    /// returns its budget to its parent and tries the parent the same way.
    pub(crate) fn retire_if_done(
        &mut self,
        quota: QuotaId,
        unreferenced: impl Fn(QuotaId) -> bool,
    ) {
        let mut current = quota;
        loop {
            let Some(entry) = self.quotas.get(current.0) else {
                return;
            };
            if entry.balance.remaining != entry.balance.budget || !unreferenced(current) {
                return;
            }
            let budget = entry.balance.budget;
            let parent = entry.parent;
            self.quotas.remove(current.0);
            let Some(parent) = parent else {
                return;
            };
            self.credit(parent, budget);
            current = parent;
        }
    }
}
