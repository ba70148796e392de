//! The console, the clock and the memory figures.

use exokernel_abi::{KernelError, Rights, Slot};
use exokernel_capability::{Object, ObjectKind};

use super::{Caller, errors};
use crate::arch::serial::COM1;
use crate::arch::user_memory::{copy_from_user, copy_to_user};
use crate::kernel_state::KernelState;

type Result = core::result::Result<[u64; 6], KernelError>;

/// The most bytes one console write moves (reads take at most 256): the UART is polled with
/// interrupts off, so this bounds the call.
const MAXIMUM_CONSOLE_TRANSFER: u64 = 4096;

/// Checks that `slot` holds an I/O-port capability covering COM1 with `rights`.
fn console(
    kernel: &KernelState,
    caller: Caller,
    slot: Slot,
    rights: Rights,
) -> core::result::Result<(), KernelError> {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(slot), ObjectKind::IoPorts, rights)
        .map_err(errors::lookup)?;
    let Object::IoPorts(range) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    let covers = range.first <= COM1
        && u32::from(range.first) + u32::from(range.count) >= u32::from(COM1) + 8;
    if covers {
        Ok(())
    } else {
        Err(KernelError::InsufficientRights)
    }
}

pub fn console_write(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    buffer: u64,
    length: u64,
) -> Result {
    console(kernel, caller, slot, Rights::WRITE)?;
    let length = length.min(MAXIMUM_CONSOLE_TRANSFER);
    let mut chunk = [0u8; 256];
    let mut written = 0;
    while written < length {
        let size = (length - written).min(chunk.len() as u64) as usize;
        if copy_from_user(caller.root, buffer + written, &mut chunk[..size]).is_err() {
            // Report what was written; a bad pointer at the very start is an error.
            return if written == 0 {
                Err(KernelError::InvalidAddress)
            } else {
                Ok([written, 0, 0, 0, 0, 0])
            };
        }
        crate::console::write_bytes(&chunk[..size]);
        written += size as u64;
    }
    Ok([written, 0, 0, 0, 0, 0])
}

pub fn console_read(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    buffer: u64,
    length: u64,
) -> Result {
    console(kernel, caller, slot, Rights::READ)?;
    let mut bytes = [0u8; 256];
    let length = (length as usize).min(bytes.len());
    // Check the buffer first so no input is consumed for a bad pointer.
    copy_to_user(caller.root, buffer, &bytes[..length]).map_err(|_| KernelError::InvalidAddress)?;
    let mut count = 0;
    while count < length {
        let Some(byte) = crate::console::try_read_byte() else {
            break;
        };
        bytes[count] = byte;
        count += 1;
    }
    copy_to_user(caller.root, buffer, &bytes[..count]).map_err(|_| KernelError::InvalidAddress)?;
    Ok([count as u64, 0, 0, 0, 0, 0])
}

pub fn console_notify(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    notification: Slot,
    bits: u64,
) -> Result {
    console(kernel, caller, slot, Rights::READ)?;
    let target = super::notification::signal_target(kernel, caller, notification, bits)?;
    kernel.console_input = Some(target);
    // Input that arrived before the binding raised its interrupt already: say so now.
    if crate::console::has_input() {
        kernel.signal_notification(target.0, target.1);
    }
    Ok([0; 6])
}

/// Copies the kernel log from `position` (`log_ring`) to the caller's `buffer`, in chunks so
/// that no lock is held while user memory is written. A chunk whose start the ring overwrote
/// meanwhile ends the read, so what the caller gets is one contiguous stretch.
pub fn kernel_log_read(
    kernel: &mut KernelState,
    caller: Caller,
    slot: Slot,
    buffer: u64,
    length: u64,
    position: u64,
) -> Result {
    console(kernel, caller, slot, Rights::empty())?;
    let length = length.min(exokernel_abi::KERNEL_LOG_READ_MAXIMUM);
    let mut chunk = [0u8; 256];
    let mut copied = 0u64;
    // Where the read starts: `position`, or the oldest byte held when that is later.
    let mut taken = crate::log_ring::take(position, &mut []);
    let mut next = taken.start;
    while copied < length {
        let size = (length - copied).min(chunk.len() as u64) as usize;
        taken = crate::log_ring::take(next, &mut chunk[..size]);
        if taken.count == 0 || taken.start != next {
            break;
        }
        if copy_to_user(caller.root, buffer + copied, &chunk[..taken.count]).is_err() {
            if copied == 0 {
                return Err(KernelError::InvalidAddress);
            }
            break;
        }
        copied += taken.count as u64;
        next += taken.count as u64;
    }
    Ok([copied, next, taken.oldest, taken.end, 0, 0])
}

pub fn clock_read() -> Result {
    Ok([
        crate::time::nanoseconds_since_boot(),
        crate::time::timestamp_ticks_per_microsecond(),
        0,
        0,
        0,
        0,
    ])
}

/// `[quota remaining, free frames, total frames, heap available bytes, heap allocated bytes]`.
pub fn memory_status(kernel: &mut KernelState, caller: Caller, slot: Slot) -> Result {
    let capability = kernel
        .capabilities
        .lookup_kind(caller.slot(slot), ObjectKind::MemoryQuota, Rights::empty())
        .map_err(errors::lookup)?;
    let Object::MemoryQuota(quota) = capability.object else {
        return Err(KernelError::WrongKind);
    };
    let remaining = kernel
        .capabilities
        .quota_balance(quota)
        .map_or(0, |balance| balance.remaining);
    let (free, total) = crate::memory::physical::frame_counts();
    let heap = crate::memory::heap::statistics();
    Ok([
        remaining,
        free,
        total,
        heap.available_bytes,
        heap.allocated_bytes,
        crate::time::take_longest_kernel_stretch(),
    ])
}
