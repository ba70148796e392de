//! Reading and writing user memory by walking the current address space's page tables, so a
//! bad user pointer becomes an error instead of a kernel page fault.

use super::paging::physical_to_virtual;
use super::user_paging::UserPageTables;

/// A user range was not mapped with the access needed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadUserAddress;

const USER_LIMIT: u64 = 0x0000_7fff_ffff_f000;

/// Copies `destination.len()` bytes from user address `source` in the address space `root`.
///
/// # Errors
/// [`BadUserAddress`] if any byte is outside user space or unmapped.
pub fn copy_from_user(
    root: UserPageTables,
    source: u64,
    destination: &mut [u8],
) -> Result<(), BadUserAddress> {
    let end = source
        .checked_add(destination.len() as u64)
        .ok_or(BadUserAddress)?;
    if end > USER_LIMIT {
        return Err(BadUserAddress);
    }
    let mut done = 0usize;
    while done < destination.len() {
        let address = source + done as u64;
        let (physical, _) = root.translate(address).ok_or(BadUserAddress)?;
        let chunk = ((4096 - (address & 0xfff)) as usize).min(destination.len() - done);
        // SAFETY: the page is mapped user memory, reachable through the direct map; the chunk
        // stays within it.
        unsafe {
            core::ptr::copy_nonoverlapping(
                physical_to_virtual(physical) as *const u8,
                destination[done..].as_mut_ptr(),
                chunk,
            );
        }
        done += chunk;
    }
    Ok(())
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
    let end = destination
        .checked_add(source.len() as u64)
        .ok_or(BadUserAddress)?;
    if end > USER_LIMIT {
        return Err(BadUserAddress);
    }
    // Check every page first so a failure writes nothing.
    let mut address = destination & !0xfff;
    while address < end {
        match root.translate(address) {
            Some((_, access)) if access.write => {}
            _ => return Err(BadUserAddress),
        }
        address += 4096;
    }
    let mut done = 0usize;
    while done < source.len() {
        let address = destination + done as u64;
        let (physical, _) = root.translate(address).ok_or(BadUserAddress)?;
        let chunk = ((4096 - (address & 0xfff)) as usize).min(source.len() - done);
        // SAFETY: a writable user page reachable through the direct map; the chunk stays in it.
        unsafe {
            core::ptr::copy_nonoverlapping(
                source[done..].as_ptr(),
                physical_to_virtual(physical) as *mut u8,
                chunk,
            );
        }
        done += chunk;
    }
    Ok(())
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
    let end = destination
        .checked_add(source.len() as u64)
        .ok_or(BadUserAddress)?;
    if end > USER_LIMIT {
        return Err(BadUserAddress);
    }
    let mut done = 0usize;
    while done < source.len() {
        let address = destination + done as u64;
        let (physical, _) = root.translate(address).ok_or(BadUserAddress)?;
        let chunk = ((4096 - (address & 0xfff)) as usize).min(source.len() - done);
        // SAFETY: a mapped user page reachable through the direct map; the chunk stays in it.
        unsafe {
            core::ptr::copy_nonoverlapping(
                source[done..].as_ptr(),
                physical_to_virtual(physical) as *mut u8,
                chunk,
            );
        }
        done += chunk;
    }
    Ok(())
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
