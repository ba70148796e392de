//! Checks of `timerfd_create`, `timerfd_settime` and `timerfd_gettime`: one-shot and periodic
//! expirations, absolute times, the remaining time, non-blocking reads and errors, and a timer
//! in an epoll set.

use alloc::format;

use libos::clock::clock_monotonic;
use libos::event::{
    epoll_create1, epoll_ctl, epoll_wait, timerfd_create, timerfd_gettime, timerfd_settime,
};
use libos::io::read;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::clock::{CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME};
use libposix_sys::epoll::{EPOLL_CTL_ADD, EPOLLIN, EpollEvent};
use libposix_sys::errno::Errno;
use libposix_sys::eventfd::{TFD_NONBLOCK, TFD_TIMER_ABSTIME};
use libposix_sys::time::{Itimerspec, Timespec};

use crate::ensure;
use crate::support::{Fd, milliseconds_since, sleep_milliseconds};

fn milliseconds(value: i64) -> Timespec {
    Timespec {
        tv_sec: value / 1000,
        tv_nsec: (value % 1000) * 1_000_000,
    }
}

fn setting(first: i64, period: i64) -> Itimerspec {
    Itimerspec {
        it_interval: milliseconds(period),
        it_value: milliseconds(first),
    }
}

fn timer(clock: i32, flags: i32) -> Result<Fd, alloc::string::String> {
    timerfd_create(clock, flags)
        .map(Fd)
        .map_err(|error| format!("timerfd_create: {error}"))
}

fn expirations(fd: i32) -> Result<u64, Errno> {
    let mut buffer = [0u8; 8];
    read(fd, &mut buffer)?;
    Ok(u64::from_ne_bytes(buffer))
}

fn one_shot() -> CheckOutcome {
    let fd = timer(CLOCK_MONOTONIC, 0)?;
    let start = clock_monotonic();
    timerfd_settime(fd.0, 0, &setting(20, 0)).map_err(|error| format!("settime: {error}"))?;
    let count = expirations(fd.0);
    let waited = milliseconds_since(start);
    ensure!(count == Ok(1), "the read gave {count:?}");
    ensure!(waited >= 20, "the read returned after {waited} ms");
    Ok(())
}

/// A one-shot timer: a blocking read returns 1 expiration, not before the time.
pub const ONE_SHOT: Check = Check {
    name: "timerfd-one-shot",
    covers: &["timerfd_create", "timerfd_settime"],
    run: one_shot,
};

fn periodic() -> CheckOutcome {
    let fd = timer(CLOCK_MONOTONIC, 0)?;
    timerfd_settime(fd.0, 0, &setting(10, 10)).map_err(|error| format!("settime: {error}"))?;
    sleep_milliseconds(55);
    let count = expirations(fd.0).map_err(|error| format!("read: {error}"))?;
    ensure!(
        count >= 4,
        "{count} expirations after 55 ms of a 10 ms timer"
    );
    let next = expirations(fd.0).map_err(|error| format!("read: {error}"))?;
    ensure!((1..=3).contains(&next), "the next read gave {next}");
    Ok(())
}

/// A periodic timer counts every period that passed since the last read.
pub const PERIODIC: Check = Check {
    name: "timerfd-periodic-count",
    covers: &["timerfd_settime:interval"],
    run: periodic,
};

fn remaining_time() -> CheckOutcome {
    let fd = timer(CLOCK_REALTIME, 0)?;
    let old = timerfd_settime(fd.0, 0, &setting(1000, 250))
        .map_err(|error| format!("settime: {error}"))?;
    ensure!(
        old == Itimerspec::default(),
        "a new timer's old setting was {old:?}"
    );
    let now = timerfd_gettime(fd.0).map_err(|error| format!("gettime: {error}"))?;
    let left = now.it_value.as_nanoseconds();
    ensure!(
        left > 800_000_000 && left <= 1_000_000_000,
        "{left} ns left of 1 s"
    );
    ensure!(
        now.it_interval == milliseconds(250),
        "interval {:?}",
        now.it_interval
    );
    let old = timerfd_settime(fd.0, 0, &Itimerspec::default())
        .map_err(|error| format!("disarm: {error}"))?;
    ensure!(
        old.it_interval == milliseconds(250),
        "the old setting was {old:?}"
    );
    let now = timerfd_gettime(fd.0).map_err(|error| format!("gettime: {error}"))?;
    ensure!(
        now == Itimerspec::default(),
        "a disarmed timer reports {now:?}"
    );
    Ok(())
}

/// `timerfd_gettime` reports the time left and the period; a zero value disarms and
/// `timerfd_settime` returns the old setting.
pub const GETTIME: Check = Check {
    name: "timerfd-gettime-and-disarm",
    covers: &["timerfd_gettime"],
    run: remaining_time,
};

fn nonblocking_and_errors() -> CheckOutcome {
    let fd = timer(CLOCK_MONOTONIC, TFD_NONBLOCK)?;
    ensure!(
        expirations(fd.0) == Err(Errno::EAGAIN),
        "a disarmed timer's read did not give EAGAIN"
    );
    ensure!(
        timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0) == Err(Errno::EINVAL),
        "a CPU-time clock was accepted"
    );
    ensure!(
        timerfd_create(CLOCK_MONOTONIC, 0x4) == Err(Errno::EINVAL),
        "a bad flag was accepted"
    );
    let bad = Itimerspec {
        it_interval: Timespec::default(),
        it_value: Timespec {
            tv_sec: 0,
            tv_nsec: 2_000_000_000,
        },
    };
    ensure!(
        timerfd_settime(fd.0, 0, &bad) == Err(Errno::EINVAL),
        "a bad time was accepted"
    );
    ensure!(
        timerfd_settime(fd.0, 0x8, &setting(5, 0)) == Err(Errno::EINVAL),
        "a bad flag was accepted"
    );
    let pipe = crate::support::pipe_with(0)?;
    ensure!(
        timerfd_gettime(pipe.read.0) == Err(Errno::EINVAL),
        "a pipe was taken for a timer"
    );
    let mut short = [0u8; 4];
    ensure!(
        read(fd.0, &mut short) == Err(Errno::EINVAL),
        "a 4-byte read was accepted"
    );
    Ok(())
}

/// `TFD_NONBLOCK` gives `EAGAIN`; other clocks, flags and bad times are `EINVAL`.
pub const ERRORS: Check = Check {
    name: "timerfd-nonblock-and-errors",
    covers: &["timerfd_create:TFD_NONBLOCK", "timerfd_settime:EINVAL"],
    run: nonblocking_and_errors,
};

fn absolute() -> CheckOutcome {
    let fd = timer(CLOCK_MONOTONIC, 0)?;
    let start = clock_monotonic();
    let deadline = start + 20_000_000;
    let value = Itimerspec {
        it_interval: Timespec::default(),
        it_value: Timespec::from_nanoseconds(i128::from(deadline)),
    };
    timerfd_settime(fd.0, TFD_TIMER_ABSTIME, &value).map_err(|e| format!("settime: {e}"))?;
    ensure!(
        expirations(fd.0) == Ok(1),
        "the absolute timer did not expire once"
    );
    ensure!(
        clock_monotonic() >= deadline,
        "the read returned before the absolute time"
    );
    Ok(())
}

/// `TFD_TIMER_ABSTIME`: the first expiry is a time on the timer's clock.
pub const ABSOLUTE: Check = Check {
    name: "timerfd-absolute-time",
    covers: &["timerfd_settime:TFD_TIMER_ABSTIME"],
    run: absolute,
};

fn in_epoll() -> CheckOutcome {
    let fd = timer(CLOCK_MONOTONIC, TFD_NONBLOCK)?;
    let epoll = Fd(epoll_create1(0).map_err(|error| format!("epoll_create1: {error}"))?);
    epoll_ctl(
        epoll.0,
        EPOLL_CTL_ADD,
        fd.0,
        Some(EpollEvent {
            events: EPOLLIN,
            data: 77,
        }),
    )
    .map_err(|error| format!("epoll_ctl: {error}"))?;
    timerfd_settime(fd.0, 0, &setting(20, 0)).map_err(|e| format!("settime: {e}"))?;
    let start = clock_monotonic();
    let mut events = [EpollEvent::default(); 4];
    let count = epoll_wait(epoll.0, &mut events, 5000);
    ensure!(count == Ok(1), "epoll_wait gave {count:?}");
    ensure!({ events[0].data } == 77, "wrong data");
    ensure!(milliseconds_since(start) >= 15, "the timer fired early");
    ensure!(
        expirations(fd.0) == Ok(1),
        "the timer had no expiration to read"
    );
    Ok(())
}

/// A timer in an epoll set wakes `epoll_wait` when it expires.
pub const IN_EPOLL: Check = Check {
    name: "timerfd-wakes-epoll",
    covers: &["timerfd_create:epoll"],
    run: in_epoll,
};
