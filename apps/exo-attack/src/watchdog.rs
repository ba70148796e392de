//! A watchdog environment that measures from ring 3 how long the CPU was kept from it: the
//! upper bound on the interrupts-off stretches of a call that the kernel restarts in steps.
//!
//! A restartable call (`CapabilityDelete`, `CapabilityRevoke`) returns to ring 3 between steps
//! without our code seeing it, so the call's total duration overstates its longest stretch. The
//! watchdog spins reading the timestamp counter and keeps the longest gap between two readings;
//! no stretch of kernel work with interrupts off can be longer than that gap (the watchdog cannot
//! run during it), nor longer than the whole call. The smaller of the two bounds the stretch.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use libos::abi::{Call, RegisterSet, Slot, initial};
use libos::kernel::{RawResult, exit};

use crate::raw::{measure, record_duration, timestamp};
use crate::stub::{Stub, stack};
use crate::support::{SECOND, release, wait_until};

static RUNNING: AtomicBool = AtomicBool::new(false);
static STOP: AtomicBool = AtomicBool::new(false);
static LONGEST_GAP: AtomicU64 = AtomicU64::new(0);

/// The watchdog's code: spins keeping the longest gap between two timestamp readings.
extern "C" fn watch(_unused: u64) -> ! {
    let mut last = timestamp();
    RUNNING.store(true, Ordering::SeqCst);
    loop {
        let now = timestamp();
        LONGEST_GAP.fetch_max(now.wrapping_sub(last), Ordering::Relaxed);
        last = now;
        if STOP.load(Ordering::Relaxed) {
            exit(0);
        }
    }
}

/// A running watchdog.
struct Watchdog {
    stub: Stub,
    stack: Slot,
}

impl Watchdog {
    /// Starts one (paid from our own quota) and waits until it runs.
    fn start() -> Option<Self> {
        RUNNING.store(false, Ordering::SeqCst);
        STOP.store(false, Ordering::SeqCst);
        LONGEST_GAP.store(0, Ordering::SeqCst);
        let (stack, top) = stack(initial::MEMORY_QUOTA, 2).ok()?;
        let Ok(stub) = Stub::create(initial::MEMORY_QUOTA, 4) else {
            release(stack);
            return None;
        };
        let registers = RegisterSet {
            rip: watch as *const () as u64,
            rsp: top - 8,
            ..RegisterSet::default()
        };
        let watchdog = Self { stub, stack };
        if watchdog.stub.start(&registers).is_err()
            || !wait_until(SECOND, || RUNNING.load(Ordering::SeqCst))
        {
            watchdog.stop();
            return None;
        }
        Some(watchdog)
    }

    /// Stops it; returns the longest gap it saw.
    fn stop(self) -> u64 {
        STOP.store(true, Ordering::SeqCst);
        let _ = self.stub.wait_ended(SECOND);
        self.stub.delete();
        release(self.stack);
        LONGEST_GAP.load(Ordering::SeqCst)
    }
}

/// Makes a call the kernel may restart in steps; returns its result and the bound on its
/// longest interrupts-off stretch (the whole duration if no watchdog could be started).
pub fn timed_restartable(call: Call) -> (RawResult, u64) {
    let watchdog = Watchdog::start();
    let (result, duration) = measure(call);
    let gap = watchdog.map(Watchdog::stop);
    let stretch = gap.map_or(duration, |gap| duration.min(gap));
    record_duration(stretch);
    (result, stretch)
}
