//! Thread-local values: a `static` [`LocalKey`] gives each thread its own value, made on the
//! thread's first use and dropped when the thread ends.

use alloc::boxed::Box;

use super::control_block::current;

/// A thread-local value, initialised on each thread's first use by `initialise`.
pub struct LocalKey<T: 'static> {
    initialise: fn() -> T,
}

impl<T: 'static> LocalKey<T> {
    /// A key whose per-thread values start as `initialise()`.
    #[must_use]
    pub const fn new(initialise: fn() -> T) -> Self {
        LocalKey { initialise }
    }

    /// Runs `body` with this thread's value.
    pub fn with<R>(&'static self, body: impl FnOnce(&T) -> R) -> R {
        let control = current();
        let key = core::ptr::from_ref(self) as usize;
        let existing = control
            .locals()
            .borrow()
            .get(&key)
            .and_then(|value| value.downcast_ref::<T>())
            .map(core::ptr::from_ref);
        let value = match existing {
            Some(value) => value,
            None => {
                // No borrow is held while `initialise` runs: it may use other thread-locals.
                let value = Box::new((self.initialise)());
                let pointer = core::ptr::from_ref(&*value);
                control.locals().borrow_mut().insert(key, value);
                pointer
            }
        };
        // SAFETY: the value is boxed in this thread's map, so it does not move, and entries are
        // only removed when the thread ends, after its last use of any key.
        body(unsafe { &*value })
    }
}
