//! The pool's work queue: a `Mutex`-guarded FIFO with a `Condvar` that workers sleep on until
//! there is an item or the producer has said no more will come.

use alloc::collections::VecDeque;

use libos::thread::{Condvar, Mutex};

/// The queue's items and whether the producer has finished.
struct State<T> {
    items: VecDeque<T>,
    closed: bool,
}

/// A multi-consumer work queue.
pub struct WorkQueue<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

impl<T> WorkQueue<T> {
    /// An empty, open queue.
    pub fn new() -> Self {
        WorkQueue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }

    /// Adds an item and wakes one sleeping worker.
    pub fn push(&self, item: T) {
        self.state.lock().items.push_back(item);
        self.ready.notify_one();
    }

    /// No more items will come: workers drain what is left, then [`Self::pop`] returns `None`.
    pub fn close(&self) {
        self.state.lock().closed = true;
        self.ready.notify_all();
    }

    /// The next item, sleeping while the queue is empty and still open; `None` once it is
    /// closed and empty.
    pub fn pop(&self) -> Option<T> {
        let mut state = self.state.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                return Some(item);
            }
            if state.closed {
                return None;
            }
            state = self.ready.wait(state);
        }
    }
}
