//! A generational arena: a vector of reusable entries whose handles detect that an entry was freed.
//!
//! Every handle carries the generation of the entry it was issued for; freeing an entry bumps the
//! generation, so a handle kept past the free (a stale space id, a charge whose quota capability was
//! deleted) looks up nothing instead of silently reaching the entry's next occupant.

use alloc::vec::Vec;

/// The address of one arena entry as it was when the handle was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ArenaHandle {
    index: usize,
    generation: u64,
}

impl ArenaHandle {
    /// The entry's position, stable for as long as the entry lives.
    pub(crate) fn index(self) -> usize {
        self.index
    }
}

enum Entry<T> {
    Occupied {
        generation: u64,
        value: T,
    },
    Vacant {
        generation: u64,
        next_free: Option<usize>,
    },
}

/// Bytes one arena entry holding a `T` occupies.
#[cfg(test)]
pub(crate) const fn entry_size<T>() -> usize {
    core::mem::size_of::<Entry<T>>()
}

/// Storage with O(1) insert and remove whose handles are checked on every use.
pub(crate) struct Arena<T> {
    entries: Vec<Entry<T>>,
    first_free: Option<usize>,
    live: usize,
}

impl<T> Arena<T> {
    pub(crate) const fn new() -> Self {
        Self {
            entries: Vec::new(),
            first_free: None,
            live: 0,
        }
    }

    /// How many entries are occupied.
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    pub(crate) fn insert(&mut self, value: T) -> ArenaHandle {
        self.live += 1;
        if let Some(index) = self.first_free
            && let Some(entry) = self.entries.get_mut(index)
            && let Entry::Vacant {
                generation,
                next_free,
            } = *entry
        {
            self.first_free = next_free;
            *entry = Entry::Occupied { generation, value };
            return ArenaHandle { index, generation };
        }
        let index = self.entries.len();
        self.entries.push(Entry::Occupied {
            generation: 0,
            value,
        });
        ArenaHandle {
            index,
            generation: 0,
        }
    }

    /// Frees the entry and returns its value, or `None` if the handle is stale.
    pub(crate) fn remove(&mut self, handle: ArenaHandle) -> Option<T> {
        let entry = self.entries.get_mut(handle.index)?;
        match entry {
            Entry::Occupied { generation, .. } if *generation == handle.generation => {}
            _ => return None,
        }
        let vacant = Entry::Vacant {
            generation: handle.generation.wrapping_add(1),
            next_free: self.first_free,
        };
        let Entry::Occupied { value, .. } = core::mem::replace(entry, vacant) else {
            return None;
        };
        self.first_free = Some(handle.index);
        self.live -= 1;
        Some(value)
    }

    pub(crate) fn get(&self, handle: ArenaHandle) -> Option<&T> {
        match self.entries.get(handle.index)? {
            Entry::Occupied { generation, value } if *generation == handle.generation => {
                Some(value)
            }
            _ => None,
        }
    }

    pub(crate) fn get_mut(&mut self, handle: ArenaHandle) -> Option<&mut T> {
        match self.entries.get_mut(handle.index)? {
            Entry::Occupied { generation, value } if *generation == handle.generation => {
                Some(value)
            }
            _ => None,
        }
    }

    /// The current handle of the entry at `index`, if it is occupied. Internal links between
    /// entries are plain indices (they are kept consistent by construction); this turns one
    /// back into a handle.
    pub(crate) fn handle_at(&self, index: usize) -> Option<ArenaHandle> {
        match self.entries.get(index)? {
            Entry::Occupied { generation, .. } => Some(ArenaHandle {
                index,
                generation: *generation,
            }),
            Entry::Vacant { .. } => None,
        }
    }

    pub(crate) fn at(&self, index: usize) -> Option<&T> {
        match self.entries.get(index)? {
            Entry::Occupied { value, .. } => Some(value),
            Entry::Vacant { .. } => None,
        }
    }

    pub(crate) fn at_mut(&mut self, index: usize) -> Option<&mut T> {
        match self.entries.get_mut(index)? {
            Entry::Occupied { value, .. } => Some(value),
            Entry::Vacant { .. } => None,
        }
    }

    /// Every occupied entry with its handle, in index order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (ArenaHandle, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| match entry {
                Entry::Occupied { generation, value } => Some((
                    ArenaHandle {
                        index,
                        generation: *generation,
                    },
                    value,
                )),
                Entry::Vacant { .. } => None,
            })
    }
}
