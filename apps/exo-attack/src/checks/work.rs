//! Unbounded work with interrupts off: huge `Protect` batches, a 64 KiB console write, the
//! largest frame allocation, and deleting a frame mapped many times — each call timed from ring
//! 3 and held to `raw::MAXIMUM_CALL_MILLISECONDS`.

use alloc::vec::Vec;

use libos::abi::{
    Call, KernelError, MapOperation, MapOperationKind, PageCount, Rights, UserAddress, initial,
};
use libos::kernel::call;
use libos::println;
use libos::slots;

use crate::arena::Arena;
use crate::checks::destruction::within_bound;
use crate::ensure;
use crate::raw::{maximum_call_ticks, timed};
use crate::support::{Outcome, release, slot, step};
use crate::watchdog::timed_restartable;

/// A frame of 512 pages mapped back to back as often as a fresh address space's page tables
/// allow (about 130,000 pages), then `MapBatch`es of 1, 8, 64 and 512 `Protect` entries each
/// over the whole range; escalation stops at the first batch over the bound.
pub fn huge_protect_batch() -> Outcome {
    const FRAME_PAGES: u64 = 512;
    const BASE: u64 = 0x0000_0100_0000_0000;
    let arena = Arena::new(1024)?;
    let frame = slot()?;
    let space = slot()?;
    step(
        "frame",
        call(Call::FrameAllocate {
            quota: arena.quota(),
            destination: frame,
            pages: PageCount(FRAME_PAGES),
        }),
    )?;
    step(
        "address space",
        call(Call::AddressSpaceCreate {
            quota: arena.quota(),
            destination: space,
        }),
    )?;
    let mut mapped = 0u64;
    let mut longest_map = 0;
    loop {
        let (result, ticks) = timed(Call::Map {
            address_space: space,
            frame,
            address: libos::abi::PageAddress(BASE + mapped * 4096),
            first_page: 0,
            pages: PageCount(FRAME_PAGES),
            rights: Rights::READ | Rights::WRITE,
        });
        longest_map = longest_map.max(ticks);
        if result.status != 0 || mapped >= 260 * FRAME_PAGES {
            break;
        }
        mapped += FRAME_PAGES;
    }
    let outcome = (|| {
        ensure!(mapped > 0, "could not map the frame even once");
        within_bound("map-512-pages", longest_map)?;
        let mut longest = 0;
        for entries in [1u64, 8, 64, 512] {
            let batch: Vec<MapOperation> = (0..entries)
                .map(|index| MapOperation {
                    kind: MapOperationKind::Protect as u64,
                    frame: 0,
                    virtual_address: BASE,
                    first_page: 0,
                    page_count: mapped,
                    rights: u64::from(if index % 2 == 0 {
                        Rights::READ.bits()
                    } else {
                        (Rights::READ | Rights::WRITE).bits()
                    }),
                })
                .collect();
            let (result, ticks) = timed(Call::MapBatch {
                address_space: space,
                operations: UserAddress(batch.as_ptr() as u64),
                count: entries,
            });
            // Whatever it answers (a kernel may refuse or cut short an entry this large), it
            // must answer in time.
            let _ = result;
            longest = longest.max(ticks);
            if ticks > maximum_call_ticks() {
                println!(
                    "attack: protect batch of {entries} entries over {mapped} pages took {ticks} cycles"
                );
                break;
            }
        }
        within_bound("protect-batch", longest)?;
        // The largest count a call may name, over the mapped range and beyond.
        let (_, ticks) = timed(Call::Protect {
            address_space: space,
            address: libos::abi::PageAddress(BASE),
            pages: PageCount(PageCount::MAXIMUM),
            rights: Rights::READ,
        });
        within_bound("protect-maximum-pages", ticks)?;
        let (_, ticks) = timed(Call::Unmap {
            address_space: space,
            address: libos::abi::PageAddress(BASE),
            pages: PageCount(mapped),
        });
        within_bound("unmap-all", ticks)
    })();
    let (_, ticks) = timed_restartable(Call::CapabilityDelete { slot: space });
    slots::free(space);
    release(frame);
    outcome?;
    within_bound("address-space-delete", ticks)?;
    arena.finish()
}

/// One `ConsoleWrite` of 64 KiB (polling the UART): one line of spaces, so the test output
/// stays readable.
pub fn console_write_64_kibibytes() -> Outcome {
    const LENGTH: usize = 64 * 1024;
    let mut buffer = alloc::vec![b' '; LENGTH];
    buffer[LENGTH - 1] = b'\n';
    let (result, ticks) = timed(Call::ConsoleWrite {
        console: initial::CONSOLE,
        buffer: UserAddress(buffer.as_ptr() as u64),
        length: LENGTH as u64,
    });
    // A kernel may write only part of it (ending the line is then up to us).
    println!();
    ensure!(result.status == 0, "ConsoleWrite failed: {}", result.status);
    within_bound("console-write-64k", ticks)
}

/// `FrameAllocate` of the largest count one call may name (`PageCount::MAXIMUM`), at most 4,096
/// pages (16 MiB zeroed; less if we have less left); then one page more than a call may name
/// (refused at once), and the largest count from a quota too small for it.
pub fn largest_frame_allocate() -> Outcome {
    const LARGEST: u64 = 4096;
    let available = crate::arena::read(initial::MEMORY_QUOTA)?.remaining;
    let pages = (available / 2).min(LARGEST).min(PageCount::MAXIMUM);
    ensure!(
        pages >= 1024,
        "only {available} pages left to allocate from"
    );
    let arena = Arena::new(pages)?;
    let frame = slot()?;
    let (result, ticks) = timed(Call::FrameAllocate {
        quota: arena.quota(),
        destination: frame,
        pages: PageCount(pages),
    });
    release(frame);
    ensure!(
        result.status == 0 || result.status == KernelError::OutOfMemory.code(),
        "FrameAllocate of {pages} pages failed: {}",
        result.status
    );
    within_bound("frame-allocate-largest", ticks)?;
    let frame = slot()?;
    let (too_many, too_many_ticks) = timed(Call::FrameAllocate {
        quota: arena.quota(),
        destination: frame,
        pages: PageCount(PageCount::MAXIMUM + 1),
    });
    let (too_poor, too_poor_ticks) = timed(Call::FrameAllocate {
        quota: initial::CONSOLE,
        destination: frame,
        pages: PageCount(pages),
    });
    release(frame);
    ensure!(
        too_many.status == KernelError::InvalidArgument.code(),
        "FrameAllocate of PageCount::MAXIMUM + 1 pages returned {}",
        too_many.status
    );
    ensure!(
        too_poor.status != 0,
        "FrameAllocate through the console capability succeeded"
    );
    within_bound("frame-allocate-too-many", too_many_ticks)?;
    within_bound("frame-allocate-wrong-kind", too_poor_ticks)?;
    arena.finish()
}

/// One page mapped up to 65,536 times in a fresh address space (single-page batch entries)
/// through a copy of its capability, then the original revoked: one call tearing down every
/// mapping.
pub fn revoke_widely_mapped_frame() -> Outcome {
    const MAPPINGS: u64 = 65_536;
    const BASE: u64 = 0x0000_0200_0000_0000;
    let mut arena = Arena::new(1024)?;
    let frame = slot()?;
    let space = slot()?;
    step(
        "frame",
        call(Call::FrameAllocate {
            quota: arena.quota(),
            destination: frame,
            pages: PageCount(1),
        }),
    )?;
    step(
        "address space",
        call(Call::AddressSpaceCreate {
            quota: arena.quota(),
            destination: space,
        }),
    )?;
    let copy = slot()?;
    step(
        "copy",
        call(Call::CapabilityCopy {
            source: frame,
            destination: copy,
            rights: Rights::all(),
        }),
    )?;
    let mut batch = alloc::vec![MapOperation::default(); MapOperation::MAXIMUM_BATCH as usize];
    let mut mapped = 0u64;
    let mut longest_batch = 0;
    'map: while mapped < MAPPINGS {
        for (index, operation) in batch.iter_mut().enumerate() {
            *operation = MapOperation {
                kind: MapOperationKind::Map as u64,
                frame: u64::from(copy.0),
                virtual_address: BASE + (mapped + index as u64) * 4096,
                first_page: 0,
                page_count: 1,
                rights: u64::from(Rights::READ.bits()),
            };
        }
        let (result, ticks) = timed(Call::MapBatch {
            address_space: space,
            operations: UserAddress(batch.as_ptr() as u64),
            count: MapOperation::MAXIMUM_BATCH,
        });
        longest_batch = longest_batch.max(ticks);
        mapped += result.words[0];
        if result.status != 0 || result.words[1] != 0 || arena.over_budget() {
            break 'map;
        }
    }
    let (result, ticks) = timed_restartable(Call::CapabilityRevoke { slot: frame });
    let still_mapped = call(Call::Unmap {
        address_space: space,
        address: libos::abi::PageAddress(BASE),
        pages: PageCount(1),
    });
    let copy_survived = crate::support::occupied(copy);
    release(copy);
    release(frame);
    release(space);
    ensure!(
        result.status == 0,
        "revoking the frame failed: {}",
        result.status
    );
    ensure!(mapped > 0, "could not map the frame at all");
    ensure!(!copy_survived, "the copy survived the revoke");
    ensure!(
        still_mapped == Err(KernelError::NotMapped),
        "a mapping through the revoked copy survived: {still_mapped:?}"
    );
    println!("attack: revoked a frame mapped {mapped} times through a copy");
    within_bound("map-batch-512", longest_batch)?;
    within_bound("widely-mapped-frame-revoke", ticks)?;
    arena.finish()
}
