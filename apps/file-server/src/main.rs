//! The shared root file system's server (docs/files.md).
//!
//! `init` starts it with a RECEIVE capability to its endpoint at [`FILE_SERVER_SLOT`] and hands
//! every client a SEND capability badged with the client's credentials. It owns the tree
//! ([`vfs::memory_tree::MemoryTree`]): names, metadata, permissions — every check that protects
//! one process from another runs here. Files of the initramfs are served from its pages until
//! written. Anything a client sends is untrusted: unknown operations, connections and handles
//! are errors, never crashes.
#![no_std]
#![no_main]

extern crate alloc;

mod fifo;
mod frame_storage;
mod server;

use libos::Startup;
use libos::abi::{Call, Slot, initial};
use libos::fs::protocol::{FILE_SERVER_SLOT, SERVER_NOTIFICATION_SLOT, SERVER_RECEIVE_SLOT};
use libos::ipc::{self, Received};

libos::main!(main);

fn main(_startup: &Startup) -> i32 {
    let mut server = match server::Server::from_initramfs() {
        Ok(server) => server,
        Err(reason) => {
            libos::println!("file-server: cannot start: {reason}");
            return 1;
        }
    };
    // Clients' channels signal this notification when a client is gone; bound to the endpoint,
    // it wakes the same receive loop.
    let bound = libos::kernel::call(Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination: SERVER_NOTIFICATION_SLOT,
    })
    .and_then(|_| ipc::bind_notification(SERVER_NOTIFICATION_SLOT, Some(FILE_SERVER_SLOT)));
    if let Err(error) = bound {
        libos::println!("file-server: cannot watch clients: {error}");
        return 1;
    }
    let mut reply: Option<([u64; 3], Option<Slot>)> = None;
    loop {
        let received = match reply.take() {
            // A FIFO's end: our copy must go before we wait, or it would count as a reader or
            // writer until the next request came (one more kernel entry than the usual way).
            Some((words, Some(slot))) if server.must_release_at_once(slot) => {
                let _ = libos::kernel::call(Call::IpcReply {
                    word0: words[0],
                    word1: words[1],
                    word2: words[2],
                    transfer: libos::abi::OptionalSlot(Some(slot)),
                });
                let _ = libos::kernel::call(Call::CapabilityDelete { slot });
                libos::slots::free(slot);
                server.released(slot);
                ipc::receive(FILE_SERVER_SLOT, Some(SERVER_RECEIVE_SLOT), 0)
            }
            Some((words, transfer)) => {
                let received = ipc::reply_and_receive(
                    FILE_SERVER_SLOT,
                    words,
                    transfer,
                    Some(SERVER_RECEIVE_SLOT),
                );
                // The client holds its own copy now (or never will: it is gone).
                if let Some(slot) = transfer {
                    let _ = libos::kernel::call(Call::CapabilityDelete { slot });
                    libos::slots::free(slot);
                }
                received
            }
            None => ipc::receive(FILE_SERVER_SLOT, Some(SERVER_RECEIVE_SLOT), 0),
        };
        match received {
            Ok(Received::Message {
                badge,
                words,
                capability_arrived,
            }) => reply = Some(server.handle(badge, words, capability_arrived)),
            Ok(Received::Notification { bits }) => server.reap_connections(bits),
            Err(_) => {}
        }
    }
}
