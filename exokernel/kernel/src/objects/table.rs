//! A table of kernel objects with small integer ids, reused only after the object is removed.

use alloc::vec::Vec;

/// The most objects of one kind; creating more fails with `OutOfMemory`.
pub const MAXIMUM_OBJECTS: usize = 1 << 16;

/// Objects of one kind, by id.
pub struct ObjectTable<T> {
    entries: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> ObjectTable<T> {
    /// An empty table.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Stores `object` and returns its id, or gives it back when the table is full.
    ///
    /// # Errors
    /// The object itself when [`MAXIMUM_OBJECTS`] are live.
    pub fn insert(&mut self, object: T) -> Result<u32, T> {
        if let Some(id) = self.free.pop() {
            self.entries[id as usize] = Some(object);
            return Ok(id);
        }
        if self.entries.len() >= MAXIMUM_OBJECTS {
            return Err(object);
        }
        self.entries.push(Some(object));
        Ok((self.entries.len() - 1) as u32)
    }

    /// The object with `id`.
    #[must_use]
    pub fn get(&self, id: u32) -> Option<&T> {
        self.entries.get(id as usize)?.as_ref()
    }

    /// The object with `id`, mutably.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut T> {
        self.entries.get_mut(id as usize)?.as_mut()
    }

    /// Removes and returns the object with `id`.
    pub fn remove(&mut self, id: u32) -> Option<T> {
        let object = self.entries.get_mut(id as usize)?.take()?;
        self.free.push(id);
        Some(object)
    }

    /// Every live object with its id, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut T)> {
        self.entries
            .iter_mut()
            .enumerate()
            .filter_map(|(id, entry)| Some((id as u32, entry.as_mut()?)))
    }

    /// Every live object with its id.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(id, entry)| Some((id as u32, entry.as_ref()?)))
    }
}
