//! Timers on a process's processor time: POSIX timers on CLOCK_PROCESS_CPUTIME_ID
//! (`posix_timers.rs`, marked `on_processor_time`) and `ITIMER_VIRTUAL` (user time, `SIGVTALRM`)
//! / `ITIMER_PROF` (user and system time, `SIGPROF`). The kernel counts each environment's
//! processor time but signals nothing when it passes a value, so the server looks: while a
//! process has such a timer armed, the server's one kernel timer (`alarms.rs`) is also armed
//! for when the earliest of them could pass at the soonest — its remaining processor time
//! spread over the process's threads, and never sooner than [`MINIMUM_POLL`] — and each look
//! reads the process's time (its main environment's and every thread's) and fires what passed.
//! Expiries are therefore late by up to one look (about a millisecond) plus the kernel's own
//! accounting grain.

use alloc::vec::Vec;

use libos::abi::Slot;
use libos::process::protocol;
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::SI_KERNEL;
use libposix_sys::signal::{SIGPROF, SIGVTALRM};
use libposix_sys::time::{ITIMER_PROF, ITIMER_VIRTUAL};

use crate::Server;
use crate::signals::Origin;

/// The shortest wait between two looks at a process's processor time.
const MINIMUM_POLL: u64 = 1_000_000;
/// The shortest period kept (as for `ITIMER_REAL`).
const MINIMUM_PERIOD: u64 = 1_000_000;

/// One of `ITIMER_VIRTUAL` / `ITIMER_PROF`: the next expiry on its clock and the period.
#[derive(Clone, Copy, Debug, Default)]
pub struct IntervalTimer {
    /// The processor time (nanoseconds on the timer's clock) at which it next expires.
    pub deadline: u64,
    /// The period (0: one-shot).
    pub period: u64,
}

/// Processor time of a process, in nanoseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessorTime {
    /// In user mode.
    pub user: u64,
    /// In the kernel on its behalf.
    pub system: u64,
}

impl ProcessorTime {
    /// User plus system time (CLOCK_PROCESS_CPUTIME_ID, `ITIMER_PROF`'s clock).
    #[must_use]
    pub fn total(self) -> u64 {
        self.user.saturating_add(self.system)
    }
}

/// Index of `which` in a process's `interval_timers`, with its clock reader and signal.
fn interval_index(which: i32) -> Result<usize, Errno> {
    match which {
        ITIMER_VIRTUAL => Ok(0),
        ITIMER_PROF => Ok(1),
        _ => Err(Errno::EINVAL),
    }
}

/// The clock of interval timer `index`: user time for `ITIMER_VIRTUAL`, all of it for
/// `ITIMER_PROF`.
fn interval_clock(index: usize, time: ProcessorTime) -> u64 {
    if index == 0 { time.user } else { time.total() }
}

impl Server {
    /// The processor time of process `pid` so far: its main environment's and each of its
    /// threads' (a thread that ended no longer answers and counts 0).
    pub(crate) fn process_processor_time(&self, pid: i32) -> Option<ProcessorTime> {
        let process = self.table.get(pid)?;
        let environments = core::iter::once(process.environment)
            .chain(process.threads.iter().map(|thread| thread.environment));
        Some(
            environments.fold(ProcessorTime::default(), |sum, environment: Slot| {
                let (user, system) = crate::processor_time(environment);
                ProcessorTime {
                    user: sum.user.saturating_add(user),
                    system: sum.system.saturating_add(system),
                }
            }),
        )
    }

    /// `SET_CPU_TIMER` / `GET_CPU_TIMER` (`setitimer`/`getitimer` of `ITIMER_VIRTUAL` or
    /// `ITIMER_PROF`, `which` above the operation) from `caller`: returns the previous
    /// `[remaining, period]`.
    pub(crate) fn interval_timer(
        &mut self,
        caller: i32,
        words: [u64; 3],
    ) -> Result<[u64; 2], Errno> {
        let index = interval_index((words[0] >> 8) as u32 as i32)?;
        let now = interval_clock(
            index,
            self.process_processor_time(caller).ok_or(Errno::ESRCH)?,
        );
        let process = self.table.get_mut(caller).ok_or(Errno::ESRCH)?;
        let previous = process.interval_timers[index].map_or([0, 0], |timer| {
            [timer.deadline.saturating_sub(now).max(1), timer.period]
        });
        if words[0] & 0xff == protocol::SET_CPU_TIMER {
            let period = if words[2] == 0 {
                0
            } else {
                words[2].max(MINIMUM_PERIOD)
            };
            process.interval_timers[index] = (words[1] != 0).then(|| IntervalTimer {
                deadline: now.saturating_add(words[1]),
                period,
            });
            self.arm_alarm_timer()?;
        }
        Ok(previous)
    }

    /// When the server should next look at processor times (monotonic nanoseconds), if any
    /// live process has a processor-time timer armed.
    pub(crate) fn next_processor_time_look(&self, now: u64) -> Option<u64> {
        self.table
            .iter()
            .filter(|(_, process)| process.ended.is_none() && process.has_processor_time_timer())
            .filter_map(|(&pid, process)| {
                let time = self.process_processor_time(pid)?;
                let posix = process
                    .timers
                    .iter()
                    .filter(|timer| timer.on_processor_time)
                    .filter_map(|timer| timer.deadline)
                    .map(|deadline| deadline.saturating_sub(time.total()));
                let interval =
                    process
                        .interval_timers
                        .iter()
                        .enumerate()
                        .filter_map(|(index, timer)| {
                            timer.map(|timer| {
                                timer.deadline.saturating_sub(interval_clock(index, time))
                            })
                        });
                let remaining = posix.chain(interval).min()?;
                // With every thread running at once, the time passes that much sooner.
                let threads = process.threads.len() as u64 + 1;
                Some(now.saturating_add((remaining / threads).max(MINIMUM_POLL)))
            })
            .min()
    }

    /// Fires every processor-time timer whose time has passed: POSIX timers through
    /// [`Server::fire_posix_timer`], `ITIMER_VIRTUAL`/`ITIMER_PROF` with `SIGVTALRM`/`SIGPROF`;
    /// periodic ones are re-armed past the present.
    pub(crate) fn expire_processor_time_timers(&mut self) {
        let pids: Vec<i32> = self
            .table
            .iter()
            .filter(|(_, process)| process.ended.is_none() && process.has_processor_time_timer())
            .map(|(&pid, _)| pid)
            .collect();
        for pid in pids {
            let Some(time) = self.process_processor_time(pid) else {
                continue;
            };
            let due: Vec<crate::posix_timers::PosixTimer> = self
                .table
                .get(pid)
                .map(|process| {
                    process
                        .timers
                        .iter()
                        .filter(|timer| {
                            timer.on_processor_time
                                && timer
                                    .deadline
                                    .is_some_and(|deadline| deadline <= time.total())
                        })
                        .copied()
                        .collect()
                })
                .unwrap_or_default();
            for timer in due {
                self.fire_posix_timer(pid, timer, time.total());
            }
            for (index, signal) in [(0, SIGVTALRM), (1, SIGPROF)] {
                let now = interval_clock(index, time);
                let Some(process) = self.table.get_mut(pid) else {
                    break;
                };
                let Some(timer) = process.interval_timers[index] else {
                    continue;
                };
                if timer.deadline > now {
                    continue;
                }
                process.interval_timers[index] = (timer.period != 0).then(|| {
                    let missed = (now - timer.deadline) / timer.period;
                    IntervalTimer {
                        deadline: timer
                            .deadline
                            .saturating_add(timer.period.saturating_mul(missed + 1)),
                        period: timer.period,
                    }
                });
                self.send(
                    pid,
                    signal,
                    Origin {
                        code: SI_KERNEL,
                        pid: 0,
                        value: 0,
                        sigval: 0,
                    },
                );
            }
        }
    }
}
