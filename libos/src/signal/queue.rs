//! The signal queue: the second half of a process's signal page, where the process server
//! queues every instance of a real-time signal (and a standard signal sent with a value by
//! `sigqueue`) with its `si_code`, sender and value, so that each instance is delivered once, in
//! the order sent. The pending set stays the summary ("at least one instance"); this queue holds
//! the instances. Its capacity is the `RLIMIT_SIGPENDING`-like limit: a `sigqueue` of a
//! real-time signal that finds it full is refused with `EAGAIN`.
//!
//! The server is the only producer: it writes a free entry's fields, then its sequence number
//! (nonzero, never reused by the server). A consumer claims an entry by swapping the sequence it
//! read to 0, so two consumers (a handler entered during `sigtimedwait`, say) never take the same
//! instance, and a slot the server reused under a reader fails the claim. Every word is hostile
//! to the server: it looks at a bounded number of entries and any value is harmless to it.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use libposix_sys::siginfo::Siginfo;

use super::page::{SignalPage, bit};

/// Where the queue starts in the signal page.
pub const QUEUE_OFFSET: usize = 2048;
/// How many instances may wait at once (the queue limit).
pub const CAPACITY: usize = 48;

/// One queued instance.
#[repr(C)]
pub struct QueuedSignal {
    /// The order it was queued in (0: the entry is free).
    pub sequence: AtomicU64,
    /// `signal | si_code << 32`.
    pub head: AtomicU64,
    /// `si_pid | si_uid << 32`.
    pub sender: AtomicU64,
    /// `si_value`.
    pub value: AtomicU64,
}

/// The queue.
#[repr(C)]
pub struct SignalQueue {
    /// The last sequence number the server gave.
    pub last_sequence: AtomicU64,
    /// The instances, in no particular order (the sequence orders them).
    pub entries: [QueuedSignal; CAPACITY],
}

const _: () = assert!(core::mem::size_of::<SignalPage>() <= QUEUE_OFFSET);
const _: () = assert!(
    QUEUE_OFFSET + core::mem::size_of::<SignalQueue>() <= exokernel_abi::PAGE_SIZE as usize
);

/// The queue of `page`.
#[must_use]
pub fn of(page: &SignalPage) -> &SignalQueue {
    let address = core::ptr::from_ref(page) as usize + QUEUE_OFFSET;
    // SAFETY: a `SignalPage` only ever exists at the start of a whole mapped signal-page frame
    // (`page::page` in the process, the server's own mapping of each process's frame), so the
    // queue's bytes lie in the same mapping, which lives as long as the page reference. Every
    // field is an atomic, valid for any bits, and the offset keeps them 8-byte aligned.
    unsafe { &*(address as *const SignalQueue) }
}

/// What a sender puts in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    /// The signal.
    pub signal: i32,
    /// `si_code`.
    pub code: i32,
    /// The sender's pid.
    pub pid: i32,
    /// The sender's real uid.
    pub uid: u32,
    /// `si_value`.
    pub value: u64,
}

impl Instance {
    fn information(self) -> Siginfo {
        if self.code == libposix_sys::siginfo::SI_TIMER {
            // A timer's expiry: the server puts the timer's id where a sender's pid goes and
            // the overrun count where its uid goes.
            return Siginfo::timer(self.signal, self.pid, self.uid as i32, self.value);
        }
        Siginfo::queued(self.signal, self.code, self.pid, self.uid, self.value)
    }
}

impl SignalQueue {
    /// The server's side: queues `instance` in a free entry. Returns `false` when the queue is
    /// full.
    pub fn push(&self, instance: Instance) -> bool {
        let Some(entry) = self
            .entries
            .iter()
            .find(|entry| entry.sequence.load(Ordering::Acquire) == 0)
        else {
            return false;
        };
        entry.head.store(
            u64::from(instance.signal as u32) | (u64::from(instance.code as u32) << 32),
            Ordering::Relaxed,
        );
        entry.sender.store(
            u64::from(instance.pid as u32) | (u64::from(instance.uid) << 32),
            Ordering::Relaxed,
        );
        entry.value.store(instance.value, Ordering::Relaxed);
        let sequence = self
            .last_sequence
            .load(Ordering::Relaxed)
            .wrapping_add(1)
            .max(1);
        self.last_sequence.store(sequence, Ordering::Relaxed);
        entry.sequence.store(sequence, Ordering::Release);
        true
    }

    /// Whether a free entry remains.
    #[must_use]
    pub fn has_room(&self) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.sequence.load(Ordering::Acquire) == 0)
    }

    /// How many instances of `signal` are queued.
    #[must_use]
    pub fn count(&self, signal: i32) -> usize {
        self.entries
            .iter()
            .filter(|entry| {
                entry.sequence.load(Ordering::Acquire) != 0
                    && entry.head.load(Ordering::Acquire) as u32 as i32 == signal
            })
            .count()
    }

    /// Takes the oldest queued instance of `signal`.
    pub fn take(&self, signal: i32) -> Option<Instance> {
        loop {
            let mut oldest: Option<(u64, &QueuedSignal, Instance)> = None;
            for entry in &self.entries {
                let sequence = entry.sequence.load(Ordering::Acquire);
                if sequence == 0 {
                    continue;
                }
                let head = entry.head.load(Ordering::Acquire);
                if head as u32 as i32 != signal {
                    continue;
                }
                if oldest.is_some_and(|(best, _, _)| best <= sequence) {
                    continue;
                }
                let sender = entry.sender.load(Ordering::Acquire);
                let instance = Instance {
                    signal,
                    code: (head >> 32) as u32 as i32,
                    pid: sender as u32 as i32,
                    uid: (sender >> 32) as u32,
                    value: entry.value.load(Ordering::Acquire),
                };
                oldest = Some((sequence, entry, instance));
            }
            let (sequence, entry, instance) = oldest?;
            if entry
                .sequence
                .compare_exchange(sequence, 0, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Some(instance);
            }
        }
    }

    /// Drops every queued instance of `signal` (it became ignored).
    pub fn discard(&self, signal: i32) {
        while self.take(signal).is_some() {}
    }
}

/// Set while this process takes an instance out of its page: the trampoline can interrupt a
/// taker between claiming a queued instance and updating the pending bit, and must then leave
/// the signals for the taker (which delivers what is left when it is done) rather than see a
/// half-updated state.
static TAKING: AtomicBool = AtomicBool::new(false);

/// Takes one pending instance of `signal` out of `page`: the oldest queued one, or the one the
/// pending bit and record stand for. The pending bit stays set while queued instances remain.
/// `None` when none is pending, or when another taker is in the middle of taking one.
pub(crate) fn take_pending(page: &SignalPage, signal: i32) -> Option<Siginfo> {
    if TAKING.swap(true, Ordering::AcqRel) {
        return None;
    }
    let taken = take_unlocked(page, signal);
    TAKING.store(false, Ordering::Release);
    taken
}

fn take_unlocked(page: &SignalPage, signal: i32) -> Option<Siginfo> {
    let mask = bit(signal);
    let queue = of(page);
    if page.pending.load(Ordering::Acquire) & mask == 0 {
        return None;
    }
    if let Some(instance) = queue.take(signal) {
        // Clear, then look again: an instance the server queued meanwhile set the bit after
        // its entry was visible, so either we see the entry or its bit survives our clear.
        page.pending.fetch_and(!mask, Ordering::AcqRel);
        if queue.count(signal) > 0 {
            page.pending.fetch_or(mask, Ordering::AcqRel);
        }
        return Some(instance.information());
    }
    if page.pending.fetch_and(!mask, Ordering::AcqRel) & mask == 0 {
        return None;
    }
    Some(super::delivery::information(page, signal))
}
