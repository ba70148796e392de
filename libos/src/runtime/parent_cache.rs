//! The cache behind `getppid` with no kernel entry: the process server's reparent-epoch page
//! (word 0 counts every reparenting; a read-only capability to it comes with the first
//! `IDENTITY` answer that asks for it) is mapped at [`EPOCH_PAGE_ADDRESS`], and the parent's pid
//! is kept with the epoch it was asked at. Valid while the epoch has not moved
//! (`docs/process-server.md`).

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use exokernel_abi::{Call, PageAddress, PageCount, Rights, initial};

use crate::kernel::call;

/// Where the reparent-epoch page is mapped, next to the time page.
pub const EPOCH_PAGE_ADDRESS: u64 = crate::runtime::clock::TIME_PAGE_ADDRESS + 0x1000;

/// The parent's pid (low half; 0: nothing cached) and the low half of the epoch it was asked
/// at (high half). Never non-zero unless the page is mapped: [`remember`] stores only then.
static CACHED: AtomicU64 = AtomicU64::new(0);
/// Whether mapping the page was tried.
static TRIED: AtomicBool = AtomicBool::new(false);
/// Whether it is mapped.
static MAPPED: AtomicBool = AtomicBool::new(false);

fn epoch_word() -> &'static AtomicU64 {
    // SAFETY: only called once the page is mapped (MAPPED set after a successful `Map`, or
    // CACHED non-zero, which `remember` writes only after that); the page stays mapped
    // read-only for the program's life (a fork child maps the same frame at the same address;
    // exec starts a new image with these statics cleared). The server writes the word
    // atomically; we only load it.
    unsafe { &*(EPOCH_PAGE_ADDRESS as *const AtomicU64) }
}

/// The cached parent pid, if the epoch has not moved since it was asked. Two loads.
#[inline]
#[must_use]
pub fn cached_parent() -> Option<i32> {
    let cached = CACHED.load(Ordering::Acquire);
    if cached as u32 != 0 && (cached >> 32) as u32 == epoch_word().load(Ordering::Acquire) as u32 {
        Some(cached as u32 as i32)
    } else {
        None
    }
}

/// Whether the page is still to be asked for (once per program).
#[must_use]
pub fn wants_page() -> bool {
    !TRIED.swap(true, Ordering::AcqRel)
}

/// Maps the page whose capability arrived at `frame`.
pub fn map_page(frame: exokernel_abi::Slot) {
    let mapped = call(Call::Map {
        address_space: initial::SELF_ADDRESS_SPACE,
        frame,
        address: PageAddress(EPOCH_PAGE_ADDRESS),
        first_page: 0,
        pages: PageCount(1),
        rights: Rights::READ,
    });
    MAPPED.store(mapped.is_ok(), Ordering::Release);
}

/// The current epoch, `None` while the page is not mapped.
#[must_use]
pub fn epoch() -> Option<u64> {
    MAPPED
        .load(Ordering::Acquire)
        .then(|| epoch_word().load(Ordering::Acquire))
}

/// Caches `parent`, asked at `epoch` (read with [`epoch`] before asking).
pub fn remember(parent: i32, epoch: u64) {
    if MAPPED.load(Ordering::Acquire) {
        CACHED.store(u64::from(parent as u32) | (epoch << 32), Ordering::Release);
    }
}

/// Forgets the cached parent (a fork child has a new one).
pub fn forget() {
    CACHED.store(0, Ordering::Release);
}
