//! Pages of file mappings wholly past the end of the file (as it was at `mmap`): left unmapped,
//! so that an access faults, and the fault is SIGBUS with BUS_ADRERR and the faulting address,
//! as Linux answers; a process that does not catch it dies of SIGBUS.
//!
//! The exception handler decides from [`RANGES`], a table it only reads (it may run while any
//! other page of ours is read-only after a `fork`, and while another thread holds the region
//! map's lock); whoever changes the region map rebuilds the table from it ([`rebuild`]).

use core::sync::atomic::{AtomicU64, Ordering};

use exokernel_abi::RegisterSet;
use libposix_sys::signal::{SIG_DFL, SIG_UNBLOCK, SIGBUS, SignalSet};
use region_map::RegionMap;

use super::anonymous::Backing;

/// How many past-the-end ranges the table holds (a mapping's past-the-end part is one range;
/// more than this many at once fault as SIGSEGV instead, a limit).
const CAPACITY: usize = 32;

/// `[start, end)` of each past-the-end range; `[0, 0]` when unused.
static RANGES: [[AtomicU64; 2]; CAPACITY] =
    [const { [AtomicU64::new(0), AtomicU64::new(0)] }; CAPACITY];

/// Rewrites the table from the regions marked past the end of their file.
pub(crate) fn rebuild(regions: &RegionMap<Backing>) {
    let mut next = 0;
    for region in regions
        .iter()
        .filter(|region| region.value.beyond_end_of_file)
    {
        let Some(entry) = RANGES.get(next) else {
            break;
        };
        // A range adjoining the one before (a split region) extends it.
        if next > 0 && RANGES[next - 1][1].load(Ordering::Relaxed) == region.start {
            RANGES[next - 1][1].store(region.end, Ordering::Release);
            continue;
        }
        entry[0].store(region.start, Ordering::Release);
        entry[1].store(region.end, Ordering::Release);
        next += 1;
    }
    for entry in &RANGES[next..] {
        if entry[1].load(Ordering::Relaxed) != 0 {
            entry[0].store(0, Ordering::Release);
            entry[1].store(0, Ordering::Release);
        }
    }
}

/// Whether `address` lies in a page of a file mapping past the end of its file.
#[must_use]
pub fn contains(address: u64) -> bool {
    RANGES.iter().any(|entry| {
        (entry[0].load(Ordering::Acquire)..entry[1].load(Ordering::Acquire)).contains(&address)
    })
}

/// Whether an exception is an access to such a page (a page fault on a missing page there).
#[must_use]
pub fn is_bus_error(vector: u64, error_code: u64, address: u64) -> bool {
    vector == 14 && error_code & 1 == 0 && contains(address)
}

/// For the exception handler, when the process does not catch (or blocks) the SIGBUS of such an
/// access: points the faulting thread at [`die_of_bus_error`], on its own stack below the red
/// zone, instead of re-running the access (whose fault would end the process as SIGSEGV).
/// Returns whether it did.
pub fn divert_uncaught(
    registers: &mut RegisterSet,
    vector: u64,
    error_code: u64,
    address: u64,
) -> bool {
    if !is_bus_error(vector, error_code, address) {
        return false;
    }
    // Below the 128-byte red zone, 16-byte aligned, then as if `call`ed (the return address
    // slot, never used).
    registers.rsp = ((registers.rsp - 128) & !15) - 8;
    registers.rip = die_of_bus_error as *const () as usize as u64;
    true
}

/// SIGBUS's default action, forced as Linux forces a synchronous signal's: the action reset and
/// the signal unblocked, then sent to ourselves, which ends the process with "killed by SIGBUS".
extern "C" fn die_of_bus_error() -> ! {
    let _ = crate::signal::signal(SIGBUS, SIG_DFL);
    let _ = crate::signal::sigprocmask(SIG_UNBLOCK, Some(&SignalSet::EMPTY.with(SIGBUS)), None);
    let _ = crate::signal::raise(SIGBUS);
    // Only without a process server does the signal not end us: the shell's convention.
    crate::process::identity::_exit(128 + SIGBUS)
}
