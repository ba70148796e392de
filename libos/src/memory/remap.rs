//! `mremap`: shrinking a mapping in place, growing it in place when the pages after it are free,
//! and moving it (MREMAP_MAYMOVE, MREMAP_FIXED) by mapping the same frames at the new address —
//! no byte is copied, so a moved shared mapping stays shared.

use exokernel_abi::PAGE_SIZE;
use libposix_sys::Errno;
use libposix_sys::mman::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};
use region_map::{Region, RegionMap};

use super::anonymous::{
    Backing, MMAP_AREA_END, MMAP_AREA_START, REGIONS, discard, keep_our_copies, map_piece,
    populate_kind, unmap_range, within_limit,
};

fn page_round(length: u64) -> Option<u64> {
    Some(length.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

fn in_area(start: u64, size: u64) -> bool {
    start >= MMAP_AREA_START
        && start
            .checked_add(size)
            .is_some_and(|end| end <= MMAP_AREA_END)
}

/// `mremap(old_address, old_size, new_size, flags, new_address)`: the mapping's new address.
///
/// Shrinking unmaps the tail. Growing extends in place when the pages after the mapping are free,
/// else moves it with MREMAP_MAYMOVE; MREMAP_FIXED moves it to `new_address`, replacing what was
/// there. The added pages are of the same kind as the mapping's last page: zeroed private or
/// shared anonymous memory.
///
/// # Errors
/// `EINVAL` for an unaligned address, a zero new size, unknown flags, MREMAP_FIXED without
/// MREMAP_MAYMOVE, an old size of 0 (duplicating a shared mapping, which this LibOS does not
/// offer) or a fixed target that overlaps the old range or is unaligned; `EFAULT` when the old
/// range is not entirely mapped; `ENOMEM` when it cannot grow in place without MREMAP_MAYMOVE,
/// memory runs out or the target lies outside the `mmap` area; `ENOSYS` for MREMAP_DONTUNMAP
/// and for growing a file mapping (not built).
pub fn mremap(
    old_address: u64,
    old_size: u64,
    new_size: u64,
    flags: i32,
    new_address: u64,
) -> Result<u64, Errno> {
    if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
        || !old_address.is_multiple_of(PAGE_SIZE)
        || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
        || new_size == 0
        || old_size == 0
    {
        return Err(Errno::EINVAL);
    }
    if flags & MREMAP_DONTUNMAP != 0 {
        return Err(Errno::ENOSYS);
    }
    let old_size = page_round(old_size).ok_or(Errno::EINVAL)?;
    let new_size = page_round(new_size).ok_or(Errno::EINVAL)?;
    let old_end = old_address.checked_add(old_size).ok_or(Errno::EFAULT)?;
    let mut regions = REGIONS.lock();
    if !regions.covers(old_address, old_end) {
        return Err(Errno::EFAULT);
    }
    if new_size > old_size {
        let limit = crate::process::limits::address_space_limit();
        within_limit(&regions, new_size - old_size, limit)?;
    }
    if flags & MREMAP_FIXED != 0 {
        if !new_address.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let new_end = new_address.checked_add(new_size).ok_or(Errno::EINVAL)?;
        if new_address < old_end && old_address < new_end {
            return Err(Errno::EINVAL);
        }
        if !in_area(new_address, new_size) {
            return Err(Errno::ENOMEM);
        }
        let last = last_piece(&regions, old_address, old_end)?;
        check_growable(&last, old_size, new_size)?;
        discard(&mut regions, new_address, new_end);
        return move_to(
            &mut regions,
            old_address,
            old_size,
            new_size,
            new_address,
            &last,
        );
    }
    if new_size <= old_size {
        discard(&mut regions, old_address + new_size, old_end);
        return Ok(old_address);
    }
    let last = last_piece(&regions, old_address, old_end)?;
    check_growable(&last, old_size, new_size)?;
    let grow_end = old_address + new_size;
    if in_area(old_address, new_size) && regions.is_free(old_end, grow_end) {
        populate_kind(
            &mut regions,
            old_end,
            grow_end,
            last.value.protection,
            last.value.shared,
        )?;
        return Ok(old_address);
    }
    if flags & MREMAP_MAYMOVE == 0 {
        return Err(Errno::ENOMEM);
    }
    let target = regions
        .find_free(new_size, MMAP_AREA_START, MMAP_AREA_END)
        .ok_or(Errno::ENOMEM)?;
    move_to(&mut regions, old_address, old_size, new_size, target, &last)
}

fn last_piece(
    regions: &RegionMap<Backing>,
    start: u64,
    end: u64,
) -> Result<Region<Backing>, Errno> {
    regions.pieces(start, end).pop().ok_or(Errno::EFAULT)
}

/// Growing a file mapping would need the file (its later segments): not built.
fn check_growable(last: &Region<Backing>, old_size: u64, new_size: u64) -> Result<(), Errno> {
    if new_size > old_size && last.value.file {
        return Err(Errno::ENOSYS);
    }
    Ok(())
}

/// Moves `[old, old + old_size)` to `target` (free), keeping at most `new_size` bytes and
/// filling any growth with memory of the last piece's kind.
fn move_to(
    regions: &mut RegionMap<Backing>,
    old: u64,
    old_size: u64,
    new_size: u64,
    target: u64,
    last: &Region<Backing>,
) -> Result<u64, Errno> {
    use crate::process::copy_on_write;
    let kept = old_size.min(new_size);
    // What lies past the kept part goes first (its frames freed when unused).
    discard(regions, old + kept, old + old_size);
    // After a fork: the copy-on-write parts stay copy-on-write at the new place (recorded
    // before anything moves), and our copies of their pages move with them, in frames of
    // their own.
    let current = regions.pieces(old, old + kept);
    for piece in current.iter().filter(|piece| !piece.value.shared) {
        for (from, to, copy_on_write) in copy_on_write::segments(piece.start, piece.end) {
            if copy_on_write {
                copy_on_write::add_range(from - old + target, to - old + target)
                    .map_err(|_| Errno::ENOMEM)?;
            }
        }
    }
    for piece in &current {
        if piece.value.mapped_rights(piece.value.protection).is_some() {
            keep_our_copies(regions, piece)?;
        }
    }
    let _ = copy_on_write::set_unwritable(old, old + kept, false);
    let pieces = regions.remove(old, old + kept);
    for piece in &pieces {
        if piece.value.mapped_rights(piece.value.protection).is_some() {
            unmap_range(piece.start, piece.end);
        }
    }
    for piece in &pieces {
        let moved = Backing {
            origin: piece.value.origin.wrapping_sub(old).wrapping_add(target),
            ..piece.value
        };
        let start = piece.start - old + target;
        let end = piece.end - old + target;
        if let Some(rights) = moved.mapped_rights(moved.protection) {
            // Copy-on-write parts without WRITE: their first write copies (or, for our own
            // frames, makes the page writable in place).
            for (from, to, copy_on_write) in copy_on_write::segments(start, end) {
                let rights = if copy_on_write && !moved.shared {
                    rights.difference(exokernel_abi::Rights::WRITE)
                } else {
                    rights
                };
                map_piece(&moved, from, to, rights)?;
            }
            if moved.protection & libposix_sys::mman::PROT_WRITE == 0 {
                let _ = copy_on_write::set_unwritable(start, end, true);
            }
        }
        regions
            .insert(start, end, moved)
            .map_err(|_| Errno::ENOMEM)?;
    }
    if pieces.iter().any(|piece| piece.value.beyond_end_of_file) {
        super::beyond_end_of_file::rebuild(regions);
    }
    if new_size > kept {
        populate_kind(
            regions,
            target + kept,
            target + new_size,
            last.value.protection,
            last.value.shared,
        )?;
    }
    Ok(target)
}
