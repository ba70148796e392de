//! `SA_NOCLDWAIT`, and `SIGCHLD` set to `SIG_IGN`: a parent that declines its children's wait
//! statuses has each child reaped here the moment it ends, so no zombie is left; its `wait`
//! then waits until every child is gone and fails with `ECHILD` (POSIX, and Linux). The server
//! learns the parent's `SIGCHLD` disposition from the parent's signal page, read when the child
//! ends: whatever the parent wrote there only decides the fate of its own children's statuses.

use core::sync::atomic::Ordering;

use libposix_sys::signal::{SA_NOCLDWAIT, SIGCHLD};

use crate::table::Process;
use crate::{Server, delete};

impl Server {
    /// Whether `parent` declines its children's wait statuses.
    fn declines_child_statuses(&self, parent: i32) -> bool {
        self.signal_page(parent).is_some_and(|page| {
            let signal = libos::signal::page::bit(SIGCHLD);
            let ignored = page.ignored.load(Ordering::Acquire) & signal != 0
                && page.caught.load(Ordering::Acquire) & signal == 0;
            ignored || page.child_flags.load(Ordering::Acquire) & SA_NOCLDWAIT != 0
        })
    }

    /// Reaps the just-ended `child` at once if its `parent` declines its status.
    pub(crate) fn reap_if_declined(&mut self, parent: i32, child: i32) {
        if !self.declines_child_statuses(parent) {
            return;
        }
        if let Some(record) = self.table.remove(child) {
            let creator = record.creator;
            self.release(child, record);
            // Nobody is told to keep its quota: its parent's LibOS still holds it.
            self.linger(child, creator, None);
        }
    }

    /// After `pid` (made by `creator`) left the table: if processes made from its quota live
    /// on, it stays a link of their creation chain, and its `collector`, if that is its
    /// creator, must keep its quota (`protocol::QUOTA_KEPT`, returned for `WAIT`'s reply; 0
    /// otherwise). Lingering processes nothing descends from any more are released.
    pub(crate) fn linger(&mut self, pid: i32, creator: i32, collector: Option<i32>) -> u64 {
        self.lingering.holder_gone(pid);
        let mut kept = 0;
        if self.lingering.has_descendants(&self.table, pid) {
            let holder = collector.filter(|&collector| collector == creator);
            self.lingering.add(pid, creator, holder);
            if holder.is_some() {
                kept = libos::process::protocol::QUOTA_KEPT;
            }
        }
        self.lingering.settle(&self.table);
        kept
    }

    /// Gives back what the server held for a collected process.
    pub(crate) fn release(&mut self, pid: i32, record: Process) {
        self.identities.remove(pid);
        delete(record.environment);
        delete(record.endpoint);
        if let Some(events) = record.events {
            delete(events);
        }
        if let Some(wake) = record.signal_wake {
            delete(wake);
        }
        if let Some(terminal) = record.terminal {
            delete(terminal);
        }
        self.forget_page(record.signal_page);
        for thread in record.threads {
            self.forget_thread(thread);
        }
    }
}
