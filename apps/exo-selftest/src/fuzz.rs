//! Random kernel calls: a child process makes calls with random numbers, slots and arguments
//! (including pointers into its own memory and nonsense), counting each in a page it shares
//! with us. Whatever it does to itself, the kernel must keep running, and everything it had
//! must come back when it is reaped. Every call number is drawn except `Exit`.

use alloc::format;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, CallNumber, EnvironmentState, PageCount, RawCall, Rights, Slot, initial};
use libos::kernel::{call, call_raw, exit};
use libos::memory::map;
use libos::process::spawn;
use libos::well_known_slots;

use crate::ensure;
use crate::support::{Outcome, release, slot, step, test_address};

/// Calls the whole test makes: enough to reach every call with many argument shapes, few enough
/// to keep the suite's run to seconds (the adversarial suite, `exo-attack`, goes further).
const TOTAL_CALLS: u64 = 20_000;
/// Where the child maps the shared counter page.
const CHILD_COUNTER_ADDRESS: u64 = 0x0000_6000_0000_0000;
/// Slots the child receives: the counter frame, an endpoint, a notification. None is a
/// well-known slot a spawned process's LibOS uses (`libos::well_known_slots`): slot 8, say,
/// would be taken for the signal page.
const CHILD_COUNTER: Slot = Slot(9);
const CHILD_ENDPOINT: Slot = Slot(14);
const CHILD_NOTIFICATION: Slot = Slot(15);
/// The servers' capabilities a spawned process is given, which the child deletes before its
/// first random call: this test is about the kernel. Random messages to the process server
/// would be honoured as the child's own requests — `KILL` of any process a root process may
/// signal (`kill(-1, SIGSTOP)` stops the whole test run), alarms, process groups — and the
/// servers' own hostile-input checks live in their suites (`posix-signal-tests`' raw messages,
/// `posix-process-tests`' forged calls, `posix-event-tests`' raw socket calls).
const SERVER_SLOTS: [Slot; 6] = [
    well_known_slots::PROCESS_SERVER,
    well_known_slots::SIGNAL_PAGE,
    well_known_slots::SOCKET_SERVER,
    well_known_slots::UNPRIVILEGED_SOCKET_SERVER,
    well_known_slots::FILE_SERVER,
    well_known_slots::UNPRIVILEGED_FILE_SERVER,
];

/// A small deterministic generator (xorshift64*).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// An argument: usually something plausible, sometimes anything.
    fn argument(&mut self) -> u64 {
        match self.next() % 10 {
            0 => self.next(),
            1 | 2 => self.next() % 16,
            3 => 0x20_0000 + (self.next() % 0x4_0000),
            4 => 0x0000_1000_0000_0000 + (self.next() % 0x10_0000),
            5 => (self.next() % 0x0000_8000_0000_0000) & !0xfff,
            6 => self.next() % 0x800,
            7 => self.next() % 8 + 1,
            8 => u64::MAX - self.next() % 4096,
            _ => 0,
        }
    }
}

/// The child: `count` random calls, each counted in the shared page.
pub fn run_child(seed: u64, count: u64) -> ! {
    if map(
        initial::SELF_ADDRESS_SPACE,
        CHILD_COUNTER,
        CHILD_COUNTER_ADDRESS,
        0,
        1,
        Rights::READ | Rights::WRITE,
    )
    .is_err()
    {
        exit(2);
    }
    // No console: random writes to it would garble the test output. No server capabilities
    // either (`SERVER_SLOTS`).
    for slot in core::iter::once(initial::CONSOLE).chain(SERVER_SLOTS) {
        let _ = call(Call::CapabilityDelete { slot });
    }
    // SAFETY: the counter page was just mapped read-write; the parent only reads it.
    let counter = unsafe { &*(CHILD_COUNTER_ADDRESS as *const AtomicU64) };
    let mut random = Random(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let numbers = CallNumber::ALL.len() as u64;
    for _ in 0..count {
        let number = if random.next().is_multiple_of(16) {
            random.next()
        } else {
            CallNumber::BASE + random.next() % (numbers + 2)
        };
        // `Exit` is the one call left out: it would only end the fuzzer, never reach the kernel's
        // other paths, and it would end it every few dozen calls.
        if number == CallNumber::Exit as u64 {
            continue;
        }
        let arguments = [0; 6].map(|_: u64| random.argument());
        let _ = call_raw(&RawCall { number, arguments });
        counter.fetch_add(1, Ordering::Relaxed);
    }
    exit(0)
}

/// The test: runs fuzzing children until they made `TOTAL_CALLS` calls between them.
pub fn random_kernel_calls_never_hurt_the_kernel() -> Outcome {
    let quota_before = step(
        "identify quota",
        call(Call::CapabilityIdentify {
            slot: initial::MEMORY_QUOTA,
        }),
    )?[3];
    let counter_frame = slot()?;
    step(
        "counter frame",
        call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: counter_frame,
            pages: PageCount(1),
        }),
    )?;
    let counter_address = test_address();
    step(
        "map counter",
        map(
            initial::SELF_ADDRESS_SPACE,
            counter_frame,
            counter_address,
            0,
            1,
            Rights::READ | Rights::WRITE,
        ),
    )?;
    // SAFETY: mapped read-write just above, for as long as this test runs.
    let counter = unsafe { &*(counter_address as *const AtomicU64) };
    let endpoint = slot()?;
    step(
        "endpoint",
        call(Call::EndpointCreate {
            quota: initial::MEMORY_QUOTA,
            destination: endpoint,
        }),
    )?;
    let notification = slot()?;
    step(
        "notification",
        call(Call::NotificationCreate {
            quota: initial::MEMORY_QUOTA,
            destination: notification,
        }),
    )?;

    let mut total = 0;
    let mut children = 0;
    while total < TOTAL_CALLS {
        ensure!(children < 500, "500 children made only {total} calls");
        children += 1;
        counter.store(0, Ordering::SeqCst);
        let command = format!("exo-selftest fuzz {children} {}", TOTAL_CALLS - total);
        let extra = [
            (counter_frame, CHILD_COUNTER),
            (endpoint, CHILD_ENDPOINT),
            (notification, CHILD_NOTIFICATION),
        ];
        let child = match spawn("/bin/exo-selftest", &command, &extra) {
            Ok(child) => child,
            Err(error) => return Err(format!("spawning fuzzer {children} failed: {error:?}")),
        };
        // Let it run until it ends or stops making progress (blocked for good in a random wait).
        let mut last = 0;
        loop {
            let _ = child.wait(200_000_000);
            let state = call(Call::EnvironmentStatus {
                environment: child.environment(),
            })
            .map_or(0, |status| status[0]);
            let now = counter.load(Ordering::SeqCst);
            let ended = state == EnvironmentState::Exited as u64
                || state == EnvironmentState::Faulted as u64;
            if ended || now == last {
                break;
            }
            last = now;
        }
        child.reap();
        total += counter.load(Ordering::SeqCst);
    }
    // The kernel still works, and every page the children had came back.
    release(notification);
    release(endpoint);
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, counter_address, 1);
    release(counter_frame);
    // What the children's ends released is reclaimed in the background: give it a moment.
    let quota_now = || {
        call(Call::CapabilityIdentify {
            slot: initial::MEMORY_QUOTA,
        })
        .map_or(0, |words| words[3])
    };
    crate::support::wait_until(5_000_000_000, || quota_now() == quota_before);
    let quota_after = quota_now();
    ensure!(
        quota_after == quota_before,
        "pages leaked: quota had {quota_before} pages before, {quota_after} after {children} fuzzers"
    );
    libos::println!(
        "fuzz: {total} random calls by {children} children; kernel alive, no pages leaked"
    );
    Ok(())
}
