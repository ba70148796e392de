//! The LibOS's well-known capability slots, in one table so that no two subsystems pick the
//! same one. The kernel fixes slots 0–5 for `init` (`exokernel_abi::initial`) and the LibOS
//! gives every program the same ones; these are the LibOS's own conventions above them. Slots
//! below `initial::FIRST_FREE_SLOT` (64) are never handed out by the slot allocator, except the
//! image frames at 16 and up; a compile-time check keeps the slots every client holds distinct.

use exokernel_abi::Slot;

/// A registered process's badged endpoint to the process server (`process::identity`).
pub const PROCESS_SERVER: Slot = Slot(6);
/// The process server's own RECEIVE endpoint, in its own space.
pub const PROCESS_SERVER_ENDPOINT: Slot = Slot(7);
/// A process's signal page frame (`signal::page`), made by the process server; kept across
/// `execve`, never copied by `fork` (the child gets its own).
pub const SIGNAL_PAGE: Slot = Slot(8);
/// A client's badged SEND capability to the socket server (`socket::protocol`), and in the
/// socket server's own space its RECEIVE endpoint.
pub const SOCKET_SERVER: Slot = Slot(10);
/// The socket-server capability badged for the unprivileged test user that `init` also grants
/// (a client slot; slot 7 is the process server's endpoint only in the server's own space).
pub const UNPRIVILEGED_SOCKET_SERVER: Slot = Slot(7);
/// In the socket server's own space: its SEND capability to the file server badged
/// `fs::protocol::SOCKET_AUTHORITY_BADGE`, which redeems the tickets of socket paths. The
/// socket server is a registered process too, holding the client slots (the terminal server's
/// at 9 included) and its notification at 14; slot 15 is no client slot.
pub const SOCKET_SERVER_FILE_AUTHORITY: Slot = Slot(15);
/// A client's badged SEND capability to the file server, and in the file server's own space its
/// RECEIVE endpoint (`fs::protocol`).
pub const FILE_SERVER: Slot = Slot(12);
/// The capability badged for the unprivileged test user that `init` also grants, and in the
/// file server's own space where it receives a client's buffer frame.
pub const UNPRIVILEGED_FILE_SERVER: Slot = Slot(13);
/// The file server's notification bound to its endpoint, in its own space.
pub const FILE_SERVER_NOTIFICATION: Slot = Slot(14);
/// The frame of a descriptor table handed to a new image or a child (`io::inheritance`); start-up
/// reads it and deletes it.
pub const INHERITED_DESCRIPTORS: Slot = Slot(11);

/// A client's SEND capability to the terminal server badged with its pid (`io::terminal`),
/// minted by the process server at registration; in the terminal server's own space its
/// RECEIVE endpoint.
pub const TERMINAL_SERVER: Slot = Slot(9);

/// The slots an ordinary process may hold at once (the servers' own slots live in their own
/// spaces and may share numbers with these).
const CLIENT_SLOTS: [Slot; 8] = [
    PROCESS_SERVER,
    TERMINAL_SERVER,
    SIGNAL_PAGE,
    SOCKET_SERVER,
    UNPRIVILEGED_SOCKET_SERVER,
    INHERITED_DESCRIPTORS,
    FILE_SERVER,
    UNPRIVILEGED_FILE_SERVER,
];

const _: () = {
    let mut first = 0;
    while first < CLIENT_SLOTS.len() {
        let mut second = first + 1;
        while second < CLIENT_SLOTS.len() {
            assert!(
                CLIENT_SLOTS[first].0 != CLIENT_SLOTS[second].0,
                "two well-known client slots share a number"
            );
            second += 1;
        }
        assert!(CLIENT_SLOTS[first].0 > 5 && CLIENT_SLOTS[first].0 < 16);
        first += 1;
    }
};
