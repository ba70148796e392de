//! The POSIX calls that make and use event descriptors: `eventfd2`, `eventfd`,
//! `epoll_create1`, `epoll_create`, `epoll_ctl`, `epoll_wait`, `epoll_pwait`,
//! `timerfd_create`, `timerfd_settime`, `timerfd_gettime`, `signalfd4`, `signalfd`.

use libposix_sys::epoll::{EPOLL_CLOEXEC, EpollEvent};
use libposix_sys::errno::Errno;
use libposix_sys::eventfd::{EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, TFD_CLOEXEC, TFD_NONBLOCK};
use libposix_sys::fcntl::{O_NONBLOCK, O_RDONLY, O_RDWR};
use libposix_sys::time::Itimerspec;

use super::EventObject;
use super::epoll::Epoll;
use super::eventfd::EventCounter;
use super::poll::SignalSet;
use super::signalfd::SignalDescriptor;
use super::timerfd::{TimerDescriptor, valid_clock};
use crate::io::description::{Backend, OpenFile};
use crate::io::descriptors::{description, install};

fn install_event(object: EventObject, access: i32, flags: i32) -> Result<i32, Errno> {
    install(
        OpenFile::new(access | (flags & O_NONBLOCK), Backend::Event(object)),
        flags & libposix_sys::fcntl::O_CLOEXEC != 0,
    )
}

/// `eventfd2`: a counter starting at `initial`; `flags` may hold `EFD_SEMAPHORE`,
/// `EFD_NONBLOCK`, `EFD_CLOEXEC`.
///
/// # Errors
/// `EINVAL` for other flags; `EMFILE`; `ENOMEM`.
pub fn eventfd2(initial: u32, flags: i32) -> Result<i32, Errno> {
    if flags & !(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let counter = EventCounter::create(initial, flags & EFD_SEMAPHORE != 0)?;
    install_event(EventObject::Counter(counter), O_RDWR, flags)
}

/// `eventfd`: `eventfd2` without flags.
///
/// # Errors
/// As [`eventfd2`].
pub fn eventfd(initial: u32) -> Result<i32, Errno> {
    eventfd2(initial, 0)
}

/// `epoll_create1`: `flags` may hold `EPOLL_CLOEXEC`.
///
/// # Errors
/// `EINVAL` for other flags; `EMFILE`.
pub fn epoll_create1(flags: i32) -> Result<i32, Errno> {
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    install_event(EventObject::Epoll(Epoll::default()), O_RDWR, flags)
}

/// `epoll_create`: `size` must be positive (and is otherwise ignored, as on Linux).
///
/// # Errors
/// `EINVAL` for `size <= 0`; `EMFILE`.
pub fn epoll_create(size: i32) -> Result<i32, Errno> {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    epoll_create1(0)
}

fn with_epoll<T>(
    epoll_fd: i32,
    action: impl FnOnce(&Epoll) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let file = description(epoll_fd)?;
    match file.backend() {
        Backend::Event(EventObject::Epoll(epoll)) => action(epoll),
        _ => Err(Errno::EINVAL),
    }
}

/// `epoll_ctl`: `EPOLL_CTL_ADD`, `EPOLL_CTL_MOD`, `EPOLL_CTL_DEL` of `fd` (the event is
/// ignored for DEL).
///
/// # Errors
/// `EBADF` (`epoll_fd` or `fd` closed), `EINVAL` (not an epoll descriptor, `fd` the instance
/// itself, bad operation), `EEXIST`, `ENOENT`, `EPERM` (a regular file), `ELOOP`, `EFAULT`
/// (no event for ADD/MOD).
pub fn epoll_ctl(
    epoll_fd: i32,
    operation: i32,
    fd: i32,
    event: Option<EpollEvent>,
) -> Result<(), Errno> {
    let epoll_file = description(epoll_fd)?;
    let target = description(fd)?;
    match epoll_file.backend() {
        Backend::Event(EventObject::Epoll(epoll)) => epoll.control(operation, fd, &target, event),
        _ => Err(Errno::EINVAL),
    }
}

/// `epoll_wait`: up to `events.len()` ready entries, waiting `timeout` milliseconds (negative:
/// without limit).
///
/// # Errors
/// `EBADF`, `EINVAL` (not an epoll descriptor, no room for events), `EINTR`.
pub fn epoll_wait(epoll_fd: i32, events: &mut [EpollEvent], timeout: i32) -> Result<usize, Errno> {
    epoll_pwait(epoll_fd, events, timeout, None)
}

/// `epoll_pwait`: as [`epoll_wait`] with a signal mask that replaces the blocked mask for the
/// length of the wait (`signal::wait_mask`): a signal it lets through runs its handler and ends
/// the wait with `EINTR`.
///
/// # Errors
/// As [`epoll_wait`].
pub fn epoll_pwait(
    epoll_fd: i32,
    events: &mut [EpollEvent],
    timeout: i32,
    mask: Option<&SignalSet>,
) -> Result<usize, Errno> {
    with_epoll(epoll_fd, |epoll| epoll.wait(events, timeout, mask))
}

/// `timerfd_create` on `clock` (REALTIME, MONOTONIC, BOOTTIME and their ALARM forms); `flags`
/// may hold `TFD_NONBLOCK`, `TFD_CLOEXEC`.
///
/// # Errors
/// `EINVAL` for another clock or flag; `EMFILE`.
pub fn timerfd_create(clock: i32, flags: i32) -> Result<i32, Errno> {
    if !valid_clock(clock) || flags & !(TFD_NONBLOCK | TFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    install_event(
        EventObject::Timer(TimerDescriptor::new(clock)),
        O_RDONLY,
        flags,
    )
}

fn with_timer<T>(
    fd: i32,
    action: impl FnOnce(&TimerDescriptor) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let file = description(fd)?;
    match file.backend() {
        Backend::Event(EventObject::Timer(timer)) => action(timer),
        _ => Err(Errno::EINVAL),
    }
}

/// `timerfd_settime`: arms or disarms; returns the old setting.
///
/// # Errors
/// `EBADF`, `EINVAL` (not a timerfd, bad flags or times).
pub fn timerfd_settime(fd: i32, flags: i32, new: &Itimerspec) -> Result<Itimerspec, Errno> {
    with_timer(fd, |timer| timer.set(flags, new))
}

/// `timerfd_gettime`: the time to the next expiry and the period.
///
/// # Errors
/// `EBADF`, `EINVAL` (not a timerfd).
pub fn timerfd_gettime(fd: i32) -> Result<Itimerspec, Errno> {
    with_timer(fd, |timer| Ok(timer.get()))
}

/// `signalfd4`: with `fd` -1, a new signalfd reading the pending signals of `mask`; with the
/// descriptor of a signalfd, replaces its mask. `flags` may hold `SFD_NONBLOCK`, `SFD_CLOEXEC`
/// (new descriptors only, as on Linux).
///
/// # Errors
/// `EINVAL` (other flags, or `fd` open but not a signalfd), `EBADF` (`fd` not open), `EMFILE`,
/// `ENOSYS` (no process server).
pub fn signalfd4(
    fd: i32,
    mask: &libposix_sys::signal::SignalSet,
    flags: i32,
) -> Result<i32, Errno> {
    use libposix_sys::signalfd::{SFD_CLOEXEC, SFD_NONBLOCK};
    if flags & !(SFD_NONBLOCK | SFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if fd == -1 {
        return install_event(
            EventObject::Signal(SignalDescriptor::new(*mask)?),
            O_RDONLY,
            flags,
        );
    }
    let file = description(fd)?;
    match file.backend() {
        Backend::Event(EventObject::Signal(signals)) => {
            signals.set_mask(*mask);
            Ok(fd)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `signalfd`: [`signalfd4`] without flags.
///
/// # Errors
/// As [`signalfd4`].
pub fn signalfd(fd: i32, mask: &libposix_sys::signal::SignalSet) -> Result<i32, Errno> {
    signalfd4(fd, mask, 0)
}
