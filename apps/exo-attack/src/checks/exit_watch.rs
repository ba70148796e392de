//! A child trying to hide its exit from its parent: it replaces or removes the exit watcher on
//! itself with the environment capability `spawn` gave it, then exits. The parent's watcher must
//! still fire.
//!
//! The watcher call is `EnvironmentWatch` (READ, several watchers, a badged notification signals
//! its badge, no call removes a watcher) where the kernel has it, `EnvironmentSetExitNotification`
//! (CONTROL, one replaceable watcher) before; [`watch`] finds whichever the ABI table has by name,
//! so this program builds against either. Both take `environment, notification, bits`.

use alloc::format;

use libos::abi::{Call, CallNumber, EnvironmentState, KernelError, RawCall, Rights, Slot, initial};
use libos::kernel::{call, call_raw, clock_nanoseconds, exit, yield_now};
use libos::process::{Ending, spawn};

use crate::arena::Arena;
use crate::ensure;
use crate::support::{MILLISECOND, Outcome, SECOND, release, slot, step};

/// Where the child finds its go notification.
const CHILD_GO: Slot = Slot(8);
/// The status the child exits with.
const CHILD_STATUS: u64 = 42;
/// The bits of the parent's own watcher.
const WATCHER_BITS: u64 = 2;

/// The watcher call's number: `EnvironmentWatch`, or the call it replaced.
fn watch_number() -> Option<u64> {
    ["EnvironmentWatch", "EnvironmentSetExitNotification"]
        .iter()
        .find_map(|name| CallNumber::ALL.iter().find(|number| number.name() == *name))
        .map(|&number| number as u64)
}

/// Installs `notification` (signalled with `bits`, or its badge) as a watcher of `environment`'s
/// end: the one place that makes the watcher call (also used by the child's attack on itself and
/// by the stale-reference check).
pub fn watch(environment: Slot, notification: Slot, bits: u64) -> Result<[u64; 6], KernelError> {
    let number = watch_number().ok_or(KernelError::UnknownCall)?;
    let result = call_raw(&RawCall {
        number,
        arguments: [
            u64::from(environment.0),
            u64::from(notification.0),
            bits,
            0,
            0,
            0,
        ],
    });
    match KernelError::from_code(result.status) {
        None if result.status == 0 => Ok(result.words),
        error => Err(error.unwrap_or(KernelError::InvalidArgument)),
    }
}

/// [`watch`], as a step of a check.
fn install_watcher(environment: Slot, notification: Slot, bits: u64) -> Outcome {
    step("install a watcher", watch(environment, notification, bits)).map(|_| ())
}

/// The child: tries every way it has to silence watchers on itself, then exits 42. With `late`
/// it attacks at once and exits after a while; otherwise it waits for its parent's go first.
pub fn hide_exit_child(late: bool) -> i32 {
    if !late {
        let _ = call(Call::NotificationWait {
            notification: CHILD_GO,
            timeout: 5 * SECOND,
        });
    }
    let decoy = Slot(9);
    let _ = call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: decoy,
    });
    // Replace the watcher with one of our own, then with bits 0, then with our own again.
    for bits in [1, 0, u64::MAX] {
        let _ = watch(initial::SELF_ENVIRONMENT, decoy, bits);
    }
    // Delete the notification we named, so a replaced watcher points at nothing.
    let _ = call(Call::CapabilityDelete { slot: decoy });
    if late {
        let deadline = clock_nanoseconds() + 300 * MILLISECOND;
        while clock_nanoseconds() < deadline {
            yield_now();
        }
    }
    exit(CHILD_STATUS)
}

/// The parent installs its own watcher on a child that then tries to remove it: it must fire.
pub fn child_cannot_silence_parent_watcher() -> Outcome {
    // Spawning and reaping once first: the LibOS subscribes to child events with the process
    // server on first use (a page of ours for the process's life), which is not the attack's.
    warm_up()?;
    let arena = Arena::new(16)?;
    let go = slot()?;
    let watcher = slot()?;
    step(
        "go",
        call(Call::NotificationCreate {
            quota: arena.quota(),
            destination: go,
        }),
    )?;
    step(
        "watcher",
        call(Call::NotificationCreate {
            quota: arena.quota(),
            destination: watcher,
        }),
    )?;
    let child = spawn("/bin/exo-attack", "exo-attack hide-exit", &[(go, CHILD_GO)])
        .map_err(|error| format!("spawn: {error:?}"))?;
    let outcome = (|| {
        install_watcher(child.environment(), watcher, WATCHER_BITS)?;
        step(
            "go",
            call(Call::NotificationSignal {
                notification: go,
                bits: 1,
            }),
        )?;
        let fired = call(Call::NotificationWait {
            notification: watcher,
            timeout: 3 * SECOND,
        });
        let status = call(Call::EnvironmentStatus {
            environment: child.environment(),
        });
        ensure!(
            fired.is_ok_and(|words| words[0] & WATCHER_BITS != 0),
            "the parent's watcher did not fire ({fired:?}); the child's status: {status:?}"
        );
        ensure!(
            status.is_ok_and(
                |words| words[0] == EnvironmentState::Exited as u64 && words[1] == CHILD_STATUS
            ),
            "the child's status: {status:?}"
        );
        Ok(())
    })();
    child.reap();
    release(go);
    release(watcher);
    outcome?;
    arena.finish_quota_only()
}

/// Spawns a child that exits at once, waits for it and reaps it, so that what the LibOS sets up
/// on its first child exists before an attack's budget is counted.
fn warm_up() -> Outcome {
    let child = spawn("/bin/exo-attack", "exo-attack hide-exit-late", &[])
        .map_err(|error| format!("warm-up spawn: {error:?}"))?;
    let _ = child.wait(5 * SECOND);
    child.reap();
    Ok(())
}

/// `spawn`'s own watcher (what `init` waits on) must fire although the child attacks it.
pub fn spawned_child_exit_reaches_parent() -> Outcome {
    let before = crate::arena::read(initial::MEMORY_QUOTA)?;
    let child = spawn("/bin/exo-attack", "exo-attack hide-exit-late", &[])
        .map_err(|error| format!("spawn: {error:?}"))?;
    let ending = child.wait(3 * SECOND);
    child.reap();
    ensure!(
        ending == Ok(Ending::Exited(CHILD_STATUS)),
        "waiting for the child returned {ending:?}"
    );
    let mut after = before;
    crate::support::wait_until(3 * SECOND, || {
        after = crate::arena::read(initial::MEMORY_QUOTA).unwrap_or(after);
        after.remaining >= before.remaining
    });
    ensure!(
        after.remaining >= before.remaining,
        "{} pages of the child's never came back",
        before.remaining - after.remaining
    );
    Ok(())
}

/// Several watchers on one environment all fire: two badged capabilities to one notification
/// (each signals its badge) and an unbadged one to another (signals its bits); and watching needs
/// only READ.
pub fn several_watchers_fire_with_badges() -> Outcome {
    const FIRST_BADGE: u64 = 0x10;
    const SECOND_BADGE: u64 = 0x20;
    const PLAIN_BITS: u64 = 0x4;
    let arena = Arena::new(32)?;
    let shared = slot()?;
    let first = slot()?;
    let second = slot()?;
    let plain = slot()?;
    let reader = slot()?;
    let stub = step("environment", crate::stub::Stub::create(arena.quota(), 4))?;
    let outcome = (|| {
        step(
            "notification",
            call(Call::NotificationCreate {
                quota: arena.quota(),
                destination: shared,
            }),
        )?;
        step(
            "notification",
            call(Call::NotificationCreate {
                quota: arena.quota(),
                destination: plain,
            }),
        )?;
        for (destination, badge) in [(first, FIRST_BADGE), (second, SECOND_BADGE)] {
            step(
                "badge",
                call(Call::CapabilityMint {
                    source: shared,
                    destination,
                    rights: Rights::all(),
                    badge,
                }),
            )?;
        }
        step(
            "read-only environment capability",
            call(Call::CapabilityCopy {
                source: stub.environment,
                destination: reader,
                rights: Rights::READ,
            }),
        )?;
        step(
            "watch through a READ-only capability",
            watch(reader, first, 0),
        )?;
        step("second watcher", watch(stub.environment, second, 0))?;
        step("third watcher", watch(stub.environment, plain, PLAIN_BITS))?;
        stub.start(&crate::stub::one_call_registers(
            &Call::Exit { status: 7 }.encode(),
        ))?;
        ensure!(
            stub.wait_ended(2 * SECOND).is_some(),
            "the watched environment never ended"
        );
        let badges = call(Call::NotificationWait {
            notification: shared,
            timeout: SECOND,
        });
        let bits = call(Call::NotificationWait {
            notification: plain,
            timeout: SECOND,
        });
        ensure!(
            badges.is_ok_and(|words| words[0] == FIRST_BADGE | SECOND_BADGE),
            "the badged watchers signalled {badges:?}, expected {:#x}",
            FIRST_BADGE | SECOND_BADGE
        );
        ensure!(
            bits.is_ok_and(|words| words[0] == PLAIN_BITS),
            "the unbadged watcher signalled {bits:?}, expected {PLAIN_BITS:#x}"
        );
        Ok(())
    })();
    stub.delete();
    for slot in [reader, plain, second, first, shared] {
        release(slot);
    }
    outcome?;
    arena.finish_quota_only()
}
