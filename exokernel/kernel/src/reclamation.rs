//! Reclamation in bounded steps: everything a capability removal obliges the kernel to do —
//! unmap pages, destroy objects, tear down capability spaces and address spaces — goes through
//! one first-in-first-out queue that is worked off a bounded amount at a time.
//!
//! Why one queue, in order: a frame's pages may be freed only after every mapping of them is
//! gone, and those unmaps may have been queued by another removal earlier; a single FIFO makes
//! "queued before" mean "done before". Why bounded: a chain of environments each holding the
//! only capability to the next, or a capability mapped thousands of times, is work the size of
//! what a program paid for, and a kernel call runs with interrupts off. So:
//!
//! - a call that queued work (delete, revoke) is *restarted* (its `syscall` re-executed, rip
//!   moved back two bytes) and does another bounded step each time it enters, until the queue
//!   has reached the position of its own last item; only then does it return its result. The
//!   program that asked for the destruction pays the time it takes, and the timer can preempt
//!   it between steps;
//! - work nobody waits for (an environment that exited or faulted) is done a step per timer
//!   tick and while the CPU is idle.
//!
//! The kernel stack never grows with the depth of what is destroyed: destroying an object only
//! queues what it releases.

use alloc::collections::VecDeque;

use exokernel_capability::{Mapping, Object, Release, Releases, SpaceId};

use crate::kernel_state::KernelState;
use crate::memory::physical;
use crate::objects::environment::Ending;

/// Units of work one kernel call does per entry before it is restarted.
pub const CALL_WORK_BUDGET: usize = 256;
/// Units of background work per timer tick.
pub const TICK_WORK_BUDGET: usize = 512;
/// Pages one unit of unmapping or freeing covers.
const PAGES_PER_UNIT: u64 = 4;

/// One obligation.
pub enum WorkItem {
    /// Unmap the pages of a released mapping, from `next_page` on.
    Unmap { mapping: Mapping, next_page: u64 },
    /// Destroy an object no capability names any more.
    Destroy(Object),
    /// Delete every capability of an ended environment's space, then the space.
    TearDownSpace(SpaceId),
    /// Forget an unreferenced, unused address space's mapping records, then free its page
    /// tables and refund its charge.
    ForgetAddressSpace(u32),
}

/// The queue and how far it has got.
#[derive(Default)]
pub struct WorkQueue {
    items: VecDeque<WorkItem>,
    /// Items finished since boot: the position of the front item.
    completed: u64,
}

impl WorkQueue {
    /// The position just after the last queued item: work queued so far is done once
    /// [`WorkQueue::completed`] reaches it.
    #[must_use]
    pub fn end_position(&self) -> u64 {
        self.completed + self.items.len() as u64
    }

    /// Items finished since boot.
    #[must_use]
    pub fn completed(&self) -> u64 {
        self.completed
    }

    /// Whether nothing is queued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Queues a removal's releases, unmaps first as the capability system orders them.
    pub fn push_releases(&mut self, releases: Releases) {
        for release in releases {
            self.items.push_back(match release {
                Release::Unmap(mapping) => WorkItem::Unmap {
                    mapping,
                    next_page: 0,
                },
                Release::ObjectUnreferenced(object) => WorkItem::Destroy(object),
            });
        }
    }

    /// Queues one item.
    pub fn push(&mut self, item: WorkItem) {
        self.items.push_back(item);
    }
}

impl KernelState {
    /// Queues what a removal released; returns the position the caller must wait for.
    pub fn queue_releases(&mut self, releases: Releases) -> u64 {
        self.work.push_releases(releases);
        self.work.end_position()
    }

    /// Does up to about `budget` units of queued work; returns whether the queue is empty.
    pub fn run_work(&mut self, budget: usize) -> bool {
        let mut spent = 0;
        while spent < budget {
            let Some(item) = self.work.items.pop_front() else {
                return true;
            };
            let (cost, rest) = self.work_on(item, budget - spent);
            spent += cost.max(1);
            match rest {
                Some(item) => self.work.items.push_front(item),
                None => self.work.completed += 1,
            }
        }
        self.work.is_empty()
    }

    /// Works on one item within `budget`; returns the units spent and the item if unfinished.
    fn work_on(&mut self, item: WorkItem, budget: usize) -> (usize, Option<WorkItem>) {
        match item {
            WorkItem::Unmap { mapping, next_page } => {
                let pages = (budget as u64).saturating_mul(PAGES_PER_UNIT);
                let end = mapping.page_count.min(next_page.saturating_add(pages));
                if let Some(address_space) = self.address_spaces.get(mapping.address_space) {
                    // Pages already gone (unmapped by the user since) are skipped.
                    address_space.root.unmap_range(
                        mapping.virtual_address + next_page * exokernel_abi::PAGE_SIZE,
                        end - next_page,
                    );
                }
                let cost = ((end - next_page) / PAGES_PER_UNIT) as usize + 1;
                if end < mapping.page_count {
                    (
                        cost,
                        Some(WorkItem::Unmap {
                            mapping,
                            next_page: end,
                        }),
                    )
                } else {
                    (cost, None)
                }
            }
            WorkItem::Destroy(object) => (self.destroy_object(object), None),
            WorkItem::TearDownSpace(space) => {
                match self.capabilities.destroy_space_limited(space, budget) {
                    Ok((releases, complete)) => {
                        let cost = releases.len() + 1;
                        self.work.push_releases(releases);
                        (cost, (!complete).then_some(WorkItem::TearDownSpace(space)))
                    }
                    Err(_) => (1, None),
                }
            }
            WorkItem::ForgetAddressSpace(id) => {
                if self.capabilities.forget_address_space_limited(id, budget) {
                    self.destroy_address_space(id);
                    (budget, None)
                } else {
                    (budget, Some(WorkItem::ForgetAddressSpace(id)))
                }
            }
        }
    }

    /// Destroys one unreferenced object; returns the units it took.
    fn destroy_object(&mut self, object: Object) -> usize {
        match object {
            Object::Frame(frame) => {
                for page in 0..frame.page_count {
                    let _ = physical::free_frame(
                        frame.physical_address + page * exokernel_abi::PAGE_SIZE,
                    );
                }
                (frame.page_count / PAGES_PER_UNIT) as usize + 1
            }
            Object::AddressSpace(id) => {
                if let Some(address_space) = self.address_spaces.get_mut(id) {
                    address_space.unreferenced = true;
                    if address_space.environment_count == 0 {
                        self.work.push(WorkItem::ForgetAddressSpace(id));
                    }
                }
                1
            }
            Object::Environment(id) => {
                self.end_environment(id, Ending::Destroyed);
                if let Some(environment) = self.environments.remove(id)
                    && let Some(charge) = environment.charge
                {
                    self.capabilities.refund(charge);
                }
                1
            }
            Object::Endpoint(id) => {
                let Some(endpoint) = self.endpoints.remove(id) else {
                    return 1;
                };
                crate::system_calls::binding::forget_endpoint(self, &endpoint);
                if let Some(charge) = endpoint.charge {
                    self.capabilities.refund(charge);
                }
                let mut cost = 1;
                for waiter in endpoint.senders.into_iter().chain(endpoint.receivers) {
                    self.wake(waiter, Err(exokernel_abi::KernelError::PeerGone));
                    cost += 1;
                }
                cost
            }
            Object::Notification(id) => {
                // Watchers, timers and other holders of the id see it go stale (ids carry a
                // generation), so nothing needs to be searched for.
                let Some(notification) = self.notifications.remove(id) else {
                    return 1;
                };
                crate::system_calls::binding::forget_notification(self, &notification);
                if let Some(charge) = notification.charge {
                    self.capabilities.refund(charge);
                }
                let mut cost = 1;
                for waiter in notification.waiters {
                    self.wake(waiter, Err(exokernel_abi::KernelError::PeerGone));
                    cost += 1;
                }
                cost
            }
            Object::ChannelEnd(end) => {
                crate::system_calls::channel::end_died(self, end);
                1
            }
            Object::Timer(id) => {
                crate::system_calls::timer::destroy(self, id);
                1
            }
            Object::MemoryQuota(_) | Object::Irq(_) | Object::IoPorts(_) => 1,
        }
    }

    /// Frees an address space whose records are forgotten and which nothing uses.
    fn destroy_address_space(&mut self, id: u32) {
        let Some(address_space) = self.address_spaces.remove(id) else {
            return;
        };
        if let Some(charge) = address_space.charge {
            self.capabilities.refund(charge);
        }
        // No environment uses the tables any more; if they are loaded, `destroy` switches to
        // the kernel's root first (nothing user runs until the next switch).
        address_space.root.destroy();
    }
}
