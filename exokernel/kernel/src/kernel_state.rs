//! The kernel's state — capabilities and object tables, the run queue, the current
//! environment, the reclamation queue — and the operations every system call builds on:
//! blocking, waking and ending an environment. What a capability removal releases is queued and
//! worked off in bounded steps by `reclamation`.
//!
//! The kernel is not preemptible and runs on one CPU, so one lock around all of it is enough.

use alloc::collections::{BTreeMap, VecDeque};

use exokernel_abi::KernelError;
use exokernel_capability::{CapabilitySystem, SpaceId};
use spin::Mutex;

use crate::objects::address_space::AddressSpace;
use crate::objects::channel::Channel;
use crate::objects::endpoint::Endpoint;
use crate::objects::environment::{BlockedOn, Ending, Environment, FutexWaiter, Life};
use crate::objects::notification::Notification;
use crate::objects::table::ObjectTable;
use crate::objects::timer::Timer;
use crate::reclamation::{WorkItem, WorkQueue};
use crate::run_queue::RunQueue;
use crate::timer_queue::{MAXIMUM_EXPIRIES_PER_TICK, Sleeper, TimerQueue};

/// Everything the kernel knows.
pub struct KernelState {
    /// Capability spaces, derivation, quotas, the mapping database.
    pub capabilities: CapabilitySystem,
    /// Environments by id.
    pub environments: ObjectTable<Environment>,
    /// Address spaces by id.
    pub address_spaces: ObjectTable<AddressSpace>,
    /// Endpoints by id.
    pub endpoints: ObjectTable<Endpoint>,
    /// Notifications by id.
    pub notifications: ObjectTable<Notification>,
    /// Timers by id.
    pub timers: ObjectTable<Timer>,
    /// Channels by id.
    pub channels: ObjectTable<Channel>,
    /// Pending deadlines: blocked calls' timeouts and armed timers.
    pub timeouts: TimerQueue,
    /// Runnable environments waiting for the CPU, in order.
    pub run_queue: RunQueue,
    /// The environment on the CPU, if any.
    pub current: Option<u32>,
    /// Futex waiters by the physical address of their word, oldest first.
    pub futex_waiters: BTreeMap<u64, VecDeque<FutexWaiter>>,
    /// The first environment; when it ends, the machine stops with its status.
    pub init: Option<u32>,
    /// Unmaps and destructions released by capability removals, in order.
    pub work: WorkQueue,
    /// How many environments use each capability space (threads share their process's); a
    /// space is torn down when its last environment ends. A space missing here has one user.
    pub space_users: BTreeMap<SpaceId, u32>,
    /// The notification (id, bits) `ConsoleNotify` bound to console input, if any.
    pub console_input: Option<(u32, u64)>,
}

/// The kernel state, set up once user space starts.
pub static KERNEL: Mutex<Option<KernelState>> = Mutex::new(None);

impl KernelState {
    /// An empty kernel.
    #[must_use]
    pub fn new() -> Self {
        Self {
            capabilities: CapabilitySystem::new(),
            environments: ObjectTable::new(),
            address_spaces: ObjectTable::new(),
            endpoints: ObjectTable::new(),
            notifications: ObjectTable::new(),
            timers: ObjectTable::new(),
            channels: ObjectTable::new(),
            timeouts: TimerQueue::new(),
            run_queue: RunQueue::default(),
            current: None,
            futex_waiters: BTreeMap::new(),
            init: None,
            work: WorkQueue::default(),
            space_users: BTreeMap::new(),
            console_input: None,
        }
    }

    /// Puts `id` at the back of the run queue.
    pub fn make_runnable(&mut self, id: u32) {
        if let Some(environment) = self.environments.get_mut(id) {
            environment.life = Life::Runnable;
            if self.current != Some(id) && !RunQueue::contains(&self.environments, id) {
                self.run_queue.enqueue(&mut self.environments, id, false);
            }
        }
    }

    /// Makes `id` runnable ahead of everything queued: it is the partner of the IPC that just
    /// happened, and running it next is what keeps a call/reply round trip short.
    pub fn make_runnable_next(&mut self, id: u32) {
        if let Some(environment) = self.environments.get_mut(id) {
            environment.life = Life::Runnable;
            if self.current == Some(id) {
                self.run_queue.remove(&mut self.environments, id);
            } else {
                self.run_queue.enqueue(&mut self.environments, id, true);
            }
        }
    }

    /// Blocks `id` (normally the caller) on `on` until woken or `deadline` (nanoseconds since
    /// boot).
    pub fn block(&mut self, id: u32, on: BlockedOn, deadline: Option<u64>) {
        if let Some(environment) = self.environments.get_mut(id) {
            environment.life = Life::Blocked { on, deadline };
            // An entry already due no later than this deadline stays: it re-arms itself for the
            // real deadline when it comes due. So a program that waits with the same timeout
            // again and again changes the queue about once per timeout, not twice per wait.
            if let Some(deadline) = deadline {
                match environment.timeout_entry {
                    Some(entry) if entry <= deadline => {}
                    entry => {
                        environment.timeout_entry = Some(deadline);
                        if let Some(entry) = entry {
                            self.timeouts.remove(entry, Sleeper::Environment(id));
                        }
                        self.timeouts.insert(deadline, Sleeper::Environment(id));
                    }
                }
            }
        }
        self.run_queue.remove(&mut self.environments, id);
        if self.current == Some(id) {
            self.current = None;
        }
    }

    /// Takes `id` out of whatever wait queue its blocked state names.
    fn leave_wait_queue(&mut self, id: u32, on: BlockedOn) {
        match on {
            BlockedOn::Call { endpoint, .. } => {
                if let Some(endpoint) = self.endpoints.get_mut(endpoint) {
                    endpoint.senders.retain(|&queued| queued != id);
                }
            }
            BlockedOn::Receive { endpoint, .. } => {
                if let Some(endpoint) = self.endpoints.get_mut(endpoint) {
                    endpoint.receivers.retain(|&queued| queued != id);
                }
            }
            BlockedOn::Notification { notification } => {
                if let Some(notification) = self.notifications.get_mut(notification) {
                    notification.waiters.retain(|&queued| queued != id);
                }
            }
            BlockedOn::Futex { key } => {
                if let Some(waiters) = self.futex_waiters.get_mut(&key) {
                    waiters.retain(|queued| queued.environment != id);
                    if waiters.is_empty() {
                        self.futex_waiters.remove(&key);
                    }
                }
            }
            BlockedOn::Reply { .. } => {}
        }
    }

    /// Ends a blocking call of `id` with `result` and makes it runnable.
    pub fn wake(&mut self, id: u32, result: Result<[u64; 6], KernelError>) {
        let Some(environment) = self.environments.get_mut(id) else {
            return;
        };
        let Life::Blocked { on, deadline } = environment.life else {
            return;
        };
        environment.set_result(result);
        // Its timer-queue entry (if any) stays; `expire_timeouts` drops it when it comes due.
        let _ = deadline;
        let stop_instead = core::mem::take(&mut environment.stop_pending);
        self.leave_wait_queue(id, on);
        if stop_instead {
            crate::system_calls::interruption::stop_now(self, id);
        } else {
            self.make_runnable(id);
        }
    }

    /// Handles what is due on the timer queue at `now` (nanoseconds since boot): blocked calls
    /// time out, timers fire. At most [`MAXIMUM_EXPIRIES_PER_TICK`] entries per call.
    pub fn expire_timeouts(&mut self, now: u64) {
        for _ in 0..MAXIMUM_EXPIRIES_PER_TICK {
            let Some((deadline, sleeper)) = self.timeouts.pop_due(now) else {
                return;
            };
            match sleeper {
                Sleeper::Environment(id) => {
                    let Some(environment) = self.environments.get_mut(id) else {
                        continue;
                    };
                    if environment.timeout_entry != Some(deadline) {
                        continue;
                    }
                    environment.timeout_entry = None;
                    let life = environment.life;
                    match life {
                        Life::Blocked {
                            deadline: Some(own),
                            ..
                        } if own <= now => self.wake(id, Err(KernelError::TimedOut)),
                        // An entry kept from an earlier wait: re-armed for this wait's deadline.
                        Life::Blocked {
                            deadline: Some(own),
                            ..
                        } => {
                            environment.timeout_entry = Some(own);
                            self.timeouts.insert(own, Sleeper::Environment(id));
                        }
                        _ => {}
                    }
                }
                Sleeper::Timer(id) => crate::system_calls::timer::fire(self, id, deadline, now),
            }
        }
    }

    /// Sends the current environment to the back of the queue (time slice over or yield).
    pub fn preempt(&mut self) {
        if let Some(id) = self.current.take()
            && matches!(
                self.environments
                    .get(id)
                    .map(|environment| environment.life),
                Some(Life::Runnable)
            )
        {
            self.run_queue.enqueue(&mut self.environments, id, false);
        }
    }

    /// The environment to run next: the current one if it can go on, else the queue's head.
    pub fn pick_next(&mut self) -> Option<u32> {
        if let Some(id) = self.current {
            if matches!(
                self.environments
                    .get(id)
                    .map(|environment| environment.life),
                Some(Life::Runnable)
            ) {
                return Some(id);
            }
            self.current = None;
        }
        let id = self.run_queue.pop(&mut self.environments)?;
        self.current = Some(id);
        Some(id)
    }

    /// Ends environment `id`: takes it off every queue, fails the caller it owes a reply with
    /// `PeerGone`, signals its watchers and queues the teardown of its capability space.
    pub fn end_environment(&mut self, id: u32, ending: Ending) {
        let Some(environment) = self.environments.get_mut(id) else {
            return;
        };
        if environment.has_ended() {
            return;
        }
        let previous = environment.life;
        environment.life = Life::Ended(ending);
        environment.held_result = None;
        let reply_to = environment.reply_to.take();
        let watchers = core::mem::take(&mut environment.watchers);
        let space = environment.space;
        let address_space = environment.address_space;
        if let Some(entry) = environment.timeout_entry.take() {
            self.timeouts.remove(entry, Sleeper::Environment(id));
        }
        if let Life::Blocked { on, .. } = previous {
            self.leave_wait_queue(id, on);
        }
        self.run_queue.remove(&mut self.environments, id);
        if self.current == Some(id) {
            self.current = None;
        }
        crate::debug!("environment {id} ended: {ending:?}");
        if let Ending::Faulted { vector, address } = ending {
            // Kept for `dmesg` whatever the log level: a fault nobody handled is worth finding
            // after the fact (the log port prints it only at debug level).
            crate::log_ring::record(
                "fault",
                format_args!(
                    "environment {id} ended by exception {vector} at address {address:#x}"
                ),
            );
        }

        // A caller waiting for this environment's reply will never get one. (A caller waits
        // for at most one server, and a server owes at most one reply: `reply_to` is the
        // whole list, so no search is needed.)
        if let Some(caller) = reply_to {
            self.wake_reply_waiter(caller, id);
        }
        for watcher in watchers {
            self.signal_notification(watcher.notification, watcher.bits);
        }
        if let Some(address_space_object) = self.address_spaces.get_mut(address_space) {
            address_space_object.environment_count =
                address_space_object.environment_count.saturating_sub(1);
            if address_space_object.environment_count == 0 && address_space_object.unreferenced {
                self.work.push(WorkItem::ForgetAddressSpace(address_space));
            }
        }
        // Threads share their process's space: it goes with the last of them.
        let users = self
            .space_users
            .remove(&space)
            .unwrap_or(1)
            .saturating_sub(1);
        if users == 0 {
            self.work.push(WorkItem::TearDownSpace(space));
        } else {
            self.space_users.insert(space, users);
        }
        if self.init == Some(id) {
            crate::init_program::init_ended(ending);
        }
    }

    /// Fails `caller`'s call with `PeerGone` if it is still waiting for `server`'s reply.
    pub fn wake_reply_waiter(&mut self, caller: u32, server: u32) {
        let waiting = matches!(
            self.environments.get(caller).map(|environment| environment.life),
            Some(Life::Blocked { on: BlockedOn::Reply { server: waiting_for, .. }, .. }) if waiting_for == server
        );
        if waiting {
            self.wake(caller, Err(KernelError::PeerGone));
        }
    }

    /// Signals the notification bound to console input if input arrived since the last look.
    /// A binding whose notification died (its id went stale) is dropped.
    pub fn deliver_console_input(&mut self) {
        let Some((id, bits)) = self.console_input else {
            return;
        };
        if self.notifications.get(id).is_none() {
            self.console_input = None;
            return;
        }
        if crate::console::take_input_interrupt() {
            self.signal_notification(id, bits);
        }
    }

    /// ORs `bits` into a notification and wakes its first waiter with the word. Returns the
    /// environment a `NotificationWait` woke, if one did.
    pub fn signal_notification(&mut self, id: u32, bits: u64) -> Option<u32> {
        let notification = self.notifications.get_mut(id)?;
        notification.word |= bits;
        if notification.word == 0 {
            return None;
        }
        if let Some(waiter) = notification.waiters.pop_front() {
            let word = core::mem::take(&mut notification.word);
            self.wake(waiter, Ok([word, 0, 0, 0, 0, 0]));
            Some(waiter)
        } else {
            crate::system_calls::binding::wake_bound_receiver(self, id);
            None
        }
    }

    /// Runs `next`, just made runnable by the current environment `id`, in the rest of `id`'s
    /// time slice: `id` goes to the front of the queue and runs again as soon as `next` blocks
    /// or is preempted (what an IPC call does for its server). The timer still sends whoever
    /// runs to the back of the queue at each tick, so a pair handing the processor to each
    /// other cannot keep it from the others for longer than a tick.
    pub fn switch_to_woken(&mut self, id: u32, next: u32) {
        let runnable = |kernel: &Self, which: u32| {
            matches!(
                kernel
                    .environments
                    .get(which)
                    .map(|environment| environment.life),
                Some(Life::Runnable)
            )
        };
        if self.current != Some(id) || id == next || !runnable(self, id) || !runnable(self, next) {
            return;
        }
        self.current = None;
        self.run_queue.enqueue(&mut self.environments, id, true);
        self.run_queue.remove(&mut self.environments, next);
        self.current = Some(next);
    }
}

impl Default for KernelState {
    fn default() -> Self {
        Self::new()
    }
}
