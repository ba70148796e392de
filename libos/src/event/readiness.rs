//! Readiness: what `poll`, `select` and `epoll` ask of every kind of open file description —
//! its current events, an activity count for edge-triggered waiting, and registering a waiter
//! in the object's shared header so its other side signals the process's notification.
//!
//! The event bits are Linux's `EPOLL*` values, which are also the `POLL*` values.

use libposix_sys::epoll::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP};

use super::wake::WakeSource;
use crate::io::description::{Backend, OpenFile};
use crate::io::terminal;

/// Readable (or end of file).
pub const IN: u32 = EPOLLIN;
/// Writable.
pub const OUT: u32 = EPOLLOUT;
/// An error is pending.
pub const ERR: u32 = EPOLLERR;
/// Hang-up: neither side can move more data.
pub const HUP: u32 = EPOLLHUP;
/// The peer shut down writing (or is gone).
pub const RDHUP: u32 = EPOLLRDHUP;

/// A description's readiness now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// The `EPOLL*` bits that hold.
    pub events: u32,
    /// A count that grows whenever data arrives or space is made (edge-triggered `epoll`
    /// reports a ready descriptor again when it changed).
    pub activity: u64,
}

/// How a description's readiness can change while a poller sleeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wakes {
    /// Never changes by itself (files and most devices are always ready).
    Never,
    /// Its other side signals the notification of `WakeSource`.
    Through(WakeSource),
    /// Nothing signals it: the poller re-checks every tick.
    Recheck,
    /// It becomes ready at this time on the monotonic clock (a timerfd).
    At(u64),
}

/// Whether `epoll_ctl` accepts the description (Linux: `EPERM` for regular files and
/// directories, and devices without a poll operation).
#[must_use]
pub fn pollable_by_epoll(file: &OpenFile) -> bool {
    match file.backend() {
        Backend::Device(device) => device.is_terminal(),
        Backend::Directory(_) | Backend::Server(_) | Backend::Proc(_) => false,
        Backend::Pipe(_) | Backend::Socket(_) | Backend::Event(_) => true,
    }
}

/// The readiness of `file` now.
#[must_use]
pub fn status(file: &OpenFile) -> Status {
    match file.backend() {
        // The terminal: readable by the line discipline's rule (a line, or `VMIN` bytes),
        // always writable (writes are synchronous).
        Backend::Device(device) if device.is_terminal() => Status {
            events: OUT
                | if terminal::read_ready().unwrap_or(true) {
                    IN
                } else {
                    0
                },
            activity: terminal::input_activity(),
        },
        // Regular files and the other devices never block.
        Backend::Device(_) | Backend::Directory(_) | Backend::Server(_) | Backend::Proc(_) => {
            Status {
                events: IN | OUT,
                activity: 0,
            }
        }
        Backend::Pipe(end) => end.status(),
        Backend::Socket(socket) => socket.status(),
        Backend::Event(object) => object.status(),
    }
}

/// Registers interest in `events` so that a change wakes this process; says how it will wake.
#[must_use]
pub fn register(file: &OpenFile, events: u32) -> Wakes {
    match file.backend() {
        // Console input signals this process's notification (`ConsoleNotify`).
        Backend::Device(device) if device.is_terminal() => super::wake::own_source()
            .and_then(|source| {
                terminal::notify_input(source.notification, super::wake::PROGRESS)?;
                Ok(Wakes::Through(source))
            })
            .unwrap_or(Wakes::Recheck),
        Backend::Device(_) | Backend::Directory(_) | Backend::Server(_) | Backend::Proc(_) => {
            Wakes::Never
        }
        Backend::Pipe(end) => Wakes::Through(end.register(events)),
        Backend::Socket(socket) => socket.register(events),
        Backend::Event(object) => object.register(events),
    }
}
