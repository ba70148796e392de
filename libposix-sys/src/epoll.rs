//! `epoll`: `struct epoll_event` (packed to 12 bytes on x86_64), the `EPOLL*` event bits and `EPOLL_CTL_*`.

/// Readable.
pub const EPOLLIN: u32 = 0x0000_0001;
/// Urgent data to read.
pub const EPOLLPRI: u32 = 0x0000_0002;
/// Writable.
pub const EPOLLOUT: u32 = 0x0000_0004;
/// Error condition (always reported).
pub const EPOLLERR: u32 = 0x0000_0008;
/// Hang up (always reported).
pub const EPOLLHUP: u32 = 0x0000_0010;
/// Invalid descriptor.
pub const EPOLLNVAL: u32 = 0x0000_0020;
/// Normal data readable.
pub const EPOLLRDNORM: u32 = 0x0000_0040;
/// Priority data readable.
pub const EPOLLRDBAND: u32 = 0x0000_0080;
/// Normal data writable.
pub const EPOLLWRNORM: u32 = 0x0000_0100;
/// Priority data writable.
pub const EPOLLWRBAND: u32 = 0x0000_0200;
/// Message available (unused).
pub const EPOLLMSG: u32 = 0x0000_0400;
/// The peer closed its writing end.
pub const EPOLLRDHUP: u32 = 0x0000_2000;
/// Wake only one of several epoll instances waiting on the descriptor.
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
/// Hold a wakeup source while the event is pending.
pub const EPOLLWAKEUP: u32 = 1 << 29;
/// Disable the descriptor after one event.
pub const EPOLLONESHOT: u32 = 1 << 30;
/// Edge-triggered.
pub const EPOLLET: u32 = 1 << 31;

/// `epoll_create1`: close the epoll descriptor on `execve`.
pub const EPOLL_CLOEXEC: i32 = crate::fcntl::O_CLOEXEC;

/// `epoll_ctl`: add a descriptor.
pub const EPOLL_CTL_ADD: i32 = 1;
/// `epoll_ctl`: remove a descriptor.
pub const EPOLL_CTL_DEL: i32 = 2;
/// `epoll_ctl`: change a descriptor's events.
pub const EPOLL_CTL_MOD: i32 = 3;

/// An event mask and the caller's data (`struct epoll_event`).
///
/// Packed on x86_64 only, so that 32-bit and 64-bit code agree: `data` is at
/// offset 4 and the structure is 12 bytes. Read fields by value (`{ event.data }`).
#[doc(alias = "epoll_event")]
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EpollEvent {
    /// `EPOLL*` bits.
    pub events: u32,
    /// Returned as given (`epoll_data_t`: a pointer, a descriptor or a number).
    pub data: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let events = check_constants!(
            EPOLLIN,
            EPOLLPRI,
            EPOLLOUT,
            EPOLLERR,
            EPOLLHUP,
            EPOLLRDNORM,
            EPOLLRDBAND,
            EPOLLWRNORM,
            EPOLLWRBAND,
            EPOLLMSG,
            EPOLLRDHUP,
            EPOLLEXCLUSIVE,
            EPOLLWAKEUP,
            EPOLLONESHOT,
            EPOLLET = libc::EPOLLET as u32,
            // uapi linux/eventpoll.h
            EPOLLNVAL = 0x20,
        );
        let control = check_constants!(EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD);
        assert_every_constant_checked(include_str!("epoll.rs"), &[events, control]);
    }

    #[test]
    fn layout_matches_libc() {
        check_layout!(EpollEvent, libc::epoll_event, { events, data = u64 });
        assert_eq!(core::mem::size_of::<EpollEvent>(), 12);
        assert_eq!(core::mem::offset_of!(EpollEvent, data), 4);
    }
}
