//! `ls`, `cat`, `mkdir` and `rm` in their simplest forms, run only when `PATH` finds no program
//! of that name (so that a system without its utilities still has a usable shell).

use alloc::vec;

use libos::{fs, io};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::O_RDONLY;

use crate::output::write_all;
use crate::{complain, out};

fn report(name: &str, operand: &str, result: Result<(), Errno>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(error) => {
            complain!("{name}: {operand}: {}", error.description());
            1
        }
    }
}

/// `ls [directory…]`: each name, one a line, sorted.
pub fn ls(arguments: &[&str]) -> i32 {
    let operands = if arguments.is_empty() {
        &["."][..]
    } else {
        arguments
    };
    let mut status = 0;
    for operand in operands {
        match crate::directory::names(operand) {
            Ok(mut names) => {
                names.sort();
                for name in names.iter().filter(|name| !name.starts_with('.')) {
                    out!("{name}\n");
                }
            }
            Err(Errno::ENOTDIR) => {
                out!("{operand}\n");
            }
            Err(error) => status |= report("ls", operand, Err(error)),
        }
    }
    status
}

/// `cat [file…]`: the files (standard input without any, or for `-`) to standard output.
pub fn cat(arguments: &[&str]) -> i32 {
    let operands = if arguments.is_empty() {
        &["-"][..]
    } else {
        arguments
    };
    let mut status = 0;
    for operand in operands {
        let result = (|| {
            let file = if *operand == "-" {
                0
            } else {
                fs::open(operand, O_RDONLY, 0)?
            };
            let mut buffer = vec![0u8; 4096];
            let copied = loop {
                match io::read(file, &mut buffer) {
                    Ok(0) => break Ok(()),
                    Ok(count) => {
                        if !write_all(1, &buffer[..count]) {
                            break Err(Errno::EIO);
                        }
                    }
                    Err(error) => break Err(error),
                }
            };
            if file != 0 {
                let _ = io::close(file);
            }
            copied
        })();
        status |= report("cat", operand, result);
    }
    status
}

/// `mkdir directory…`.
pub fn mkdir(arguments: &[&str]) -> i32 {
    let mut status = 0;
    for operand in arguments {
        status |= report("mkdir", operand, fs::mkdir(operand, 0o777));
    }
    status
}

/// `rm file…`.
pub fn rm(arguments: &[&str]) -> i32 {
    let mut status = 0;
    for operand in arguments {
        status |= report("rm", operand, fs::unlink(operand));
    }
    status
}
