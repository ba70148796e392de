//! POSIX timers: `timer_create` with `SIGEV_SIGNAL` (a periodic timer's signals carry
//! `SI_TIMER`, the timer's id and `si_value`), the default notification (`SIGALRM` whose value is
//! the id), `SIGEV_NONE` counting down in `timer_gettime`, `TIMER_ABSTIME`, `timer_delete`
//! stopping the signals, timers on the process's processor time (CLOCK_PROCESS_CPUTIME_ID,
//! `ITIMER_PROF`, `ITIMER_VIRTUAL`), and the errors.

use alloc::format;
use alloc::string::String;
use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};

use libos::test_protocol::Check;
use libos::time::{timer_create, timer_delete, timer_getoverrun, timer_gettime, timer_settime};
use libposix_sys::Errno;
use libposix_sys::clock::{
    CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID,
};
use libposix_sys::siginfo::{SI_TIMER, Siginfo};
use libposix_sys::signal::{SA_SIGINFO, SIGALRM, SIGRTMIN, SignalSet};
use libposix_sys::time::{Itimerspec, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, Sigevent, Timespec};

use crate::support::{install, restore, sleep_milliseconds, spin_until};

/// Every timer check, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "timer_create:SIGEV_SIGNAL-periodic-SI_TIMER",
        covers: &[
            "timer_create",
            "timer_settime",
            "timer_delete",
            "timer_getoverrun",
        ],
        run: periodic_signal,
    },
    Check {
        name: "timer_create:default-SIGALRM-value-is-id",
        covers: &["timer_create:default-event"],
        run: default_event,
    },
    Check {
        name: "timer_gettime:SIGEV_NONE-counts-down",
        covers: &[
            "timer_gettime",
            "timer_create:SIGEV_NONE",
            "timer_settime:old-value",
        ],
        run: counting_only,
    },
    Check {
        name: "timer_settime:TIMER_ABSTIME",
        covers: &["timer_settime:TIMER_ABSTIME"],
        run: absolute_time,
    },
    Check {
        name: "timer_create:CLOCK_PROCESS_CPUTIME_ID-fires-after-cpu-time",
        covers: &["timer_create:CLOCK_PROCESS_CPUTIME_ID"],
        run: processor_time_timer,
    },
    Check {
        name: "setitimer:ITIMER_PROF",
        covers: &[
            "setitimer:ITIMER_PROF",
            "setitimer:ITIMER_VIRTUAL",
            "getitimer:CPU-time",
        ],
        run: interval_timers,
    },
    Check {
        name: "timer_create:EINVAL-ENOTSUP",
        covers: &[
            "timer_create:EINVAL",
            "timer_settime:EINVAL",
            "timer_delete:EINVAL",
        ],
        run: errors,
    },
];

static FIRED: AtomicU64 = AtomicU64::new(0);
static CODE: AtomicI32 = AtomicI32::new(0);
static TIMER_ID: AtomicI32 = AtomicI32::new(-1);
static VALUE: AtomicU64 = AtomicU64::new(0);

extern "C" fn timer_handler(_: i32, information: *mut Siginfo, _: *mut core::ffi::c_void) {
    // SAFETY: the LibOS passes a valid record to an `SA_SIGINFO` handler.
    let information = unsafe { &*information };
    CODE.store(information.si_code, Ordering::SeqCst);
    TIMER_ID.store(information.si_timerid(), Ordering::SeqCst);
    VALUE.store(information.si_value(), Ordering::SeqCst);
    FIRED.fetch_add(1, Ordering::SeqCst);
}

fn reset() {
    FIRED.store(0, Ordering::SeqCst);
    CODE.store(0, Ordering::SeqCst);
    TIMER_ID.store(-1, Ordering::SeqCst);
    VALUE.store(0, Ordering::SeqCst);
}

fn milliseconds(value: i64) -> Timespec {
    Timespec::from_nanoseconds(i128::from(value) * 1_000_000)
}

fn every(first: i64, period: i64) -> Itimerspec {
    Itimerspec {
        it_value: milliseconds(first),
        it_interval: milliseconds(period),
    }
}

fn signal_event(signal: i32, value: u64) -> Sigevent {
    Sigevent {
        sigev_value: value,
        sigev_signo: signal,
        sigev_notify: SIGEV_SIGNAL,
        ..Sigevent::default()
    }
}

fn periodic_signal() -> Result<(), alloc::string::String> {
    let signal = SIGRTMIN + 3;
    reset();
    install(signal, timer_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    let outcome = (|| {
        let timer = timer_create(CLOCK_MONOTONIC, Some(&signal_event(signal, 0x5eed)))
            .map_err(|e| format!("timer_create: {e:?}"))?;
        timer_settime(timer, 0, &every(10, 10), None)
            .map_err(|e| format!("timer_settime: {e:?}"))?;
        let fired = spin_until(&FIRED, 3, 10_000);
        let overrun = timer_getoverrun(timer);
        timer_delete(timer).map_err(|e| format!("timer_delete: {e:?}"))?;
        if !fired {
            return Err(format!("{} expiries in 10 s", FIRED.load(Ordering::SeqCst)));
        }
        if CODE.load(Ordering::SeqCst) != SI_TIMER
            || TIMER_ID.load(Ordering::SeqCst) != timer
            || VALUE.load(Ordering::SeqCst) != 0x5eed
        {
            return Err(format!(
                "siginfo: code {}, timer {} (ours {timer}), value {:#x}",
                CODE.load(Ordering::SeqCst),
                TIMER_ID.load(Ordering::SeqCst),
                VALUE.load(Ordering::SeqCst)
            ));
        }
        if !matches!(overrun, Ok(count) if count >= 0) {
            return Err(format!("timer_getoverrun: {overrun:?}"));
        }
        // Deleted: no more signals.
        sleep_milliseconds(50);
        let after = FIRED.load(Ordering::SeqCst);
        sleep_milliseconds(100);
        if FIRED.load(Ordering::SeqCst) != after {
            return Err(alloc::string::String::from(
                "signals went on after timer_delete",
            ));
        }
        Ok(())
    })();
    restore(signal);
    outcome
}

fn default_event() -> Result<(), alloc::string::String> {
    reset();
    install(SIGALRM, timer_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    let outcome = (|| {
        let timer =
            timer_create(CLOCK_REALTIME, None).map_err(|e| format!("timer_create: {e:?}"))?;
        timer_settime(timer, 0, &every(10, 0), None)
            .map_err(|e| format!("timer_settime: {e:?}"))?;
        let fired = spin_until(&FIRED, 1, 10_000);
        let _ = timer_delete(timer);
        if !fired {
            return Err(alloc::string::String::from("no SIGALRM in 10 s"));
        }
        let value = VALUE.load(Ordering::SeqCst);
        if CODE.load(Ordering::SeqCst) != SI_TIMER || value != timer as u64 {
            return Err(format!(
                "code {}, value {value} (the timer is {timer})",
                CODE.load(Ordering::SeqCst)
            ));
        }
        // One-shot: it fired once and is disarmed.
        sleep_milliseconds(60);
        if FIRED.load(Ordering::SeqCst) != 1 {
            return Err(alloc::string::String::from("a one-shot timer fired again"));
        }
        Ok(())
    })();
    restore(SIGALRM);
    outcome
}

fn counting_only() -> Result<(), alloc::string::String> {
    let event = Sigevent {
        sigev_notify: SIGEV_NONE,
        ..Sigevent::default()
    };
    let timer =
        timer_create(CLOCK_MONOTONIC, Some(&event)).map_err(|e| format!("timer_create: {e:?}"))?;
    let outcome = (|| {
        let disarmed = timer_gettime(timer).map_err(|e| format!("timer_gettime: {e:?}"))?;
        if disarmed != Itimerspec::default() {
            return Err(format!("a new timer is not disarmed: {disarmed:?}"));
        }
        timer_settime(timer, 0, &every(10_000, 2_000), None)
            .map_err(|e| format!("timer_settime: {e:?}"))?;
        let first = timer_gettime(timer).map_err(|e| format!("timer_gettime: {e:?}"))?;
        sleep_milliseconds(30);
        let second = timer_gettime(timer).map_err(|e| format!("timer_gettime: {e:?}"))?;
        let remaining = |setting: &Itimerspec| setting.it_value.as_nanoseconds();
        if !(remaining(&first) > 0
            && remaining(&first) <= 10_000_000_000
            && remaining(&second) < remaining(&first)
            && first.it_interval == milliseconds(2_000))
        {
            return Err(format!("not counting down: {first:?} then {second:?}"));
        }
        let mut old = Itimerspec::default();
        timer_settime(timer, 0, &Itimerspec::default(), Some(&mut old))
            .map_err(|e| format!("disarm: {e:?}"))?;
        let after = timer_gettime(timer).map_err(|e| format!("timer_gettime: {e:?}"))?;
        if remaining(&old) == 0 || old.it_interval != milliseconds(2_000) {
            return Err(format!("old value {old:?}"));
        }
        if after != Itimerspec::default() {
            return Err(format!("still armed after a zero it_value: {after:?}"));
        }
        Ok(())
    })();
    let _ = timer_delete(timer);
    outcome
}

fn absolute_time() -> Result<(), alloc::string::String> {
    let signal = SIGRTMIN + 4;
    reset();
    install(signal, timer_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    let outcome = (|| {
        let timer = timer_create(CLOCK_MONOTONIC, Some(&signal_event(signal, 7)))
            .map_err(|e| format!("timer_create: {e:?}"))?;
        let now = libos::time::clock_gettime(CLOCK_MONOTONIC)
            .map_err(|e| format!("clock_gettime: {e:?}"))?;
        let at = Timespec::from_nanoseconds(now.as_nanoseconds() + 30_000_000);
        let setting = Itimerspec {
            it_value: at,
            it_interval: Timespec::default(),
        };
        timer_settime(timer, libos::time::timers::TIMER_ABSTIME, &setting, None)
            .map_err(|e| format!("timer_settime: {e:?}"))?;
        let fired = spin_until(&FIRED, 1, 10_000);
        let later = libos::time::clock_gettime(CLOCK_MONOTONIC)
            .map_err(|e| format!("clock_gettime: {e:?}"))?;
        let _ = timer_delete(timer);
        if !fired {
            return Err(alloc::string::String::from("no signal in 10 s"));
        }
        if later.as_nanoseconds() < at.as_nanoseconds() {
            return Err(alloc::string::String::from(
                "the signal came before the absolute time",
            ));
        }
        Ok(())
    })();
    restore(signal);
    outcome
}

fn errors() -> Result<(), alloc::string::String> {
    let checks = [
        (
            timer_create(999, None).err(),
            Some(Errno::EINVAL),
            "an unknown clock",
        ),
        (
            timer_create(CLOCK_THREAD_CPUTIME_ID, None).err(),
            Some(Errno::ENOTSUP),
            "a thread's CPU-time clock",
        ),
        (
            timer_create(CLOCK_MONOTONIC, Some(&signal_event(99, 0))).err(),
            Some(Errno::EINVAL),
            "signal 99",
        ),
        (
            timer_create(
                CLOCK_MONOTONIC,
                Some(&Sigevent {
                    sigev_notify: SIGEV_THREAD,
                    ..Sigevent::default()
                }),
            )
            .err(),
            Some(Errno::ENOTSUP),
            "SIGEV_THREAD",
        ),
        (
            timer_settime(12345, 0, &every(10, 0), None).err(),
            Some(Errno::EINVAL),
            "an unknown timer",
        ),
        (
            timer_delete(12345).err(),
            Some(Errno::EINVAL),
            "deleting an unknown timer",
        ),
    ];
    for (got, expected, what) in checks {
        if got != expected {
            return Err(format!("{what}: {got:?}, expected {expected:?}"));
        }
    }
    let timer = timer_create(CLOCK_MONOTONIC, None).map_err(|e| format!("timer_create: {e:?}"))?;
    let bad = Itimerspec {
        it_value: Timespec {
            tv_sec: 0,
            tv_nsec: 2_000_000_000,
        },
        it_interval: Timespec::default(),
    };
    let invalid = timer_settime(timer, 0, &bad, None);
    timer_delete(timer).map_err(|e| format!("timer_delete: {e:?}"))?;
    let twice = timer_delete(timer);
    if invalid != Err(Errno::EINVAL) || twice != Err(Errno::EINVAL) {
        return Err(format!(
            "tv_nsec out of range: {invalid:?}; a second delete: {twice:?}"
        ));
    }
    Ok(())
}

/// Processor time of this process now (nanoseconds).
fn processor_time() -> u64 {
    libos::time::clock_gettime(CLOCK_PROCESS_CPUTIME_ID).map_or(0, |time| {
        time.tv_sec as u64 * 1_000_000_000 + time.tv_nsec as u64
    })
}

/// Processor time when the processor-time handler last ran.
static FIRED_AT: AtomicU64 = AtomicU64::new(0);
/// The signal the processor-time handler last took.
static LAST: AtomicI32 = AtomicI32::new(0);

extern "C" fn processor_time_handler(
    signal: i32,
    information: *mut Siginfo,
    context: *mut core::ffi::c_void,
) {
    FIRED_AT.store(processor_time(), Ordering::SeqCst);
    LAST.store(signal, Ordering::SeqCst);
    timer_handler(signal, information, context);
}

/// Sleeps `milliseconds` of real time (using no processor time to speak of), then works until
/// [`FIRED`] turns nonzero or 30 s of real time pass; whether it fired while sleeping and
/// whether it fired at all.
fn sleep_then_work(milliseconds: u64) -> (bool, bool) {
    sleep_milliseconds(milliseconds);
    let early = FIRED.load(Ordering::SeqCst) != 0;
    let deadline = libos::clock::clock_monotonic() + 30_000_000_000;
    let mut work = 0u64;
    while FIRED.load(Ordering::SeqCst) == 0 && libos::clock::clock_monotonic() < deadline {
        for step in 0..10_000u64 {
            work = core::hint::black_box(
                work.wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(step),
            );
        }
    }
    (early, FIRED.load(Ordering::SeqCst) != 0)
}

/// A timer on CLOCK_PROCESS_CPUTIME_ID armed for 50 ms: nothing while the process sleeps
/// 200 ms of real time, its signal (SI_TIMER, its id) once the process has worked 50 ms of
/// processor time — not before (to within the kernel's accounting grain).
fn processor_time_timer() -> Result<(), alloc::string::String> {
    let signal = SIGRTMIN + 5;
    reset();
    FIRED_AT.store(0, Ordering::SeqCst);
    install(signal, processor_time_handler, SA_SIGINFO, SignalSet::EMPTY)?;
    let outcome = (|| {
        let timer = timer_create(CLOCK_PROCESS_CPUTIME_ID, Some(&signal_event(signal, 0xc0)))
            .map_err(|e| format!("timer_create: {e:?}"))?;
        let start = processor_time();
        timer_settime(timer, 0, &every(50, 0), None)
            .map_err(|e| format!("timer_settime: {e:?}"))?;
        let remaining = timer_gettime(timer).map_err(|e| format!("timer_gettime: {e:?}"))?;
        let (early, fired) = sleep_then_work(200);
        timer_delete(timer).map_err(|e| format!("timer_delete: {e:?}"))?;
        let used = FIRED_AT.load(Ordering::SeqCst).saturating_sub(start);
        if remaining.it_value.tv_sec != 0 || !(1..=50_000_000).contains(&remaining.it_value.tv_nsec)
        {
            return Err(format!("timer_gettime before it ran: {remaining:?}"));
        }
        if early {
            return Err(String::from("it fired while the process slept"));
        }
        if !fired {
            return Err(String::from("no expiry in 30 s of work"));
        }
        if used < 50_000_000 {
            return Err(format!("it fired after {used} ns of processor time"));
        }
        if CODE.load(Ordering::SeqCst) != SI_TIMER || TIMER_ID.load(Ordering::SeqCst) != timer {
            return Err(format!(
                "siginfo: code {}, timer {} (ours {timer})",
                CODE.load(Ordering::SeqCst),
                TIMER_ID.load(Ordering::SeqCst)
            ));
        }
        Ok(())
    })();
    restore(signal);
    outcome
}

/// `setitimer(ITIMER_PROF)` and `ITIMER_VIRTUAL` for 50 ms: nothing while the process sleeps,
/// `SIGPROF` / `SIGVTALRM` once it has worked 50 ms of processor time (user time for
/// `ITIMER_VIRTUAL`, which is at most the total); `getitimer` counts down meanwhile and reads
/// zero after the one-shot expiry.
fn interval_timers() -> Result<(), alloc::string::String> {
    use libos::signal::{getitimer, setitimer};
    use libposix_sys::signal::{SIGPROF, SIGVTALRM};
    use libposix_sys::time::{ITIMER_PROF, ITIMER_VIRTUAL, Itimerval, Timeval};
    for (which, signal) in [(ITIMER_PROF, SIGPROF), (ITIMER_VIRTUAL, SIGVTALRM)] {
        reset();
        FIRED_AT.store(0, Ordering::SeqCst);
        install(signal, processor_time_handler, SA_SIGINFO, SignalSet::EMPTY)?;
        let outcome = (|| {
            let start = processor_time();
            let setting = Itimerval {
                it_interval: Timeval::default(),
                it_value: Timeval {
                    tv_sec: 0,
                    tv_usec: 50_000,
                },
            };
            setitimer(which, &setting, None).map_err(|e| format!("setitimer({which}): {e:?}"))?;
            let armed = getitimer(which).map_err(|e| format!("getitimer({which}): {e:?}"))?;
            let (early, fired) = sleep_then_work(200);
            let after = getitimer(which).map_err(|e| format!("getitimer({which}): {e:?}"))?;
            let used = FIRED_AT.load(Ordering::SeqCst).saturating_sub(start);
            if armed.it_value.tv_sec != 0 || !(1..=50_000).contains(&armed.it_value.tv_usec) {
                return Err(format!("timer {which}: getitimer after arming {armed:?}"));
            }
            if early || !fired {
                return Err(format!(
                    "timer {which}: fired while asleep {early}, at all {fired}"
                ));
            }
            if used < 50_000_000 {
                return Err(format!(
                    "timer {which}: fired after {used} ns of processor time"
                ));
            }
            if LAST.load(Ordering::SeqCst) != signal || after.it_value != Timeval::default() {
                return Err(format!(
                    "timer {which}: signal {} (expected {signal}), getitimer after {after:?}",
                    LAST.load(Ordering::SeqCst)
                ));
            }
            Ok(())
        })();
        restore(signal);
        outcome?;
    }
    Ok(())
}
