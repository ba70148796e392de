//! The thread control block: what a thread's FS base points at (its own address first, as the
//! x86_64 TLS ABI has it), with the thread's id, its thread-local values, its clear-tid word,
//! signal page and kernel resources; every thread finds its own through its GS base.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use core::any::Any;
use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};

/// Thread-local values by key address.
pub(crate) type Locals = BTreeMap<usize, Box<dyn Any>>;

/// One thread's control block.
#[repr(C)]
pub(crate) struct ControlBlock {
    /// Its own address (`%fs:0` for threads started by `spawn`; read through the GS base by
    /// [`current`] on every thread).
    self_address: AtomicU64,
    /// The thread id (0 on the main thread, whose id is the pid).
    id: AtomicI32,
    locals: RefCell<Locals>,
    /// `set_tid_address`/`CLONE_CHILD_CLEARTID`: the word zeroed and futex-woken at the
    /// thread's exit (0: none).
    pub(crate) clear_child_tid: AtomicU64,
    /// Where this thread's own signal page is mapped (0: none; the main thread uses the
    /// process's page).
    pub(crate) signal_page: AtomicU64,
    /// The slot of the signal page's frame capability (0: none).
    pub(crate) signal_page_slot: AtomicU32,
    /// The slot of the capability to this thread's environment (0: the main thread's,
    /// `initial::SELF_ENVIRONMENT`).
    pub(crate) environment: AtomicU32,
    /// Its exception handler's stack area (0: none of its own), given back when it ends.
    pub(crate) handler_area: AtomicU64,
    /// The slot of the handler stack's frame (0: none).
    pub(crate) handler_frame: AtomicU32,
    /// Its FS base (what `fork` gives the child when this thread forks).
    pub(crate) fs_base: AtomicU64,
    /// Whether nobody joins it through a handle (`clone`): it hands its environment and
    /// block to [`super::registry::retire`] when it ends.
    pub(crate) detached: AtomicBool,
}

// SAFETY: `locals` is only touched by the thread the block belongs to (through `current`, which
// finds the calling thread's own block); the other fields are atomic.
unsafe impl Sync for ControlBlock {}
// SAFETY: a block moves to its thread while its `locals` map is still empty, and values in the
// map are made and dropped on the thread that owns the block.
unsafe impl Send for ControlBlock {}

/// Thread ids without a process server: started threads count on from 2.
static NEXT_ID: AtomicI32 = AtomicI32::new(2);

/// The main thread's block (its GS base stays 0: [`current`] finds 0 through it, in
/// [`GS_ANCHOR`]).
static MAIN: spin::Once<ControlBlock> = spin::Once::new();

/// The word the main thread reads through its GS base of 0: always 0. A started thread's GS
/// base is its block's address minus this word's address, so the same load (`gs:[anchor]`)
/// reads the block's first word, its own address. One load finds the calling thread's block
/// whatever its stack or FS base (which `clone` callers set as they like).
static GS_ANCHOR: AtomicU64 = AtomicU64::new(0);

impl ControlBlock {
    fn with_id(id: i32) -> Self {
        ControlBlock {
            self_address: AtomicU64::new(0),
            id: AtomicI32::new(id),
            locals: RefCell::new(BTreeMap::new()),
            clear_child_tid: AtomicU64::new(0),
            signal_page: AtomicU64::new(0),
            signal_page_slot: AtomicU32::new(0),
            environment: AtomicU32::new(0),
            handler_area: AtomicU64::new(0),
            handler_frame: AtomicU32::new(0),
            fs_base: AtomicU64::new(0),
            detached: AtomicBool::new(false),
        }
    }

    /// A block for a new thread, boxed so its address (the GS base's target) is fixed. Its id
    /// is set by [`Self::set_id`] once the process server has given one.
    pub(crate) fn new_thread() -> Box<Self> {
        let control = Box::new(Self::with_id(0));
        control
            .self_address
            .store(core::ptr::from_ref(&*control) as u64, Ordering::Relaxed);
        control
    }

    /// A local id for a thread of a process without a process server.
    pub(crate) fn local_id() -> i32 {
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    }

    /// The block's address.
    pub(crate) fn address(&self) -> u64 {
        core::ptr::from_ref(self) as u64
    }

    /// The GS base that makes [`current`] find this block, or `None` when the block lies below
    /// the anchor (never, in practice: the heap is above the program image).
    pub(crate) fn gs_base(&self) -> Option<u64> {
        let anchor = core::ptr::from_ref(&GS_ANCHOR) as u64;
        self.address()
            .checked_sub(anchor)
            .filter(|&base| base < 0x0000_8000_0000_0000)
    }

    /// The thread id.
    pub(crate) fn id(&self) -> i32 {
        match self.id.load(Ordering::Relaxed) {
            0 => crate::process::identity::getpid().unwrap_or(1),
            id => id,
        }
    }

    /// Sets the thread id (before the thread starts).
    pub(crate) fn set_id(&self, id: i32) {
        self.id.store(id, Ordering::Relaxed);
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

/// The first word of the calling thread's block, through its GS base: 0 on the main thread
/// (GS base 0: the anchor itself), the block's address on a started thread.
fn gs_block_address() -> u64 {
    let anchor = core::ptr::from_ref(&GS_ANCHOR) as u64;
    let address: u64;
    // SAFETY: every environment of this process has GS base 0 (the main thread, and
    // environments started without a block: the load reads the anchor) or the base
    // `ControlBlock::gs_base` gave (the load reads the first word of a live block, which lives
    // until its thread's last use of it).
    unsafe {
        core::arch::asm!(
            "mov {address}, gs:[{anchor}]",
            anchor = in(reg) anchor,
            address = out(reg) address,
            options(nostack, readonly, preserves_flags),
        );
    }
    address
}

/// The calling thread's control block.
pub(crate) fn current() -> &'static ControlBlock {
    match gs_block_address() {
        0 => MAIN.call_once(|| ControlBlock::with_id(0)),
        address => {
            // SAFETY: as in `gs_block_address`: a live block, used only by its own thread.
            unsafe { &*(address as *const ControlBlock) }
        }
    }
}

/// Whether the caller is the process's main thread (the environment the process server
/// registered).
#[must_use]
pub fn is_main_thread() -> bool {
    gs_block_address() == 0
}

/// The address `%fs:0` holds on this thread (0 on the main thread, whose FS base is 0).
#[must_use]
pub fn fs_self_address() -> u64 {
    if !is_main_thread() && current().fs_base.load(Ordering::Relaxed) == current().address() {
        fs_self_pointer()
    } else {
        0
    }
}

/// `gettid()`: the calling thread's id — the pid on the main thread, on others an id the
/// process server gave from the pid space (so no live process has it). No kernel entry.
#[must_use]
pub fn gettid() -> i32 {
    current().id()
}
