//! The kernel's log (`KernelLogRead`): what it printed at boot and the faults nobody handled,
//! as `dmesg` shows them. Reading needs the console capability every program is handed.

use alloc::vec::Vec;

use exokernel_abi::{Call, KERNEL_LOG_READ_MAXIMUM, KernelError, UserAddress, initial};

use crate::kernel::call;

/// Everything the kernel's ring holds now, oldest first (two to five calls: it holds 16 KiB and
/// one call copies at most 4 KiB).
///
/// # Errors
/// The kernel's: `InsufficientRights`/`WrongKind`/`InvalidSlot` without a console capability.
pub fn read_all() -> Result<Vec<u8>, KernelError> {
    let mut log = Vec::new();
    let mut chunk = alloc::vec![0u8; KERNEL_LOG_READ_MAXIMUM as usize];
    let mut position = 0;
    loop {
        let words = call(Call::KernelLogRead {
            console: initial::CONSOLE,
            buffer: UserAddress(chunk.as_mut_ptr() as u64),
            length: chunk.len() as u64,
            position,
        })?;
        let count = (words[0] as usize).min(chunk.len());
        log.extend_from_slice(&chunk[..count]);
        position = words[1];
        // Caught up with the newest byte (what the kernel logs meanwhile is for the next read).
        if count == 0 || position >= words[3] {
            return Ok(log);
        }
    }
}
