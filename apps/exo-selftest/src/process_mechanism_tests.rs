//! The kernel mechanisms processes are built on: threads sharing their process's capability
//! space, exec in place keeping an environment's identity, copying a range of slots into another
//! space, and reading back what an address space has mapped.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{
    Call, CallNumber, KernelError, PAGE_SIZE, PageAddress, PageCount, RegisterSet, Rights, Slot,
    UserAddress, initial,
};
use libos::kernel::{call, exit};
use libos::memory::map;
use libos::process::{Ending, spawn, spawn_shared_thread};
use libos::slots;

use crate::ensure;
use crate::support::{Outcome, frame, release, slot, step, test_address};

/// Rounds each thread makes of taking slots, frames and heap memory and giving them back.
const ROUNDS: u64 = 200;
/// Per thread: 0 running, 1 done, 2 failed.
static THREAD_OUTCOMES: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];
/// Heap blocks the threads allocated and left for the main thread to use after they ended.
static LEFT_BEHIND: spin::Mutex<Vec<Box<[u64; 2048]>>> = spin::Mutex::new(Vec::new());

extern "C" fn churn(index: u64) -> ! {
    let outcome = (|| -> Result<(), KernelError> {
        for round in 0..ROUNDS {
            let slot = slots::allocate().ok_or(KernelError::OutOfMemory)?;
            call(Call::FrameAllocate {
                quota: initial::MEMORY_QUOTA,
                destination: slot,
                pages: PageCount(1),
            })?;
            // A block big enough to make the heap grow now and then.
            let block = Box::new([index * 1_000_000 + round; 2048]);
            call(Call::CapabilityDelete { slot })?;
            slots::free(slot);
            if round % 50 == 0 {
                LEFT_BEHIND.lock().push(block);
            }
        }
        Ok(())
    })();
    THREAD_OUTCOMES[index as usize & 1]
        .store(if outcome.is_ok() { 1 } else { 2 }, Ordering::SeqCst);
    exit(0)
}

pub fn threads_share_slots_frames_and_heap() -> Outcome {
    let quota_before = step(
        "quota",
        call(Call::CapabilityIdentify {
            slot: initial::MEMORY_QUOTA,
        }),
    )?[3];
    LEFT_BEHIND.lock().clear();
    let mut threads = Vec::new();
    for (index, outcome) in THREAD_OUTCOMES.iter().enumerate() {
        outcome.store(0, Ordering::SeqCst);
        threads.push(step(
            "spawn thread",
            spawn_shared_thread(churn, index as u64),
        )?);
    }
    for thread in threads {
        let ending = thread.wait(10_000_000_000);
        thread.reap();
        ensure!(
            matches!(ending, Ok(Ending::Exited(0))),
            "a thread ended {ending:?}"
        );
    }
    for (index, outcome) in THREAD_OUTCOMES.iter().enumerate() {
        let outcome = outcome.load(Ordering::SeqCst);
        ensure!(outcome == 1, "thread {index} reported {outcome}");
    }
    // The threads are gone; what they allocated on the shared heap is still ours.
    let blocks = core::mem::take(&mut *LEFT_BEHIND.lock());
    ensure!(blocks.len() == 8, "{} blocks left behind", blocks.len());
    for block in &blocks {
        let first = block[0];
        ensure!(
            block.iter().all(|&word| word == first),
            "a block a thread left changed"
        );
    }
    drop(blocks);
    let quota_after = step(
        "quota",
        call(Call::CapabilityIdentify {
            slot: initial::MEMORY_QUOTA,
        }),
    )?[3];
    // The heap may keep what it grew by; frames and slots came back.
    ensure!(
        quota_before.saturating_sub(quota_after) < 256,
        "the quota lost {} pages",
        quota_before.saturating_sub(quota_after)
    );
    Ok(())
}

/// The status the replaced image exits with.
const EXEC_STATUS: u32 = 7;
/// Where the child maps its new image.
const NEW_IMAGE_ADDRESS: u64 = 0x0000_0000_0040_0000;
/// Where the child fills the code before mapping it into the new address space.
const SCRATCH: u64 = 0x0000_5800_0000_0000;

/// The child: builds an address space holding a few instructions that exit with
/// [`EXEC_STATUS`], then replaces its own image with it — keeping its identity.
pub fn run_exec_in_place() -> ! {
    let result = (|| -> Result<(), KernelError> {
        let address_space = slots::allocate().ok_or(KernelError::OutOfMemory)?;
        call(Call::AddressSpaceCreate {
            quota: initial::MEMORY_QUOTA,
            destination: address_space,
        })?;
        let code = slots::allocate().ok_or(KernelError::OutOfMemory)?;
        call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: code,
            pages: PageCount(1),
        })?;
        map(
            initial::SELF_ADDRESS_SPACE,
            code,
            SCRATCH,
            0,
            1,
            Rights::READ | Rights::WRITE,
        )?;
        // mov edi, EXEC_STATUS; mov eax, Exit; syscall; ud2
        let exit_number = CallNumber::Exit as u64 as u32;
        let mut bytes = Vec::new();
        bytes.push(0xbf);
        bytes.extend_from_slice(&EXEC_STATUS.to_le_bytes());
        bytes.push(0xb8);
        bytes.extend_from_slice(&exit_number.to_le_bytes());
        bytes.extend_from_slice(&[0x0f, 0x05, 0x0f, 0x0b]);
        for (offset, byte) in bytes.iter().enumerate() {
            // SAFETY: the page was just mapped writable at SCRATCH; the bytes fit in it.
            unsafe { core::ptr::write_volatile((SCRATCH as *mut u8).add(offset), *byte) };
        }
        call(Call::Map {
            address_space,
            frame: code,
            address: PageAddress(NEW_IMAGE_ADDRESS),
            first_page: 0,
            pages: PageCount(1),
            rights: Rights::READ | Rights::EXECUTE,
        })?;
        let registers = RegisterSet {
            rip: NEW_IMAGE_ADDRESS,
            rsp: NEW_IMAGE_ADDRESS + PAGE_SIZE,
            ..RegisterSet::default()
        };
        call(Call::EnvironmentReplaceImage {
            environment: initial::SELF_ENVIRONMENT,
            address_space,
            registers: UserAddress(core::ptr::from_ref(&registers) as u64),
        })?;
        Ok(())
    })();
    // Only reached if the replacement failed.
    exit(100 + result.err().map_or(0, KernelError::code))
}

pub fn exec_in_place_keeps_the_identity_and_its_watcher() -> Outcome {
    let child = spawn("/bin/exo-selftest", "exo-selftest exec-in-place", &[])
        .map_err(|error| format!("spawn: {error:?}"))?;
    let ending = child.wait(5_000_000_000);
    child.reap();
    ensure!(
        ending == Ok(Ending::Exited(u64::from(EXEC_STATUS))),
        "the parent's watcher saw {ending:?}, not the replaced image's exit {EXEC_STATUS}"
    );
    // The watcher fired once, for the final exit: the wait consumed it and nothing is left.
    Ok(())
}

pub fn mapping_next_reads_back_mappings_and_copy_range_fills_a_space() -> Outcome {
    let first = frame(4)?;
    let second = frame(1)?;
    let base = test_address();
    step(
        "map first",
        map(
            initial::SELF_ADDRESS_SPACE,
            first,
            base,
            1,
            3,
            Rights::READ | Rights::WRITE,
        ),
    )?;
    step(
        "map second",
        map(
            initial::SELF_ADDRESS_SPACE,
            second,
            base + 8 * PAGE_SIZE,
            0,
            1,
            Rights::READ,
        ),
    )?;
    let next = |address: u64| {
        call(Call::MappingNext {
            address_space: initial::SELF_ADDRESS_SPACE,
            address,
        })
    };
    let found = step("first record", next(base))?;
    let read_write = u64::from((Rights::READ | Rights::WRITE).bits());
    ensure!(
        found[..5] == [base, 3, u64::from(first.0), 1, read_write],
        "first record {found:?}"
    );
    let found = step("second record", next(base + 3 * PAGE_SIZE))?;
    ensure!(
        found[..5]
            == [
                base + 8 * PAGE_SIZE,
                1,
                u64::from(second.0),
                0,
                u64::from(Rights::READ.bits())
            ],
        "second record {found:?}"
    );
    let beyond = next(base + 9 * PAGE_SIZE);
    ensure!(
        beyond.map(|words| words[0] >= base + 9 * PAGE_SIZE) != Ok(false),
        "a record before the address came back: {beyond:?}"
    );

    // Copy both frame capabilities (and the empty slots between, skipped) into a new space.
    let low = first.0.min(second.0);
    let count = u64::from(first.0.max(second.0) - low) + 1;
    let environment = slot()?;
    step(
        "create environment",
        call(Call::EnvironmentCreate {
            quota: initial::MEMORY_QUOTA,
            address_space: initial::SELF_ADDRESS_SPACE,
            destination: environment,
            slots: 512,
        }),
    )?;
    let copied = call(Call::CapabilityCopyRange {
        environment,
        source: Slot(low),
        destination: Slot(0),
        count,
    });
    let again = call(Call::CapabilityCopyRange {
        environment,
        source: Slot(low),
        destination: Slot(0),
        count,
    });
    let too_many = call(Call::CapabilityCopyRange {
        environment,
        source: Slot(low),
        destination: Slot(0),
        count: 257,
    });
    // A range running past the end of our space stops there, reporting how far it got.
    let last = initial::SLOT_COUNT as u32 - 1;
    let past_end = call(Call::CapabilityCopyRange {
        environment,
        source: Slot(last),
        destination: Slot(300),
        count: 4,
    });
    release(environment);
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, base, 3);
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, base + 8 * PAGE_SIZE, 1);
    release(first);
    release(second);
    ensure!(
        copied == Ok([count, 0, 0, 0, 0, 0]),
        "copying the range gave {copied:?}"
    );
    ensure!(
        again.map(|words| words[1]) == Ok(KernelError::SlotOccupied.code()),
        "copying onto occupied slots gave {again:?}"
    );
    ensure!(
        too_many == Err(KernelError::InvalidArgument),
        "257 slots gave {too_many:?}"
    );
    ensure!(
        past_end.map(|words| [words[0], words[1]]) == Ok([1, KernelError::InvalidSlot.code()]),
        "a range past the end of the space gave {past_end:?}"
    );
    Ok(())
}

/// `EnvironmentMapBatch` maps through another environment's capabilities: the record belongs to
/// its capability (not ours: `MappingNext` reports no slot of ours, and deleting our own
/// capability to the frame leaves the page mapped), an empty slot there fails the entry, and
/// an environment capability without CONTROL is refused.
pub fn environment_map_batch_maps_through_the_environments_capabilities() -> Outcome {
    use libos::abi::{MapOperation, MapOperationKind};
    let frame_slot = frame(1)?;
    let environment = slot()?;
    let weak = slot()?;
    let base = test_address();
    let outcome = (|| -> Outcome {
        step(
            "create environment",
            call(Call::EnvironmentCreate {
                quota: initial::MEMORY_QUOTA,
                address_space: initial::SELF_ADDRESS_SPACE,
                destination: environment,
                slots: 64,
            }),
        )?;
        step(
            "copy the frame into its slot 5",
            call(Call::CapabilityCopyRange {
                environment,
                source: frame_slot,
                destination: Slot(5),
                count: 1,
            }),
        )?;
        step(
            "weak copy",
            call(Call::CapabilityCopy {
                source: environment,
                destination: weak,
                rights: Rights::READ,
            }),
        )?;
        let entry = |frame: u64| MapOperation {
            kind: MapOperationKind::Map as u64,
            frame,
            virtual_address: base,
            first_page: 0,
            page_count: 1,
            rights: u64::from((Rights::READ | Rights::WRITE).bits()),
        };
        let batch = |environment: Slot, operations: &[MapOperation]| {
            call(Call::EnvironmentMapBatch {
                environment,
                address_space: initial::SELF_ADDRESS_SPACE,
                operations: UserAddress(operations.as_ptr() as u64),
                count: operations.len() as u64,
            })
        };
        let refused = batch(weak, &[entry(5)]);
        ensure!(
            refused == Err(KernelError::InsufficientRights),
            "without CONTROL: {refused:?}"
        );
        let empty = batch(environment, &[entry(6)]);
        ensure!(
            empty.map(|words| [words[0], words[1]]) == Ok([0, KernelError::EmptySlot.code()]),
            "an empty slot of the environment's: {empty:?}"
        );
        let mapped = batch(environment, &[entry(5)]);
        ensure!(
            mapped.map(|words| [words[0], words[1]]) == Ok([1, 0]),
            "mapping through its slot 5: {mapped:?}"
        );
        // SAFETY: the page was just mapped read-write at `base`, which nothing else uses.
        unsafe { core::ptr::write_volatile(base as *mut u64, 0x5eed) };
        let record = step(
            "read back",
            call(Call::MappingNext {
                address_space: initial::SELF_ADDRESS_SPACE,
                address: base,
            }),
        )?;
        ensure!(
            record[0] == base && record[1] == 1 && record[2] == u64::MAX,
            "the record should belong to a capability outside our space: {record:?}"
        );
        step(
            "delete our own frame capability",
            call(Call::CapabilityDelete { slot: frame_slot }),
        )?;
        // SAFETY: still mapped (through the environment's copy), as checked next.
        let value = unsafe { core::ptr::read_volatile(base as *const u64) };
        let still = call(Call::MappingNext {
            address_space: initial::SELF_ADDRESS_SPACE,
            address: base,
        });
        ensure!(
            value == 0x5eed && still.is_ok_and(|words| words[0] == base),
            "after deleting ours: value {value:#x}, record {still:?}"
        );
        Ok(())
    })();
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, base, 1);
    release(weak);
    release(environment);
    release(frame_slot);
    outcome
}
