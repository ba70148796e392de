//! The first user program: runs the command the kernel was given and exits with its status.
#![no_std]
#![no_main]

extern crate alloc;

use libos::process::{Ending, SpawnError, spawn};
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

fn main(startup: &Startup) -> i32 {
    let mut words = startup.command.split(' ').filter(|word| !word.is_empty());
    let Some(program) = words.next() else {
        println!("init: no command given; user space is up (there is no shell yet).");
        return 0;
    };
    let path = libos::percent_decode(program);
    let child = match spawn(&path, startup.command, &[]) {
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
