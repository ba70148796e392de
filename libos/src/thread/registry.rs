//! The live threads of this process besides the main one (for `exit_group`, `_exit` and
//! `fork`), and the environments of threads that ended by themselves, given back later.

use alloc::vec::Vec;

use exokernel_abi::{Call, EnvironmentState, Slot};
use spin::Mutex;

use crate::kernel::call;

/// One live thread: its id and the slot of its environment capability.
#[derive(Clone, Copy)]
pub(crate) struct LiveThread {
    pub(crate) tid: i32,
    pub(crate) environment: Slot,
}

static LIVE: Mutex<Vec<LiveThread>> = Mutex::new(Vec::new());

/// Environments (and control blocks) of `clone` threads that have ended or are ending by
/// themselves: deleted once the kernel says they have ended.
static RETIRED: Mutex<Vec<(Slot, u64)>> = Mutex::new(Vec::new());

/// Records a started thread.
pub(crate) fn add(tid: i32, environment: Slot) {
    LIVE.lock().push(LiveThread { tid, environment });
}

/// Forgets a thread (it is ending). Returns how many others remain.
pub(crate) fn remove(tid: i32) -> usize {
    let mut live = LIVE.lock();
    live.retain(|thread| thread.tid != tid);
    live.len()
}

/// The live threads besides the main one.
pub(crate) fn live() -> Vec<LiveThread> {
    LIVE.lock().clone()
}

/// Whether any thread besides the main one lives.
pub(crate) fn has_threads() -> bool {
    !LIVE.lock().is_empty()
}

/// A `clone` thread about to end: its environment slot and control block, reclaimed by
/// [`reclaim`] once it has.
pub(crate) fn retire(environment: Slot, control_block: u64) {
    RETIRED.lock().push((environment, control_block));
}

/// Deletes the environments of retired threads that have ended, and frees their blocks.
pub(crate) fn reclaim() {
    let mut retired = RETIRED.lock();
    retired.retain(|&(environment, control_block)| {
        let ended = call(Call::EnvironmentStatus { environment }).is_ok_and(|words| {
            matches!(
                EnvironmentState::from_code(words[0]),
                Ok(EnvironmentState::Exited | EnvironmentState::Faulted)
            )
        });
        if ended {
            let _ = call(Call::CapabilityDelete { slot: environment });
            crate::slots::free(environment);
            // SAFETY: the block was `Box::into_raw`'d by `clone` and its thread has ended: no
            // one uses it any more.
            let block = unsafe {
                alloc::boxed::Box::from_raw(
                    control_block as *mut super::control_block::ControlBlock,
                )
            };
            super::start::release_resources(&block);
            drop(block);
        }
        !ended
    });
}

/// The child side of `fork`: only the calling thread was copied.
pub(crate) fn forget_after_fork() {
    // The parent's threads' slots were not copied and their blocks are the parent's: forget
    // them without touching either.
    LIVE.lock().clear();
    RETIRED.lock().clear();
}
