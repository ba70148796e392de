//! The walk over the trees named on the command line: every regular file found is handed to
//! the pool as it is found. Directories are entered (symbolic links met inside a tree are not
//! followed, as with `grep -r`); other kinds of file (links, devices, FIFOs, sockets) are
//! passed over, so a worker never blocks on a FIFO.

use alloc::string::String;
use alloc::vec::Vec;

use libos::io::close;
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_DIRECTORY, O_RDONLY};
use libposix_sys::mode::{S_IFDIR, S_IFMT, S_IFREG};

use crate::output::error_line;

/// `path/name` without doubling a slash.
fn join(path: &str, name: &str) -> String {
    if path.ends_with('/') {
        alloc::format!("{path}{name}")
    } else {
        alloc::format!("{path}/{name}")
    }
}

/// The names in directory `path` (without `.` and `..`).
fn directory_names(path: &str) -> Result<Vec<String>, Errno> {
    let fd = libos::fs::open(path, O_RDONLY | O_DIRECTORY, 0)?;
    let mut names = Vec::new();
    let mut buffer = [0u8; 4096];
    let result = loop {
        let length = match libos::fs::getdents64(fd, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(length) => length,
            Err(error) => break Err(error),
        };
        let mut offset = 0;
        while offset < length {
            let Some((entry, name)) = libposix_sys::dirent::decode(&buffer[offset..length]) else {
                break;
            };
            offset += usize::from(entry.d_reclen).max(1);
            if name != b"." && name != b".." {
                names.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    };
    let _ = close(fd);
    result.map(|()| names)
}

/// Walks `root` (followed if it is a link), calling `found` with the path of every regular
/// file. Returns false when something could not be read (each such path reported on standard
/// error); the walk goes on past it.
pub fn walk(root: &str, found: &mut dyn FnMut(String)) -> bool {
    let status = match libos::fs::stat(root) {
        Ok(status) => status,
        Err(error) => {
            error_line(&alloc::format!("{root}: {error}"));
            return false;
        }
    };
    match status.st_mode & S_IFMT {
        S_IFREG => {
            found(String::from(root));
            return true;
        }
        S_IFDIR => {}
        _ => return true,
    }
    let mut complete = true;
    // Directories still to read: an explicit stack, so a deep tree costs heap, not stack.
    let mut directories = alloc::vec![String::from(root)];
    while let Some(directory) = directories.pop() {
        let names = match directory_names(&directory) {
            Ok(names) => names,
            Err(error) => {
                error_line(&alloc::format!("{directory}: {error}"));
                complete = false;
                continue;
            }
        };
        for name in names {
            let path = join(&directory, &name);
            match libos::fs::lstat(&path) {
                Ok(status) if status.st_mode & S_IFMT == S_IFDIR => directories.push(path),
                Ok(status) if status.st_mode & S_IFMT == S_IFREG => found(path),
                Ok(_) => {}
                Err(error) => {
                    error_line(&alloc::format!("{path}: {error}"));
                    complete = false;
                }
            }
        }
    }
    complete
}
