//! Channels: the holders of one end learn that every capability to the other end is gone —
//! deleted, or with its holder killed — through a notification, without any authority over the
//! other holder's environment.

use alloc::format;

use libos::abi::{Call, KernelError, ObjectKind, Slot, initial};
use libos::kernel::{call, clock_nanoseconds, exit, yield_now};
use libos::process::spawn;

use crate::ensure;
use crate::support::{Outcome, release, slot, step};

/// Where the crashing child finds its end of the channel.
pub const CHILD_END: Slot = Slot(8);
/// How long the child holds its end before it crashes.
const CHILD_LIFETIME_NANOSECONDS: u64 = 30_000_000;

/// The child: holds its end a while, then dies of a page fault (it never deletes the end).
pub fn run_crashing_holder() -> ! {
    let start = clock_nanoseconds();
    while clock_nanoseconds() - start < CHILD_LIFETIME_NANOSECONDS {
        yield_now();
    }
    // SAFETY: not sound on purpose: the kernel kills this program with a page fault.
    let value = unsafe { core::ptr::read_volatile(0x10 as *const u64) };
    exit(value)
}

/// A new channel's two ends and a notification, all from our quota.
fn channel_and_notification() -> Result<(Slot, Slot, Slot), alloc::string::String> {
    let (first, second, notification) = (slot()?, slot()?, slot()?);
    step(
        "create channel",
        call(Call::ChannelCreate {
            quota: initial::MEMORY_QUOTA,
            first,
            second,
        }),
    )?;
    step(
        "create notification",
        call(Call::NotificationCreate {
            quota: initial::MEMORY_QUOTA,
            destination: notification,
        }),
    )?;
    Ok((first, second, notification))
}

/// `CapabilityIdentify`'s detail word for a channel end: whether its peer still lives.
fn peer_alive(end: Slot) -> Result<bool, alloc::string::String> {
    let words = step("identify end", call(Call::CapabilityIdentify { slot: end }))?;
    ensure!(
        words[0] == ObjectKind::ChannelEnd as u64,
        "identify said kind {}",
        words[0]
    );
    Ok(words[3] == 1)
}

pub fn reader_learns_that_a_crashed_writer_is_gone() -> Outcome {
    let (writer, reader, notification) = channel_and_notification()?;
    let child = spawn(
        "/bin/exo-selftest",
        "exo-selftest crashing-channel-holder",
        &[(writer, CHILD_END)],
    )
    .map_err(|error| format!("spawn: {error:?}"))?;
    // The child holds the only capability to the writing end now.
    release(writer);
    step(
        "watch the reading end",
        call(Call::ChannelWatch {
            end: reader,
            notification,
            bits: 0b100,
        }),
    )?;
    ensure!(
        peer_alive(reader)?,
        "the writer looked gone while its holder lived"
    );
    // The watch needs no authority over the child: we only wait on our notification.
    let woken = call(Call::NotificationWait {
        notification,
        timeout: 3_000_000_000,
    });
    let alive_after = peer_alive(reader)?;
    child.reap();
    release(reader);
    release(notification);
    ensure!(
        woken == Ok([0b100, 0, 0, 0, 0, 0]),
        "waiting for the crashed writer gave {woken:?}"
    );
    ensure!(!alive_after, "identify still says the writer lives");
    Ok(())
}

pub fn a_deleted_end_is_seen_at_once_and_by_late_watchers() -> Outcome {
    let (first, second, notification) = channel_and_notification()?;
    step(
        "watch",
        call(Call::ChannelWatch {
            end: second,
            notification,
            bits: 1,
        }),
    )?;
    let before = call(Call::NotificationPoll { notification });
    ensure!(
        before == Ok([0; 6]),
        "signalled before anything died: {before:?}"
    );
    // A copy keeps the end alive; deleting the original alone says nothing.
    let copy = slot()?;
    step(
        "copy first end",
        call(Call::CapabilityCopy {
            source: first,
            destination: copy,
            rights: libos::abi::Rights::all(),
        }),
    )?;
    release(first);
    let still = call(Call::NotificationPoll { notification });
    ensure!(
        still == Ok([0; 6]),
        "signalled while a copy lived: {still:?}"
    );
    release(copy);
    let after = call(Call::NotificationPoll { notification });
    ensure!(
        after == Ok([1, 0, 0, 0, 0, 0]),
        "deleting the last capability of the first end gave {after:?}"
    );
    // Watching an end whose peer is already gone signals at once.
    step(
        "late watch",
        call(Call::ChannelWatch {
            end: second,
            notification,
            bits: 2,
        }),
    )?;
    let late = call(Call::NotificationPoll { notification });
    ensure!(
        late == Ok([2, 0, 0, 0, 0, 0]),
        "a late watcher got {late:?}"
    );
    let wrong = call(Call::ChannelWatch {
        end: notification,
        notification,
        bits: 1,
    });
    ensure!(
        wrong == Err(KernelError::WrongKind),
        "watching a notification as a channel end gave {wrong:?}"
    );
    release(second);
    release(notification);
    Ok(())
}

/// The quota's remaining pages (`CapabilityIdentify`'s detail word).
fn remaining() -> Result<u64, alloc::string::String> {
    Ok(step(
        "identify quota",
        call(Call::CapabilityIdentify {
            slot: initial::MEMORY_QUOTA,
        }),
    )?[3])
}

fn derive(source: Slot, keeper: u64) -> Result<Slot, alloc::string::String> {
    let destination = slot()?;
    step(
        "derive",
        call(Call::ChannelDerive {
            source,
            destination,
            keeper,
        }),
    )?;
    Ok(destination)
}

/// An end's keeper never counts as a holder, yet derives ends that do: deleting the last
/// counting object tells the other end's watchers even while the keeper lives, a derived object
/// makes the end alive again, several counting objects keep it alive until the last goes, and
/// the channel's page comes back once nothing names it.
pub fn a_keeper_does_not_count_and_derived_ends_revive() -> Outcome {
    let before = remaining()?;
    let (reader, writer, notification) = channel_and_notification()?;
    let keeper = derive(writer, 1)?;
    step(
        "watch the reader",
        call(Call::ChannelWatch {
            end: reader,
            notification,
            bits: 1,
        }),
    )?;
    release(writer);
    let gone = call(Call::NotificationPoll { notification });
    ensure!(
        gone == Ok([1, 0, 0, 0, 0, 0]),
        "deleting the only counting writer while its keeper lives gave {gone:?}"
    );
    ensure!(!peer_alive(reader)?, "the keeper counted as a writer");
    let revived = derive(keeper, 0)?;
    ensure!(
        peer_alive(reader)?,
        "a writer derived from the keeper did not revive the end"
    );
    step(
        "watch again",
        call(Call::ChannelWatch {
            end: reader,
            notification,
            bits: 2,
        }),
    )?;
    let another = derive(revived, 0)?;
    release(revived);
    let quiet = call(Call::NotificationPoll { notification });
    ensure!(
        quiet == Ok([0; 6]) && peer_alive(reader)?,
        "signalled while a second derived writer lived: {quiet:?}"
    );
    release(another);
    let last = call(Call::NotificationPoll { notification });
    ensure!(
        last == Ok([2, 0, 0, 0, 0, 0]) && !peer_alive(reader)?,
        "deleting the last derived writer gave {last:?}"
    );
    // The keeper sees its own peer like any end.
    ensure!(peer_alive(keeper)?, "the keeper does not see the reader");
    release(reader);
    ensure!(!peer_alive(keeper)?, "the keeper still sees a reader");
    release(keeper);
    release(notification);
    let after = remaining()?;
    ensure!(
        after == before,
        "the channel's and notification's pages did not come back: {before} before, {after} after"
    );
    Ok(())
}
