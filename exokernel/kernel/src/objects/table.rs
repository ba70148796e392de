//! A table of kernel objects whose ids carry a generation, so an id kept past its object's
//! death (in a watcher list, a reply link, a mapping record) never reaches the next occupant.
//!
//! An id is `generation << 16 | index`. Objects are boxed, so the table itself holds one
//! pointer and one generation per entry and its growth is small and fallible.

use alloc::boxed::Box;
use alloc::vec::Vec;

/// The most objects of one kind; creating more fails with `OutOfMemory`.
pub const MAXIMUM_OBJECTS: usize = 1 << 16;

const INDEX_BITS: u32 = 16;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;

struct Entry<T> {
    generation: u16,
    object: Option<Box<T>>,
}

/// Objects of one kind, by id.
pub struct ObjectTable<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
}

/// Why an object could not be stored; the object is handed back.
pub struct TableFull<T>(pub T);

impl<T> ObjectTable<T> {
    /// An empty table.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }

    fn id(index: usize, generation: u16) -> u32 {
        (u32::from(generation) << INDEX_BITS) | (index as u32 & INDEX_MASK)
    }

    fn split(id: u32) -> (usize, u16) {
        ((id & INDEX_MASK) as usize, (id >> INDEX_BITS) as u16)
    }

    /// Stores `object` and returns its id.
    ///
    /// # Errors
    /// The object itself when [`MAXIMUM_OBJECTS`] are live or the kernel heap cannot grow the
    /// table.
    pub fn insert(&mut self, object: T) -> Result<u32, TableFull<T>> {
        if let Some(index) = self.free.pop() {
            let entry = &mut self.entries[index as usize];
            entry.object = Some(Box::new(object));
            return Ok(Self::id(index as usize, entry.generation));
        }
        if self.entries.len() >= MAXIMUM_OBJECTS
            || self.entries.try_reserve(1).is_err()
            // Room for this entry's id on the free list later, so `remove` never allocates.
            || self.free.try_reserve(self.entries.len() + 1 - self.free.len()).is_err()
        {
            return Err(TableFull(object));
        }
        self.entries.push(Entry {
            generation: 0,
            object: Some(Box::new(object)),
        });
        Ok(Self::id(self.entries.len() - 1, 0))
    }

    /// The object with `id`, if it is still the one the id was issued for.
    #[must_use]
    pub fn get(&self, id: u32) -> Option<&T> {
        let (index, generation) = Self::split(id);
        let entry = self.entries.get(index)?;
        if entry.generation != generation {
            return None;
        }
        entry.object.as_deref()
    }

    /// The object with `id`, mutably.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        let (index, generation) = Self::split(id);
        let entry = self.entries.get_mut(index)?;
        if entry.generation != generation {
            return None;
        }
        entry.object.as_deref_mut()
    }

    /// Removes and returns the object with `id`; the id (and every copy of it) goes stale.
    pub fn remove(&mut self, id: u32) -> Option<T> {
        let (index, generation) = Self::split(id);
        let entry = self.entries.get_mut(index)?;
        if entry.generation != generation {
            return None;
        }
        let object = entry.object.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        // Capacity for every entry was reserved when it was created.
        self.free.push(index as u32);
        Some(*object)
    }
}
