//! `EnvironmentFrameCopy` (fork's copies for a child) with hostile arguments: pages of another
//! address space, kernel and unmapped addresses, an occupied or out-of-range destination, an
//! environment without CONTROL or an ended one, too many entries, an unreadable array — each
//! refused without a copy made, a batch stopping at its first bad entry; a good copy keeps the
//! contents and stays apart from our page; every page comes back with the attacker's quota.

use libos::abi::{
    Call, KernelError, PAGE_SIZE, PageCopy, PageCount, Rights, Slot, UserAddress, initial,
};
use libos::kernel::call;
use libos::memory::map;

use crate::arena::Arena;
use crate::ensure;
use crate::support::{Outcome, expect_error, release, slot, step};

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
        step(
            "frame",
            call(Call::FrameAllocate {
                quota: arena.quota(),
                destination: frame,
                pages: PageCount(1),
            }),
        )?;
        step(
            "space",
            call(Call::AddressSpaceCreate {
                quota: arena.quota(),
                destination: space,
            }),
        )?;
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
