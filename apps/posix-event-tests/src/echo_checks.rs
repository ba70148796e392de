//! The demonstration a user would recognise: an AF_UNIX echo server with an epoll event loop
//! serving 100 concurrent client connections, driven by four client threads.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use libos::event::{epoll_create1, epoll_ctl, epoll_wait};
use libos::io::close;
use libos::socket::{recv, send, socketpair};
use libos::test_protocol::{Check, CheckOutcome};
use libposix_sys::epoll::{EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLLHUP, EPOLLIN, EpollEvent};
use libposix_sys::errno::Errno;
use libposix_sys::socket::{AF_UNIX, MSG_DONTWAIT, SOCK_NONBLOCK, SOCK_STREAM};

use crate::ensure;

const CLIENTS: usize = 100;
const CLIENT_THREADS: usize = 4;
const ROUNDS: usize = 3;

/// The server: echoes whatever arrives until every client has hung up; returns the bytes echoed.
fn serve(epoll: i32, mut open: usize) -> Result<usize, String> {
    let mut echoed = 0;
    let mut events = [EpollEvent::default(); 32];
    let mut buffer = [0u8; 512];
    while open > 0 {
        let count = epoll_wait(epoll, &mut events, 10_000)
            .map_err(|error| format!("server epoll_wait: {error}"))?;
        if count == 0 {
            return Err(format!(
                "server: no event for 10 s with {open} clients open"
            ));
        }
        for event in &events[..count] {
            let fd = event.data as i32;
            loop {
                match recv(fd, &mut buffer, MSG_DONTWAIT) {
                    Ok(0) => {
                        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, None)
                            .map_err(|error| format!("server DEL: {error}"))?;
                        let _ = close(fd);
                        open -= 1;
                        break;
                    }
                    Ok(received) => {
                        let sent = send(fd, &buffer[..received], 0)
                            .map_err(|error| format!("server send: {error}"))?;
                        echoed += sent;
                    }
                    Err(Errno::EAGAIN) => break,
                    Err(error) => return Err(format!("server recv: {error}")),
                }
            }
            let _ = event.events & EPOLLHUP;
        }
    }
    Ok(echoed)
}

/// One client thread: its connections send a request each round, then read every answer.
fn drive(connections: Vec<(usize, i32)>) -> Result<usize, String> {
    let mut bytes = 0;
    for round in 0..ROUNDS {
        for &(client, fd) in &connections {
            let message = format!("client {client} round {round}");
            let sent = send(fd, message.as_bytes(), 0).map_err(|e| format!("client send: {e}"))?;
            ensure!(sent == message.len(), "short send");
        }
        for &(client, fd) in &connections {
            let message = format!("client {client} round {round}");
            let mut answer = alloc::vec![0u8; message.len()];
            let mut have = 0;
            while have < answer.len() {
                let count = recv(fd, &mut answer[have..], 0)
                    .map_err(|error| format!("client {client} recv: {error}"))?;
                ensure!(count > 0, "client {client}: the server hung up");
                have += count;
            }
            ensure!(
                answer == message.as_bytes(),
                "client {client} got {answer:?}"
            );
            bytes += answer.len();
        }
    }
    Ok(bytes)
}

/// [`drive`], closing every connection whatever happens (a failed check must not leave 100
/// sockets open for the checks after it).
fn drive_and_close(connections: Vec<(usize, i32)>) -> Result<usize, String> {
    let fds: Vec<i32> = connections.iter().map(|&(_, fd)| fd).collect();
    let result = drive(connections);
    for fd in fds {
        let _ = close(fd);
    }
    result
}

fn echo_server() -> CheckOutcome {
    let epoll = epoll_create1(0).map_err(|error| format!("epoll_create1: {error}"))?;
    let mut client_ends = Vec::new();
    let mut server_ends = Vec::new();
    for client in 0..CLIENTS {
        let [server_end, client_end] = socketpair(AF_UNIX, SOCK_STREAM, 0)
            .map_err(|error| format!("socketpair {client}: {error}"))?;
        // The server's end never blocks its loop.
        libos::io::fcntl(
            server_end,
            libposix_sys::fcntl::F_SETFL,
            SOCK_NONBLOCK as u64,
        )
        .map_err(|error| format!("fcntl: {error}"))?;
        epoll_ctl(
            epoll,
            EPOLL_CTL_ADD,
            server_end,
            Some(EpollEvent {
                events: EPOLLIN,
                data: server_end as u64,
            }),
        )
        .map_err(|error| format!("epoll_ctl: {error}"))?;
        client_ends.push((client, client_end));
        server_ends.push(server_end);
    }
    let server = libos::thread::spawn(move || serve(epoll, CLIENTS))
        .map_err(|error| format!("spawn server: {error:?}"))?;
    let mut drivers = Vec::new();
    for chunk in client_ends.chunks(CLIENTS / CLIENT_THREADS) {
        let connections = chunk.to_vec();
        drivers.push(
            libos::thread::spawn(move || drive_and_close(connections))
                .map_err(|error| format!("spawn client: {error:?}"))?,
        );
    }
    let mut received = 0;
    let mut failure = None;
    for driver in drivers {
        match driver.join() {
            Ok(Ok(bytes)) => received += bytes,
            Ok(Err(reason)) => failure = Some(reason),
            Err(_) => failure = Some(String::from("a client thread failed")),
        }
    }
    let echoed = server.join().map_err(|_| "the server thread failed");
    // The server closes each end when its client hangs up; after a failure, what is left.
    if !matches!(echoed, Ok(Ok(_))) {
        for fd in server_ends {
            let _ = close(fd);
        }
    }
    let _ = close(epoll);
    let echoed = echoed?;
    if let Some(reason) = failure {
        return Err(reason);
    }
    let echoed = echoed?;
    ensure!(
        echoed == received,
        "the server echoed {echoed} bytes, clients got {received}"
    );
    ensure!(
        received > CLIENTS * ROUNDS * 15,
        "only {received} bytes came back"
    );
    Ok(())
}

/// An epoll echo server answers 100 concurrent AF_UNIX clients (3 requests each, all
/// connections open at once) and sees each one hang up.
pub const ECHO_SERVER: Check = Check {
    name: "epoll-echo-server-100-clients",
    covers: &["epoll_wait:100-clients-echo", "socketpair:epoll-server"],
    run: echo_server,
};
