//! The self-tests, one function each, in the order they run.

use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{
    Call, EnvironmentState, ExceptionFrame, KernelError, OptionalSlot, PageAddress, PageCount,
    QuotaPages, RawCall, Rights, Slot, UserAddress, initial,
};
use libos::kernel::{call, call_raw, exit};
use libos::memory::{allocate_and_map, map, unmap};
use libos::process::{Ending, spawn_thread};

use crate::ensure;
use crate::support::{
    Outcome, copy, expect_error, frame, release, slot, step, test_address, wait_until,
};

/// One self-test.
pub struct Test {
    /// The name in the result line.
    pub name: &'static str,
    /// Runs it.
    pub run: fn() -> Outcome,
}

/// Every test, in order.
pub const ALL: &[Test] = &[
    Test {
        name: "threads_share_slots_frames_and_heap",
        run: crate::process_mechanism_tests::threads_share_slots_frames_and_heap,
    },
    Test {
        name: "exec_in_place_keeps_the_identity_and_its_watcher",
        run: crate::process_mechanism_tests::exec_in_place_keeps_the_identity_and_its_watcher,
    },
    Test {
        name: "mapping_next_reads_back_mappings_and_copy_range_fills_a_space",
        run: crate::process_mechanism_tests::mapping_next_reads_back_mappings_and_copy_range_fills_a_space,
    },
    Test {
        name: "environment_map_batch_maps_through_the_environments_capabilities",
        run: crate::process_mechanism_tests::environment_map_batch_maps_through_the_environments_capabilities,
    },
    Test {
        name: "reader_learns_that_a_crashed_writer_is_gone",
        run: crate::channel_tests::reader_learns_that_a_crashed_writer_is_gone,
    },
    Test {
        name: "a_deleted_end_is_seen_at_once_and_by_late_watchers",
        run: crate::channel_tests::a_deleted_end_is_seen_at_once_and_by_late_watchers,
    },
    Test {
        name: "a_keeper_does_not_count_and_derived_ends_revive",
        run: crate::channel_tests::a_keeper_does_not_count_and_derived_ends_revive,
    },
    Test {
        name: "mapping_needs_sufficient_rights",
        run: mapping_needs_sufficient_rights,
    },
    Test {
        name: "derived_capabilities_never_gain_rights",
        run: derived_capabilities_never_gain_rights,
    },
    Test {
        name: "revoke_unmaps_from_every_address_space",
        run: revoke_unmaps_from_every_address_space,
    },
    Test {
        name: "capability_sent_over_ipc_works_and_dies_with_revoke",
        run: capability_sent_over_ipc_works_and_dies_with_revoke,
    },
    Test {
        name: "write_fault_reaches_upcall_and_thread_resumes",
        run: write_fault_reaches_upcall_and_thread_resumes,
    },
    Test {
        name: "spinning_environment_does_not_stop_others",
        run: spinning_environment_does_not_stop_others,
    },
    Test {
        name: "unhandled_fault_ends_environment_and_creator_sees_why",
        run: unhandled_fault_ends_environment_and_creator_sees_why,
    },
    Test {
        name: "ipc_caller_sees_server_death",
        run: ipc_caller_sees_server_death,
    },
    Test {
        name: "notification_wait_times_out_and_signal_wakes",
        run: notification_wait_times_out_and_signal_wakes,
    },
    Test {
        name: "console_notify_checks_its_rights",
        run: console_notify_checks_its_rights,
    },
    Test {
        name: "futex_wait_and_wake_between_threads",
        run: futex_wait_and_wake_between_threads,
    },
    Test {
        name: "futex_requeue_moves_waiters_and_masks_select",
        run: crate::futex_requeue_tests::requeue_moves_waiters_and_masks_select,
    },
    Test {
        name: "futex_calls_refuse_hostile_arguments",
        run: crate::futex_requeue_tests::futex_calls_refuse_hostile_arguments,
    },
    Test {
        name: "frame_allocation_is_bounded_by_the_quota",
        run: frame_allocation_is_bounded_by_the_quota,
    },
    Test {
        name: "registers_outside_user_space_are_refused",
        run: registers_outside_user_space_are_refused,
    },
    Test {
        name: "hostile_flags_on_kernel_entry_are_cleared",
        run: hostile_flags_on_kernel_entry_are_cleared,
    },
    Test {
        name: "page_zero_is_never_mappable",
        run: page_zero_is_never_mappable,
    },
    Test {
        name: "random_kernel_calls_never_hurt_the_kernel",
        run: crate::fuzz::random_kernel_calls_never_hurt_the_kernel,
    },
    Test {
        name: "vector_registers_survive_preemption_in_three_environments",
        run: crate::floating_point_tests::vector_registers_survive_preemption_in_three_environments,
    },
    Test {
        name: "fresh_environment_sees_default_floating_point_state",
        run: crate::floating_point_tests::fresh_environment_sees_default_floating_point_state,
    },
    Test {
        name: "floating_point_exceptions_reach_the_environment",
        run: crate::floating_point_tests::floating_point_exceptions_reach_the_environment,
    },
];

fn read(address: u64) -> u64 {
    // SAFETY: callers pass addresses they mapped readable.
    unsafe { core::ptr::read_volatile(address as *const u64) }
}

fn write(address: u64, value: u64) {
    // SAFETY: callers pass addresses they mapped writable (or expect the fault they provoke).
    unsafe { core::ptr::write_volatile(address as *mut u64, value) }
}

fn mapping_needs_sufficient_rights() -> Outcome {
    let frame = frame(1)?;
    let read_only = copy(frame, Rights::READ | Rights::MAP | Rights::GRANT)?;
    let address = test_address();
    let own = initial::SELF_ADDRESS_SPACE;
    expect_error(
        "map read-only capability writable",
        map(own, read_only, address, 0, 1, Rights::READ | Rights::WRITE),
        KernelError::InsufficientRights,
    )?;
    expect_error(
        "map read-only capability executable",
        map(
            own,
            read_only,
            address,
            0,
            1,
            Rights::READ | Rights::EXECUTE,
        ),
        KernelError::InsufficientRights,
    )?;
    step(
        "map read-only capability readable",
        map(own, read_only, address, 0, 1, Rights::READ),
    )?;
    ensure!(read(address) == 0, "a fresh frame is not zeroed");
    step("unmap", unmap(own, address, 1))?;
    let unmappable = copy(frame, Rights::READ | Rights::WRITE | Rights::GRANT)?;
    expect_error(
        "map without MAP",
        map(own, unmappable, address, 0, 1, Rights::READ),
        KernelError::InsufficientRights,
    )?;
    expect_error(
        "map past the frame",
        map(own, frame, address, 1, 1, Rights::READ),
        KernelError::InvalidArgument,
    )?;
    expect_error(
        "map a non-frame",
        map(own, initial::CONSOLE, address, 0, 1, Rights::READ),
        KernelError::WrongKind,
    )?;
    let kernel_half = RawCall {
        number: libos::abi::CallNumber::Map as u64,
        arguments: [
            u64::from(own.0),
            u64::from(frame.0),
            0xffff_8000_0000_0000,
            0,
            1,
            u64::from(Rights::READ.bits()),
        ],
    };
    ensure!(
        call_raw(&kernel_half).status == KernelError::InvalidAddress.code(),
        "mapping into the kernel half was not refused"
    );
    let without_address_space_rights = copy(own, Rights::GRANT)?;
    expect_error(
        "map through an address space capability without MAP",
        map(
            without_address_space_rights,
            frame,
            address,
            0,
            1,
            Rights::READ,
        ),
        KernelError::InsufficientRights,
    )?;
    for slot in [without_address_space_rights, unmappable, read_only, frame] {
        release(slot);
    }
    Ok(())
}

fn derived_capabilities_never_gain_rights() -> Outcome {
    let frame = frame(1)?;
    let narrow = copy(frame, Rights::READ | Rights::MAP | Rights::GRANT)?;
    let widened = copy(narrow, Rights::all())?;
    let rights = step("identify", call(Call::CapabilityIdentify { slot: widened }))?[1];
    ensure!(
        rights == u64::from((Rights::READ | Rights::MAP | Rights::GRANT).bits()),
        "a copy gained rights: {rights:#x}"
    );
    let no_grant = copy(frame, Rights::READ | Rights::MAP)?;
    let target = slot()?;
    expect_error(
        "copy without GRANT",
        call(Call::CapabilityCopy {
            source: no_grant,
            destination: target,
            rights: Rights::all(),
        }),
        KernelError::InsufficientRights,
    )?;
    expect_error(
        "copy into an occupied slot",
        call(Call::CapabilityCopy {
            source: frame,
            destination: narrow,
            rights: Rights::all(),
        }),
        KernelError::SlotOccupied,
    )?;
    expect_error(
        "copy from an empty slot",
        call(Call::CapabilityCopy {
            source: target,
            destination: target,
            rights: Rights::all(),
        }),
        KernelError::EmptySlot,
    )?;
    expect_error(
        "copy from outside the space",
        call(Call::CapabilityCopy {
            source: Slot(1 << 30),
            destination: target,
            rights: Rights::all(),
        }),
        KernelError::InvalidSlot,
    )?;
    expect_error(
        "badge a frame",
        call(Call::CapabilityMint {
            source: frame,
            destination: target,
            rights: Rights::all(),
            badge: 7,
        }),
        KernelError::WrongKind,
    )?;
    libos::slots::free(target);
    for slot in [no_grant, widened, narrow, frame] {
        release(slot);
    }
    Ok(())
}

fn revoke_unmaps_from_every_address_space() -> Outcome {
    let original = frame(1)?;
    let derived = copy(original, Rights::all())?;
    let second_space = slot()?;
    step(
        "create address space",
        call(Call::AddressSpaceCreate {
            quota: initial::MEMORY_QUOTA,
            destination: second_space,
        }),
    )?;
    let address = test_address();
    step(
        "map in our space",
        map(
            initial::SELF_ADDRESS_SPACE,
            derived,
            address,
            0,
            1,
            Rights::READ | Rights::WRITE,
        ),
    )?;
    write(address, 0x5eed);
    step(
        "map in the second space",
        map(second_space, derived, 0x40_0000, 0, 1, Rights::READ),
    )?;
    step("revoke", call(Call::CapabilityRevoke { slot: original }))?;
    expect_error(
        "identify the revoked copy",
        call(Call::CapabilityIdentify { slot: derived }),
        KernelError::EmptySlot,
    )?;
    expect_error(
        "unmap from our space after revoke",
        unmap(initial::SELF_ADDRESS_SPACE, address, 1),
        KernelError::NotMapped,
    )?;
    expect_error(
        "unmap from the second space after revoke",
        unmap(second_space, 0x40_0000, 1),
        KernelError::NotMapped,
    )?;
    // The original keeps the frame (and its contents) alive.
    step(
        "map the original again",
        map(
            initial::SELF_ADDRESS_SPACE,
            original,
            address,
            0,
            1,
            Rights::READ,
        ),
    )?;
    ensure!(read(address) == 0x5eed, "the frame lost its contents");
    step("unmap", unmap(initial::SELF_ADDRESS_SPACE, address, 1))?;
    libos::slots::free(derived);
    release(second_space);
    release(original);
    Ok(())
}

/// Slots the IPC test's server uses in its own space.
const SERVER_ENDPOINT: Slot = Slot(10);
const SERVER_RECEIVED: Slot = Slot(20);

extern "C" fn capability_server(address: u64) -> ! {
    loop {
        let Ok(message) = call(Call::IpcReceive {
            endpoint: SERVER_ENDPOINT,
            receive: OptionalSlot(Some(SERVER_RECEIVED)),
            timeout: 0,
        }) else {
            exit(90);
        };
        let reply = match message[1] {
            1 => match map(
                initial::SELF_ADDRESS_SPACE,
                SERVER_RECEIVED,
                address,
                0,
                1,
                Rights::READ,
            ) {
                Ok(()) => {
                    let value = read(address);
                    let _ = unmap(initial::SELF_ADDRESS_SPACE, address, 1);
                    value
                }
                Err(error) => error.code() | 0x1000,
            },
            2 => call(Call::CapabilityIdentify {
                slot: SERVER_RECEIVED,
            })
            .map_or_else(KernelError::code, |_| 0),
            _ => {
                let _ = call(Call::IpcReply {
                    word0: 0,
                    word1: 0,
                    word2: 0,
                    transfer: OptionalSlot(None),
                });
                exit(0);
            }
        };
        let _ = call(Call::IpcReply {
            word0: reply,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(None),
        });
    }
}

fn ipc(
    endpoint: Slot,
    operation: u64,
    transfer: Option<Slot>,
) -> Result<[u64; 6], alloc::string::String> {
    step(
        "call the server",
        call(Call::IpcCall {
            endpoint,
            word0: operation,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(transfer),
            receive: OptionalSlot(None),
        }),
    )
}

fn capability_sent_over_ipc_works_and_dies_with_revoke() -> Outcome {
    let endpoint = slot()?;
    step(
        "create endpoint",
        call(Call::EndpointCreate {
            quota: initial::MEMORY_QUOTA,
            destination: endpoint,
        }),
    )?;
    let server = step(
        "start server",
        spawn_thread(
            capability_server,
            test_address(),
            &[(endpoint, SERVER_ENDPOINT)],
        ),
    )?;
    let frame = frame(1)?;
    let address = test_address();
    step(
        "map",
        map(
            initial::SELF_ADDRESS_SPACE,
            frame,
            address,
            0,
            1,
            Rights::READ | Rights::WRITE,
        ),
    )?;
    write(address, 0xfeed_face);
    let sent = copy(frame, Rights::READ | Rights::MAP | Rights::GRANT)?;
    let send_only = copy(endpoint, Rights::SEND)?;
    expect_error(
        "send a capability through an endpoint capability without GRANT",
        call(Call::IpcCall {
            endpoint: send_only,
            word0: 1,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(Some(sent)),
            receive: OptionalSlot(None),
        }),
        KernelError::InsufficientRights,
    )?;
    release(send_only);
    let reply = ipc(endpoint, 1, Some(sent))?;
    ensure!(
        reply[1] == 0xfeed_face,
        "the server read {:#x} through the capability it received",
        reply[1]
    );
    ensure!(
        ipc(endpoint, 2, None)?[1] == 0,
        "the server's capability is not usable"
    );
    step(
        "revoke the sent capability",
        call(Call::CapabilityRevoke { slot: sent }),
    )?;
    let after = ipc(endpoint, 2, None)?[1];
    ensure!(
        after == KernelError::EmptySlot.code(),
        "after revoke the server's slot answered {after:#x}, not EmptySlot"
    );
    let _ = ipc(endpoint, 3, None)?;
    let ending = step("wait for the server", server.wait(5_000_000_000))?;
    ensure!(ending == Ending::Exited(0), "server ended {ending:?}");
    server.reap();
    step("unmap", unmap(initial::SELF_ADDRESS_SPACE, address, 1))?;
    for slot in [sent, frame, endpoint] {
        release(slot);
    }
    Ok(())
}

static FAULTS: AtomicU64 = AtomicU64::new(0);
static FAULT_ADDRESS: AtomicU64 = AtomicU64::new(0);
static FAULT_ERROR: AtomicU64 = AtomicU64::new(0);

extern "C" fn exception_handler(frame: *mut ExceptionFrame) -> ! {
    // SAFETY: the kernel passes a pointer to the frame it wrote on our exception stack.
    let frame_value = unsafe { &*frame };
    FAULTS.fetch_add(1, Ordering::SeqCst);
    FAULT_ADDRESS.store(frame_value.fault_address, Ordering::SeqCst);
    FAULT_ERROR.store(frame_value.error_code, Ordering::SeqCst);
    if frame_value.vector != 14 {
        exit(200 + frame_value.vector);
    }
    let page = frame_value.fault_address & !0xfff;
    if call(Call::Protect {
        address_space: initial::SELF_ADDRESS_SPACE,
        address: PageAddress(page),
        pages: PageCount(1),
        rights: Rights::READ | Rights::WRITE,
    })
    .is_err()
    {
        exit(199);
    }
    let _ = call(Call::ExceptionResume {
        frame: UserAddress(frame as u64),
    });
    exit(198)
}

fn write_fault_reaches_upcall_and_thread_resumes() -> Outcome {
    let stack = test_address();
    let stack_frame = step(
        "exception stack",
        allocate_and_map(initial::MEMORY_QUOTA, stack, 4, true),
    )?;
    step(
        "set handler",
        call(Call::ExceptionHandlerSet {
            entry: UserAddress(exception_handler as *const () as u64),
            stack_top: UserAddress(stack + 4 * 4096),
        }),
    )?;
    let frame = frame(1)?;
    let address = test_address();
    step(
        "map read-only",
        map(
            initial::SELF_ADDRESS_SPACE,
            frame,
            address,
            0,
            1,
            Rights::READ,
        ),
    )?;
    FAULTS.store(0, Ordering::SeqCst);
    write(address + 8, 42);
    let value = read(address + 8);
    step(
        "remove handler",
        call(Call::ExceptionHandlerSet {
            entry: UserAddress(0),
            stack_top: UserAddress(0),
        }),
    )?;
    ensure!(
        FAULTS.load(Ordering::SeqCst) == 1,
        "{} faults reached the handler",
        FAULTS.load(Ordering::SeqCst)
    );
    ensure!(
        FAULT_ADDRESS.load(Ordering::SeqCst) == address + 8,
        "fault address {:#x}",
        FAULT_ADDRESS.load(Ordering::SeqCst)
    );
    ensure!(
        FAULT_ERROR.load(Ordering::SeqCst) & 0b11 == 0b11,
        "error code {:#x} is not a write to a present page",
        FAULT_ERROR.load(Ordering::SeqCst)
    );
    ensure!(value == 42, "the resumed write stored {value}");
    step("unmap", unmap(initial::SELF_ADDRESS_SPACE, address, 1))?;
    release(frame);
    release(stack_frame);
    Ok(())
}

static SPINS: AtomicU64 = AtomicU64::new(0);

extern "C" fn spinner(_: u64) -> ! {
    loop {
        SPINS.fetch_add(1, Ordering::Relaxed);
    }
}

fn spinning_environment_does_not_stop_others() -> Outcome {
    SPINS.store(0, Ordering::Relaxed);
    let child = step("start spinner", spawn_thread(spinner, 0, &[]))?;
    // No yield here: only timer preemption lets the spinner run while we poll, and lets us
    // run at all while it spins.
    let ran = wait_until(5_000_000_000, || SPINS.load(Ordering::Relaxed) > 10_000);
    ensure!(ran, "the spinner never got the CPU");
    step(
        "stop spinner",
        call(Call::EnvironmentStop {
            environment: child.environment(),
        }),
    )?;
    let state = step(
        "status",
        call(Call::EnvironmentStatus {
            environment: child.environment(),
        }),
    )?[0];
    ensure!(
        state == EnvironmentState::Stopped as u64,
        "stopped spinner reports state {state}"
    );
    let stopped_at = SPINS.load(Ordering::Relaxed);
    let _ = wait_until(30_000_000, || false);
    ensure!(
        SPINS.load(Ordering::Relaxed) == stopped_at,
        "a stopped environment kept running"
    );
    child.reap();
    Ok(())
}

extern "C" fn touch_unmapped(address: u64) -> ! {
    let _ = read(address);
    exit(0)
}

fn unhandled_fault_ends_environment_and_creator_sees_why() -> Outcome {
    let child = step("start toucher", spawn_thread(touch_unmapped, 0x10, &[]))?;
    let ending = step("wait", child.wait(5_000_000_000))?;
    ensure!(
        ending
            == Ending::Faulted {
                vector: 14,
                address: 0x10
            },
        "ended {ending:?}, expected a page fault at 0x10"
    );
    child.reap();
    Ok(())
}

extern "C" fn vanishing_server(_: u64) -> ! {
    let _ = call(Call::IpcReceive {
        endpoint: SERVER_ENDPOINT,
        receive: OptionalSlot(None),
        timeout: 0,
    });
    exit(3)
}

fn ipc_caller_sees_server_death() -> Outcome {
    let endpoint = slot()?;
    step(
        "create endpoint",
        call(Call::EndpointCreate {
            quota: initial::MEMORY_QUOTA,
            destination: endpoint,
        }),
    )?;
    let server = step(
        "start server",
        spawn_thread(vanishing_server, 0, &[(endpoint, SERVER_ENDPOINT)]),
    )?;
    let result = call(Call::IpcCall {
        endpoint,
        word0: 1,
        word1: 2,
        word2: 3,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    });
    expect_error(
        "call a server that exits without replying",
        result,
        KernelError::PeerGone,
    )?;
    ensure!(
        step("wait", server.wait(5_000_000_000))? == Ending::Exited(3),
        "server did not exit 3"
    );
    server.reap();
    release(endpoint);
    Ok(())
}

fn notification_wait_times_out_and_signal_wakes() -> Outcome {
    let notification = slot()?;
    step(
        "create notification",
        call(Call::NotificationCreate {
            quota: initial::MEMORY_QUOTA,
            destination: notification,
        }),
    )?;
    let before = libos::kernel::clock_nanoseconds();
    expect_error(
        "wait with a 30 ms timeout",
        call(Call::NotificationWait {
            notification,
            timeout: 30_000_000,
        }),
        KernelError::TimedOut,
    )?;
    let waited = libos::kernel::clock_nanoseconds() - before;
    ensure!(
        waited >= 20_000_000,
        "the timeout expired after only {waited} ns"
    );
    step(
        "signal",
        call(Call::NotificationSignal {
            notification,
            bits: 0b101,
        }),
    )?;
    let word = step(
        "wait",
        call(Call::NotificationWait {
            notification,
            timeout: 0,
        }),
    )?[0];
    ensure!(word == 0b101, "waited word {word:#b}");
    ensure!(
        step("poll", call(Call::NotificationPoll { notification }))?[0] == 0,
        "bits were not taken by the wait"
    );
    let badged = slot()?;
    step(
        "mint badged",
        call(Call::CapabilityMint {
            source: notification,
            destination: badged,
            rights: Rights::SIGNAL,
            badge: 0x40,
        }),
    )?;
    step(
        "signal badged",
        call(Call::NotificationSignal {
            notification: badged,
            bits: 1,
        }),
    )?;
    ensure!(
        step("poll", call(Call::NotificationPoll { notification }))?[0] == 0x40,
        "a badged signal did not deliver its badge"
    );
    expect_error(
        "wait through a signal-only capability",
        call(Call::NotificationWait {
            notification: badged,
            timeout: 1,
        }),
        KernelError::InsufficientRights,
    )?;
    release(badged);
    release(notification);
    Ok(())
}

/// `ConsoleNotify` needs READ on a console capability: the console every program is handed
/// is write-only (only the terminal server, started by `init`, holds READ, so no program can
/// take the keyboard's input from it), and no copy of it regains READ. A binding's other checks
/// (SIGNAL on the notification) need READ to be reached; the terminal server's binding at every
/// boot is the working case.
fn console_notify_checks_its_rights() -> Outcome {
    let notification = slot()?;
    step(
        "create notification",
        call(Call::NotificationCreate {
            quota: initial::MEMORY_QUOTA,
            destination: notification,
        }),
    )?;
    let copy_asking_for_everything = slot()?;
    step(
        "copy asking for every right",
        call(Call::CapabilityCopy {
            source: initial::CONSOLE,
            destination: copy_asking_for_everything,
            rights: Rights::all(),
        }),
    )?;
    let notify = |console, notification| {
        call(Call::ConsoleNotify {
            console,
            notification,
            bits: 4,
        })
    };
    expect_error(
        "a frame as the console",
        notify(initial::INITRAMFS, notification),
        KernelError::WrongKind,
    )?;
    expect_error(
        "the handed console, without READ",
        notify(initial::CONSOLE, notification),
        KernelError::InsufficientRights,
    )?;
    expect_error(
        "a copy of it asking for READ",
        notify(copy_asking_for_everything, notification),
        KernelError::InsufficientRights,
    )?;
    let rights = step(
        "identify the handed console",
        call(Call::CapabilityIdentify {
            slot: initial::CONSOLE,
        }),
    )?;
    let held = Rights::from_bits_truncate(rights[1] as u32);
    ensure!(
        !held.contains(Rights::READ) && held.contains(Rights::WRITE),
        "the handed console has rights {:#x}",
        rights[1]
    );
    release(copy_asking_for_everything);
    release(notification);
    Ok(())
}

static FUTEX_WORD: AtomicU64 = AtomicU64::new(0);

extern "C" fn futex_waiter(_: u64) -> ! {
    let address = UserAddress(&raw const FUTEX_WORD as u64);
    while FUTEX_WORD.load(Ordering::SeqCst) == 0 {
        let _ = call(Call::FutexWait {
            address,
            expected: 0,
            timeout: 0,
            bitset: libos::abi::FUTEX_MATCH_ANY,
        });
    }
    exit(7)
}

fn futex_wait_and_wake_between_threads() -> Outcome {
    FUTEX_WORD.store(0, Ordering::SeqCst);
    let address = UserAddress(&raw const FUTEX_WORD as u64);
    expect_error(
        "wait on a word that changed",
        call(Call::FutexWait {
            address,
            expected: 1,
            timeout: 0,
            bitset: libos::abi::FUTEX_MATCH_ANY,
        }),
        KernelError::WouldBlock,
    )?;
    expect_error(
        "wait on an unaligned word",
        call(Call::FutexWait {
            address: UserAddress(address.0 + 1),
            expected: 0,
            timeout: 0,
            bitset: libos::abi::FUTEX_MATCH_ANY,
        }),
        KernelError::InvalidArgument,
    )?;
    let child = step("start waiter", spawn_thread(futex_waiter, 0, &[]))?;
    let blocked = wait_until(5_000_000_000, || {
        call(Call::EnvironmentStatus {
            environment: child.environment(),
        })
        .is_ok_and(|status| status[0] == EnvironmentState::Blocked as u64)
    });
    ensure!(blocked, "the waiter never blocked");
    FUTEX_WORD.store(1, Ordering::SeqCst);
    let woken = step(
        "wake",
        call(Call::FutexWake {
            address,
            count: 10,
            mask: libos::abi::FUTEX_MATCH_ANY,
        }),
    )?[0];
    ensure!(woken == 1, "woke {woken} waiters");
    ensure!(
        step("wait", child.wait(5_000_000_000))? == Ending::Exited(7),
        "waiter did not exit 7"
    );
    child.reap();
    Ok(())
}

fn frame_allocation_is_bounded_by_the_quota() -> Outcome {
    let quota = slot()?;
    step(
        "split quota",
        call(Call::QuotaSplit {
            quota: initial::MEMORY_QUOTA,
            destination: quota,
            pages: QuotaPages(8),
        }),
    )?;
    let first = slot()?;
    step(
        "allocate within budget",
        call(Call::FrameAllocate {
            quota,
            destination: first,
            pages: PageCount(6),
        }),
    )?;
    let second = slot()?;
    expect_error(
        "allocate beyond budget",
        call(Call::FrameAllocate {
            quota,
            destination: second,
            pages: PageCount(3),
        }),
        KernelError::QuotaExhausted,
    )?;
    let remaining = step(
        "identify quota",
        call(Call::CapabilityIdentify { slot: quota }),
    )?[3];
    ensure!(
        remaining == 2,
        "quota reports {remaining} pages left, expected 2"
    );
    step("revoke quota", call(Call::CapabilityRevoke { slot: quota }))?;
    expect_error(
        "frame after quota revoke",
        call(Call::CapabilityIdentify { slot: first }),
        KernelError::EmptySlot,
    )?;
    let remaining = step(
        "identify quota",
        call(Call::CapabilityIdentify { slot: quota }),
    )?[3];
    ensure!(
        remaining == 8,
        "revoking did not return the budget: {remaining} pages left"
    );
    libos::slots::free(first);
    libos::slots::free(second);
    release(quota);
    Ok(())
}

/// Enters the kernel with `syscall` (a `Yield`) while NT, AC and DF are set: `SFMASK` must clear
/// them, or the kernel's own `iretq` raises #GP in ring 0 (NT) and string copies run backwards
/// (DF). Returns the call's status and the flags seen right after it.
fn yield_with_flags(extra_flags: u64) -> (u64, u64) {
    let number = Call::Yield {}.encode().number;
    let status: u64;
    let flags_after: u64;
    // SAFETY: the flags are restored before the block ends; the kernel preserves every register
    // but `rax`, `rcx`, `r11` and the result registers, all declared clobbered; the stack is
    // used only for balanced pushes and pops.
    unsafe {
        core::arch::asm!(
            "pushfq",
            "pop r12",
            "mov r13, r12",
            "or r13, {extra}",
            "push r13",
            "popfq",
            "syscall",
            "pushfq",
            "pop r14",
            "push r12",
            "popfq",
            extra = in(reg) extra_flags,
            inlateout("rax") number => status,
            out("r12") _,
            out("r13") _,
            out("r14") flags_after,
            lateout("rcx") _,
            lateout("r11") _,
            lateout("rdi") _,
            lateout("rsi") _,
            lateout("rdx") _,
            lateout("r10") _,
            lateout("r8") _,
            lateout("r9") _,
        );
    }
    (status, flags_after)
}

fn hostile_flags_on_kernel_entry_are_cleared() -> Outcome {
    const NESTED_TASK: u64 = 1 << 14;
    const ALIGNMENT_CHECK: u64 = 1 << 18;
    const DIRECTION: u64 = 1 << 10;
    for (name, extra) in [
        ("NT", NESTED_TASK),
        ("AC", ALIGNMENT_CHECK),
        ("DF", DIRECTION),
        ("NT|AC|DF", NESTED_TASK | ALIGNMENT_CHECK | DIRECTION),
    ] {
        let (status, flags_after) = yield_with_flags(extra);
        ensure!(status == 0, "Yield with {name} set returned {status}");
        // `syscall` saved the program's flags in r11 and the return restores them: the
        // program keeps its own choice, the kernel ran without it.
        ensure!(
            flags_after & extra == extra,
            "{name} was not restored on return: rflags {flags_after:#x}"
        );
    }
    Ok(())
}

fn page_zero_is_never_mappable() -> Outcome {
    let frame = frame(2)?;
    for pages in [1, 2] {
        expect_error(
            "map page 0",
            map(
                initial::SELF_ADDRESS_SPACE,
                frame,
                0,
                0,
                pages,
                Rights::READ | Rights::WRITE,
            ),
            KernelError::InvalidAddress,
        )?;
    }
    let operation = libos::abi::MapOperation {
        kind: libos::abi::MapOperationKind::Map as u64,
        frame: u64::from(frame.0),
        virtual_address: 0,
        first_page: 0,
        page_count: 1,
        rights: u64::from(Rights::READ.bits()),
    };
    let words = step(
        "map batch",
        call(Call::MapBatch {
            address_space: initial::SELF_ADDRESS_SPACE,
            operations: UserAddress(&raw const operation as u64),
            count: 1,
        }),
    )?;
    ensure!(
        words[0] == 0 && words[1] == KernelError::InvalidAddress.code(),
        "a batch mapping page 0 applied {} entries, error {}",
        words[0],
        words[1]
    );
    // The page right above it is an ordinary page.
    step(
        "map page 1",
        map(
            initial::SELF_ADDRESS_SPACE,
            frame,
            0x1000,
            0,
            1,
            Rights::READ,
        ),
    )?;
    step(
        "unmap page 1",
        unmap(initial::SELF_ADDRESS_SPACE, 0x1000, 1),
    )?;
    release(frame);
    Ok(())
}

fn registers_outside_user_space_are_refused() -> Outcome {
    let environment = slot()?;
    step(
        "create environment",
        call(Call::EnvironmentCreate {
            quota: initial::MEMORY_QUOTA,
            address_space: initial::SELF_ADDRESS_SPACE,
            destination: environment,
            slots: 16,
        }),
    )?;
    for rip in [0xffff_8000_0000_0000, 0x8000_0000_0000_0000, u64::MAX] {
        let registers = libos::abi::RegisterSet {
            rip,
            ..libos::abi::RegisterSet::default()
        };
        let result = call(Call::EnvironmentSetRegisters {
            environment,
            registers: UserAddress(&raw const registers as u64),
        });
        expect_error(
            "set a kernel or non-canonical rip",
            result,
            KernelError::InvalidAddress,
        )?;
    }
    expect_error(
        "set registers from a kernel pointer",
        call(Call::EnvironmentSetRegisters {
            environment,
            registers: UserAddress(0x7fff_ffff_e000),
        }),
        KernelError::InvalidAddress,
    )?;
    expect_error(
        "create with too many slots",
        call(Call::EnvironmentCreate {
            quota: initial::MEMORY_QUOTA,
            address_space: initial::SELF_ADDRESS_SPACE,
            destination: environment,
            slots: 1 << 20,
        }),
        KernelError::InvalidArgument,
    )?;
    expect_error(
        "stop an environment never started",
        call(Call::EnvironmentStop { environment }),
        KernelError::InvalidState,
    )?;
    release(environment);
    Ok(())
}
