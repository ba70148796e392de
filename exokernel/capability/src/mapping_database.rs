//! The mapping database: which pages of which address space were mapped through which capability.
//!
//! Revocation must take away access already bound into page tables (design §1, "visible
//! revocation"), so the kernel records each mapping against the capability that authorised it, and
//! removing that capability reports the mapping back for unmapping. Records are indexed both by
//! address (to find overlaps and user unmaps) and by capability (to find what a removal releases).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use exokernel_abi::PAGE_SIZE;

/// A run of pages mapped in one address space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mapping {
    /// The kernel's id of the address space.
    pub address_space: u32,
    /// The page-aligned virtual address of the first page.
    pub virtual_address: u64,
    /// How many pages, at least one.
    pub page_count: u64,
}

impl Mapping {
    /// The first address after the mapping, or `None` if the range wraps around or is empty or
    /// unaligned (so it cannot be a mapping at all).
    pub(crate) fn end(&self) -> Option<u64> {
        if self.page_count == 0 || !self.virtual_address.is_multiple_of(PAGE_SIZE) {
            return None;
        }
        self.virtual_address
            .checked_add(self.page_count.checked_mul(PAGE_SIZE)?)
    }
}

#[derive(Clone, Copy)]
struct Record {
    page_count: u64,
    node: usize,
    /// The page of the frame the record's first page maps.
    first_page: u64,
}

/// Every recorded mapping, by address and by the node (capability) that made it.
pub(crate) struct MappingDatabase {
    by_address: BTreeMap<(u32, u64), Record>,
    by_node: BTreeSet<(usize, u32, u64)>,
    /// How many records each address space has, so the kernel can charge for them.
    per_address_space: BTreeMap<u32, usize>,
}

impl MappingDatabase {
    pub(crate) const fn new() -> Self {
        Self {
            by_address: BTreeMap::new(),
            by_node: BTreeSet::new(),
            per_address_space: BTreeMap::new(),
        }
    }

    /// Whether any recorded page of `mapping.address_space` lies in `virtual_address .. end`.
    pub(crate) fn overlaps(&self, address_space: u32, virtual_address: u64, end: u64) -> bool {
        let below = self
            .by_address
            .range((address_space, 0)..=(address_space, virtual_address))
            .next_back();
        if let Some((&(_, start), record)) = below
            && record_end(start, record) > virtual_address
        {
            return true;
        }
        self.by_address
            .range((address_space, virtual_address)..(address_space, end))
            .next()
            .is_some()
    }

    /// The record covering `address` in `address_space`, with the node that made it.
    pub(crate) fn find(&self, address_space: u32, address: u64) -> Option<(Mapping, usize)> {
        let (&(_, start), record) = self
            .by_address
            .range((address_space, 0)..=(address_space, address))
            .next_back()?;
        (record_end(start, record) > address).then_some((
            Mapping {
                address_space,
                virtual_address: start,
                page_count: record.page_count,
            },
            record.node,
        ))
    }

    /// The page of its frame that the record starting at `virtual_address` maps first.
    pub(crate) fn first_page(&self, address_space: u32, virtual_address: u64) -> Option<u64> {
        self.by_address
            .get(&(address_space, virtual_address))
            .map(|record| record.first_page)
    }

    /// The first record of `address_space` covering `address` or starting after it.
    pub(crate) fn next(&self, address_space: u32, address: u64) -> Option<(Mapping, usize)> {
        if let Some(covering) = self.find(address_space, address) {
            return Some(covering);
        }
        let (&(_, start), record) = self
            .by_address
            .range((address_space, address)..=(address_space, u64::MAX))
            .next()?;
        Some((
            Mapping {
                address_space,
                virtual_address: start,
                page_count: record.page_count,
            },
            record.node,
        ))
    }

    /// Records a mapping the caller has checked is well formed and overlaps nothing.
    pub(crate) fn insert(&mut self, mapping: Mapping, node: usize, first_page: u64) {
        *self
            .per_address_space
            .entry(mapping.address_space)
            .or_insert(0) += 1;
        self.by_address.insert(
            (mapping.address_space, mapping.virtual_address),
            Record {
                page_count: mapping.page_count,
                node,
                first_page,
            },
        );
        self.by_node
            .insert((node, mapping.address_space, mapping.virtual_address));
    }

    /// How many records `address_space` has.
    pub(crate) fn count(&self, address_space: u32) -> usize {
        self.per_address_space
            .get(&address_space)
            .copied()
            .unwrap_or(0)
    }

    /// Removes the record at `key` from the address index and the per-space count.
    fn take_record(&mut self, key: (u32, u64)) -> Option<Record> {
        let record = self.by_address.remove(&key)?;
        if let Some(count) = self.per_address_space.get_mut(&key.0) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.per_address_space.remove(&key.0);
            }
        }
        Some(record)
    }

    /// Removes and returns every mapping made through `node`.
    pub(crate) fn remove_node(&mut self, node: usize) -> Vec<Mapping> {
        self.remove_node_some(node, usize::MAX).0
    }

    /// Whether every mapping made through `node` is in `address_space` (also when there is none).
    pub(crate) fn node_maps_only_into(&self, node: usize, address_space: u32) -> bool {
        self.by_node
            .range((node, 0, 0)..=(node, u32::MAX, u64::MAX))
            .all(|&(_, space, _)| space == address_space)
    }

    /// Removes and returns up to `limit` of the mappings made through `node`, and whether any
    /// are left.
    pub(crate) fn remove_node_some(&mut self, node: usize, limit: usize) -> (Vec<Mapping>, bool) {
        let range = (node, 0, 0)..=(node, u32::MAX, u64::MAX);
        // Taken out of the node index in one pass over its run of keys, not one search each.
        let keys: Vec<(usize, u32, u64)> = self
            .by_node
            .extract_if(range.clone(), |_| true)
            .take(limit)
            .collect();
        let left = keys.len() == limit && self.by_node.range(range).next().is_some();
        let mut removed = Vec::with_capacity(keys.len());
        for key in keys {
            let (_, address_space, virtual_address) = key;
            if let Some(record) = self.take_record((address_space, virtual_address)) {
                removed.push(Mapping {
                    address_space,
                    virtual_address,
                    page_count: record.page_count,
                });
            }
        }
        (removed, left)
    }

    /// Removes the recorded pages of `address_space` in `start .. end`, trimming or splitting
    /// records that stick out of the range, and returns the pieces removed.
    pub(crate) fn remove_range(
        &mut self,
        address_space: u32,
        start: u64,
        end: u64,
    ) -> Vec<Mapping> {
        let mut keys: Vec<u64> = Vec::new();
        if let Some((&(_, below), record)) = self
            .by_address
            .range((address_space, 0)..(address_space, start))
            .next_back()
            && record_end(below, record) > start
        {
            keys.push(below);
        }
        keys.extend(
            self.by_address
                .range((address_space, start)..(address_space, end))
                .map(|(&(_, virtual_address), _)| virtual_address),
        );
        let mut removed = Vec::with_capacity(keys.len());
        for virtual_address in keys {
            let Some(record) = self.take_record((address_space, virtual_address)) else {
                continue;
            };
            self.by_node
                .remove(&(record.node, address_space, virtual_address));
            let record_end = record_end(virtual_address, &record);
            let piece_start = virtual_address.max(start);
            let piece_end = record_end.min(end);
            removed.push(Mapping {
                address_space,
                virtual_address: piece_start,
                page_count: (piece_end - piece_start) / PAGE_SIZE,
            });
            if virtual_address < start {
                self.insert(
                    Mapping {
                        address_space,
                        virtual_address,
                        page_count: (start - virtual_address) / PAGE_SIZE,
                    },
                    record.node,
                    record.first_page,
                );
            }
            if record_end > end {
                self.insert(
                    Mapping {
                        address_space,
                        virtual_address: end,
                        page_count: (record_end - end) / PAGE_SIZE,
                    },
                    record.node,
                    record.first_page + (end - virtual_address) / PAGE_SIZE,
                );
            }
        }
        removed
    }

    /// Removes up to `budget` records of `address_space`; returns how many it removed and
    /// whether none are left.
    pub(crate) fn remove_address_space(
        &mut self,
        address_space: u32,
        budget: usize,
    ) -> (usize, bool) {
        let keys: Vec<(u32, u64)> = self
            .by_address
            .range((address_space, 0)..=(address_space, u64::MAX))
            .map(|(&key, _)| key)
            .take(budget)
            .collect();
        for key in &keys {
            if let Some(record) = self.take_record(*key) {
                self.by_node.remove(&(record.node, key.0, key.1));
            }
        }
        (keys.len(), self.count(address_space) == 0)
    }

    /// Every record with the node that made it.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Mapping, usize)> + '_ {
        self.by_address
            .iter()
            .map(|(&(address_space, virtual_address), record)| {
                (
                    Mapping {
                        address_space,
                        virtual_address,
                        page_count: record.page_count,
                    },
                    record.node,
                )
            })
    }

    /// How many entries the by-node index holds; equal to the record count when consistent.
    pub(crate) fn node_index_len(&self) -> usize {
        self.by_node.len()
    }
}

/// Bytes of key and value one record stores in the two indices, before B-tree node overhead.
#[cfg(test)]
pub(crate) const RECORD_PAYLOAD_BYTES: usize =
    core::mem::size_of::<((u32, u64), Record)>() + core::mem::size_of::<(usize, u32, u64)>();

/// The end of a stored record; records were checked not to overflow when inserted.
fn record_end(virtual_address: u64, record: &Record) -> u64 {
    virtual_address.saturating_add(record.page_count.saturating_mul(PAGE_SIZE))
}
