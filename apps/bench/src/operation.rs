//! The operations the suite measures, named as `cargo xtask bench` reports them, and how many
//! times each runs per boot.

/// One benchmarked operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `getppid`: the cheapest POSIX call.
    NullCall,
    /// Reading the monotonic clock.
    ClockGettime,
    /// `open` + `close` of a file in an in-memory file system.
    OpenClose,
    /// `stat` of that file.
    Stat,
    /// `pread` of 4 KiB from a cached file.
    Read4k,
    /// `pwrite` of 4 KiB to a cached file.
    Write4k,
    /// One byte each way through two pipes between two processes.
    PipeRoundTrip,
    /// One byte each way over an `AF_UNIX` stream socket pair between two processes.
    UnixRoundTrip,
    /// One switch between two processes that yield to each other.
    ContextSwitch,
    /// One switch between two threads of one process that yield to each other.
    ThreadSwitch,
    /// `fork` + the child's `_exit` + `waitpid`.
    ForkExit,
    /// `fork` + `execve` of a static binary that exits at once + `waitpid`.
    ForkExec,
    /// Starting a program that exits at once (`posix_spawn`) + waiting for it.
    Spawn,
    /// The first touch of one page of fresh anonymous memory.
    PageFaultAnon,
    /// The first write to one copy-on-write page after `fork`.
    PageFaultCow,
    /// Sending a signal to oneself and running its handler.
    SignalDelivery,
    /// `mmap` + `munmap` of one untouched anonymous page.
    MmapMunmap,
    /// The cheapest kernel entry and return.
    KernelNullCall,
    /// A register-only request and reply between two address spaces.
    IpcRoundTrip,
    /// A notification (event) each way between two address spaces.
    NotificationRoundTrip,
}

impl Operation {
    /// Every operation, in report order.
    pub const ALL: [Self; 20] = [
        Self::NullCall,
        Self::ClockGettime,
        Self::OpenClose,
        Self::Stat,
        Self::Read4k,
        Self::Write4k,
        Self::PipeRoundTrip,
        Self::UnixRoundTrip,
        Self::ContextSwitch,
        Self::ThreadSwitch,
        Self::ForkExit,
        Self::Spawn,
        Self::PageFaultAnon,
        Self::PageFaultCow,
        Self::SignalDelivery,
        Self::MmapMunmap,
        Self::KernelNullCall,
        Self::IpcRoundTrip,
        Self::NotificationRoundTrip,
        // Last: on this system it forks in the benchmark process itself, whose pages then stay
        // copy-on-write (the measurements that install exception handlers must come before).
        Self::ForkExec,
    ];

    /// The name the report uses.
    pub const fn name(self) -> &'static str {
        match self {
            Self::NullCall => "null_call",
            Self::ClockGettime => "clock_gettime",
            Self::OpenClose => "open_close",
            Self::Stat => "stat",
            Self::Read4k => "read_4k",
            Self::Write4k => "write_4k",
            Self::PipeRoundTrip => "pipe_round_trip",
            Self::UnixRoundTrip => "unix_round_trip",
            Self::ContextSwitch => "context_switch",
            Self::ThreadSwitch => "thread_switch",
            Self::ForkExit => "fork_exit",
            Self::ForkExec => "fork_exec",
            Self::Spawn => "spawn",
            Self::PageFaultAnon => "page_fault_anon",
            Self::PageFaultCow => "page_fault_cow",
            Self::SignalDelivery => "signal_delivery",
            Self::MmapMunmap => "mmap_munmap",
            Self::KernelNullCall => "kernel_null_call",
            Self::IpcRoundTrip => "ipc_round_trip",
            Self::NotificationRoundTrip => "notification_round_trip",
        }
    }

    /// Timed repetitions per boot: enough for about 10–50 ms each under TCG, so that a whole
    /// run stays short while one timer interrupt more or less does not matter.
    pub const fn iterations(self) -> u64 {
        match self {
            Self::NullCall | Self::ClockGettime | Self::KernelNullCall => 20_000,
            Self::OpenClose | Self::Stat | Self::SignalDelivery | Self::MmapMunmap => 2_000,
            Self::Read4k | Self::Write4k | Self::PageFaultAnon | Self::PageFaultCow => 1_000,
            Self::ContextSwitch | Self::ThreadSwitch => 1_000,
            Self::PipeRoundTrip
            | Self::UnixRoundTrip
            | Self::IpcRoundTrip
            | Self::NotificationRoundTrip => 300,
            Self::ForkExit => 30,
            Self::ForkExec | Self::Spawn => 10,
        }
    }
}
