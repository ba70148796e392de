//! Windows of this address space where shared frames (pipe rings) are mapped, with bounds-checked
//! access: the only `unsafe` the file layer needs lives here.
//!
//! The window region is [`WINDOW_BASE`] onwards, [`WINDOW_COUNT`] windows of [`WINDOW_PAGES`]
//! pages each. Another process may write the same pages at any time, so every access is either
//! an atomic word or a byte copy, and nothing read from the pages is trusted as an index.
//!
//! The frame may also be destroyed under us (its payer ended): the fault that follows is
//! repaired by `window_recovery`, the window is then [`SharedWindow::is_dead`], and a copy that
//! touched it reports failure.

use core::sync::atomic::AtomicU64;

use exokernel_abi::{KernelError, PAGE_SIZE, Rights, Slot, initial};
use spin::Mutex;

use crate::memory::{map, unmap};

/// Where the windows start.
pub const WINDOW_BASE: u64 = 0x0000_5400_0000_0000;
/// Pages per window.
pub const WINDOW_PAGES: u64 = 32;
/// How many windows there are.
pub const WINDOW_COUNT: usize = 1024;

/// Whether `address` is in the window region: memory shared with other processes (pipe rings,
/// file-server buffers), which `fork` leaves shared rather than copy-on-write.
#[must_use]
pub fn contains(address: u64) -> bool {
    (WINDOW_BASE..WINDOW_BASE + WINDOW_COUNT as u64 * WINDOW_PAGES * PAGE_SIZE).contains(&address)
}

static IN_USE: Mutex<[u64; WINDOW_COUNT / 64]> = Mutex::new([0; WINDOW_COUNT / 64]);

/// `pages` pages of a frame mapped read-write at a window of their own; unmapped when dropped
/// (the frame capability stays with whoever owns it).
pub struct SharedWindow {
    index: usize,
    pages: u64,
}

impl SharedWindow {
    /// Maps the first `pages` pages of `frame` read-write at a free window.
    ///
    /// # Errors
    /// `OutOfMemory` when every window is taken or `pages` is larger than a window; the kernel's
    /// error when the frame cannot be mapped.
    pub fn map(frame: Slot, pages: u64) -> Result<Self, KernelError> {
        if pages == 0 || pages > WINDOW_PAGES {
            return Err(KernelError::OutOfMemory);
        }
        let index = {
            let mut in_use = IN_USE.lock();
            let index = (0..WINDOW_COUNT)
                .find(|&index| in_use[index / 64] & (1 << (index % 64)) == 0)
                .ok_or(KernelError::OutOfMemory)?;
            in_use[index / 64] |= 1 << (index % 64);
            index
        };
        let window = Self { index, pages };
        map(
            initial::SELF_ADDRESS_SPACE,
            frame,
            window.base(),
            0,
            pages,
            Rights::READ | Rights::WRITE,
        )
        .inspect_err(|_| window.release_index())?;
        crate::window_recovery::window_mapped(index, frame, pages);
        Ok(window)
    }

    fn release_index(&self) {
        IN_USE.lock()[self.index / 64] &= !(1 << (self.index % 64));
    }

    fn base(&self) -> u64 {
        WINDOW_BASE + self.index as u64 * WINDOW_PAGES * PAGE_SIZE
    }

    /// The window's length in bytes.
    #[must_use]
    pub fn length(&self) -> usize {
        (self.pages * PAGE_SIZE) as usize
    }

    /// Whether the frame died under us (the process that paid for it ended): private pages
    /// stand in for it, and nothing read from the window since means anything.
    #[must_use]
    pub fn is_dead(&self) -> bool {
        crate::window_recovery::is_dead(self.index)
    }

    /// The 64-bit word at `offset` (8-aligned, inside the window), as an atomic.
    ///
    /// # Panics
    /// When `offset` is misaligned or outside the window: a bug in the caller's constant layout,
    /// never something another process can cause.
    #[must_use]
    pub fn word(&self, offset: usize) -> &AtomicU64 {
        assert!(
            offset.is_multiple_of(8) && offset + 8 <= self.length(),
            "word outside the window"
        );
        // SAFETY: the address is inside the mapping, which lives as long as `self`, and is
        // 8-aligned; every access to shared words goes through atomics, so a concurrent writer in
        // another process is a race on an atomic, not undefined behaviour.
        unsafe { &*((self.base() + offset as u64) as *const AtomicU64) }
    }

    /// Copies `bytes` into the window at `offset`; `false` when it would not fit (nothing
    /// copied) or when the window is dead after the copy (the bytes went nowhere).
    pub fn copy_in(&self, offset: usize, bytes: &[u8]) -> bool {
        if offset
            .checked_add(bytes.len())
            .is_none_or(|end| end > self.length())
        {
            return false;
        }
        // SAFETY: the range is inside the read-write mapping owned by `self`; the pages are
        // shared plain bytes, so a concurrent copy by another process yields garbage data at
        // worst, never unsoundness in this process (no references into them escape).
        unsafe {
            core::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                (self.base() + offset as u64) as *mut u8,
                bytes.len(),
            );
        }
        !self.is_dead()
    }

    /// Copies from the window at `offset` into `bytes`; `false` when the range is outside it or
    /// when the window is dead after the copy (then `bytes` hold nothing meaningful).
    pub fn copy_out(&self, offset: usize, bytes: &mut [u8]) -> bool {
        if offset
            .checked_add(bytes.len())
            .is_none_or(|end| end > self.length())
        {
            return false;
        }
        // SAFETY: as in `copy_in`, the other way.
        unsafe {
            core::ptr::copy_nonoverlapping(
                (self.base() + offset as u64) as *const u8,
                bytes.as_mut_ptr(),
                bytes.len(),
            );
        }
        !self.is_dead()
    }
}

impl Drop for SharedWindow {
    fn drop(&mut self) {
        let _ = unmap(initial::SELF_ADDRESS_SPACE, self.base(), self.pages);
        crate::window_recovery::window_unmapped(self.index);
        self.release_index();
    }
}
