//! Each process's `ITIMER_REAL` (`alarm`, `setitimer`): deadlines kept here, one kernel timer
//! of the server's armed for the earliest (of these and the POSIX timers, `posix_timers.rs`),
//! `SIGALRM` sent like any other signal when one passes.

use libos::abi::{Slot, initial};
use libos::clock::clock_monotonic;
use libos::{slots, timer};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::SI_KERNEL;
use libposix_sys::signal::SIGALRM;

use crate::Server;
use crate::signals::Origin;

/// The bit the alarm timer sets on the server's notification (1 is the exit watches').
pub const ALARM_BIT: u64 = 2;
/// The shortest period the server keeps (1 ms, a tenth of the kernel's tick): a process asking
/// for a 1 ns period must not keep the server busy sending it `SIGALRM`s.
const MINIMUM_PERIOD: u64 = 1_000_000;

impl Server {
    /// `SET_ALARM` / `GET_ALARM` from `caller`: returns the previous `[remaining, period]`.
    pub(crate) fn alarm(&mut self, caller: i32, words: [u64; 3]) -> Result<[u64; 2], Errno> {
        let now = clock_monotonic();
        let process = self.table.get_mut(caller).ok_or(Errno::ESRCH)?;
        let previous = process.alarm.map_or([0, 0], |(deadline, period)| {
            [deadline.saturating_sub(now).max(1), period]
        });
        if words[0] == libos::process::protocol::SET_ALARM {
            let period = if words[2] == 0 {
                0
            } else {
                words[2].max(MINIMUM_PERIOD)
            };
            process.alarm = (words[1] != 0).then(|| (now.saturating_add(words[1]), period));
            self.arm_alarm_timer()?;
        }
        Ok(previous)
    }

    /// Sends `SIGALRM` to every process whose deadline has passed, re-arming periodic ones.
    pub(crate) fn expire_alarms(&mut self) {
        let now = clock_monotonic();
        let due: alloc::vec::Vec<i32> = self
            .table
            .iter()
            .filter(|(_, p)| p.ended.is_none() && p.alarm.is_some_and(|(at, _)| at <= now))
            .map(|(&pid, _)| pid)
            .collect();
        for pid in due {
            if let Some(process) = self.table.get_mut(pid) {
                process.alarm = process.alarm.and_then(|(_, period)| {
                    (period != 0).then(|| (now.saturating_add(period), period))
                });
            }
            self.send(
                pid,
                SIGALRM,
                Origin {
                    code: SI_KERNEL,
                    pid: 0,
                    value: 0,
                    sigval: 0,
                },
            );
        }
        self.expire_posix_timers(now);
        self.expire_processor_time_timers();
        let _ = self.arm_alarm_timer();
    }

    /// Arms the server's timer for the earliest deadline (making the timer on first use).
    pub(crate) fn arm_alarm_timer(&mut self) -> Result<(), Errno> {
        let alarms = self
            .table
            .iter()
            .filter(|(_, p)| p.ended.is_none())
            .filter_map(|(_, p)| p.alarm.map(|(at, _)| at))
            .min();
        let earliest = [
            alarms,
            self.earliest_posix_timer(),
            self.next_processor_time_look(clock_monotonic()),
        ]
        .into_iter()
        .flatten()
        .min();
        let timer = match self.alarm_timer {
            Some(timer) => timer,
            None => {
                if earliest.is_none() {
                    return Ok(());
                }
                let slot: Slot = slots::allocate().ok_or(Errno::EAGAIN)?;
                if timer::create(initial::MEMORY_QUOTA, slot, self.ends, ALARM_BIT).is_err() {
                    slots::free(slot);
                    return Err(Errno::EAGAIN);
                }
                self.alarm_timer = Some(slot);
                slot
            }
        };
        match earliest {
            Some(deadline) => timer::arm(timer, deadline, 0).map_err(|_| Errno::EAGAIN),
            None => timer::disarm(timer).map(|_| ()).map_err(|_| Errno::EAGAIN),
        }
    }
}
