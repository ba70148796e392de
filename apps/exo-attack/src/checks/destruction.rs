//! Cascades: deep chains of environments each holding the only capability to the next, deep
//! copy chains, wide derivation trees and deep quota chains, each destroyed by one call.

use alloc::format;
use alloc::vec::Vec;

use libos::abi::{Call, KernelError, PageCount, Rights, Slot, initial};
use libos::kernel::call;
use libos::memory::map;
use libos::println;
use libos::slots;

use crate::arena::Arena;
use crate::ensure;
use crate::raw::{maximum_call_ticks, ticks_to_milliseconds};
use crate::stub::Stub;
use crate::support::{Outcome, occupied, release, slot, step};
use crate::watchdog::timed_restartable;

/// The chain the issue asks for, if the attacker's quota can pay for it.
const CHAIN_TARGET: u64 = 100_000;
/// Pages one link costs: an environment with one slot (`1 + ⌈1 / 64⌉`).
const LINK_PAGES: u64 = 2;
/// Pages kept back from our quota for the rest of the program.
const KEEP_PAGES: u64 = 512;

/// Fails if one measured call took longer than the bound (and notes that it did, see
/// [`crate::raw::take_over_bound`]).
pub fn within_bound(what: &str, ticks: u64) -> crate::support::Outcome {
    println!("attack-metric {what}-cycles {ticks}");
    if ticks > maximum_call_ticks() {
        crate::raw::note_over_bound();
    }
    ensure!(
        ticks <= maximum_call_ticks(),
        "{what} kept the kernel busy {} ms in one call (bound {} ms)",
        ticks_to_milliseconds(ticks),
        crate::raw::MAXIMUM_CALL_MILLISECONDS
    );
    Ok(())
}

/// A chain of environments, each holding the only capability to the next, deleted at the head.
pub fn deep_environment_chain() -> Outcome {
    let available = crate::arena::read(initial::MEMORY_QUOTA)?.remaining;
    let budget = available
        .saturating_sub(KEEP_PAGES)
        .min(CHAIN_TARGET * LINK_PAGES);
    ensure!(
        budget >= CHAIN_TARGET.min(200) * LINK_PAGES,
        "only {available} pages to build a chain with"
    );
    let mut arena = Arena::new(budget)?;
    let mut head = slot()?;
    let mut next = slot()?;
    step(
        "first link",
        call(Call::EnvironmentCreate {
            quota: arena.quota(),
            address_space: initial::SELF_ADDRESS_SPACE,
            destination: head,
            slots: 1,
        }),
    )?;
    let mut length = 1u64;
    let mut stopped_by = None;
    while length < CHAIN_TARGET {
        if let Err(error) = call(Call::EnvironmentCreate {
            quota: arena.quota(),
            address_space: initial::SELF_ADDRESS_SPACE,
            destination: next,
            slots: 1,
        }) {
            stopped_by = Some(error);
            break;
        }
        // The new environment holds the only capability to the chain so far.
        step(
            "grant the chain",
            call(Call::EnvironmentGrant {
                environment: next,
                source: head,
                destination: Slot(0),
                rights: Rights::all(),
            }),
        )?;
        step("drop our copy", call(Call::CapabilityDelete { slot: head }))?;
        core::mem::swap(&mut head, &mut next);
        length += 1;
        if length.is_multiple_of(1024) && arena.over_budget() {
            break;
        }
    }
    ensure!(
        matches!(
            stopped_by,
            None | Some(KernelError::QuotaExhausted | KernelError::OutOfMemory)
        ),
        "building the chain stopped with {stopped_by:?}"
    );
    println!("attack: built a chain of {length} environments; deleting its head");
    let (result, ticks) = timed_restartable(Call::CapabilityDelete { slot: head });
    ensure!(
        result.status == 0,
        "deleting the head failed with {}",
        result.status
    );
    slots::free(head);
    slots::free(next);
    within_bound("environment-chain-delete", ticks)?;
    arena.finish()
}

/// Copies of copies of one capability, revoked at the root; then a mint chain deleted link by
/// link from the top (each deletion moving children up).
pub fn deep_copy_chain() -> Outcome {
    const DEPTH: usize = 2048;
    let mut arena = Arena::new(64)?;
    arena.credit_own_slots(DEPTH as u64 + 1);
    let root = slot()?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: root,
        }),
    )?;
    let mut chain: Vec<Slot> = Vec::with_capacity(DEPTH);
    let mut previous = root;
    for index in 0..DEPTH {
        let destination = slot()?;
        let result = if index == 0 {
            call(Call::CapabilityMint {
                source: previous,
                destination,
                rights: Rights::all(),
                badge: 7,
            })
        } else {
            call(Call::CapabilityCopy {
                source: previous,
                destination,
                rights: Rights::all(),
            })
        };
        step("copy of a copy", result)?;
        chain.push(destination);
        previous = destination;
    }
    let (result, ticks) = timed_restartable(Call::CapabilityRevoke { slot: root });
    ensure!(result.status == 0, "revoke failed with {}", result.status);
    let survivors = chain.iter().filter(|&&slot| occupied(slot)).count();
    for slot in chain {
        release(slot);
    }
    ensure!(
        survivors == 0,
        "{survivors} of {DEPTH} copies survived the revoke"
    );
    within_bound("copy-chain-revoke", ticks)?;
    release(root);
    arena.finish()
}

/// One frame copied into every slot of several environments and mapped many times, revoked at
/// once.
pub fn wide_derivation_tree() -> Outcome {
    const ENVIRONMENTS: usize = 4;
    const SLOTS: u64 = 4096;
    const MAPPINGS: u64 = 256;
    let mut arena = Arena::new(1024)?;
    arena.credit_own_slots(1 + ENVIRONMENTS as u64);
    let frame = slot()?;
    step(
        "frame",
        call(Call::FrameAllocate {
            quota: arena.quota(),
            destination: frame,
            pages: PageCount(1),
        }),
    )?;
    // The mappings go into an address space of the attacker's, so their records are its charge.
    let space = slot()?;
    step(
        "address space",
        call(Call::AddressSpaceCreate {
            quota: arena.quota(),
            destination: space,
        }),
    )?;
    arena.credit_own_slots(1);
    // As many of the environments as the budget pays for (a kernel may charge more per slot).
    let mut stubs = Vec::new();
    for _ in 0..ENVIRONMENTS {
        match Stub::create(arena.quota(), SLOTS) {
            Ok(stub) => stubs.push(stub),
            Err(KernelError::QuotaExhausted | KernelError::OutOfMemory) if !stubs.is_empty() => {
                break;
            }
            Err(error) => return Err(format!("environment: {error:?}")),
        }
    }
    let mut copies = 0;
    'fill: for stub in &stubs {
        for index in 0..SLOTS {
            if call(Call::EnvironmentGrant {
                environment: stub.environment,
                source: frame,
                destination: Slot(index as u32),
                rights: Rights::all(),
            })
            .is_err()
            {
                break 'fill;
            }
            copies += 1;
            if copies % 1024 == 0 && arena.over_budget() {
                break 'fill;
            }
        }
    }
    let base = 0x0000_0100_0000_0000;
    for page in 0..MAPPINGS {
        step(
            "map the frame again",
            map(space, frame, base + page * 4096, 0, 1, Rights::READ),
        )?;
    }
    arena.sample();
    let (result, ticks) = timed_restartable(Call::CapabilityRevoke { slot: frame });
    ensure!(result.status == 0, "revoke failed with {}", result.status);
    // Our own mappings stay (they belong to our capability); the copies' capabilities are gone.
    let (result, delete_ticks) = timed_restartable(Call::CapabilityDelete { slot: frame });
    ensure!(result.status == 0, "delete failed with {}", result.status);
    slots::free(frame);
    let still_mapped = libos::memory::unmap(space, base, 1);
    release(space);
    for stub in stubs {
        stub.delete();
    }
    ensure!(
        still_mapped == Err(KernelError::NotMapped),
        "a page stayed mapped after its frame's last capability went: {still_mapped:?}"
    );
    println!("attack: revoked a tree of {copies} copies and {MAPPINGS} mappings of one frame");
    within_bound("wide-tree-revoke", ticks)?;
    within_bound("widely-mapped-frame-delete", delete_ticks)?;
    arena.finish()
}

/// Quotas split from quotas split from quotas, revoked at the top.
pub fn deep_quota_chain() -> Outcome {
    const DEPTH: u64 = 1500;
    let mut arena = Arena::new(DEPTH + 1)?;
    arena.credit_own_slots(DEPTH + 1);
    let mut chain = Vec::new();
    let mut previous = arena.quota();
    for index in 0..DEPTH {
        let destination = slot()?;
        step(
            "split a quota off the last",
            crate::arena::split_quota(previous, destination, DEPTH - index),
        )?;
        chain.push(destination);
        previous = destination;
    }
    // Something to pay for at the bottom.
    let frame = slot()?;
    step(
        "frame at the bottom",
        call(Call::FrameAllocate {
            quota: previous,
            destination: frame,
            pages: PageCount(1),
        }),
    )?;
    let (result, ticks) = timed_restartable(Call::CapabilityRevoke {
        slot: arena.quota(),
    });
    ensure!(result.status == 0, "revoke failed with {}", result.status);
    let survivors =
        chain.iter().filter(|&&slot| occupied(slot)).count() + usize::from(occupied(frame));
    for slot in chain {
        release(slot);
    }
    release(frame);
    ensure!(
        survivors == 0,
        "{survivors} capabilities survived revoking the top quota"
    );
    within_bound("quota-chain-revoke", ticks)?;
    arena.finish()
}
