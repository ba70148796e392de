//! Resource limits (`struct rlimit`, `RLIMIT_*`) and usage (`struct rusage`, `RUSAGE_*`).

use crate::time::Timeval;

/// CPU time in seconds (`SIGXCPU`, then `SIGKILL`).
pub const RLIMIT_CPU: u32 = 0;
/// Largest file size in bytes (`SIGXFSZ`).
pub const RLIMIT_FSIZE: u32 = 1;
/// Largest data segment (heap) in bytes.
pub const RLIMIT_DATA: u32 = 2;
/// Largest main-thread stack in bytes.
pub const RLIMIT_STACK: u32 = 3;
/// Largest core dump in bytes.
pub const RLIMIT_CORE: u32 = 4;
/// Largest resident set (no effect).
pub const RLIMIT_RSS: u32 = 5;
/// Most processes for the real user ID.
pub const RLIMIT_NPROC: u32 = 6;
/// One more than the highest descriptor number.
pub const RLIMIT_NOFILE: u32 = 7;
/// Most memory locked in RAM, in bytes.
pub const RLIMIT_MEMLOCK: u32 = 8;
/// Largest address space in bytes.
pub const RLIMIT_AS: u32 = 9;
/// Most file locks.
pub const RLIMIT_LOCKS: u32 = 10;
/// Most queued signals for the real user ID.
pub const RLIMIT_SIGPENDING: u32 = 11;
/// Most bytes in POSIX message queues.
pub const RLIMIT_MSGQUEUE: u32 = 12;
/// Ceiling of the nice value (as `20 - limit`).
pub const RLIMIT_NICE: u32 = 13;
/// Ceiling of the real-time priority.
pub const RLIMIT_RTPRIO: u32 = 14;
/// Real-time CPU time without a blocking call, in microseconds.
pub const RLIMIT_RTTIME: u32 = 15;
/// The number of limits.
pub const RLIM_NLIMITS: u32 = 16;
/// No limit.
pub const RLIM_INFINITY: u64 = u64::MAX;

/// `getrusage`: the calling process.
pub const RUSAGE_SELF: i32 = 0;
/// `getrusage`: its terminated and waited-for children.
pub const RUSAGE_CHILDREN: i32 = -1;
/// `getrusage`: the calling thread.
pub const RUSAGE_THREAD: i32 = 1;

/// A soft and a hard limit (`struct rlimit`, 64-bit as `prlimit64` uses it).
#[doc(alias = "rlimit", alias = "rlimit64")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rlimit {
    /// The limit enforced.
    pub rlim_cur: u64,
    /// The ceiling an unprivileged process may raise `rlim_cur` to.
    pub rlim_max: u64,
}

/// Resource usage (`struct rusage`); Linux fills only some of the fields.
#[doc(alias = "rusage")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rusage {
    /// User CPU time.
    pub ru_utime: Timeval,
    /// System CPU time.
    pub ru_stime: Timeval,
    /// Largest resident set, in kilobytes.
    pub ru_maxrss: i64,
    /// Integral shared memory size (unused).
    pub ru_ixrss: i64,
    /// Integral unshared data size (unused).
    pub ru_idrss: i64,
    /// Integral unshared stack size (unused).
    pub ru_isrss: i64,
    /// Page faults served without I/O.
    pub ru_minflt: i64,
    /// Page faults that needed I/O.
    pub ru_majflt: i64,
    /// Swaps (unused).
    pub ru_nswap: i64,
    /// Block input operations.
    pub ru_inblock: i64,
    /// Block output operations.
    pub ru_oublock: i64,
    /// IPC messages sent (unused).
    pub ru_msgsnd: i64,
    /// IPC messages received (unused).
    pub ru_msgrcv: i64,
    /// Signals received (unused).
    pub ru_nsignals: i64,
    /// Voluntary context switches.
    pub ru_nvcsw: i64,
    /// Involuntary context switches.
    pub ru_nivcsw: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let limits = check_constants!(
            RLIMIT_CPU,
            RLIMIT_FSIZE,
            RLIMIT_DATA,
            RLIMIT_STACK,
            RLIMIT_CORE,
            RLIMIT_RSS,
            RLIMIT_NPROC,
            RLIMIT_NOFILE,
            RLIMIT_MEMLOCK,
            RLIMIT_AS,
            RLIMIT_LOCKS,
            RLIMIT_SIGPENDING,
            RLIMIT_MSGQUEUE,
            RLIMIT_NICE,
            RLIMIT_RTPRIO,
            RLIMIT_RTTIME,
            RLIM_INFINITY,
            // uapi asm-generic/resource.h
            RLIM_NLIMITS = 16,
        );
        let usage = check_constants!(RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD);
        assert_every_constant_checked(include_str!("resource.rs"), &[limits, usage]);
    }

    #[test]
    fn layouts_match_libc() {
        check_layout!(Rlimit, libc::rlimit, { rlim_cur, rlim_max });
        check_layout!(Rusage, libc::rusage, {
            ru_utime, ru_stime, ru_maxrss, ru_ixrss, ru_idrss, ru_isrss, ru_minflt, ru_majflt,
            ru_nswap, ru_inblock, ru_oublock, ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw,
            ru_nivcsw,
        });
    }
}
