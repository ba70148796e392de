//! Conformance checks of the LibOS's polling and event calls and AF_UNIX socket pairs, in the
//! test protocol (docs/testing.md): `poll`, `ppoll`, `select`, `pselect6`, `epoll_*`,
//! `eventfd2`, `timerfd_*`, `socketpair` and the calls on sockets, and an epoll echo server
//! serving 100 concurrent clients (docs/sockets.md).
//!
//! Run as `/bin/posix-event-tests`. The checks that hold many descriptors at once run before
//! the first `fork`: a process that forked hands out only slots below 255.
#![no_std]
#![no_main]

extern crate alloc;

mod datagram_checks;
mod echo_checks;
mod epoll_checks;
mod eventfd_checks;
mod inheritance_checks;
mod named_checks;
mod path_checks;
mod peer_credential_checks;
mod poll_checks;
mod rights_checks;
mod socket_checks;
mod support;
mod survival_checks;
mod timerfd_checks;

use libos::Startup;
use libos::test_protocol::{Check, run_checks};

libos::main!(main);

/// Fails a check with a formatted reason unless `condition` holds.
#[macro_export]
macro_rules! ensure {
    ($condition:expr, $($reason:tt)+) => {
        if !$condition {
            return Err(alloc::format!($($reason)+));
        }
    };
}

const CHECKS: &[Check] = &[
    echo_checks::ECHO_SERVER,
    poll_checks::MANY,
    poll_checks::PIPE_READINESS,
    poll_checks::TIMEOUT,
    poll_checks::INVALID,
    poll_checks::HANG_UP,
    poll_checks::WAKES,
    poll_checks::FILES,
    poll_checks::SOCKETS,
    poll_checks::PPOLL,
    poll_checks::SELECT,
    poll_checks::SELECT_ERRORS,
    poll_checks::PSELECT,
    eventfd_checks::COUNTS,
    eventfd_checks::SEMAPHORE,
    eventfd_checks::NONBLOCKING,
    eventfd_checks::CLOSE_ON_EXEC,
    eventfd_checks::BLOCKING,
    epoll_checks::LEVEL,
    epoll_checks::EDGE,
    epoll_checks::ONE_SHOT,
    epoll_checks::ERRORS,
    epoll_checks::NESTING,
    epoll_checks::HANG_UP,
    epoll_checks::TIMEOUT,
    epoll_checks::CLOSED,
    epoll_checks::CREATION,
    timerfd_checks::ONE_SHOT,
    timerfd_checks::PERIODIC,
    timerfd_checks::GETTIME,
    timerfd_checks::ERRORS,
    timerfd_checks::ABSOLUTE,
    timerfd_checks::IN_EPOLL,
    socket_checks::STREAM,
    socket_checks::DATAGRAM,
    socket_checks::SEQUENCED,
    socket_checks::PEEK,
    socket_checks::NONBLOCKING,
    socket_checks::SHUTDOWN_WRITE,
    socket_checks::SHUTDOWN_READ,
    socket_checks::CLOSE,
    socket_checks::OPTIONS,
    socket_checks::PEER_CREDENTIALS,
    socket_checks::VECTORED,
    socket_checks::ADDRESSES,
    socket_checks::CREATION,
    socket_checks::LARGE,
    named_checks::ROUND_TRIP,
    named_checks::ERRORS,
    named_checks::NAME_FREED,
    named_checks::BACKLOG,
    named_checks::IN_EPOLL,
    named_checks::FORGED,
    path_checks::PATH_ROUND_TRIP,
    rights_checks::SOCKET_AND_COUNTER,
    rights_checks::ERRORS,
    // Forking checks last (see above).
    eventfd_checks::ACROSS_FORK,
    epoll_checks::ACROSS_FORK,
    socket_checks::ACROSS_FORK,
    socket_checks::PEER_CRASH,
    socket_checks::SERVER_KILLED,
    named_checks::CREDENTIALS,
    path_checks::OTHER_USER,
    peer_credential_checks::REAL_PID,
    peer_credential_checks::FOLLOWS_SETUID,
    peer_credential_checks::UNFORGEABLE,
    path_checks::RAW_CALLS,
    path_checks::DATAGRAM_LOOKUP,
    datagram_checks::ABSTRACT,
    datagram_checks::PATH,
    datagram_checks::DEFAULT_PEER,
    datagram_checks::REFUSED_AFTER_CLOSE,
    datagram_checks::FULL,
    datagram_checks::CONTROL,
    datagram_checks::FORGED_SENDER,
    inheritance_checks::ACROSS_EXECVE,
    inheritance_checks::ACROSS_POSIX_SPAWN,
    rights_checks::PIPE_FROM_CHILD,
    survival_checks::SERVER_SURVIVES_CLIENT_PAYER_KILLED,
    survival_checks::PASSED_PIPE_OUTLIVES_SENDER,
];

fn main(startup: &Startup) -> i32 {
    // `only NAME…` runs just those checks (for working on one).
    let arguments: alloc::vec::Vec<_> = startup.arguments().skip(1).collect();
    // The image `execve`/`posix_spawn` start in the inheritance checks.
    if arguments.first().is_some_and(|word| word == "inherited") {
        return inheritance_checks::inherited(&arguments[1..]);
    }
    let chosen: alloc::vec::Vec<Check> = if arguments.first().is_some_and(|word| word == "only") {
        CHECKS
            .iter()
            .filter(|check| arguments.iter().any(|name| name == check.name))
            .map(|check| Check { ..*check })
            .collect()
    } else {
        CHECKS.iter().map(|check| Check { ..*check }).collect()
    };
    let failed = run_checks("posix-events", &chosen);
    libos::println!("{} passed, {failed} failed", chosen.len() - failed);
    i32::from(failed != 0)
}
