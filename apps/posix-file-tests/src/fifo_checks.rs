//! Checks of FIFOs: `mkfifo`/`mknodat` nodes, the open rendezvous (blocking, `O_NONBLOCK`,
//! `ENXIO`, `O_RDWR`, a writer that came and went, `EINTR`), the pipe semantics through a FIFO
//! (`PIPE_BUF`, `EAGAIN`, `FIONREAD`, `F_GETPIPE_SZ`, `poll`, `epoll`), unlinking while open,
//! descriptors across `fork` and `execve`, end of file and `EPIPE` after the peer was killed or
//! crashed, and the file server's own checks (permissions, pieces of another side) by raw calls.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::fs::client::{self, Opened, Start};
use libos::fs::protocol::fifo_piece;
use libos::io::{Request, close, dup2, fcntl, ioctl, read, write};
use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::{
    F_GETFL, F_GETPIPE_SZ, F_SETFL, O_DIRECTORY, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY,
};
use libposix_sys::mode::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG};
use libposix_sys::poll::{POLLHUP, POLLIN, POLLOUT, Pollfd};
use libposix_sys::signal::{SIGKILL, SIGPIPE};
use libposix_sys::wait::{WEXITSTATUS, WIFEXITED, WIFSIGNALED, WNOHANG, WTERMSIG};

use crate::ensure;

/// How long a check waits for a child before calling it hung.
const CHILD_NANOSECONDS: u64 = 10_000_000_000;

fn error(what: &str) -> impl Fn(Errno) -> String + '_ {
    move |error| format!("{what}: {error}")
}

/// A FIFO made fresh at `path` (an old one of the name removed first), removed on drop.
struct Fifo {
    path: &'static str,
}

impl Fifo {
    fn make(path: &'static str) -> Result<Self, String> {
        let _ = libos::fs::unlink(path);
        libos::fs::mkfifo(path, 0o666).map_err(error("mkfifo"))?;
        Ok(Self { path })
    }

    fn open(&self, flags: i32) -> Result<i32, Errno> {
        libos::fs::open(self.path, flags, 0)
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        let _ = libos::fs::unlink(self.path);
    }
}

fn sleep_milliseconds(milliseconds: u64) {
    let request = libposix_sys::time::Timespec {
        tv_sec: 0,
        tv_nsec: (milliseconds * 1_000_000) as i64,
    };
    let _ = libos::time::nanosleep(&request);
}

/// Waits for child `pid` for at most [`CHILD_NANOSECONDS`] (then kills it): its wait status.
fn wait_child(pid: i32) -> Result<i32, String> {
    let deadline = libos::kernel::clock_nanoseconds() + CHILD_NANOSECONDS;
    loop {
        let mut status = 0;
        match waitpid(pid, Some(&mut status), WNOHANG) {
            Ok(0) => {}
            Ok(_) => return Ok(status),
            Err(error) => return Err(format!("waitpid: {error}")),
        }
        if libos::kernel::clock_nanoseconds() > deadline {
            let _ = libos::signal::kill(pid, SIGKILL);
            let _ = waitpid(pid, None, 0);
            return Err(String::from("the child hung"));
        }
        sleep_milliseconds(5);
    }
}

fn expect_exit(pid: i32, code: i32) -> Result<(), String> {
    let status = wait_child(pid)?;
    ensure!(
        WIFEXITED(status) && WEXITSTATUS(status) == code,
        "the child ended with status {status:#x}, not exit {code}"
    );
    Ok(())
}

/// Kills child `pid` with SIGKILL and reaps it.
fn kill_child(pid: i32) -> Result<(), String> {
    libos::signal::kill(pid, SIGKILL).map_err(error("kill"))?;
    let reaped = waitpid(pid, None, 0);
    ensure!(reaped == Ok(pid), "waitpid after SIGKILL gave {reaped:?}");
    Ok(())
}

/// Reads from non-blocking `fd` until `expected` bytes came (or the deadline passed).
fn read_until(fd: i32, expected: usize) -> Result<Vec<u8>, String> {
    let deadline = libos::kernel::clock_nanoseconds() + CHILD_NANOSECONDS;
    let mut data = Vec::new();
    let mut buffer = [0u8; 256];
    while data.len() < expected {
        match read(fd, &mut buffer) {
            Ok(count) => data.extend_from_slice(&buffer[..count]),
            Err(Errno::EAGAIN) => {}
            Err(error) => return Err(format!("read: {error}")),
        }
        if libos::kernel::clock_nanoseconds() > deadline {
            return Err(format!("only {} of {expected} bytes came", data.len()));
        }
        libos::kernel::yield_now();
    }
    Ok(data)
}

fn set_blocking(fd: i32) -> Result<(), String> {
    let flags = fcntl(fd, F_GETFL, 0).map_err(error("F_GETFL"))?;
    fcntl(fd, F_SETFL, (flags as i32 & !O_NONBLOCK) as u64).map_err(error("F_SETFL"))?;
    Ok(())
}

fn nodes() -> CheckOutcome {
    let path = "/tmp/fifo-node";
    let _ = libos::fs::unlink(path);
    let old_mask = libos::fs::umask(0o027);
    let made = libos::fs::mkfifo(path, 0o666);
    libos::fs::umask(old_mask);
    made.map_err(error("mkfifo"))?;
    let status = libos::fs::stat(path).map_err(error("stat"))?;
    let again = libos::fs::mkfifo(path, 0o666);
    let no_directory = libos::fs::mkfifo("/tmp/no-such-directory/f", 0o666);
    let in_devfs = libos::fs::mkfifo("/dev/fifo", 0o666);
    let under_file = libos::fs::mkfifo("/bin/utils/f", 0o666);
    let _ = libos::fs::unlink(path);
    ensure!(
        status.st_mode == S_IFIFO | 0o640,
        "mode {:o}, not a FIFO with 0666 less the umask 027",
        status.st_mode
    );
    ensure!(status.st_size == 0, "size {}", status.st_size);
    ensure!(
        again == Err(Errno::EEXIST),
        "a second mkfifo gave {again:?}"
    );
    ensure!(
        no_directory == Err(Errno::ENOENT),
        "in a missing directory: {no_directory:?}"
    );
    ensure!(in_devfs == Err(Errno::EROFS), "in devfs: {in_devfs:?}");
    ensure!(
        under_file == Err(Errno::ENOTDIR),
        "under a file: {under_file:?}"
    );
    Ok(())
}

/// `mkfifo`: an `S_IFIFO` node with the mode less the umask, and its errors.
pub const NODES: Check = Check {
    name: "mkfifo-node",
    covers: &["mkfifo", "mkfifo:S_IFIFO-node", "mkfifo:errors"],
    run: nodes,
};

fn mknod_types() -> CheckOutcome {
    let directory = libos::fs::open("/tmp", O_RDONLY | O_DIRECTORY, 0).map_err(error("open"))?;
    let outcome = (|| {
        for name in [
            "mknod-fifo",
            "mknod-file",
            "mknod-device",
            "mknod-dir",
            "mknod-odd",
        ] {
            let _ = libos::fs::unlinkat(directory, name, 0);
        }
        libos::fs::mknodat(directory, "mknod-fifo", S_IFIFO | 0o600, 0)
            .map_err(error("mknodat S_IFIFO"))?;
        libos::fs::mknod("/tmp/mknod-file", S_IFREG | 0o600, 0).map_err(error("mknod S_IFREG"))?;
        let fifo = libos::fs::stat("/tmp/mknod-fifo").map_err(error("stat"))?;
        let file = libos::fs::stat("/tmp/mknod-file").map_err(error("stat"))?;
        ensure!(
            fifo.st_mode == S_IFIFO | 0o600,
            "mknodat(dirfd, S_IFIFO) made mode {:o}",
            fifo.st_mode
        );
        ensure!(
            file.st_mode == S_IFREG | 0o600 && file.st_size == 0,
            "mknod(S_IFREG) made mode {:o} size {}",
            file.st_mode,
            file.st_size
        );
        let exists = libos::fs::mknodat(directory, "mknod-fifo", S_IFIFO | 0o600, 0);
        ensure!(exists == Err(Errno::EEXIST), "over a name: {exists:?}");
        let character = libos::fs::mknod("/tmp/mknod-device", S_IFCHR | 0o600, 0x0103);
        let block = libos::fs::mknod("/tmp/mknod-device", S_IFBLK | 0o600, 0x0800);
        let directory_node = libos::fs::mknod("/tmp/mknod-dir", S_IFDIR | 0o700, 0);
        let odd = libos::fs::mknod("/tmp/mknod-odd", 0o170_000 | 0o600, 0);
        ensure!(
            character == Err(Errno::EPERM) && block == Err(Errno::EPERM),
            "device nodes: {character:?} {block:?}"
        );
        ensure!(
            directory_node == Err(Errno::EPERM),
            "S_IFDIR: {directory_node:?}"
        );
        ensure!(odd == Err(Errno::EINVAL), "an unknown type: {odd:?}");
        ensure!(
            libos::fs::stat("/tmp/mknod-device").is_err(),
            "a refused mknod left a node"
        );
        Ok(())
    })();
    for name in ["mknod-fifo", "mknod-file"] {
        let _ = libos::fs::unlinkat(directory, name, 0);
    }
    let _ = close(directory);
    outcome
}

/// `mknod`/`mknodat`: FIFOs (relative to a directory descriptor), regular files, and Linux's
/// refusals for an unprivileged caller.
pub const MKNOD_TYPES: Check = Check {
    name: "mknod-types",
    covers: &[
        "mknod:S_IFIFO",
        "mknod:S_IFREG",
        "mknod:EPERM-device",
        "mknodat:dirfd",
        "mknodat:S_IFIFO",
    ],
    run: mknod_types,
};

fn nonblocking_opens() -> CheckOutcome {
    let fifo = Fifo::make("/tmp/fifo-nonblocking")?;
    // No reader: a non-blocking writer is refused, a non-blocking reader opens at once.
    let lonely_writer = fifo.open(O_WRONLY | O_NONBLOCK);
    let reader = fifo
        .open(O_RDONLY | O_NONBLOCK)
        .map_err(error("open reader"))?;
    let outcome = (|| {
        let mut buffer = [0u8; 8];
        // No writer has come yet: neither readable nor hung up (Linux's poll).
        let quiet = poll_one(reader, POLLIN);
        let no_writer = read(reader, &mut buffer);
        let writer = fifo
            .open(O_WRONLY | O_NONBLOCK)
            .map_err(error("open a writer with a reader there"))?;
        let empty = read(reader, &mut buffer);
        let wrote = write(writer, b"fifo");
        let got = read(reader, &mut buffer);
        let _ = close(writer);
        let hung_up = poll_one(reader, POLLIN);
        let end = read(reader, &mut buffer);
        ensure!(quiet == 0, "a reader no writer met polled {quiet:#x}");
        ensure!(
            hung_up & POLLHUP != 0,
            "no POLLHUP after the writer closed: {hung_up:#x}"
        );
        ensure!(
            lonely_writer == Err(Errno::ENXIO),
            "O_WRONLY|O_NONBLOCK without a reader gave {lonely_writer:?}"
        );
        ensure!(no_writer == Ok(0), "read with no writer yet: {no_writer:?}");
        ensure!(
            empty == Err(Errno::EAGAIN),
            "read of an empty FIFO with a writer: {empty:?}"
        );
        ensure!(
            wrote == Ok(4) && got == Ok(4) && &buffer[..4] == b"fifo",
            "write {wrote:?}, read {got:?}"
        );
        ensure!(end == Ok(0), "after the writer closed: {end:?}");
        Ok(())
    })();
    let _ = close(reader);
    outcome
}

/// `O_NONBLOCK` opens: a reader opens at once, a writer without readers gets `ENXIO`.
pub const NONBLOCKING_OPENS: Check = Check {
    name: "open-fifo-nonblocking",
    covers: &[
        "open:fifo-ENXIO-nonblocking-writer",
        "open:fifo-O_NONBLOCK-reader",
        "poll:fifo-POLLHUP-after-writer",
    ],
    run: nonblocking_opens,
};

fn blocking_opens() -> CheckOutcome {
    let fifo = Fifo::make("/tmp/fifo-blocking")?;
    // A reader blocks until a writer opens: the child opens for writing a little later.
    let child = match fork() {
        Ok(0) => {
            sleep_milliseconds(100);
            let Ok(writer) = fifo.open(O_WRONLY) else {
                _exit(2)
            };
            let status = if write(writer, b"late") == Ok(4) {
                0
            } else {
                3
            };
            _exit(status);
        }
        Ok(pid) => pid,
        Err(error) => return Err(format!("fork: {error}")),
    };
    let reader = fifo.open(O_RDONLY).map_err(error("blocking reader open"))?;
    let mut buffer = [0u8; 8];
    let got = read(reader, &mut buffer);
    let end = read(reader, &mut buffer);
    let _ = close(reader);
    expect_exit(child, 0)?;
    ensure!(
        got == Ok(4) && &buffer[..4] == b"late",
        "the reader read {got:?}"
    );
    ensure!(end == Ok(0), "after the writer exited: {end:?}");
    // A writer blocks until a reader opens.
    let child = match fork() {
        Ok(0) => {
            sleep_milliseconds(100);
            let Ok(reader) = fifo.open(O_RDONLY) else {
                _exit(2)
            };
            let mut byte = [0u8; 1];
            let status = if read(reader, &mut byte) == Ok(1) && byte[0] == b'w' {
                0
            } else {
                3
            };
            _exit(status);
        }
        Ok(pid) => pid,
        Err(error) => return Err(format!("fork: {error}")),
    };
    let writer = fifo.open(O_WRONLY).map_err(error("blocking writer open"))?;
    let wrote = write(writer, b"w");
    expect_exit(child, 0)?;
    let _ = close(writer);
    ensure!(wrote == Ok(1), "the writer wrote {wrote:?}");
    Ok(())
}

/// Blocking opens: a reader waits for a writer, a writer for a reader.
pub const BLOCKING_OPENS: Check = Check {
    name: "open-fifo-blocking",
    covers: &["open:fifo-blocking-reader", "open:fifo-blocking-writer"],
    run: blocking_opens,
};

fn came_and_went() -> CheckOutcome {
    let fifo = Fifo::make("/tmp/fifo-came-and-went")?;
    // The child's writer opens (once our reader is there: O_NONBLOCK is ENXIO before) and
    // closes at once; our blocked open must still return.
    let child = match fork() {
        Ok(0) => {
            let deadline = libos::kernel::clock_nanoseconds() + CHILD_NANOSECONDS;
            loop {
                match fifo.open(O_WRONLY | O_NONBLOCK) {
                    Ok(writer) => {
                        let _ = close(writer);
                        _exit(0);
                    }
                    Err(Errno::ENXIO) if libos::kernel::clock_nanoseconds() < deadline => {
                        sleep_milliseconds(5);
                    }
                    Err(_) => _exit(2),
                }
            }
        }
        Ok(pid) => pid,
        Err(error) => return Err(format!("fork: {error}")),
    };
    let reader = fifo.open(O_RDONLY).map_err(error("blocking reader open"));
    let end = reader.map(|reader| {
        let mut buffer = [0u8; 4];
        let end = read(reader, &mut buffer);
        let _ = close(reader);
        end
    });
    expect_exit(child, 0)?;
    let end = end?;
    ensure!(end == Ok(0), "after the writer came and went: {end:?}");
    Ok(())
}

/// A writer that opened and closed while a reader waited in `open` still releases it.
pub const CAME_AND_WENT: Check = Check {
    name: "open-fifo-writer-came-and-went",
    covers: &["open:fifo-writer-came-and-went"],
    run: came_and_went,
};

extern "C" fn note_alarm(
    _signal: i32,
    _: *mut libposix_sys::siginfo::Siginfo,
    _: *mut core::ffi::c_void,
) {
}

fn interrupted_open() -> CheckOutcome {
    let fifo = Fifo::make("/tmp/fifo-interrupted")?;
    // In a child: a handler without SA_RESTART, an alarm, and an open no writer ever meets.
    let child = match fork() {
        Ok(0) => {
            let action = libposix_sys::signal::KernelSigaction {
                sa_handler: note_alarm as *const () as usize,
                sa_flags: 0,
                sa_restorer: 0,
                sa_mask: libposix_sys::signal::SignalSet::EMPTY,
            };
            if libos::signal::sigaction(libposix_sys::signal::SIGALRM, Some(&action), None).is_err()
            {
                _exit(2);
            }
            let timer = libposix_sys::time::Itimerval {
                it_interval: libposix_sys::time::Timeval::default(),
                it_value: libposix_sys::time::Timeval {
                    tv_sec: 0,
                    tv_usec: 100_000,
                },
            };
            if libos::signal::setitimer(libposix_sys::time::ITIMER_REAL, &timer, None).is_err() {
                _exit(3);
            }
            let status = match fifo.open(O_RDONLY) {
                Err(Errno::EINTR) => 0,
                Ok(_) => 4,
                Err(_) => 5,
            };
            _exit(status);
        }
        Ok(pid) => pid,
        Err(error) => return Err(format!("fork: {error}")),
    };
    expect_exit(child, 0).map_err(|reason| format!("the interrupted open: {reason}"))
}

/// A blocked FIFO open ends with `EINTR` when a handler without `SA_RESTART` runs.
pub const INTERRUPTED_OPEN: Check = Check {
    name: "open-fifo-EINTR",
    covers: &["open:fifo-EINTR"],
    run: interrupted_open,
};

fn poll_one(fd: i32, events: i16) -> i16 {
    let mut fds = [Pollfd {
        fd,
        events,
        revents: 0,
    }];
    match libos::event::poll(&mut fds, 0) {
        Ok(_) => fds[0].revents,
        Err(_) => -1,
    }
}

fn pipe_semantics() -> CheckOutcome {
    let fifo = Fifo::make("/tmp/fifo-semantics")?;
    // O_RDWR never blocks: both ends in one description.
    let both = fifo.open(O_RDWR).map_err(error("O_RDWR open"))?;
    let reader = fifo.open(O_RDONLY | O_NONBLOCK).map_err(error("reader"))?;
    let writer = fifo.open(O_WRONLY | O_NONBLOCK).map_err(error("writer"))?;
    let epoll = libos::event::epoll_create1(0).map_err(error("epoll_create1"))?;
    let outcome = (|| {
        let size = fcntl(reader, F_GETPIPE_SZ, 0);
        ensure!(size == Ok(65536), "F_GETPIPE_SZ gave {size:?}");
        ensure!(
            write(both, b"self") == Ok(4),
            "a write on the O_RDWR descriptor failed"
        );
        let mut buffer = [0u8; 8];
        let own = read(both, &mut buffer);
        ensure!(
            own == Ok(4) && &buffer[..4] == b"self",
            "O_RDWR read its own write as {own:?}"
        );
        let mut empty = read(reader, &mut buffer);
        ensure!(
            empty == Err(Errno::EAGAIN),
            "read of an empty FIFO: {empty:?}"
        );
        ensure!(
            poll_one(reader, POLLIN) == 0,
            "an empty FIFO polled {:#x}",
            poll_one(reader, POLLIN)
        );
        libos::event::epoll_ctl(
            epoll,
            libposix_sys::epoll::EPOLL_CTL_ADD,
            reader,
            Some(libposix_sys::epoll::EpollEvent {
                events: libposix_sys::epoll::EPOLLIN,
                data: 7,
            }),
        )
        .map_err(error("epoll_ctl"))?;
        let mut events = [libposix_sys::epoll::EpollEvent { events: 0, data: 0 }; 2];
        let none = libos::event::epoll_wait(epoll, &mut events, 0);
        ensure!(none == Ok(0), "epoll on an empty FIFO: {none:?}");
        ensure!(write(writer, b"ready") == Ok(5), "write failed");
        let ready = libos::event::epoll_wait(epoll, &mut events, 1000);
        ensure!(
            ready == Ok(1) && events[0].data == 7,
            "epoll after a write: {ready:?}"
        );
        ensure!(
            poll_one(reader, POLLIN) == POLLIN,
            "readable FIFO polled {:#x}",
            poll_one(reader, POLLIN)
        );
        ensure!(
            poll_one(writer, POLLOUT) == POLLOUT,
            "writable FIFO polled {:#x}",
            poll_one(writer, POLLOUT)
        );
        let mut available = 0;
        ioctl(reader, Request::BytesAvailable(&mut available)).map_err(error("FIONREAD"))?;
        ensure!(available == 5, "FIONREAD said {available}");
        // Fill the ring to 4095 bytes short: a PIPE_BUF write then goes whole or not at all.
        let chunk = [b'z'; 4096];
        let mut filled = 5;
        while filled < 65536 - 4095 {
            let count = (65536 - 4095 - filled).min(chunk.len());
            filled += write(writer, &chunk[..count]).map_err(error("filling"))?;
        }
        let atomic = write(writer, &chunk);
        ensure!(
            atomic == Err(Errno::EAGAIN),
            "a PIPE_BUF write with 4095 bytes free gave {atomic:?}"
        );
        let partial = write(writer, &[b'y'; 8192]);
        ensure!(
            partial == Ok(4095),
            "a larger non-blocking write took {partial:?}, not what fit"
        );
        ioctl(reader, Request::BytesAvailable(&mut available)).map_err(error("FIONREAD"))?;
        ensure!(
            available == 65536,
            "FIONREAD of a full ring said {available}"
        );
        ensure!(
            poll_one(writer, POLLOUT) == 0,
            "a full FIFO polled writable"
        );
        let mut drained = 0;
        let mut big = [0u8; 4096];
        loop {
            match read(reader, &mut big) {
                Ok(count) => drained += count,
                Err(Errno::EAGAIN) => break,
                Err(error) => return Err(format!("draining: {error}")),
            }
        }
        ensure!(drained == 65536, "drained {drained} bytes");
        empty = read(reader, &mut buffer);
        ensure!(empty == Err(Errno::EAGAIN), "after draining: {empty:?}");
        // The O_RDWR descriptor is a writer: closing the other writer leaves no end of file.
        let _ = close(writer);
        ensure!(
            read(reader, &mut buffer) == Err(Errno::EAGAIN),
            "end of file while an O_RDWR descriptor holds the FIFO"
        );
        let _ = close(both);
        let end = read(reader, &mut buffer);
        ensure!(end == Ok(0), "after every writer closed: {end:?}");
        ensure!(
            poll_one(reader, POLLIN) & POLLHUP != 0,
            "no POLLHUP after every writer closed"
        );
        Ok(())
    })();
    let _ = close(epoll);
    let _ = close(reader);
    let _ = close(writer);
    let _ = close(both);
    outcome
}

/// The pipe data path through a FIFO: `O_RDWR`, `EAGAIN`, `PIPE_BUF` atomicity, `FIONREAD`,
/// `F_GETPIPE_SZ`, `poll` and `epoll` readiness, end of file.
pub const PIPE_SEMANTICS: Check = Check {
    name: "fifo-pipe-semantics",
    covers: &[
        "open:fifo-O_RDWR",
        "mkfifo:PIPE_BUF-atomic",
        "mkfifo:O_NONBLOCK-EAGAIN",
        "mkfifo:FIONREAD",
        "mkfifo:F_GETPIPE_SZ",
        "mkfifo:poll",
        "mkfifo:epoll",
        "mkfifo:EOF-after-close",
    ],
    run: pipe_semantics,
};

fn unlinked_while_open() -> CheckOutcome {
    let fifo = Fifo::make("/tmp/fifo-unlinked")?;
    let reader = fifo.open(O_RDONLY | O_NONBLOCK).map_err(error("reader"))?;
    let writer = fifo.open(O_WRONLY).map_err(error("writer"));
    let outcome = writer.and_then(|writer| {
        let removed = libos::fs::unlink(fifo.path);
        // A new FIFO of the same name is another FIFO.
        let remade = libos::fs::mkfifo(fifo.path, 0o600);
        let stranger = fifo.open(O_WRONLY | O_NONBLOCK);
        let wrote = write(writer, b"still");
        let mut buffer = [0u8; 8];
        let got = read(reader, &mut buffer);
        let status = libos::fs::fstat(reader);
        let _ = close(writer);
        let end = read(reader, &mut buffer);
        ensure!(removed == Ok(()), "unlink gave {removed:?}");
        ensure!(remade == Ok(()), "mkfifo of the name again gave {remade:?}");
        ensure!(
            stranger == Err(Errno::ENXIO),
            "the new FIFO had a reader: {stranger:?}"
        );
        ensure!(
            wrote == Ok(5) && got == Ok(5) && &buffer[..5] == b"still",
            "after unlink: write {wrote:?}, read {got:?}"
        );
        ensure!(end == Ok(0), "after the writer closed: {end:?}");
        let status = status.map_err(error("fstat"))?;
        ensure!(
            status.st_mode & S_IFMT == S_IFIFO,
            "fstat of a FIFO descriptor: mode {:o}",
            status.st_mode
        );
        Ok(())
    });
    let _ = close(reader);
    outcome
}

/// A FIFO unlinked while open keeps working for its openers; the name can be made again.
pub const UNLINKED_WHILE_OPEN: Check = Check {
    name: "fifo-unlink-while-open",
    covers: &["mkfifo:unlink-while-open", "fstat:fifo"],
    run: unlinked_while_open,
};

fn across_fork_and_exec() -> CheckOutcome {
    let fifo = Fifo::make("/tmp/fifo-inherited")?;
    let reader = fifo.open(O_RDONLY | O_NONBLOCK).map_err(error("reader"))?;
    let outcome = (|| {
        let writer = fifo.open(O_WRONLY).map_err(error("writer"))?;
        // fork: the child writes through the inherited descriptor; exec: `echo` writes
        // through it as its standard output.
        let forked = match fork() {
            Ok(0) => _exit(if write(writer, b"forked ") == Ok(7) {
                0
            } else {
                2
            }),
            Ok(pid) => pid,
            Err(error) => return Err(format!("fork: {error}")),
        };
        expect_exit(forked, 0)?;
        let executed = match fork() {
            Ok(0) => {
                if dup2(writer, 1) != Ok(1) {
                    _exit(2);
                }
                let _ = libos::process::exec::execve("/bin/echo", &["echo", "executed"], &[]);
                _exit(3)
            }
            Ok(pid) => pid,
            Err(error) => return Err(format!("fork: {error}")),
        };
        expect_exit(executed, 0)?;
        let _ = close(writer);
        // Both ends in one description travel across execve too.
        let both = fifo.open(O_RDWR).map_err(error("O_RDWR"))?;
        let executed = match fork() {
            Ok(0) => {
                if dup2(both, 1) != Ok(1) {
                    _exit(2);
                }
                let _ = libos::process::exec::execve("/bin/echo", &["echo", "both"], &[]);
                _exit(3)
            }
            Ok(pid) => pid,
            Err(error) => {
                let _ = close(both);
                return Err(format!("fork: {error}"));
            }
        };
        let ended = expect_exit(executed, 0);
        let _ = close(both);
        ended?;
        let data = read_until(reader, 21)?;
        ensure!(
            data == b"forked executed\nboth\n",
            "read {:?}",
            String::from_utf8_lossy(&data)
        );
        let mut buffer = [0u8; 4];
        let end = read(reader, &mut buffer);
        ensure!(end == Ok(0), "after every writer ended: {end:?}");
        Ok(())
    })();
    let _ = close(reader);
    outcome
}

/// FIFO descriptors work in a forked child and across `execve`.
pub const ACROSS_FORK_AND_EXEC: Check = Check {
    name: "fifo-across-fork-and-exec",
    covers: &[
        "mkfifo:across-fork",
        "mkfifo:across-execve",
        "mkfifo:O_RDWR-across-execve",
    ],
    run: across_fork_and_exec,
};

/// A child that opens `path` with `flags`, writes `data` (if any) and then crashes (a fault)
/// or, with `crash` false, sleeps until killed.
fn holder(path: &'static str, flags: i32, data: &[u8], crash: bool) -> Result<i32, String> {
    match fork() {
        Ok(0) => {
            let Ok(fd) = libos::fs::open(path, flags, 0) else {
                _exit(2)
            };
            if !data.is_empty() && write(fd, data) != Ok(data.len()) {
                _exit(3);
            }
            if crash {
                crate::pipe_checks::crash_now();
            }
            loop {
                sleep_milliseconds(1000);
            }
        }
        Ok(pid) => Ok(pid),
        Err(error) => Err(format!("fork: {error}")),
    }
}

fn eof_after_writer_ends(crash: bool) -> CheckOutcome {
    let fifo = Fifo::make(if crash {
        "/tmp/fifo-writer-crash"
    } else {
        "/tmp/fifo-writer-killed"
    })?;
    let reader = fifo.open(O_RDONLY | O_NONBLOCK).map_err(error("reader"))?;
    let outcome = (|| {
        let child = holder(fifo.path, O_WRONLY, b"data", crash)?;
        let data = read_until(reader, 4);
        // Blocking from here: the read must wake for the end, not poll.
        set_blocking(reader)?;
        if crash {
            let status = wait_child(child)?;
            ensure!(
                WIFSIGNALED(status),
                "the writer ended {status:#x}, not by a signal"
            );
        } else {
            kill_child(child)?;
        }
        let data = data?;
        ensure!(data == b"data", "read {data:?} before the end");
        let mut buffer = [0u8; 4];
        let end = read(reader, &mut buffer);
        ensure!(
            end == Ok(0),
            "after the only writer ended: {end:?}, not end of file"
        );
        Ok(())
    })();
    let _ = close(reader);
    outcome
}

fn eof_after_writer_killed() -> CheckOutcome {
    eof_after_writer_ends(false)
}

fn eof_after_writer_crash() -> CheckOutcome {
    eof_after_writer_ends(true)
}

/// End of file once the only writer was SIGKILLed.
pub const EOF_AFTER_WRITER_KILLED: Check = Check {
    name: "fifo-eof-after-writer-killed",
    covers: &["mkfifo:EOF-after-writer-killed"],
    run: eof_after_writer_killed,
};

/// End of file once the only writer crashed.
pub const EOF_AFTER_WRITER_CRASH: Check = Check {
    name: "fifo-eof-after-writer-crash",
    covers: &["mkfifo:EOF-after-writer-crash"],
    run: eof_after_writer_crash,
};

fn epipe_after_reader_ends(crash: bool) -> CheckOutcome {
    let fifo = Fifo::make(if crash {
        "/tmp/fifo-reader-crash"
    } else {
        "/tmp/fifo-reader-killed"
    })?;
    let child = holder(fifo.path, O_RDONLY | O_NONBLOCK, b"", crash)?;
    // Blocks until the child's reader opened.
    let writer = fifo.open(O_WRONLY).map_err(error("writer"));
    let outcome = writer.and_then(|writer| {
        let result = (|| {
            if crash {
                let status = wait_child(child)?;
                ensure!(
                    WIFSIGNALED(status),
                    "the reader ended {status:#x}, not by a signal"
                );
            } else {
                kill_child(child)?;
            }
            // A crashed reader's capabilities go as the kernel tears its space down: writes
            // may land in the ring until then, never past a full ring.
            let deadline = libos::kernel::clock_nanoseconds() + CHILD_NANOSECONDS;
            let gone = loop {
                match write(writer, b"anyone?") {
                    Ok(_) if libos::kernel::clock_nanoseconds() < deadline => {}
                    other => break other,
                }
            };
            ensure!(
                gone == Err(Errno::EPIPE),
                "after the only reader ended: {gone:?}, not EPIPE"
            );
            // With SIGPIPE's default action the writer dies of it.
            let signalled = match fork() {
                Ok(0) => {
                    let _ = libos::signal::signal(SIGPIPE, libposix_sys::signal::SIG_DFL);
                    let _ = write(writer, b"x");
                    _exit(9)
                }
                Ok(pid) => pid,
                Err(error) => return Err(format!("fork: {error}")),
            };
            let status = wait_child(signalled)?;
            ensure!(
                WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE,
                "a writer with SIGPIPE's default ended {status:#x}"
            );
            Ok(())
        })();
        let _ = close(writer);
        result
    });
    if outcome.is_err() {
        let _ = libos::signal::kill(child, SIGKILL);
        let _ = waitpid(child, None, WNOHANG);
    }
    outcome
}

fn epipe_after_reader_killed() -> CheckOutcome {
    epipe_after_reader_ends(false)
}

fn epipe_after_reader_crash() -> CheckOutcome {
    epipe_after_reader_ends(true)
}

/// `EPIPE` and `SIGPIPE` once the only reader was SIGKILLed.
pub const EPIPE_AFTER_READER_KILLED: Check = Check {
    name: "fifo-EPIPE-after-reader-killed",
    covers: &["mkfifo:EPIPE-after-reader-killed", "mkfifo:SIGPIPE"],
    run: epipe_after_reader_killed,
};

/// `EPIPE` once the only reader crashed.
pub const EPIPE_AFTER_READER_CRASH: Check = Check {
    name: "fifo-EPIPE-after-reader-crash",
    covers: &["mkfifo:EPIPE-after-reader-crash"],
    run: epipe_after_reader_crash,
};

fn server_checks() -> CheckOutcome {
    let fifo = Fifo::make("/tmp/fifo-server")?;
    libos::fs::chmod(fifo.path, 0o644).map_err(error("chmod"))?;
    // Raw calls: an opening for reading gets no write end, each end once, nothing after close.
    let opened =
        client::open(Start(0), fifo.path, O_RDONLY | O_NONBLOCK, 0).map_err(error("raw open"))?;
    let Opened::Fifo { handle, status, .. } = opened else {
        return Err(String::from("a raw open of a FIFO was not a FIFO opening"));
    };
    ensure!(
        status[libos::fs::protocol::status_index::MODE] as u32 == S_IFIFO | 0o644,
        "the opening's status has mode {:o}",
        status[libos::fs::protocol::status_index::MODE]
    );
    let slot = libos::slots::allocate().ok_or("no slot")?;
    let release = |slot| {
        let _ = libos::kernel::call(libos::abi::Call::CapabilityDelete { slot });
    };
    let write_end = client::fifo_piece(handle, fifo_piece::WRITE_END, false, slot);
    let odd_piece = client::fifo_piece(handle, 99, false, slot);
    let read_end = client::fifo_piece(handle, fifo_piece::READ_END, false, slot);
    release(slot);
    let again = client::fifo_piece(handle, fifo_piece::READ_END, true, slot);
    release(slot);
    let closed = client::fifo_piece(handle, fifo_piece::FRAME, false, slot);
    release(slot);
    let not_fifo = match client::open(Start(0), "/tmp", O_RDONLY | O_DIRECTORY, 0) {
        Ok(Opened::File { handle, .. }) => {
            let answer = client::fifo_piece(handle, fifo_piece::FRAME, false, slot);
            release(slot);
            client::close(handle);
            answer
        }
        other => return Err(format!("open /tmp: {other:?}")),
    };
    libos::slots::free(slot);
    ensure!(
        write_end == Err(Errno::ENOENT),
        "a reader's opening gave a write end: {write_end:?}"
    );
    ensure!(odd_piece == Err(Errno::EINVAL), "piece 99: {odd_piece:?}");
    ensure!(read_end == Ok(()), "the read end: {read_end:?}");
    ensure!(again == Err(Errno::ENOENT), "the read end twice: {again:?}");
    ensure!(
        closed == Err(Errno::EBADF),
        "a piece after the last: {closed:?}"
    );
    ensure!(
        not_fifo == Err(Errno::EBADF),
        "a piece of a directory: {not_fifo:?}"
    );
    // A writer there at a reader's open is counted for it even if it goes at once (the reader
    // then must not wait): the server says so in the answer.
    let lonely = client::open(Start(0), fifo.path, O_RDONLY, 0);
    let reader = fifo.open(O_RDONLY | O_NONBLOCK).map_err(error("reader"))?;
    let writer = fifo.open(O_WRONLY).map_err(error("writer"));
    let met = client::open(Start(0), fifo.path, O_RDONLY, 0);
    if let Ok(writer) = writer {
        let _ = close(writer);
    }
    let _ = close(reader);
    for opened in [&lonely, &met] {
        if let Ok(Opened::Fifo { handle, .. } | Opened::File { handle, .. }) = opened {
            client::close(*handle);
        }
    }
    ensure!(
        matches!(
            lonely,
            Ok(Opened::Fifo {
                partner_present: false,
                ..
            })
        ),
        "a reader's open with no writer: {lonely:?}"
    );
    ensure!(
        matches!(
            met,
            Ok(Opened::Fifo {
                partner_present: true,
                ..
            })
        ),
        "a reader's open with a writer there: {met:?}"
    );
    // Openings whose ends nobody fetches hold server slots: a connection gets at most 8.
    let mut unfetched = Vec::new();
    let mut beyond = Ok(());
    for _ in 0..9 {
        match client::open(Start(0), fifo.path, O_RDONLY | O_NONBLOCK, 0) {
            Ok(Opened::Fifo { handle, .. }) => unfetched.push(handle),
            Ok(Opened::File { handle, .. }) => client::close(handle),
            Err(error) => {
                beyond = Err(error);
                break;
            }
        }
    }
    let held = unfetched.len();
    for handle in unfetched {
        client::close(handle);
    }
    ensure!(
        held == 8 && beyond == Err(Errno::ENFILE),
        "{held} unfetched openings, then {beyond:?}"
    );
    // Permission bits, checked by the server for another user (a setuid child).
    let child = match fork() {
        Ok(0) => {
            if libos::process::credentials::setuid(1000).is_err() {
                _exit(2);
            }
            let read_only = libos::fs::open(fifo.path, O_RDONLY | O_NONBLOCK, 0);
            let writing = libos::fs::open(fifo.path, O_WRONLY | O_NONBLOCK, 0);
            let truncating = libos::fs::open(fifo.path, O_RDONLY | O_NONBLOCK | O_TRUNC, 0);
            let raw = client::open(Start(0), fifo.path, O_RDWR | O_NONBLOCK, 0);
            let status = if read_only.is_err() {
                3
            } else if writing != Err(Errno::EACCES) {
                4
            } else if truncating.is_err() {
                5
            } else if raw != Err(Errno::EACCES) {
                6
            } else {
                0
            };
            _exit(status)
        }
        Ok(pid) => pid,
        Err(error) => return Err(format!("fork: {error}")),
    };
    expect_exit(child, 0).map_err(|reason| format!("another user's opens: {reason}"))
}

/// The file server's checks, by raw calls: the permission bits for another user, only the
/// opened side's end, each end once, no pieces of anything but a FIFO opening, at most 8
/// openings left unfetched per connection.
pub const SERVER_CHECKS: Check = Check {
    name: "open-fifo-server-checks",
    covers: &[
        "open:fifo-permissions",
        "open:fifo-raw-pieces",
        "open:fifo-writer-present-at-open",
    ],
    run: server_checks,
};
