//! The guest test suites: the kernel's own, and the user programs that `cargo xtask test` runs.

/// The kernel command-line word that makes the kernel run its built-in tests and exit.
pub const KERNEL_TEST_WORD: &str = "test";
/// The suite name the kernel's tests report under.
pub const KERNEL_SUITE: &str = "kernel";

/// A user program that prints the test protocol on the console and exits with its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestUserSuite {
    /// The program and its arguments, as for `cargo xtask run -- …`.
    pub command: &'static [&'static str],
    /// The suites it must report (it may report others too).
    pub suites: &'static [&'static str],
}

/// The user-program suites run by `cargo xtask test`, in order.
pub const GUEST_USER_SUITES: &[GuestUserSuite] = &[
    GuestUserSuite {
        command: &["/bin/exo-selftest"],
        suites: &["exo-selftest"],
    },
    // Attacks the kernel ABI as a hostile program would (docs/testing.md, "The attack suite").
    GuestUserSuite {
        command: &["/bin/exo-attack"],
        suites: &["exo-attack"],
    },
    // The LibOS's threads, futexes, clocks and sleeps (docs/architecture.md).
    GuestUserSuite {
        command: &["/bin/posix-thread-tests"],
        suites: &["posix-thread-tests"],
    },
    // The POSIX process calls: pids through the process server, wait, exit, fork.
    GuestUserSuite {
        command: &["/bin/posix-process-tests"],
        suites: &["posix-process"],
    },
    // The file calls: fd table, fcntl, devfs, open/openat, pipes (docs/files.md).
    GuestUserSuite {
        command: &["/bin/posix-file-tests"],
        suites: &["posix-files"],
    },
    // The shell: `sh -c` scripts, their statuses and output (apps/posix-shell-tests).
    GuestUserSuite {
        command: &["/bin/posix-shell-tests"],
        suites: &["posix-shell"],
    },
    // The native utilities (/bin/ls, sort, grep, … — links to /bin/utils; docs/files.md).
    GuestUserSuite {
        command: &["/bin/posix-utility-tests"],
        suites: &["posix-utilities"],
    },
    // Polling and event descriptors and AF_UNIX socket pairs (docs/sockets.md).
    GuestUserSuite {
        command: &["/bin/posix-event-tests"],
        suites: &["posix-events"],
    },
    // Signals, stops and continues, process groups and sessions (docs/process-server.md).
    GuestUserSuite {
        command: &["/bin/posix-signal-tests"],
        suites: &["posix-signal"],
    },
    // The controlling process's exit hangs the terminal up: alone, since the terminal belongs
    // to no session afterwards.
    GuestUserSuite {
        command: &["/bin/posix-signal-tests", "hangup"],
        suites: &["posix-signal-hangup"],
    },
];
