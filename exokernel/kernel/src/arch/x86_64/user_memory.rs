//! Reading and writing user memory by walking the current address space's page tables, so a
//! bad user pointer becomes an error instead of a kernel page fault.

use super::paging::physical_to_virtual;
use super::user_paging::UserPageTables;

/// A user range was not mapped with the access needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadUserAddress;

const USER_LIMIT: u64 = 0x0000_7fff_ffff_f000;

/// Checks that `address .. address + length` lies in user space; returns its end.
fn user_range(address: u64, length: usize) -> Result<u64, BadUserAddress> {
    let end = address.checked_add(length as u64).ok_or(BadUserAddress)?;
    if end > USER_LIMIT {
        return Err(BadUserAddress);
    }
    Ok(end)
}

/// Walks `address .. address + length` page by page, handing `copy` each piece as (offset in
/// the range, the piece's address in the direct map, its length).
fn for_each_piece(
    root: UserPageTables,
    address: u64,
    length: usize,
    mut copy: impl FnMut(usize, usize, usize),
) -> Result<(), BadUserAddress> {
    user_range(address, length)?;
    let mut done = 0usize;
    while done < length {
        let here = address + done as u64;
        let (physical, _) = root.translate(here).ok_or(BadUserAddress)?;
        let chunk = ((4096 - (here & 0xfff)) as usize).min(length - done);
        copy(done, physical_to_virtual(physical) as usize, chunk);
        done += chunk;
    }
    Ok(())
}

/// Copies `destination.len()` bytes from user address `source` in the address space `root`.
///
/// # Errors
/// [`BadUserAddress`] if any byte is outside user space or unmapped.
pub fn copy_from_user(
    root: UserPageTables,
    source: u64,
    destination: &mut [u8],
) -> Result<(), BadUserAddress> {
    let length = destination.len();
    for_each_piece(root, source, length, |offset, page, chunk| {
        // SAFETY: `page` is mapped user memory reached through the direct map, and the piece
        // stays within its page; the destination slice has room for it.
        unsafe {
            core::ptr::copy_nonoverlapping(
                page as *const u8,
                destination[offset..].as_mut_ptr(),
                chunk,
            );
        }
    })
}

/// Copies `source` to user address `destination` in the address space `root`; every page
/// must be mapped writable.
///
/// # Errors
/// [`BadUserAddress`] if any byte is outside user space, unmapped or read-only.
pub fn copy_to_user(
    root: UserPageTables,
    destination: u64,
    source: &[u8],
) -> Result<(), BadUserAddress> {
    let end = user_range(destination, source.len())?;
    // Check every page first so a failure writes nothing.
    let mut address = destination & !0xfff;
    while address < end {
        match root.translate(address) {
            Some((_, access)) if access.write => {}
            _ => return Err(BadUserAddress),
        }
        address += 4096;
    }
    load_into_user(root, destination, source)
}

/// Copies `source` to user address `destination` in the address space `root` whatever the
/// pages' access: for the kernel loading an image into pages it just mapped (read-only text
/// included). Only user-half pages are reached.
///
/// # Errors
/// [`BadUserAddress`] if any byte is outside user space or unmapped.
pub fn load_into_user(
    root: UserPageTables,
    destination: u64,
    source: &[u8],
) -> Result<(), BadUserAddress> {
    for_each_piece(root, destination, source.len(), |offset, page, chunk| {
        // SAFETY: `page` is mapped user memory reached through the direct map, and the piece
        // stays within its page and within `source`.
        unsafe {
            core::ptr::copy_nonoverlapping(source[offset..].as_ptr(), page as *mut u8, chunk);
        }
    })
}

/// Reads a plain-old-data value from user memory: `T: Pod` means every byte pattern a program
/// can put there is a valid `T` (no enums, `bool`s or references built from user bytes).
///
/// # Errors
/// [`BadUserAddress`] as for [`copy_from_user`].
pub fn read_user<T: bytemuck::Pod>(root: UserPageTables, source: u64) -> Result<T, BadUserAddress> {
    let mut value = T::zeroed();
    copy_from_user(root, source, bytemuck::bytes_of_mut(&mut value))?;
    Ok(value)
}

/// Writes a plain-data value to user memory.
///
/// # Errors
/// [`BadUserAddress`] as for [`copy_to_user`].
pub fn write_user<T: bytemuck::NoUninit>(
    root: UserPageTables,
    destination: u64,
    value: &T,
) -> Result<(), BadUserAddress> {
    // No padding bytes: nothing of the kernel's leaks through uninitialised memory.
    copy_to_user(root, destination, bytemuck::bytes_of(value))
}
