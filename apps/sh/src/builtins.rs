//! The shell's built-in commands, each a few POSIX calls of the LibOS.

use alloc::string::String;
use alloc::vec;

use libos::{fs, io, println};
use libposix_sys::dirent;
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_DIRECTORY, O_RDONLY};

/// Runs `name` if it is built in; `None` if it is not (then it names a program).
pub fn run(name: &str, arguments: &[&str]) -> Option<i32> {
    let result = match name {
        "echo" => {
            println!("{}", arguments.join(" "));
            Ok(())
        }
        "pwd" => pwd(),
        "cd" => fs::chdir(arguments.first().copied().unwrap_or("/")),
        "ls" => list(arguments.first().copied().unwrap_or(".")),
        "cat" => arguments.iter().try_for_each(|path| concatenate(path)),
        "mkdir" => arguments.iter().try_for_each(|path| fs::mkdir(path, 0o777)),
        "rm" => arguments.iter().try_for_each(|path| fs::unlink(path)),
        "help" => {
            println!(
                "built in: echo WORDS, pwd, cd [DIR], ls [DIR], cat FILES, mkdir DIRS, rm FILES, \
                 exit [STATUS]; anything else runs /bin/NAME; `;` separates commands"
            );
            Ok(())
        }
        _ => return None,
    };
    Some(match result {
        Ok(()) => 0,
        Err(error) => {
            println!("sh: {name}: {}", error.description());
            1
        }
    })
}

fn pwd() -> Result<(), Errno> {
    let directory = fs::getcwd(4096)?;
    let text = String::from_utf8_lossy(&directory);
    println!("{}", text.trim_end_matches('\0'));
    Ok(())
}

/// Prints each name in a directory, one a line.
fn list(path: &str) -> Result<(), Errno> {
    let directory = fs::open(path, O_RDONLY | O_DIRECTORY, 0)?;
    let mut buffer = vec![0u8; 4096];
    let result = (|| loop {
        let filled = fs::getdents64(directory, &mut buffer)?;
        if filled == 0 {
            return Ok(());
        }
        let mut offset = 0;
        while offset < filled {
            let Some((entry, name)) = dirent::decode(&buffer[offset..filled]) else {
                return Err(Errno::EIO);
            };
            let name = String::from_utf8_lossy(name);
            if name != "." && name != ".." {
                println!("{name}");
            }
            offset += usize::from(entry.d_reclen.max(1));
        }
    })();
    let _ = io::close(directory);
    result
}

/// Copies a file to standard output.
fn concatenate(path: &str) -> Result<(), Errno> {
    let file = fs::open(path, O_RDONLY, 0)?;
    let mut buffer = vec![0u8; 4096];
    let result = (|| loop {
        let count = io::read(file, &mut buffer)?;
        if count == 0 {
            return Ok(());
        }
        io::write(1, &buffer[..count])?;
    })();
    let _ = io::close(file);
    result
}
