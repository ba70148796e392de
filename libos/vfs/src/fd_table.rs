//! A process's file descriptor table: small integers naming shared open file descriptions.
//!
//! The table holds, per descriptor, a handle `D` to an open file description and the
//! descriptor's own flag (`FD_CLOEXEC`). Duplicating a descriptor clones the handle, so the
//! offset and status flags a description carries are shared by every duplicate, as POSIX says;
//! the close-on-exec flag is not. The table is plain memory: `fork` copies it by copying the
//! address space. Errors follow Linux (`EBADF`, `EMFILE`, `EINVAL`).

use alloc::vec::Vec;

use libposix_sys::errno::Errno;

/// Linux's default `RLIMIT_NOFILE` soft limit.
pub const DEFAULT_LIMIT: usize = 1024;

/// One occupied descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry<D> {
    /// The open file description it names.
    pub description: D,
    /// `FD_CLOEXEC`.
    pub close_on_exec: bool,
}

/// The descriptors of one process.
#[derive(Clone, Debug)]
pub struct FdTable<D> {
    entries: Vec<Option<Entry<D>>>,
    limit: usize,
}

impl<D: Clone> Default for FdTable<D> {
    fn default() -> Self {
        Self::new(DEFAULT_LIMIT)
    }
}

impl<D: Clone> FdTable<D> {
    /// An empty table whose descriptors stay below `limit` (`RLIMIT_NOFILE`).
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            entries: Vec::new(),
            limit,
        }
    }

    /// The descriptor limit.
    #[must_use]
    pub fn limit(&self) -> usize {
        self.limit
    }

    fn index(&self, fd: i32) -> Result<usize, Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        match self.entries.get(index) {
            Some(Some(_)) => Ok(index),
            _ => Err(Errno::EBADF),
        }
    }

    /// The entry of `fd`.
    ///
    /// # Errors
    /// `EBADF` when `fd` is not open.
    pub fn get(&self, fd: i32) -> Result<&Entry<D>, Errno> {
        let index = self.index(fd)?;
        self.entries[index].as_ref().ok_or(Errno::EBADF)
    }

    /// The description `fd` names.
    ///
    /// # Errors
    /// `EBADF` when `fd` is not open.
    pub fn description(&self, fd: i32) -> Result<&D, Errno> {
        self.get(fd).map(|entry| &entry.description)
    }

    /// Whether `fd` is open.
    #[must_use]
    pub fn is_open(&self, fd: i32) -> bool {
        self.index(fd).is_ok()
    }

    /// The lowest free descriptor at or above `minimum`.
    fn lowest_free(&self, minimum: usize) -> Result<usize, Errno> {
        (minimum..self.limit)
            .find(|&index| !matches!(self.entries.get(index), Some(Some(_))))
            .ok_or(Errno::EMFILE)
    }

    fn store(&mut self, index: usize, entry: Entry<D>) -> Option<Entry<D>> {
        if self.entries.len() <= index {
            self.entries.resize_with(index + 1, || None);
        }
        self.entries[index].replace(entry)
    }

    fn as_fd(index: usize) -> i32 {
        // Descriptors stay below `limit`, which callers keep within `i32`.
        i32::try_from(index).unwrap_or(i32::MAX)
    }

    /// Installs `description` at the lowest free descriptor (what `open` and `pipe` do).
    ///
    /// # Errors
    /// `EMFILE` when every descriptor below the limit is in use.
    pub fn insert(&mut self, description: D, close_on_exec: bool) -> Result<i32, Errno> {
        let index = self.lowest_free(0)?;
        self.store(
            index,
            Entry {
                description,
                close_on_exec,
            },
        );
        Ok(Self::as_fd(index))
    }

    /// Closes `fd`, handing back its description so the caller can release it.
    ///
    /// # Errors
    /// `EBADF` when `fd` is not open.
    pub fn close(&mut self, fd: i32) -> Result<D, Errno> {
        let index = self.index(fd)?;
        let entry = self.entries[index].take().ok_or(Errno::EBADF)?;
        while matches!(self.entries.last(), Some(None)) {
            self.entries.pop();
        }
        Ok(entry.description)
    }

    /// `dup`: the lowest free descriptor, naming the same description, close-on-exec clear.
    ///
    /// # Errors
    /// `EBADF`, `EMFILE`.
    pub fn dup(&mut self, fd: i32) -> Result<i32, Errno> {
        self.duplicate_from(fd, 0, false)
    }

    /// `fcntl(F_DUPFD/F_DUPFD_CLOEXEC)`: the lowest free descriptor at or above `minimum`.
    ///
    /// # Errors
    /// `EBADF` for a closed `fd`; `EINVAL` for a `minimum` outside `0..limit`; `EMFILE`.
    pub fn duplicate_from(
        &mut self,
        fd: i32,
        minimum: i32,
        close_on_exec: bool,
    ) -> Result<i32, Errno> {
        let description = self.description(fd)?.clone();
        let minimum = usize::try_from(minimum)
            .ok()
            .filter(|&minimum| minimum < self.limit)
            .ok_or(Errno::EINVAL)?;
        let index = self.lowest_free(minimum)?;
        self.store(
            index,
            Entry {
                description,
                close_on_exec,
            },
        );
        Ok(Self::as_fd(index))
    }

    /// `dup2`/`dup3`: makes `new` name `old`'s description, closing what `new` named (handed
    /// back for release). `dup2` with `old == new` only checks `old`.
    ///
    /// # Errors
    /// `EBADF` for a closed `old` or a `new` outside `0..limit`.
    pub fn duplicate_to(
        &mut self,
        old: i32,
        new: i32,
        close_on_exec: bool,
    ) -> Result<Option<D>, Errno> {
        let description = self.description(old)?.clone();
        let index = usize::try_from(new)
            .ok()
            .filter(|&index| index < self.limit)
            .ok_or(Errno::EBADF)?;
        if old == new {
            return Ok(None);
        }
        Ok(self
            .store(
                index,
                Entry {
                    description,
                    close_on_exec,
                },
            )
            .map(|entry| entry.description))
    }

    /// Installs `description` at exactly `fd` (a table handed over by `execve` or a parent),
    /// handing back what `fd` named.
    ///
    /// # Errors
    /// `EBADF` for an `fd` outside `0..limit`.
    pub fn place(
        &mut self,
        fd: i32,
        description: D,
        close_on_exec: bool,
    ) -> Result<Option<D>, Errno> {
        let index = usize::try_from(fd)
            .ok()
            .filter(|&index| index < self.limit)
            .ok_or(Errno::EBADF)?;
        Ok(self
            .store(
                index,
                Entry {
                    description,
                    close_on_exec,
                },
            )
            .map(|entry| entry.description))
    }

    /// Sets `FD_CLOEXEC` on `fd`.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn set_close_on_exec(&mut self, fd: i32, close_on_exec: bool) -> Result<(), Errno> {
        let index = self.index(fd)?;
        if let Some(entry) = self.entries[index].as_mut() {
            entry.close_on_exec = close_on_exec;
        }
        Ok(())
    }

    /// Closes every close-on-exec descriptor (what `execve` does), handing back their
    /// descriptions.
    pub fn close_on_exec_sweep(&mut self) -> Vec<D> {
        let mut closed = Vec::new();
        for slot in &mut self.entries {
            if slot.as_ref().is_some_and(|entry| entry.close_on_exec)
                && let Some(entry) = slot.take()
            {
                closed.push(entry.description);
            }
        }
        while matches!(self.entries.last(), Some(None)) {
            self.entries.pop();
        }
        closed
    }

    /// The open descriptors, lowest first.
    pub fn open_descriptors(&self) -> impl Iterator<Item = i32> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, entry)| entry.is_some())
            .map(|(index, _)| Self::as_fd(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_descriptor_is_used() {
        let mut table = FdTable::new(8);
        assert_eq!(table.insert('a', false), Ok(0));
        assert_eq!(table.insert('b', false), Ok(1));
        assert_eq!(table.close(0), Ok('a'));
        assert_eq!(table.insert('c', false), Ok(0));
        assert_eq!(table.dup(1), Ok(2));
        assert_eq!(table.description(2), Ok(&'b'));
    }

    #[test]
    fn errors_match_linux() {
        let mut table = FdTable::new(4);
        assert_eq!(table.close(0), Err(Errno::EBADF));
        assert_eq!(table.close(-1), Err(Errno::EBADF));
        assert_eq!(table.dup(3), Err(Errno::EBADF));
        table.insert('a', false).unwrap();
        assert_eq!(table.duplicate_to(0, 4, false), Err(Errno::EBADF));
        assert_eq!(table.duplicate_to(0, -1, false), Err(Errno::EBADF));
        assert_eq!(table.duplicate_from(0, 4, false), Err(Errno::EINVAL));
        assert_eq!(table.duplicate_from(0, -3, false), Err(Errno::EINVAL));
        assert_eq!(table.duplicate_to(0, 0, true), Ok(None));
        assert!(!table.get(0).unwrap().close_on_exec);
        for _ in 0..3 {
            table.dup(0).unwrap();
        }
        assert_eq!(table.dup(0), Err(Errno::EMFILE));
        assert_eq!(table.insert('z', false), Err(Errno::EMFILE));
    }

    #[test]
    fn dup2_replaces_and_hands_back_the_old_description() {
        let mut table = FdTable::new(8);
        table.insert('a', false).unwrap();
        table.insert('b', true).unwrap();
        assert_eq!(table.duplicate_to(0, 1, false), Ok(Some('b')));
        assert_eq!(table.description(1), Ok(&'a'));
        assert!(!table.get(1).unwrap().close_on_exec);
        assert_eq!(table.duplicate_to(0, 6, true), Ok(None));
        assert!(table.get(6).unwrap().close_on_exec);
        assert_eq!(table.close_on_exec_sweep(), alloc::vec!['a']);
        assert_eq!(table.open_descriptors().collect::<Vec<_>>(), [0, 1]);
    }
}
