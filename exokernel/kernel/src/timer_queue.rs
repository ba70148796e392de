//! The timer queue: every pending deadline — a blocked call's timeout, an armed timer — ordered
//! by time, so the timer interrupt looks only at what is due instead of scanning every
//! environment. Insertion and removal cost O(log n); a tick handles at most
//! [`MAXIMUM_EXPIRIES_PER_TICK`] due entries (the rest wait for the next tick), so its cost
//! does not grow with the number of environments or timers.
//!
//! Each environment has at most one entry (the deadline of the call it is blocked in) and each
//! timer at most one (its next firing), so the queue never holds more entries than there are
//! environments and timers, whose quota charges (at least a page each) cover an entry's share
//! of the tree's nodes many times over.

use alloc::collections::BTreeSet;

/// The most due entries one tick handles.
pub const MAXIMUM_EXPIRIES_PER_TICK: usize = 64;

/// What waits for a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Sleeper {
    /// A blocked environment's timeout, by environment id.
    Environment(u32),
    /// An armed timer, by timer id.
    Timer(u32),
}

/// Deadlines (nanoseconds since boot) in order.
#[derive(Default)]
pub struct TimerQueue {
    entries: BTreeSet<(u64, Sleeper)>,
}

impl TimerQueue {
    /// An empty queue.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: BTreeSet::new(),
        }
    }

    /// Adds `sleeper`, due at `deadline`.
    pub fn insert(&mut self, deadline: u64, sleeper: Sleeper) {
        self.entries.insert((deadline, sleeper));
    }

    /// Removes `sleeper`'s entry for `deadline`, if it is there.
    pub fn remove(&mut self, deadline: u64, sleeper: Sleeper) {
        self.entries.remove(&(deadline, sleeper));
    }

    /// Takes the earliest entry if it is due at `now`.
    pub fn pop_due(&mut self, now: u64) -> Option<(u64, Sleeper)> {
        let first = *self.entries.first()?;
        if first.0 > now {
            return None;
        }
        self.entries.pop_first()
    }
}
