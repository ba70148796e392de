//! The signal mask argument of `ppoll`, `pselect6` and `epoll_pwait`: installed for the length
//! of the wait and restored when it ends, so a signal the mask lets through interrupts the wait
//! (its handler runs with the wait's mask, and the call fails with `EINTR`), while one that
//! arrives otherwise stays pending. As on Linux, descriptors found ready take precedence: the
//! call then returns them and the old mask is back before any such signal is delivered.

use core::sync::atomic::Ordering;

use libposix_sys::errno::Errno;
use libposix_sys::signal::SignalSet;

use super::delivery::{Epoch, deliver_pending};
use super::page::page;

/// A wait's view of signals: the mask it installed (restored on drop) and the handler count
/// when it began.
pub struct WaitMask {
    previous: Option<u64>,
    epoch: Epoch,
}

impl WaitMask {
    /// Installs `mask` (none: keep the current one) for a wait beginning now.
    ///
    /// # Errors
    /// `ENOSYS` without a process server (when a mask is given).
    pub fn install(mask: Option<&SignalSet>) -> Result<Self, Errno> {
        let epoch = Epoch::now();
        let Some(mask) = mask else {
            return Ok(WaitMask {
                previous: None,
                epoch,
            });
        };
        let page = page()?;
        // So that a signal the mask lets through wakes the sleep at once.
        let _ = super::wake_registration::ensure();
        let previous = page.blocked.swap(
            mask.difference(SignalSet::UNBLOCKABLE).bits,
            Ordering::AcqRel,
        );
        Ok(WaitMask {
            previous: Some(previous),
            epoch,
        })
    }

    /// Delivers what the mask lets through; whether any handler has run since the wait began
    /// (the wait must then end with `EINTR`: `poll`, `select` and `epoll_wait` never restart).
    #[must_use]
    pub fn interrupted(&self) -> bool {
        deliver_pending();
        self.epoch.handler_ran()
    }
}

impl Drop for WaitMask {
    fn drop(&mut self) {
        if let (Some(previous), Ok(page)) = (self.previous, page()) {
            page.blocked.store(previous, Ordering::Release);
            deliver_pending();
        }
    }
}
