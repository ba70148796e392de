//! `posix-tests`: runs every conformance program of the initramfs (`/bin/posix-*-tests`) in
//! turn, one after the other, and ends with `N passed, M failed` over all of their checks.
//!
//! The programs print their protocol lines to the console themselves, so they pass through as
//! they are. Each reports its totals in a file of [`SUMMARY_DIRECTORY`], which this program
//! creates first (`libos::test_protocol` writes there only when it exists); a program that ends
//! without a summary, or whose exit status disagrees with it, counts as one more failure.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::fs::protocol::{FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT};
use libos::kernel::call;
use libos::process::identity::waitpid;
use libos::process::spawn_with_budget;
use libos::socket::protocol::UNPRIVILEGED_SOCKET_SERVER;
use libos::test_protocol::SUMMARY_DIRECTORY;
use libos::{Startup, println};
use libposix_sys::fcntl::O_RDONLY;
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED};

libos::main!(main);

/// Pages this runner keeps for itself while a program runs.
const RESERVE_PAGES: u64 = 96;

/// The conformance programs in the initramfs, by path.
fn programs() -> Vec<String> {
    let Ok(archive) = libos::process::initramfs() else {
        return Vec::new();
    };
    let mut found: Vec<String> = initramfs::Archive::new(archive)
        .flatten()
        .map(|entry| {
            format!(
                "/{}",
                entry.name.trim_start_matches("./").trim_start_matches('/')
            )
        })
        .filter(|path| {
            path.strip_prefix("/bin/posix-")
                .is_some_and(|name| name.ends_with("-tests") && !name.contains('/'))
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// `(passed, failed)` from the summary `suite`'s program wrote, if any.
fn summary(program: &str) -> Option<(usize, usize)> {
    let name = program.rsplit('/').next()?;
    let path = format!("{SUMMARY_DIRECTORY}/{name}");
    let fd = libos::fs::open(&path, O_RDONLY, 0).ok()?;
    let mut buffer = [0u8; 64];
    let count = libos::io::descriptors::read(fd, &mut buffer).unwrap_or(0);
    let _ = libos::io::descriptors::close(fd);
    let _ = libos::fs::unlink(&path);
    let text = core::str::from_utf8(&buffer[..count]).ok()?;
    let mut words = text.split_whitespace().map(str::parse::<usize>);
    Some((words.next()?.ok()?, words.next()?.ok()?))
}

/// Runs `program`; answers its `(passed, failed)`.
fn run(program: &str) -> (usize, usize) {
    // The program reaches the servers as we do (the process server grants our credentials'
    // capabilities itself): what `init` grants besides, the unprivileged user's capabilities to
    // the file server (slot 13) and the socket server (slot 7), for the checks that act as them.
    let grants: Vec<_> = [
        FILE_SERVER_SLOT,
        UNPRIVILEGED_FILE_SERVER_SLOT,
        UNPRIVILEGED_SOCKET_SERVER,
    ]
    .into_iter()
    .filter(|&slot| call(libos::abi::Call::CapabilityIdentify { slot }).is_ok())
    .map(|slot| (slot, slot))
    .collect();
    // Nearly all we have: the programs run one at a time and need what they would get from init.
    let available = call(libos::abi::Call::CapabilityIdentify {
        slot: libos::abi::initial::MEMORY_QUOTA,
    })
    .map_or(0, |words| words[3]);
    let budget = available.saturating_sub(RESERVE_PAGES).max(64);
    let started = spawn_with_budget(program, program, "", &grants, budget);
    let pid = match started.map(libos::process::Child::adopt) {
        Ok(Ok(pid)) => pid,
        Ok(Err(child)) => {
            child.reap();
            println!("posix-tests: {program}: started without a pid");
            return (0, 1);
        }
        Err(error) => {
            println!("posix-tests: {program}: cannot start: {error:?}");
            return (0, 1);
        }
    };
    let mut status = 0;
    let collected = waitpid(pid, Some(&mut status), 0);
    let clean_exit = collected == Ok(pid) && WIFEXITED(status);
    match summary(program) {
        Some((passed, failed)) if clean_exit && (WEXITSTATUS(status) == 0) == (failed == 0) => {
            (passed, failed)
        }
        Some((passed, failed)) => {
            println!("posix-tests: {program}: ended with status {status:#x}");
            (passed, failed + 1)
        }
        None => {
            println!("posix-tests: {program}: no summary (status {status:#x})");
            (0, 1)
        }
    }
}

fn main(_startup: &Startup) -> i32 {
    if let Err(error) = libos::fs::mkdir(SUMMARY_DIRECTORY, 0o777)
        && error != libposix_sys::errno::Errno::EEXIST
    {
        println!("posix-tests: cannot create {SUMMARY_DIRECTORY}: {error:?}");
        return 1;
    }
    let programs = programs();
    if programs.is_empty() {
        println!("posix-tests: no /bin/posix-*-tests programs found");
        return 1;
    }
    let (mut passed, mut failed) = (0, 0);
    for program in &programs {
        let (program_passed, program_failed) = run(program);
        println!("posix-tests: {program}: {program_passed} passed, {program_failed} failed");
        passed += program_passed;
        failed += program_failed;
    }
    let _ = libos::fs::rmdir(SUMMARY_DIRECTORY);
    println!("{passed} passed, {failed} failed");
    i32::from(failed != 0)
}
