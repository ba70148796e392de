//! A map of an address space's regions: sorted, non-overlapping half-open ranges `[start, end)`
//! each with a value. Removing or changing part of a region splits it; adjacent regions with
//! equal values merge, so the map is always in its one canonical form. Units are the caller's
//! (the LibOS uses byte addresses of whole pages). Pure logic, tested on the host against a
//! page-by-page model.
#![no_std]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// One region: `[start, end)` with its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region<V> {
    /// The first unit in the region.
    pub start: u64,
    /// The first unit after it (`start < end`).
    pub end: u64,
    /// What the region holds.
    pub value: V,
}

/// Why the map refused a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// The range is empty or runs backwards.
    EmptyRange,
    /// Part of the range is already in a region.
    Overlap,
}

/// The regions, keyed by start.
#[derive(Clone, Debug, Default)]
pub struct RegionMap<V> {
    regions: BTreeMap<u64, (u64, V)>,
}

impl<V: Clone + Eq> RegionMap<V> {
    /// An empty map.
    #[must_use]
    pub const fn new() -> Self {
        RegionMap {
            regions: BTreeMap::new(),
        }
    }

    /// Every region, in address order.
    pub fn iter(&self) -> impl Iterator<Item = Region<&V>> {
        self.regions.iter().map(|(start, (end, value))| Region {
            start: *start,
            end: *end,
            value,
        })
    }

    /// The region holding `unit`, if any.
    #[must_use]
    pub fn get(&self, unit: u64) -> Option<Region<&V>> {
        let (start, (end, value)) = self.regions.range(..=unit).next_back()?;
        (unit < *end).then_some(Region {
            start: *start,
            end: *end,
            value,
        })
    }

    /// The parts of regions inside `[start, end)`, clipped to it, in order.
    #[must_use]
    pub fn pieces(&self, start: u64, end: u64) -> Vec<Region<V>> {
        let mut pieces = Vec::new();
        if start >= end {
            return pieces;
        }
        // The region that starts before `start` may reach into the range.
        let first = self
            .regions
            .range(..start)
            .next_back()
            .map_or(start, |(region_start, _)| *region_start);
        for (region_start, (region_end, value)) in self.regions.range(first..end) {
            let clipped_start = (*region_start).max(start);
            let clipped_end = (*region_end).min(end);
            if clipped_start < clipped_end {
                pieces.push(Region {
                    start: clipped_start,
                    end: clipped_end,
                    value: value.clone(),
                });
            }
        }
        pieces
    }

    /// Whether no region touches `[start, end)`.
    #[must_use]
    pub fn is_free(&self, start: u64, end: u64) -> bool {
        self.pieces(start, end).is_empty()
    }

    /// Whether regions cover every unit of `[start, end)`, without a gap.
    #[must_use]
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut next = start;
        for piece in self.pieces(start, end) {
            if piece.start != next {
                return false;
            }
            next = piece.end;
        }
        next >= end
    }

    /// Adds `[start, end)` with `value`, merging with equal neighbours.
    ///
    /// # Errors
    /// `EmptyRange`, or `Overlap` when part of the range is taken (nothing changes).
    pub fn insert(&mut self, start: u64, end: u64, value: V) -> Result<(), RegionError> {
        if start >= end {
            return Err(RegionError::EmptyRange);
        }
        if !self.is_free(start, end) {
            return Err(RegionError::Overlap);
        }
        let (mut start, mut end) = (start, end);
        // Merge with the region ending at `start` and the one starting at `end` if equal.
        if let Some((&before_start, (before_end, before_value))) =
            self.regions.range(..start).next_back()
            && *before_end == start
            && *before_value == value
        {
            self.regions.remove(&before_start);
            start = before_start;
        }
        if let Some((after_end, after_value)) = self.regions.get(&end)
            && *after_value == value
        {
            let after_end = *after_end;
            self.regions.remove(&end);
            end = after_end;
        }
        self.regions.insert(start, (end, value));
        Ok(())
    }

    /// Splits the region holding `unit` (if one does, and `unit` is inside it, not its start)
    /// into `[start, unit)` and `[unit, end)`.
    fn split_at(&mut self, unit: u64) {
        let Some((&start, (end, value))) = self.regions.range(..unit).next_back() else {
            return;
        };
        if unit < *end {
            let (end, value) = (*end, value.clone());
            if let Some(entry) = self.regions.get_mut(&start) {
                entry.0 = unit;
            }
            self.regions.insert(unit, (end, value));
        }
    }

    /// Merges the regions meeting at `unit` if their values are equal.
    fn merge_at(&mut self, unit: u64) {
        let Some((&before_start, (before_end, before_value))) =
            self.regions.range(..unit).next_back()
        else {
            return;
        };
        if *before_end != unit {
            return;
        }
        if let Some((after_end, after_value)) = self.regions.get(&unit)
            && after_value == before_value
        {
            let after_end = *after_end;
            self.regions.remove(&unit);
            if let Some(entry) = self.regions.get_mut(&before_start) {
                entry.0 = after_end;
            }
        }
    }

    /// Removes `[start, end)` from every region (splitting those that reach beyond it) and
    /// returns the removed pieces in order.
    pub fn remove(&mut self, start: u64, end: u64) -> Vec<Region<V>> {
        if start >= end {
            return Vec::new();
        }
        self.split_at(start);
        self.split_at(end);
        let starts: Vec<u64> = self
            .regions
            .range(start..end)
            .map(|(key, _)| *key)
            .collect();
        starts
            .into_iter()
            .filter_map(|key| {
                self.regions.remove(&key).map(|(region_end, value)| Region {
                    start: key,
                    end: region_end,
                    value,
                })
            })
            .collect()
    }

    /// Gives every piece of a region inside `[start, end)` the value `change(old value, piece
    /// start)`, splitting and merging as needed; units in no region stay in none. Returns the
    /// old pieces.
    pub fn update(
        &mut self,
        start: u64,
        end: u64,
        change: impl Fn(&V, u64) -> V,
    ) -> Vec<Region<V>> {
        let old = self.remove(start, end);
        for piece in &old {
            let value = change(&piece.value, piece.start);
            // The range was just emptied, so the insert cannot overlap.
            let _ = self.insert(piece.start, piece.end, value);
        }
        self.merge_at(start);
        self.merge_at(end);
        old
    }

    /// The lowest `start` with `[start, start + length)` free and inside `[lower, upper)`.
    #[must_use]
    pub fn find_free(&self, length: u64, lower: u64, upper: u64) -> Option<u64> {
        if length == 0 {
            return None;
        }
        let mut candidate = lower;
        let first = self
            .regions
            .range(..lower)
            .next_back()
            .map_or(lower, |(start, _)| *start);
        for (start, (end, _)) in self.regions.range(first..upper) {
            if *end <= candidate {
                continue;
            }
            if *start >= candidate && *start - candidate >= length {
                break;
            }
            candidate = candidate.max(*end);
        }
        let end = candidate.checked_add(length)?;
        (end <= upper).then_some(candidate)
    }
}

#[cfg(test)]
mod tests;
