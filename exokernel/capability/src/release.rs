//! What removing capabilities obliges the kernel to do: unmap pages and destroy objects.
//!
//! The list is ordered so that applying it front to back is safe: every [`Release::Unmap`] comes
//! before every [`Release::ObjectUnreferenced`], so no page is freed while still mapped.

use crate::mapping_database::Mapping;
use crate::object::Object;
use alloc::vec::Vec;

/// One thing the kernel must do after capabilities were removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Remove these pages from the address space's page tables (and flush them from the TLBs):
    /// the capability that authorised the mapping is gone.
    Unmap(Mapping),
    /// No capability names this object any more: destroy it (free a frame's pages, tear down an
    /// environment or address space, wake waiters on an endpoint with an error). For a
    /// `MemoryQuota` there is nothing to do: this crate keeps quota accounting itself. Tearing
    /// down an environment usually destroys its capability space, whose own releases the kernel
    /// then applies in turn.
    ObjectUnreferenced(Object),
}

/// The releases one operation produced, in the order they must be applied.
#[must_use = "the kernel must unmap and destroy what was released"]
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Releases {
    events: Vec<Release>,
}

impl Releases {
    /// Whether there is nothing to do.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How many releases there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// The releases in application order.
    pub fn iter(&self) -> core::slice::Iter<'_, Release> {
        self.events.iter()
    }

    /// The releases in application order, as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[Release] {
        &self.events
    }
}

impl IntoIterator for Releases {
    type Item = Release;
    type IntoIter = alloc::vec::IntoIter<Release>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.into_iter()
    }
}

impl<'releases> IntoIterator for &'releases Releases {
    type Item = &'releases Release;
    type IntoIter = core::slice::Iter<'releases, Release>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.iter()
    }
}

/// Gathers releases during an operation, keeping unmaps apart so they can be put first.
#[derive(Default)]
pub(crate) struct ReleaseCollector {
    unmaps: Vec<Mapping>,
    unreferenced: Vec<Object>,
}

impl ReleaseCollector {
    pub(crate) fn unmap(&mut self, mappings: impl IntoIterator<Item = Mapping>) {
        self.unmaps.extend(mappings);
    }

    pub(crate) fn unreferenced(&mut self, object: Object) {
        self.unreferenced.push(object);
    }

    pub(crate) fn finish(self) -> Releases {
        let mut events = Vec::with_capacity(self.unmaps.len() + self.unreferenced.len());
        events.extend(self.unmaps.into_iter().map(Release::Unmap));
        events.extend(
            self.unreferenced
                .into_iter()
                .map(Release::ObjectUnreferenced),
        );
        Releases { events }
    }
}
