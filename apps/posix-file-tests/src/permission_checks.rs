//! The file server enforces permissions whatever a client's LibOS does: these checks talk to
//! the server directly with raw kernel calls, as a hostile program would, using the capability
//! `init` badged for an unprivileged user.

use libos::abi::{Call, KernelError, OptionalSlot, PageCount, Rights, Slot, initial};
use libos::fs::protocol::{
    BUFFER_PAGES, DATA_OFFSET, FILE_SERVER_SLOT, Operation, PATH_OFFSET,
    UNPRIVILEGED_FILE_SERVER_SLOT, badge_for,
};
use libos::fs::{open, unlink};
use libos::io::{close, write};
use libos::kernel::call;
use libos::shared_window::SharedWindow;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_WRONLY};

use crate::ensure;

/// A raw connection to the file server through `endpoint`.
pub struct RawConnection {
    endpoint: Slot,
    /// The connection number the server gave.
    pub number: u64,
    window: SharedWindow,
    frame: Slot,
}

impl Drop for RawConnection {
    fn drop(&mut self) {
        let _ = call(Call::CapabilityDelete { slot: self.frame });
        libos::slots::free(self.frame);
    }
}

/// A reply word as a result.
pub fn answer(word: u64) -> Result<u64, Errno> {
    let value = word as i64;
    if value < 0 {
        Err(Errno::from_raw((-value) as i32).unwrap_or(Errno::EIO))
    } else {
        Ok(word)
    }
}

impl RawConnection {
    /// Connects through `endpoint` (not attached: the server keeps it until it ends).
    pub fn connect(endpoint: Slot) -> Result<Self, alloc::string::String> {
        let frame = libos::slots::allocate().ok_or("no slot")?;
        call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: frame,
            pages: PageCount(BUFFER_PAGES),
        })
        .map_err(|error| alloc::format!("frame: {error}"))?;
        let window = SharedWindow::map(frame, BUFFER_PAGES)
            .map_err(|error| alloc::format!("map: {error}"))?;
        let words = call(Call::IpcCall {
            endpoint,
            word0: Operation::Connect as u64,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(Some(frame)),
            receive: OptionalSlot(None),
        })
        .map_err(|error| alloc::format!("connect: {error}"))?;
        let number = answer(words[1]).map_err(|error| alloc::format!("connect: {error}"))?;
        Ok(Self {
            endpoint,
            number,
            window,
            frame,
        })
    }

    /// One raw call as connection `number` (which a hostile client may choose freely).
    fn call_as(
        &self,
        number: u64,
        operation: Operation,
        word1: u64,
        word2: u64,
    ) -> Result<u64, Errno> {
        let words = call(Call::IpcCall {
            endpoint: self.endpoint,
            word0: operation as u64 | (number << 8),
            word1,
            word2,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        })
        .map_err(|_| Errno::EIO)?;
        answer(words[1])
    }

    /// `Open` of `path` from the root: the handle.
    pub fn open(&self, path: &str, flags: i32) -> Result<u64, Errno> {
        self.open_with_mode(path, flags, 0)
    }

    /// A raw call on this connection.
    pub fn call_raw(&self, operation: Operation, word1: u64, word2: u64) -> Result<u64, Errno> {
        self.call_as(self.number, operation, word1, word2)
    }

    /// Copies `bytes` into the shared buffer at `offset`.
    pub fn put(&self, offset: usize, bytes: &[u8]) {
        self.window.copy_in(offset, bytes);
    }

    /// An operation on one path from the root with the given words.
    pub fn path_call(
        &self,
        operation: Operation,
        path: &str,
        word1: u64,
        word2: u64,
    ) -> Result<u64, Errno> {
        self.window.copy_in(PATH_OFFSET, path.as_bytes());
        self.window.copy_in(PATH_OFFSET + path.len(), &[0]);
        self.call_as(self.number, operation, word1, word2)
    }

    /// An operation taking two paths from the root (`Link`, `Rename`) with `flags` in word 1.
    pub fn two_paths(
        &self,
        operation: Operation,
        first: &str,
        second: &str,
        flags: u64,
    ) -> Result<u64, Errno> {
        self.window.copy_in(PATH_OFFSET, first.as_bytes());
        self.window.copy_in(PATH_OFFSET + first.len(), &[0]);
        self.window.copy_in(DATA_OFFSET, second.as_bytes());
        self.window.copy_in(DATA_OFFSET + second.len(), &[0]);
        self.call_as(self.number, operation, flags, 0)
    }

    /// `Open` with a creation mode.
    pub fn open_with_mode(&self, path: &str, flags: i32, mode: u32) -> Result<u64, Errno> {
        self.window.copy_in(PATH_OFFSET, path.as_bytes());
        self.window.copy_in(PATH_OFFSET + path.len(), &[0]);
        self.call_as(
            self.number,
            Operation::Open,
            u64::from(flags as u32) | (u64::from(mode) << 32),
            0,
        )
    }
}

fn other_user_cannot_read() -> CheckOutcome {
    let _ = unlink("/tmp/secret");
    let fd = open("/tmp/secret", O_CREAT | O_EXCL | O_WRONLY, 0o600)
        .map_err(|error| alloc::format!("create as root: {error}"))?;
    let _ = write(fd, b"root's secret");
    let _ = close(fd);
    let outcome = (|| {
        let root = RawConnection::connect(FILE_SERVER_SLOT)?;
        let root_handle = root.open("/tmp/secret", O_RDONLY);
        ensure!(
            root_handle.is_ok(),
            "root cannot open its own file: {root_handle:?}"
        );
        let other = RawConnection::connect(UNPRIVILEGED_FILE_SERVER_SLOT)?;
        for flags in [O_RDONLY, O_WRONLY, O_RDWR] {
            let refused = other.open("/tmp/secret", flags);
            ensure!(
                refused == Err(Errno::EACCES),
                "user 1000 opening root's 0600 file ({flags:#o}) got {refused:?}, not EACCES"
            );
        }
        // Using root's handle number or root's connection from the other badge gets nothing.
        let handle = root_handle.unwrap_or(0);
        let stolen_handle = other.call_as(other.number, Operation::Read, handle | (16 << 32), 0);
        ensure!(
            stolen_handle == Err(Errno::EBADF),
            "reading root's handle number gave {stolen_handle:?}"
        );
        let stolen_connection = other.call_as(root.number, Operation::Read, handle | (16 << 32), 0);
        ensure!(
            stolen_connection == Err(Errno::EBADF),
            "calling on root's connection gave {stolen_connection:?}"
        );
        let unknown = other.call_as(other.number, Operation::Read, 0xdead_beef, u64::MAX);
        ensure!(
            unknown == Err(Errno::EBADF),
            "a made-up handle gave {unknown:?}"
        );
        let garbage = other.call_as(other.number, Operation::Connect, 0, 0);
        ensure!(
            garbage == Err(Errno::EINVAL),
            "connect without a frame gave {garbage:?}"
        );
        let unknown_operation = call(Call::IpcCall {
            endpoint: UNPRIVILEGED_FILE_SERVER_SLOT,
            word0: 0xff,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        })
        .map(|words| answer(words[1]));
        ensure!(
            unknown_operation == Ok(Err(Errno::ENOSYS)),
            "an unknown operation gave {unknown_operation:?}"
        );
        // A path without its NUL across the whole buffer.
        other.window.copy_in(PATH_OFFSET, &[b'a'; DATA_OFFSET]);
        let unterminated = other.call_as(other.number, Operation::Open, 0, 0);
        ensure!(
            unterminated == Err(Errno::ENAMETOOLONG),
            "an unterminated path gave {unterminated:?}"
        );
        // Nor can the capability be re-badged as root.
        let slot = libos::slots::allocate().ok_or("no slot")?;
        let minted = call(Call::CapabilityMint {
            source: UNPRIVILEGED_FILE_SERVER_SLOT,
            destination: slot,
            rights: Rights::SEND | Rights::GRANT,
            badge: badge_for(0, 0),
        });
        if minted.is_ok() {
            let _ = call(Call::CapabilityDelete { slot });
        }
        libos::slots::free(slot);
        ensure!(
            minted == Err(KernelError::InvalidArgument),
            "re-badging as root gave {minted:?}"
        );
        // The other user may still create its own files in the sticky /tmp, and not remove root's.
        let own = other.open("/tmp/secret-of-1000", O_CREAT | O_EXCL | O_WRONLY);
        ensure!(own.is_ok(), "user 1000 creating in /tmp gave {own:?}");
        other.window.copy_in(PATH_OFFSET, b"/tmp/secret\0");
        let removed = other.call_as(other.number, Operation::Remove, 0, 0);
        ensure!(
            removed == Err(Errno::EPERM),
            "user 1000 removing root's file from sticky /tmp gave {removed:?}"
        );
        other.window.copy_in(PATH_OFFSET, b"/tmp/secret\0");
        let chmod = other.call_as(other.number, Operation::ChangeMode, 0o666, 0);
        ensure!(
            chmod == Err(Errno::EPERM),
            "user 1000 chmod of root's file gave {chmod:?}"
        );
        other.window.copy_in(PATH_OFFSET, b"/tmp/secret\0");
        let access = other.call_as(other.number, Operation::Access, 4, 0);
        ensure!(
            access == Err(Errno::EACCES),
            "user 1000 R_OK of root's 0600 file gave {access:?}"
        );
        other.window.copy_in(PATH_OFFSET, b"/bin/file-server\0");
        let system = other.open("/bin/file-server", O_WRONLY);
        ensure!(
            system == Err(Errno::EACCES),
            "user 1000 writing /bin/file-server gave {system:?}"
        );
        Ok(())
    })();
    let _ = unlink("/tmp/secret");
    let _ = unlink("/tmp/secret-of-1000");
    outcome
}

/// A 0600 file of root cannot be opened by user 1000 talking to the server directly, nor
/// through stolen handles or connections, nor by re-badging; sticky `/tmp`.
pub const OTHER_USER_CANNOT_READ: Check = Check {
    name: "file-permissions-enforced-by-the-server",
    covers: &[
        "open:EACCES",
        "open:permissions-in-server",
        "unlink:sticky-directory",
        "chmod:EPERM",
        "access:EACCES",
    ],
    run: other_user_cannot_read,
};
