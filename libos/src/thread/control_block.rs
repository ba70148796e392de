//! The thread control block: what a thread's FS base points at (its own address first, as the
//! x86_64 TLS ABI has it), with the thread's id and its thread-local values.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use core::any::Any;
use core::cell::RefCell;
use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};

/// Thread-local values by key address.
pub(crate) type Locals = BTreeMap<usize, Box<dyn Any>>;

/// One thread's control block.
#[repr(C)]
pub(crate) struct ControlBlock {
    /// Its own address (`%fs:0`).
    self_address: AtomicU64,
    id: i32,
    locals: RefCell<Locals>,
}

// SAFETY: `locals` is only touched by the thread the block belongs to (through `current`, which
// finds the calling thread's own block); the other fields are read-only or atomic.
unsafe impl Sync for ControlBlock {}
// SAFETY: a block moves to its thread while its `locals` map is still empty, and values in the
// map are made and dropped on the thread that owns the block.
unsafe impl Send for ControlBlock {}

/// Thread ids: the main thread is 1, started threads count on from 2.
static NEXT_ID: AtomicI32 = AtomicI32::new(2);

/// The main thread's block (its FS base stays 0: it is found by elimination, below).
static MAIN: spin::Once<ControlBlock> = spin::Once::new();

impl ControlBlock {
    fn with_id(id: i32) -> Self {
        ControlBlock {
            self_address: AtomicU64::new(0),
            id,
            locals: RefCell::new(BTreeMap::new()),
        }
    }

    /// A block for a new thread, with a fresh id, boxed so its address (the FS base) is fixed.
    pub(crate) fn new_thread() -> Box<Self> {
        let control = Box::new(Self::with_id(NEXT_ID.fetch_add(1, Ordering::Relaxed)));
        control
            .self_address
            .store(core::ptr::from_ref(&*control) as u64, Ordering::Relaxed);
        control
    }

    /// The block's address, the FS base of its thread.
    pub(crate) fn address(&self) -> u64 {
        core::ptr::from_ref(self) as u64
    }

    /// The thread id.
    pub(crate) fn id(&self) -> i32 {
        self.id
    }

    /// The thread's local values.
    pub(crate) fn locals(&self) -> &RefCell<Locals> {
        &self.locals
    }

    /// Drops the thread's local values (their destructors may still use thread-locals).
    pub(crate) fn end_thread(&self) {
        loop {
            let taken = core::mem::take(&mut *self.locals.borrow_mut());
            if taken.is_empty() {
                return;
            }
            drop(taken);
        }
    }
}

/// `%fs:0`: the FS base's own address, as stored by the thread's control block.
fn fs_self_pointer() -> u64 {
    let address: u64;
    // SAFETY: only called on threads started by `spawn`, whose FS base is the address of their
    // live control block, whose first field is its own address: the load reads mapped memory.
    unsafe {
        core::arch::asm!("mov {}, fs:0", out(reg) address, options(nostack, readonly, preserves_flags));
    }
    address
}

/// The calling thread's control block. Threads started by [`super::spawn`] run on stacks in
/// their own region and find theirs through the FS base; any other code is the main thread's.
/// (Environments started by [`crate::process::spawn_shared_thread`] have no control block and
/// must not use thread-locals.)
pub(crate) fn current() -> &'static ControlBlock {
    let marker = 0_u8;
    if super::start::in_thread_stack(core::ptr::from_ref(&marker) as u64) {
        let address = fs_self_pointer();
        // SAFETY: the block lives until its thread has ended (it is dropped after the thread's
        // last use of it, in `thread_entry`), and only the thread itself gets this reference.
        unsafe { &*(address as *const ControlBlock) }
    } else {
        MAIN.call_once(|| ControlBlock::with_id(1))
    }
}

/// The address `%fs:0` holds on this thread (0 on the main thread, whose FS base is 0).
#[must_use]
pub fn fs_self_address() -> u64 {
    let marker = 0_u8;
    if super::start::in_thread_stack(core::ptr::from_ref(&marker) as u64) {
        fs_self_pointer()
    } else {
        0
    }
}

/// `gettid()`: the calling thread's id (1 on the main thread; ids are per process).
#[must_use]
pub fn gettid() -> i32 {
    current().id()
}
