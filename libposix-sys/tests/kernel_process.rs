//! Process-wide calls against the host kernel: `uname`, limits, usage, clocks, the auxiliary vector, `mmap` flags and errno texts.

mod common;

use common::{mutable_address_of, raw_system_call, system_call};
use libposix_sys::auxv::{AT_ENTRY, AT_NULL, AT_PAGESZ, AT_PHNUM, AT_RANDOM, AuxiliaryVectorEntry};
use libposix_sys::clock::{CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME};
use libposix_sys::errno::{Errno, encode_return};
use libposix_sys::mman::*;
use libposix_sys::resource::{RLIMIT_NOFILE, RLIMIT_STACK, RUSAGE_SELF, Rlimit, Rusage};
use libposix_sys::syscall_numbers::SystemCall;
use libposix_sys::time::Timespec;
use libposix_sys::utsname::Utsname;

#[test]
fn errno_descriptions_are_the_c_library_strerror() {
    for errno in Errno::ALL {
        let message = std::io::Error::from_raw_os_error(errno.as_raw()).to_string();
        let suffix = format!(" (os error {})", errno.as_raw());
        assert_eq!(
            message.strip_suffix(&suffix),
            Some(errno.description()),
            "{}",
            errno.name()
        );
    }
}

#[test]
fn the_kernel_reports_errors_as_negative_errno() {
    // SAFETY: closing an invalid descriptor changes nothing.
    let raw = unsafe { raw_system_call(SystemCall::Close, &[u64::MAX >> 1]) };
    assert_eq!(raw, encode_return(Err(Errno::EBADF)));
    assert_eq!(Errno::from_syscall_return(raw), Some(Errno::EBADF));
    // SAFETY: getpid takes no arguments.
    let process = unsafe { system_call(SystemCall::Getpid, &[]) };
    assert_eq!(process, Ok(u64::from(std::process::id())));
}

#[test]
fn uname_fills_utsname() {
    let mut name = Utsname::default();
    // SAFETY: `name` is a writable `struct utsname`.
    let result = unsafe { system_call(SystemCall::Uname, &[mutable_address_of(&mut name)]) };
    assert_eq!(result, Ok(0));
    // SAFETY: an all-zero `utsname` is valid for the C library to overwrite.
    let mut theirs: libc::utsname = unsafe { core::mem::zeroed() };
    // SAFETY: `theirs` is writable.
    assert_eq!(unsafe { libc::uname(&mut theirs) }, 0);
    let bytes = |field: &[libc::c_char]| field.iter().map(|byte| *byte as u8).collect::<Vec<u8>>();
    assert_eq!(name.sysname[..], bytes(&theirs.sysname)[..]);
    assert_eq!(name.release[..], bytes(&theirs.release)[..]);
    assert_eq!(name.machine[..], bytes(&theirs.machine)[..]);
    assert_eq!(name.domainname[..], bytes(&theirs.domainname)[..]);
    assert_eq!(Utsname::text(&name.sysname), b"Linux");
    assert_eq!(Utsname::text(&name.machine), b"x86_64");
}

#[test]
fn prlimit64_fills_rlimit() {
    for resource in [RLIMIT_NOFILE, RLIMIT_STACK] {
        let mut limit = Rlimit::default();
        // SAFETY: `limit` is writable; the new-limit pointer is null.
        let result = unsafe {
            system_call(
                SystemCall::Prlimit64,
                &[0, u64::from(resource), 0, mutable_address_of(&mut limit)],
            )
        };
        assert_eq!(result, Ok(0));
        // SAFETY: an all-zero `rlimit` is valid.
        let mut theirs: libc::rlimit = unsafe { core::mem::zeroed() };
        // SAFETY: `theirs` is writable.
        assert_eq!(unsafe { libc::getrlimit(resource, &mut theirs) }, 0);
        assert_eq!(
            (limit.rlim_cur, limit.rlim_max),
            (theirs.rlim_cur, theirs.rlim_max)
        );
    }
}

#[test]
fn getrusage_fills_rusage() {
    let mut usage = Rusage::default();
    // SAFETY: `usage` is a writable `struct rusage`.
    let result = unsafe {
        system_call(
            SystemCall::Getrusage,
            &[RUSAGE_SELF as u64, mutable_address_of(&mut usage)],
        )
    };
    assert_eq!(result, Ok(0));
    assert!(usage.ru_maxrss > 0, "the resident set is not empty");
    assert!(usage.ru_minflt > 0, "the process has faulted pages in");
    assert!((0..1_000_000).contains(&usage.ru_utime.tv_usec));
    assert!((0..1_000_000).contains(&usage.ru_stime.tv_usec));
    assert_eq!(
        (usage.ru_ixrss, usage.ru_nswap),
        (0, 0),
        "fields Linux leaves zero"
    );
}

#[test]
fn clock_gettime_fills_timespec() {
    for clock in [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME] {
        let mut ours = Timespec::default();
        // SAFETY: `ours` is a writable `struct timespec`.
        let result = unsafe {
            system_call(
                SystemCall::ClockGettime,
                &[clock as u64, mutable_address_of(&mut ours)],
            )
        };
        assert_eq!(result, Ok(0));
        // SAFETY: an all-zero `timespec` is valid.
        let mut theirs: libc::timespec = unsafe { core::mem::zeroed() };
        // SAFETY: `theirs` is writable.
        assert_eq!(unsafe { libc::clock_gettime(clock, &mut theirs) }, 0);
        assert!(ours.is_valid());
        let later = Timespec {
            tv_sec: theirs.tv_sec,
            tv_nsec: theirs.tv_nsec,
        };
        assert!(ours <= later && later.as_nanoseconds() - ours.as_nanoseconds() < 1_000_000_000);
    }
    let mut ignored = Timespec::default();
    // SAFETY: as above.
    let invalid = unsafe {
        system_call(
            SystemCall::ClockGettime,
            &[999, mutable_address_of(&mut ignored)],
        )
    };
    assert_eq!(invalid, Err(Errno::EINVAL));
}

#[test]
fn the_auxiliary_vector_uses_these_keys() {
    let bytes = std::fs::read("/proc/self/auxv").expect("read /proc/self/auxv");
    let entry_size = core::mem::size_of::<AuxiliaryVectorEntry>();
    let entries: Vec<AuxiliaryVectorEntry> = bytes
        .chunks_exact(entry_size)
        .map(|chunk| AuxiliaryVectorEntry {
            a_type: u64::from_ne_bytes(chunk[..8].try_into().expect("8 bytes")),
            a_val: u64::from_ne_bytes(chunk[8..].try_into().expect("8 bytes")),
        })
        .collect();
    assert_eq!(entries.last().map(|entry| entry.a_type), Some(AT_NULL));
    for key in [AT_PAGESZ, AT_PHNUM, AT_ENTRY, AT_RANDOM] {
        let entry = entries
            .iter()
            .find(|entry| entry.a_type == key)
            .expect("the key is present");
        // SAFETY: getauxval only reads the process's auxiliary vector.
        assert_eq!(entry.a_val, unsafe { libc::getauxval(key) }, "key {key}");
    }
    let page_size = entries
        .iter()
        .find(|entry| entry.a_type == AT_PAGESZ)
        .map(|entry| entry.a_val);
    assert_eq!(page_size, Some(4096));
}

fn mmap(address: u64, length: u64, protection: i32, flags: i32) -> Result<u64, Errno> {
    // SAFETY: anonymous mappings at addresses the test chose or the kernel picks;
    // MAP_FIXED is never used on memory the test harness owns.
    unsafe {
        system_call(
            SystemCall::Mmap,
            &[
                address,
                length,
                protection as u64,
                flags as u64,
                u64::MAX,
                0,
            ],
        )
    }
}

#[test]
fn mmap_flags_behave_as_linux_defines_them() {
    let page = 4096;
    let anonymous = MAP_PRIVATE | MAP_ANONYMOUS;
    let address = mmap(0, 2 * page, PROT_READ | PROT_WRITE, anonymous).expect("mmap");
    assert_eq!(address % page, 0);
    let occupied = mmap(address, page, PROT_READ, anonymous | MAP_FIXED_NOREPLACE);
    assert_eq!(occupied, Err(Errno::EEXIST));
    assert_eq!(
        mmap(0, page, PROT_READ, MAP_ANONYMOUS),
        Err(Errno::EINVAL),
        "no MAP_TYPE"
    );

    // SAFETY: the range is the mapping made above.
    let advised =
        unsafe { system_call(SystemCall::Madvise, &[address, page, MADV_DONTNEED as u64]) };
    assert_eq!(advised, Ok(0));
    // SAFETY: as above.
    let protected =
        unsafe { system_call(SystemCall::Mprotect, &[address, 2 * page, PROT_NONE as u64]) };
    assert_eq!(protected, Ok(0));
    // SAFETY: as above; the mapping may move.
    let moved = unsafe {
        system_call(
            SystemCall::Mremap,
            &[address, 2 * page, 8 * page, MREMAP_MAYMOVE as u64, 0],
        )
    }
    .expect("mremap");
    // SAFETY: unmapping the (possibly moved) mapping made above.
    let unmapped = unsafe { system_call(SystemCall::Munmap, &[moved, 8 * page]) };
    assert_eq!(unmapped, Ok(0));
    let low = mmap(0, page, PROT_READ, anonymous | MAP_32BIT).expect("mmap below 2 GiB");
    assert!(low < 1 << 31);
    // SAFETY: unmapping the mapping just made.
    let unmapped = unsafe { system_call(SystemCall::Munmap, &[low, page]) };
    assert_eq!(unmapped, Ok(0));
}
