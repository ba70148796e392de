//! Each process's POSIX timers (`timer_create`, `timer_settime`, `timer_gettime`,
//! `timer_getoverrun`, `timer_delete`): kept here beside `ITIMER_REAL` (`alarms.rs`), whose
//! kernel timer is armed for the earliest deadline of either; an expiry sends the timer's
//! signal with `SI_TIMER`, its id and `si_value`, or with `SIGEV_NONE` only counts.

use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use libos::clock::clock_monotonic;
use libos::process::protocol;
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::SI_TIMER;
use libposix_sys::signal::SIGRTMAX;

use crate::Server;
use crate::signals::Origin;

/// Timers one process may have at once.
pub const MAXIMUM_TIMERS: usize = 32;
/// The shortest period kept (as for `ITIMER_REAL`): a 1 ns period must not keep the server busy.
const MINIMUM_PERIOD: u64 = 1_000_000;
/// Linux's `DELAYTIMER_MAX`: the overrun count saturates there.
const MAXIMUM_OVERRUN: u64 = i32::MAX as u64;

/// One timer of a process.
#[derive(Clone, Copy, Debug)]
pub struct PosixTimer {
    /// Its id (`timer_t`), unique in the process.
    pub id: i32,
    /// The signal it sends (0: `SIGEV_NONE`).
    pub signal: i32,
    /// `si_value` of its signals.
    pub value: u64,
    /// The next expiry (monotonic nanoseconds), while armed.
    pub deadline: Option<u64>,
    /// The period (0: one-shot).
    pub period: u64,
    /// Expiries while its last signal was still pending (`timer_getoverrun`).
    pub overrun: u64,
    /// On CLOCK_PROCESS_CPUTIME_ID: `deadline` is the process's processor time at which it
    /// expires (`cpu_timers.rs`), not a monotonic time.
    pub on_processor_time: bool,
}

impl Server {
    /// The `TIMER_*` operations of `caller`.
    pub(crate) fn posix_timer(&mut self, caller: i32, words: [u64; 3]) -> Result<[u64; 2], Errno> {
        let operation = words[0] & 0xff;
        let id = (words[0] >> 8) as u32 as i32;
        let on_processor_time = self
            .table
            .get(caller)
            .ok_or(Errno::ESRCH)?
            .timers
            .iter()
            .any(|timer| timer.id == id && timer.on_processor_time);
        // "Now" on the timer's clock.
        let now = if on_processor_time {
            self.process_processor_time(caller)
                .ok_or(Errno::ESRCH)?
                .total()
        } else {
            clock_monotonic()
        };
        let process = self.table.get_mut(caller).ok_or(Errno::ESRCH)?;
        if operation == protocol::TIMER_CREATE {
            let by_id = words[1] & protocol::TIMER_VALUE_IS_ID != 0;
            let on_processor_time = words[1] & protocol::TIMER_PROCESS_CPU_CLOCK != 0;
            let signal_word =
                words[1] & !(protocol::TIMER_VALUE_IS_ID | protocol::TIMER_PROCESS_CPU_CLOCK);
            if signal_word > SIGRTMAX as u64 {
                return Err(Errno::EINVAL);
            }
            let signal = signal_word as i32;
            if process.timers.len() >= MAXIMUM_TIMERS {
                return Err(Errno::EAGAIN);
            }
            let id = (0..)
                .find(|id| process.timers.iter().all(|timer| timer.id != *id))
                .unwrap_or(0);
            process.timers.push(PosixTimer {
                id,
                signal,
                value: if by_id { id as u64 } else { words[2] },
                deadline: None,
                period: 0,
                overrun: 0,
                on_processor_time,
            });
            return Ok([id as u64, 0]);
        }
        let index = process
            .timers
            .iter()
            .position(|timer| timer.id == id)
            .ok_or(Errno::EINVAL)?;
        let timer = &mut process.timers[index];
        let previous = [
            timer
                .deadline
                .map_or(0, |deadline| deadline.saturating_sub(now).max(1)),
            timer.period,
        ];
        match operation {
            protocol::TIMER_SET => {
                timer.period = if words[2] == 0 {
                    0
                } else {
                    words[2].max(MINIMUM_PERIOD)
                };
                timer.deadline = (words[1] != 0).then(|| now.saturating_add(words[1]));
                timer.overrun = 0;
            }
            protocol::TIMER_GET => {}
            protocol::TIMER_OVERRUN => return Ok([timer.overrun, 0]),
            protocol::TIMER_DELETE => {
                process.timers.remove(index);
            }
            _ => return Err(Errno::ENOSYS),
        }
        if operation != protocol::TIMER_GET {
            self.arm_alarm_timer()?;
        }
        Ok(previous)
    }

    /// The earliest armed POSIX-timer deadline of any live process.
    pub(crate) fn earliest_posix_timer(&self) -> Option<u64> {
        self.table
            .iter()
            .filter(|(_, process)| process.ended.is_none())
            .flat_map(|(_, process)| {
                process
                    .timers
                    .iter()
                    .filter(|timer| !timer.on_processor_time)
                    .filter_map(|timer| timer.deadline)
            })
            .min()
    }

    /// Sends the signal of every timer whose deadline has passed (or counts an overrun when the
    /// last one is still pending), re-arming periodic ones.
    pub(crate) fn expire_posix_timers(&mut self, now: u64) {
        let mut due: Vec<(i32, PosixTimer)> = Vec::new();
        for (&pid, process) in self.table.iter() {
            if process.ended.is_some() {
                continue;
            }
            for timer in &process.timers {
                if !timer.on_processor_time
                    && timer.deadline.is_some_and(|deadline| deadline <= now)
                {
                    due.push((pid, *timer));
                }
            }
        }
        for (pid, expired) in due {
            self.fire_posix_timer(pid, expired, now);
        }
    }

    /// Fires `expired` (a timer of `pid` whose deadline is at or before `now`, both on its
    /// clock): its signal, or an overrun when the last one is still pending; re-armed when
    /// periodic.
    pub(crate) fn fire_posix_timer(&mut self, pid: i32, expired: PosixTimer, now: u64) {
        {
            let Some(deadline) = expired.deadline else {
                return;
            };
            // Periods missed entirely count as overruns too.
            let missed = (now - deadline).checked_div(expired.period).unwrap_or(0);
            let pending = expired.signal != 0
                && self
                    .table
                    .get(pid)
                    .and_then(|p| p.signal_page)
                    .is_some_and(|page| {
                        page.page().pending.load(Ordering::Acquire)
                            & libos::signal::page::bit(expired.signal)
                            != 0
                    });
            let overrun = if pending {
                (expired.overrun + 1 + missed).min(MAXIMUM_OVERRUN)
            } else {
                missed.min(MAXIMUM_OVERRUN)
            };
            if let Some(timer) = self
                .table
                .get_mut(pid)
                .and_then(|process| process.timers.iter_mut().find(|t| t.id == expired.id))
            {
                timer.overrun = overrun;
                timer.deadline = (expired.period != 0)
                    .then(|| deadline.saturating_add(expired.period.saturating_mul(missed + 1)));
            }
            if expired.signal != 0 && !pending {
                self.send(
                    pid,
                    expired.signal,
                    Origin {
                        code: SI_TIMER,
                        pid: expired.id,
                        value: overrun,
                        sigval: expired.value,
                    },
                );
            }
        }
    }
}
