//! Signals and child status against the host kernel: `rt_sigaction`, masks, `siginfo_t` and `wait` statuses.

mod common;

use common::{address_of, mutable_address_of, system_call};
use libposix_sys::errno::Errno;
use libposix_sys::siginfo::{CLD_EXITED, SI_QUEUE, SI_USER, Siginfo};
use libposix_sys::signal::*;
use libposix_sys::syscall_numbers::SystemCall;
use libposix_sys::time::Timespec;
use libposix_sys::wait::{P_PID, WCONTINUED, WEXITED, WUNTRACED, WaitStatus};
use std::process::Command;

/// A real-time signal neither glibc nor the test harness uses.
const SPARE_SIGNAL: i32 = SIGRTMIN + 10;

fn sigaction(signal: i32, new: Option<&KernelSigaction>) -> Result<KernelSigaction, Errno> {
    let mut old = KernelSigaction::default();
    let new_address = new.map_or(0, address_of);
    // SAFETY: both pointers are null or point to a kernel `struct sigaction`.
    unsafe {
        system_call(
            SystemCall::RtSigaction,
            &[
                signal as u64,
                new_address,
                mutable_address_of(&mut old),
                KERNEL_SIGSET_SIZE as u64,
            ],
        )
    }
    .map(|_| old)
}

fn sigprocmask(how: i32, set: Option<SignalSet>) -> Result<SignalSet, Errno> {
    let mut old = SignalSet::EMPTY;
    let set_address = set.as_ref().map_or(0, address_of);
    // SAFETY: both pointers are null or point to an 8-byte kernel signal set.
    unsafe {
        system_call(
            SystemCall::RtSigprocmask,
            &[
                how as u64,
                set_address,
                mutable_address_of(&mut old),
                KERNEL_SIGSET_SIZE as u64,
            ],
        )
    }
    .map(|_| old)
}

#[test]
fn rt_sigaction_reads_and_writes_the_kernel_layout() {
    let mask = SignalSet::EMPTY.with(SIGUSR1).with(SIGRTMAX);
    let action = KernelSigaction {
        sa_handler: SIG_IGN,
        sa_flags: SA_RESTART | SA_NOCLDSTOP,
        sa_restorer: 0,
        sa_mask: mask,
    };
    let original = sigaction(SPARE_SIGNAL, Some(&action)).expect("install");

    // The C library's view of the same action.
    // SAFETY: an all-zero `sigaction` is valid for the C library to overwrite.
    let mut seen: libc::sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: querying only; `seen` is writable.
    let result = unsafe { libc::sigaction(SPARE_SIGNAL, core::ptr::null(), &mut seen) };
    assert_eq!(result, 0);
    assert_eq!(seen.sa_sigaction, SIG_IGN);
    assert_eq!(
        seen.sa_flags as u32 as u64 & (SA_RESTART | SA_NOCLDSTOP),
        SA_RESTART | SA_NOCLDSTOP
    );
    for signal in 1..=SIGRTMAX {
        // SAFETY: `seen.sa_mask` is an initialised `sigset_t`.
        let member = unsafe { libc::sigismember(&seen.sa_mask, signal) } == 1;
        assert_eq!(member, mask.contains(signal), "signal {signal} in the mask");
    }

    let read_back = sigaction(SPARE_SIGNAL, None).expect("query");
    assert_eq!(read_back.sa_handler, SIG_IGN);
    assert_eq!(read_back.sa_mask, mask);
    sigaction(SPARE_SIGNAL, Some(&original)).expect("restore");

    assert!(sigaction(SIGRTMAX, None).is_ok(), "signal 64 exists");
    assert_eq!(sigaction(SIGRTMAX + 1, None), Err(Errno::EINVAL));
    assert_eq!(sigaction(0, None), Err(Errno::EINVAL));
    assert_eq!(sigaction(SIGKILL, Some(&action)), Err(Errno::EINVAL));
}

#[test]
fn rt_sigprocmask_uses_the_64_bit_set() {
    let original = sigprocmask(SIG_BLOCK, None).expect("query");
    let spare = SignalSet::EMPTY.with(SIGRTMAX - 1);
    sigprocmask(SIG_BLOCK, Some(spare)).expect("block");
    // SAFETY: an empty `sigset_t` is valid for the C library to overwrite.
    let mut seen: libc::sigset_t = unsafe { core::mem::zeroed() };
    // SAFETY: querying only; `seen` is writable.
    let result = unsafe { libc::pthread_sigmask(SIG_BLOCK, core::ptr::null(), &mut seen) };
    assert_eq!(result, 0);
    // SAFETY: `seen` is initialised.
    assert_eq!(unsafe { libc::sigismember(&seen, SIGRTMAX - 1) }, 1);

    let before_full = sigprocmask(SIG_SETMASK, Some(SignalSet::FULL)).expect("block all");
    let blocked = sigprocmask(SIG_SETMASK, Some(before_full)).expect("restore");
    assert_eq!(blocked, SignalSet::FULL.difference(SignalSet::UNBLOCKABLE));

    sigprocmask(SIG_SETMASK, Some(original)).expect("restore the original mask");
    assert_eq!(sigprocmask(3, Some(SignalSet::EMPTY)), Err(Errno::EINVAL));
}

#[test]
fn queued_siginfo_travels_through_the_kernel_unchanged() {
    let signal = SPARE_SIGNAL + 1;
    let blocked = SignalSet::EMPTY.with(signal);
    let original = sigprocmask(SIG_BLOCK, Some(blocked)).expect("block");
    let process = std::process::id() as i32;
    // SAFETY: gettid takes no arguments.
    let thread = unsafe { system_call(SystemCall::Gettid, &[]) }.expect("gettid") as i32;
    // SAFETY: getuid takes no arguments.
    let user = unsafe { system_call(SystemCall::Getuid, &[]) }.expect("getuid") as u32;
    let sent = Siginfo::queued(signal, SI_QUEUE, process, user, 0x0123_4567_89ab_cdef);
    // SAFETY: `sent` is a 128-byte `siginfo_t`; the signal is blocked on this thread,
    // so it stays pending until collected below.
    let result = unsafe {
        system_call(
            SystemCall::RtTgsigqueueinfo,
            &[
                process as u64,
                thread as u64,
                signal as u64,
                address_of(&sent),
            ],
        )
    };
    assert_eq!(result, Ok(0));

    let mut received = Siginfo::default();
    let no_wait = Timespec::default();
    // SAFETY: the set, the `siginfo_t` and the timeout are valid for the call.
    let collected = unsafe {
        system_call(
            SystemCall::RtSigtimedwait,
            &[
                address_of(&blocked),
                mutable_address_of(&mut received),
                address_of(&no_wait),
                KERNEL_SIGSET_SIZE as u64,
            ],
        )
    };
    sigprocmask(SIG_SETMASK, Some(original)).expect("restore the mask");
    assert_eq!(collected, Ok(signal as u64));
    assert_eq!(received, sent);
    assert_eq!(received.si_value(), 0x0123_4567_89ab_cdef);
}

#[test]
#[allow(
    clippy::zombie_processes,
    reason = "the raw waitid under test reaps the child"
)]
fn waitid_fills_siginfo_for_an_exited_child() {
    let child = Command::new("sh")
        .args(["-c", "exit 3"])
        .spawn()
        .expect("spawn sh");
    let mut info = Siginfo::default();
    // SAFETY: `info` is a writable `siginfo_t`; the rusage pointer is null.
    let result = unsafe {
        system_call(
            SystemCall::Waitid,
            &[
                P_PID as u64,
                u64::from(child.id()),
                mutable_address_of(&mut info),
                WEXITED as u64,
                0,
            ],
        )
    };
    assert_eq!(result, Ok(0));
    assert_eq!(info.si_signo, SIGCHLD);
    assert_eq!(info.si_code, CLD_EXITED);
    assert_eq!(info.si_pid(), child.id() as i32);
    assert_eq!(info.si_status(), 3);
    // SAFETY: getuid takes no arguments.
    let user = unsafe { system_call(SystemCall::Getuid, &[]) }.expect("getuid") as u32;
    assert_eq!(info.si_uid(), user);

    // The C library reads the same bytes the same way.
    // SAFETY: both types are the 128-byte `siginfo_t`; every bit pattern is valid for it.
    let theirs: libc::siginfo_t = unsafe { core::mem::transmute(info) };
    // SAFETY: this is a SIGCHLD record, for which these accessors are meaningful.
    unsafe {
        assert_eq!(theirs.si_pid(), info.si_pid());
        assert_eq!(theirs.si_uid(), info.si_uid());
        assert_eq!(theirs.si_status(), info.si_status());
        assert_eq!(theirs.si_utime(), info.si_utime());
        assert_eq!(theirs.si_stime(), info.si_stime());
    }
}

#[test]
fn siginfo_accessors_agree_with_libc() {
    let child = Siginfo::child(CLD_EXITED, 1234, 1000, 7, 11, 13);
    // SAFETY: both types are the 128-byte `siginfo_t`; every bit pattern is valid for it.
    let theirs: libc::siginfo_t = unsafe { core::mem::transmute(child) };
    // SAFETY: a SIGCHLD record.
    unsafe {
        assert_eq!(theirs.si_pid(), 1234);
        assert_eq!(theirs.si_uid(), 1000);
        assert_eq!(theirs.si_status(), 7);
        assert_eq!(theirs.si_utime(), 11);
        assert_eq!(theirs.si_stime(), 13);
    }
    let fault = Siginfo::fault(SIGSEGV, 1, 0x7fff_dead_b000);
    // SAFETY: as above.
    let theirs: libc::siginfo_t = unsafe { core::mem::transmute(fault) };
    // SAFETY: a fault record.
    assert_eq!(unsafe { theirs.si_addr() } as usize, 0x7fff_dead_b000);
    let queued = Siginfo::queued(SIGUSR1, SI_QUEUE, 1, 2, 0xfeed_f00d);
    // SAFETY: as above.
    let theirs: libc::siginfo_t = unsafe { core::mem::transmute(queued) };
    // SAFETY: a queued record.
    assert_eq!(unsafe { theirs.si_value() }.sival_ptr as u64, 0xfeed_f00d);
    assert_eq!(theirs.si_code, SI_QUEUE);
    let sent = Siginfo::sent(SIGTERM, SI_USER, 99, 5);
    assert_eq!(
        sent.to_bytes()[..],
        Siginfo::from_bytes(&sent.to_bytes()).to_bytes()[..]
    );
}

fn wait4(pid: u32, options: i32) -> WaitStatus {
    let mut status = 0_i32;
    // SAFETY: `status` is a writable int; the rusage pointer is null.
    let result = unsafe {
        system_call(
            SystemCall::Wait4,
            &[
                u64::from(pid),
                mutable_address_of(&mut status),
                options as u64,
                0,
            ],
        )
    };
    assert_eq!(result, Ok(u64::from(pid)));
    assert_eq!(
        libc::WIFEXITED(status),
        libposix_sys::wait::WIFEXITED(status)
    );
    WaitStatus::decode(status).expect("a well-formed status")
}

fn kill(pid: u32, signal: i32) {
    // SAFETY: kill takes no pointer; `pid` is a child of this process.
    let result = unsafe { system_call(SystemCall::Kill, &[u64::from(pid), signal as u64]) };
    assert_eq!(result, Ok(0));
}

#[test]
#[allow(
    clippy::zombie_processes,
    reason = "the raw wait4 under test reaps the children"
)]
fn wait4_statuses_decode_as_linux_encodes_them() {
    let exited = Command::new("sh")
        .args(["-c", "exit 7"])
        .spawn()
        .expect("spawn sh");
    assert_eq!(wait4(exited.id(), 0), WaitStatus::Exited(7));

    let sleeper = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let pid = sleeper.id();
    kill(pid, SIGSTOP);
    assert_eq!(wait4(pid, WUNTRACED), WaitStatus::Stopped(SIGSTOP));
    kill(pid, SIGCONT);
    assert_eq!(wait4(pid, WCONTINUED), WaitStatus::Continued);
    kill(pid, SIGKILL);
    assert_eq!(
        wait4(pid, 0),
        WaitStatus::Signaled {
            signal: SIGKILL,
            core_dumped: false
        }
    );
}
