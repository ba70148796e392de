//! The process heap: `talc` over frames from the process's memory quota, grown on demand.

use core::alloc::Layout;

use exokernel_abi::{PAGE_SIZE, PageCount, initial};
use talc::TalcLock;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

use crate::memory::allocate_and_map;

/// Where the heap starts in every process.
pub const HEAP_BASE: u64 = 0x0000_1000_0000_0000;
/// The heap grows in steps of at least this many bytes.
const GROWTH: u64 = 256 * 1024;
/// The heap never grows past this.
const HEAP_LIMIT: u64 = 1 << 32;

/// Grows the heap by mapping fresh frames after its end.
#[derive(Debug)]
pub struct FrameSource {
    end: u64,
}

// SAFETY: `acquire` only claims memory it has just mapped, which nothing else uses.
unsafe impl Source for FrameSource {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let needed =
            (layout.size() as u64 + layout.align() as u64 + 4096).next_multiple_of(PAGE_SIZE);
        let length = needed.max(GROWTH);
        let start = talc.source.end;
        if start + length > HEAP_BASE + HEAP_LIMIT {
            return Err(());
        }
        // One kernel call maps at most `PageCount::MAXIMUM` pages: grow in chunks, and keep
        // whatever part was mapped even if a later chunk fails.
        let mut mapped = 0;
        while mapped < length {
            let pages = ((length - mapped) / PAGE_SIZE).min(PageCount::MAXIMUM);
            if allocate_and_map(initial::MEMORY_QUOTA, start + mapped, pages, true).is_err() {
                break;
            }
            mapped += pages * PAGE_SIZE;
        }
        if mapped == 0 {
            return Err(());
        }
        talc.source.end = start + mapped;
        // SAFETY: the range was just mapped read-write for this heap alone.
        unsafe { talc.claim(start as *mut u8, mapped as usize) }.ok_or(())?;
        if mapped < needed { Err(()) } else { Ok(()) }
    }
}

#[global_allocator]
static ALLOCATOR: TalcLock<spin::mutex::SpinMutex<()>, FrameSource> =
    TalcLock::new(FrameSource { end: HEAP_BASE });

/// Nothing to do up front: the first allocation maps the first piece.
pub fn initialise() {}
