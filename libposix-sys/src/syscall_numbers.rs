//! The x86_64 Linux system call numbers (`arch/x86/entry/syscalls/syscall_64.tbl`), with their names.
//!
//! The table runs from 0 `read` to 334 `rseq` and 335/336 `uretprobe`/`uprobe`,
//! then from 424 `pidfd_send_signal` (numbers 387..=423 are left unused so that
//! every architecture shares the new ones) to 471 `rseq_slice_yield` (Linux 7.0).
//! Numbers 512..=547 belong to the x32 ABI and are not x86_64 calls. Entries the
//! kernel keeps only as reserved slots (`create_module`, `tuxcall`, `vserver`, …)
//! are listed because a binary may still issue them and must get `ENOSYS` under
//! the right name.

macro_rules! system_call_table {
    ($($variant:ident = $number:literal, $name:literal;)*) => {
        /// An x86_64 Linux system call; the discriminant is the number passed in `rax`.
        #[repr(u32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SystemCall {
            $(
                #[doc = concat!("`", $name, "` (", stringify!($number), ")")]
                $variant = $number,
            )*
        }

        impl SystemCall {
            /// Every system call, in increasing order of number.
            pub const ALL: &'static [SystemCall] = &[$(SystemCall::$variant),*];

            /// The system call with this number (the full `rax` value), if x86_64 Linux has one.
            pub const fn from_number(number: u64) -> Option<Self> {
                match number {
                    $($number => Some(SystemCall::$variant),)*
                    _ => None,
                }
            }

            /// The kernel's name for the call, such as `"rt_sigaction"`.
            pub const fn name(self) -> &'static str {
                match self {
                    $(SystemCall::$variant => $name,)*
                }
            }
        }
    };
}

system_call_table! {
    Read = 0, "read";
    Write = 1, "write";
    Open = 2, "open";
    Close = 3, "close";
    Stat = 4, "stat";
    Fstat = 5, "fstat";
    Lstat = 6, "lstat";
    Poll = 7, "poll";
    Lseek = 8, "lseek";
    Mmap = 9, "mmap";
    Mprotect = 10, "mprotect";
    Munmap = 11, "munmap";
    Brk = 12, "brk";
    RtSigaction = 13, "rt_sigaction";
    RtSigprocmask = 14, "rt_sigprocmask";
    RtSigreturn = 15, "rt_sigreturn";
    Ioctl = 16, "ioctl";
    Pread64 = 17, "pread64";
    Pwrite64 = 18, "pwrite64";
    Readv = 19, "readv";
    Writev = 20, "writev";
    Access = 21, "access";
    Pipe = 22, "pipe";
    Select = 23, "select";
    SchedYield = 24, "sched_yield";
    Mremap = 25, "mremap";
    Msync = 26, "msync";
    Mincore = 27, "mincore";
    Madvise = 28, "madvise";
    Shmget = 29, "shmget";
    Shmat = 30, "shmat";
    Shmctl = 31, "shmctl";
    Dup = 32, "dup";
    Dup2 = 33, "dup2";
    Pause = 34, "pause";
    Nanosleep = 35, "nanosleep";
    Getitimer = 36, "getitimer";
    Alarm = 37, "alarm";
    Setitimer = 38, "setitimer";
    Getpid = 39, "getpid";
    Sendfile = 40, "sendfile";
    Socket = 41, "socket";
    Connect = 42, "connect";
    Accept = 43, "accept";
    Sendto = 44, "sendto";
    Recvfrom = 45, "recvfrom";
    Sendmsg = 46, "sendmsg";
    Recvmsg = 47, "recvmsg";
    Shutdown = 48, "shutdown";
    Bind = 49, "bind";
    Listen = 50, "listen";
    Getsockname = 51, "getsockname";
    Getpeername = 52, "getpeername";
    Socketpair = 53, "socketpair";
    Setsockopt = 54, "setsockopt";
    Getsockopt = 55, "getsockopt";
    Clone = 56, "clone";
    Fork = 57, "fork";
    Vfork = 58, "vfork";
    Execve = 59, "execve";
    Exit = 60, "exit";
    Wait4 = 61, "wait4";
    Kill = 62, "kill";
    Uname = 63, "uname";
    Semget = 64, "semget";
    Semop = 65, "semop";
    Semctl = 66, "semctl";
    Shmdt = 67, "shmdt";
    Msgget = 68, "msgget";
    Msgsnd = 69, "msgsnd";
    Msgrcv = 70, "msgrcv";
    Msgctl = 71, "msgctl";
    Fcntl = 72, "fcntl";
    Flock = 73, "flock";
    Fsync = 74, "fsync";
    Fdatasync = 75, "fdatasync";
    Truncate = 76, "truncate";
    Ftruncate = 77, "ftruncate";
    Getdents = 78, "getdents";
    Getcwd = 79, "getcwd";
    Chdir = 80, "chdir";
    Fchdir = 81, "fchdir";
    Rename = 82, "rename";
    Mkdir = 83, "mkdir";
    Rmdir = 84, "rmdir";
    Creat = 85, "creat";
    Link = 86, "link";
    Unlink = 87, "unlink";
    Symlink = 88, "symlink";
    Readlink = 89, "readlink";
    Chmod = 90, "chmod";
    Fchmod = 91, "fchmod";
    Chown = 92, "chown";
    Fchown = 93, "fchown";
    Lchown = 94, "lchown";
    Umask = 95, "umask";
    Gettimeofday = 96, "gettimeofday";
    Getrlimit = 97, "getrlimit";
    Getrusage = 98, "getrusage";
    Sysinfo = 99, "sysinfo";
    Times = 100, "times";
    Ptrace = 101, "ptrace";
    Getuid = 102, "getuid";
    Syslog = 103, "syslog";
    Getgid = 104, "getgid";
    Setuid = 105, "setuid";
    Setgid = 106, "setgid";
    Geteuid = 107, "geteuid";
    Getegid = 108, "getegid";
    Setpgid = 109, "setpgid";
    Getppid = 110, "getppid";
    Getpgrp = 111, "getpgrp";
    Setsid = 112, "setsid";
    Setreuid = 113, "setreuid";
    Setregid = 114, "setregid";
    Getgroups = 115, "getgroups";
    Setgroups = 116, "setgroups";
    Setresuid = 117, "setresuid";
    Getresuid = 118, "getresuid";
    Setresgid = 119, "setresgid";
    Getresgid = 120, "getresgid";
    Getpgid = 121, "getpgid";
    Setfsuid = 122, "setfsuid";
    Setfsgid = 123, "setfsgid";
    Getsid = 124, "getsid";
    Capget = 125, "capget";
    Capset = 126, "capset";
    RtSigpending = 127, "rt_sigpending";
    RtSigtimedwait = 128, "rt_sigtimedwait";
    RtSigqueueinfo = 129, "rt_sigqueueinfo";
    RtSigsuspend = 130, "rt_sigsuspend";
    Sigaltstack = 131, "sigaltstack";
    Utime = 132, "utime";
    Mknod = 133, "mknod";
    Uselib = 134, "uselib";
    Personality = 135, "personality";
    Ustat = 136, "ustat";
    Statfs = 137, "statfs";
    Fstatfs = 138, "fstatfs";
    Sysfs = 139, "sysfs";
    Getpriority = 140, "getpriority";
    Setpriority = 141, "setpriority";
    SchedSetparam = 142, "sched_setparam";
    SchedGetparam = 143, "sched_getparam";
    SchedSetscheduler = 144, "sched_setscheduler";
    SchedGetscheduler = 145, "sched_getscheduler";
    SchedGetPriorityMax = 146, "sched_get_priority_max";
    SchedGetPriorityMin = 147, "sched_get_priority_min";
    SchedRrGetInterval = 148, "sched_rr_get_interval";
    Mlock = 149, "mlock";
    Munlock = 150, "munlock";
    Mlockall = 151, "mlockall";
    Munlockall = 152, "munlockall";
    Vhangup = 153, "vhangup";
    ModifyLdt = 154, "modify_ldt";
    PivotRoot = 155, "pivot_root";
    Sysctl = 156, "_sysctl";
    Prctl = 157, "prctl";
    ArchPrctl = 158, "arch_prctl";
    Adjtimex = 159, "adjtimex";
    Setrlimit = 160, "setrlimit";
    Chroot = 161, "chroot";
    Sync = 162, "sync";
    Acct = 163, "acct";
    Settimeofday = 164, "settimeofday";
    Mount = 165, "mount";
    Umount2 = 166, "umount2";
    Swapon = 167, "swapon";
    Swapoff = 168, "swapoff";
    Reboot = 169, "reboot";
    Sethostname = 170, "sethostname";
    Setdomainname = 171, "setdomainname";
    Iopl = 172, "iopl";
    Ioperm = 173, "ioperm";
    CreateModule = 174, "create_module";
    InitModule = 175, "init_module";
    DeleteModule = 176, "delete_module";
    GetKernelSyms = 177, "get_kernel_syms";
    QueryModule = 178, "query_module";
    Quotactl = 179, "quotactl";
    Nfsservctl = 180, "nfsservctl";
    Getpmsg = 181, "getpmsg";
    Putpmsg = 182, "putpmsg";
    AfsSyscall = 183, "afs_syscall";
    Tuxcall = 184, "tuxcall";
    Security = 185, "security";
    Gettid = 186, "gettid";
    Readahead = 187, "readahead";
    Setxattr = 188, "setxattr";
    Lsetxattr = 189, "lsetxattr";
    Fsetxattr = 190, "fsetxattr";
    Getxattr = 191, "getxattr";
    Lgetxattr = 192, "lgetxattr";
    Fgetxattr = 193, "fgetxattr";
    Listxattr = 194, "listxattr";
    Llistxattr = 195, "llistxattr";
    Flistxattr = 196, "flistxattr";
    Removexattr = 197, "removexattr";
    Lremovexattr = 198, "lremovexattr";
    Fremovexattr = 199, "fremovexattr";
    Tkill = 200, "tkill";
    Time = 201, "time";
    Futex = 202, "futex";
    SchedSetaffinity = 203, "sched_setaffinity";
    SchedGetaffinity = 204, "sched_getaffinity";
    SetThreadArea = 205, "set_thread_area";
    IoSetup = 206, "io_setup";
    IoDestroy = 207, "io_destroy";
    IoGetevents = 208, "io_getevents";
    IoSubmit = 209, "io_submit";
    IoCancel = 210, "io_cancel";
    GetThreadArea = 211, "get_thread_area";
    LookupDcookie = 212, "lookup_dcookie";
    EpollCreate = 213, "epoll_create";
    EpollCtlOld = 214, "epoll_ctl_old";
    EpollWaitOld = 215, "epoll_wait_old";
    RemapFilePages = 216, "remap_file_pages";
    Getdents64 = 217, "getdents64";
    SetTidAddress = 218, "set_tid_address";
    RestartSyscall = 219, "restart_syscall";
    Semtimedop = 220, "semtimedop";
    Fadvise64 = 221, "fadvise64";
    TimerCreate = 222, "timer_create";
    TimerSettime = 223, "timer_settime";
    TimerGettime = 224, "timer_gettime";
    TimerGetoverrun = 225, "timer_getoverrun";
    TimerDelete = 226, "timer_delete";
    ClockSettime = 227, "clock_settime";
    ClockGettime = 228, "clock_gettime";
    ClockGetres = 229, "clock_getres";
    ClockNanosleep = 230, "clock_nanosleep";
    ExitGroup = 231, "exit_group";
    EpollWait = 232, "epoll_wait";
    EpollCtl = 233, "epoll_ctl";
    Tgkill = 234, "tgkill";
    Utimes = 235, "utimes";
    Vserver = 236, "vserver";
    Mbind = 237, "mbind";
    SetMempolicy = 238, "set_mempolicy";
    GetMempolicy = 239, "get_mempolicy";
    MqOpen = 240, "mq_open";
    MqUnlink = 241, "mq_unlink";
    MqTimedsend = 242, "mq_timedsend";
    MqTimedreceive = 243, "mq_timedreceive";
    MqNotify = 244, "mq_notify";
    MqGetsetattr = 245, "mq_getsetattr";
    KexecLoad = 246, "kexec_load";
    Waitid = 247, "waitid";
    AddKey = 248, "add_key";
    RequestKey = 249, "request_key";
    Keyctl = 250, "keyctl";
    IoprioSet = 251, "ioprio_set";
    IoprioGet = 252, "ioprio_get";
    InotifyInit = 253, "inotify_init";
    InotifyAddWatch = 254, "inotify_add_watch";
    InotifyRmWatch = 255, "inotify_rm_watch";
    MigratePages = 256, "migrate_pages";
    Openat = 257, "openat";
    Mkdirat = 258, "mkdirat";
    Mknodat = 259, "mknodat";
    Fchownat = 260, "fchownat";
    Futimesat = 261, "futimesat";
    Newfstatat = 262, "newfstatat";
    Unlinkat = 263, "unlinkat";
    Renameat = 264, "renameat";
    Linkat = 265, "linkat";
    Symlinkat = 266, "symlinkat";
    Readlinkat = 267, "readlinkat";
    Fchmodat = 268, "fchmodat";
    Faccessat = 269, "faccessat";
    Pselect6 = 270, "pselect6";
    Ppoll = 271, "ppoll";
    Unshare = 272, "unshare";
    SetRobustList = 273, "set_robust_list";
    GetRobustList = 274, "get_robust_list";
    Splice = 275, "splice";
    Tee = 276, "tee";
    SyncFileRange = 277, "sync_file_range";
    Vmsplice = 278, "vmsplice";
    MovePages = 279, "move_pages";
    Utimensat = 280, "utimensat";
    EpollPwait = 281, "epoll_pwait";
    Signalfd = 282, "signalfd";
    TimerfdCreate = 283, "timerfd_create";
    Eventfd = 284, "eventfd";
    Fallocate = 285, "fallocate";
    TimerfdSettime = 286, "timerfd_settime";
    TimerfdGettime = 287, "timerfd_gettime";
    Accept4 = 288, "accept4";
    Signalfd4 = 289, "signalfd4";
    Eventfd2 = 290, "eventfd2";
    EpollCreate1 = 291, "epoll_create1";
    Dup3 = 292, "dup3";
    Pipe2 = 293, "pipe2";
    InotifyInit1 = 294, "inotify_init1";
    Preadv = 295, "preadv";
    Pwritev = 296, "pwritev";
    RtTgsigqueueinfo = 297, "rt_tgsigqueueinfo";
    PerfEventOpen = 298, "perf_event_open";
    Recvmmsg = 299, "recvmmsg";
    FanotifyInit = 300, "fanotify_init";
    FanotifyMark = 301, "fanotify_mark";
    Prlimit64 = 302, "prlimit64";
    NameToHandleAt = 303, "name_to_handle_at";
    OpenByHandleAt = 304, "open_by_handle_at";
    ClockAdjtime = 305, "clock_adjtime";
    Syncfs = 306, "syncfs";
    Sendmmsg = 307, "sendmmsg";
    Setns = 308, "setns";
    Getcpu = 309, "getcpu";
    ProcessVmReadv = 310, "process_vm_readv";
    ProcessVmWritev = 311, "process_vm_writev";
    Kcmp = 312, "kcmp";
    FinitModule = 313, "finit_module";
    SchedSetattr = 314, "sched_setattr";
    SchedGetattr = 315, "sched_getattr";
    Renameat2 = 316, "renameat2";
    Seccomp = 317, "seccomp";
    Getrandom = 318, "getrandom";
    MemfdCreate = 319, "memfd_create";
    KexecFileLoad = 320, "kexec_file_load";
    Bpf = 321, "bpf";
    Execveat = 322, "execveat";
    Userfaultfd = 323, "userfaultfd";
    Membarrier = 324, "membarrier";
    Mlock2 = 325, "mlock2";
    CopyFileRange = 326, "copy_file_range";
    Preadv2 = 327, "preadv2";
    Pwritev2 = 328, "pwritev2";
    PkeyMprotect = 329, "pkey_mprotect";
    PkeyAlloc = 330, "pkey_alloc";
    PkeyFree = 331, "pkey_free";
    Statx = 332, "statx";
    IoPgetevents = 333, "io_pgetevents";
    Rseq = 334, "rseq";
    Uretprobe = 335, "uretprobe";
    Uprobe = 336, "uprobe";
    PidfdSendSignal = 424, "pidfd_send_signal";
    IoUringSetup = 425, "io_uring_setup";
    IoUringEnter = 426, "io_uring_enter";
    IoUringRegister = 427, "io_uring_register";
    OpenTree = 428, "open_tree";
    MoveMount = 429, "move_mount";
    Fsopen = 430, "fsopen";
    Fsconfig = 431, "fsconfig";
    Fsmount = 432, "fsmount";
    Fspick = 433, "fspick";
    PidfdOpen = 434, "pidfd_open";
    Clone3 = 435, "clone3";
    CloseRange = 436, "close_range";
    Openat2 = 437, "openat2";
    PidfdGetfd = 438, "pidfd_getfd";
    Faccessat2 = 439, "faccessat2";
    ProcessMadvise = 440, "process_madvise";
    EpollPwait2 = 441, "epoll_pwait2";
    MountSetattr = 442, "mount_setattr";
    QuotactlFd = 443, "quotactl_fd";
    LandlockCreateRuleset = 444, "landlock_create_ruleset";
    LandlockAddRule = 445, "landlock_add_rule";
    LandlockRestrictSelf = 446, "landlock_restrict_self";
    MemfdSecret = 447, "memfd_secret";
    ProcessMrelease = 448, "process_mrelease";
    FutexWaitv = 449, "futex_waitv";
    SetMempolicyHomeNode = 450, "set_mempolicy_home_node";
    Cachestat = 451, "cachestat";
    Fchmodat2 = 452, "fchmodat2";
    MapShadowStack = 453, "map_shadow_stack";
    FutexWake = 454, "futex_wake";
    FutexWait = 455, "futex_wait";
    FutexRequeue = 456, "futex_requeue";
    Statmount = 457, "statmount";
    Listmount = 458, "listmount";
    LsmGetSelfAttr = 459, "lsm_get_self_attr";
    LsmSetSelfAttr = 460, "lsm_set_self_attr";
    LsmListModules = 461, "lsm_list_modules";
    Mseal = 462, "mseal";
    Setxattrat = 463, "setxattrat";
    Getxattrat = 464, "getxattrat";
    Listxattrat = 465, "listxattrat";
    Removexattrat = 466, "removexattrat";
    OpenTreeAttr = 467, "open_tree_attr";
    FileGetattr = 468, "file_getattr";
    FileSetattr = 469, "file_setattr";
    Listns = 470, "listns";
    RseqSliceYield = 471, "rseq_slice_yield";
}

impl SystemCall {
    /// The highest system call number x86_64 Linux defines.
    pub const HIGHEST_NUMBER: u64 = SystemCall::RseqSliceYield.number();

    /// The number passed in `rax`.
    pub const fn number(self) -> u64 {
        self as u64
    }

    /// The system call with this kernel name, such as `"openat"`.
    pub fn from_name(name: &str) -> Option<Self> {
        SystemCall::ALL
            .iter()
            .copied()
            .find(|call| call.name() == name)
    }
}

/// The kernel's name for a system call number, or `None` if x86_64 Linux defines no such call.
pub const fn name(number: u64) -> Option<&'static str> {
    match SystemCall::from_number(number) {
        Some(call) => Some(call.name()),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_libc() {
        let checks: &[(SystemCall, i64)] = &[
            (SystemCall::Read, libc::SYS_read),
            (SystemCall::Write, libc::SYS_write),
            (SystemCall::Open, libc::SYS_open),
            (SystemCall::Close, libc::SYS_close),
            (SystemCall::Stat, libc::SYS_stat),
            (SystemCall::Fstat, libc::SYS_fstat),
            (SystemCall::Lstat, libc::SYS_lstat),
            (SystemCall::Poll, libc::SYS_poll),
            (SystemCall::Lseek, libc::SYS_lseek),
            (SystemCall::Mmap, libc::SYS_mmap),
            (SystemCall::Mprotect, libc::SYS_mprotect),
            (SystemCall::Munmap, libc::SYS_munmap),
            (SystemCall::Brk, libc::SYS_brk),
            (SystemCall::RtSigaction, libc::SYS_rt_sigaction),
            (SystemCall::RtSigprocmask, libc::SYS_rt_sigprocmask),
            (SystemCall::RtSigreturn, libc::SYS_rt_sigreturn),
            (SystemCall::Ioctl, libc::SYS_ioctl),
            (SystemCall::Pread64, libc::SYS_pread64),
            (SystemCall::Pwrite64, libc::SYS_pwrite64),
            (SystemCall::Readv, libc::SYS_readv),
            (SystemCall::Writev, libc::SYS_writev),
            (SystemCall::Access, libc::SYS_access),
            (SystemCall::Pipe, libc::SYS_pipe),
            (SystemCall::Select, libc::SYS_select),
            (SystemCall::SchedYield, libc::SYS_sched_yield),
            (SystemCall::Mremap, libc::SYS_mremap),
            (SystemCall::Msync, libc::SYS_msync),
            (SystemCall::Mincore, libc::SYS_mincore),
            (SystemCall::Madvise, libc::SYS_madvise),
            (SystemCall::Shmget, libc::SYS_shmget),
            (SystemCall::Shmat, libc::SYS_shmat),
            (SystemCall::Shmctl, libc::SYS_shmctl),
            (SystemCall::Dup, libc::SYS_dup),
            (SystemCall::Dup2, libc::SYS_dup2),
            (SystemCall::Pause, libc::SYS_pause),
            (SystemCall::Nanosleep, libc::SYS_nanosleep),
            (SystemCall::Getitimer, libc::SYS_getitimer),
            (SystemCall::Alarm, libc::SYS_alarm),
            (SystemCall::Setitimer, libc::SYS_setitimer),
            (SystemCall::Getpid, libc::SYS_getpid),
            (SystemCall::Sendfile, libc::SYS_sendfile),
            (SystemCall::Socket, libc::SYS_socket),
            (SystemCall::Connect, libc::SYS_connect),
            (SystemCall::Accept, libc::SYS_accept),
            (SystemCall::Sendto, libc::SYS_sendto),
            (SystemCall::Recvfrom, libc::SYS_recvfrom),
            (SystemCall::Sendmsg, libc::SYS_sendmsg),
            (SystemCall::Recvmsg, libc::SYS_recvmsg),
            (SystemCall::Shutdown, libc::SYS_shutdown),
            (SystemCall::Bind, libc::SYS_bind),
            (SystemCall::Listen, libc::SYS_listen),
            (SystemCall::Getsockname, libc::SYS_getsockname),
            (SystemCall::Getpeername, libc::SYS_getpeername),
            (SystemCall::Socketpair, libc::SYS_socketpair),
            (SystemCall::Setsockopt, libc::SYS_setsockopt),
            (SystemCall::Getsockopt, libc::SYS_getsockopt),
            (SystemCall::Clone, libc::SYS_clone),
            (SystemCall::Fork, libc::SYS_fork),
            (SystemCall::Vfork, libc::SYS_vfork),
            (SystemCall::Execve, libc::SYS_execve),
            (SystemCall::Exit, libc::SYS_exit),
            (SystemCall::Wait4, libc::SYS_wait4),
            (SystemCall::Kill, libc::SYS_kill),
            (SystemCall::Uname, libc::SYS_uname),
            (SystemCall::Semget, libc::SYS_semget),
            (SystemCall::Semop, libc::SYS_semop),
            (SystemCall::Semctl, libc::SYS_semctl),
            (SystemCall::Shmdt, libc::SYS_shmdt),
            (SystemCall::Msgget, libc::SYS_msgget),
            (SystemCall::Msgsnd, libc::SYS_msgsnd),
            (SystemCall::Msgrcv, libc::SYS_msgrcv),
            (SystemCall::Msgctl, libc::SYS_msgctl),
            (SystemCall::Fcntl, libc::SYS_fcntl),
            (SystemCall::Flock, libc::SYS_flock),
            (SystemCall::Fsync, libc::SYS_fsync),
            (SystemCall::Fdatasync, libc::SYS_fdatasync),
            (SystemCall::Truncate, libc::SYS_truncate),
            (SystemCall::Ftruncate, libc::SYS_ftruncate),
            (SystemCall::Getdents, libc::SYS_getdents),
            (SystemCall::Getcwd, libc::SYS_getcwd),
            (SystemCall::Chdir, libc::SYS_chdir),
            (SystemCall::Fchdir, libc::SYS_fchdir),
            (SystemCall::Rename, libc::SYS_rename),
            (SystemCall::Mkdir, libc::SYS_mkdir),
            (SystemCall::Rmdir, libc::SYS_rmdir),
            (SystemCall::Creat, libc::SYS_creat),
            (SystemCall::Link, libc::SYS_link),
            (SystemCall::Unlink, libc::SYS_unlink),
            (SystemCall::Symlink, libc::SYS_symlink),
            (SystemCall::Readlink, libc::SYS_readlink),
            (SystemCall::Chmod, libc::SYS_chmod),
            (SystemCall::Fchmod, libc::SYS_fchmod),
            (SystemCall::Chown, libc::SYS_chown),
            (SystemCall::Fchown, libc::SYS_fchown),
            (SystemCall::Lchown, libc::SYS_lchown),
            (SystemCall::Umask, libc::SYS_umask),
            (SystemCall::Gettimeofday, libc::SYS_gettimeofday),
            (SystemCall::Getrlimit, libc::SYS_getrlimit),
            (SystemCall::Getrusage, libc::SYS_getrusage),
            (SystemCall::Sysinfo, libc::SYS_sysinfo),
            (SystemCall::Times, libc::SYS_times),
            (SystemCall::Ptrace, libc::SYS_ptrace),
            (SystemCall::Getuid, libc::SYS_getuid),
            (SystemCall::Syslog, libc::SYS_syslog),
            (SystemCall::Getgid, libc::SYS_getgid),
            (SystemCall::Setuid, libc::SYS_setuid),
            (SystemCall::Setgid, libc::SYS_setgid),
            (SystemCall::Geteuid, libc::SYS_geteuid),
            (SystemCall::Getegid, libc::SYS_getegid),
            (SystemCall::Setpgid, libc::SYS_setpgid),
            (SystemCall::Getppid, libc::SYS_getppid),
            (SystemCall::Getpgrp, libc::SYS_getpgrp),
            (SystemCall::Setsid, libc::SYS_setsid),
            (SystemCall::Setreuid, libc::SYS_setreuid),
            (SystemCall::Setregid, libc::SYS_setregid),
            (SystemCall::Getgroups, libc::SYS_getgroups),
            (SystemCall::Setgroups, libc::SYS_setgroups),
            (SystemCall::Setresuid, libc::SYS_setresuid),
            (SystemCall::Getresuid, libc::SYS_getresuid),
            (SystemCall::Setresgid, libc::SYS_setresgid),
            (SystemCall::Getresgid, libc::SYS_getresgid),
            (SystemCall::Getpgid, libc::SYS_getpgid),
            (SystemCall::Setfsuid, libc::SYS_setfsuid),
            (SystemCall::Setfsgid, libc::SYS_setfsgid),
            (SystemCall::Getsid, libc::SYS_getsid),
            (SystemCall::Capget, libc::SYS_capget),
            (SystemCall::Capset, libc::SYS_capset),
            (SystemCall::RtSigpending, libc::SYS_rt_sigpending),
            (SystemCall::RtSigtimedwait, libc::SYS_rt_sigtimedwait),
            (SystemCall::RtSigqueueinfo, libc::SYS_rt_sigqueueinfo),
            (SystemCall::RtSigsuspend, libc::SYS_rt_sigsuspend),
            (SystemCall::Sigaltstack, libc::SYS_sigaltstack),
            (SystemCall::Utime, libc::SYS_utime),
            (SystemCall::Mknod, libc::SYS_mknod),
            (SystemCall::Uselib, libc::SYS_uselib),
            (SystemCall::Personality, libc::SYS_personality),
            (SystemCall::Ustat, libc::SYS_ustat),
            (SystemCall::Statfs, libc::SYS_statfs),
            (SystemCall::Fstatfs, libc::SYS_fstatfs),
            (SystemCall::Sysfs, libc::SYS_sysfs),
            (SystemCall::Getpriority, libc::SYS_getpriority),
            (SystemCall::Setpriority, libc::SYS_setpriority),
            (SystemCall::SchedSetparam, libc::SYS_sched_setparam),
            (SystemCall::SchedGetparam, libc::SYS_sched_getparam),
            (SystemCall::SchedSetscheduler, libc::SYS_sched_setscheduler),
            (SystemCall::SchedGetscheduler, libc::SYS_sched_getscheduler),
            (
                SystemCall::SchedGetPriorityMax,
                libc::SYS_sched_get_priority_max,
            ),
            (
                SystemCall::SchedGetPriorityMin,
                libc::SYS_sched_get_priority_min,
            ),
            (
                SystemCall::SchedRrGetInterval,
                libc::SYS_sched_rr_get_interval,
            ),
            (SystemCall::Mlock, libc::SYS_mlock),
            (SystemCall::Munlock, libc::SYS_munlock),
            (SystemCall::Mlockall, libc::SYS_mlockall),
            (SystemCall::Munlockall, libc::SYS_munlockall),
            (SystemCall::Vhangup, libc::SYS_vhangup),
            (SystemCall::ModifyLdt, libc::SYS_modify_ldt),
            (SystemCall::PivotRoot, libc::SYS_pivot_root),
            (SystemCall::Sysctl, libc::SYS__sysctl),
            (SystemCall::Prctl, libc::SYS_prctl),
            (SystemCall::ArchPrctl, libc::SYS_arch_prctl),
            (SystemCall::Adjtimex, libc::SYS_adjtimex),
            (SystemCall::Setrlimit, libc::SYS_setrlimit),
            (SystemCall::Chroot, libc::SYS_chroot),
            (SystemCall::Sync, libc::SYS_sync),
            (SystemCall::Acct, libc::SYS_acct),
            (SystemCall::Settimeofday, libc::SYS_settimeofday),
            (SystemCall::Mount, libc::SYS_mount),
            (SystemCall::Umount2, libc::SYS_umount2),
            (SystemCall::Swapon, libc::SYS_swapon),
            (SystemCall::Swapoff, libc::SYS_swapoff),
            (SystemCall::Reboot, libc::SYS_reboot),
            (SystemCall::Sethostname, libc::SYS_sethostname),
            (SystemCall::Setdomainname, libc::SYS_setdomainname),
            (SystemCall::Iopl, libc::SYS_iopl),
            (SystemCall::Ioperm, libc::SYS_ioperm),
            (SystemCall::InitModule, libc::SYS_init_module),
            (SystemCall::DeleteModule, libc::SYS_delete_module),
            (SystemCall::Quotactl, libc::SYS_quotactl),
            (SystemCall::Nfsservctl, libc::SYS_nfsservctl),
            (SystemCall::Getpmsg, libc::SYS_getpmsg),
            (SystemCall::Putpmsg, libc::SYS_putpmsg),
            (SystemCall::AfsSyscall, libc::SYS_afs_syscall),
            (SystemCall::Tuxcall, libc::SYS_tuxcall),
            (SystemCall::Security, libc::SYS_security),
            (SystemCall::Gettid, libc::SYS_gettid),
            (SystemCall::Readahead, libc::SYS_readahead),
            (SystemCall::Setxattr, libc::SYS_setxattr),
            (SystemCall::Lsetxattr, libc::SYS_lsetxattr),
            (SystemCall::Fsetxattr, libc::SYS_fsetxattr),
            (SystemCall::Getxattr, libc::SYS_getxattr),
            (SystemCall::Lgetxattr, libc::SYS_lgetxattr),
            (SystemCall::Fgetxattr, libc::SYS_fgetxattr),
            (SystemCall::Listxattr, libc::SYS_listxattr),
            (SystemCall::Llistxattr, libc::SYS_llistxattr),
            (SystemCall::Flistxattr, libc::SYS_flistxattr),
            (SystemCall::Removexattr, libc::SYS_removexattr),
            (SystemCall::Lremovexattr, libc::SYS_lremovexattr),
            (SystemCall::Fremovexattr, libc::SYS_fremovexattr),
            (SystemCall::Tkill, libc::SYS_tkill),
            (SystemCall::Time, libc::SYS_time),
            (SystemCall::Futex, libc::SYS_futex),
            (SystemCall::SchedSetaffinity, libc::SYS_sched_setaffinity),
            (SystemCall::SchedGetaffinity, libc::SYS_sched_getaffinity),
            (SystemCall::SetThreadArea, libc::SYS_set_thread_area),
            (SystemCall::IoSetup, libc::SYS_io_setup),
            (SystemCall::IoDestroy, libc::SYS_io_destroy),
            (SystemCall::IoGetevents, libc::SYS_io_getevents),
            (SystemCall::IoSubmit, libc::SYS_io_submit),
            (SystemCall::IoCancel, libc::SYS_io_cancel),
            (SystemCall::GetThreadArea, libc::SYS_get_thread_area),
            (SystemCall::LookupDcookie, libc::SYS_lookup_dcookie),
            (SystemCall::EpollCreate, libc::SYS_epoll_create),
            (SystemCall::EpollCtlOld, libc::SYS_epoll_ctl_old),
            (SystemCall::EpollWaitOld, libc::SYS_epoll_wait_old),
            (SystemCall::RemapFilePages, libc::SYS_remap_file_pages),
            (SystemCall::Getdents64, libc::SYS_getdents64),
            (SystemCall::SetTidAddress, libc::SYS_set_tid_address),
            (SystemCall::RestartSyscall, libc::SYS_restart_syscall),
            (SystemCall::Semtimedop, libc::SYS_semtimedop),
            (SystemCall::Fadvise64, libc::SYS_fadvise64),
            (SystemCall::TimerCreate, libc::SYS_timer_create),
            (SystemCall::TimerSettime, libc::SYS_timer_settime),
            (SystemCall::TimerGettime, libc::SYS_timer_gettime),
            (SystemCall::TimerGetoverrun, libc::SYS_timer_getoverrun),
            (SystemCall::TimerDelete, libc::SYS_timer_delete),
            (SystemCall::ClockSettime, libc::SYS_clock_settime),
            (SystemCall::ClockGettime, libc::SYS_clock_gettime),
            (SystemCall::ClockGetres, libc::SYS_clock_getres),
            (SystemCall::ClockNanosleep, libc::SYS_clock_nanosleep),
            (SystemCall::ExitGroup, libc::SYS_exit_group),
            (SystemCall::EpollWait, libc::SYS_epoll_wait),
            (SystemCall::EpollCtl, libc::SYS_epoll_ctl),
            (SystemCall::Tgkill, libc::SYS_tgkill),
            (SystemCall::Utimes, libc::SYS_utimes),
            (SystemCall::Vserver, libc::SYS_vserver),
            (SystemCall::Mbind, libc::SYS_mbind),
            (SystemCall::SetMempolicy, libc::SYS_set_mempolicy),
            (SystemCall::GetMempolicy, libc::SYS_get_mempolicy),
            (SystemCall::MqOpen, libc::SYS_mq_open),
            (SystemCall::MqUnlink, libc::SYS_mq_unlink),
            (SystemCall::MqTimedsend, libc::SYS_mq_timedsend),
            (SystemCall::MqTimedreceive, libc::SYS_mq_timedreceive),
            (SystemCall::MqNotify, libc::SYS_mq_notify),
            (SystemCall::MqGetsetattr, libc::SYS_mq_getsetattr),
            (SystemCall::KexecLoad, libc::SYS_kexec_load),
            (SystemCall::Waitid, libc::SYS_waitid),
            (SystemCall::AddKey, libc::SYS_add_key),
            (SystemCall::RequestKey, libc::SYS_request_key),
            (SystemCall::Keyctl, libc::SYS_keyctl),
            (SystemCall::IoprioSet, libc::SYS_ioprio_set),
            (SystemCall::IoprioGet, libc::SYS_ioprio_get),
            (SystemCall::InotifyInit, libc::SYS_inotify_init),
            (SystemCall::InotifyAddWatch, libc::SYS_inotify_add_watch),
            (SystemCall::InotifyRmWatch, libc::SYS_inotify_rm_watch),
            (SystemCall::MigratePages, libc::SYS_migrate_pages),
            (SystemCall::Openat, libc::SYS_openat),
            (SystemCall::Mkdirat, libc::SYS_mkdirat),
            (SystemCall::Mknodat, libc::SYS_mknodat),
            (SystemCall::Fchownat, libc::SYS_fchownat),
            (SystemCall::Futimesat, libc::SYS_futimesat),
            (SystemCall::Newfstatat, libc::SYS_newfstatat),
            (SystemCall::Unlinkat, libc::SYS_unlinkat),
            (SystemCall::Renameat, libc::SYS_renameat),
            (SystemCall::Linkat, libc::SYS_linkat),
            (SystemCall::Symlinkat, libc::SYS_symlinkat),
            (SystemCall::Readlinkat, libc::SYS_readlinkat),
            (SystemCall::Fchmodat, libc::SYS_fchmodat),
            (SystemCall::Faccessat, libc::SYS_faccessat),
            (SystemCall::Pselect6, libc::SYS_pselect6),
            (SystemCall::Ppoll, libc::SYS_ppoll),
            (SystemCall::Unshare, libc::SYS_unshare),
            (SystemCall::SetRobustList, libc::SYS_set_robust_list),
            (SystemCall::GetRobustList, libc::SYS_get_robust_list),
            (SystemCall::Splice, libc::SYS_splice),
            (SystemCall::Tee, libc::SYS_tee),
            (SystemCall::SyncFileRange, libc::SYS_sync_file_range),
            (SystemCall::Vmsplice, libc::SYS_vmsplice),
            (SystemCall::MovePages, libc::SYS_move_pages),
            (SystemCall::Utimensat, libc::SYS_utimensat),
            (SystemCall::EpollPwait, libc::SYS_epoll_pwait),
            (SystemCall::Signalfd, libc::SYS_signalfd),
            (SystemCall::TimerfdCreate, libc::SYS_timerfd_create),
            (SystemCall::Eventfd, libc::SYS_eventfd),
            (SystemCall::Fallocate, libc::SYS_fallocate),
            (SystemCall::TimerfdSettime, libc::SYS_timerfd_settime),
            (SystemCall::TimerfdGettime, libc::SYS_timerfd_gettime),
            (SystemCall::Accept4, libc::SYS_accept4),
            (SystemCall::Signalfd4, libc::SYS_signalfd4),
            (SystemCall::Eventfd2, libc::SYS_eventfd2),
            (SystemCall::EpollCreate1, libc::SYS_epoll_create1),
            (SystemCall::Dup3, libc::SYS_dup3),
            (SystemCall::Pipe2, libc::SYS_pipe2),
            (SystemCall::InotifyInit1, libc::SYS_inotify_init1),
            (SystemCall::Preadv, libc::SYS_preadv),
            (SystemCall::Pwritev, libc::SYS_pwritev),
            (SystemCall::RtTgsigqueueinfo, libc::SYS_rt_tgsigqueueinfo),
            (SystemCall::PerfEventOpen, libc::SYS_perf_event_open),
            (SystemCall::Recvmmsg, libc::SYS_recvmmsg),
            (SystemCall::FanotifyInit, libc::SYS_fanotify_init),
            (SystemCall::FanotifyMark, libc::SYS_fanotify_mark),
            (SystemCall::Prlimit64, libc::SYS_prlimit64),
            (SystemCall::NameToHandleAt, libc::SYS_name_to_handle_at),
            (SystemCall::OpenByHandleAt, libc::SYS_open_by_handle_at),
            (SystemCall::ClockAdjtime, libc::SYS_clock_adjtime),
            (SystemCall::Syncfs, libc::SYS_syncfs),
            (SystemCall::Sendmmsg, libc::SYS_sendmmsg),
            (SystemCall::Setns, libc::SYS_setns),
            (SystemCall::Getcpu, libc::SYS_getcpu),
            (SystemCall::ProcessVmReadv, libc::SYS_process_vm_readv),
            (SystemCall::ProcessVmWritev, libc::SYS_process_vm_writev),
            (SystemCall::Kcmp, libc::SYS_kcmp),
            (SystemCall::FinitModule, libc::SYS_finit_module),
            (SystemCall::SchedSetattr, libc::SYS_sched_setattr),
            (SystemCall::SchedGetattr, libc::SYS_sched_getattr),
            (SystemCall::Renameat2, libc::SYS_renameat2),
            (SystemCall::Seccomp, libc::SYS_seccomp),
            (SystemCall::Getrandom, libc::SYS_getrandom),
            (SystemCall::MemfdCreate, libc::SYS_memfd_create),
            (SystemCall::KexecFileLoad, libc::SYS_kexec_file_load),
            (SystemCall::Bpf, libc::SYS_bpf),
            (SystemCall::Execveat, libc::SYS_execveat),
            (SystemCall::Userfaultfd, libc::SYS_userfaultfd),
            (SystemCall::Membarrier, libc::SYS_membarrier),
            (SystemCall::Mlock2, libc::SYS_mlock2),
            (SystemCall::CopyFileRange, libc::SYS_copy_file_range),
            (SystemCall::Preadv2, libc::SYS_preadv2),
            (SystemCall::Pwritev2, libc::SYS_pwritev2),
            (SystemCall::PkeyMprotect, libc::SYS_pkey_mprotect),
            (SystemCall::PkeyAlloc, libc::SYS_pkey_alloc),
            (SystemCall::PkeyFree, libc::SYS_pkey_free),
            (SystemCall::Statx, libc::SYS_statx),
            (SystemCall::Rseq, libc::SYS_rseq),
            (SystemCall::PidfdSendSignal, libc::SYS_pidfd_send_signal),
            (SystemCall::IoUringSetup, libc::SYS_io_uring_setup),
            (SystemCall::IoUringEnter, libc::SYS_io_uring_enter),
            (SystemCall::IoUringRegister, libc::SYS_io_uring_register),
            (SystemCall::OpenTree, libc::SYS_open_tree),
            (SystemCall::MoveMount, libc::SYS_move_mount),
            (SystemCall::Fsopen, libc::SYS_fsopen),
            (SystemCall::Fsconfig, libc::SYS_fsconfig),
            (SystemCall::Fsmount, libc::SYS_fsmount),
            (SystemCall::Fspick, libc::SYS_fspick),
            (SystemCall::PidfdOpen, libc::SYS_pidfd_open),
            (SystemCall::Clone3, libc::SYS_clone3),
            (SystemCall::CloseRange, libc::SYS_close_range),
            (SystemCall::Openat2, libc::SYS_openat2),
            (SystemCall::PidfdGetfd, libc::SYS_pidfd_getfd),
            (SystemCall::Faccessat2, libc::SYS_faccessat2),
            (SystemCall::ProcessMadvise, libc::SYS_process_madvise),
            (SystemCall::EpollPwait2, libc::SYS_epoll_pwait2),
            (SystemCall::MountSetattr, libc::SYS_mount_setattr),
            (SystemCall::QuotactlFd, libc::SYS_quotactl_fd),
            (
                SystemCall::LandlockCreateRuleset,
                libc::SYS_landlock_create_ruleset,
            ),
            (SystemCall::LandlockAddRule, libc::SYS_landlock_add_rule),
            (
                SystemCall::LandlockRestrictSelf,
                libc::SYS_landlock_restrict_self,
            ),
            (SystemCall::MemfdSecret, libc::SYS_memfd_secret),
            (SystemCall::ProcessMrelease, libc::SYS_process_mrelease),
            (SystemCall::FutexWaitv, libc::SYS_futex_waitv),
            (
                SystemCall::SetMempolicyHomeNode,
                libc::SYS_set_mempolicy_home_node,
            ),
            (SystemCall::Fchmodat2, libc::SYS_fchmodat2),
            (SystemCall::Mseal, libc::SYS_mseal),
        ];
        for (call, expected) in checks {
            assert_eq!(call.number() as i64, *expected, "{}", call.name());
        }
    }

    /// Calls newer than (or dropped from) the host `libc` crate, checked against
    /// `syscall_64.tbl` of Linux 7.0 by hand.
    #[test]
    fn numbers_libc_lacks_match_the_kernel_table() {
        let checks: &[(SystemCall, u64)] = &[
            (SystemCall::CreateModule, 174),
            (SystemCall::GetKernelSyms, 177),
            (SystemCall::QueryModule, 178),
            (SystemCall::IoPgetevents, 333),
            (SystemCall::Uretprobe, 335),
            (SystemCall::Uprobe, 336),
            (SystemCall::Cachestat, 451),
            (SystemCall::MapShadowStack, 453),
            (SystemCall::FutexWake, 454),
            (SystemCall::FutexWait, 455),
            (SystemCall::FutexRequeue, 456),
            (SystemCall::Statmount, 457),
            (SystemCall::Listmount, 458),
            (SystemCall::LsmGetSelfAttr, 459),
            (SystemCall::LsmSetSelfAttr, 460),
            (SystemCall::LsmListModules, 461),
            (SystemCall::Setxattrat, 463),
            (SystemCall::Getxattrat, 464),
            (SystemCall::Listxattrat, 465),
            (SystemCall::Removexattrat, 466),
            (SystemCall::OpenTreeAttr, 467),
            (SystemCall::FileGetattr, 468),
            (SystemCall::FileSetattr, 469),
            (SystemCall::Listns, 470),
            (SystemCall::RseqSliceYield, 471),
        ];
        for (call, expected) in checks {
            assert_eq!(call.number(), *expected, "{}", call.name());
        }
        assert_eq!(
            SystemCall::ALL.len(),
            checks.len() + 360,
            "every call is checked against libc or the kernel table"
        );
    }

    #[test]
    fn table_is_ordered_and_names_round_trip() {
        assert!(
            SystemCall::ALL
                .windows(2)
                .all(|pair| pair[0].number() < pair[1].number())
        );
        for call in SystemCall::ALL {
            assert_eq!(SystemCall::from_number(call.number()), Some(*call));
            assert_eq!(SystemCall::from_name(call.name()), Some(*call));
            assert_eq!(name(call.number()), Some(call.name()));
        }
        let defined = (0..1024).filter(|number| name(*number).is_some()).count();
        assert_eq!(defined, SystemCall::ALL.len());
    }

    #[test]
    fn landmarks() {
        assert_eq!(name(0), Some("read"));
        assert_eq!(name(13), Some("rt_sigaction"));
        assert_eq!(name(156), Some("_sysctl"));
        assert_eq!(name(334), Some("rseq"));
        assert_eq!(name(337), None);
        assert_eq!(name(387), None);
        assert_eq!(name(423), None);
        assert_eq!(name(424), Some("pidfd_send_signal"));
        assert_eq!(name(512), None);
        assert_eq!(name(u64::MAX), None);
        assert_eq!(SystemCall::HIGHEST_NUMBER, 471);
        assert_eq!(SystemCall::from_name("no_such_call"), None);
        assert_eq!(SystemCall::Sysctl.name(), "_sysctl");
    }
}
