//! Quotas kept past their process's collection while processes made from them still live.
//!
//! A child's memory quota is split from its creator's, so revoking a collected process's quota
//! would also end every process it created that outlived it (orphans, now init's children)
//! and every process those created. So when a process is collected while such quota
//! descendants live, it stays here as a link of the creation chain: its collector, if that is
//! its creator (the one holding its quota), keeps the quota instead of revoking it, and is told
//! (`protocol::LINGER_RELEASED`) once every process made from it is collected too.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::table::Table;

/// A collected process whose quota still pays for live processes.
struct Entry {
    /// The process that created it (whose quota its own was split from).
    creator: i32,
    /// The process keeping its quota, to be told when it may revoke it (`None`: nobody can,
    /// its quota is inside a lingering ancestor's).
    holder: Option<i32>,
}

/// Every lingering process, and the releases their holders have not asked for yet.
#[derive(Default)]
pub struct Lingering {
    entries: BTreeMap<i32, Entry>,
    released: BTreeMap<i32, Vec<i32>>,
}

impl Lingering {
    /// The creator of `pid`, whether it is in the table or lingers.
    fn creator_of(&self, table: &Table, pid: i32) -> Option<i32> {
        table
            .get(pid)
            .map(|process| process.creator)
            .or_else(|| self.entries.get(&pid).map(|entry| entry.creator))
    }

    /// Whether `ancestor` is on the creation chain above a process whose creator is `creator`.
    fn descends_from(&self, table: &Table, mut creator: i32, ancestor: i32) -> bool {
        // Pids only grow along a chain (a creator is older than what it creates), which also
        // bounds the walk however the records look.
        let mut steps = table.count() + self.entries.len() + 1;
        while creator > 0 && steps > 0 {
            if creator == ancestor {
                return true;
            }
            match self.creator_of(table, creator) {
                Some(next) if next < creator => creator = next,
                _ => return false,
            }
            steps -= 1;
        }
        false
    }

    /// Whether a process in the table (live or a zombie) or a lingering one was made, directly or
    /// not, from `pid`'s quota.
    pub fn has_descendants(&self, table: &Table, pid: i32) -> bool {
        table
            .iter()
            .map(|(&other, process)| (other, process.creator))
            .chain(
                self.entries
                    .iter()
                    .map(|(&other, entry)| (other, entry.creator)),
            )
            .any(|(other, creator)| other != pid && self.descends_from(table, creator, pid))
    }

    /// Keeps collected `pid` (made by `creator`) as a link while its descendants live; `holder`
    /// keeps its quota.
    pub fn add(&mut self, pid: i32, creator: i32, holder: Option<i32>) {
        self.entries.insert(pid, Entry { creator, holder });
    }

    /// Lets go of every lingering process nothing descends from any more (after a collection),
    /// noting a release for each holder that is still a process.
    pub fn settle(&mut self, table: &Table) {
        loop {
            let done: Vec<i32> = self
                .entries
                .keys()
                .copied()
                .filter(|&pid| !self.has_descendants(table, pid))
                .collect();
            if done.is_empty() {
                break;
            }
            for pid in done {
                let Some(entry) = self.entries.remove(&pid) else {
                    continue;
                };
                if let Some(holder) = entry.holder
                    && table
                        .get(holder)
                        .is_some_and(|process| process.ended.is_none())
                {
                    self.released.entry(holder).or_default().push(pid);
                }
            }
        }
    }

    /// Up to two released pids for `holder` to revoke the quotas of (0 when none).
    pub fn take_released(&mut self, holder: i32) -> [i32; 2] {
        let mut answer = [0; 2];
        if let Some(list) = self.released.get_mut(&holder) {
            for place in &mut answer {
                if let Some(pid) = list.pop() {
                    *place = pid;
                }
            }
            if list.is_empty() {
                self.released.remove(&holder);
            }
        }
        answer
    }

    /// Forgets what `pid` was owed once it is collected itself (its capabilities went with it).
    pub fn holder_gone(&mut self, pid: i32) {
        self.released.remove(&pid);
        for entry in self.entries.values_mut() {
            if entry.holder == Some(pid) {
                entry.holder = None;
            }
        }
    }
}
