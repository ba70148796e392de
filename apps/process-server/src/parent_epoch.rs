//! The reparent epoch: one page the server writes and every registered process may read, so
//! that `getppid` needs no kernel entry (`docs/process-server.md`). Word 0 counts the times any
//! process was given a new parent (orphans going to init); a LibOS caches its parent's pid with
//! the count it saw and asks again only when the count has moved.

use core::sync::atomic::Ordering;
use libos::abi::{Call, PageCount, Rights, Slot, initial};
use libos::kernel::call;
use libos::shared_window::SharedWindow;
use libos::slots;

/// The page, mapped in the server, its frame capability and a read-only copy of it that is
/// handed to clients (a copy of it in each `IDENTITY` reply that asks for the page).
pub struct ParentEpoch {
    reader: Slot,
    window: SharedWindow,
}

impl ParentEpoch {
    /// A fresh page with the count at 0, or `None` when memory or slots run out (then clients
    /// ask the server every time).
    pub fn create() -> Option<Self> {
        let frame = slots::allocate()?;
        if call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: frame,
            pages: PageCount(1),
        })
        .is_err()
        {
            slots::free(frame);
            return None;
        }
        let window = SharedWindow::map(frame, 1).ok();
        let reader = slots::allocate();
        let minted = reader.map(|reader| {
            call(Call::CapabilityMint {
                source: frame,
                destination: reader,
                rights: Rights::READ | Rights::MAP | Rights::GRANT,
                badge: 0,
            })
        });
        match (window, reader, minted) {
            (Some(window), Some(reader), Some(Ok(_))) => Some(Self { reader, window }),
            _ => None,
        }
    }

    /// The read-only capability to the page, to send in a reply.
    pub fn reader(&self) -> Slot {
        self.reader
    }

    /// Some process got a new parent: every cached parent pid must be asked again.
    pub fn advance(&self) {
        self.window.word(0).fetch_add(1, Ordering::Release);
    }
}
