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

mod server;

use libos::Startup;
use libos::abi::{Call, initial};
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
    let mut reply: Option<[u64; 3]> = None;
    loop {
        let received = match reply.take() {
            Some(words) => {
                ipc::reply_and_receive(FILE_SERVER_SLOT, words, None, Some(SERVER_RECEIVE_SLOT))
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
