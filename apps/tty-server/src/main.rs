//! The terminal server (docs/files.md, "The terminal"): the one holder of the console's input.
//!
//! It binds console input to a notification bound to its endpoint, so a key pressed wakes it
//! whoever reads — or nobody: `^C` typed while a `sleep` runs is seen at once. Typed bytes go
//! through the line discipline it owns (one state for every process on the terminal: settings,
//! the line being edited, the window size), the echo straight back to the console, and the
//! signals the discipline raises to the foreground process group through the process server,
//! which alone knows groups and sessions and sends only to the session holding the terminal.
//! Clients are known by the badge the process server minted for them (their pid); before it
//! lets a read through, the server asks the process server whether the reader is in the
//! foreground (a background reader gets `SIGTTIN`). Output does not come here: clients write
//! to the console themselves.
//!
//! Every client word and page is hostile: a bad request is an error reply, a client's page
//! dying under us (its payer ended) is repaired by the LibOS's window recovery and reported as
//! `EIO`, and the table of clients is bounded.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use libos::abi::{Call, KernelError, ObjectKind, OptionalSlot, Rights, Slot, UserAddress, initial};
use libos::io::terminal_protocol::{self as protocol, BUFFER_BYTES, NONBLOCKING, TERMINAL_SERVER};
use libos::ipc::Received;
use libos::kernel::call;
use libos::process::identity::PROCESS_SERVER;
use libos::shared_window::SharedWindow;
use libos::{Startup, println, slots};
use libposix_sys::errno::Errno;
use libposix_sys::termios::{TCSADRAIN, TCSAFLUSH, TCSANOW, Termios};
use line_discipline::{LineDiscipline, ReadOutcome};

libos::main!(main);

/// The bit console input sets in the notification bound to our endpoint.
const INPUT_BIT: u64 = 1;
/// The most bytes taken from the kernel at once (its `ConsoleRead` limit).
const PULL_BYTES: usize = 256;
/// Typed bytes held for readers before the rest is left in the UART (a flood of input costs
/// bounded memory).
const MAXIMUM_BUFFERED: usize = 16 * 1024;
/// The most clients at once; when full, clients whose page is gone are forgotten first.
const MAXIMUM_CLIENTS: usize = 512;
const NANOSECONDS_PER_TENTH: u64 = 100_000_000;

/// One client: its buffer page and the notification it asked to be woken with.
struct Client {
    frame: Slot,
    window: SharedWindow,
    watch: Option<(Slot, u64)>,
}

impl Drop for Client {
    fn drop(&mut self) {
        delete(self.frame);
        if let Some((slot, _)) = self.watch.take() {
            delete(slot);
        }
    }
}

fn delete(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// The settings page: mapped here read-write, handed to clients read-only.
struct SettingsPage {
    window: SharedWindow,
    reader: Slot,
}

impl SettingsPage {
    fn create() -> Option<Self> {
        let frame = slots::allocate()?;
        call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: frame,
            pages: libos::abi::PageCount(1),
        })
        .ok()?;
        let window = SharedWindow::map(frame, 1).ok()?;
        let reader = slots::allocate()?;
        call(Call::CapabilityMint {
            source: frame,
            destination: reader,
            rights: Rights::READ | Rights::MAP | Rights::GRANT,
            badge: 0,
        })
        .ok()?;
        Some(Self { window, reader })
    }

    /// Writes the settings under the sequence count (odd while writing).
    fn publish(&self, discipline: &LineDiscipline) {
        use core::sync::atomic::Ordering;
        let word = |index: usize| self.window.word(index * 8);
        word(protocol::SEQUENCE_WORD).fetch_add(1, Ordering::AcqRel);
        let attributes = protocol::attributes_to_words(&discipline.settings());
        for (index, value) in attributes.into_iter().enumerate() {
            word(protocol::ATTRIBUTES_WORD + index).store(value, Ordering::Release);
        }
        word(protocol::WINDOW_WORD).store(
            protocol::window_to_word(&discipline.window()),
            Ordering::Release,
        );
        word(protocol::SEQUENCE_WORD).fetch_add(1, Ordering::AcqRel);
    }
}

struct Server {
    discipline: LineDiscipline,
    settings_page: SettingsPage,
    clients: BTreeMap<u64, Client>,
    /// When the last typed byte arrived (monotonic nanoseconds), for `VTIME`.
    last_arrival: u64,
    /// Typed bytes taken in so far (edge-triggered `epoll` compares it).
    activity: u64,
}

type Reply = [u64; 3];

fn error(errno: Errno) -> Reply {
    [errno.as_raw() as u64, 0, 0]
}

impl Server {
    /// Takes what the kernel holds into the discipline, echoing and signalling; wakes the
    /// watchers when anything came.
    fn pull_input(&mut self) {
        let mut arrived = false;
        while self.discipline.available() < MAXIMUM_BUFFERED {
            let mut bytes = [0u8; PULL_BYTES];
            let Ok(words) = call(Call::ConsoleRead {
                console: initial::CONSOLE,
                buffer: UserAddress(bytes.as_mut_ptr() as u64),
                length: PULL_BYTES as u64,
            }) else {
                break;
            };
            let count = (words[0] as usize).min(PULL_BYTES);
            if count == 0 {
                break;
            }
            arrived = true;
            self.activity += count as u64;
            let mut echo = Vec::new();
            let signals = self.discipline.receive(&bytes[..count], &mut echo);
            if !echo.is_empty() {
                let mut processed = Vec::new();
                self.discipline.process_output(&echo, &mut processed);
                libos::console::write_raw(&processed);
            }
            for signal in signals {
                let _ = call(Call::IpcCall {
                    endpoint: PROCESS_SERVER,
                    word0: libos::process::protocol::TERMINAL_SIGNAL,
                    word1: signal.number() as u64,
                    word2: 0,
                    transfer: OptionalSlot(None),
                    receive: OptionalSlot(None),
                });
            }
        }
        if arrived {
            self.last_arrival = libos::clock::clock_monotonic();
            self.wake_watchers();
        }
    }

    /// Signals every watcher; forgets those whose notification is gone.
    fn wake_watchers(&mut self) {
        for client in self.clients.values_mut() {
            if let Some((slot, bits)) = client.watch
                && call(Call::NotificationSignal {
                    notification: slot,
                    bits,
                })
                .is_err()
            {
                delete(slot);
                client.watch = None;
            }
        }
    }

    /// Handles one call; returns the reply, a capability to send with it, and whether `arrived`
    /// was kept.
    fn handle(
        &mut self,
        badge: u64,
        words: [u64; 3],
        arrived: Option<Slot>,
    ) -> (Reply, Option<Slot>, bool) {
        if words[0] == protocol::CONNECT {
            return match arrived {
                Some(frame) => {
                    let reply = self.connect(badge, frame);
                    let page = (reply[0] == 0).then_some(self.settings_page.reader);
                    (reply, page, true)
                }
                None => (error(Errno::EINVAL), None, false),
            };
        }
        let (reply, kept) = self.handle_call(badge, words, arrived);
        (reply, None, kept)
    }

    fn handle_call(&mut self, badge: u64, words: [u64; 3], arrived: Option<Slot>) -> (Reply, bool) {
        match words[0] {
            protocol::WATCH => match arrived {
                Some(notification) => (self.watch(badge, notification, words[1]), true),
                None => (error(Errno::EINVAL), false),
            },
            protocol::READ => (self.read(badge, words[1], words[2]), false),
            protocol::GET_ATTRIBUTES => {
                let settings = self.discipline.settings();
                (self.put(badge, as_bytes(&settings)), false)
            }
            protocol::SET_ATTRIBUTES => (self.set_attributes(badge, words[1]), false),
            protocol::GET_WINDOW => (
                [0, protocol::window_to_word(&self.discipline.window()), 0],
                false,
            ),
            protocol::SET_WINDOW => {
                self.discipline
                    .set_window(protocol::window_from_word(words[1]));
                self.settings_page.publish(&self.discipline);
                ([0, 0, 0], false)
            }
            protocol::FLUSH_INPUT => {
                self.discard_kernel_input();
                self.discipline.flush_input();
                ([0, 0, 0], false)
            }
            protocol::STATUS => {
                self.pull_input();
                let readable = u64::from(self.discipline.poll_readable());
                (
                    [
                        0,
                        self.discipline.available() as u64,
                        readable | self.activity << 1,
                    ],
                    false,
                )
            }
            _ => (error(Errno::ENOSYS), false),
        }
    }

    /// `CONNECT`: maps the client's page (checked to be a one-page frame we may map).
    fn connect(&mut self, badge: u64, frame: Slot) -> Reply {
        let Ok(identity) = call(Call::CapabilityIdentify { slot: frame }) else {
            delete(frame);
            return error(Errno::EINVAL);
        };
        let needed = (Rights::READ | Rights::WRITE | Rights::MAP).bits() as u64;
        if identity[0] != ObjectKind::Frame as u64 || identity[1] & needed != needed {
            delete(frame);
            return error(Errno::EINVAL);
        }
        self.clients.remove(&badge);
        if self.clients.len() >= MAXIMUM_CLIENTS {
            // Clients that ended took their pages with them.
            self.clients
                .retain(|_, client| call(Call::CapabilityIdentify { slot: client.frame }).is_ok());
        }
        if self.clients.len() >= MAXIMUM_CLIENTS {
            delete(frame);
            return error(Errno::ENOMEM);
        }
        match SharedWindow::map(frame, 1) {
            Ok(window) => {
                self.clients.insert(
                    badge,
                    Client {
                        frame,
                        window,
                        watch: None,
                    },
                );
                [0, 0, 0]
            }
            Err(_) => {
                delete(frame);
                error(Errno::EINVAL)
            }
        }
    }

    /// `WATCH`: keeps the notification; signals it at once if input is there.
    fn watch(&mut self, badge: u64, notification: Slot, bits: u64) -> Reply {
        let Some(client) = self.clients.get_mut(&badge) else {
            delete(notification);
            return error(Errno::ENOTCONN);
        };
        if let Some((old, _)) = client.watch.replace((notification, bits)) {
            delete(old);
        }
        self.pull_input();
        if self.discipline.has_input() || self.discipline.available() > 0 {
            let _ = call(Call::NotificationSignal { notification, bits });
        }
        [0, 0, 0]
    }

    /// Copies `bytes` to the start of the client's page.
    fn put(&self, badge: u64, bytes: &[u8]) -> Reply {
        match self.clients.get(&badge) {
            Some(client) if client.window.copy_in(0, bytes) => [0, 0, 0],
            Some(_) => error(Errno::EIO),
            None => error(Errno::ENOTCONN),
        }
    }

    /// `READ`: job control first (the process server decides), then the discipline.
    fn read(&mut self, badge: u64, request: u64, started: u64) -> Reply {
        if !self.clients.contains_key(&badge) {
            return error(Errno::ENOTCONN);
        }
        let access = call(Call::IpcCall {
            endpoint: PROCESS_SERVER,
            word0: libos::process::protocol::TERMINAL_ACCESS,
            word1: badge,
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        });
        // The reply's first word is at index 1 of the call's result.
        match access {
            Ok(words) if words[1] == 0 => {}
            Ok(words) => {
                return error(
                    i32::try_from(words[1])
                        .ok()
                        .and_then(Errno::from_raw)
                        .unwrap_or(Errno::EIO),
                );
            }
            Err(_) => return error(Errno::EIO),
        }
        let nonblocking = request & NONBLOCKING != 0;
        let wanted = ((request & 0xffff_ffff) as usize).min(BUFFER_BYTES);
        self.pull_input();
        let now = libos::clock::clock_monotonic();
        let since = if self.discipline.available() > 0 {
            self.last_arrival.max(started)
        } else {
            started
        };
        let waited_tenths = now.saturating_sub(since) / NANOSECONDS_PER_TENTH;
        if self.discipline.read_satisfied(wanted, waited_tenths) {
            let mut buffer = alloc::vec![0u8; wanted];
            let count = match self.discipline.read(&mut buffer) {
                ReadOutcome::Bytes(count) => count,
                ReadOutcome::EndOfFile | ReadOutcome::Empty => 0,
            };
            let Some(client) = self.clients.get(&badge) else {
                return error(Errno::ENOTCONN);
            };
            // A dead page loses these bytes: its owner is gone.
            if !client.window.copy_in(0, &buffer[..count]) {
                return error(Errno::EIO);
            }
            return [0, count as u64, 0];
        }
        if nonblocking {
            return [Errno::EAGAIN.as_raw() as u64, 0, 0];
        }
        let timeout_tenths = self.discipline.read_timeout_tenths();
        let remaining = if timeout_tenths == 0 {
            0
        } else {
            // `started` is the client's word: no arithmetic on it may overflow.
            since
                .saturating_add(timeout_tenths.saturating_mul(NANOSECONDS_PER_TENTH))
                .saturating_sub(now)
                .max(1)
        };
        [Errno::EAGAIN.as_raw() as u64, remaining, 0]
    }

    /// `SET_ATTRIBUTES`: the attributes from the client's page.
    fn set_attributes(&mut self, badge: u64, action: u64) -> Reply {
        let flush = match i32::try_from(action) {
            Ok(TCSANOW | TCSADRAIN) => false,
            Ok(TCSAFLUSH) => true,
            _ => return error(Errno::EINVAL),
        };
        let Some(client) = self.clients.get(&badge) else {
            return error(Errno::ENOTCONN);
        };
        let mut bytes = [0u8; core::mem::size_of::<Termios>()];
        if !client.window.copy_out(0, &mut bytes) {
            return error(Errno::EIO);
        }
        // SAFETY: `Termios` is `repr(C)` plain integers and bytes: every bit pattern is valid,
        // and `read_unaligned` needs no alignment of the byte buffer.
        let settings = unsafe { core::ptr::read_unaligned(bytes.as_ptr().cast::<Termios>()) };
        if flush {
            self.discard_kernel_input();
        }
        self.discipline.set_settings(settings, flush);
        self.settings_page.publish(&self.discipline);
        // Bytes held back (the discipline's buffer was full) or a mode that now satisfies a
        // reader.
        self.pull_input();
        self.wake_watchers();
        [0, 0, 0]
    }

    fn discard_kernel_input(&mut self) {
        let mut discard = [0u8; PULL_BYTES];
        while call(Call::ConsoleRead {
            console: initial::CONSOLE,
            buffer: UserAddress(discard.as_mut_ptr() as u64),
            length: PULL_BYTES as u64,
        })
        .is_ok_and(|words| words[0] > 0)
        {}
    }
}

fn as_bytes(settings: &Termios) -> &[u8] {
    // SAFETY: `Termios` is `repr(C)` with no padding bytes (four u32s, then 20 u8s), so every
    // byte of it is initialised; the slice borrows it.
    unsafe {
        core::slice::from_raw_parts(
            core::ptr::from_ref(settings).cast::<u8>(),
            core::mem::size_of::<Termios>(),
        )
    }
}

fn main(_startup: &Startup) -> i32 {
    // A session of our own: the terminal's signals go to the session holding it, never to us.
    let _ = libos::process::identity::setsid();
    let Some(input) = slots::allocate() else {
        return 1;
    };
    let bound = call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: input,
    })
    .is_ok()
        && libos::ipc::bind_notification(input, Some(TERMINAL_SERVER)).is_ok()
        && call(Call::ConsoleNotify {
            console: initial::CONSOLE,
            notification: input,
            bits: INPUT_BIT,
        })
        .is_ok();
    if !bound {
        println!("tty-server: cannot bind console input");
        return 1;
    }
    let Some(settings_page) = SettingsPage::create() else {
        println!("tty-server: cannot make the settings page");
        return 1;
    };
    let mut server = Server {
        discipline: LineDiscipline::new(),
        settings_page,
        clients: BTreeMap::new(),
        last_arrival: 0,
        activity: 0,
    };
    let mut receive = slots::allocate();
    server.settings_page.publish(&server.discipline);
    let mut reply: Reply = [0, 0, 0];
    let mut transfer = None;
    loop {
        let received = libos::ipc::reply_and_receive(TERMINAL_SERVER, reply, transfer, receive);
        reply = [0, 0, 0];
        transfer = None;
        match received {
            Ok(Received::Notification { .. }) => server.pull_input(),
            Ok(Received::Message {
                badge,
                words,
                capability_arrived,
            }) => {
                let arrived = if capability_arrived { receive } else { None };
                let (answer, page, kept) = if badge == 0 {
                    // Only badged capabilities are handed out.
                    (error(Errno::EPERM), None, false)
                } else {
                    server.handle(badge, words, arrived)
                };
                reply = answer;
                transfer = page;
                if let Some(slot) = arrived {
                    if kept {
                        receive = slots::allocate();
                    } else {
                        let _ = call(Call::CapabilityDelete { slot });
                    }
                }
            }
            Err(KernelError::PeerGone | KernelError::Interrupted) => {}
            Err(failure) => {
                println!("tty-server: receive failed: {failure}");
                return 1;
            }
        }
    }
}
