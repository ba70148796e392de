//! Capability cycles: an environment holding the only capability to itself, and objects that
//! outlive the quota that paid for them. Revoking the quota must destroy them and return every
//! page; a spinning one must stop getting time.

use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, Rights, Slot, initial};
use libos::kernel::call;
use libos::slots;

use crate::arena::Arena;
use crate::ensure;
use crate::raw::spin_entry;
use crate::stub::{Stub, one_call_registers};
use crate::support::{MILLISECOND, Outcome, SECOND, occupied, release, slot, step, wait_until};

/// What the spinning environment counts.
static SPINS: AtomicU64 = AtomicU64::new(0);

/// Grants an environment the only capability to itself, then drops ours.
fn self_owned(arena: &Arena, spinning: bool) -> Result<(), alloc::string::String> {
    let stub = step("environment", Stub::create(arena.quota(), 4))?;
    stub.grant(stub.environment, Slot(0), Rights::all())?;
    if spinning {
        let mut registers = one_call_registers(&Call::Yield {}.encode());
        registers.rip = spin_entry();
        registers.rdi = SPINS.as_ptr() as u64;
        stub.start(&registers)?;
        ensure!(
            wait_until(SECOND, || SPINS.load(Ordering::Relaxed) > 0),
            "the spinner never ran"
        );
    }
    stub.delete();
    Ok(())
}

/// `EnvironmentGrant(X, X)`, our capability deleted, the quota revoked: X must be destroyed and
/// its pages come back.
pub fn self_granted_environment_is_reclaimed() -> Outcome {
    let arena = Arena::new(64)?;
    self_owned(&arena, false)?;
    arena.finish()
}

/// The same with X spinning: after the revoke it must stop running.
pub fn spinning_self_granted_environment_stops() -> Outcome {
    let arena = Arena::new(64)?;
    SPINS.store(0, Ordering::Relaxed);
    self_owned(&arena, true)?;
    let reclaimed = arena.finish();
    // It must stop getting time: the counter stays still over a quarter second.
    let still = wait_until(2 * SECOND, || {
        let before = SPINS.load(Ordering::Relaxed);
        let deadline = libos::kernel::clock_nanoseconds() + 250 * MILLISECOND;
        while libos::kernel::clock_nanoseconds() < deadline {
            libos::kernel::yield_now();
        }
        SPINS.load(Ordering::Relaxed) == before
    });
    reclaimed?;
    ensure!(
        still,
        "the self-owned spinner still runs after its quota was revoked"
    );
    Ok(())
}

/// Endpoints, notifications, an environment and an address space made from a quota, with our
/// capabilities to them kept: revoking the quota must destroy them all and return every page.
pub fn quota_revoke_reclaims_objects() -> Outcome {
    let arena = Arena::new(512)?;
    let quota = arena.quota();
    let mut held = alloc::vec::Vec::new();
    for kind in 0..4 {
        let destination = slot()?;
        let result = match kind {
            0 => call(Call::EndpointCreate { quota, destination }),
            1 => call(Call::NotificationCreate { quota, destination }),
            2 => call(Call::EnvironmentCreate {
                quota,
                address_space: initial::SELF_ADDRESS_SPACE,
                destination,
                slots: 64,
            }),
            _ => call(Call::AddressSpaceCreate { quota, destination }),
        };
        step("create", result)?;
        held.push(destination);
    }
    let _ = call(Call::CapabilityRevoke { slot: quota });
    let survivors = held.iter().filter(|&&slot| occupied(slot)).count();
    for slot in held {
        // Deleting what survived would hide the leak from `finish`: free the slot only once
        // its capability is gone, and otherwise keep it.
        if occupied(slot) {
            release(slot);
        } else {
            slots::free(slot);
        }
    }
    ensure!(
        survivors == 0,
        "{survivors} of 4 objects made from the quota survived its revoke"
    );
    arena.finish()
}

/// `ChannelDerive` used as an attacker would: without GRANT, on a wrong kind, with a bad
/// `keeper` word, into an occupied slot, a second keeper, and hundreds of derived end objects —
/// every refusal an error, and revoking the quota that paid for the channel removes every
/// derived object and keeper (wherever they are) and returns its page.
pub fn channel_derive_refused_and_reclaimed() -> Outcome {
    let arena = Arena::new(64)?;
    let quota = arena.quota();
    let (first, second, weak, other) = (slot()?, slot()?, slot()?, slot()?);
    step(
        "create channel",
        call(Call::ChannelCreate {
            quota,
            first,
            second,
        }),
    )?;
    step(
        "copy without GRANT",
        call(Call::CapabilityCopy {
            source: first,
            destination: weak,
            rights: Rights::READ,
        }),
    )?;
    let without_grant = call(Call::ChannelDerive {
        source: weak,
        destination: other,
        keeper: 0,
    });
    let wrong_kind = call(Call::ChannelDerive {
        source: quota,
        destination: other,
        keeper: 0,
    });
    let bad_word = call(Call::ChannelDerive {
        source: first,
        destination: other,
        keeper: 2,
    });
    let occupied_destination = call(Call::ChannelDerive {
        source: first,
        destination: second,
        keeper: 1,
    });
    step(
        "keeper",
        call(Call::ChannelDerive {
            source: first,
            destination: other,
            keeper: 1,
        }),
    )?;
    let keeper = other;
    let spare = slot()?;
    let second_keeper = call(Call::ChannelDerive {
        source: keeper,
        destination: spare,
        keeper: 1,
    });
    slots::free(spare);
    let mut held = alloc::vec![first, second, weak, keeper];
    for _ in 0..200 {
        let destination = slot()?;
        step(
            "derive from the keeper",
            call(Call::ChannelDerive {
                source: keeper,
                destination,
                keeper: 0,
            }),
        )?;
        held.push(destination);
    }
    let _ = call(Call::CapabilityRevoke { slot: quota });
    let survivors = held.iter().filter(|&&slot| occupied(slot)).count();
    for slot in held {
        if occupied(slot) {
            release(slot);
        } else {
            slots::free(slot);
        }
    }
    use libos::abi::KernelError;
    ensure!(
        without_grant == Err(KernelError::InsufficientRights),
        "derive without GRANT gave {without_grant:?}"
    );
    ensure!(
        wrong_kind == Err(KernelError::WrongKind),
        "derive from a quota gave {wrong_kind:?}"
    );
    ensure!(
        bad_word == Err(KernelError::InvalidArgument),
        "keeper word 2 gave {bad_word:?}"
    );
    ensure!(
        occupied_destination == Err(KernelError::SlotOccupied),
        "derive into an occupied slot gave {occupied_destination:?}"
    );
    ensure!(
        second_keeper == Err(KernelError::InvalidState),
        "a second keeper gave {second_keeper:?}"
    );
    ensure!(
        survivors == 0,
        "{survivors} channel capabilities survived the revoke of the quota that paid for them"
    );
    arena.finish()
}
