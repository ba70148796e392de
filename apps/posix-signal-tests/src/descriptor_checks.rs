//! Checks of signals meeting descriptors: `signalfd4` (records, consuming, mask updates,
//! readiness for `poll`/`select`/`epoll`, blocking reads) and the signal mask arguments of
//! `ppoll`, `pselect6` and `epoll_pwait`.

use alloc::string::String;
use core::sync::atomic::Ordering;

use libos::event::poll::SelectSets;
use libos::event::{
    epoll_create1, epoll_ctl, epoll_pwait, epoll_wait, poll, ppoll, pselect6, signalfd4,
};
use libos::io::{close, fcntl, pipe, read};
use libos::process::identity::getpid;
use libos::signal::{kill, raise, sigpending, sigprocmask, sigqueue};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::epoll::{EPOLL_CTL_ADD, EPOLLIN, EpollEvent};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{F_GETFD, FD_CLOEXEC};
use libposix_sys::poll::{FdSet, POLLIN, Pollfd};
use libposix_sys::siginfo::{SI_QUEUE, SI_USER};
use libposix_sys::signal::{SIG_BLOCK, SIG_SETMASK, SIGRTMIN, SIGUSR1, SIGUSR2, SignalSet};
use libposix_sys::signalfd::{SFD_CLOEXEC, SFD_NONBLOCK, SignalfdSiginfo};
use libposix_sys::time::Timespec;

use crate::support::{
    HANDLED, counting_handler, expect_exit, in_child, install, reset_counters, sleep_milliseconds,
};

/// Every check of this file, in order.
pub const ALL: &[Check] = &[
    Check {
        name: "signalfd:read-consumes",
        covers: &[
            "signalfd4",
            "signalfd:read-consumes",
            "signalfd4:SFD_NONBLOCK",
            "signalfd4:EINVAL",
        ],
        run: read_consumes,
    },
    Check {
        name: "signalfd4:update-mask-and-SFD_CLOEXEC",
        covers: &["signalfd4:update-mask", "signalfd4:SFD_CLOEXEC", "signalfd"],
        run: update_mask,
    },
    Check {
        name: "signalfd:epoll-readiness",
        covers: &["signalfd:epoll-readiness", "signalfd:poll-select-readiness"],
        run: readiness,
    },
    Check {
        name: "signalfd:blocking-read",
        covers: &["signalfd:blocking-read"],
        run: blocking_read,
    },
    Check {
        name: "ppoll:sigmask-atomic",
        covers: &["ppoll:sigmask-atomic"],
        run: || mask_interrupts(Waiter::Poll),
    },
    Check {
        name: "pselect6:sigmask-atomic",
        covers: &["pselect6:sigmask-atomic"],
        run: || mask_interrupts(Waiter::Select),
    },
    Check {
        name: "epoll_pwait:sigmask-atomic",
        covers: &["epoll_pwait:sigmask-atomic", "epoll_pwait"],
        run: || mask_interrupts(Waiter::Epoll),
    },
];

/// Reads records from `fd` into `records`; the count read.
fn read_records(fd: i32, records: &mut [SignalfdSiginfo]) -> Result<usize, Errno> {
    let mut buffer = alloc::vec![0u8; records.len() * 128];
    let length = read(fd, &mut buffer)?;
    for (record, bytes) in records.iter_mut().zip(buffer[..length].chunks_exact(128)) {
        let mut whole = [0u8; 128];
        whole.copy_from_slice(bytes);
        *record = SignalfdSiginfo::from_bytes(&whole);
    }
    Ok(length / 128)
}

/// Runs `body` in a child with `mask` blocked; passes if it returns 0.
fn blocked_child(mask: SignalSet, body: impl FnOnce() -> i32) -> CheckOutcome {
    let pid = in_child(move || {
        if sigprocmask(SIG_BLOCK, Some(&mask), None).is_err() {
            return 90;
        }
        body()
    })?;
    expect_exit(pid, 0)
}

fn read_consumes() -> CheckOutcome {
    let mask = SignalSet::EMPTY.with(SIGUSR1).with(SIGRTMIN);
    blocked_child(mask, move || {
        let Ok(me) = getpid() else { return 10 };
        if raise(SIGUSR1).is_err() || sigqueue(me, SIGRTMIN, 7).is_err() {
            return 11;
        }
        if sigqueue(me, SIGRTMIN, 8).is_err() {
            return 12;
        }
        if signalfd4(-1, &mask, 0x4) != Err(Errno::EINVAL) {
            return 13;
        }
        let Ok(fd) = signalfd4(-1, &mask, SFD_NONBLOCK) else {
            return 14;
        };
        let mut small = [0u8; 127];
        if read(fd, &mut small) != Err(Errno::EINVAL) {
            return 15;
        }
        let mut records = [SignalfdSiginfo::default(); 4];
        if read_records(fd, &mut records) != Ok(3) {
            return 16;
        }
        let [first, second, third, _] = records;
        if (first.ssi_signo, first.ssi_code, first.ssi_pid) != (SIGUSR1 as u32, SI_USER, me as u32)
        {
            return 17;
        }
        for (record, value) in [(second, 7), (third, 8)] {
            if (
                record.ssi_signo,
                record.ssi_code,
                record.ssi_int,
                record.ssi_ptr,
            ) != (SIGRTMIN as u32, SI_QUEUE, value, value as u64)
            {
                return 18;
            }
        }
        // Taken: nothing pending, and the next read would block.
        if sigpending().map(|set| set.intersection(mask)) != Ok(SignalSet::EMPTY) {
            return 19;
        }
        if read_records(fd, &mut records) != Err(Errno::EAGAIN) {
            return 20;
        }
        0
    })
}

fn update_mask() -> CheckOutcome {
    let both = SignalSet::EMPTY.with(SIGUSR1).with(SIGUSR2);
    blocked_child(both, move || {
        let Ok(fd) = signalfd4(
            -1,
            &SignalSet::EMPTY.with(SIGUSR1),
            SFD_NONBLOCK | SFD_CLOEXEC,
        ) else {
            return 10;
        };
        if fcntl(fd, F_GETFD, 0).map(|flags| flags & i64::from(FD_CLOEXEC)) != Ok(1) {
            return 11;
        }
        if raise(SIGUSR2).is_err() {
            return 12;
        }
        let mut records = [SignalfdSiginfo::default(); 2];
        // Not in its mask: not readable, and left pending.
        if read_records(fd, &mut records) != Err(Errno::EAGAIN) {
            return 13;
        }
        if signalfd4(fd, &both, 0) != Ok(fd) {
            return 14;
        }
        if read_records(fd, &mut records) != Ok(1) || records[0].ssi_signo != SIGUSR2 as u32 {
            return 15;
        }
        // A descriptor that is not a signalfd, and one that is not open.
        let Ok([read_end, write_end]) = pipe() else {
            return 16;
        };
        if signalfd4(read_end, &both, 0) != Err(Errno::EINVAL)
            || signalfd4(999, &both, 0) != Err(Errno::EBADF)
        {
            return 17;
        }
        let _ = (close(read_end), close(write_end));
        // `signalfd` is `signalfd4` without flags.
        let Ok(plain) = libos::event::signalfd(-1, &both) else {
            return 18;
        };
        if fcntl(plain, F_GETFD, 0) != Ok(0) {
            return 19;
        }
        0
    })
}

/// Forks a child that sends `signal` to us after `milliseconds`.
fn send_later(signal: i32, milliseconds: u64) -> Result<i32, String> {
    let parent = getpid().map_err(|error| alloc::format!("getpid: {error}"))?;
    in_child(move || {
        sleep_milliseconds(milliseconds);
        i32::from(kill(parent, signal).is_err())
    })
}

fn readiness() -> CheckOutcome {
    let mask = SignalSet::EMPTY.with(SIGUSR2);
    blocked_child(mask, move || {
        let Ok(fd) = signalfd4(-1, &mask, SFD_NONBLOCK) else {
            return 10;
        };
        let Ok(epoll) = epoll_create1(0) else {
            return 11;
        };
        let event = EpollEvent {
            events: EPOLLIN,
            data: 42,
        };
        if epoll_ctl(epoll, EPOLL_CTL_ADD, fd, Some(event)).is_err() {
            return 12;
        }
        let mut events = [EpollEvent::default(); 2];
        if epoll_wait(epoll, &mut events, 0) != Ok(0) {
            return 13;
        }
        // Woken by a signal another process sends while we sleep in epoll_wait.
        let Ok(sender) = send_later(SIGUSR2, 50) else {
            return 14;
        };
        let start = libos::clock::clock_monotonic();
        if epoll_wait(epoll, &mut events, 5000) != Ok(1) || events[0].data != 42 {
            return 15;
        }
        if libos::clock::clock_monotonic() - start > 2_000_000_000 {
            return 16;
        }
        if expect_exit(sender, 0).is_err() {
            return 17;
        }
        // poll and select see it too.
        let mut fds = [Pollfd {
            fd,
            events: POLLIN,
            revents: 0,
        }];
        if poll(&mut fds, 0) != Ok(1) || fds[0].revents & POLLIN == 0 {
            return 18;
        }
        let mut readable = FdSet::default();
        readable.insert(fd as usize);
        let sets = SelectSets {
            read: Some(&mut readable),
            write: None,
            except: None,
        };
        if pselect6(fd + 1, sets, Some(&Timespec::from_nanoseconds(0)), None) != Ok(1) {
            return 19;
        }
        // Reading consumes it: no longer ready.
        let mut records = [SignalfdSiginfo::default(); 1];
        if read_records(fd, &mut records) != Ok(1) || records[0].ssi_pid != sender as u32 {
            return 20;
        }
        if epoll_wait(epoll, &mut events, 0) != Ok(0) || poll(&mut fds, 0) != Ok(0) {
            return 21;
        }
        0
    })
}

fn blocking_read() -> CheckOutcome {
    let mask = SignalSet::EMPTY.with(SIGUSR1);
    blocked_child(mask, move || {
        let Ok(fd) = signalfd4(-1, &mask, 0) else {
            return 10;
        };
        let Ok(sender) = send_later(SIGUSR1, 50) else {
            return 11;
        };
        let start = libos::clock::clock_monotonic();
        let mut records = [SignalfdSiginfo::default(); 1];
        if read_records(fd, &mut records) != Ok(1)
            || (records[0].ssi_signo, records[0].ssi_pid) != (SIGUSR1 as u32, sender as u32)
        {
            return 12;
        }
        if libos::clock::clock_monotonic() - start > 2_000_000_000 {
            return 13;
        }
        i32::from(expect_exit(sender, 0).is_err()) * 14
    })
}

#[derive(Clone, Copy)]
enum Waiter {
    Poll,
    Select,
    Epoll,
}

/// Waits on a pipe that never becomes readable, with `mask` (if any) installed.
fn wait_with(
    waiter: Waiter,
    fd: i32,
    milliseconds: i64,
    mask: Option<&u64>,
) -> Result<usize, Errno> {
    let timeout = Timespec::from_nanoseconds(i128::from(milliseconds) * 1_000_000);
    match waiter {
        Waiter::Poll => {
            let mut fds = [Pollfd {
                fd,
                events: POLLIN,
                revents: 0,
            }];
            ppoll(&mut fds, Some(&timeout), mask)
        }
        Waiter::Select => {
            let mut readable = FdSet::default();
            readable.insert(fd as usize);
            let sets = SelectSets {
                read: Some(&mut readable),
                write: None,
                except: None,
            };
            pselect6(fd + 1, sets, Some(&timeout), mask)
        }
        Waiter::Epoll => {
            let epoll = epoll_create1(0)?;
            let event = EpollEvent {
                events: EPOLLIN,
                data: 1,
            };
            epoll_ctl(epoll, EPOLL_CTL_ADD, fd, Some(event))?;
            let mut events = [EpollEvent::default(); 1];
            let result = epoll_pwait(epoll, &mut events, milliseconds as i32, mask);
            let _ = close(epoll);
            result
        }
    }
}

/// With `SIGUSR1` blocked: a wait without a mask lets it stay pending and times out; a wait
/// whose mask unblocks it is interrupted (`EINTR`) with its handler run, by one sent while it
/// sleeps and by one already pending; afterwards `SIGUSR1` is blocked again.
fn mask_interrupts(waiter: Waiter) -> CheckOutcome {
    let pid = in_child(move || {
        reset_counters();
        if install(SIGUSR1, counting_handler, 0, SignalSet::EMPTY).is_err() {
            return 10;
        }
        let blocked = SignalSet::EMPTY.with(SIGUSR1);
        if sigprocmask(SIG_SETMASK, Some(&blocked), None).is_err() {
            return 11;
        }
        let Ok([read_end, write_end]) = pipe() else {
            return 12;
        };
        // Without a mask: the signal stays pending, the wait runs its course.
        if raise(SIGUSR1).is_err() {
            return 13;
        }
        if wait_with(waiter, read_end, 100, None) != Ok(0) || HANDLED.load(Ordering::SeqCst) != 0 {
            return 14;
        }
        // With an empty mask: the pending one interrupts at once.
        let empty = 0u64;
        if wait_with(waiter, read_end, 5000, Some(&empty)) != Err(Errno::EINTR)
            || HANDLED.load(Ordering::SeqCst) != 1
        {
            return 15;
        }
        // One sent while it sleeps interrupts it.
        let Ok(sender) = send_later(SIGUSR1, 50) else {
            return 16;
        };
        let start = libos::clock::clock_monotonic();
        if wait_with(waiter, read_end, 5000, Some(&empty)) != Err(Errno::EINTR)
            || HANDLED.load(Ordering::SeqCst) != 2
            || libos::clock::clock_monotonic() - start > 2_000_000_000
        {
            return 17;
        }
        if expect_exit(sender, 0).is_err() {
            return 18;
        }
        // The mask is back: blocked again.
        let mut now = SignalSet::EMPTY;
        if sigprocmask(SIG_BLOCK, None, Some(&mut now)).is_err() || now != blocked {
            return 19;
        }
        // A ready descriptor wins: the call returns it, the signal stays pending.
        if raise(SIGUSR1).is_err() || libos::io::write(write_end, b"x").is_err() {
            return 20;
        }
        if wait_with(waiter, read_end, 5000, Some(&empty)) != Ok(1)
            || HANDLED.load(Ordering::SeqCst) != 2
            || !sigpending().is_ok_and(|set| set.contains(SIGUSR1))
        {
            return 21;
        }
        0
    })?;
    expect_exit(pid, 0)
}
