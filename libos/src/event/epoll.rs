//! `epoll_create1`, `epoll_ctl`, `epoll_wait`, `epoll_pwait`: an interest list in this
//! process's memory, checked against each description's readiness, waiting on the process's
//! one notification (`event::wake`) after registering in every watched object's shared header.
//!
//! Level-triggered entries are reported while ready; edge-triggered ones (`EPOLLET`) when a
//! watched event newly holds or the object's activity count moved since the last report;
//! `EPOLLONESHOT` disables an entry after one report until `EPOLL_CTL_MOD`. An entry holds its
//! description weakly and goes away when the description's last descriptor closes, as Linux's
//! does when the file is released.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use libposix_sys::epoll::{
    EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP,
    EPOLLONESHOT, EPOLLWAKEUP, EpollEvent,
};
use libposix_sys::errno::Errno;
use spin::Mutex;

use super::readiness::{self, Status, Wakes};
use super::{EventObject, Waiting};
use crate::io::description::{Backend, OpenFile};

/// How deep epoll instances may nest (Linux's `EP_MAX_NESTS`).
const MAXIMUM_NESTING: usize = 4;

struct Entry {
    file: Weak<OpenFile>,
    events: u32,
    data: u64,
    /// The events and activity at the last report (edge-triggered).
    reported: Option<Status>,
    /// `EPOLLONESHOT` after its report.
    disabled: bool,
}

/// One epoll instance.
#[derive(Default)]
pub struct Epoll {
    entries: Mutex<BTreeMap<i32, Entry>>,
}

fn instance(file: &OpenFile) -> Option<&Epoll> {
    match file.backend() {
        Backend::Event(EventObject::Epoll(epoll)) => Some(epoll),
        _ => None,
    }
}

impl Epoll {
    /// Whether `target` is this instance or reaches it through nested instances (`ELOOP`), or
    /// nests deeper than Linux allows.
    fn reaches(&self, target: &OpenFile, depth: usize) -> bool {
        let Some(inner) = instance(target) else {
            return false;
        };
        if core::ptr::eq(inner, self) || depth > MAXIMUM_NESTING {
            return true;
        }
        let files: Vec<Arc<OpenFile>> = inner
            .entries
            .lock()
            .values()
            .filter_map(|entry| entry.file.upgrade())
            .collect();
        files.iter().any(|file| self.reaches(file, depth + 1))
    }

    /// `epoll_ctl` on this instance, `target` being the description `fd` names.
    ///
    /// # Errors
    /// `EEXIST`, `ENOENT`, `EINVAL` (bad operation or flags, `EPOLLEXCLUSIVE` with MOD, the
    /// instance itself), `EPERM` (a regular file or directory), `ELOOP`.
    pub fn control(
        &self,
        operation: i32,
        fd: i32,
        target: &Arc<OpenFile>,
        event: Option<EpollEvent>,
    ) -> Result<(), Errno> {
        if instance(target).is_some_and(|inner| core::ptr::eq(inner, self)) {
            return Err(Errno::EINVAL);
        }
        if !readiness::pollable_by_epoll(target) {
            return Err(Errno::EPERM);
        }
        let mut entries = self.entries.lock();
        // An entry whose description is gone (or whose fd now names another) is stale.
        entries.retain(|_, entry| entry.file.strong_count() > 0);
        let same = |entry: &Entry| {
            entry
                .file
                .upgrade()
                .is_some_and(|file| Arc::ptr_eq(&file, target))
        };
        match operation {
            EPOLL_CTL_ADD => {
                let event = event.ok_or(Errno::EFAULT)?;
                if entries.get(&fd).is_some_and(same) {
                    return Err(Errno::EEXIST);
                }
                let events = event.events;
                if events & EPOLLEXCLUSIVE != 0
                    && events & !(EPOLLEXCLUSIVE | EPOLLWAKEUP | EPOLLET | 0xffff) != 0
                {
                    return Err(Errno::EINVAL);
                }
                drop(entries);
                if self.reaches(target, 0) {
                    return Err(Errno::ELOOP);
                }
                self.entries.lock().insert(
                    fd,
                    Entry {
                        file: Arc::downgrade(target),
                        events,
                        data: event.data,
                        reported: None,
                        disabled: false,
                    },
                );
                Ok(())
            }
            EPOLL_CTL_MOD => {
                let event = event.ok_or(Errno::EFAULT)?;
                let entry = entries
                    .get_mut(&fd)
                    .filter(|entry| same(entry))
                    .ok_or(Errno::ENOENT)?;
                if event.events & EPOLLEXCLUSIVE != 0 || entry.events & EPOLLEXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                entry.events = event.events;
                entry.data = event.data;
                entry.reported = None;
                entry.disabled = false;
                Ok(())
            }
            EPOLL_CTL_DEL => {
                if !entries.get(&fd).is_some_and(same) {
                    return Err(Errno::ENOENT);
                }
                entries.remove(&fd);
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// Collects up to `events.len()` ready entries (updating edge and one-shot state unless
    /// `look_only`); with `waiting`, registers interest in each entry not ready.
    fn collect(
        &self,
        events: &mut [EpollEvent],
        look_only: bool,
        mut waiting: Option<&mut Waiting>,
    ) -> usize {
        // The descriptions are looked at outside the lock (a nested epoll locks its own).
        let snapshot: Vec<(i32, Option<Arc<OpenFile>>)> = self
            .entries
            .lock()
            .iter()
            .filter(|(_, entry)| !entry.disabled)
            .map(|(&fd, entry)| (fd, entry.file.upgrade()))
            .collect();
        let mut count = 0;
        for (fd, file) in snapshot {
            let Some(file) = file else {
                self.entries.lock().remove(&fd);
                continue;
            };
            let status = readiness::status(&file);
            let mut entries = self.entries.lock();
            let Some(entry) = entries.get_mut(&fd) else {
                continue;
            };
            let wanted = entry.events | EPOLLERR | EPOLLHUP;
            let ready = status.events & wanted;
            let report = if ready == 0 {
                false
            } else if entry.events & EPOLLET != 0 {
                entry.reported.is_none_or(|last| {
                    ready & !last.events != 0 || status.activity != last.activity
                })
            } else {
                true
            };
            if entry.events & EPOLLET != 0 && !look_only {
                // The edge state follows the object even when nothing is reported, so a
                // condition that cleared and came back is a new edge.
                if !report {
                    entry.reported = Some(Status {
                        events: ready,
                        activity: status.activity,
                    });
                }
            }
            if report && count < events.len() {
                if look_only {
                    return 1;
                }
                events[count] = EpollEvent {
                    events: ready,
                    data: entry.data,
                };
                count += 1;
                entry.reported = Some(Status {
                    events: ready,
                    activity: status.activity,
                });
                if entry.events & EPOLLONESHOT != 0 {
                    entry.disabled = true;
                }
            } else if !report {
                let interest = entry.events;
                drop(entries);
                if let Some(waiting) = waiting.as_deref_mut() {
                    waiting.add(readiness::register(&file, interest));
                }
            }
        }
        count
    }

    /// `epoll_pwait`'s body: `timeout` milliseconds (negative: forever), with `mask` (if any)
    /// as the blocked mask while it waits.
    ///
    /// # Errors
    /// `EINVAL` for an empty `events`; `EINTR`.
    pub fn wait(
        &self,
        events: &mut [EpollEvent],
        timeout: i32,
        mask: Option<&super::poll::SignalSet>,
    ) -> Result<usize, Errno> {
        if events.is_empty() || events.len() > i32::MAX as usize / 12 {
            return Err(Errno::EINVAL);
        }
        let deadline = super::Deadline::from_milliseconds(timeout);
        let signals = super::poll::wait_mask(mask)?;
        loop {
            let count = self.collect(events, false, None);
            if count > 0 || deadline.passed() {
                return Ok(count);
            }
            // As `poll`: a handler that ran ends the wait (`EINTR`, never restarted).
            if signals.interrupted() {
                return Err(Errno::EINTR);
            }
            let mut waiting = Waiting::default();
            let count = self.collect(events, false, Some(&mut waiting));
            if count > 0 {
                return Ok(count);
            }
            // Cut short: a handler that ran ends the call at the top of the loop; a stop and a
            // continue with no handler do not (Linux restarts the wait with the same deadline).
            match waiting.sleep(deadline) {
                Err(Errno::EINTR) => {}
                other => other?,
            }
        }
    }

    /// Readable when some entry is ready (for `poll` on an epoll descriptor and nesting).
    #[must_use]
    pub fn status(&self) -> Status {
        let mut probe = [EpollEvent::default()];
        Status {
            events: if self.collect(&mut probe, true, None) > 0 {
                readiness::IN
            } else {
                0
            },
            activity: 0,
        }
    }

    /// Registers interest in every entry (a nested instance being polled).
    #[must_use]
    pub fn register(&self) -> Wakes {
        let mut waiting = Waiting::default();
        let mut probe = [EpollEvent::default()];
        let _ = self.collect(&mut probe, true, Some(&mut waiting));
        waiting.as_wakes()
    }
}
