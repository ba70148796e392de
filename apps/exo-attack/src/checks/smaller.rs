//! Smaller holes: page 0, stale object references after an id is reused, IPC to a dead server,
//! receiving on a deleted endpoint, transfers and copies without GRANT, rights that grow.

use alloc::format;

use libos::abi::{
    Call, EnvironmentState, KernelError, MapOperation, MapOperationKind, OptionalSlot, PageCount,
    Rights, Slot, UserAddress, initial,
};
use libos::kernel::call;
use libos::memory::map;

use crate::arena::Arena;
use crate::ensure;
use crate::stub::{Stub, start_one_call};
use crate::support::{Outcome, SECOND, expect_error, release, slot, step};

/// Page 0 can be mapped neither by `Map` nor by a `MapBatch` entry, in our space or a fresh one.
pub fn page_zero_is_never_mapped() -> Outcome {
    let arena = Arena::new(300)?;
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
        "space",
        call(Call::AddressSpaceCreate {
            quota: arena.quota(),
            destination: space,
        }),
    )?;
    let outcome = (|| {
        for target in [initial::SELF_ADDRESS_SPACE, space] {
            let result = map(target, frame, 0, 0, 1, Rights::READ);
            if result.is_ok() {
                let _ = libos::memory::unmap(target, 0, 1);
                return Err(format!(
                    "Map at address 0 succeeded (space slot {})",
                    target.0
                ));
            }
            let operation = [MapOperation {
                kind: MapOperationKind::Map as u64,
                frame: u64::from(frame.0),
                virtual_address: 0,
                first_page: 0,
                page_count: 1,
                rights: u64::from(Rights::READ.bits()),
            }];
            // Refusing the whole batch is as good as refusing its entry.
            let batch = call(Call::MapBatch {
                address_space: target,
                operations: UserAddress(operation.as_ptr() as u64),
                count: 1,
            });
            if batch.is_ok_and(|words| words[0] != 0) {
                let _ = libos::memory::unmap(target, 0, 1);
                return Err(format!(
                    "a MapBatch entry mapped address 0 (space slot {})",
                    target.0
                ));
            }
        }
        Ok(())
    })();
    release(frame);
    release(space);
    outcome?;
    arena.finish()
}

/// An environment's exit notification is deleted and a new notification created (likely with
/// the old one's id): the environment's end must not signal the newcomer.
pub fn reused_id_is_not_reached_by_stale_reference() -> Outcome {
    let arena = Arena::new(32)?;
    let stub = step("environment", Stub::create(arena.quota(), 4))?;
    let old = slot()?;
    step(
        "notification",
        call(Call::NotificationCreate {
            quota: arena.quota(),
            destination: old,
        }),
    )?;
    step(
        "watch",
        crate::checks::exit_watch::watch(stub.environment, old, 1),
    )?;
    release(old);
    let new = slot()?;
    step(
        "notification",
        call(Call::NotificationCreate {
            quota: arena.quota(),
            destination: new,
        }),
    )?;
    stub.delete();
    let polled = call(Call::NotificationPoll { notification: new });
    release(new);
    ensure!(
        polled == Err(KernelError::WouldBlock) || polled == Ok([0; 6]),
        "the dead environment's end signalled a notification created after its watcher died: {polled:?}"
    );
    arena.finish()
}

/// We receive a call from a client, the client is destroyed and a new environment (likely with
/// the old one's id) blocks in a call elsewhere: our reply must not reach it.
pub fn reused_id_is_not_reached_by_stale_reply() -> Outcome {
    let arena = Arena::new(32)?;
    let endpoint = slot()?;
    let elsewhere = slot()?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: endpoint,
        }),
    )?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: elsewhere,
        }),
    )?;
    let caller = |through: Slot| {
        start_one_call(
            arena.quota(),
            Call::IpcCall {
                endpoint: Slot(0),
                word0: 1,
                word1: 2,
                word2: 3,
                transfer: OptionalSlot(None),
                receive: OptionalSlot(None),
            },
            &[(through, Slot(0), Rights::all())],
        )
    };
    let client = caller(endpoint)?;
    let received = call(Call::IpcReceive {
        endpoint,
        receive: OptionalSlot(None),
        timeout: 2 * SECOND,
    });
    client.delete();
    let newcomer = caller(elsewhere)?;
    let blocked = newcomer.wait_for(EnvironmentState::Blocked, 2 * SECOND);
    let reply = call(Call::IpcReply {
        word0: 0xdead,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(None),
    });
    let still_blocked = newcomer
        .wait_for(EnvironmentState::Blocked, 100 * crate::support::MILLISECOND)
        && newcomer
            .status()
            .is_some_and(|(state, _, _)| state == EnvironmentState::Blocked);
    newcomer.delete();
    release(endpoint);
    release(elsewhere);
    step("receive the client's call", received)?;
    ensure!(blocked, "the newcomer never blocked in its call");
    ensure!(reply.is_err(), "a reply to a destroyed caller succeeded");
    ensure!(
        still_blocked,
        "the reply to a destroyed caller reached the newcomer"
    );
    arena.finish()
}

/// A server receives our call and exits without replying: the call returns `PeerGone`.
pub fn ipc_call_to_dying_server() -> Outcome {
    let arena = Arena::new(32)?;
    let endpoint = slot()?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: endpoint,
        }),
    )?;
    let server = start_one_call(
        arena.quota(),
        Call::IpcReceive {
            endpoint: Slot(0),
            receive: OptionalSlot(None),
            timeout: 0,
        },
        &[(endpoint, Slot(0), Rights::all())],
    )?;
    let outcome = (|| {
        ensure!(
            server.wait_for(EnvironmentState::Blocked, 2 * SECOND),
            "the server never blocked in IpcReceive"
        );
        let result = call(Call::IpcCall {
            endpoint,
            word0: 1,
            word1: 2,
            word2: 3,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        });
        expect_error(
            "call to a server that exits without replying",
            result,
            KernelError::PeerGone,
        )
    })();
    server.delete();
    release(endpoint);
    outcome?;
    // The endpoint is gone: calling it now fails at once.
    expect_error(
        "call on a deleted endpoint",
        call(Call::IpcCall {
            endpoint,
            word0: 0,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        }),
        KernelError::EmptySlot,
    )?;
    arena.finish()
}

/// A receiver blocked on an endpoint that is destroyed wakes with `PeerGone`.
pub fn receive_on_deleted_endpoint() -> Outcome {
    let arena = Arena::new(32)?;
    let endpoint = slot()?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: endpoint,
        }),
    )?;
    let receiver = start_one_call(
        arena.quota(),
        Call::IpcReceive {
            endpoint: Slot(0),
            receive: OptionalSlot(Some(Slot(1))),
            timeout: 0,
        },
        &[(endpoint, Slot(0), Rights::all())],
    )?;
    let blocked = receiver.wait_for(EnvironmentState::Blocked, 2 * SECOND);
    let _ = call(Call::CapabilityRevoke { slot: endpoint });
    release(endpoint);
    let ended = receiver.wait_ended(2 * SECOND);
    receiver.delete();
    ensure!(blocked, "the receiver never blocked");
    ensure!(
        matches!(ended, Some((EnvironmentState::Exited, status, _)) if status == KernelError::PeerGone.code()),
        "the receiver on a destroyed endpoint ended as {ended:?}"
    );
    arena.finish()
}

/// A capability without GRANT cannot be sent in a message, copied, minted or granted; an
/// endpoint capability without GRANT cannot carry capabilities.
pub fn transfer_without_grant_is_refused() -> Outcome {
    let arena = Arena::new(32)?;
    let endpoint = slot()?;
    let frame = slot()?;
    let weak_frame = slot()?;
    let weak_endpoint = slot()?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: arena.quota(),
            destination: endpoint,
        }),
    )?;
    step(
        "frame",
        call(Call::FrameAllocate {
            quota: arena.quota(),
            destination: frame,
            pages: PageCount(1),
        }),
    )?;
    step(
        "weak frame",
        call(Call::CapabilityCopy {
            source: frame,
            destination: weak_frame,
            rights: Rights::READ | Rights::MAP,
        }),
    )?;
    step(
        "weak endpoint",
        call(Call::CapabilityCopy {
            source: endpoint,
            destination: weak_endpoint,
            rights: Rights::SEND | Rights::RECEIVE,
        }),
    )?;
    // A server that would take whatever arrives (and gives up after two seconds).
    let server = start_one_call(
        arena.quota(),
        Call::IpcReceive {
            endpoint: Slot(0),
            receive: OptionalSlot(Some(Slot(1))),
            timeout: 2 * SECOND,
        },
        &[(endpoint, Slot(0), Rights::all())],
    )?;
    let outcome = (|| {
        ensure!(
            server.wait_for(EnvironmentState::Blocked, 2 * SECOND),
            "server never blocked"
        );
        let send = |through: Slot, transfer: Slot| {
            call(Call::IpcCall {
                endpoint: through,
                word0: 0,
                word1: 0,
                word2: 0,
                transfer: OptionalSlot(Some(transfer)),
                receive: OptionalSlot(None),
            })
        };
        expect_error(
            "sending a capability without GRANT",
            send(endpoint, weak_frame),
            KernelError::InsufficientRights,
        )?;
        expect_error(
            "sending through an endpoint without GRANT",
            send(weak_endpoint, frame),
            KernelError::InsufficientRights,
        )?;
        let spare = slot()?;
        let copied = call(Call::CapabilityCopy {
            source: weak_frame,
            destination: spare,
            rights: Rights::READ,
        });
        let minted = call(Call::CapabilityMint {
            source: weak_frame,
            destination: spare,
            rights: Rights::READ,
            badge: 0,
        });
        let granted = call(Call::EnvironmentGrant {
            environment: server.environment,
            source: weak_frame,
            destination: Slot(2),
            rights: Rights::READ,
        });
        release(spare);
        expect_error(
            "copying without GRANT",
            copied,
            KernelError::InsufficientRights,
        )?;
        expect_error(
            "minting without GRANT",
            minted,
            KernelError::InsufficientRights,
        )?;
        expect_error(
            "granting without GRANT",
            granted,
            KernelError::InsufficientRights,
        )?;
        Ok(())
    })();
    let ended = server.wait_ended(3 * SECOND);
    server.delete();
    for slot in [weak_endpoint, weak_frame, frame, endpoint] {
        release(slot);
    }
    outcome?;
    ensure!(
        matches!(ended, Some((EnvironmentState::Exited, status, _)) if status == KernelError::TimedOut.code()),
        "the server received something: it ended as {ended:?}"
    );
    arena.finish()
}

/// Rights never grow: a read-only copy copied with every right stays read-only, cannot be
/// mapped writable; a badge cannot be changed by minting again.
pub fn rights_never_grow() -> Outcome {
    let arena = Arena::new(32)?;
    let frame = slot()?;
    let reader = slot()?;
    let again = slot()?;
    let notification = slot()?;
    let badged = slot()?;
    let rebadged = slot()?;
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
            "reader",
            call(Call::CapabilityCopy {
                source: frame,
                destination: reader,
                rights: Rights::READ | Rights::MAP | Rights::GRANT,
            }),
        )?;
        step(
            "copy with all rights",
            call(Call::CapabilityCopy {
                source: reader,
                destination: again,
                rights: Rights::all(),
            }),
        )?;
        let rights = step("identify", call(Call::CapabilityIdentify { slot: again }))?[1];
        ensure!(
            rights == u64::from((Rights::READ | Rights::MAP | Rights::GRANT).bits()),
            "a copy of a read-only capability has rights {rights:#x}"
        );
        let address = crate::support::fresh_region(1);
        let mapped = map(
            initial::SELF_ADDRESS_SPACE,
            again,
            address,
            0,
            1,
            Rights::READ | Rights::WRITE,
        );
        if mapped.is_ok() {
            let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, address, 1);
        }
        expect_error(
            "mapping a read-only copy writable",
            mapped,
            KernelError::InsufficientRights,
        )?;
        step(
            "notification",
            call(Call::NotificationCreate {
                quota: arena.quota(),
                destination: notification,
            }),
        )?;
        step(
            "badge",
            call(Call::CapabilityMint {
                source: notification,
                destination: badged,
                rights: Rights::all(),
                badge: 5,
            }),
        )?;
        let result = call(Call::CapabilityMint {
            source: badged,
            destination: rebadged,
            rights: Rights::all(),
            badge: 9,
        });
        let badge = call(Call::CapabilityIdentify { slot: rebadged }).map(|words| words[2]);
        ensure!(
            result.is_err() || badge == Ok(5),
            "minting a badged capability again gave badge {badge:?}"
        );
        Ok(())
    })();
    for slot in [rebadged, badged, notification, again, reader, frame] {
        release(slot);
    }
    outcome?;
    arena.finish()
}

/// `EnvironmentMapBatch` with hostile arguments: a frame the environment's capability holds
/// without WRITE cannot be mapped writable through it, slots past the environment's space,
/// page 0, pages past the frame's end, too many entries, an unreadable batch, an environment
/// capability without CONTROL and a capability that is no environment are all refused, and a
/// mapping made through the environment's capability goes when the environment does.
pub fn environment_map_batch_hostile() -> Outcome {
    // An address space takes 257 pages.
    let arena = Arena::new(300)?;
    let stub = step("environment", Stub::create(arena.quota(), 4))?;
    let frame = slot()?;
    let space = slot()?;
    let weak = slot()?;
    let outcome = (|| {
        step(
            "frame",
            call(Call::FrameAllocate {
                quota: arena.quota(),
                destination: frame,
                pages: PageCount(2),
            }),
        )?;
        step(
            "space",
            call(Call::AddressSpaceCreate {
                quota: arena.quota(),
                destination: space,
            }),
        )?;
        stub.grant(frame, Slot(1), Rights::READ | Rights::MAP)?;
        step(
            "weak copy",
            call(Call::CapabilityCopy {
                source: stub.environment,
                destination: weak,
                rights: Rights::READ | Rights::WRITE,
            }),
        )?;
        let entry = |frame: u64, address: u64, pages: u64, rights: Rights| MapOperation {
            kind: MapOperationKind::Map as u64,
            frame,
            virtual_address: address,
            first_page: 0,
            page_count: pages,
            rights: u64::from(rights.bits()),
        };
        let batch = |environment: Slot, operations: &[MapOperation], count: u64| {
            call(Call::EnvironmentMapBatch {
                environment,
                address_space: space,
                operations: UserAddress(operations.as_ptr() as u64),
                count,
            })
        };
        let base = 0x4000_0000;
        let read = Rights::READ;
        // Each refused entry: nothing applied, and the error in word 1.
        let refused_entries = [
            (
                entry(1, base, 1, read | Rights::WRITE),
                KernelError::InsufficientRights,
            ),
            (entry(4, base, 1, read), KernelError::InvalidSlot),
            (entry(2, base, 1, read), KernelError::EmptySlot),
            (entry(1, 0, 1, read), KernelError::InvalidAddress),
            (entry(1, base, 3, read), KernelError::InvalidArgument),
        ];
        for (operation, expected) in refused_entries {
            let result = batch(stub.environment, &[operation], 1);
            ensure!(
                result.map(|words| [words[0], words[1]]) == Ok([0, expected.code()]),
                "entry {operation:?}: {result:?}, expected {expected:?}"
            );
        }
        let many = [entry(1, base, 1, read); 2];
        for (environment, operations, count, expected) in [
            (weak, &many[..], 1, KernelError::InsufficientRights),
            (frame, &many[..], 1, KernelError::WrongKind),
            (
                stub.environment,
                &many[..],
                513,
                KernelError::InvalidArgument,
            ),
        ] {
            let result = batch(environment, operations, count);
            ensure!(
                result == Err(expected),
                "environment slot {}, count {count}: {result:?}, expected {expected:?}",
                environment.0
            );
        }
        let unreadable = call(Call::EnvironmentMapBatch {
            environment: stub.environment,
            address_space: space,
            operations: UserAddress(0x1000),
            count: 1,
        });
        ensure!(
            unreadable.map(|words| [words[0], words[1]])
                == Ok([0, KernelError::InvalidAddress.code()]),
            "an unreadable batch: {unreadable:?}"
        );
        let mapped = batch(stub.environment, &many[..1], 1);
        ensure!(
            mapped.map(|words| [words[0], words[1]]) == Ok([1, 0]),
            "a good entry: {mapped:?}"
        );
        Ok(())
    })();
    release(weak);
    // The stub's capability space goes with it, and the mapping made through its copy too.
    stub.delete();
    let gone = call(Call::MappingNext {
        address_space: space,
        address: 0,
    });
    release(frame);
    release(space);
    outcome?;
    ensure!(
        gone == Err(KernelError::NotMapped),
        "the mapping outlived the environment whose capability made it: {gone:?}"
    );
    arena.finish()
}

/// `FrameAllocateCopy` and `MappingList` with hostile arguments: another address space, an
/// unmapped or kernel address, unknown options, an occupied destination, a quota whose frames
/// could not be mapped writable (the page stays as it was), too large a capacity and buffers
/// outside user space or read-only are refused; a good copy replaces a page keeping its
/// contents, and a good list reads back what was mapped.
pub fn frame_copy_and_mapping_list_hostile() -> Outcome {
    use libos::abi::{FRAME_COPY_REPLACE, PageAddress};
    // An address space takes 257 pages.
    let arena = Arena::new(300)?;
    let frame = slot()?;
    let copy = slot()?;
    let space = slot()?;
    let weak = slot()?;
    let page = crate::support::fresh_region(2);
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
        step("map read-only", map(space, frame, page, 0, 1, Rights::READ))?;
        // SAFETY: the page was just mapped read-write and nothing else uses it.
        unsafe { core::ptr::write_volatile(page as *mut u64, 0x5eed) };
        step(
            "weak quota",
            call(Call::CapabilityCopy {
                source: arena.quota(),
                destination: weak,
                rights: Rights::READ | Rights::MAP | Rights::ALLOCATE,
            }),
        )?;
        let copy_call =
            |quota: Slot, destination: Slot, address_space: Slot, address: u64, options: u64| {
                call(Call::FrameAllocateCopy {
                    quota,
                    destination,
                    address_space,
                    address: PageAddress(address),
                    options,
                    pages: PageCount(1),
                })
            };
        let own = initial::SELF_ADDRESS_SPACE;
        for (what, result, expected) in [
            (
                "another address space",
                copy_call(arena.quota(), copy, space, page, 0),
                KernelError::InvalidArgument,
            ),
            (
                "unknown options",
                copy_call(arena.quota(), copy, own, page, 2),
                KernelError::InvalidArgument,
            ),
            (
                "an unmapped page",
                copy_call(arena.quota(), copy, own, page + 4096, 0),
                KernelError::NotMapped,
            ),
            (
                "an occupied destination",
                copy_call(arena.quota(), frame, own, page, 0),
                KernelError::SlotOccupied,
            ),
            (
                "a quota without WRITE",
                copy_call(weak, copy, own, page, FRAME_COPY_REPLACE),
                KernelError::InsufficientRights,
            ),
            (
                "a frame as quota",
                copy_call(frame, copy, own, page, 0),
                KernelError::WrongKind,
            ),
        ] {
            expect_error(what, result, expected)?;
        }
        let kernel_address = call(Call::FrameAllocateCopy {
            quota: arena.quota(),
            destination: copy,
            address_space: own,
            address: PageAddress(0xffff_8000_0000_0000),
            options: 0,
            pages: PageCount(1),
        });
        ensure!(
            kernel_address.is_err(),
            "a copy of a kernel page: {kernel_address:?}"
        );
        // SAFETY: still mapped (the refused replace changed nothing).
        let kept = unsafe { core::ptr::read_volatile(page as *const u64) };
        ensure!(kept == 0x5eed, "a refused copy changed the page: {kept:#x}");
        let old = step(
            "replace",
            copy_call(arena.quota(), copy, own, page, FRAME_COPY_REPLACE),
        )?;
        ensure!(
            old[0] == u64::from(frame.0) && old[1] == page && old[2] == 1,
            "the replaced page's record: {old:?}"
        );
        // SAFETY: the copy is mapped read-write in the page's place.
        unsafe { core::ptr::write_volatile((page + 8) as *mut u64, 7) };
        // SAFETY: as above.
        let copied = unsafe { core::ptr::read_volatile(page as *const u64) };
        ensure!(copied == 0x5eed, "the copy lost the contents: {copied:#x}");
        let mut listed = [[0u64; 5]; 2];
        let list = |address_space: Slot, buffer: u64, capacity: u64| {
            call(Call::MappingList {
                address_space,
                address: 0,
                buffer: UserAddress(buffer),
                capacity,
            })
        };
        let buffer = listed.as_mut_ptr() as u64;
        expect_error(
            "capacity 513",
            list(space, buffer, 513),
            KernelError::InvalidArgument,
        )?;
        expect_error(
            "a frame as address space",
            list(frame, buffer, 1),
            KernelError::WrongKind,
        )?;
        ensure!(
            list(space, 0xffff_8000_0000_0000, 1).is_err(),
            "a list into kernel memory succeeded"
        );
        // Read-only in our space now? The frame is mapped read-only in `space` only; the page
        // mapped here is the copy. Map the old frame read-only here to have a read-only buffer.
        let read_only = page + 4096;
        step(
            "map read-only here",
            map(own, frame, read_only, 0, 1, Rights::READ),
        )?;
        expect_error(
            "a read-only buffer",
            list(space, read_only, 1),
            KernelError::InvalidAddress,
        )?;
        let words = step("list", list(space, buffer, 2))?;
        ensure!(
            words[0] == 1 && words[1] == 0 && listed[0][0] == page && listed[0][1] == 1,
            "the list of one record: {words:?} {:?}",
            listed[0]
        );
        let _ = libos::memory::unmap(own, read_only, 1);
        let _ = libos::memory::unmap(own, page, 1);
        Ok(())
    })();
    for slot in [copy, weak, frame, space] {
        release(slot);
    }
    outcome?;
    arena.finish()
}
