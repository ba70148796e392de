//! Checks that a pipe end outlives the process that paid for the ring: the `pipe` caller's
//! quota pays for the frame, so when that process is SIGKILLed and reaped the frame goes from
//! every holder's address space; the survivor must see end of file or `EPIPE`, never die of the
//! page fault. Also: a peer writing lying positions into a live ring gets a clear error.
//!
//! The payer is a forked child that makes a pipe and hands ends of it to this process over an
//! endpoint (raw IPC, as any process holding an endpoint of ours could: the "malicious client"
//! of a server), keeps them itself, and sleeps until killed. A child of ours is the only payer
//! whose quota can be revoked while we live (a descendant of the payer dies with its quota).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::abi::{Call, OptionalSlot, Slot, initial};
use libos::io::descriptors::{adopt_pipe_end, pipe_end_slots};
use libos::io::pipe::{CAPACITY, EndSlots, RING_PAGES, Side};
use libos::io::{close, pipe, pipe2, read, write};
use libos::kernel::call;
use libos::process::fork;
use libos::process::identity::{_exit, waitpid};
use libos::shared_window::SharedWindow;
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::errno::Errno;
use libposix_sys::fcntl::O_NONBLOCK;
use libposix_sys::poll::{POLLERR, POLLHUP, POLLIN, POLLOUT, Pollfd};
use libposix_sys::signal::SIGKILL;

use crate::ensure;

/// How long this process waits for the payer's hand-over.
const HANDOVER_NANOSECONDS: u64 = 10_000_000_000;

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

/// The four capabilities of a pipe end, in `EndSlots` order.
fn end_slots(slots: EndSlots) -> [Slot; 4] {
    [
        slots.frame,
        slots.channel_end,
        slots.own_notification,
        slots.peer_notification,
    ]
}

/// A child that pays for a ring, and the pipe ends of it it handed over, adopted here.
struct Payer {
    pid: i32,
    endpoint: Slot,
    /// The adopted descriptors, by side.
    ends: Vec<(Side, i32)>,
}

impl Payer {
    /// Forks the payer: it makes a pipe, writes `first` into it, hands over the ends `sides`
    /// (each as four capabilities over our endpoint) and sleeps until killed.
    fn start(sides: &'static [Side], first: &'static [u8]) -> Result<Self, String> {
        let endpoint = libos::slots::allocate().ok_or("no slot")?;
        call(Call::EndpointCreate {
            quota: initial::MEMORY_QUOTA,
            destination: endpoint,
        })
        .map_err(|error| format!("endpoint: {error:?}"))?;
        let pid = match fork() {
            Ok(0) => Self::payer(endpoint, sides, first),
            Ok(pid) => pid,
            Err(error) => {
                release(endpoint);
                return Err(format!("fork: {error}"));
            }
        };
        let mut payer = Self {
            pid,
            endpoint,
            ends: Vec::new(),
        };
        for &side in sides {
            let mut slots = [Slot(0); 4];
            for slot in &mut slots {
                *slot = payer.receive()?;
            }
            let [frame, channel_end, own_notification, peer_notification] = slots;
            let fd = adopt_pipe_end(
                side,
                EndSlots {
                    frame,
                    channel_end,
                    own_notification,
                    peer_notification,
                },
            )
            .map_err(|error| format!("adopt: {error}"))?;
            payer.ends.push((side, fd));
        }
        Ok(payer)
    }

    /// One capability of the hand-over, in a fresh slot.
    fn receive(&self) -> Result<Slot, String> {
        let slot = libos::slots::allocate().ok_or("no slot")?;
        let words = call(Call::IpcReceive {
            endpoint: self.endpoint,
            receive: OptionalSlot(Some(slot)),
            timeout: HANDOVER_NANOSECONDS,
        });
        let _ = call(Call::IpcReply {
            word0: 0,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(None),
        });
        match words {
            Ok(words) if words[4] != 0 => Ok(slot),
            other => {
                libos::slots::free(slot);
                Err(format!("hand-over: {other:?}"))
            }
        }
    }

    /// The payer's side: never returns.
    fn payer(endpoint: Slot, sides: &[Side], first: &[u8]) -> ! {
        let Ok([read_end, write_end]) = pipe() else {
            _exit(10);
        };
        if write(write_end, first) != Ok(first.len()) {
            _exit(11);
        }
        for &side in sides {
            let fd = if side == Side::Reader {
                read_end
            } else {
                write_end
            };
            let Ok((_, slots)) = pipe_end_slots(fd) else {
                _exit(12);
            };
            for slot in end_slots(slots) {
                if call(Call::IpcCall {
                    endpoint,
                    word0: 0,
                    word1: 0,
                    word2: 0,
                    transfer: OptionalSlot(Some(slot)),
                    receive: OptionalSlot(None),
                })
                .is_err()
                {
                    _exit(13);
                }
            }
        }
        // Holds both ends (and pays for the ring) until killed.
        loop {
            let request = libposix_sys::time::Timespec {
                tv_sec: 1,
                tv_nsec: 0,
            };
            let _ = libos::time::nanosleep(&request);
        }
    }

    fn end(&self, side: Side) -> i32 {
        self.ends
            .iter()
            .find(|(end_side, _)| *end_side == side)
            .map_or(-1, |(_, fd)| *fd)
    }

    /// SIGKILLs the payer and reaps it: its quota is revoked, and the ring's frame with it.
    fn kill(&mut self) -> Result<(), String> {
        let pid = core::mem::replace(&mut self.pid, 0);
        libos::signal::kill(pid, SIGKILL).map_err(|error| format!("kill: {error}"))?;
        let collected = waitpid(pid, None, 0);
        ensure!(collected == Ok(pid), "waitpid(payer) gave {collected:?}");
        Ok(())
    }
}

impl Drop for Payer {
    fn drop(&mut self) {
        if self.pid != 0 {
            let _ = libos::signal::kill(self.pid, SIGKILL);
            let _ = waitpid(self.pid, None, 0);
        }
        for (_, fd) in &self.ends {
            let _ = close(*fd);
        }
        release(self.endpoint);
    }
}

fn release(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    libos::slots::free(slot);
}

fn reader_survives_creator_killed() -> CheckOutcome {
    let mut payer = Payer::start(&[Side::Reader], b"first|second")?;
    let reader = payer.end(Side::Reader);
    let mut buffer = [0u8; 16];
    let first = read(reader, &mut buffer[..6]);
    ensure!(
        first == Ok(6) && &buffer[..6] == b"first|",
        "read before the kill gave {first:?}"
    );
    // The readiness check says more is there; the payer dies before the copy.
    ensure!(
        poll_one(reader, POLLIN) & POLLIN != 0,
        "the rest of the data is not readable"
    );
    payer.kill()?;
    let after = read(reader, &mut buffer);
    ensure!(
        after == Ok(0),
        "read after the ring's payer was killed gave {after:?} ({:?}), not end of file",
        &buffer[..after.unwrap_or(0).min(16)]
    );
    let revents = poll_one(reader, POLLIN);
    ensure!(
        revents & POLLHUP != 0,
        "no POLLHUP on the dead ring's read end: {revents:#x}"
    );
    ensure!(
        read(reader, &mut buffer) == Ok(0),
        "end of file does not stay"
    );
    let available = libos::io::descriptors::description(reader)
        .ok()
        .and_then(|file| match file.backend() {
            libos::io::description::Backend::Pipe(end) => Some(end.available()),
            _ => None,
        });
    ensure!(
        available == Some(Ok(0)),
        "bytes available in a dead ring: {available:?}"
    );
    Ok(())
}

/// A reader of a pipe whose creator (and payer for its ring) handed it over survives that
/// process's SIGKILL between its readiness check and its read: end of file (the unread data
/// died with the ring), `POLLHUP`.
pub const READER_SURVIVES_CREATOR_KILLED: Check = Check {
    name: "pipe-reader-survives-creator-killed",
    covers: &["pipe:reader-survives-creator-killed"],
    run: reader_survives_creator_killed,
};

fn writer_epipe_after_creator_killed() -> CheckOutcome {
    // Both ends here: the readers are not all gone, only the ring says the pipe is.
    let mut payer = Payer::start(&[Side::Reader, Side::Writer], b"abc")?;
    let (reader, writer) = (payer.end(Side::Reader), payer.end(Side::Writer));
    ensure!(write(writer, b"def") == Ok(3), "write before the kill");
    payer.kill()?;
    let after = write(writer, b"more");
    ensure!(
        after == Err(Errno::EPIPE),
        "write into the ring after its payer was killed gave {after:?}, not EPIPE"
    );
    let revents = poll_one(writer, POLLOUT);
    ensure!(
        revents >= 0 && revents & POLLERR != 0,
        "no POLLERR on the dead ring's write end: {revents:#x}"
    );
    let mut buffer = [0u8; 16];
    let read_result = read(reader, &mut buffer);
    ensure!(
        read_result == Ok(0),
        "read of the dead ring gave {read_result:?}, not end of file"
    );
    Ok(())
}

fn thread_survives_creator_killed() -> CheckOutcome {
    let mut payer = Payer::start(&[Side::Reader, Side::Writer], b"abc")?;
    let (reader, writer) = (payer.end(Side::Reader), payer.end(Side::Writer));
    payer.kill()?;
    // Not the main thread: the thread that meets the dead ring is the one repaired.
    let thread = libos::thread::spawn(move || {
        let mut buffer = [0u8; 16];
        (write(writer, b"more"), read(reader, &mut buffer))
    })
    .map_err(|error| format!("thread: {error:?}"))?;
    let (written, read_result) = thread
        .join()
        .map_err(|error| format!("the thread touching the dead ring ended: {error:?}"))?;
    ensure!(
        written == Err(Errno::EPIPE) && read_result == Ok(0),
        "in a thread, write gave {written:?} and read {read_result:?} after the payer was killed"
    );
    Ok(())
}

/// A thread other than the main one that first touches a ring whose payer died survives:
/// `EPIPE` and end of file.
pub const THREAD_SURVIVES_CREATOR_KILLED: Check = Check {
    name: "pipe-thread-survives-creator-killed",
    covers: &["pipe:writer-EPIPE-after-creator-killed"],
    run: thread_survives_creator_killed,
};

/// A writer of a pipe whose ring died with its creator gets `EPIPE` and `POLLERR` even though a
/// reader is still open (its own), and that reader end of file.
pub const WRITER_EPIPE_AFTER_CREATOR_KILLED: Check = Check {
    name: "pipe-writer-epipe-after-creator-killed",
    covers: &["pipe:writer-EPIPE-after-creator-killed"],
    run: writer_epipe_after_creator_killed,
};

fn hostile_positions() -> CheckOutcome {
    let [read_end, write_end] = pipe2(O_NONBLOCK).map_err(|error| format!("pipe2: {error}"))?;
    let result = (|| {
        let (_, slots) = pipe_end_slots(read_end).map_err(|error| format!("slots: {error}"))?;
        // The hostile peer's view of the ring: the same frame, written as it likes.
        let peer = SharedWindow::map(slots.frame, RING_PAGES)
            .map_err(|error| format!("map: {error:?}"))?;
        let (read_position, write_position) = (peer.word(0), peer.word(8));
        let mut buffer = [0u8; 64];
        let lies = [
            (0, 5 * CAPACITY, "more than the ring holds"),
            (1000, 10, "reading ahead of writing"),
            (u64::MAX, u64::MAX / 2, "half the number space apart"),
        ];
        for (read_value, write_value, lie) in lies {
            read_position.store(read_value, core::sync::atomic::Ordering::SeqCst);
            write_position.store(write_value, core::sync::atomic::Ordering::SeqCst);
            let got = read(read_end, &mut buffer);
            ensure!(got == Err(Errno::EIO), "read with {lie} gave {got:?}");
            let put = write(write_end, b"x");
            ensure!(put == Err(Errno::EIO), "write with {lie} gave {put:?}");
            // A poller is woken to meet the error, not left waiting.
            ensure!(
                poll_one(read_end, POLLIN) & POLLIN != 0,
                "poll with {lie} does not report the read end ready"
            );
        }
        // Positions that wrap around the number space but claim a sane amount: the bytes come
        // from inside the ring, where the wrap says.
        let start = u64::MAX - 2;
        read_position.store(start, core::sync::atomic::Ordering::SeqCst);
        write_position.store(start, core::sync::atomic::Ordering::SeqCst);
        ensure!(
            write(write_end, b"wrapped") == Ok(7),
            "write across the wrap"
        );
        let count = read(read_end, &mut buffer);
        ensure!(
            count == Ok(7) && &buffer[..7] == b"wrapped",
            "read across the wrap gave {count:?}"
        );
        ensure!(
            read(read_end, &mut buffer) == Err(Errno::EAGAIN),
            "a drained ring is empty"
        );
        Ok(())
    })();
    let _ = close(read_end);
    let _ = close(write_end);
    result
}

/// A peer writing lying positions into a live ring cannot make this side read or write outside
/// the ring, crash or wait forever: `EIO`, and positions that wrap the number space still work.
pub const HOSTILE_POSITIONS: Check = Check {
    name: "pipe-hostile-ring-positions",
    covers: &["pipe:hostile-ring-positions"],
    run: hostile_positions,
};
