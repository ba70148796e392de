//! The run queue: runnable environments waiting for the CPU, in order, with every operation
//! constant time (amortised) whatever the number of environments.
//!
//! Taking an environment out of the middle (it blocked, was stopped, or is moved to the front)
//! does not search the queue: each environment carries a token, an entry is valid only while its
//! token matches, and a stale entry is skipped when it reaches the front. When stale entries
//! outnumber live ones the queue is compacted, so its length stays within twice the runnable
//! environments plus a constant, each of which the environment's charge pays for.

use alloc::collections::VecDeque;

use crate::objects::environment::{Environment, Life};
use crate::objects::table::ObjectTable;

/// Entries: an environment id and the token it had when queued.
#[derive(Default)]
pub struct RunQueue {
    entries: VecDeque<(u32, u32)>,
    stale: usize,
}

impl RunQueue {
    /// Queues `id` at the back (`front`: at the front), replacing any place it had.
    pub fn enqueue(&mut self, environments: &mut ObjectTable<Environment>, id: u32, front: bool) {
        let Some(environment) = environments.get_mut(id) else {
            return;
        };
        if environment.queued {
            self.stale += 1;
        }
        environment.queue_token = environment.queue_token.wrapping_add(1);
        environment.queued = true;
        let entry = (id, environment.queue_token);
        if front {
            self.entries.push_front(entry);
        } else {
            self.entries.push_back(entry);
        }
        self.compact_if_mostly_stale(environments);
    }

    /// Whether `id` has a place in the queue.
    #[must_use]
    pub fn contains(environments: &ObjectTable<Environment>, id: u32) -> bool {
        environments
            .get(id)
            .is_some_and(|environment| environment.queued)
    }

    /// Takes `id` out of the queue (its entry goes stale).
    pub fn remove(&mut self, environments: &mut ObjectTable<Environment>, id: u32) {
        if let Some(environment) = environments.get_mut(id)
            && environment.queued
        {
            environment.queued = false;
            self.stale += 1;
        }
    }

    /// The first runnable environment in the queue, taken out of it.
    pub fn pop(&mut self, environments: &mut ObjectTable<Environment>) -> Option<u32> {
        while let Some((id, token)) = self.entries.pop_front() {
            let Some(environment) = environments.get_mut(id) else {
                self.stale = self.stale.saturating_sub(1);
                continue;
            };
            if !environment.queued || environment.queue_token != token {
                self.stale = self.stale.saturating_sub(1);
                continue;
            }
            environment.queued = false;
            if matches!(environment.life, Life::Runnable) {
                return Some(id);
            }
        }
        self.stale = 0;
        None
    }

    /// Drops stale entries once they are more than half the queue.
    fn compact_if_mostly_stale(&mut self, environments: &ObjectTable<Environment>) {
        if self.stale <= self.entries.len() / 2 + 64 {
            return;
        }
        self.entries.retain(|&(id, token)| {
            environments
                .get(id)
                .is_some_and(|environment| environment.queued && environment.queue_token == token)
        });
        self.stale = 0;
    }
}
