//! The initramfs: the boot archive of programs, mapped read-only on first use.

use exokernel_abi::{Call, KernelError, PAGE_SIZE, Rights, initial};
use spin::Once;

use crate::kernel::call;
use crate::memory::map_all;

/// Where this process maps the initramfs to read programs from it.
const INITRAMFS_BASE: u64 = 0x0000_2000_0000_0000;

static INITRAMFS: Once<Result<&'static [u8], KernelError>> = Once::new();

/// Records the initramfs length from start-up (the runtime calls this).
pub fn set_initramfs_length(length: u64) {
    INITRAMFS_LENGTH.store(length, core::sync::atomic::Ordering::Relaxed);
}

pub(crate) static INITRAMFS_LENGTH: core::sync::atomic::AtomicU64 =
    core::sync::atomic::AtomicU64::new(0);

/// The initramfs, mapped read-only on first use.
///
/// # Errors
/// The kernel's error if it cannot be mapped.
pub fn initramfs() -> Result<&'static [u8], KernelError> {
    *INITRAMFS.call_once(|| {
        let length = INITRAMFS_LENGTH.load(core::sync::atomic::Ordering::Relaxed);
        let frame_pages = call(Call::CapabilityIdentify {
            slot: initial::INITRAMFS,
        })?[3];
        map_all(
            initial::SELF_ADDRESS_SPACE,
            initial::INITRAMFS,
            INITRAMFS_BASE,
            0,
            frame_pages,
            Rights::READ,
        )?;
        // SAFETY: just mapped read-only for the rest of the program; `length` fits in the frame.
        Ok(unsafe {
            core::slice::from_raw_parts(
                INITRAMFS_BASE as *const u8,
                length.min(frame_pages * PAGE_SIZE) as usize,
            )
        })
    })
}
