//! The attacker's budget and the proof that nothing leaked: each attack runs on a child quota
//! split off ours, while the kernel's memory figure is watched.
//!
//! The figure is what the kernel could still hand out: `free frames × 4096 + kernel heap bytes
//! available` (`MemoryStatus` words 1 and 3). Heap growth moves frames into the heap's free
//! bytes, so it does not change the figure; only live kernel allocations and frames in use do.
//! An attack with a budget of `B` pages may lower it by at most `B × 4096 + SLACK_BYTES` while it
//! runs, and after teardown the figure must come back to within `SLACK_BYTES` of its value
//! before, and our own quota must get every page of `B` back.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, CallNumber, KernelError, RawCall, Slot, initial};
use libos::kernel::call;
use libos::slots;

use crate::support::{Outcome, SECOND, slot, wait_until};

/// What the kernel may spend beyond an attacker's budget, and the noise allowed between two
/// readings of the figure: 64 pages (256 KiB). It covers the kernel heap's own bookkeeping and
/// fragmentation and a few small allocations of ours that are not the attack's.
pub const SLACK_BYTES: u64 = 64 * 4096;
/// What `EnvironmentCreate` charges per slot of a capability space (docs/abi.md, "Quotas and
/// what objects cost"): a capability an attack keeps in one of *our* slots is paid by our
/// capability space, not by the attacker's budget, so each such slot adds this much to the
/// allowance ([`Arena::credit_own_slots`]).
pub const PREPAID_BYTES_PER_SLOT: u64 = 320;
/// How long teardown may take to bring every page back (the kernel may reclaim in the
/// background).
const RECLAIM_TIMEOUT: u64 = 5 * SECOND;
/// How long the figure may lag behind the pages coming back.
const SETTLE_TIMEOUT: u64 = SECOND;

/// Bytes the kernel's figure stayed below its value before the last attack whose only failure
/// was that (every page came back, the budget was kept): 0 if none. See [`take_retained`].
static RETAINED: AtomicU64 = AtomicU64::new(0);

/// Takes (and clears) what the last attack left the kernel's figure short by, when every page
/// came back and the budget was kept but the figure did not return. Kernel tables that keep the
/// capacity an attack made them grow (and reuse it) look like this; a leak does too. The runner
/// tells them apart by running the check again: a leak loses memory again, kept capacity does
/// not.
pub fn take_retained() -> u64 {
    RETAINED.swap(0, Ordering::Relaxed)
}

/// The kernel's memory figure and the quota's remaining pages, read once.
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    /// Pages left in the quota read through.
    pub remaining: u64,
    /// Free frames × 4096 + kernel heap bytes available.
    pub kernel_bytes: u64,
}

/// Reads `MemoryStatus` through `quota`.
pub fn read(quota: Slot) -> Result<Reading, String> {
    let words =
        call(Call::MemoryStatus { quota }).map_err(|error| format!("MemoryStatus: {error:?}"))?;
    // Every reading takes the kernel's longest interrupts-off stretch since the last one.
    KERNEL_STRETCH.fetch_max(words[5], core::sync::atomic::Ordering::Relaxed);
    Ok(Reading {
        remaining: words[0],
        kernel_bytes: words[1] * 4096 + words[3],
    })
}

/// The longest interrupts-off stretch the kernel reported (`MemoryStatus` word 5) since
/// [`take_kernel_stretch`] was last called.
static KERNEL_STRETCH: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Takes a last reading and returns the longest interrupts-off stretch the kernel measured
/// since the previous call (in timestamp-counter ticks), starting afresh.
pub fn take_kernel_stretch() -> u64 {
    let _ = read(initial::MEMORY_QUOTA);
    KERNEL_STRETCH.swap(0, core::sync::atomic::Ordering::Relaxed)
}

/// Splits `pages` off `quota` into `destination`: the one place that builds a `QuotaSplit`.
///
/// Made from raw registers, so the program builds whatever type the ABI gives the page count.
pub fn split_quota(quota: Slot, destination: Slot, pages: u64) -> Result<[u64; 6], KernelError> {
    let result = libos::kernel::call_raw(&RawCall {
        number: CallNumber::QuotaSplit as u64,
        arguments: [u64::from(quota.0), u64::from(destination.0), pages, 0, 0, 0],
    });
    match KernelError::from_code(result.status) {
        None if result.status == 0 => Ok(result.words),
        error => Err(error.unwrap_or(KernelError::InvalidArgument)),
    }
}

/// An attacker's budget: a child quota of ours, and the figures before it existed.
pub struct Arena {
    quota: Slot,
    pages: u64,
    before: Reading,
    lowest: u64,
    own_slots: u64,
}

impl Arena {
    /// Splits `pages` off our quota for an attack.
    pub fn new(pages: u64) -> Result<Self, String> {
        let before = read(initial::MEMORY_QUOTA)?;
        let quota = slot()?;
        if let Err(error) = split_quota(initial::MEMORY_QUOTA, quota, pages) {
            slots::free(quota);
            return Err(format!("splitting a {pages}-page budget: {error:?}"));
        }
        Ok(Self {
            quota,
            pages,
            before,
            lowest: before.kernel_bytes,
            own_slots: 0,
        })
    }

    /// The attacker's quota capability.
    pub fn quota(&self) -> Slot {
        self.quota
    }

    /// The attacker's budget in pages.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Takes a reading; remembers the lowest figure. Returns how far the figure has dropped.
    pub fn sample(&mut self) -> u64 {
        if let Ok(reading) = read(initial::MEMORY_QUOTA) {
            self.lowest = self.lowest.min(reading.kernel_bytes);
        }
        self.dropped()
    }

    /// The largest drop of the figure seen so far.
    pub fn dropped(&self) -> u64 {
        self.before.kernel_bytes.saturating_sub(self.lowest)
    }

    /// Notes that the attack fills `count` more of our own slots (prepaid by our space).
    pub fn credit_own_slots(&mut self, count: u64) {
        self.own_slots += count;
    }

    /// What the attack may make the kernel spend: its budget, what our own slots it fills have
    /// prepaid, and the slack.
    pub fn allowance(&self) -> u64 {
        self.pages * 4096 + self.own_slots * PREPAID_BYTES_PER_SLOT + SLACK_BYTES
    }

    /// Whether the kernel has already spent more than the attack paid for.
    pub fn over_budget(&mut self) -> bool {
        self.sample() > self.allowance()
    }

    /// For a check that spawns a program funded from our own quota (whose image, stack and
    /// registration with the process server move the machine-wide figure by more than the
    /// attacker's budget, for reasons that are not the attack's): revokes and deletes the
    /// attacker's quota and checks only that every page of it comes back. The kernel-memory bound
    /// is proved by the heap and destruction checks, which spawn nothing.
    pub fn finish_quota_only(self) -> Outcome {
        let _ = call(Call::CapabilityRevoke { slot: self.quota });
        let _ = call(Call::CapabilityDelete { slot: self.quota });
        slots::free(self.quota);
        let before = self.before.remaining;
        let mut after = 0;
        let returned = wait_until(RECLAIM_TIMEOUT, || {
            after = read(initial::MEMORY_QUOTA).map_or(0, |reading| reading.remaining);
            after >= before
        });
        if returned {
            Ok(())
        } else {
            Err(format!(
                "{} of the attacker's {} pages never came back",
                before.saturating_sub(after),
                self.pages
            ))
        }
    }

    /// Revokes and deletes the attacker's quota (and so, once the fixes are in, everything made
    /// from it), then checks that every page came back and the kernel never spent more than
    /// the attack paid for. Capabilities the attack still holds should be released first.
    pub fn finish(mut self) -> Outcome {
        self.sample();
        let _ = call(Call::CapabilityRevoke { slot: self.quota });
        let _ = call(Call::CapabilityDelete { slot: self.quota });
        slots::free(self.quota);
        let before = self.before;
        let mut after = before;
        // Once every page is back, the figure gets a little longer to settle, not the whole wait.
        let mut pages_back_at = None;
        let mut returned = false;
        wait_until(RECLAIM_TIMEOUT, || {
            if let Ok(reading) = read(initial::MEMORY_QUOTA) {
                after = reading;
            }
            returned = after.remaining >= before.remaining
                && after.kernel_bytes + SLACK_BYTES >= before.kernel_bytes;
            let now = libos::kernel::clock_nanoseconds();
            if after.remaining >= before.remaining {
                let since = *pages_back_at.get_or_insert(now);
                return returned || now - since > SETTLE_TIMEOUT;
            }
            returned
        });
        let dropped = self.dropped();
        if dropped > self.allowance() {
            return Err(format!(
                "the kernel spent {dropped} bytes on a {}-page budget (allowed {}, counting {} \
                 of our slots)",
                self.pages,
                self.allowance(),
                self.own_slots
            ));
        }
        if !returned {
            if after.remaining < before.remaining {
                return Err(format!(
                    "{} of the attacker's {} pages never came back",
                    before.remaining - after.remaining,
                    self.pages
                ));
            }
            let retained = before.kernel_bytes - after.kernel_bytes;
            RETAINED.store(retained, Ordering::Relaxed);
            return Err(format!(
                "the kernel's free memory stayed {retained} bytes below its figure before the \
                 attack (a leak, or kernel tables that keep their grown capacity)"
            ));
        }
        Ok(())
    }
}
