//! `exo-attack`: attacks the kernel's ABI directly, bypassing the LibOS, as a hostile program
//! would. Every attack is a named check that fails if the kernel crashes, hangs, leaks a page,
//! spends memory nobody paid for, stays busy too long in one call, or lets the attack succeed.
//!
//! - `exo-attack` runs every check (the `exo-attack` suite of the test protocol);
//! - `exo-attack only NAME…` runs the named checks; `exo-attack list` lists them;
//! - `exo-attack soak SECONDS` makes random calls for that long (not run by default).
//!
//! `hide-exit`, `hide-exit-late` and `fuzz` are the child programs some checks start.
#![no_std]
#![no_main]

extern crate alloc;

/// `ensure!(condition, reason…)`, shared by every test program.
pub(crate) use libos::ensure;

mod arena;
mod checks;
mod raw;
mod stub;
mod support;
mod watchdog;

use alloc::string::String;
use alloc::vec::Vec;

use libos::{Startup, println};

libos::main!(main);

/// Bytes our own heap is grown by before any check runs, so that no check sees our heap take
/// frames from our quota in the middle of an attack.
const HEAP_RESERVE: usize = 2 * 1024 * 1024;

fn main(startup: &Startup) -> i32 {
    let arguments: Vec<String> = startup.arguments().collect();
    let word = |index: usize| arguments.get(index).map_or("", String::as_str);
    match word(1) {
        "hide-exit" => checks::exit_watch::hide_exit_child(false),
        "hide-exit-late" => checks::exit_watch::hide_exit_child(true),
        "fuzz" => checks::random::fuzz_child(word(2).parse().unwrap_or(1)),
        "list" => {
            for check in checks::ALL {
                println!("{}", check.name);
            }
            0
        }
        "soak" => {
            reserve_heap();
            let seconds = word(2).parse().unwrap_or(60);
            println!("test-plan exo-attack 1");
            let outcome = checks::random::random_calls(seconds * support::SECOND)
                .and_then(|()| checks::kernel_still_works());
            match &outcome {
                Ok(()) => println!("test-result exo-attack random-calls-soak pass"),
                Err(reason) => println!("test-result exo-attack random-calls-soak fail {reason}"),
            }
            println!(
                "{} passed, {} failed",
                u8::from(outcome.is_ok()),
                u8::from(outcome.is_err())
            );
            i32::from(outcome.is_err())
        }
        "only" => {
            reserve_heap();
            let chosen: Vec<checks::Check> = checks::ALL
                .iter()
                .filter(|check| arguments[2..].iter().any(|name| name == check.name))
                .copied()
                .collect();
            if chosen.is_empty() || chosen.len() != arguments.len() - 2 {
                println!("exo-attack: unknown check name; `exo-attack list` lists them");
                return 2;
            }
            run(&chosen)
        }
        "" => {
            reserve_heap();
            run(checks::ALL)
        }
        other => {
            println!("exo-attack: unknown mode {other} (try list, only NAME, soak SECONDS)");
            2
        }
    }
}

/// Grows our heap once, up front.
fn reserve_heap() {
    let reserve: Vec<u8> = Vec::with_capacity(HEAP_RESERVE);
    drop(core::hint::black_box(reserve));
}

/// Runs one check. A check whose only failure is that the kernel's memory figure did not come
/// all the way back (every page did, the budget was kept) runs a second time: if the second run
/// gives everything back, the first run's shortfall was kernel tables keeping capacity they grew
/// (reported as `attack-metric NAME-retained-bytes N`), not a leak. A check that failed after a
/// call went over the time bound also runs a second time (see `raw::take_over_bound`).
fn run_one(check: &checks::Check) -> support::Outcome {
    let _ = arena::take_retained();
    let _ = raw::take_over_bound();
    let _ = arena::take_kernel_stretch();
    let first = (check.run)()
        .and_then(|()| checks::kernel_still_works())
        .and_then(|()| kernel_stretch_within_bound());
    let retained = arena::take_retained();
    let over_bound = raw::take_over_bound();
    if first.is_ok() || (retained == 0 && !over_bound) {
        return first;
    }
    if over_bound {
        println!(
            "attack: {} went over the time bound; running it once more",
            check.name
        );
    }
    let second = (check.run)()
        .and_then(|()| checks::kernel_still_works())
        .and_then(|()| kernel_stretch_within_bound());
    match second {
        Ok(()) => {
            if retained > 0 {
                println!("attack-metric {}-retained-bytes {retained}", check.name);
            }
            Ok(())
        }
        Err(reason) => Err(alloc::format!("{reason} (again on a second run)")),
    }
}

/// The longest stretch the kernel itself measured with interrupts off during the check
/// (`MemoryStatus` word 5) must be within the bound; it is exact where ring-3 timings of
/// restartable calls only bound it from above. Over the bound, the check runs once more (the host
/// can hold the virtual CPU up under TCG).
fn kernel_stretch_within_bound() -> support::Outcome {
    let stretch = arena::take_kernel_stretch();
    LONGEST_KERNEL_STRETCH.fetch_max(stretch, core::sync::atomic::Ordering::Relaxed);
    if stretch > raw::maximum_call_ticks() {
        raw::note_over_bound();
        return Err(alloc::format!(
            "the kernel kept interrupts off for {} ms in one entry (bound {} ms)",
            raw::ticks_to_milliseconds(stretch),
            raw::MAXIMUM_CALL_MILLISECONDS
        ));
    }
    Ok(())
}

/// The longest kernel-measured stretch over the checks run.
static LONGEST_KERNEL_STRETCH: core::sync::atomic::AtomicU64 =
    core::sync::atomic::AtomicU64::new(0);

/// Runs checks, printing the protocol, and returns the exit status.
fn run(checks: &[checks::Check]) -> i32 {
    println!("test-plan exo-attack {}", checks.len());
    let mut failed = 0;
    for check in checks {
        match run_one(check) {
            Ok(()) => println!("test-result exo-attack {} pass", check.name),
            Err(reason) => {
                failed += 1;
                println!("test-result exo-attack {} fail {}", check.name, reason);
            }
        }
    }
    println!("attack-metric longest-call-cycles {}", raw::longest_call());
    println!(
        "attack-metric kernel-longest-stretch-cycles {}",
        LONGEST_KERNEL_STRETCH.load(core::sync::atomic::Ordering::Relaxed)
    );
    println!("{} passed, {} failed", checks.len() - failed, failed);
    i32::from(failed != 0)
}
