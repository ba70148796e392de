//! `signalfd4`: its flags and the record a read returns (`struct signalfd_siginfo`).

/// `signalfd4`: close on `execve`.
pub const SFD_CLOEXEC: i32 = crate::fcntl::O_CLOEXEC;
/// `signalfd4`: non-blocking reads.
pub const SFD_NONBLOCK: i32 = crate::fcntl::O_NONBLOCK;

/// One pending signal as a read of a signalfd returns it (128 bytes).
#[doc(alias = "signalfd_siginfo")]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalfdSiginfo {
    /// The signal number.
    pub ssi_signo: u32,
    /// An error number (usually 0).
    pub ssi_errno: i32,
    /// `si_code`.
    pub ssi_code: i32,
    /// The sender's pid (`kill`, `sigqueue`, `SIGCHLD`).
    pub ssi_pid: u32,
    /// The sender's real uid.
    pub ssi_uid: u32,
    /// The descriptor (`SIGIO`).
    pub ssi_fd: i32,
    /// The kernel timer id (POSIX timers).
    pub ssi_tid: u32,
    /// The band event (`SIGIO`).
    pub ssi_band: u32,
    /// The timer overrun count.
    pub ssi_overrun: u32,
    /// The trap number of a hardware signal.
    pub ssi_trapno: u32,
    /// `SIGCHLD`: the exit code or signal.
    pub ssi_status: i32,
    /// `sigqueue`'s `sival_int`.
    pub ssi_int: i32,
    /// `sigqueue`'s `sival_ptr`.
    pub ssi_ptr: u64,
    /// `SIGCHLD`: user CPU time.
    pub ssi_utime: u64,
    /// `SIGCHLD`: system CPU time.
    pub ssi_stime: u64,
    /// A fault's address.
    pub ssi_addr: u64,
    /// The least significant bit of the address (`BUS_MCEERR_*`).
    pub ssi_addr_lsb: u16,
    /// Padding.
    pub padding_after_lsb: u16,
    /// `SIGSYS`: the system call number.
    pub ssi_syscall: i32,
    /// `SIGSYS`: the call's address.
    pub ssi_call_addr: u64,
    /// `SIGSYS`: the audit architecture.
    pub ssi_arch: u32,
    /// Padding to 128 bytes.
    pub padding: [u8; 28],
}

impl SignalfdSiginfo {
    /// The record of a `siginfo_t`, as Linux's `signalfd_copyinfo` fills it.
    #[must_use]
    pub fn from_siginfo(info: &crate::siginfo::Siginfo) -> Self {
        use crate::siginfo::{SI_TKILL, SI_USER};
        use crate::signal::{SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGSEGV, SIGTRAP};
        let mut record = SignalfdSiginfo {
            ssi_signo: info.si_signo as u32,
            ssi_errno: info.si_errno,
            ssi_code: info.si_code,
            ..Default::default()
        };
        let signal = info.si_signo;
        let code = info.si_code;
        if matches!(signal, SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP) && code > 0 {
            record.ssi_addr = info.si_addr() as u64;
        } else if signal == SIGCHLD && code > 0 {
            record.ssi_pid = info.si_pid() as u32;
            record.ssi_uid = info.si_uid();
            record.ssi_status = info.si_status();
            record.ssi_utime = info.si_utime() as u64;
            record.ssi_stime = info.si_stime() as u64;
        } else if code == SI_USER || code == SI_TKILL {
            record.ssi_pid = info.si_pid() as u32;
            record.ssi_uid = info.si_uid();
        } else if code < 0 {
            // SI_QUEUE, SI_MESGQ and every other code a process may send: pid, uid and value.
            record.ssi_pid = info.si_pid() as u32;
            record.ssi_uid = info.si_uid();
            record.ssi_int = info.si_value() as u32 as i32;
            record.ssi_ptr = info.si_value();
        }
        record
    }

    /// The record's 128 bytes, as `read` copies them out.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 128] {
        let mut bytes = [0u8; 128];
        let mut at = 0;
        let mut put = |field: &[u8]| {
            bytes[at..at + field.len()].copy_from_slice(field);
            at += field.len();
        };
        put(&self.ssi_signo.to_ne_bytes());
        put(&self.ssi_errno.to_ne_bytes());
        put(&self.ssi_code.to_ne_bytes());
        put(&self.ssi_pid.to_ne_bytes());
        put(&self.ssi_uid.to_ne_bytes());
        put(&self.ssi_fd.to_ne_bytes());
        put(&self.ssi_tid.to_ne_bytes());
        put(&self.ssi_band.to_ne_bytes());
        put(&self.ssi_overrun.to_ne_bytes());
        put(&self.ssi_trapno.to_ne_bytes());
        put(&self.ssi_status.to_ne_bytes());
        put(&self.ssi_int.to_ne_bytes());
        put(&self.ssi_ptr.to_ne_bytes());
        put(&self.ssi_utime.to_ne_bytes());
        put(&self.ssi_stime.to_ne_bytes());
        put(&self.ssi_addr.to_ne_bytes());
        put(&self.ssi_addr_lsb.to_ne_bytes());
        put(&self.padding_after_lsb.to_ne_bytes());
        put(&self.ssi_syscall.to_ne_bytes());
        put(&self.ssi_call_addr.to_ne_bytes());
        put(&self.ssi_arch.to_ne_bytes());
        put(&self.padding);
        bytes
    }

    /// A record read back from its 128 bytes.
    #[must_use]
    pub fn from_bytes(bytes: &[u8; 128]) -> Self {
        let u32_at = |at: usize| {
            u32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let u64_at = |at: usize| u64::from(u32_at(at)) | (u64::from(u32_at(at + 4)) << 32);
        let mut padding = [0u8; 28];
        padding.copy_from_slice(&bytes[100..128]);
        SignalfdSiginfo {
            ssi_signo: u32_at(0),
            ssi_errno: u32_at(4) as i32,
            ssi_code: u32_at(8) as i32,
            ssi_pid: u32_at(12),
            ssi_uid: u32_at(16),
            ssi_fd: u32_at(20) as i32,
            ssi_tid: u32_at(24),
            ssi_band: u32_at(28),
            ssi_overrun: u32_at(32),
            ssi_trapno: u32_at(36),
            ssi_status: u32_at(40) as i32,
            ssi_int: u32_at(44) as i32,
            ssi_ptr: u64_at(48),
            ssi_utime: u64_at(56),
            ssi_stime: u64_at(64),
            ssi_addr: u64_at(72),
            ssi_addr_lsb: u16::from_ne_bytes([bytes[80], bytes[81]]),
            padding_after_lsb: u16::from_ne_bytes([bytes[82], bytes[83]]),
            ssi_syscall: u32_at(84) as i32,
            ssi_call_addr: u64_at(88),
            ssi_arch: u32_at(96),
            padding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants, check_layout};

    #[test]
    fn constants_match_libc() {
        let checked = check_constants!(SFD_CLOEXEC, SFD_NONBLOCK);
        assert_every_constant_checked(include_str!("signalfd.rs"), &[checked]);
    }

    #[test]
    fn layout_matches_libc() {
        check_layout!(SignalfdSiginfo, libc::signalfd_siginfo, {
            ssi_signo,
            ssi_errno,
            ssi_code,
            ssi_pid,
            ssi_uid,
            ssi_fd,
            ssi_tid,
            ssi_band,
            ssi_overrun,
            ssi_trapno,
            ssi_status,
            ssi_int,
            ssi_ptr,
            ssi_utime,
            ssi_stime,
            ssi_addr,
            ssi_addr_lsb,
            padding_after_lsb = _,
            ssi_syscall,
            ssi_call_addr,
            ssi_arch,
            padding = _,
        });
        assert_eq!(core::mem::size_of::<SignalfdSiginfo>(), 128);
    }

    #[test]
    fn bytes_round_trip() {
        let info = crate::siginfo::Siginfo::queued(
            40,
            crate::siginfo::SI_QUEUE,
            7,
            1000,
            0xdead_beef_0000_0042,
        );
        let record = SignalfdSiginfo::from_siginfo(&info);
        assert_eq!(
            (
                record.ssi_pid,
                record.ssi_uid,
                record.ssi_int,
                record.ssi_ptr
            ),
            (7, 1000, 0x42, 0xdead_beef_0000_0042)
        );
        assert_eq!(SignalfdSiginfo::from_bytes(&record.to_bytes()), record);
        assert_eq!(
            record.to_bytes()[48..56],
            0xdead_beef_0000_0042u64.to_ne_bytes()
        );
    }
}
