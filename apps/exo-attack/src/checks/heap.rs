//! Routes to make the kernel allocate memory nobody paid for, each with a 1,024-page budget:
//! many mappings of one frame, capability slots filled with copies, many objects of every kind,
//! long IPC wait queues, many notification and futex waiters. Each route must stop with
//! `QuotaExhausted`/`OutOfMemory` (or a documented limit) before the kernel's memory figure drops
//! by more than the budget.

use alloc::format;
use alloc::vec::Vec;

use libos::abi::{
    Call, EnvironmentState, KernelError, MapOperation, MapOperationKind, OptionalSlot, PageCount,
    Rights, Slot, UserAddress, initial,
};
use libos::kernel::call;
use libos::println;
use libos::slots;

use crate::arena::Arena;
use crate::ensure;
use crate::stub::{Stub, stack, start_one_call};
use crate::support::{Outcome, SECOND, release, slot, step};

/// The budget of every route.
const BUDGET: u64 = 1024;
/// Waiters in the first of two crowds sharing a budget (each costs two pages and a little).
const HALF_CROWD: usize = 200;

/// Whether an error is a legitimate way for a route to stop.
fn exhausted(error: KernelError) -> bool {
    matches!(
        error,
        KernelError::QuotaExhausted | KernelError::OutOfMemory
    )
}

/// Reports how far a route got and fails if it outspent its budget.
fn report(route: &str, count: u64, arena: &mut Arena) -> Outcome {
    let dropped = arena.sample();
    println!(
        "attack: {route}: {count} before it stopped; kernel spent {dropped} bytes of an allowance of {}",
        arena.allowance()
    );
    ensure!(
        dropped <= arena.allowance(),
        "{route}: {count} made the kernel spend {dropped} bytes on a {}-page budget",
        arena.pages()
    );
    Ok(())
}

/// One page mapped over and over into as many address spaces as the budget pays for, 512
/// single-page entries a batch.
pub fn many_mappings_of_one_frame() -> Outcome {
    const FRAME_PAGES: u64 = 1;
    let mut arena = Arena::new(BUDGET)?;
    let frame = slot()?;
    step(
        "frame",
        call(Call::FrameAllocate {
            quota: arena.quota(),
            destination: frame,
            pages: PageCount(FRAME_PAGES),
        }),
    )?;
    let mut spaces = Vec::new();
    loop {
        let space = slot()?;
        match call(Call::AddressSpaceCreate {
            quota: arena.quota(),
            destination: space,
        }) {
            Ok(_) => {
                spaces.push(space);
                arena.credit_own_slots(1);
            }
            Err(error) => {
                slots::free(space);
                ensure!(exhausted(error), "address space: {error:?}");
                break;
            }
        }
    }
    let mut batch = alloc::vec![MapOperation::default(); MapOperation::MAXIMUM_BATCH as usize];
    let mut pages_mapped = 0u64;
    let mut stop = None;
    'spaces: for &space in &spaces {
        let mut address = 0x0000_0100_0000_0000u64;
        loop {
            for operation in &mut batch {
                *operation = MapOperation {
                    kind: MapOperationKind::Map as u64,
                    frame: u64::from(frame.0),
                    virtual_address: address,
                    first_page: 0,
                    page_count: FRAME_PAGES,
                    rights: u64::from(Rights::READ.bits()),
                };
                address += FRAME_PAGES * 4096;
            }
            let result = call(Call::MapBatch {
                address_space: space,
                operations: UserAddress(batch.as_ptr() as u64),
                count: MapOperation::MAXIMUM_BATCH,
            });
            // A kernel may refuse the whole batch rather than stop at an entry.
            let words = match result {
                Ok(words) => words,
                Err(error) => [0, error.code(), 0, 0, 0, 0],
            };
            pages_mapped += words[0] * FRAME_PAGES;
            if arena.over_budget() {
                break 'spaces;
            }
            if words[1] != 0 {
                stop = KernelError::from_code(words[1]);
                break;
            }
        }
        if !stop.is_some_and(exhausted) {
            break;
        }
    }
    let outcome = report(
        "single-page mappings of one frame",
        pages_mapped,
        &mut arena,
    );
    for space in spaces {
        release(space);
    }
    release(frame);
    outcome?;
    ensure!(
        stop.is_some_and(exhausted),
        "mapping stopped with {stop:?} after {pages_mapped} pages, not an exhaustion error"
    );
    arena.finish()
}

/// Environments with 4,096 slots, every slot filled with a copy of one endpoint.
pub fn capability_slots_filled_with_copies() -> Outcome {
    const SLOTS: u64 = 4096;
    let mut arena = Arena::new(BUDGET)?;
    let endpoint = slot()?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: endpoint,
        }),
    )?;
    let mut stubs = Vec::new();
    let mut copies = 0u64;
    let mut stop = None;
    'environments: loop {
        let stub = match Stub::create(arena.quota(), SLOTS) {
            Ok(stub) => {
                arena.credit_own_slots(1);
                stub
            }
            Err(error) => {
                stop = Some(error);
                break;
            }
        };
        for index in 0..SLOTS {
            if let Err(error) = call(Call::EnvironmentGrant {
                environment: stub.environment,
                source: endpoint,
                destination: Slot(index as u32),
                rights: Rights::all(),
            }) {
                stop = Some(error);
                stubs.push(stub);
                break 'environments;
            }
            copies += 1;
            if copies.is_multiple_of(1024) && arena.over_budget() {
                stubs.push(stub);
                break 'environments;
            }
        }
        stubs.push(stub);
    }
    let outcome = report("capability copies in filled slots", copies, &mut arena);
    for stub in stubs {
        stub.delete();
    }
    release(endpoint);
    outcome?;
    ensure!(
        stop.is_some_and(exhausted),
        "filling slots stopped with {stop:?} after {copies} copies"
    );
    arena.finish()
}

/// Endpoints, notifications, one-slot environments, one-page frames, address spaces and child
/// quotas, round after round, until the budget is gone.
pub fn objects_of_every_kind() -> Outcome {
    let mut arena = Arena::new(BUDGET)?;
    let quota = arena.quota();
    let mut held = Vec::new();
    let mut exhausted_kinds = [false; 6];
    let mut count = 0u64;
    while !exhausted_kinds.iter().all(|&done| done) {
        for (kind, done) in exhausted_kinds.iter_mut().enumerate() {
            if *done {
                continue;
            }
            let destination = slot()?;
            let result = match kind {
                0 => call(Call::EndpointCreate { quota, destination }),
                1 => call(Call::NotificationCreate { quota, destination }),
                2 => call(Call::EnvironmentCreate {
                    quota,
                    address_space: initial::SELF_ADDRESS_SPACE,
                    destination,
                    slots: 1,
                }),
                3 => call(Call::FrameAllocate {
                    quota,
                    destination,
                    pages: PageCount(1),
                }),
                4 => call(Call::AddressSpaceCreate { quota, destination }),
                _ => crate::arena::split_quota(quota, destination, 1),
            };
            match result {
                Ok(_) => {
                    held.push(destination);
                    arena.credit_own_slots(1);
                    count += 1;
                }
                Err(error) => {
                    slots::free(destination);
                    if !exhausted(error) {
                        for slot in held {
                            release(slot);
                        }
                        return Err(format!("object kind {kind}: {error:?}"));
                    }
                    *done = true;
                }
            }
        }
        if arena.over_budget() {
            break;
        }
    }
    let outcome = report("objects of every kind", count, &mut arena);
    for slot in held {
        release(slot);
    }
    outcome?;
    arena.finish()
}

/// Starts one-call stubs until the budget is gone; `call` makes each block.
fn blocked_crowd(
    arena: &mut Arena,
    call_for: impl Fn(usize) -> Call,
    grants: &[(Slot, Slot, Rights)],
    limit: usize,
) -> Result<Vec<Stub>, alloc::string::String> {
    let mut stubs = Vec::new();
    while stubs.len() < limit {
        match start_one_call(arena.quota(), call_for(stubs.len()), grants) {
            Ok(stub) => {
                stubs.push(stub);
                arena.credit_own_slots(1);
            }
            Err(_) => break,
        }
        if stubs.len().is_multiple_of(64) && arena.over_budget() {
            break;
        }
    }
    Ok(stubs)
}

/// Checks every stub of a crowd blocks, then ends (after `release` wakes them) with `expected`.
fn crowd_blocks_then_ends(
    what: &str,
    stubs: Vec<Stub>,
    release_them: impl FnOnce(),
    expected: u64,
) -> Outcome {
    let blocked = !stubs.is_empty()
        && stubs
            .iter()
            .all(|stub| stub.wait_for(EnvironmentState::Blocked, 2 * SECOND));
    release_them();
    let mut wrong = None;
    for stub in &stubs {
        match stub.wait_ended(2 * SECOND) {
            Some((EnvironmentState::Exited, status, _)) if status == expected => {}
            other => wrong = wrong.or(Some(other)),
        }
    }
    let count = stubs.len();
    for stub in stubs {
        stub.delete();
    }
    ensure!(count > 0, "{what}: no waiter could be started");
    ensure!(blocked, "{what}: the waiters never blocked");
    ensure!(
        wrong.is_none(),
        "{what}: a waiter ended as {wrong:?}, expected exit {expected}"
    );
    Ok(())
}

/// Callers queued on one endpoint and receivers on another, as many as the budget pays for;
/// then both endpoints deleted (every waiter wakes with `PeerGone`).
pub fn long_ipc_wait_queues() -> Outcome {
    let mut arena = Arena::new(BUDGET)?;
    let callers = slot()?;
    let receivers = slot()?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: callers,
        }),
    )?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: receivers,
        }),
    )?;
    let call_it = |_| Call::IpcCall {
        endpoint: Slot(0),
        word0: 1,
        word1: 2,
        word2: 3,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    };
    let receive_it = |_| Call::IpcReceive {
        endpoint: Slot(0),
        receive: OptionalSlot(Some(Slot(1))),
        timeout: 0,
    };
    // About half the budget for each queue.
    let calling = blocked_crowd(
        &mut arena,
        call_it,
        &[(callers, Slot(0), Rights::all())],
        HALF_CROWD,
    )?;
    let receiving = blocked_crowd(
        &mut arena,
        receive_it,
        &[(receivers, Slot(0), Rights::all())],
        usize::MAX,
    )?;
    report(
        "IPC waiters",
        (calling.len() + receiving.len()) as u64,
        &mut arena,
    )?;
    let count = calling.len();
    let (first, second) = (callers, receivers);
    crowd_blocks_then_ends(
        "callers",
        calling,
        || {
            let _ = call(Call::CapabilityRevoke { slot: first });
            release(first);
        },
        KernelError::PeerGone.code(),
    )?;
    crowd_blocks_then_ends(
        "receivers",
        receiving,
        || {
            let _ = call(Call::CapabilityRevoke { slot: second });
            release(second);
        },
        KernelError::PeerGone.code(),
    )?;
    println!("attack: {count} callers queued on one endpoint");
    arena.finish()
}

/// Waiters on one notification, and futex waiters each on its own word, as many as the budget
/// pays for; then woken.
pub fn many_notification_and_futex_waiters() -> Outcome {
    let mut arena = Arena::new(BUDGET)?;
    let notification = slot()?;
    step(
        "notification",
        call(Call::NotificationCreate {
            quota: arena.quota(),
            destination: notification,
        }),
    )?;
    let (word_frame, words_top) = stack(arena.quota(), 4)?;
    let words_base = words_top - 4 * 4096;
    let waiting = blocked_crowd(
        &mut arena,
        |_| Call::NotificationWait {
            notification: Slot(0),
            timeout: 0,
        },
        &[(notification, Slot(0), Rights::all())],
        HALF_CROWD,
    )?;
    let futex_waiting = blocked_crowd(
        &mut arena,
        |index| Call::FutexWait {
            address: UserAddress(words_base + 4 * index as u64),
            expected: 0,
            timeout: 0,
            bitset: libos::abi::FUTEX_MATCH_ANY,
        },
        &[],
        usize::MAX,
    )?;
    report(
        "notification and futex waiters",
        (waiting.len() + futex_waiting.len()) as u64,
        &mut arena,
    )?;
    crowd_blocks_then_ends(
        "notification waiters",
        waiting,
        || {
            let _ = call(Call::CapabilityRevoke { slot: notification });
            release(notification);
        },
        KernelError::PeerGone.code(),
    )?;
    let futex_count = futex_waiting.len();
    // Every waiter is moved onto the first word with `FutexRequeue`, then woken there in
    // batches no larger than the kernel's limit, however large the count asked for.
    let word = |index: usize| UserAddress(words_base + 4 * index as u64);
    let (mut moved, mut woken, mut largest_batch) = (0, 0, 0);
    crowd_blocks_then_ends(
        "futex waiters",
        futex_waiting,
        || {
            for index in 1..futex_count {
                moved += call(Call::FutexRequeue {
                    address: word(index),
                    count: 0,
                    target: word(0),
                    requeue: u64::MAX,
                    expected: u64::MAX,
                })
                .map_or(0, |words| words[1]);
            }
            while let Ok([batch, ..]) = call(Call::FutexWake {
                address: word(0),
                count: u64::MAX,
                mask: libos::abi::FUTEX_MATCH_ANY,
            }) {
                if batch == 0 {
                    break;
                }
                woken += batch;
                largest_batch = largest_batch.max(batch);
            }
        },
        0,
    )?;
    ensure!(
        moved + 1 == futex_count as u64 && woken == futex_count as u64,
        "futex waiters: {futex_count} waiting, {moved} moved, {woken} woken"
    );
    ensure!(
        largest_batch <= libos::abi::FUTEX_BATCH_LIMIT,
        "one FutexWake woke {largest_batch}, above the limit"
    );
    release(word_frame);
    arena.finish()
}
