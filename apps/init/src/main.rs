//! The first user program: runs the command the kernel was given and exits with its status.
#![no_std]
#![no_main]

extern crate alloc;

use libos::abi::{Call, OptionalSlot, Rights, Slot, initial};
use libos::fs::protocol::{
    FILE_SERVER_SLOT, SOCKET_AUTHORITY_BADGE, UNPRIVILEGED_FILE_SERVER_SLOT, UNPRIVILEGED_USER,
    badge_for,
};
use libos::kernel::call;
use libos::process::identity::{PROCESS_SERVER, waitpid};
use libos::process::protocol::{self, SERVER_ENDPOINT};
use libos::process::{Child, Ending, SpawnError, spawn};
use libos::{Startup, println};
use libposix_sys::errno::Errno;
use libposix_sys::signal::{SIGBUS, SIGFPE, SIGILL, SIGSEGV};
use libposix_sys::wait::{WIFSIGNALED, WTERMSIG};

libos::main!(main);

/// The shell's convention for a program killed by a signal.
fn killed_by(signal: i32) -> i32 {
    128 + signal
}

/// The signal a fatal exception maps to, as a POSIX system reports it.
fn signal_for_exception(vector: u64) -> i32 {
    match vector {
        0 | 16 | 19 => SIGFPE,
        6 => SIGILL,
        17 => SIGBUS,
        _ => SIGSEGV,
    }
}

/// Starts the process server and registers `init` with it as pid 1. Without it, processes run
/// without POSIX identity (`getpid` answers `ENOSYS`), which init reports.
fn start_process_server() -> Option<libos::process::Child> {
    let endpoint = libos::slots::allocate()?;
    call(Call::EndpointCreate {
        quota: initial::MEMORY_QUOTA,
        destination: endpoint,
    })
    .ok()?;
    let server = match spawn(
        "/bin/process-server",
        "/bin/process-server",
        &[(endpoint, SERVER_ENDPOINT)],
    ) {
        Ok(server) => server,
        Err(error) => {
            println!("init: cannot start the process server: {error:?}");
            return None;
        }
    };
    let registered = call(Call::IpcCall {
        endpoint,
        word0: protocol::FOUNDER,
        word1: 0,
        word2: 0,
        transfer: OptionalSlot(Some(initial::SELF_ENVIRONMENT)),
        receive: OptionalSlot(Some(PROCESS_SERVER)),
    });
    // Nobody else may ever hold the unbadged endpoint: it would let them register as pid 1.
    let _ = call(Call::CapabilityDelete { slot: endpoint });
    match registered {
        Ok(words) if words[1] == 0 => {
            // What `/proc/1` and `ps` show for us.
            libos::process::listing::describe_self("/sbin/init", "/sbin/init");
            Some(server)
        }
        Ok(words) => {
            println!("init: the process server refused init: errno {}", words[1]);
            None
        }
        Err(error) => {
            println!("init: the process server did not answer: {error}");
            None
        }
    }
}

/// Makes a server's endpoint in `endpoint` and SEND capabilities to it in `client` (badged with
/// root's credentials) and `unprivileged` (badged with the unprivileged test user's).
fn create_server_endpoint(
    endpoint: Slot,
    client: Slot,
    unprivileged: Slot,
) -> Result<(), alloc::string::String> {
    call(Call::EndpointCreate {
        quota: initial::MEMORY_QUOTA,
        destination: endpoint,
    })
    .map_err(|error| alloc::format!("endpoint: {error}"))?;
    call(Call::CapabilityMint {
        source: endpoint,
        destination: client,
        rights: Rights::SEND | Rights::GRANT,
        badge: badge_for(0, 0),
    })
    .map_err(|error| alloc::format!("badge: {error}"))?;
    call(Call::CapabilityMint {
        source: endpoint,
        destination: unprivileged,
        rights: Rights::SEND | Rights::GRANT,
        badge: badge_for(UNPRIVILEGED_USER, UNPRIVILEGED_USER),
    })
    .map_err(|error| alloc::format!("badge: {error}"))?;
    Ok(())
}

/// Starts the shared root file system's server (docs/files.md) and returns it with the slots of
/// SEND capabilities to it badged with root's credentials and with an unprivileged user's, for
/// the command, and the socket server's capability to it (badged [`SOCKET_AUTHORITY_BADGE`]:
/// socket paths' tickets are redeemed through it). `None` (and a warning) when it cannot start:
/// the command then runs with devfs only.
fn start_file_server() -> Option<(Child, Option<Slot>, Slot, Option<Slot>)> {
    let endpoint = libos::slots::allocate()?;
    let client = libos::slots::allocate()?;
    let unprivileged = libos::slots::allocate()?;
    let started = (|| {
        create_server_endpoint(endpoint, client, unprivileged)?;
        let server = spawn(
            "/bin/file-server",
            "/bin/file-server",
            &[(endpoint, FILE_SERVER_SLOT)],
        )
        .map_err(|error| alloc::format!("{error:?}"))?;
        let served = give_file_service(endpoint);
        Ok::<(Child, bool), alloc::string::String>((server, served))
    })();
    let authority = started.as_ref().ok().and_then(|_| {
        let slot = libos::slots::allocate()?;
        call(Call::CapabilityMint {
            source: endpoint,
            destination: slot,
            // GRANT: `spawn` hands it over by copying.
            rights: Rights::SEND | Rights::GRANT,
            badge: SOCKET_AUTHORITY_BADGE,
        })
        .ok()
        .map(|_| slot)
    });
    match started {
        // With the file service, the process server gives every process its own capability:
        // root's is not handed down from init.
        Ok((server, true)) => Some((server, None, unprivileged, authority)),
        Ok((server, false)) => Some((server, Some(client), unprivileged, authority)),
        Err(reason) => {
            println!("init: the file server did not start ({reason}); only /dev is available");
            None
        }
    }
}

/// Gives the process server an unbadged SEND capability to the file server, from which it mints
/// each later process's capability badged with that process's credentials (and replaces it when
/// they change). Without it, programs get root's capability from init's grants.
fn give_file_service(endpoint: Slot) -> bool {
    give_service(endpoint, protocol::FILE_SERVICE)
}

/// Gives the process server an unbadged SEND capability to a server's `endpoint` with
/// `operation` (`FILE_SERVICE`, `SOCKET_SERVICE`); whether it took it.
fn give_service(endpoint: Slot, operation: u64) -> bool {
    let Some(service) = libos::slots::allocate() else {
        return false;
    };
    let given = call(Call::CapabilityMint {
        source: endpoint,
        destination: service,
        rights: Rights::SEND | Rights::GRANT,
        badge: 0,
    })
    .and_then(|_| {
        call(Call::IpcCall {
            endpoint: PROCESS_SERVER,
            word0: operation,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(Some(service)),
            receive: OptionalSlot(None),
        })
    });
    let taken = matches!(given, Ok(words) if words[1] == 0);
    if !taken {
        println!("init: the process server did not take service {operation}: {given:?}");
    }
    // The server holds its own copy now.
    let _ = call(Call::CapabilityDelete { slot: service });
    libos::slots::free(service);
    taken
}

/// Keeps the console capability with READ (the authority to take what is typed) in a slot of
/// its own and leaves a write-only copy at `initial::CONSOLE`, the one every program started
/// from now on inherits: only the terminal server, handed the full one, reads the keyboard.
/// Returns the slot of the full one (`None`: the console stays as it was).
fn attenuate_console() -> Option<Slot> {
    let full = libos::slots::allocate()?;
    if call(Call::CapabilityMove {
        source: initial::CONSOLE,
        destination: full,
    })
    .is_err()
    {
        libos::slots::free(full);
        return None;
    }
    let attenuated = call(Call::CapabilityCopy {
        source: full,
        destination: initial::CONSOLE,
        rights: Rights::WRITE | Rights::GRANT,
    });
    if attenuated.is_err() {
        let _ = call(Call::CapabilityMove {
            source: full,
            destination: initial::CONSOLE,
        });
        libos::slots::free(full);
        return None;
    }
    Some(full)
}

/// Gives the full console back to `initial::CONSOLE` (no terminal server: each program then
/// runs the line discipline over the console itself and must read it).
fn restore_console(full: Slot) {
    let _ = call(Call::CapabilityDelete {
        slot: initial::CONSOLE,
    });
    let _ = call(Call::CapabilityMove {
        source: full,
        destination: initial::CONSOLE,
    });
    libos::slots::free(full);
}

/// Starts the terminal server (docs/files.md, "The terminal") and gives the process server an
/// unbadged SEND capability to it, from which every later process gets its own badged with its
/// pid. `None` (and a warning) when it cannot start: each process then runs the line
/// discipline over the console itself, without job control. `console` is the console
/// capability with READ that it is handed at `initial::CONSOLE` (ours is write-only by then).
fn start_terminal_server(console: Option<Slot>) -> Option<Child> {
    let endpoint = libos::slots::allocate()?;
    let service = libos::slots::allocate()?;
    let started = (|| {
        call(Call::EndpointCreate {
            quota: initial::MEMORY_QUOTA,
            destination: endpoint,
        })
        .map_err(|error| alloc::format!("endpoint: {error}"))?;
        let mut grants = alloc::vec![(endpoint, libos::well_known_slots::TERMINAL_SERVER)];
        if let Some(console) = console {
            grants.push((console, initial::CONSOLE));
        }
        let server = spawn("/bin/tty-server", "/bin/tty-server", &grants)
            .map_err(|error| alloc::format!("{error:?}"))?;
        call(Call::CapabilityMint {
            source: endpoint,
            destination: service,
            rights: Rights::SEND | Rights::GRANT,
            badge: 0,
        })
        .map_err(|error| alloc::format!("service: {error}"))?;
        let given = call(Call::IpcCall {
            endpoint: PROCESS_SERVER,
            word0: protocol::TERMINAL_SERVICE,
            word1: server.pid().unwrap_or(0) as u64,
            word2: 0,
            transfer: OptionalSlot(Some(service)),
            receive: OptionalSlot(None),
        });
        if !matches!(given, Ok(words) if words[1] == 0) {
            return Err(alloc::format!(
                "the process server did not take it: {given:?}"
            ));
        }
        Ok(server)
    })();
    // The process server holds its own copy; the receive side is the server's alone.
    let _ = call(Call::CapabilityDelete { slot: service });
    let _ = call(Call::CapabilityDelete { slot: endpoint });
    match started {
        Ok(server) => Some(server),
        Err(reason) => {
            println!("init: the terminal server did not start ({reason})");
            None
        }
    }
}

/// Starts the AF_UNIX socket server (docs/sockets.md) and returns it with the slots of SEND
/// capabilities to it badged with root's credentials and with an unprivileged user's, for the
/// command. `file_authority` is its capability to the file server (socket paths). `None` (and a
/// warning) when it cannot start: named sockets then answer `ENOSYS`.
fn start_socket_server(file_authority: Option<Slot>) -> Option<(Child, Option<Slot>, Slot)> {
    let endpoint = libos::slots::allocate()?;
    let client = libos::slots::allocate()?;
    let unprivileged = libos::slots::allocate()?;
    let started = (|| {
        create_server_endpoint(endpoint, client, unprivileged)?;
        let mut grants = alloc::vec![(endpoint, libos::socket::protocol::SOCKET_SERVER)];
        if let Some(authority) = file_authority {
            grants.push((
                authority,
                libos::well_known_slots::SOCKET_SERVER_FILE_AUTHORITY,
            ));
        }
        spawn("/bin/socket-server", "/bin/socket-server", &grants)
            .map_err(|error| alloc::format!("{error:?}"))
    })();
    match started {
        // With the socket service, the process server gives every process its own capability
        // (badged with its pid): root's is not handed down from init.
        Ok(server) if give_service(endpoint, protocol::SOCKET_SERVICE) => {
            Some((server, None, unprivileged))
        }
        Ok(server) => Some((server, Some(client), unprivileged)),
        Err(reason) => {
            println!("init: the socket server did not start ({reason}); no named sockets");
            None
        }
    }
}

fn main(startup: &Startup) -> i32 {
    let mut words = startup.command.split(' ').filter(|word| !word.is_empty());
    let Some(program) = words.next() else {
        println!("init: no command given; user space is up (boot with `-- /bin/sh` for a shell).");
        return 0;
    };
    let console = attenuate_console();
    let _server = start_process_server();
    let terminal_server = start_terminal_server(console);
    if let (None, Some(console)) = (&terminal_server, console) {
        restore_console(console);
    }
    let file_server = start_file_server();
    let socket_server = start_socket_server(file_server.as_ref().and_then(|server| server.3));
    let mut grants: alloc::vec::Vec<(Slot, Slot)> = alloc::vec::Vec::new();
    if let Some((_, client, unprivileged, _)) = &file_server {
        // None once the process server mints each process's own (badged with its credentials).
        if let Some(client) = client {
            grants.push((*client, FILE_SERVER_SLOT));
        }
        grants.push((*unprivileged, UNPRIVILEGED_FILE_SERVER_SLOT));
    }
    if let Some((_, client, unprivileged)) = &socket_server {
        if let Some(client) = client {
            grants.push((*client, libos::socket::protocol::SOCKET_SERVER));
        }
        grants.push((
            *unprivileged,
            libos::socket::protocol::UNPRIVILEGED_SOCKET_SERVER,
        ));
    }
    let path = libos::percent_decode(program);
    if terminal_server.is_some() {
        // The command runs in a process group of its own, the terminal's foreground group:
        // ^C reaches it (and what it starts in its group), never init or the servers.
        libos::process::spawn::set_next_group(Some(0), true);
    }
    let status = run(&path, startup.command, &grants);
    if let Some((server, _, _, _)) = file_server {
        server.reap();
    }
    if let Some((server, _, _)) = socket_server {
        server.reap();
    }
    status
}

/// Runs the command, reaping the orphans that come to init meanwhile, and answers its exit
/// status as a shell would.
fn run(path: &str, command: &str, grants: &[(Slot, Slot)]) -> i32 {
    let child = match spawn(path, command, grants) {
        Ok(child) => child,
        Err(SpawnError::NotFound) => {
            println!("init: {path}: not found");
            return 127;
        }
        Err(SpawnError::NotExecutable) => {
            println!("init: {path}: not an executable");
            return 126;
        }
        Err(SpawnError::Kernel(error)) => {
            println!("init: {path}: cannot start: {error}");
            return 126;
        }
    };
    // Reap every orphan that comes to us until the command itself ends.
    let mut killed_by_signal = None;
    if let Some(command_pid) = child.pid() {
        loop {
            let mut status = 0;
            match waitpid(-1, Some(&mut status), 0) {
                Ok(pid) if pid == command_pid => {
                    if WIFSIGNALED(status) {
                        killed_by_signal = Some(WTERMSIG(status));
                    }
                    break;
                }
                Ok(_) | Err(Errno::EINTR) => {}
                Err(_) => break,
            }
        }
    }
    // A command killed by a signal was stopped, not ended: its environment says no more.
    let timeout = if killed_by_signal.is_some() {
        1_000_000
    } else {
        0
    };
    let status = match (child.wait(timeout), killed_by_signal) {
        (Ok(Ending::Exited(status)), _) => (status & 0xff) as i32,
        (Ok(Ending::Faulted { vector, address }), _) => {
            println!("init: {path}: killed by exception {vector} at address {address:#x}");
            killed_by(signal_for_exception(vector))
        }
        (Err(_), Some(signal)) => {
            println!("init: {path}: killed by signal {signal}");
            killed_by(signal)
        }
        (Err(error), None) => {
            println!("init: {path}: lost track of it: {error}");
            killed_by(libposix_sys::signal::SIGKILL)
        }
    };
    child.reap();
    status
}
