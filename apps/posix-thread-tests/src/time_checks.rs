//! The clocks read without a kernel entry and agree with each other; sleeps last at least as
//! long as asked and reject bad `timespec`s.

use alloc::format;

use crate::ensure;

use libos::kernel::calls_made;
use libos::test_protocol::{Check, CheckOutcome};
use libos::time::{clock_getres, clock_gettime, clock_nanosleep, gettimeofday, nanosleep, time};
use libposix_sys::Errno;
use libposix_sys::clock::{CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME, TIMER_ABSTIME};
use libposix_sys::time::Timespec;

pub const CHECKS: &[Check] = &[
    Check {
        name: "clock_gettime:CPU-time-clocks-count-work",
        covers: &[
            "clock_gettime:CLOCK_PROCESS_CPUTIME_ID",
            "clock_gettime:CLOCK_THREAD_CPUTIME_ID",
        ],
        run: cpu_time_clocks,
    },
    Check {
        name: "clock_gettime_reads_without_kernel_entry",
        covers: &[
            "clock_gettime:CLOCK_MONOTONIC",
            "clock_gettime:CLOCK_BOOTTIME",
            "clock_gettime:no-kernel-entry",
        ],
        run: clocks_read_without_kernel_entry,
    },
    Check {
        name: "realtime_clocks_agree",
        covers: &["clock_gettime:CLOCK_REALTIME", "gettimeofday", "time"],
        run: realtime_clocks_agree,
    },
    Check {
        name: "raw_coarse_and_tai_clocks_follow_their_bases",
        covers: &[
            "clock_gettime:CLOCK_MONOTONIC_RAW",
            "clock_gettime:CLOCK_MONOTONIC_COARSE",
            "clock_gettime:CLOCK_REALTIME_COARSE",
            "clock_gettime:CLOCK_TAI",
        ],
        run: derived_clocks,
    },
    Check {
        name: "clock_errors_and_resolution",
        covers: &[
            "clock_gettime:EINVAL",
            "clock_getres:CLOCK_MONOTONIC",
            "clock_getres:CLOCK_REALTIME",
            "clock_getres:EINVAL",
        ],
        run: clock_errors_and_resolution,
    },
    Check {
        name: "nanosleep_lasts_at_least_the_request",
        covers: &["nanosleep:duration", "nanosleep:EINVAL"],
        run: nanosleep_lasts,
    },
    Check {
        name: "clock_nanosleep_relative_and_absolute",
        covers: &[
            "clock_nanosleep:relative",
            "clock_nanosleep:TIMER_ABSTIME",
            "clock_nanosleep:EINVAL",
        ],
        run: clock_nanosleep_forms,
    },
];

fn nanoseconds(clock: i32) -> Result<i128, alloc::string::String> {
    clock_gettime(clock)
        .map(|value| value.as_nanoseconds())
        .map_err(|error| format!("clock_gettime({clock}): {error:?}"))
}

/// The CPU-time clocks advance with work done and not beyond the time that passed; a spawned
/// thread's own clock counts its work, and the process's clock counts at least the calling
/// thread's.
fn cpu_time_clocks() -> CheckOutcome {
    use libposix_sys::clock::{CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    fn busy(milliseconds: i128) -> Result<(), alloc::string::String> {
        let end = nanoseconds(CLOCK_MONOTONIC)? + milliseconds * 1_000_000;
        let mut value = 1u64;
        while nanoseconds(CLOCK_MONOTONIC)? < end {
            value = core::hint::black_box(value.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        Ok(())
    }
    let wall_before = nanoseconds(CLOCK_MONOTONIC)?;
    let thread_before = nanoseconds(CLOCK_THREAD_CPUTIME_ID)?;
    let process_before = nanoseconds(CLOCK_PROCESS_CPUTIME_ID)?;
    busy(30)?;
    let thread_after = nanoseconds(CLOCK_THREAD_CPUTIME_ID)?;
    let process_after = nanoseconds(CLOCK_PROCESS_CPUTIME_ID)?;
    let wall = nanoseconds(CLOCK_MONOTONIC)? - wall_before;
    let thread = thread_after - thread_before;
    ensure!(
        thread > 0 && thread <= wall + 20_000_000,
        "the thread clock moved {thread} ns over {wall} ns of busy work"
    );
    ensure!(
        process_after >= thread_after && process_after > process_before,
        "process clock {process_before} -> {process_after}, thread clock {thread_after}"
    );
    let spawned = libos::thread::spawn(|| -> Result<(i128, i128), alloc::string::String> {
        let before = nanoseconds(CLOCK_THREAD_CPUTIME_ID)?;
        busy(20)?;
        Ok((before, nanoseconds(CLOCK_THREAD_CPUTIME_ID)?))
    })
    .map_err(|error| format!("spawn: {error:?}"))?;
    let (before, after) = spawned
        .join()
        .map_err(|_| alloc::string::String::from("the thread panicked"))??;
    ensure!(
        after > before && before < thread_after,
        "a new thread's clock: {before} -> {after} (ours {thread_after})"
    );
    ensure!(
        clock_getres(CLOCK_PROCESS_CPUTIME_ID).is_ok(),
        "clock_getres(CLOCK_PROCESS_CPUTIME_ID) refused"
    );
    Ok(())
}

fn clocks_read_without_kernel_entry() -> CheckOutcome {
    ensure!(
        libos::clock::has_time_page(),
        "this program was given no time page"
    );
    let before = calls_made();
    let mut previous = nanoseconds(CLOCK_MONOTONIC)?;
    for _ in 0..1000 {
        let now = clock_gettime(CLOCK_MONOTONIC).map_err(|error| format!("{error:?}"))?;
        ensure!(now.is_valid(), "invalid timespec {now:?}");
        ensure!(
            now.as_nanoseconds() >= previous,
            "monotonic went back: {previous} then {}",
            now.as_nanoseconds()
        );
        previous = now.as_nanoseconds();
        let boot = nanoseconds(CLOCK_BOOTTIME)?;
        ensure!(
            boot >= previous,
            "boot time {boot} behind monotonic {previous}"
        );
    }
    let calls = calls_made() - before;
    ensure!(calls == 0, "2000 clock reads made {calls} kernel calls");
    let kernel = libos::kernel::clock_nanoseconds();
    let ours = nanoseconds(CLOCK_MONOTONIC)?;
    ensure!(
        (ours - i128::from(kernel)).abs() < 50_000_000,
        "time page {ours} and ClockRead {kernel} differ by more than 50 ms"
    );
    Ok(())
}

fn realtime_clocks_agree() -> CheckOutcome {
    let before = calls_made();
    let realtime = clock_gettime(CLOCK_REALTIME).map_err(|error| format!("{error:?}"))?;
    let timeval = gettimeofday().map_err(|error| format!("gettimeofday: {error:?}"))?;
    let seconds = time().map_err(|error| format!("time: {error:?}"))?;
    ensure!(calls_made() == before, "real-time reads entered the kernel");
    // 2020-01-01: any real clock is later.
    ensure!(
        realtime.tv_sec > 1_577_836_800,
        "CLOCK_REALTIME {realtime:?} is before 2020"
    );
    ensure!(
        (0..1_000_000).contains(&timeval.tv_usec),
        "tv_usec {} out of range",
        timeval.tv_usec
    );
    let timeval_nanoseconds =
        i128::from(timeval.tv_sec) * 1_000_000_000 + i128::from(timeval.tv_usec) * 1000;
    ensure!(
        (timeval_nanoseconds - realtime.as_nanoseconds()).abs() < 1_000_000_000,
        "gettimeofday {timeval:?} and clock_gettime {realtime:?} disagree"
    );
    ensure!(
        (seconds - realtime.tv_sec).abs() <= 1,
        "time() {seconds} and clock_gettime {realtime:?} disagree"
    );
    Ok(())
}

fn derived_clocks() -> CheckOutcome {
    use libposix_sys::clock::{
        CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_TAI,
    };
    let before = calls_made();
    for (clock, base) in [
        (CLOCK_MONOTONIC_RAW, CLOCK_MONOTONIC),
        (CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC),
        (CLOCK_REALTIME_COARSE, CLOCK_REALTIME),
        (CLOCK_TAI, CLOCK_REALTIME),
    ] {
        let first = nanoseconds(base)?;
        let value = nanoseconds(clock)?;
        let last = nanoseconds(base)?;
        ensure!(
            first <= value && value <= last,
            "clock {clock} read {value}, outside its base's {first}..{last}"
        );
    }
    ensure!(
        calls_made() == before,
        "the derived clocks entered the kernel"
    );
    ensure!(
        clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &milliseconds(1)) == Err(Errno::EOPNOTSUPP),
        "sleeping on CLOCK_MONOTONIC_RAW did not answer EOPNOTSUPP"
    );
    Ok(())
}

fn clock_errors_and_resolution() -> CheckOutcome {
    ensure!(
        clock_gettime(99) == Err(Errno::EINVAL),
        "clock 99: {:?}",
        clock_gettime(99)
    );
    ensure!(
        clock_gettime(-5) == Err(Errno::EINVAL),
        "clock -5: {:?}",
        clock_gettime(-5)
    );
    ensure!(
        clock_getres(99) == Err(Errno::EINVAL),
        "getres 99: {:?}",
        clock_getres(99)
    );
    for clock in [CLOCK_MONOTONIC, CLOCK_REALTIME] {
        let resolution = clock_getres(clock).map_err(|error| format!("{error:?}"))?;
        ensure!(
            resolution.tv_sec == 0 && resolution.tv_nsec > 0 && resolution.tv_nsec <= 1_000_000,
            "resolution of clock {clock}: {resolution:?}"
        );
    }
    Ok(())
}

fn milliseconds(count: i64) -> Timespec {
    Timespec {
        tv_sec: count / 1000,
        tv_nsec: count % 1000 * 1_000_000,
    }
}

fn nanosleep_lasts() -> CheckOutcome {
    for asked in [1, 30] {
        let start = nanoseconds(CLOCK_MONOTONIC)?;
        nanosleep(&milliseconds(asked)).map_err(|error| format!("nanosleep: {error:?}"))?;
        let slept = nanoseconds(CLOCK_MONOTONIC)? - start;
        ensure!(
            slept >= i128::from(asked) * 1_000_000,
            "asked {asked} ms, slept {slept} ns"
        );
    }
    let zero = Timespec::default();
    ensure!(nanosleep(&zero).is_ok(), "a zero sleep failed");
    for bad in [
        Timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000_000,
        },
        Timespec {
            tv_sec: 0,
            tv_nsec: -1,
        },
        Timespec {
            tv_sec: -1,
            tv_nsec: 0,
        },
    ] {
        ensure!(
            nanosleep(&bad) == Err(Errno::EINVAL),
            "nanosleep({bad:?}): {:?}",
            nanosleep(&bad)
        );
    }
    Ok(())
}

fn clock_nanosleep_forms() -> CheckOutcome {
    let start = nanoseconds(CLOCK_MONOTONIC)?;
    clock_nanosleep(CLOCK_MONOTONIC, 0, &milliseconds(20))
        .map_err(|error| format!("relative: {error:?}"))?;
    let slept = nanoseconds(CLOCK_MONOTONIC)? - start;
    ensure!(slept >= 20_000_000, "relative 20 ms slept {slept} ns");

    for clock in [CLOCK_MONOTONIC, CLOCK_REALTIME] {
        let deadline = Timespec::from_nanoseconds(nanoseconds(clock)? + 25_000_000);
        clock_nanosleep(clock, TIMER_ABSTIME, &deadline)
            .map_err(|error| format!("absolute on {clock}: {error:?}"))?;
        let now = nanoseconds(clock)?;
        ensure!(
            now >= deadline.as_nanoseconds(),
            "woke at {now}, before the deadline {} on clock {clock}",
            deadline.as_nanoseconds()
        );
    }
    // A deadline in the past returns at once.
    let before = nanoseconds(CLOCK_MONOTONIC)?;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &milliseconds(1))
        .map_err(|error| format!("past deadline: {error:?}"))?;
    let took = nanoseconds(CLOCK_MONOTONIC)? - before;
    ensure!(took < 5_000_000, "a past deadline slept {took} ns");

    let bad = Timespec {
        tv_sec: 0,
        tv_nsec: 2_000_000_000,
    };
    ensure!(
        clock_nanosleep(CLOCK_MONOTONIC, 0, &bad) == Err(Errno::EINVAL),
        "bad timespec accepted"
    );
    ensure!(
        clock_nanosleep(99, 0, &milliseconds(1)) == Err(Errno::EINVAL),
        "clock 99 accepted"
    );
    ensure!(
        clock_nanosleep(
            libposix_sys::clock::CLOCK_THREAD_CPUTIME_ID,
            0,
            &milliseconds(1)
        ) == Err(Errno::EINVAL),
        "CLOCK_THREAD_CPUTIME_ID accepted"
    );
    Ok(())
}
