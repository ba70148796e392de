//! The register-only IPC round trip, measured (a figure for docs/, never a pass/fail).

use core::sync::atomic::{AtomicU64, Ordering};

use libos::abi::{Call, OptionalSlot, Slot, initial};
use libos::ipc::{Received, receive, reply_and_receive};
use libos::kernel::{call, exit};
use libos::println;
use libos::process::spawn_thread;

use crate::support::{release, slot};

const ROUNDS: u64 = 2_000;
const ECHO_ENDPOINT: Slot = Slot(10);

extern "C" fn echo(_: u64) -> ! {
    let Ok(mut message) = receive(ECHO_ENDPOINT, None, 0) else {
        exit(1)
    };
    loop {
        let Received::Message { words, .. } = message else {
            exit(4)
        };
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

/// Prints `benchmark ipc-round-trip cycles=… nanoseconds=…` for one call/reply pair.
pub fn ipc_round_trip() {
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
    let Ok(server) = spawn_thread(echo, 0, &[(endpoint, ECHO_ENDPOINT)]) else {
        return;
    };
    let round = |value: u64| {
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
        "benchmark ipc-round-trip cycles={} nanoseconds={} rounds={ROUNDS} (TCG: compare only within one run)",
        elapsed_cycles / ROUNDS,
        elapsed_time / ROUNDS
    );
}
