//! Linux's side: each operation through musl's system-call wrappers, run as `/init` of an
//! initramfs (it sets up its console, waits for the TSC clocksource and powers off at the end).
//!
//! The `unsafe` here is the kernel-call layer of the Linux build: every block is one libc call
//! (or a few on memory this module owns), each with its `SAFETY:` reason.

use std::ffi::CString;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Measurement;
use crate::operation::Operation;
use crate::suite::timed;

const PAGE_SIZE: usize = 4096;
/// The file the file-system operations use, in the initramfs's in-memory root.
const FILE_PATH: &str = "/bench-file";
/// Pages per round of the page-fault measurements.
const FAULT_PAGES: usize = 250;

/// Reads the timestamp counter.
pub fn cycles() -> u64 {
    // SAFETY: `rdtsc` only reads the timestamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Linux's calls are not counted (the figure is this system's).
pub fn kernel_calls() -> Option<u64> {
    None
}

/// Prints one line on the console (standard output, unbuffered past the newline).
pub fn print_line(arguments: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{arguments}");
    let _ = stdout.flush();
}

fn running_as_init() -> bool {
    std::process::id() == 1
}

/// As `/init`: mounts devtmpfs and sysfs and makes the first serial port standard input,
/// output and error (Linux's own console goes elsewhere: `console=ttyS1`).
pub fn prepare() {
    if !running_as_init() {
        return;
    }
    let _ = std::fs::create_dir_all("/dev");
    let _ = std::fs::create_dir_all("/sys");
    mount("devtmpfs", "/dev", "devtmpfs");
    mount("sysfs", "/sys", "sysfs");
    for path in ["/dev/ttyS0", "/dev/console"] {
        let path = CString::new(path).unwrap_or_default();
        // SAFETY: `path` is a NUL-terminated string that outlives the call.
        let descriptor = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NOCTTY) };
        if descriptor >= 0 {
            for standard in 0..3 {
                // SAFETY: duplicating a descriptor we own onto the standard ones.
                unsafe { libc::dup2(descriptor, standard) };
            }
            if descriptor > 2 {
                // SAFETY: closing our own spare descriptor.
                unsafe { libc::close(descriptor) };
            }
            return;
        }
    }
}

fn mount(source: &str, target: &str, kind: &str) {
    let (Ok(source), Ok(target), Ok(kind)) = (
        CString::new(source),
        CString::new(target),
        CString::new(kind),
    ) else {
        return;
    };
    // SAFETY: NUL-terminated strings that outlive the call; no data argument.
    unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            kind.as_ptr(),
            0,
            std::ptr::null(),
        );
    }
}

/// Waits (up to 5 s) until Linux has switched from the early TSC clocksource to the calibrated
/// one, which it does about a second after boot; timing before that is disturbed.
pub fn settle() {
    const CURRENT: &str = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut clocksource = String::new();
    while Instant::now() < deadline {
        clocksource = std::fs::read_to_string(CURRENT).unwrap_or_default();
        if clocksource.trim() == "tsc" {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    print_line(format_args!("bench-clocksource {}", clocksource.trim()));
}

/// As `/init`: powers the machine off (QEMU then exits with status 0).
pub fn finish() {
    if running_as_init() {
        // SAFETY: flushing file systems and powering off end this program, as intended.
        unsafe {
            libc::sync();
            libc::reboot(libc::RB_POWER_OFF);
        }
    }
}

/// Runs a helper mode (`exit`) and returns its status, or `None` when the words name none.
pub fn run_helper(words: &[&str]) -> Option<i32> {
    (words.first() == Some(&"exit")).then_some(0)
}

/// Measures one operation `iterations` times.
pub fn measure(operation: Operation, iterations: u64) -> Measurement {
    let per_iteration = |cycles| Measurement::Cycles {
        kernel_calls: None,
        cycles,
        operations: iterations,
    };
    match operation {
        Operation::NullCall => per_iteration(timed(iterations, |_| {
            // SAFETY: a system call without arguments.
            std::hint::black_box(unsafe { libc::getppid() });
        })),
        Operation::KernelNullCall => per_iteration(timed(iterations, |_| {
            // An unknown system-call number: entry, the range check, ENOSYS, return.
            // SAFETY: no arguments; the kernel refuses the number.
            std::hint::black_box(unsafe { libc::syscall(100_000) });
        })),
        Operation::ClockGettime => {
            let mut time = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            per_iteration(timed(iterations, |_| {
                // SAFETY: `time` is a valid timespec to write (musl uses the vDSO).
                unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut time) };
                std::hint::black_box(&time);
            }))
        }
        Operation::OpenClose | Operation::Stat | Operation::Read4k | Operation::Write4k => {
            file_operation(operation, iterations)
        }
        Operation::PipeRoundTrip => byte_ping_pong(iterations, Channel::Pipes),
        Operation::UnixRoundTrip => byte_ping_pong(iterations, Channel::UnixSocket),
        Operation::ContextSwitch => context_switch(iterations),
        Operation::ThreadSwitch => thread_switch(iterations),
        Operation::ForkExit => fork_and_wait(iterations, ChildAction::Exit),
        Operation::ForkExec => fork_and_wait(iterations, ChildAction::Exec),
        Operation::Spawn => posix_spawn_and_wait(iterations),
        Operation::PageFaultAnon => page_faults(iterations, false),
        Operation::PageFaultCow => page_faults(iterations, true),
        Operation::SignalDelivery => signal_delivery(iterations),
        Operation::MmapMunmap => per_iteration(timed(iterations, |_| {
            let page = map_anonymous(PAGE_SIZE, libc::MAP_PRIVATE);
            // SAFETY: unmapping the page just mapped.
            unsafe { libc::munmap(page.cast(), PAGE_SIZE) };
        })),
        Operation::IpcRoundTrip => futex_ping_pong(iterations),
        Operation::NotificationRoundTrip => eventfd_ping_pong(iterations),
    }
}

fn file_operation(operation: Operation, iterations: u64) -> Measurement {
    let contents = [0x5a_u8; PAGE_SIZE];
    if std::fs::write(FILE_PATH, contents).is_err() {
        return Measurement::Failed("could not create the file");
    }
    let path = CString::new(FILE_PATH).unwrap_or_default();
    // SAFETY: `path` is NUL-terminated and outlives the call.
    let descriptor = unsafe { libc::open(path.as_ptr(), libc::O_RDWR) };
    if descriptor < 0 {
        return Measurement::Failed("could not open the file");
    }
    let mut buffer = [0_u8; PAGE_SIZE];
    let cycles = match operation {
        // SAFETY: `path` is NUL-terminated; the descriptor opened is closed at once.
        Operation::OpenClose => timed(iterations, |_| unsafe {
            let opened = libc::open(path.as_ptr(), libc::O_RDONLY);
            libc::close(opened);
        }),
        Operation::Stat => timed(iterations, |_| {
            let mut status = std::mem::MaybeUninit::<libc::stat>::uninit();
            // SAFETY: `path` is NUL-terminated and `status` has room for a `stat`.
            unsafe { libc::stat(path.as_ptr(), status.as_mut_ptr()) };
            std::hint::black_box(&status);
        }),
        // SAFETY: `buffer` is ours and holds PAGE_SIZE bytes; `descriptor` is open.
        Operation::Read4k => timed(iterations, |_| unsafe {
            libc::pread(descriptor, buffer.as_mut_ptr().cast(), PAGE_SIZE, 0);
        }),
        // SAFETY: `contents` holds PAGE_SIZE bytes; `descriptor` is open.
        _ => timed(iterations, |_| unsafe {
            libc::pwrite(descriptor, contents.as_ptr().cast(), PAGE_SIZE, 0);
        }),
    };
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(descriptor) };
    std::hint::black_box(&buffer);
    Measurement::Cycles {
        kernel_calls: None,
        cycles,
        operations: iterations,
    }
}

/// Forks; the child runs `child` and exits with its status. Returns the child's process ID.
fn fork_child(child: impl FnOnce() -> i32) -> Option<libc::pid_t> {
    // SAFETY: this program is single-threaded whenever it forks (the thread measurement joins
    // its thread), so the child may run arbitrary code.
    let process = unsafe { libc::fork() };
    if process == 0 {
        let status = child();
        // SAFETY: ending the child without running the parent's exit handlers.
        unsafe { libc::_exit(status) };
    }
    (process > 0).then_some(process)
}

fn wait_for(process: libc::pid_t) -> Option<i32> {
    let mut status = 0;
    // SAFETY: `status` is ours to write.
    let waited = unsafe { libc::waitpid(process, &mut status, 0) };
    (waited == process).then_some(status)
}

fn kill_and_wait(process: libc::pid_t) {
    // SAFETY: signalling our own child.
    unsafe { libc::kill(process, libc::SIGKILL) };
    let _ = wait_for(process);
}

/// Which file-descriptor channel a byte ping-pong uses.
#[derive(Clone, Copy)]
enum Channel {
    /// Two pipes, one per direction.
    Pipes,
    /// One `AF_UNIX` stream socket pair.
    UnixSocket,
}

/// One byte to a child process and one byte back, per iteration.
fn byte_ping_pong(iterations: u64, channel: Channel) -> Measurement {
    // [parent reads, parent writes, child reads, child writes]
    let (created, ends) = match channel {
        Channel::Pipes => {
            let (mut to_child, mut to_parent) = ([0; 2], [0; 2]);
            // SAFETY: each array has room for the two descriptors `pipe` writes.
            let ok = unsafe {
                libc::pipe(to_child.as_mut_ptr()) == 0 && libc::pipe(to_parent.as_mut_ptr()) == 0
            };
            (ok, [to_parent[0], to_child[1], to_child[0], to_parent[1]])
        }
        Channel::UnixSocket => {
            let mut pair = [0; 2];
            // SAFETY: `pair` has room for the two descriptors.
            let ok = unsafe {
                libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, pair.as_mut_ptr()) == 0
            };
            (ok, [pair[0], pair[0], pair[1], pair[1]])
        }
    };
    if !created {
        return Measurement::Failed("could not create the channel");
    }
    let Some(child) = fork_child(|| {
        let mut byte = [0_u8; 1];
        loop {
            // SAFETY: one byte into and out of our own buffer on open descriptors.
            unsafe {
                if libc::read(ends[2], byte.as_mut_ptr().cast(), 1) != 1 {
                    return 0;
                }
                libc::write(ends[3], byte.as_ptr().cast(), 1);
            }
        }
    }) else {
        return Measurement::Failed("fork failed");
    };
    let mut byte = [0_u8; 1];
    let mut wrong = false;
    let cycles = timed(iterations, |_| {
        // SAFETY: as in the child.
        unsafe {
            libc::write(ends[1], byte.as_ptr().cast(), 1);
            if libc::read(ends[0], byte.as_mut_ptr().cast(), 1) != 1 {
                wrong = true;
            }
        }
    });
    kill_and_wait(child);
    for end in ends {
        // SAFETY: closing our descriptors (a double close of a socket end fails harmlessly).
        unsafe { libc::close(end) };
    }
    if wrong {
        return Measurement::Failed("a byte went missing");
    }
    Measurement::Cycles {
        kernel_calls: None,
        cycles,
        operations: iterations,
    }
}

/// Runs `body` with this process scheduled first-in-first-out at priority 1, which its children
/// and threads inherit, then returns it to the normal policy. Under the normal (fair) policy
/// `sched_yield` need not switch to the other task at all; under FIFO it always moves the caller
/// behind the other runnable task of its priority, as this system's round-robin `Yield` does.
fn with_fifo_scheduling<T>(body: impl FnOnce() -> T) -> T {
    let set = |policy: libc::c_int, priority: libc::c_int| {
        // SAFETY: the kernel's `struct sched_param` is one `int`, and `priority` outlives the
        // call. (musl's wrapper refuses this per-process call, so it is made directly.)
        unsafe { libc::syscall(libc::SYS_sched_setscheduler, 0, policy, &raw const priority) }
    };
    set(libc::SCHED_FIFO, 1);
    let result = body();
    set(libc::SCHED_OTHER, 0);
    result
}

/// Two processes calling `sched_yield` in turn: two switches per `sched_yield` of ours. The
/// helper counts its turns in a shared page, which shows the switches happened.
fn context_switch(iterations: u64) -> Measurement {
    let page = map_anonymous(PAGE_SIZE, libc::MAP_SHARED);
    if page as isize == -1 {
        return Measurement::Failed("mmap failed");
    }
    // SAFETY: the page is mapped, zeroed, aligned and shared with the child for its lifetime.
    let turns: &AtomicU64 = unsafe { AtomicU64::from_ptr(page.cast()) };
    let measured = with_fifo_scheduling(|| {
        let child = fork_child(|| {
            loop {
                turns.fetch_add(1, Ordering::Relaxed);
                // SAFETY: a system call without arguments.
                unsafe { libc::sched_yield() };
            }
        })?;
        // SAFETY: a system call without arguments.
        let cycles = timed(iterations, |_| unsafe {
            libc::sched_yield();
        });
        let counted = turns.load(Ordering::Relaxed);
        kill_and_wait(child);
        Some((cycles, counted))
    });
    // SAFETY: unmapping our page; the child is gone.
    unsafe { libc::munmap(page.cast(), PAGE_SIZE) };
    match measured {
        None => Measurement::Failed("fork failed"),
        Some((_, counted)) if counted < iterations => {
            Measurement::Failed("the helper process did not run between our yields")
        }
        Some((cycles, _)) => Measurement::Cycles {
            kernel_calls: None,
            cycles,
            operations: 2 * iterations,
        },
    }
}

/// Two threads of this process calling `sched_yield` in turn; the helper counts its turns to
/// show the switches happened.
fn thread_switch(iterations: u64) -> Measurement {
    static STOP: AtomicBool = AtomicBool::new(false);
    static TURNS: AtomicU64 = AtomicU64::new(0);
    STOP.store(false, Ordering::Relaxed);
    let (cycles, turns) = with_fifo_scheduling(|| {
        let helper = std::thread::spawn(|| {
            while !STOP.load(Ordering::Relaxed) {
                TURNS.fetch_add(1, Ordering::Relaxed);
                // SAFETY: a system call without arguments.
                unsafe { libc::sched_yield() };
            }
        });
        // Let the helper start before timing.
        while TURNS.load(Ordering::Relaxed) == 0 {
            // SAFETY: a system call without arguments.
            unsafe { libc::sched_yield() };
        }
        let before = TURNS.load(Ordering::Relaxed);
        // SAFETY: a system call without arguments.
        let cycles = timed(iterations, |_| unsafe {
            libc::sched_yield();
        });
        let turns = TURNS.load(Ordering::Relaxed) - before;
        STOP.store(true, Ordering::Relaxed);
        let _ = helper.join();
        (cycles, turns)
    });
    if turns < iterations {
        return Measurement::Failed("the helper thread did not run between our yields");
    }
    Measurement::Cycles {
        kernel_calls: None,
        cycles,
        operations: 2 * iterations,
    }
}

#[derive(Clone, Copy)]
enum ChildAction {
    Exit,
    Exec,
}

/// The path and `exit` arguments for starting this program again.
fn self_command() -> (CString, [CString; 2]) {
    let path = std::env::args()
        .next()
        .unwrap_or_else(|| "/init".to_string());
    let path = CString::new(path).unwrap_or_default();
    let exit = CString::new("exit").unwrap_or_default();
    (path.clone(), [path, exit])
}

fn fork_and_wait(iterations: u64, action: ChildAction) -> Measurement {
    let (path, arguments) = self_command();
    let argument_pointers = [
        arguments[0].as_ptr(),
        arguments[1].as_ptr(),
        std::ptr::null(),
    ];
    let environment = [std::ptr::null()];
    let mut failure = None;
    let cycles = timed(iterations, |_| {
        let child = fork_child(|| match action {
            ChildAction::Exit => 0,
            ChildAction::Exec => {
                // SAFETY: NUL-terminated strings and NULL-terminated arrays that outlive the
                // call (it replaces this process on success).
                unsafe {
                    libc::execve(
                        path.as_ptr(),
                        argument_pointers.as_ptr(),
                        environment.as_ptr(),
                    )
                };
                127
            }
        });
        match child.and_then(wait_for) {
            Some(0) => {}
            _ => failure = Some("the child did not exit with status 0"),
        }
    });
    failure.map_or(
        Measurement::Cycles {
            kernel_calls: None,
            cycles,
            operations: iterations,
        },
        Measurement::Failed,
    )
}

fn posix_spawn_and_wait(iterations: u64) -> Measurement {
    let (path, arguments) = self_command();
    let mut argument_pointers = [
        arguments[0].as_ptr().cast_mut(),
        arguments[1].as_ptr().cast_mut(),
        std::ptr::null_mut(),
    ];
    let mut environment = [std::ptr::null_mut()];
    let mut failure = None;
    let cycles = timed(iterations, |_| {
        let mut process = 0;
        // SAFETY: NUL-terminated strings and NULL-terminated arrays that outlive the call;
        // `process` is ours to write; no file actions or attributes.
        let started = unsafe {
            libc::posix_spawn(
                &mut process,
                path.as_ptr(),
                std::ptr::null(),
                std::ptr::null(),
                argument_pointers.as_mut_ptr(),
                environment.as_mut_ptr(),
            )
        };
        if started != 0 || wait_for(process) != Some(0) {
            failure = Some("the spawned program did not exit with status 0");
        }
    });
    failure.map_or(
        Measurement::Cycles {
            kernel_calls: None,
            cycles,
            operations: iterations,
        },
        Measurement::Failed,
    )
}

fn map_anonymous(length: usize, sharing: libc::c_int) -> *mut u8 {
    // SAFETY: a fresh anonymous mapping chosen by the kernel; nothing else is touched.
    unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            length,
            libc::PROT_READ | libc::PROT_WRITE,
            sharing | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
        .cast()
    }
}

/// First touches of fresh anonymous pages (`copy_on_write` false), or first writes to pages
/// shared copy-on-write with a forked child that waits meanwhile. Only the touches are timed,
/// in rounds of [`FAULT_PAGES`] pages.
fn page_faults(iterations: u64, copy_on_write: bool) -> Measurement {
    let rounds = iterations.div_ceil(FAULT_PAGES as u64);
    let mut total = 0;
    for _ in 0..rounds {
        let length = FAULT_PAGES * PAGE_SIZE;
        let area = map_anonymous(length, libc::MAP_PRIVATE);
        if area as isize == -1 {
            return Measurement::Failed("mmap failed");
        }
        let touch = |page: usize, value: u8| {
            // SAFETY: `page` is below FAULT_PAGES, inside the mapping.
            unsafe { area.add(page * PAGE_SIZE).write_volatile(value) };
        };
        let mut child = None;
        if copy_on_write {
            (0..FAULT_PAGES).for_each(|page| touch(page, 1));
            let mut release = [0; 2];
            // SAFETY: `release` has room for two descriptors.
            if unsafe { libc::pipe(release.as_mut_ptr()) } != 0 {
                return Measurement::Failed("pipe failed");
            }
            child = fork_child(|| {
                let mut byte = 0_u8;
                // SAFETY: blocks until the parent has finished writing, then ends.
                unsafe { libc::read(release[0], (&raw mut byte).cast(), 1) };
                0
            })
            .map(|process| (process, release));
            if child.is_none() {
                return Measurement::Failed("fork failed");
            }
        }
        let start = cycles();
        (0..FAULT_PAGES).for_each(|page| touch(page, 2));
        total += cycles() - start;
        if let Some((process, release)) = child {
            // SAFETY: one byte from our own variable to our pipe, then closing its ends.
            unsafe {
                libc::write(release[1], [0_u8].as_ptr().cast(), 1);
                libc::close(release[0]);
                libc::close(release[1]);
            }
            let _ = wait_for(process);
        }
        // SAFETY: unmapping the area mapped above.
        unsafe { libc::munmap(area.cast(), length) };
    }
    Measurement::Cycles {
        kernel_calls: None,
        cycles: total,
        operations: rounds * FAULT_PAGES as u64,
    }
}

static SIGNALS_HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_signal(_: libc::c_int) {
    SIGNALS_HANDLED.fetch_add(1, Ordering::Relaxed);
}

/// `kill(getpid(), SIGUSR1)` with a handler installed: delivery, the handler, `rt_sigreturn`.
fn signal_delivery(iterations: u64) -> Measurement {
    // SAFETY: a zeroed sigaction is valid; the handler only touches an atomic, which is
    // async-signal-safe; `action` outlives the call.
    let installed = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = count_signal as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut()) == 0
    };
    if !installed {
        return Measurement::Failed("sigaction failed");
    }
    // SAFETY: a system call without pointer arguments.
    let process = unsafe { libc::getpid() };
    let before = SIGNALS_HANDLED.load(Ordering::Relaxed);
    // SAFETY: signalling ourselves with a handled signal.
    let cycles = timed(iterations, |_| unsafe {
        libc::kill(process, libc::SIGUSR1);
    });
    if SIGNALS_HANDLED.load(Ordering::Relaxed) - before < iterations {
        return Measurement::Failed("not every signal reached the handler");
    }
    Measurement::Cycles {
        kernel_calls: None,
        cycles,
        operations: iterations,
    }
}

fn futex(word: &AtomicU32, operation: libc::c_int, value: u32) {
    // SAFETY: `word` is a valid, aligned 32-bit word in a shared mapping; no timeout.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            operation,
            value,
            std::ptr::null::<libc::timespec>(),
        );
    }
}

/// A futex ping-pong between two processes over a shared page: the nearest Linux analog of a
/// register-only IPC call and reply between two address spaces.
fn futex_ping_pong(iterations: u64) -> Measurement {
    const PARENT_TURN: u32 = 0;
    const CHILD_TURN: u32 = 1;
    const STOP: u32 = 2;
    let page = map_anonymous(PAGE_SIZE, libc::MAP_SHARED);
    if page as isize == -1 {
        return Measurement::Failed("mmap failed");
    }
    // SAFETY: the page is mapped, zeroed, aligned and shared with the child for its lifetime.
    let turn: &AtomicU32 = unsafe { AtomicU32::from_ptr(page.cast()) };
    let Some(child) = fork_child(|| {
        loop {
            match turn.load(Ordering::Acquire) {
                PARENT_TURN => futex(turn, libc::FUTEX_WAIT, PARENT_TURN),
                CHILD_TURN => {
                    turn.store(PARENT_TURN, Ordering::Release);
                    futex(turn, libc::FUTEX_WAKE, 1);
                }
                _ => return 0,
            }
        }
    }) else {
        return Measurement::Failed("fork failed");
    };
    let cycles = timed(iterations, |_| {
        turn.store(CHILD_TURN, Ordering::Release);
        futex(turn, libc::FUTEX_WAKE, 1);
        while turn.load(Ordering::Acquire) == CHILD_TURN {
            futex(turn, libc::FUTEX_WAIT, CHILD_TURN);
        }
    });
    turn.store(STOP, Ordering::Release);
    futex(turn, libc::FUTEX_WAKE, 1);
    let _ = wait_for(child);
    // SAFETY: unmapping our page; nothing refers to it any more.
    unsafe { libc::munmap(page.cast(), PAGE_SIZE) };
    Measurement::Cycles {
        kernel_calls: None,
        cycles,
        operations: iterations,
    }
}

/// An eventfd ping-pong between two processes: the nearest Linux analog of a notification
/// round trip between two address spaces.
fn eventfd_ping_pong(iterations: u64) -> Measurement {
    // SAFETY: creating two descriptors.
    let (ping, pong) = unsafe { (libc::eventfd(0, 0), libc::eventfd(0, 0)) };
    if ping < 0 || pong < 0 {
        return Measurement::Failed("eventfd failed");
    }
    let signal = |descriptor: libc::c_int, value: u64| {
        // SAFETY: eight bytes from our own variable to an eventfd.
        unsafe { libc::write(descriptor, (&raw const value).cast(), 8) };
    };
    let wait = |descriptor: libc::c_int| {
        let mut value = 0_u64;
        // SAFETY: eight bytes into our own variable from an eventfd.
        unsafe { libc::read(descriptor, (&raw mut value).cast(), 8) };
        value
    };
    let Some(child) = fork_child(|| {
        loop {
            if wait(ping) != 1 {
                return 0;
            }
            signal(pong, 1);
        }
    }) else {
        return Measurement::Failed("fork failed");
    };
    let mut wrong = false;
    let cycles = timed(iterations, |_| {
        signal(ping, 1);
        wrong |= wait(pong) != 1;
    });
    signal(ping, 2);
    let _ = wait_for(child);
    // SAFETY: closing our descriptors.
    unsafe {
        libc::close(ping);
        libc::close(pong);
    }
    if wrong {
        return Measurement::Failed("an event went missing");
    }
    Measurement::Cycles {
        kernel_calls: None,
        cycles,
        operations: iterations,
    }
}
