//! Tests of the kernel mechanisms the LibOS builds on: foreign system calls, handlers set on
//! another environment, interrupted calls, bound notifications, reply-and-receive, the time
//! page and timers, and the scheduler's fairness towards a spinner when others hand the processor
//! to each other.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use libos::abi::{
    Call, EnvironmentState, ExceptionFrame, FOREIGN_SYSTEM_CALL_VECTOR, HandlerOptions,
    KernelError, OptionalSlot, RawCall, Slot, initial,
};
use libos::ipc::{Received, bind_notification, receive, reply_and_receive};
use libos::kernel::{call, call_raw, exit, yield_now};
use libos::memory::allocate_and_map;
use libos::process::{Ending, spawn_thread};
use libos::upcall::{remove_handler, resume, set_handler};

use crate::ensure;
use crate::support::{Outcome, release, slot, step, test_address, wait_until};
use crate::tests::Test;

/// Every mechanism test, in order.
pub const ALL: &[Test] = &[
    Test {
        name: "linux_numbered_syscalls_reach_the_foreign_call_handler",
        run: linux_numbered_syscalls_reach_the_foreign_call_handler,
    },
    Test {
        name: "creator_sets_another_environments_handler",
        run: creator_sets_another_environments_handler,
    },
    Test {
        name: "stopped_blocked_calls_return_interrupted",
        run: stopped_blocked_calls_return_interrupted,
    },
    Test {
        name: "stop_of_a_call_a_server_took_waits_for_the_reply",
        run: stop_of_a_call_a_server_took_waits_for_the_reply,
    },
    Test {
        name: "receiver_wakes_for_a_bound_notification",
        run: receiver_wakes_for_a_bound_notification,
    },
    Test {
        name: "reply_and_receive_serves_a_sequence_of_calls",
        run: reply_and_receive_serves_a_sequence_of_calls,
    },
    Test {
        name: "time_page_clocks_agree_with_clock_read_without_kernel_entries",
        run: time_page_clocks_agree_with_clock_read_without_kernel_entries,
    },
    Test {
        name: "one_shot_and_periodic_timers_signal_their_notification",
        run: one_shot_and_periodic_timers_signal_their_notification,
    },
    Test {
        name: "many_sleepers_time_out_in_deadline_order",
        run: many_sleepers_time_out_in_deadline_order,
    },
    Test {
        name: "a_hundred_timers_due_at_once_all_fire",
        run: a_hundred_timers_due_at_once_all_fire,
    },
    Test {
        name: "foreign_call_with_an_unusable_upcall_stack_kills_only_its_caller",
        run: foreign_call_with_an_unusable_upcall_stack_kills_only_its_caller,
    },
    Test {
        name: "a_signalling_pair_leaves_a_spinner_its_share",
        run: a_signalling_pair_leaves_a_spinner_its_share,
    },
];

/// Linux x86_64 `write`.
const LINUX_WRITE: u64 = 1;
/// Linux x86_64 `getpid`.
const LINUX_GETPID: u64 = 39;
/// A number the test's personality serves by making a foreign call itself (which must fail
/// with `UnknownCall` rather than recurse into the handler).
const NESTED_FOREIGN_CALL: u64 = 400;
/// What the test's "personality" answers to `getpid`.
const FAKE_PROCESS_ID: u64 = 4242;

static FOREIGN_CALLS: AtomicU64 = AtomicU64::new(0);
static LAST_VECTOR: AtomicU64 = AtomicU64::new(0);

/// A tiny Linux personality: `getpid` answers [`FAKE_PROCESS_ID`], `write` claims every byte
/// (returns `rdx`), anything else `-ENOSYS`. A non-foreign upcall exits with 200 + vector.
extern "C" fn personality(frame: *mut ExceptionFrame) -> ! {
    // SAFETY: the kernel passes a pointer to the frame it wrote on our upcall stack, which
    // nothing else uses while the handler runs.
    let frame_value = unsafe { &mut *frame };
    LAST_VECTOR.store(frame_value.vector, Ordering::SeqCst);
    if frame_value.vector != FOREIGN_SYSTEM_CALL_VECTOR {
        exit(200 + frame_value.vector.min(50));
    }
    FOREIGN_CALLS.fetch_add(1, Ordering::SeqCst);
    let registers = &mut frame_value.registers;
    registers.rax = match registers.rax {
        LINUX_GETPID => FAKE_PROCESS_ID,
        LINUX_WRITE => registers.rdx,
        NESTED_FOREIGN_CALL => raw(LINUX_GETPID, [0; 6]),
        _ => (-38i64) as u64,
    };
    resume(frame)
}

fn raw(number: u64, arguments: [u64; 6]) -> u64 {
    call_raw(&RawCall { number, arguments }).status
}

fn linux_numbered_syscalls_reach_the_foreign_call_handler() -> Outcome {
    let stack = test_address();
    let stack_frame = step(
        "upcall stack",
        allocate_and_map(initial::MEMORY_QUOTA, stack, 4, true),
    )?;
    let own = initial::SELF_ENVIRONMENT;
    // A handler without the option: foreign calls still fail, nothing is delivered.
    step(
        "set handler for exceptions only",
        set_handler(own, personality, stack + 4 * 4096, HandlerOptions::empty()),
    )?;
    FOREIGN_CALLS.store(0, Ordering::SeqCst);
    let plain = raw(LINUX_GETPID, [0; 6]);
    ensure!(
        plain == KernelError::UnknownCall.code() && FOREIGN_CALLS.load(Ordering::SeqCst) == 0,
        "getpid without the option returned {plain} after {} upcalls",
        FOREIGN_CALLS.load(Ordering::SeqCst)
    );
    step(
        "set handler for foreign calls",
        set_handler(
            own,
            personality,
            stack + 4 * 4096,
            HandlerOptions::FOREIGN_SYSTEM_CALLS,
        ),
    )?;
    let process_id = raw(LINUX_GETPID, [0; 6]);
    let written = raw(LINUX_WRITE, [1, 0x1000, 17, 0, 0, 0]);
    let unknown = raw(999, [0; 6]);
    let nested = raw(NESTED_FOREIGN_CALL, [0; 6]);
    // Kernel calls still reach the kernel while the option is on.
    let clock = libos::kernel::clock_nanoseconds();
    let calls = FOREIGN_CALLS.load(Ordering::SeqCst);
    step("remove handler", remove_handler(own))?;
    let after = raw(LINUX_GETPID, [0; 6]);
    release(stack_frame);
    ensure!(
        LAST_VECTOR.load(Ordering::SeqCst) == FOREIGN_SYSTEM_CALL_VECTOR,
        "the upcall came with vector {}",
        LAST_VECTOR.load(Ordering::SeqCst)
    );
    ensure!(
        process_id == FAKE_PROCESS_ID,
        "getpid resumed with {process_id}"
    );
    ensure!(written == 17, "write resumed with {written}");
    ensure!(
        unknown == (-38i64) as u64,
        "syscall 999 resumed with {unknown:#x}"
    );
    ensure!(
        nested == KernelError::UnknownCall.code(),
        "a foreign call made inside the handler returned {nested}, not UnknownCall"
    );
    ensure!(
        calls == 4,
        "{calls} foreign calls reached the handler, not 4"
    );
    ensure!(clock != 0, "ClockRead did not reach the kernel");
    ensure!(
        after == KernelError::UnknownCall.code(),
        "getpid after removing the handler returned {after}"
    );
    Ok(())
}

static THREAD_GO: AtomicBool = AtomicBool::new(false);

extern "C" fn foreign_caller(_: u64) -> ! {
    while !THREAD_GO.load(Ordering::SeqCst) {
        yield_now();
    }
    exit(raw(LINUX_GETPID, [0; 6]))
}

fn creator_sets_another_environments_handler() -> Outcome {
    let stack = test_address();
    let stack_frame = step(
        "upcall stack",
        allocate_and_map(initial::MEMORY_QUOTA, stack, 4, true),
    )?;
    THREAD_GO.store(false, Ordering::SeqCst);
    let child = step("start thread", spawn_thread(foreign_caller, 0, &[]))?;
    let set = set_handler(
        child.environment(),
        personality,
        stack + 4 * 4096,
        HandlerOptions::FOREIGN_SYSTEM_CALLS,
    );
    let bad_options = set_handler(
        child.environment(),
        personality,
        stack + 4 * 4096,
        HandlerOptions::from_bits_retain(1 << 40),
    );
    THREAD_GO.store(true, Ordering::SeqCst);
    let ending = child.wait(5_000_000_000);
    child.reap();
    release(stack_frame);
    step("set the thread's handler", set)?;
    ensure!(
        bad_options == Err(KernelError::InvalidArgument),
        "unknown option bits gave {bad_options:?}"
    );
    let ending = step("wait for the thread", ending)?;
    ensure!(
        ending == Ending::Exited(FAKE_PROCESS_ID),
        "the thread ended {ending:?}, not with the handler's answer"
    );
    Ok(())
}

/// Where a test thread finds the capability it is given.
const THREAD_OBJECT: Slot = initial::FIRST_FREE_SLOT;

/// The status a test thread exits with: its call's error code, or 1000 + word 1 of its result.
fn exit_with(result: Result<[u64; 6], KernelError>) -> ! {
    exit(match result {
        Ok(words) => 1000 + words[1],
        Err(error) => error.code(),
    })
}

extern "C" fn blocked_caller(_: u64) -> ! {
    exit_with(call(Call::IpcCall {
        endpoint: THREAD_OBJECT,
        word0: 0,
        word1: 7,
        word2: 0,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    }))
}

extern "C" fn blocked_waiter(_: u64) -> ! {
    exit_with(call(Call::NotificationWait {
        notification: THREAD_OBJECT,
        timeout: 0,
    }))
}

/// A fresh endpoint or notification from our quota.
fn object(endpoint: bool) -> Result<Slot, alloc::string::String> {
    let slot = slot()?;
    let quota = initial::MEMORY_QUOTA;
    let created = if endpoint {
        call(Call::EndpointCreate {
            quota,
            destination: slot,
        })
    } else {
        call(Call::NotificationCreate {
            quota,
            destination: slot,
        })
    };
    step("create object", created)?;
    Ok(slot)
}

fn state_of(environment: Slot) -> Option<EnvironmentState> {
    call(Call::EnvironmentStatus { environment })
        .ok()
        .and_then(|words| EnvironmentState::from_code(words[0]).ok())
}

fn stopped_blocked_calls_return_interrupted() -> Outcome {
    for (endpoint, entry) in [
        (true, blocked_caller as extern "C" fn(u64) -> !),
        (false, blocked_waiter),
    ] {
        let what = if endpoint {
            "IpcCall"
        } else {
            "NotificationWait"
        };
        let object = object(endpoint)?;
        let child = step(
            "start thread",
            spawn_thread(entry, 0, &[(object, THREAD_OBJECT)]),
        )?;
        let environment = child.environment();
        let blocked = wait_until(2_000_000_000, || {
            state_of(environment) == Some(EnvironmentState::Blocked)
        });
        let stop = call(Call::EnvironmentStop { environment });
        let stopped = state_of(environment);
        let start = call(Call::EnvironmentStart { environment });
        let ending = child.wait(5_000_000_000);
        // Nothing was delivered: a receiver now finds no queued call.
        let queued = if endpoint {
            call(Call::IpcReceive {
                endpoint: object,
                receive: OptionalSlot(None),
                timeout: 20_000_000,
            })
        } else {
            Err(KernelError::TimedOut)
        };
        child.reap();
        release(object);
        ensure!(blocked, "{what}: the thread never blocked");
        let stop = step("stop", stop)?;
        ensure!(stop[0] == 0, "{what}: the stop was deferred");
        ensure!(
            stopped == Some(EnvironmentState::Stopped),
            "{what}: state after stop {stopped:?}"
        );
        step("start", start)?;
        let ending = step("wait", ending)?;
        ensure!(
            ending == Ending::Exited(KernelError::Interrupted.code()),
            "{what}: the thread ended {ending:?}, not with Interrupted"
        );
        ensure!(
            queued == Err(KernelError::TimedOut),
            "{what}: the interrupted call was still delivered: {queued:?}"
        );
    }
    Ok(())
}

fn stop_of_a_call_a_server_took_waits_for_the_reply() -> Outcome {
    let endpoint = object(true)?;
    let child = step(
        "start caller",
        spawn_thread(blocked_caller, 0, &[(endpoint, THREAD_OBJECT)]),
    )?;
    let environment = child.environment();
    let received = call(Call::IpcReceive {
        endpoint,
        receive: OptionalSlot(None),
        timeout: 2_000_000_000,
    });
    let stop = call(Call::EnvironmentStop { environment });
    let while_pending = state_of(environment);
    // Starting it cancels the deferred stop; stopping again defers again.
    let cancel = call(Call::EnvironmentStart { environment });
    let stop_again = call(Call::EnvironmentStop { environment });
    let stop_twice = call(Call::EnvironmentStop { environment });
    let reply = call(Call::IpcReply {
        word0: 99,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(None),
    });
    let after_reply = state_of(environment);
    let start = call(Call::EnvironmentStart { environment });
    let ending = child.wait(5_000_000_000);
    child.reap();
    release(endpoint);
    let received = step("receive the call", received)?;
    ensure!(received[2] == 7, "received word {}", received[2]);
    let stop = step("stop", stop)?;
    ensure!(stop[0] == 1, "the stop of a taken call was not deferred");
    ensure!(
        while_pending == Some(EnvironmentState::Blocked),
        "state before the reply {while_pending:?}"
    );
    step("start cancels the deferred stop", cancel)?;
    ensure!(
        step("stop again", stop_again)?[0] == 1,
        "the second stop was not deferred"
    );
    ensure!(
        stop_twice == Err(KernelError::InvalidState),
        "stopping an environment whose stop is deferred gave {stop_twice:?}"
    );
    step("reply", reply)?;
    ensure!(
        after_reply == Some(EnvironmentState::Stopped),
        "state after the reply {after_reply:?}"
    );
    step("start", start)?;
    let ending = step("wait", ending)?;
    ensure!(
        ending == Ending::Exited(1099),
        "the caller ended {ending:?}, not with the reply"
    );
    Ok(())
}

/// A server thread: receives on its endpoint; exits with 1000 + the bits of a bound
/// notification, or 2000 + word 0 of a call (replying first), or the error code.
extern "C" fn bound_receiver(_: u64) -> ! {
    match receive(THREAD_OBJECT, None, 5_000_000_000) {
        Ok(Received::Notification { bits }) => exit(1000 + bits),
        Ok(Received::Message { words, .. }) => {
            let _ = call(Call::IpcReply {
                word0: 0,
                word1: 0,
                word2: 0,
                transfer: OptionalSlot(None),
            });
            exit(2000 + words[0])
        }
        Err(error) => exit(error.code()),
    }
}

fn receiver_wakes_for_a_bound_notification() -> Outcome {
    let endpoint = object(true)?;
    let notification = object(false)?;
    let other_endpoint = object(true)?;
    let bound = bind_notification(notification, Some(endpoint));
    let rebound_same = bind_notification(notification, Some(endpoint));
    let bound_elsewhere = bind_notification(notification, Some(other_endpoint));
    // A server blocked in receive wakes for the signal, and says it was the notification.
    let child = step(
        "start receiver",
        spawn_thread(bound_receiver, 0, &[(endpoint, THREAD_OBJECT)]),
    )?;
    let blocked = wait_until(2_000_000_000, || {
        state_of(child.environment()) == Some(EnvironmentState::Blocked)
    });
    let signal = call(Call::NotificationSignal {
        notification,
        bits: 0b101,
    });
    let ending = child.wait(5_000_000_000);
    child.reap();
    // Bits set before a receive are taken at once, ahead of nothing queued.
    let early_signal = call(Call::NotificationSignal {
        notification,
        bits: 0b10,
    });
    let early = receive(endpoint, None, 1_000_000_000);
    // Unbound, a signal no longer reaches the receiver.
    let unbound = bind_notification(notification, None);
    let _ = call(Call::NotificationSignal {
        notification,
        bits: 1,
    });
    let after_unbind = receive(endpoint, None, 20_000_000);
    let left = call(Call::NotificationPoll { notification });
    for slot in [endpoint, notification, other_endpoint] {
        release(slot);
    }
    step("bind", bound)?;
    step("bind the same pair again", rebound_same)?;
    ensure!(
        bound_elsewhere == Err(KernelError::InvalidState),
        "binding a bound notification elsewhere gave {bound_elsewhere:?}"
    );
    ensure!(blocked, "the receiver never blocked");
    step("signal", signal)?;
    let ending = step("wait for the receiver", ending)?;
    ensure!(
        ending == Ending::Exited(1000 + 0b101),
        "the receiver ended {ending:?}, not woken by the notification"
    );
    step("early signal", early_signal)?;
    let early = step("receive with bits set", early)?;
    ensure!(
        early == Received::Notification { bits: 0b10 },
        "receive with bits already set returned {early:?}"
    );
    step("unbind", unbound)?;
    ensure!(
        after_unbind == Err(KernelError::TimedOut),
        "after unbinding, receive returned {after_unbind:?}"
    );
    ensure!(
        step("poll", left)?[0] == 1,
        "the unbound notification did not keep its bits"
    );
    Ok(())
}

/// A server that answers each call with word 0 + 1 through `IpcReplyReceive` until word 0 is
/// `u64::MAX`; exits with how many calls it served.
extern "C" fn reply_receive_server(_: u64) -> ! {
    let mut served = 0;
    let mut next = receive(THREAD_OBJECT, None, 0);
    loop {
        match next {
            Ok(Received::Message { words, .. }) if words[0] != u64::MAX => {
                served += 1;
                next = reply_and_receive(THREAD_OBJECT, [words[0] + 1, 0, 0], None, None);
            }
            Ok(_) => {
                let _ = call(Call::IpcReply {
                    word0: 0,
                    word1: 0,
                    word2: 0,
                    transfer: OptionalSlot(None),
                });
                exit(served)
            }
            Err(error) => exit(10_000 + error.code()),
        }
    }
}

fn reply_and_receive_serves_a_sequence_of_calls() -> Outcome {
    let endpoint = object(true)?;
    let notification = object(false)?;
    let child = step(
        "start server",
        spawn_thread(reply_receive_server, 0, &[(endpoint, THREAD_OBJECT)]),
    )?;
    let mut answers = alloc::vec::Vec::new();
    for value in 0..50u64 {
        answers.push(call(Call::IpcCall {
            endpoint,
            word0: value * 3,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        }));
    }
    let _ = call(Call::IpcCall {
        endpoint,
        word0: u64::MAX,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(None),
        receive: OptionalSlot(None),
    });
    let ending = child.wait(5_000_000_000);
    child.reap();
    // With no call to answer, it only receives; with a bad endpoint it does nothing.
    let _ = call(Call::NotificationSignal {
        notification,
        bits: 8,
    });
    let _ = bind_notification(notification, Some(endpoint));
    let lone = reply_and_receive(endpoint, [1, 2, 3], None, None);
    let bad = reply_and_receive(notification, [0; 3], None, None);
    release(endpoint);
    release(notification);
    for (value, answer) in answers.into_iter().enumerate() {
        let answer = step("call", answer)?;
        ensure!(
            answer[1] == value as u64 * 3 + 1,
            "call {value} was answered {}",
            answer[1]
        );
    }
    let ending = step("wait for the server", ending)?;
    ensure!(ending == Ending::Exited(50), "the server ended {ending:?}");
    let lone = step("reply-receive with nothing to answer", lone)?;
    ensure!(
        lone == Received::Notification { bits: 8 },
        "reply-receive with nothing to answer returned {lone:?}"
    );
    ensure!(
        bad == Err(KernelError::WrongKind),
        "reply-receive on a notification gave {bad:?}"
    );
    Ok(())
}

fn cycles() -> u64 {
    // SAFETY: `rdtsc` only reads the timestamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The fewest cycles `work` took over `trials` runs (the least disturbed by preemption).
fn fewest_cycles(trials: u32, mut work: impl FnMut()) -> u64 {
    (0..trials)
        .map(|_| {
            let start = cycles();
            work();
            cycles() - start
        })
        .min()
        .unwrap_or(u64::MAX)
}

fn time_page_clocks_agree_with_clock_read_without_kernel_entries() -> Outcome {
    use libos::clock::{clock_monotonic, clock_realtime, has_time_page};
    ensure!(has_time_page(), "this program was given no time page");
    // One tick: the kernel timer's period.
    const TICK: u64 = 10_000_000;
    for _ in 0..100 {
        let before = libos::kernel::clock_nanoseconds();
        let from_page = clock_monotonic();
        let after = libos::kernel::clock_nanoseconds();
        ensure!(
            before <= from_page + TICK && from_page <= after + TICK,
            "time page {from_page} outside ClockRead {before}..{after}"
        );
    }
    // CLOCK_REALTIME: after 2020-01-01 and before 2100-01-01 (the RTC's date, in UTC).
    let realtime = step("clock_realtime", clock_realtime())? / 1_000_000_000;
    ensure!(
        (1_577_836_800..4_102_444_800).contains(&realtime),
        "real time {realtime} s since 1970 is not a plausible date"
    );
    let realtime_again = step("clock_realtime", clock_realtime())? / 1_000_000_000;
    ensure!(realtime_again >= realtime, "real time went backwards");
    // No kernel entry: reads from the page cost far less than the same number of ClockReads.
    const READS: u32 = 200;
    let mut sink = 0u64;
    let page_cycles = fewest_cycles(5, || {
        for _ in 0..READS {
            sink = sink.wrapping_add(clock_monotonic());
        }
    });
    let kernel_cycles = fewest_cycles(5, || {
        for _ in 0..READS {
            sink = sink.wrapping_add(libos::kernel::clock_nanoseconds());
        }
    });
    ensure!(sink != 0, "the clocks read zero");
    ensure!(
        page_cycles * 3 < kernel_cycles,
        "{READS} time-page reads took {page_cycles} cycles, {READS} ClockReads {kernel_cycles}: \
         the page reads are not free of kernel entries"
    );
    Ok(())
}

fn one_shot_and_periodic_timers_signal_their_notification() -> Outcome {
    use libos::clock::clock_monotonic;
    use libos::timer;
    let quota = initial::MEMORY_QUOTA;
    let quota_before = step("quota", call(Call::CapabilityIdentify { slot: quota }))?[3];
    let notification = object(false)?;
    let one_shot = slot()?;
    let periodic = slot()?;
    step(
        "create one-shot",
        timer::create(quota, one_shot, notification, 0b01),
    )?;
    step(
        "create periodic",
        timer::create(quota, periodic, notification, 0b10),
    )?;
    let identified = step(
        "identify",
        call(Call::CapabilityIdentify { slot: one_shot }),
    )?;
    ensure!(
        identified[0] == libos::abi::ObjectKind::Timer as u64,
        "a timer identifies as kind {}",
        identified[0]
    );
    // Disarmed timers never fire.
    let quiet = call(Call::NotificationWait {
        notification,
        timeout: 30_000_000,
    });
    ensure!(
        quiet == Err(KernelError::TimedOut),
        "a disarmed timer signalled: {quiet:?}"
    );
    let start = clock_monotonic();
    step("arm one-shot", timer::arm(one_shot, start + 30_000_000, 0))?;
    let bits = step(
        "wait for the one-shot",
        call(Call::NotificationWait {
            notification,
            timeout: 2_000_000_000,
        }),
    )?[0];
    let fired = clock_monotonic();
    ensure!(bits == 0b01, "the one-shot signalled {bits:#b}");
    ensure!(
        fired >= start + 30_000_000,
        "the one-shot fired {} ns early",
        start + 30_000_000 - fired
    );
    ensure!(
        !step("disarm a fired one-shot", timer::disarm(one_shot))?,
        "a fired one-shot is still armed"
    );
    // Periodic: fires repeatedly until disarmed.
    let period = 20_000_000;
    step(
        "arm periodic",
        timer::arm(periodic, clock_monotonic() + period, period),
    )?;
    let mut firings = 0;
    for _ in 0..4 {
        let bits = step(
            "wait for the periodic timer",
            call(Call::NotificationWait {
                notification,
                timeout: 2_000_000_000,
            }),
        )?[0];
        ensure!(bits == 0b10, "the periodic timer signalled {bits:#b}");
        firings += 1;
    }
    ensure!(
        step("disarm periodic", timer::disarm(periodic))?,
        "the periodic timer was not armed"
    );
    let _ = call(Call::NotificationPoll { notification });
    let after_disarm = call(Call::NotificationWait {
        notification,
        timeout: 3 * period,
    });
    ensure!(
        after_disarm == Err(KernelError::TimedOut),
        "the disarmed periodic timer still signalled: {after_disarm:?}"
    );
    // An armed timer whose notification dies is disarmed; arming it again fails.
    step("re-arm periodic", timer::arm(periodic, 0, period))?;
    release(notification);
    let orphan = timer::arm(periodic, 0, 0);
    let wrong_kind = timer::arm(initial::MEMORY_QUOTA, 0, 0);
    release(one_shot);
    release(periodic);
    let quota_after = step("quota", call(Call::CapabilityIdentify { slot: quota }))?[3];
    ensure!(firings == 4, "{firings} periodic firings");
    ensure!(
        orphan == Err(KernelError::PeerGone),
        "arming a timer whose notification is gone gave {orphan:?}"
    );
    ensure!(
        wrong_kind == Err(KernelError::WrongKind),
        "arming a quota gave {wrong_kind:?}"
    );
    ensure!(
        quota_after == quota_before,
        "the timers' charges were not refunded: {quota_before} -> {quota_after} pages"
    );
    Ok(())
}

static WOKEN_ORDER: AtomicU64 = AtomicU64::new(0);

/// Waits on its own never-signalled notification for `argument` × 10 ms, then records its turn.
extern "C" fn sleeper(argument: u64) -> ! {
    let result = call(Call::NotificationWait {
        notification: THREAD_OBJECT,
        timeout: argument * 10_000_000,
    });
    let turn = WOKEN_ORDER.fetch_add(1, Ordering::SeqCst);
    exit(match result {
        Err(KernelError::TimedOut) => 100 + turn,
        _ => 1,
    })
}

fn many_sleepers_time_out_in_deadline_order() -> Outcome {
    // Sleepers started longest first still wake shortest first: the queue orders by deadline.
    const SLEEPERS: u64 = 6;
    WOKEN_ORDER.store(0, Ordering::SeqCst);
    let notification = object(false)?;
    let mut children = alloc::vec::Vec::new();
    for index in 0..SLEEPERS {
        // 80 ms apart: the order holds even if starting one thread is slow on a busy host.
        let delay = (SLEEPERS - index) * 8;
        children.push(step(
            "start sleeper",
            spawn_thread(sleeper, delay, &[(notification, THREAD_OBJECT)]),
        )?);
    }
    let mut endings = alloc::vec::Vec::new();
    for child in children {
        endings.push(child.wait(5_000_000_000));
        child.reap();
    }
    release(notification);
    for (index, ending) in endings.into_iter().enumerate() {
        let ending = step("wait for a sleeper", ending)?;
        let expected = 100 + (SLEEPERS - 1 - index as u64);
        ensure!(
            ending == Ending::Exited(expected),
            "sleeper {index} ended {ending:?}, expected turn {}",
            expected - 100
        );
    }
    Ok(())
}

fn a_hundred_timers_due_at_once_all_fire() -> Outcome {
    // More timers due at the same instant than one tick handles (64): the rest fire a tick later.
    const TIMERS: u64 = 100;
    let notification = object(false)?;
    let mut timers = alloc::vec::Vec::new();
    let mut failure = None;
    let deadline = libos::clock::clock_monotonic() + 20_000_000;
    for index in 0..TIMERS {
        let timer = slot()?;
        let made = libos::timer::create(
            initial::MEMORY_QUOTA,
            timer,
            notification,
            1 << (index % 64),
        )
        .and_then(|()| libos::timer::arm(timer, deadline, 0));
        timers.push(timer);
        if let Err(error) = made {
            failure = Some(error);
            break;
        }
    }
    // Collect signals until none has come for 60 ms (six ticks): by then every timer fired.
    let mut bits = 0u64;
    let give_up = libos::clock::clock_monotonic() + 2_000_000_000;
    while libos::clock::clock_monotonic() < give_up {
        match call(Call::NotificationWait {
            notification,
            timeout: 60_000_000,
        }) {
            Ok(words) => bits |= words[0],
            Err(_) => break,
        }
    }
    let mut still_armed = 0;
    for timer in timers {
        if libos::timer::disarm(timer) == Ok(true) {
            still_armed += 1;
        }
        release(timer);
    }
    release(notification);
    if let Some(error) = failure {
        return Err(alloc::format!("creating and arming the timers: {error}"));
    }
    ensure!(bits == u64::MAX, "only bits {bits:#x} arrived");
    ensure!(
        still_armed == 0,
        "{still_armed} one-shot timers never fired"
    );
    Ok(())
}

/// Sets an upcall handler whose stack is not mapped, then makes a foreign call: the kernel
/// cannot write the frame, so this thread ends as `Faulted` with the foreign-call vector.
extern "C" fn foreign_caller_without_stack(_: u64) -> ! {
    let unmapped_stack = 0x0000_0f00_0000_0000;
    if set_handler(
        initial::SELF_ENVIRONMENT,
        personality,
        unmapped_stack,
        HandlerOptions::FOREIGN_SYSTEM_CALLS,
    )
    .is_err()
    {
        exit(2)
    }
    let result = raw(LINUX_GETPID, [0; 6]);
    exit(100 + result.min(100))
}

fn foreign_call_with_an_unusable_upcall_stack_kills_only_its_caller() -> Outcome {
    let child = step(
        "start thread",
        spawn_thread(foreign_caller_without_stack, 0, &[]),
    )?;
    let ending = child.wait(5_000_000_000);
    child.reap();
    let ending = step("wait for the thread", ending)?;
    ensure!(
        ending
            == Ending::Faulted {
                vector: FOREIGN_SYSTEM_CALL_VECTOR,
                address: 0
            },
        "the thread ended {ending:?}"
    );
    // And we (and the kernel) carry on.
    ensure!(
        libos::kernel::clock_nanoseconds() != 0,
        "the kernel stopped answering"
    );
    Ok(())
}

/// The second object slot of the ping-pong threads: the notification they signal.
const SECOND_OBJECT: Slot = Slot(initial::FIRST_FREE_SLOT.0 + 1);
/// Set to end the ping-pong threads and the spinner.
static PAIR_STOP: AtomicBool = AtomicBool::new(false);
/// Round trips the ping-pong threads made.
static PAIR_ROUNDS: AtomicU64 = AtomicU64::new(0);

/// One of a pair handing the processor back and forth: waits on its notification, signals the
/// other's (a `NotificationSignal` to a waiter runs it at once, in the signaller's time slice).
extern "C" fn ping_pong(first: u64) -> ! {
    if first == 1 {
        let _ = call(Call::NotificationSignal {
            notification: SECOND_OBJECT,
            bits: 1,
        });
    }
    while !PAIR_STOP.load(Ordering::SeqCst) {
        if call(Call::NotificationWait {
            notification: THREAD_OBJECT,
            timeout: 0,
        })
        .is_err()
        {
            exit(2);
        }
        PAIR_ROUNDS.fetch_add(1, Ordering::Relaxed);
        let _ = call(Call::NotificationSignal {
            notification: SECOND_OBJECT,
            bits: 1,
        });
    }
    exit(0)
}

extern "C" fn spinner(_: u64) -> ! {
    while !PAIR_STOP.load(Ordering::SeqCst) {
        core::hint::spin_loop();
    }
    exit(0)
}

/// Processor time (user and kernel, nanoseconds) an environment has used.
fn processor_time(environment: Slot) -> u64 {
    call(Call::EnvironmentStatus { environment }).map_or(0, |words| words[3] + words[4])
}

fn a_signalling_pair_leaves_a_spinner_its_share() -> Outcome {
    // Two threads ping-pong through notifications while a third spins: the signaller's slice
    // goes to the woken waiter, but the timer still sends the running one to the back of the
    // queue, so the spinner keeps about half the processor (round robin between it and the
    // pair). Shares of the environments' own processor time do not depend on how busy the host
    // is; a quarter leaves room for noise, a starved spinner would get next to none.
    PAIR_STOP.store(false, Ordering::SeqCst);
    PAIR_ROUNDS.store(0, Ordering::SeqCst);
    let ping = object(false)?;
    let pong = object(false)?;
    let pause = object(false)?;
    let spin = step("start the spinner", spawn_thread(spinner, 0, &[]))?;
    let first = step(
        "start the first of the pair",
        spawn_thread(
            ping_pong,
            1,
            &[(ping, THREAD_OBJECT), (pong, SECOND_OBJECT)],
        ),
    )?;
    let second = step(
        "start the second of the pair",
        spawn_thread(
            ping_pong,
            0,
            &[(pong, THREAD_OBJECT), (ping, SECOND_OBJECT)],
        ),
    )?;
    // Let them run for 300 ms while we sleep.
    let slept = call(Call::NotificationWait {
        notification: pause,
        timeout: 300_000_000,
    });
    let spinner_time = processor_time(spin.environment());
    let pair_time = processor_time(first.environment()) + processor_time(second.environment());
    let rounds = PAIR_ROUNDS.load(Ordering::SeqCst);
    PAIR_STOP.store(true, Ordering::SeqCst);
    for notification in [ping, pong] {
        let _ = call(Call::NotificationSignal {
            notification,
            bits: 1,
        });
    }
    let mut endings = alloc::vec::Vec::new();
    for child in [spin, first, second] {
        endings.push(child.wait(5_000_000_000));
        child.reap();
    }
    for slot in [ping, pong, pause] {
        release(slot);
    }
    ensure!(
        slept == Err(KernelError::TimedOut),
        "the pause ended {slept:?}"
    );
    for ending in endings {
        let ending = step("wait for a thread", ending)?;
        ensure!(ending == Ending::Exited(0), "a thread ended {ending:?}");
    }
    ensure!(rounds >= 100, "the pair made only {rounds} round trips");
    let total = spinner_time + pair_time;
    ensure!(
        spinner_time * 4 >= total,
        "the spinner got {spinner_time} ns of {total} ns beside the pair's {rounds} round trips"
    );
    Ok(())
}
