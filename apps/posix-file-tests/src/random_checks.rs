//! Checks of `getrandom`, `/dev/random` and `/dev/urandom`: bytes that differ call to call and
//! process to process (a fork child reseeds), look uniform, and the flag errors.

use alloc::format;

use libos::fs::{fstat, open, unlink};
use libos::io::{close, read, write};
use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::random::getrandom;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY};
use libposix_sys::mode::{S_IFCHR, S_IFMT};
use libposix_sys::random::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};
use libposix_sys::stat::makedev;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

use crate::ensure;

/// Whether `bytes` look uniform: between 40 % and 60 % of bits set, and no byte value more
/// than a sixteenth of the sample (loose bounds: a real generator fails them with negligible
/// probability at these sizes, a stuck or patterned one does not pass).
fn looks_random(bytes: &[u8]) -> bool {
    let ones: u32 = bytes.iter().map(|byte| byte.count_ones()).sum();
    let bits = bytes.len() as u32 * 8;
    let mut counts = [0u32; 256];
    for &byte in bytes {
        counts[usize::from(byte)] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(0) as usize;
    ones * 10 > bits * 4 && ones * 10 < bits * 6 && most * 16 <= bytes.len().max(16)
}

fn getrandom_fills_and_varies() -> CheckOutcome {
    let mut first = [0u8; 64];
    let mut second = [0u8; 64];
    ensure!(
        getrandom(&mut first, 0) == Ok(64),
        "getrandom gave a short count"
    );
    ensure!(
        getrandom(&mut second, GRND_NONBLOCK) == Ok(64),
        "GRND_NONBLOCK failed"
    );
    ensure!(first != second, "two calls returned the same 64 bytes");
    let mut large = alloc::vec![0u8; 8192];
    let count = getrandom(&mut large, GRND_RANDOM);
    ensure!(count == Ok(8192), "GRND_RANDOM gave {count:?}");
    ensure!(
        looks_random(&large),
        "8 KiB of getrandom output does not look uniform"
    );
    ensure!(
        getrandom(&mut [], 0) == Ok(0),
        "an empty request did not return 0"
    );
    for flags in [0x8, GRND_INSECURE | GRND_RANDOM, u32::MAX] {
        let result = getrandom(&mut first, flags);
        ensure!(
            result == Err(Errno::EINVAL),
            "flags {flags:#x} gave {result:?}"
        );
    }
    libos::println!(
        "posix-files: random seeded with hardware source {:?}",
        libos::random::hardware_source()
    );
    Ok(())
}

/// `getrandom`: full counts, fresh bytes each call, `GRND_NONBLOCK`, `GRND_RANDOM`, `EINVAL`.
pub const GETRANDOM: Check = Check {
    name: "getrandom",
    covers: &[
        "getrandom",
        "getrandom:GRND_NONBLOCK",
        "getrandom:GRND_RANDOM",
    ],
    run: getrandom_fills_and_varies,
};

fn devices_read_random_bytes() -> CheckOutcome {
    for (path, minor) in [("/dev/urandom", 9), ("/dev/random", 8)] {
        let fd = open(path, O_RDWR, 0).map_err(|error| format!("open {path}: {error}"))?;
        let status = fstat(fd);
        let mut bytes = alloc::vec![0u8; 4096];
        let count = read(fd, &mut bytes);
        let mut again = alloc::vec![0u8; 4096];
        let count_again = read(fd, &mut again);
        let written = write(fd, b"mixed in, not trusted");
        let _ = close(fd);
        let status = status.map_err(|error| format!("fstat {path}: {error}"))?;
        ensure!(
            status.st_mode & S_IFMT == S_IFCHR && status.st_rdev == makedev(1, minor),
            "{path}: mode {:#o}, device {:#x}",
            status.st_mode,
            status.st_rdev
        );
        ensure!(
            count == Ok(4096) && count_again == Ok(4096),
            "{path}: reads gave {count:?}, {count_again:?}"
        );
        ensure!(bytes != again, "{path}: two reads gave the same bytes");
        ensure!(looks_random(&bytes), "{path}: 4 KiB do not look uniform");
        ensure!(written == Ok(21), "{path}: write gave {written:?}");
    }
    let fd = open("/dev/urandom", O_RDONLY, 0).map_err(|error| format!("open: {error}"))?;
    let mut byte = [0u8; 1];
    let single = read(fd, &mut byte);
    let _ = close(fd);
    ensure!(single == Ok(1), "a one-byte read gave {single:?}");
    Ok(())
}

/// `/dev/urandom` and `/dev/random`: character devices 1,9 and 1,8 that read random bytes and
/// accept writes.
pub const RANDOM_DEVICES: Check = Check {
    name: "random-devices",
    covers: &["read:dev-urandom", "read:dev-random", "write:dev-urandom"],
    run: devices_read_random_bytes,
};

fn fork_child_gets_other_bytes() -> CheckOutcome {
    const PATH: &str = "/tmp/getrandom-after-fork";
    // Seed the parent's generator first, so the child starts with a copy of a seeded state.
    let mut parent = [0u8; 32];
    getrandom(&mut parent, 0).map_err(|error| format!("getrandom: {error}"))?;
    let pid = fork().map_err(|error| format!("fork: {error}"))?;
    if pid == 0 {
        let mut child = [0u8; 32];
        let file = open(PATH, O_WRONLY | O_CREAT | O_TRUNC, 0o600);
        let good = getrandom(&mut child, 0) == Ok(32)
            && file.is_ok_and(|fd| write(fd, &child) == Ok(32) && close(fd).is_ok());
        _exit(i32::from(!good));
    }
    getrandom(&mut parent, 0).map_err(|error| format!("getrandom: {error}"))?;
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0);
    ensure!(
        collected == Ok(pid) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
        "child: waitpid {collected:?}, status {status:#x}"
    );
    let mut child = [0u8; 32];
    let fd = open(PATH, O_RDONLY, 0).map_err(|error| format!("open {PATH}: {error}"))?;
    let count = read(fd, &mut child);
    let _ = close(fd);
    let _ = unlink(PATH);
    ensure!(count == Ok(32), "reading the child's bytes gave {count:?}");
    ensure!(
        child != parent,
        "the fork child repeated its parent's random bytes"
    );
    Ok(())
}

/// A fork child draws different bytes from its parent's next ones (it reseeds).
pub const AFTER_FORK: Check = Check {
    name: "getrandom-after-fork",
    covers: &["getrandom:after-fork"],
    run: fork_child_gets_other_bytes,
};
