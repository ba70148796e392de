//! The reparent epoch: one page the server writes and every registered process may read, so
//! that `getppid` needs no kernel entry (`docs/process-server.md`). Word 0 counts the times any
//! process was given a new parent (orphans going to init); a LibOS caches its parent's pid with
//! the count it saw and asks again only when the count has moved.

use core::sync::atomic::Ordering;
use libos::abi::{Call, PageCount, Rights, Slot, initial};
use libos::kernel::call;
use libos::shared_window::SharedWindow;
use libos::slots;

/// The page, mapped in the server, and the frame capability (granted read-only to clients).
pub struct ParentEpoch {
    frame: Slot,
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
        match SharedWindow::map(frame, 1) {
            Ok(window) => Some(Self { frame, window }),
            Err(_) => {
                let _ = call(Call::CapabilityDelete { slot: frame });
                slots::free(frame);
                None
            }
        }
    }

    /// Grants the page read-only into `environment` at the well-known slot.
    pub fn grant(&self, environment: Slot) {
        let _ = call(Call::EnvironmentGrant {
            environment,
            source: self.frame,
            destination: libos::well_known_slots::PARENT_EPOCH,
            rights: Rights::READ | Rights::MAP,
        });
    }

    /// Some process got a new parent: every cached parent pid must be asked again.
    pub fn advance(&self) {
        self.window.word(0).fetch_add(1, Ordering::Release);
    }
}
