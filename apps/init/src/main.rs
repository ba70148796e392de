//! The first user program: runs the command the kernel was given and exits with its status.
#![no_std]
#![no_main]

extern crate alloc;

use libos::abi::{Call, Rights, Slot, initial};
use libos::fs::protocol::{
    FILE_SERVER_SLOT, UNPRIVILEGED_FILE_SERVER_SLOT, UNPRIVILEGED_USER, badge_for,
};
use libos::kernel::call;
use libos::process::{Child, Ending, SpawnError, spawn};
use libos::{Startup, println};
use libposix_sys::signal::{SIGBUS, SIGFPE, SIGILL, SIGSEGV};

libos::main!(main);

/// The shell's convention for a program killed by a signal.
fn killed_by(signal: i32) -> i32 {
    128 + signal
}

/// The signal a fatal exception maps to, as a POSIX system reports it.
fn signal_for_exception(vector: u64) -> i32 {
    match vector {
        0 | 16 | 19 => SIGFPE,
        6 => SIGILL,
        17 => SIGBUS,
        _ => SIGSEGV,
    }
}

/// Starts the shared root file system's server (docs/files.md) and returns it with the slots of
/// SEND capabilities to it badged with root's credentials and with an unprivileged user's, for
/// the command. `None` (and a warning) when it cannot start: the command then runs with devfs
/// only.
fn start_file_server() -> Option<(Child, Slot, Slot)> {
    let endpoint = libos::slots::allocate()?;
    let client = libos::slots::allocate()?;
    let unprivileged = libos::slots::allocate()?;
    let started = (|| {
        call(Call::EndpointCreate {
            quota: initial::MEMORY_QUOTA,
            destination: endpoint,
        })
        .map_err(|error| alloc::format!("endpoint: {error}"))?;
        call(Call::CapabilityMint {
            source: endpoint,
            destination: client,
            rights: Rights::SEND | Rights::GRANT,
            badge: badge_for(0, 0),
        })
        .map_err(|error| alloc::format!("badge: {error}"))?;
        call(Call::CapabilityMint {
            source: endpoint,
            destination: unprivileged,
            rights: Rights::SEND | Rights::GRANT,
            badge: badge_for(UNPRIVILEGED_USER, UNPRIVILEGED_USER),
        })
        .map_err(|error| alloc::format!("badge: {error}"))?;
        spawn(
            "/bin/file-server",
            "/bin/file-server",
            &[(endpoint, FILE_SERVER_SLOT)],
        )
        .map_err(|error| alloc::format!("{error:?}"))
    })();
    match started {
        Ok(server) => Some((server, client, unprivileged)),
        Err(reason) => {
            println!("init: the file server did not start ({reason}); only /dev is available");
            None
        }
    }
}

fn main(startup: &Startup) -> i32 {
    let mut words = startup.command.split(' ').filter(|word| !word.is_empty());
    let Some(program) = words.next() else {
        println!("init: no command given; user space is up (there is no shell yet).");
        return 0;
    };
    let path = libos::percent_decode(program);
    let file_server = start_file_server();
    let grants: &[(Slot, Slot)] = match &file_server {
        Some((_, client, unprivileged)) => &[
            (*client, FILE_SERVER_SLOT),
            (*unprivileged, UNPRIVILEGED_FILE_SERVER_SLOT),
        ],
        None => &[],
    };
    let status = run(&path, startup.command, grants);
    if let Some((server, _, _)) = file_server {
        server.reap();
    }
    status
}

/// Runs the command and answers its exit status as a shell would.
fn run(path: &str, command: &str, grants: &[(Slot, Slot)]) -> i32 {
    let child = match spawn(path, command, grants) {
        Ok(child) => child,
        Err(SpawnError::NotFound) => {
            println!("init: {path}: not found");
            return 127;
        }
        Err(SpawnError::NotExecutable) => {
            println!("init: {path}: not an executable");
            return 126;
        }
        Err(SpawnError::Kernel(error)) => {
            println!("init: {path}: cannot start: {error}");
            return 126;
        }
    };
    let status = match child.wait(0) {
        Ok(Ending::Exited(status)) => (status & 0xff) as i32,
        Ok(Ending::Faulted { vector, address }) => {
            println!("init: {path}: killed by exception {vector} at address {address:#x}");
            killed_by(signal_for_exception(vector))
        }
        Err(error) => {
            println!("init: {path}: lost track of it: {error}");
            killed_by(libposix_sys::signal::SIGKILL)
        }
    };
    child.reap();
    status
}
