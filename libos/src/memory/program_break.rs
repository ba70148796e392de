//! The program break: `brk` and `sbrk` over an area of its own, its pages kept in the same
//! region map as `mmap`'s (so they are allocated, zeroed and given back the same way).

use exokernel_abi::PAGE_SIZE;
use libposix_sys::Errno;
use libposix_sys::mman::{PROT_READ, PROT_WRITE};

use super::anonymous::{REGIONS, discard, populate, within_limit};
use crate::thread::Mutex;

/// Where the break starts (the initial break: nothing allocated).
pub const BREAK_START: u64 = 0x0000_0800_0000_0000;
/// The most the break may grow to (1 GiB of break).
pub const BREAK_LIMIT: u64 = BREAK_START + (1 << 30);

/// The current break.
static BREAK: Mutex<u64> = Mutex::new(BREAK_START);

fn page_end(address: u64) -> u64 {
    address.div_ceil(PAGE_SIZE) * PAGE_SIZE
}

/// `brk(address)`: moves the break to `address`, mapping zeroed pages as it grows and giving
/// pages back as it shrinks; `brk(0)` (any address below the start) returns the break unchanged,
/// as the system call does. Returns the new break.
///
/// # Errors
/// `ENOMEM` when `address` is beyond [`BREAK_LIMIT`] or memory runs out (the break stays).
pub fn brk(address: u64) -> Result<u64, Errno> {
    let mut current = BREAK.lock();
    if address < BREAK_START {
        return Ok(*current);
    }
    move_break(&mut current, address)
}

/// Moves the locked break `current` to `address` (at least [`BREAK_START`]).
fn move_break(current: &mut u64, address: u64) -> Result<u64, Errno> {
    if address > BREAK_LIMIT {
        return Err(Errno::ENOMEM);
    }
    let (old_end, new_end) = (page_end(*current), page_end(address));
    let limit = if new_end > old_end {
        crate::process::limits::address_space_limit()
    } else {
        u64::MAX
    };
    let mut regions = REGIONS.lock();
    if new_end > old_end {
        within_limit(&regions, new_end - old_end, limit)?;
        populate(&mut regions, old_end, new_end, PROT_READ | PROT_WRITE)?;
    } else if new_end < old_end {
        discard(&mut regions, new_end, old_end);
    }
    *current = address;
    Ok(address)
}

/// `sbrk(increment)`: moves the break by `increment` bytes and returns the old break.
///
/// # Errors
/// `ENOMEM` when the new break would be below the start or beyond the limit, or memory runs out.
pub fn sbrk(increment: i64) -> Result<u64, Errno> {
    let mut current = BREAK.lock();
    let old = *current;
    let new = old.checked_add_signed(increment).ok_or(Errno::ENOMEM)?;
    if new < BREAK_START {
        return Err(Errno::ENOMEM);
    }
    move_break(&mut current, new)?;
    Ok(old)
}
