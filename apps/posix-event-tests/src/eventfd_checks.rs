//! Checks of `eventfd2`: the counter, `EFD_SEMAPHORE`, `EFD_NONBLOCK`, `EFD_CLOEXEC`, errors, a
//! blocked reader woken by another thread, and a counter shared with a forked child.

use alloc::format;

use libos::event::eventfd2;
use libos::io::{fcntl, read, write};
use libos::process::fork;
use libos::process::identity::_exit;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::eventfd::{EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE};
use libposix_sys::fcntl::{F_GETFD, F_GETFL, FD_CLOEXEC, O_NONBLOCK};

use crate::ensure;
use crate::support::{Fd, expect_exit, sleep_milliseconds};

fn counter(initial: u32, flags: i32) -> Result<Fd, alloc::string::String> {
    eventfd2(initial, flags)
        .map(Fd)
        .map_err(|error| format!("eventfd2: {error}"))
}

fn take(fd: i32) -> Result<u64, Errno> {
    let mut buffer = [0u8; 8];
    read(fd, &mut buffer)?;
    Ok(u64::from_ne_bytes(buffer))
}

fn add(fd: i32, value: u64) -> Result<usize, Errno> {
    write(fd, &value.to_ne_bytes())
}

fn counts() -> CheckOutcome {
    let fd = counter(3, 0)?;
    ensure!(take(fd.0) == Ok(3), "the initial value was not read");
    ensure!(
        add(fd.0, 5) == Ok(8) && add(fd.0, 2) == Ok(8),
        "writes failed"
    );
    ensure!(take(fd.0) == Ok(7), "the sum of the writes was not read");
    Ok(())
}

/// A read takes the whole counter; writes add to it.
pub const COUNTS: Check = Check {
    name: "eventfd-counter",
    covers: &["eventfd2"],
    run: counts,
};

fn semaphore() -> CheckOutcome {
    let fd = counter(2, EFD_SEMAPHORE | EFD_NONBLOCK)?;
    ensure!(
        take(fd.0) == Ok(1) && take(fd.0) == Ok(1),
        "semaphore reads did not take 1"
    );
    ensure!(
        take(fd.0) == Err(Errno::EAGAIN),
        "an empty semaphore did not give EAGAIN"
    );
    Ok(())
}

/// `EFD_SEMAPHORE`: each read takes 1.
pub const SEMAPHORE: Check = Check {
    name: "eventfd-semaphore",
    covers: &["eventfd2:EFD_SEMAPHORE"],
    run: semaphore,
};

fn nonblocking_and_limits() -> CheckOutcome {
    let fd = counter(0, EFD_NONBLOCK)?;
    ensure!(
        fcntl(fd.0, F_GETFL, 0).is_ok_and(|flags| flags as i32 & O_NONBLOCK != 0),
        "EFD_NONBLOCK is not in the status flags"
    );
    ensure!(
        take(fd.0) == Err(Errno::EAGAIN),
        "an empty counter did not give EAGAIN"
    );
    ensure!(
        add(fd.0, u64::MAX) == Err(Errno::EINVAL),
        "u64::MAX was accepted"
    );
    ensure!(
        add(fd.0, u64::MAX - 1) == Ok(8),
        "the largest value was refused"
    );
    ensure!(
        add(fd.0, 1) == Err(Errno::EAGAIN),
        "an overflowing write did not give EAGAIN"
    );
    let mut short = [0u8; 4];
    ensure!(
        read(fd.0, &mut short) == Err(Errno::EINVAL),
        "a 4-byte read was accepted"
    );
    ensure!(
        write(fd.0, &[0u8; 4]) == Err(Errno::EINVAL),
        "a 4-byte write was accepted"
    );
    Ok(())
}

/// `EFD_NONBLOCK`: `EAGAIN` instead of waiting; `EINVAL` for `u64::MAX` and short buffers.
pub const NONBLOCKING: Check = Check {
    name: "eventfd-nonblock-and-limits",
    covers: &["eventfd2:EFD_NONBLOCK"],
    run: nonblocking_and_limits,
};

fn close_on_exec_and_flags() -> CheckOutcome {
    let fd = counter(0, EFD_CLOEXEC)?;
    ensure!(
        fcntl(fd.0, F_GETFD, 0) == Ok(i64::from(FD_CLOEXEC)),
        "EFD_CLOEXEC did not set FD_CLOEXEC"
    );
    ensure!(
        eventfd2(0, 0x10) == Err(Errno::EINVAL),
        "an unknown flag was accepted"
    );
    ensure!(
        libos::event::eventfd(4).is_ok_and(|fd| {
            let value = take(fd);
            let _ = libos::io::close(fd);
            value == Ok(4)
        }),
        "eventfd(4) did not read 4"
    );
    Ok(())
}

/// `EFD_CLOEXEC` sets `FD_CLOEXEC`; unknown flags are `EINVAL`; `eventfd` is `eventfd2` with 0.
pub const CLOSE_ON_EXEC: Check = Check {
    name: "eventfd-cloexec-and-flags",
    covers: &["eventfd2:EFD_CLOEXEC", "eventfd"],
    run: close_on_exec_and_flags,
};

fn blocked_reader_woken() -> CheckOutcome {
    let fd = counter(0, 0)?;
    let target = fd.0;
    let writer = libos::thread::spawn(move || {
        sleep_milliseconds(20);
        add(target, 9)
    })
    .map_err(|error| format!("spawn: {error:?}"))?;
    let value = take(fd.0);
    let written = writer.join().map_err(|_| "writer failed")?;
    ensure!(written == Ok(8), "the thread's write gave {written:?}");
    ensure!(value == Ok(9), "the blocked read gave {value:?}");
    Ok(())
}

/// A read of an empty counter sleeps until another thread writes.
pub const BLOCKING: Check = Check {
    name: "eventfd-blocking-read-woken",
    covers: &["eventfd2:blocking-read"],
    run: blocked_reader_woken,
};

fn shared_with_child() -> CheckOutcome {
    let fd = counter(0, 0)?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        sleep_milliseconds(10);
        let status = if add(fd.0, 42) == Ok(8) { 0 } else { 1 };
        _exit(status);
    }
    let value = take(fd.0);
    expect_exit(pid, 0)?;
    ensure!(value == Ok(42), "the parent read {value:?}");
    Ok(())
}

/// The counter lives in a shared page: a forked child's write wakes the parent's read.
pub const ACROSS_FORK: Check = Check {
    name: "eventfd-shared-across-fork",
    covers: &["eventfd2:across-fork"],
    run: shared_with_child,
};
