//! Copies of pages with hostile arguments. `EnvironmentFrameCopy` (fork's copies for a child):
//! pages of another address space, kernel and unmapped addresses, an occupied or out-of-range
//! destination, an environment without CONTROL, too many entries, an unreadable array — each
//! refused without a copy made, a batch stopping at its first bad entry; a good copy keeps the
//! contents and stays apart from our page. `FrameAllocateCopy`'s reuse in place only for a
//! frame nobody else reaches, and its copies of many pages. Every page comes back with the
//! attacker's quota.

use libos::abi::{
    Call, KernelError, PAGE_SIZE, PageCopy, PageCount, Rights, Slot, UserAddress, initial,
};
use libos::kernel::call;
use libos::memory::map;

use crate::arena::Arena;
use crate::ensure;
use crate::support::{Outcome, expect_error, release, slot, step};

/// A frame of `pages` pages from the arena's quota at `destination`.
fn frame_from(arena: &Arena, destination: Slot, pages: u64) -> Outcome {
    step(
        "frame",
        call(Call::FrameAllocate {
            quota: arena.quota(),
            destination,
            pages: PageCount(pages),
        }),
    )
    .map(|_| ())
}

/// An address space from the arena's quota at `destination`.
fn address_space_from(arena: &Arena, destination: Slot) -> Outcome {
    step(
        "space",
        call(Call::AddressSpaceCreate {
            quota: arena.quota(),
            destination,
        }),
    )
    .map(|_| ())
}

/// Slots of the target environment's space.
const TARGET_SLOTS: u64 = 8;

pub fn environment_frame_copy_hostile() -> Outcome {
    // An address space takes 257 pages.
    let arena = Arena::new(300)?;
    let frame = slot()?;
    let space = slot()?;
    let target = slot()?;
    let watcher = slot()?;
    let viewer = slot()?;
    let page = crate::support::fresh_region(3);
    let outcome = (|| {
        frame_from(&arena, frame, 1)?;
        address_space_from(&arena, space)?;
        step(
            "target",
            call(Call::EnvironmentCreate {
                quota: arena.quota(),
                address_space: space,
                destination: target,
                slots: TARGET_SLOTS,
            }),
        )?;
        step(
            "target without CONTROL",
            call(Call::CapabilityCopy {
                source: target,
                destination: watcher,
                rights: Rights::READ,
            }),
        )?;
        step(
            "map",
            map(
                initial::SELF_ADDRESS_SPACE,
                frame,
                page,
                0,
                1,
                Rights::READ | Rights::WRITE,
            ),
        )?;
        step("map there", map(space, frame, page, 0, 1, Rights::READ))?;
        // SAFETY: the page was just mapped read-write and nothing else uses it.
        unsafe { core::ptr::write_volatile(page as *mut u64, 0x5eed) };

        let own = initial::SELF_ADDRESS_SPACE;
        let copy_call = |environment: Slot, address_space: Slot, copies: &[PageCopy]| {
            call(Call::EnvironmentFrameCopy {
                environment,
                quota: arena.quota(),
                address_space,
                copies: UserAddress(copies.as_ptr() as u64),
                count: copies.len() as u64,
            })
        };
        let entry = |address: u64, destination: u64| PageCopy {
            address,
            destination,
        };
        // Refusals of the call as a whole.
        expect_error(
            "another address space",
            copy_call(target, space, &[entry(page, 1)]),
            KernelError::InvalidArgument,
        )?;
        expect_error(
            "no CONTROL on the environment",
            copy_call(watcher, own, &[entry(page, 1)]),
            KernelError::InsufficientRights,
        )?;
        expect_error(
            "a frame as environment",
            copy_call(frame, own, &[entry(page, 1)]),
            KernelError::WrongKind,
        )?;
        let too_many = [entry(page, 1); PageCopy::MAXIMUM_BATCH as usize + 1];
        expect_error(
            "65 entries",
            copy_call(target, own, &too_many),
            KernelError::InvalidArgument,
        )?;
        let array_at = |address: u64| {
            call(Call::EnvironmentFrameCopy {
                environment: target,
                quota: arena.quota(),
                address_space: own,
                copies: UserAddress(address),
                count: 1,
            })
        };
        expect_error(
            "an array in kernel memory",
            array_at(0xffff_8000_0000_0000),
            KernelError::InvalidAddress,
        )?;
        let unreadable = array_at(page + PAGE_SIZE);
        ensure!(
            unreadable
                .is_ok_and(|words| words[0] == 0 && words[1] == KernelError::InvalidAddress.code()),
            "an array in unmapped memory: {unreadable:?}"
        );
        // Refusals of one entry: the call stops there, with that entry's error.
        for (what, copies, done, expected) in [
            (
                "a kernel page",
                [entry(page, 1), entry(0xffff_8000_0000_0000, 2)],
                1,
                KernelError::InvalidAddress,
            ),
            (
                "an unmapped page",
                [entry(page, 3), entry(page + PAGE_SIZE, 4)],
                1,
                KernelError::NotMapped,
            ),
            (
                "an unaligned page",
                [entry(page + 8, 5), entry(page, 6)],
                0,
                KernelError::InvalidArgument,
            ),
            (
                "an occupied destination",
                [entry(page, 1), entry(page, 7)],
                0,
                KernelError::SlotOccupied,
            ),
            (
                "a destination beyond the space",
                [entry(page, TARGET_SLOTS), entry(page, 7)],
                0,
                KernelError::InvalidSlot,
            ),
        ] {
            let words = step(what, copy_call(target, own, &copies))?;
            ensure!(
                words[0] == done && words[1] == expected.code(),
                "{what}: {words:?}, expected {done} done and {expected:?}"
            );
        }
        // A good batch into our own space, where we can look: the copy keeps the contents and
        // is a frame of its own, which our later writes do not reach.
        let words = step(
            "a good batch",
            copy_call(
                initial::SELF_ENVIRONMENT,
                own,
                &[entry(page, u64::from(viewer.0))],
            ),
        )?;
        ensure!(words == [1, 0, 0, 0, 0, 0], "a good batch: {words:?}");
        // SAFETY: our page is mapped read-write; the copy was made before this write.
        unsafe { core::ptr::write_volatile(page as *mut u64, 0xd1ff) };
        let view = page + 2 * PAGE_SIZE;
        step("map the copy", map(own, viewer, view, 0, 1, Rights::READ))?;
        // SAFETY: the copy was just mapped readable.
        let copied = unsafe { core::ptr::read_volatile(view as *const u64) };
        ensure!(copied == 0x5eed, "the copy holds {copied:#x}");
        let _ = libos::memory::unmap(own, view, 1);
        let _ = libos::memory::unmap(own, page, 1);
        Ok(())
    })();
    for slot in [watcher, target, space, frame, viewer] {
        release(slot);
    }
    outcome?;
    arena.finish()
}

/// `FrameAllocateCopy` with `FRAME_COPY_REUSE`: a page is made writable in place only when
/// nobody else can reach its frame. Shared with another address space, or named by a second
/// capability, or mapped through a capability without WRITE, it is copied instead (so a
/// program cannot write into a frame it shares read-only); alone, it is made writable in
/// place with nothing allocated; the option without `FRAME_COPY_REPLACE` is refused.
pub fn frame_copy_reuses_only_what_nobody_else_reaches() -> Outcome {
    use libos::abi::{FRAME_COPY_REPLACE, FRAME_COPY_REUSE, PageAddress};
    let arena = Arena::new(300)?;
    let frame = slot()?;
    let second = slot()?;
    let copy = slot()?;
    let space = slot()?;
    let page = crate::support::fresh_region(1);
    let own = initial::SELF_ADDRESS_SPACE;
    let outcome = (|| {
        frame_from(&arena, frame, 1)?;
        address_space_from(&arena, space)?;
        step("map read-only", map(own, frame, page, 0, 1, Rights::READ))?;
        let copy_call = |options: u64| {
            call(Call::FrameAllocateCopy {
                quota: arena.quota(),
                destination: copy,
                address_space: own,
                address: PageAddress(page),
                options,
                pages: PageCount(1),
            })
        };
        expect_error(
            "reuse without replace",
            copy_call(FRAME_COPY_REUSE),
            KernelError::InvalidArgument,
        )?;
        let both = FRAME_COPY_REPLACE | FRAME_COPY_REUSE;
        // Shared: mapped in another address space too.
        step("map there", map(space, frame, page, 0, 1, Rights::READ))?;
        let words = step("shared with another space", copy_call(both))?;
        ensure!(
            words[3] == 0 && crate::support::occupied(copy),
            "a page shared with another address space was not copied: {words:?}"
        );
        // Back to our frame, and a second capability naming it.
        step("unmap the copy", libos::memory::unmap(own, page, 1))?;
        release(copy);
        let _ = libos::memory::unmap(space, page, 1);
        step("map again", map(own, frame, page, 0, 1, Rights::READ))?;
        step(
            "second capability",
            call(Call::CapabilityCopy {
                source: frame,
                destination: second,
                rights: Rights::READ | Rights::MAP,
            }),
        )?;
        let words = step("named twice", copy_call(both))?;
        ensure!(
            words[3] == 0 && crate::support::occupied(copy),
            "a frame named by a second capability was not copied: {words:?}"
        );
        step("unmap the second copy", libos::memory::unmap(own, page, 1))?;
        release(copy);
        // Through a capability without WRITE, alone: copied, the frame is never written.
        step(
            "map through the read-only capability",
            map(own, second, page, 0, 1, Rights::READ),
        )?;
        release(frame);
        let words = step("no WRITE right", copy_call(both))?;
        ensure!(
            words[3] == 0 && crate::support::occupied(copy),
            "a page of a capability without WRITE was not copied: {words:?}"
        );
        // The copy is ours alone now: a second fault on it is made writable in place (once the
        // kernel's unmap queue, which background teardowns may be using, is empty: each try
        // that finds it busy copies instead, and the next tries the copy).
        let mut spares = alloc::vec::Vec::new();
        let mut reused = false;
        for _ in 0..50 {
            step(
                "protect the page",
                call(Call::Protect {
                    address_space: own,
                    address: PageAddress(page),
                    pages: PageCount(1),
                    rights: Rights::READ,
                }),
            )?;
            let spare = slot()?;
            spares.push(spare);
            let words = step(
                "alone",
                call(Call::FrameAllocateCopy {
                    quota: arena.quota(),
                    destination: spare,
                    address_space: own,
                    address: PageAddress(page),
                    options: both,
                    pages: PageCount(1),
                }),
            )?;
            if words[3] == 1 {
                ensure!(
                    !crate::support::occupied(spare),
                    "a page made writable in place still filled the destination"
                );
                reused = true;
                break;
            }
            crate::support::wait_until(10_000_000, || false);
        }
        if reused {
            // SAFETY: the page was just made writable in place; a write that faulted would end
            // the check (no handler here) rather than pass it.
            unsafe { core::ptr::write_volatile(page as *mut u64, 7) };
        }
        let _ = libos::memory::unmap(own, page, 1);
        for spare in spares {
            release(spare);
        }
        ensure!(reused, "a page nobody else reaches was copied every time");
        Ok(())
    })();
    for slot in [copy, second, frame, space] {
        release(slot);
    }
    outcome?;
    arena.finish()
}

/// `FrameAllocateCopy` of many pages with hostile arguments: more than 64 pages, a range with
/// a hole, a range running past the top of user space — refused with nothing changed (the
/// destination empty, the pages still the old frame's); a good copy of two pages replaces both,
/// keeping their contents.
pub fn frame_copy_of_many_pages_hostile() -> Outcome {
    use libos::abi::{FRAME_COPY_MAXIMUM_PAGES, FRAME_COPY_REPLACE, PageAddress};
    let arena = Arena::new(64)?;
    let frame = slot()?;
    let copy = slot()?;
    let page = crate::support::fresh_region(3);
    let own = initial::SELF_ADDRESS_SPACE;
    let outcome = (|| {
        frame_from(&arena, frame, 3)?;
        // Pages 0 and 1 mapped read-only, page 2 left out.
        step("map", map(own, frame, page, 0, 2, Rights::READ))?;
        let copy_call = |address: u64, pages: u64| {
            call(Call::FrameAllocateCopy {
                quota: arena.quota(),
                destination: copy,
                address_space: own,
                address: PageAddress(address),
                options: FRAME_COPY_REPLACE,
                pages: PageCount(pages),
            })
        };
        expect_error(
            "65 pages",
            copy_call(page, FRAME_COPY_MAXIMUM_PAGES + 1),
            KernelError::InvalidArgument,
        )?;
        expect_error(
            "a range with a hole",
            copy_call(page, 3),
            KernelError::NotMapped,
        )?;
        let past_the_top = copy_call(libos::abi::USER_ADDRESS_LIMIT - PAGE_SIZE, 2);
        ensure!(
            past_the_top.is_err(),
            "a range past the top of user space: {past_the_top:?}"
        );
        ensure!(
            !crate::support::occupied(copy),
            "a refused copy filled the destination"
        );
        let words = step("a good copy of two pages", copy_call(page, 2))?;
        ensure!(
            words[0] == u64::from(frame.0) && words[1] == page,
            "the first page's old record: {words:?}"
        );
        for index in 0..2 {
            let address = page + index * PAGE_SIZE;
            // SAFETY: both pages are mapped read-write now, through the copy.
            unsafe { core::ptr::write_volatile(address as *mut u64, index + 1) };
        }
        let mut listed = [[0u64; 5]; 1];
        let list = step(
            "list",
            call(Call::MappingList {
                address_space: own,
                address: page,
                buffer: UserAddress(listed.as_mut_ptr() as u64),
                capacity: 1,
            }),
        )?;
        ensure!(
            list[0] == 1
                && listed[0][0] == page
                && listed[0][1] == 2
                && listed[0][2] == u64::from(copy.0),
            "the copy's record: {listed:?}"
        );
        let _ = libos::memory::unmap(own, page, 2);
        Ok(())
    })();
    for slot in [copy, frame] {
        release(slot);
    }
    outcome?;
    arena.finish()
}
