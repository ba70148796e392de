//! The register-only IPC round trip and the null kernel call, measured (figures for docs/,
//! never a pass/fail).

use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, OptionalSlot, Slot, initial};
use libos::ipc::{Received, receive, reply_and_receive};
use libos::kernel::{call, exit};
use libos::println;
use libos::process::spawn_thread;

use crate::support::{release, slot};

const ROUNDS: u64 = 2_000;
const ECHO_ENDPOINT: Slot = Slot(10);

/// Writes one SSE register, as code built with SSE (Rust `std`, musl) does all the time: with
/// it, both sides of the round trip own live vector state that every switch must carry.
fn touch_vector_register(value: u64) {
    // SAFETY: writes xmm0 only, which this soft-float program never allocates.
    unsafe { core::arch::asm!("movq xmm0, {}", in(reg) value, options(nomem, nostack)) };
}

extern "C" fn echo(touch_vector_registers: u64) -> ! {
    let Ok(mut message) = receive(ECHO_ENDPOINT, None, 0) else {
        exit(1)
    };
    loop {
        let Received::Message { words, .. } = message else {
            exit(4)
        };
        if touch_vector_registers != 0 {
            touch_vector_register(words[0]);
        }
        if words[0] == u64::MAX {
            let _ = call(Call::IpcReply {
                word0: 0,
                word1: 0,
                word2: 0,
                transfer: OptionalSlot(None),
            });
            exit(0);
        }
        // One kernel entry answers this call and waits for the next.
        match reply_and_receive(ECHO_ENDPOINT, [words[0] + 1, 0, 0], None, None) {
            Ok(next) => message = next,
            Err(_) => exit(3),
        }
    }
}

fn cycles() -> u64 {
    // SAFETY: `rdtsc` only reads the timestamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Prints `benchmark ipc-round-trip cycles=… nanoseconds=…` for one call/reply pair, or
/// `benchmark ipc-round-trip-sse …` when both sides write an SSE register every round.
pub fn ipc_round_trip(touch_vector_registers: bool) {
    static RESULT: AtomicU64 = AtomicU64::new(0);
    let Ok(endpoint) = slot() else { return };
    if call(Call::EndpointCreate {
        quota: initial::MEMORY_QUOTA,
        destination: endpoint,
    })
    .is_err()
    {
        return;
    }
    let Ok(server) = spawn_thread(
        echo,
        u64::from(touch_vector_registers),
        &[(endpoint, ECHO_ENDPOINT)],
    ) else {
        return;
    };
    let round = |value: u64| {
        if touch_vector_registers {
            touch_vector_register(value);
        }
        call(Call::IpcCall {
            endpoint,
            word0: value,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        })
    };
    for value in 0..100 {
        let _ = round(value);
    }
    let start_cycles = cycles();
    let start_time = libos::kernel::clock_nanoseconds();
    for value in 0..ROUNDS {
        if let Ok(reply) = round(value) {
            RESULT.store(reply[1], Ordering::Relaxed);
        }
    }
    let elapsed_cycles = cycles() - start_cycles;
    let elapsed_time = libos::kernel::clock_nanoseconds() - start_time;
    let _ = round(u64::MAX);
    let _ = server.wait(1_000_000_000);
    server.reap();
    release(endpoint);
    println!(
        "benchmark ipc-round-trip{} cycles={} nanoseconds={} rounds={ROUNDS} (TCG: compare only within one run)",
        if touch_vector_registers { "-sse" } else { "" },
        elapsed_cycles / ROUNDS,
        elapsed_time / ROUNDS
    );
}

/// Prints `benchmark null-call cycles=…` for one `ClockRead` (the cheapest kernel call: no
/// capability lookup, no switch).
pub fn null_call() {
    const CALLS: u64 = 20_000;
    for _ in 0..1_000 {
        let _ = call(Call::ClockRead {});
    }
    let start_cycles = cycles();
    for _ in 0..CALLS {
        let _ = call(Call::ClockRead {});
    }
    let elapsed_cycles = cycles() - start_cycles;
    println!(
        "benchmark null-call cycles={} calls={CALLS} (TCG: compare only within one run)",
        elapsed_cycles / CALLS
    );
}
