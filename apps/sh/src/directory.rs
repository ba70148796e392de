//! Reading a directory's names through `getdents64`, for pathname expansion.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use libos::{fs, io};
use libposix_sys::dirent;
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_DIRECTORY, O_RDONLY};

/// The names in the directory at `path`, without `.` and `..`, in the order the file system
/// gives them.
///
/// # Errors
/// The `open` or `getdents64` error.
pub fn names(path: &str) -> Result<Vec<String>, Errno> {
    let directory = fs::open(path, O_RDONLY | O_DIRECTORY, 0)?;
    let mut buffer = vec![0u8; 4096];
    let mut names = Vec::new();
    let result = loop {
        let filled = match fs::getdents64(directory, &mut buffer) {
            Ok(0) => break Ok(()),
            Ok(filled) => filled,
            Err(error) => break Err(error),
        };
        let mut offset = 0;
        let mut malformed = false;
        while offset < filled {
            let Some((entry, name)) = dirent::decode(&buffer[offset..filled]) else {
                malformed = true;
                break;
            };
            let name = String::from_utf8_lossy(name);
            if name != "." && name != ".." {
                names.push(name.into_owned());
            }
            offset += usize::from(entry.d_reclen.max(1));
        }
        if malformed {
            break Err(Errno::EIO);
        }
    };
    let _ = io::close(directory);
    result.map(|()| names)
}
