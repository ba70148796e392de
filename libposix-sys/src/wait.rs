//! `wait` options (`WNOHANG`, …), `waitid` ID types and the encoding of the `wait` status word.
//!
//! The status word `wait4` stores is, in its low 16 bits: `code << 8` for an
//! exit, the signal number (plus `WCOREFLAG` if core was dumped) for a death by
//! signal, `signal << 8 | 0x7f` for a stop (with a ptrace event in bits 16..),
//! and `0xffff` for a continue. The functions keep the C macro names.
#![allow(non_snake_case)]

use crate::siginfo::{CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED};
use crate::signal::SIGCONT;

/// Return at once if no child has changed state.
pub const WNOHANG: i32 = 0x0000_0001;
/// Also report stopped children (`wait4`).
pub const WUNTRACED: i32 = 0x0000_0002;
/// `waitid`: report stopped children.
pub const WSTOPPED: i32 = WUNTRACED;
/// `waitid`: report terminated children.
pub const WEXITED: i32 = 0x0000_0004;
/// Report children continued by `SIGCONT`.
pub const WCONTINUED: i32 = 0x0000_0008;
/// `waitid`: leave the child waitable.
pub const WNOWAIT: i32 = 0x0100_0000;
/// Do not wait for children of other threads in the group.
pub const __WNOTHREAD: i32 = 0x2000_0000;
/// Wait for all children, whatever their exit signal.
pub const __WALL: i32 = 0x4000_0000;
/// Wait only for "clone" children (exit signal other than `SIGCHLD`).
pub const __WCLONE: i32 = i32::MIN;

/// `waitid`: any child.
pub const P_ALL: i32 = 0;
/// `waitid`: the child with this process ID.
pub const P_PID: i32 = 1;
/// `waitid`: any child in this process group.
pub const P_PGID: i32 = 2;
/// `waitid`: the child this pidfd refers to.
pub const P_PIDFD: i32 = 3;

/// The bit set in the status of a death by signal that dumped core.
pub const WCOREFLAG: i32 = 0x80;
/// The status of a child continued by `SIGCONT`.
pub const W_CONTINUED: i32 = 0xffff;
/// The low byte of the status of a stopped child.
pub const W_STOPPED: i32 = 0x7f;

/// The status of a child that exited with `exit_code` (`signal` 0) or was killed by `signal`.
pub const fn W_EXITCODE(exit_code: i32, signal: i32) -> i32 {
    ((exit_code & 0xff) << 8) | signal
}

/// The status of a child stopped by `signal`.
pub const fn W_STOPCODE(signal: i32) -> i32 {
    (signal << 8) | W_STOPPED
}

/// Whether the child exited normally.
pub const fn WIFEXITED(status: i32) -> bool {
    WTERMSIG(status) == 0
}

/// The exit code of a child that exited normally.
pub const fn WEXITSTATUS(status: i32) -> i32 {
    (status >> 8) & 0xff
}

/// Whether the child was killed by a signal.
pub const fn WIFSIGNALED(status: i32) -> bool {
    let signal = WTERMSIG(status);
    signal != 0 && signal != W_STOPPED
}

/// The signal that killed the child.
pub const fn WTERMSIG(status: i32) -> i32 {
    status & 0x7f
}

/// Whether the child that was killed by a signal dumped core.
pub const fn WCOREDUMP(status: i32) -> bool {
    status & WCOREFLAG != 0
}

/// Whether the child is stopped.
pub const fn WIFSTOPPED(status: i32) -> bool {
    status & 0xff == W_STOPPED
}

/// The signal that stopped the child.
pub const fn WSTOPSIG(status: i32) -> i32 {
    WEXITSTATUS(status)
}

/// Whether the child was continued by `SIGCONT`.
pub const fn WIFCONTINUED(status: i32) -> bool {
    status == W_CONTINUED
}

/// A child's change of state, the typed form of the status word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitStatus {
    /// The child called `exit` with this code (only the low 8 bits survive).
    Exited(i32),
    /// The child was killed by a signal.
    Signaled {
        /// The signal number.
        signal: i32,
        /// Whether a core dump was written.
        core_dumped: bool,
    },
    /// The child was stopped by a signal.
    Stopped(i32),
    /// The child was continued by `SIGCONT`.
    Continued,
}

impl WaitStatus {
    /// The status word `wait4` stores for this change of state.
    pub const fn encode(self) -> i32 {
        match self {
            WaitStatus::Exited(code) => W_EXITCODE(code, 0),
            WaitStatus::Signaled {
                signal,
                core_dumped,
            } => W_EXITCODE(0, signal) | if core_dumped { WCOREFLAG } else { 0 },
            WaitStatus::Stopped(signal) => W_STOPCODE(signal),
            WaitStatus::Continued => W_CONTINUED,
        }
    }

    /// The change of state a status word describes, if it is a well-formed one.
    pub const fn decode(status: i32) -> Option<Self> {
        if WIFEXITED(status) {
            Some(WaitStatus::Exited(WEXITSTATUS(status)))
        } else if WIFCONTINUED(status) {
            Some(WaitStatus::Continued)
        } else if WIFSTOPPED(status) {
            Some(WaitStatus::Stopped(WSTOPSIG(status)))
        } else if WIFSIGNALED(status) {
            Some(WaitStatus::Signaled {
                signal: WTERMSIG(status),
                core_dumped: WCOREDUMP(status),
            })
        } else {
            None
        }
    }

    /// The `si_code` and `si_status` that `waitid` and `SIGCHLD` report for this change.
    pub const fn child_code_and_status(self) -> (i32, i32) {
        match self {
            WaitStatus::Exited(code) => (CLD_EXITED, code & 0xff),
            WaitStatus::Signaled {
                signal,
                core_dumped: false,
            } => (CLD_KILLED, signal),
            WaitStatus::Signaled {
                signal,
                core_dumped: true,
            } => (CLD_DUMPED, signal),
            WaitStatus::Stopped(signal) => (CLD_STOPPED, signal),
            WaitStatus::Continued => (CLD_CONTINUED, SIGCONT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let options = check_constants!(
            WNOHANG,
            WUNTRACED,
            WSTOPPED,
            WEXITED,
            WCONTINUED,
            WNOWAIT,
            __WNOTHREAD,
            __WALL,
            __WCLONE,
            P_ALL,
            P_PID,
            P_PGID,
            P_PIDFD,
        );
        let status = check_constants!(
            // glibc bits/waitstatus.h: __WCOREFLAG, __W_CONTINUED and the stop byte
            WCOREFLAG = 0x80,
            W_CONTINUED = 0xffff,
            W_STOPPED = 0x7f,
        );
        assert_every_constant_checked(include_str!("wait.rs"), &[options, status]);
    }

    /// Our decoders and libc's agree on every 16-bit status word, plus ptrace-event stops.
    #[test]
    fn decoders_match_libc_on_every_status() {
        let ptrace_stops = (1..=8).map(|event| (event << 16) | W_STOPCODE(5));
        for status in (0..=0xffff).chain(ptrace_stops) {
            assert_eq!(WIFEXITED(status), libc::WIFEXITED(status), "{status:#x}");
            assert_eq!(
                WIFSIGNALED(status),
                libc::WIFSIGNALED(status),
                "{status:#x}"
            );
            assert_eq!(WIFSTOPPED(status), libc::WIFSTOPPED(status), "{status:#x}");
            assert_eq!(
                WIFCONTINUED(status),
                libc::WIFCONTINUED(status),
                "{status:#x}"
            );
            assert_eq!(WCOREDUMP(status), libc::WCOREDUMP(status), "{status:#x}");
            if WIFEXITED(status) {
                assert_eq!(WEXITSTATUS(status), libc::WEXITSTATUS(status));
            }
            if WIFSIGNALED(status) {
                assert_eq!(WTERMSIG(status), libc::WTERMSIG(status));
            }
            if WIFSTOPPED(status) {
                assert_eq!(WSTOPSIG(status), libc::WSTOPSIG(status));
            }
        }
    }

    #[test]
    fn constructors_match_libc() {
        for code in 0..=255 {
            assert_eq!(W_EXITCODE(code, 0), libc::W_EXITCODE(code, 0));
        }
        for signal in 1..=64 {
            assert_eq!(W_EXITCODE(0, signal), libc::W_EXITCODE(0, signal));
            assert_eq!(W_STOPCODE(signal), libc::W_STOPCODE(signal));
        }
    }

    #[test]
    fn typed_status_round_trips() {
        let cases = [
            WaitStatus::Exited(0),
            WaitStatus::Exited(255),
            WaitStatus::Signaled {
                signal: 9,
                core_dumped: false,
            },
            WaitStatus::Signaled {
                signal: 11,
                core_dumped: true,
            },
            WaitStatus::Stopped(19),
            WaitStatus::Continued,
        ];
        for case in cases {
            assert_eq!(WaitStatus::decode(case.encode()), Some(case));
        }
        assert_eq!(WaitStatus::Exited(256 + 3).encode(), W_EXITCODE(3, 0));
        assert_eq!(
            WaitStatus::Exited(3).child_code_and_status(),
            (CLD_EXITED, 3)
        );
        let dumped = WaitStatus::Signaled {
            signal: 6,
            core_dumped: true,
        };
        assert_eq!(dumped.child_code_and_status(), (CLD_DUMPED, 6));
        assert_eq!(
            WaitStatus::Continued.child_code_and_status(),
            (CLD_CONTINUED, SIGCONT)
        );
        assert_eq!(WaitStatus::decode(0xff), None);
    }
}
