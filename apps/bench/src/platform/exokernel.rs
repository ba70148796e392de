//! This system's side: the operations the LibOS can do today, through its typed kernel calls,
//! and an honest "not yet" naming the issue for the rest.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use libos::abi::{Call, ExceptionFrame, OptionalSlot, Slot, UserAddress, initial};
use libos::kernel::{call, exit};
use libos::process::{Child, Ending, spawn, spawn_thread};
use libos::slots;

use super::Measurement;
use crate::operation::Operation;
use crate::suite::{Timing, timed_counting};

/// Where the helper processes find the capabilities the measurement grants them.
const HELPER_ENDPOINT: Slot = Slot(10);
const HELPER_PING: Slot = Slot(11);
const HELPER_PONG: Slot = Slot(12);
const HELPER_TURN_PAGE: Slot = Slot(13);
/// Where the spawn building blocks map a heap-sized area for a moment.
const HEAP_PROBE: u64 = 0x0000_6300_0000_0000;
/// Where the context-switch measurement and its helper both map their shared page.
const TURN_PAGE: u64 = 0x0000_6200_0000_0000;
/// The word that tells a helper to stop.
const STOP: u64 = u64::MAX;
/// This program in the initramfs, for the helpers it starts.
const SELF_PATH: &str = "/bin/bench";

/// Reads the timestamp counter.
pub fn cycles() -> u64 {
    // SAFETY: `rdtsc` only reads the timestamp counter (ring 3 may use it on this kernel).
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The kernel calls this process has made so far.
pub fn kernel_calls() -> Option<u64> {
    Some(libos::kernel::calls_made())
}

/// Prints one line on the console.
pub fn print_line(arguments: core::fmt::Arguments<'_>) {
    libos::println!("{arguments}");
}

/// Prints `bench-detail NAME cycles=… operations=… [kernel_calls=…]`: a piece of an operation
/// (`OPERATION/PHASE`), measured like one.
fn detail(name: &str, timing: Timing, operations: u64) {
    match timing.kernel_calls {
        Some(calls) => print_line(format_args!(
            "bench-detail {name} cycles={} operations={operations} kernel_calls={calls}",
            timing.cycles
        )),
        None => print_line(format_args!(
            "bench-detail {name} cycles={} operations={operations}",
            timing.cycles
        )),
    }
}

/// Prints `bench-count NAME count=… operations=…`: something counted (not timed) over
/// `operations` operations, such as frames allocated.
fn count(name: &str, total: u64, operations: u64) {
    print_line(format_args!(
        "bench-count {name} count={total} operations={operations}"
    ));
}

/// The free physical frames of the whole machine (`MemoryStatus` word 1): read before and after
/// a piece of work, outside any timed stretch, it counts the frames the work allocated (each one
/// zeroed or filled by the kernel).
fn free_frames() -> Option<u64> {
    call(Call::MemoryStatus {
        quota: initial::MEMORY_QUOTA,
    })
    .ok()
    .map(|status| status[1])
}

/// Prints where the boot's time went, from the timestamp counter `program_started` read on
/// entering `main`: `boot/machine_start_to_kernel_clock` (the counter when the kernel started its
/// clock, from the time page) and `boot/kernel_clock_to_program` (from there to this program's
/// `main`: the rest of the kernel's start-up, `init`, and starting this program). Under TCG the
/// guest's counter starts at 0 when QEMU starts the virtual machine (QEMU's `cpu_get_ticks`
/// counts host ticks from then), so the first figure is the time from the machine's start.
pub fn report_boot(program_started: u64) {
    if !libos::clock::has_time_page() {
        return;
    }
    // SAFETY: the time page is mapped read-only at this address for the program's life (checked
    // just above); a volatile read of a `repr(C)` struct of `u64`s.
    let page = unsafe {
        core::ptr::read_volatile(libos::clock::TIME_PAGE_ADDRESS as *const libos::abi::TimePage)
    };
    let single = |cycles| Timing {
        cycles,
        kernel_calls: None,
    };
    detail(
        "boot/machine_start_to_kernel_clock",
        single(page.boot_timestamp),
        1,
    );
    detail(
        "boot/kernel_clock_to_program",
        single(program_started.saturating_sub(page.boot_timestamp)),
        1,
    );
}

/// Runs a helper mode (`exit`, `exit-stamped`, `yield-forever`, `ipc-server`,
/// `notification-server`) and returns its exit status, or `None` when the words name no helper.
pub fn run_helper(words: &[&str]) -> Option<i32> {
    match words.first().copied()? {
        "exit" => Some(0),
        "exit-stamped" => Some(exit_stamped()),
        "yield-forever" => Some(yield_forever()),
        "ipc-server" => Some(ipc_server()),
        "notification-server" => Some(notification_server()),
        "fork-measure" => Some(fork_measure(
            words.get(1).copied().unwrap_or("exit"),
            words.get(2).and_then(|word| word.parse().ok()).unwrap_or(2),
        )),
        _ => None,
    }
}

/// Measures one operation `iterations` times.
pub fn measure(operation: Operation, iterations: u64) -> Measurement {
    match operation {
        Operation::NullCall => null_call(iterations),
        Operation::ClockGettime => clock_gettime(iterations),
        Operation::OpenClose | Operation::Stat | Operation::Read4k | Operation::Write4k => {
            file_operation(operation, iterations)
        }
        // The operations that fork run in a spawned helper: a process that forked keeps
        // copy-on-write pages and handler, which later measurements must not inherit.
        Operation::PipeRoundTrip => fork_in_helper(iterations, "pipe"),
        Operation::UnixRoundTrip => fork_in_helper(iterations, "unix"),
        Operation::ContextSwitch => context_switch(iterations),
        Operation::ThreadSwitch => thread_switch(iterations),
        Operation::ForkExit => fork_in_helper(iterations, "exit"),
        // In this process (a spawned helper's forked child has too little quota to exec this
        // program): the last operation of the suite, as it leaves our pages copy-on-write.
        Operation::ForkExec => fork_and_wait(iterations, true),
        Operation::Spawn => spawn_and_wait(iterations),
        Operation::PageFaultAnon => page_fault_anon(iterations),
        Operation::MmapMunmap => mmap_munmap(iterations),
        Operation::PageFaultCow => page_fault_cow_in_helpers(iterations),
        Operation::SignalDelivery => signal_delivery(iterations),
        Operation::KernelNullCall => kernel_null_call(iterations),
        Operation::IpcRoundTrip => ipc_round_trip(iterations),
        Operation::NotificationRoundTrip => notification_round_trip(iterations),
    }
}

/// `getppid` as this system's LibOS does it (`libos::process::identity::getppid`): the parent's
/// pid from the LibOS's cache, kept true by the process server's reparent epoch (a word in a
/// page it writes and every process may read): two loads and a compare, no kernel entry.
fn null_call(iterations: u64) -> Measurement {
    if libos::process::identity::getppid().is_err() {
        return Measurement::Failed("not registered with the process server: no getppid");
    }
    let timing = timed_counting(iterations, |_| {
        core::hint::black_box(libos::process::identity::getppid().ok());
    });
    measured(timing, iterations)
}

/// The file operations on a 4 KiB file of the shared root, as the Linux side does them:
/// `open`+`close` and `stat` ask the file server (one IPC each); `pread64` and `pwrite64` copy
/// on the file's frames mapped in this process (no kernel entry once mapped).
fn file_operation(operation: Operation, iterations: u64) -> Measurement {
    use libposix_sys::fcntl::{O_CREAT, O_RDONLY, O_RDWR, O_TRUNC};
    const PATH: &str = "/bench-file";
    let contents = [0x5a_u8; 4096];
    let Ok(descriptor) = libos::fs::open(PATH, O_RDWR | O_CREAT | O_TRUNC, 0o644) else {
        return Measurement::Failed("could not create the file");
    };
    if libos::io::descriptors::pwrite64(descriptor, &contents, 0) != Ok(contents.len()) {
        return Measurement::Failed("could not write the file");
    }
    let mut buffer = [0_u8; 4096];
    let timing = match operation {
        Operation::OpenClose => timed_counting(iterations, |_| {
            if let Ok(opened) = libos::fs::open(PATH, O_RDONLY, 0) {
                let _ = libos::io::descriptors::close(opened);
            }
        }),
        Operation::Stat => timed_counting(iterations, |_| {
            core::hint::black_box(libos::fs::stat(PATH).ok());
        }),
        Operation::Read4k => timed_counting(iterations, |_| {
            let _ = libos::io::descriptors::pread64(descriptor, &mut buffer, 0);
        }),
        _ => timed_counting(iterations, |_| {
            let _ = libos::io::descriptors::pwrite64(descriptor, &contents, 0);
        }),
    };
    let _ = libos::io::descriptors::close(descriptor);
    core::hint::black_box(&buffer);
    if buffer.iter().any(|&byte| byte != 0x5a) && operation == Operation::Read4k {
        return Measurement::Failed("read back the wrong bytes");
    }
    measured(timing, iterations)
}

/// `clock_gettime(CLOCK_MONOTONIC)` as this system's LibOS does it: `libos::clock::clock_monotonic`
/// reads the kernel's read-only time page and the timestamp counter, with no kernel entry (as
/// Linux's vDSO does). Also prints `clock_gettime/rdtsc`: a bare `rdtsc`, which TCG emulates with
/// a call into QEMU, the part of the work this program cannot avoid.
fn clock_gettime(iterations: u64) -> Measurement {
    if !libos::clock::has_time_page() {
        return Measurement::Failed(
            "this program has no time page, so the clock needs a kernel call",
        );
    }
    let timing = timed_counting(iterations, |_| {
        core::hint::black_box(libos::clock::clock_monotonic());
    });
    let rdtsc = timed_counting(iterations, |_| {
        core::hint::black_box(cycles());
    });
    detail("clock_gettime/rdtsc", rdtsc, iterations);
    measured(timing, iterations)
}

/// A bare `syscall` with `number` and no arguments, without the LibOS's wrapper (no encoding, no
/// call counter): the kernel's entry, dispatch and return alone. Returns the status.
fn bare_system_call(number: u64) -> u64 {
    let status: u64;
    // SAFETY: `syscall` enters the kernel, which preserves every register except `rax`, `rcx`,
    // `r11` and the six result registers declared clobbered here; with zero arguments the calls
    // made here (`ClockRead`, an unknown number) touch no memory of ours.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") number => status,
            inlateout("rdi") 0_u64 => _,
            inlateout("rsi") 0_u64 => _,
            inlateout("rdx") 0_u64 => _,
            inlateout("r10") 0_u64 => _,
            inlateout("r8") 0_u64 => _,
            inlateout("r9") 0_u64 => _,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    status
}

/// A call number the kernel does not know (it answers `UnknownCall` after its decode step).
const UNKNOWN_CALL_NUMBER: u64 = 0xFFFF;

/// The cheapest kernel entry: `ClockRead`, which takes no capability and returns two words
/// (cheaper here than a call refused after a capability lookup, which was tried too) — the analog
/// of Linux's path for an unknown system-call number. Also prints where its time goes:
/// `kernel_null_call/bare_clock_read`, the same call as a bare `syscall` without the LibOS's
/// wrapper, and `kernel_null_call/bare_unknown_number`, a bare `syscall` the kernel refuses at
/// decoding (Linux's `ENOSYS` path exactly).
fn kernel_null_call(iterations: u64) -> Measurement {
    let timing = timed_counting(iterations, |_| {
        let _ = core::hint::black_box(call(Call::ClockRead {}));
    });
    let clock_read = Call::ClockRead {}.encode().number;
    let bare = timed_counting(iterations, |_| {
        core::hint::black_box(bare_system_call(clock_read));
    });
    // The bare calls bypass the LibOS's counter: no count to show.
    let uncounted = |timing: Timing| Timing {
        kernel_calls: None,
        ..timing
    };
    detail(
        "kernel_null_call/bare_clock_read",
        uncounted(bare),
        iterations,
    );
    let mut refused = true;
    let unknown = timed_counting(iterations, |_| {
        refused &= bare_system_call(UNKNOWN_CALL_NUMBER) != 0;
    });
    if refused {
        detail(
            "kernel_null_call/bare_unknown_number",
            uncounted(unknown),
            iterations,
        );
    }
    measured(timing, iterations)
}

/// A measurement of `operations` operations from a timed loop.
fn measured(timing: Timing, operations: u64) -> Measurement {
    Measurement::Cycles {
        cycles: timing.cycles,
        operations,
        kernel_calls: timing.kernel_calls,
    }
}

/// `libos::process::spawn` of this program in its `exit` mode from the initramfs (a fresh
/// address space, ELF loading, its stack and capabilities), waiting for its exit notification,
/// and reaping it (one revoke returns its memory). Also prints where the time goes:
/// `bench-detail spawn/start|wait|reap cycles=… operations=… kernel_calls=…` for the three phases
/// (`wait` is the child's whole run, from its first instruction to its exit, plus the switches;
/// its kernel calls are the parent's only), then [`spawn_accounting`] and
/// [`start_building_blocks`].
fn spawn_and_wait(iterations: u64) -> Measurement {
    let mut failure = None;
    let mut phases = [Timing {
        cycles: 0,
        kernel_calls: Some(0),
    }; 3];
    let mut calls = 0;
    let mut add = |phase: usize, cycles: u64, kernel_calls: u64| {
        phases[phase].cycles += cycles;
        phases[phase].kernel_calls = phases[phase].kernel_calls.map(|sum| sum + kernel_calls);
    };
    let timing = timed_counting(iterations, |_| {
        calls += 1;
        let calls_at_start = libos::kernel::calls_made();
        let start = cycles();
        match spawn(SELF_PATH, "/bin/bench exit", &[]) {
            Ok(child) => {
                let started = cycles();
                let calls_started = libos::kernel::calls_made();
                if !matches!(child.wait(0), Ok(Ending::Exited(0))) {
                    failure = Some("the spawned program did not exit with status 0");
                }
                let ended = cycles();
                let calls_ended = libos::kernel::calls_made();
                child.reap();
                let reaped = cycles();
                let calls_reaped = libos::kernel::calls_made();
                add(0, started - start, calls_started - calls_at_start);
                add(1, ended - started, calls_ended - calls_started);
                add(2, reaped - ended, calls_reaped - calls_ended);
            }
            Err(_) => failure = Some("spawn failed"),
        }
    });
    if let Some(reason) = failure {
        return Measurement::Failed(reason);
    }
    for (name, phase) in ["start", "wait", "reap"].iter().zip(phases) {
        detail(&alloc::format!("spawn/{name}"), phase, calls);
    }
    spawn_accounting();
    start_building_blocks();
    measured(timing, iterations)
}

/// `fork_exit`/`fork_exec`/`unix_round_trip` (`mode` `exit`, `exec`, `unix`) measured in a
/// spawned copy of this program (`fork-measure`), which
/// writes its figures into a page we share: a process that forked keeps copy-on-write pages and
/// its copy-on-write exception handler, which the later measurements (that install exception
/// handlers of their own) must not inherit.
fn fork_in_helper(iterations: u64, mode: &str) -> Measurement {
    let Ok(page) = libos::memory::allocate_and_map(initial::MEMORY_QUOTA, TURN_PAGE, 1, true)
    else {
        return Measurement::Failed("no page for the helper's figures");
    };
    let figures = figure_words();
    for word in figures {
        word.store(0, Ordering::Relaxed);
    }
    let command = alloc::format!("/bin/bench fork-measure {mode} {iterations}");
    let outcome = match spawn(SELF_PATH, &command, &[(page, HELPER_TURN_PAGE)]) {
        Ok(child) => {
            let ending = child.wait(0);
            child.reap();
            match (ending, figures[0].load(Ordering::Relaxed)) {
                (Ok(Ending::Exited(0)), 1) => Measurement::Cycles {
                    cycles: figures[1].load(Ordering::Relaxed),
                    operations: figures[2].load(Ordering::Relaxed),
                    kernel_calls: Some(figures[3].load(Ordering::Relaxed)),
                },
                (Ok(Ending::Exited(0)), 2) => Measurement::Failed("fork or its child failed"),
                _ => Measurement::Failed("the fork-measuring helper failed"),
            }
        }
        Err(_) => Measurement::Failed("spawn of the fork-measuring helper failed"),
    };
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, TURN_PAGE, 1);
    let _ = call(Call::CapabilityDelete { slot: page });
    slots::free(page);
    outcome
}

/// The four words `fork-measure` writes at [`TURN_PAGE`]: a state (1 measured, 2 failed), then
/// cycles, operations and kernel calls.
fn figure_words() -> &'static [AtomicU64; 4] {
    // SAFETY: callers map a page at TURN_PAGE first and keep it mapped while they use the words;
    // the page is aligned and its first four words are only ever used as these atomics.
    unsafe { &*(TURN_PAGE as *const [AtomicU64; 4]) }
}

/// The `fork-measure` helper: measures an operation that forks — `fork_exit` (`exit`),
/// `fork_exec` (`exec`), `pipe_round_trip` (`pipe`), `unix_round_trip` (`unix`) or
/// `page_fault_cow` (`cow`) — and writes the figures into the page it was given; prints the
/// phase details itself.
fn fork_measure(mode: &str, iterations: u64) -> i32 {
    // Measured before the page is mapped: a mapping made before a fork turns copy-on-write.
    let measurement = match mode {
        "exit" => fork_and_wait(iterations, false),
        "exec" => fork_and_wait(iterations, true),
        "pipe" => pipe_round_trip(iterations),
        "unix" => unix_round_trip(iterations),
        "cow" => page_fault_cow(iterations),
        _ => return 1,
    };
    if libos::memory::map(
        initial::SELF_ADDRESS_SPACE,
        HELPER_TURN_PAGE,
        TURN_PAGE,
        0,
        1,
        libos::abi::Rights::READ | libos::abi::Rights::WRITE,
    )
    .is_err()
    {
        return 1;
    }
    let figures = figure_words();
    match measurement {
        Measurement::Cycles {
            cycles,
            operations,
            kernel_calls,
        } => {
            figures[1].store(cycles, Ordering::Relaxed);
            figures[2].store(operations, Ordering::Relaxed);
            figures[3].store(kernel_calls.unwrap_or(0), Ordering::Relaxed);
            figures[0].store(1, Ordering::Relaxed);
        }
        _ => figures[0].store(2, Ordering::Relaxed),
    }
    0
}

/// `fork_exit` (the child `_exit(0)`s at once) or `fork_exec` (the child `execve`s this program
/// in its `exit` mode), then `waitpid`. Prints `bench-detail fork_exit/fork|wait` (or
/// `fork_exec/…`): the parent's `fork` up to its return (building the child: quota, address
/// space, capability copy, mapping read-back, protection, mapping the child's memory through
/// its own capabilities) and the wait (the child's run and exit, the parent waking and
/// reaping), with the parent's kernel calls.
fn fork_and_wait(iterations: u64, exec: bool) -> Measurement {
    use libos::process::identity::{_exit, waitpid};
    if libos::process::identity::getpid().is_err() {
        return Measurement::Unavailable("needs a process server (started by init)");
    }
    let mut failure = None;
    let mut phases = [Timing {
        cycles: 0,
        kernel_calls: Some(0),
    }; 2];
    let mut calls = 0;
    let timing = timed_counting(iterations, |_| {
        calls += 1;
        let calls_at_start = libos::kernel::calls_made();
        let start = cycles();
        match libos::process::fork() {
            Ok(0) => {
                if exec {
                    let _ = libos::process::execve(SELF_PATH, &[SELF_PATH, "exit"], &[]);
                    _exit(1);
                }
                _exit(0)
            }
            Ok(pid) => {
                let forked = cycles();
                let calls_forked = libos::kernel::calls_made();
                let mut status = 0;
                if waitpid(pid, Some(&mut status), 0) != Ok(pid) || status != 0 {
                    failure = Some("the child did not exit with status 0");
                }
                let waited = cycles();
                let calls_waited = libos::kernel::calls_made();
                for (phase, (cycles, kernel_calls)) in phases.iter_mut().zip([
                    (forked - start, calls_forked - calls_at_start),
                    (waited - forked, calls_waited - calls_forked),
                ]) {
                    phase.cycles += cycles;
                    phase.kernel_calls = phase.kernel_calls.map(|sum| sum + kernel_calls);
                }
            }
            Err(_) => failure = Some("fork failed"),
        }
    });
    if let Some(reason) = failure {
        return Measurement::Failed(reason);
    }
    let name = if exec { "fork_exec" } else { "fork_exit" };
    for (phase_name, phase) in ["fork", "wait"].iter().zip(phases) {
        detail(&alloc::format!("{name}/{phase_name}"), phase, calls);
    }
    measured(timing, iterations)
}

/// The `exit-stamped` helper: records the timestamp counter and its kernel calls so far on
/// entering `main` (everything the LibOS's start-up did before), writes both into the page it was
/// given (mapped at [`TURN_PAGE`]) and exits.
fn exit_stamped() -> i32 {
    let main_reached = cycles();
    let calls_before_main = libos::kernel::calls_made();
    if libos::memory::map(
        initial::SELF_ADDRESS_SPACE,
        HELPER_TURN_PAGE,
        TURN_PAGE,
        0,
        1,
        libos::abi::Rights::READ | libos::abi::Rights::WRITE,
    )
    .is_err()
    {
        return 1;
    }
    let page = stamp_words();
    page[0].store(main_reached, Ordering::Relaxed);
    page[1].store(calls_before_main, Ordering::Relaxed);
    0
}

/// The two words `exit-stamped` writes at [`TURN_PAGE`]: its `main`'s timestamp and its kernel
/// calls before `main`.
fn stamp_words() -> &'static [AtomicU64; 2] {
    // SAFETY: callers map a page at TURN_PAGE first and keep it mapped while they use the words;
    // the page is aligned and its first two words are only ever used as these atomics.
    unsafe { &*(TURN_PAGE as *const [AtomicU64; 2]) }
}

/// Spawns (untimed by the main figure) a few children in the `exit-stamped` mode, which report
/// when their `main` began, and counts frames with `MemoryStatus` between the phases. Prints
/// `bench-detail spawn/wait.child_start_to_main` (from `spawn` returning to the child's `main`:
/// switching to it and the LibOS's start-up in it), `spawn/wait.child_main_to_parent` (the
/// child's `main`, its exit and the parent waking), and `bench-count` lines for the child's
/// kernel calls before `main` and the frames each phase allocated or freed.
fn spawn_accounting() {
    const REPETITIONS: u64 = 5;
    let Ok(page) = libos::memory::allocate_and_map(initial::MEMORY_QUOTA, TURN_PAGE, 1, true)
    else {
        return;
    };
    let words = stamp_words();
    let mut before_main = 0;
    let mut after_main = 0;
    let mut child_calls = 0;
    let mut frames = [0_u64; 3];
    let mut complete = true;
    for _ in 0..REPETITIONS {
        words[0].store(0, Ordering::Relaxed);
        let Some(free_at_start) = free_frames() else {
            complete = false;
            break;
        };
        let Ok(child) = spawn(
            SELF_PATH,
            "/bin/bench exit-stamped",
            &[(page, HELPER_TURN_PAGE)],
        ) else {
            complete = false;
            break;
        };
        let started = cycles();
        let free_started = free_frames();
        let exited = matches!(child.wait(0), Ok(Ending::Exited(0)));
        let ended = cycles();
        let free_ended = free_frames();
        child.reap();
        let free_reaped = free_frames();
        let main_reached = words[0].load(Ordering::Relaxed);
        let (Some(free_started), Some(free_ended), Some(free_reaped)) =
            (free_started, free_ended, free_reaped)
        else {
            complete = false;
            break;
        };
        if !exited || main_reached < started || main_reached > ended {
            complete = false;
            break;
        }
        before_main += main_reached - started;
        after_main += ended - main_reached;
        child_calls += words[1].load(Ordering::Relaxed);
        frames[0] += free_at_start.saturating_sub(free_started);
        frames[1] += free_started.saturating_sub(free_ended);
        frames[2] += free_reaped.saturating_sub(free_ended);
    }
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, TURN_PAGE, 1);
    release(page);
    if !complete {
        return;
    }
    let untimed_calls = |cycles| Timing {
        cycles,
        kernel_calls: None,
    };
    detail(
        "spawn/wait.child_start_to_main",
        untimed_calls(before_main),
        REPETITIONS,
    );
    detail(
        "spawn/wait.child_main_to_parent",
        untimed_calls(after_main),
        REPETITIONS,
    );
    count(
        "spawn/child.kernel_calls_before_main",
        child_calls,
        REPETITIONS,
    );
    count("spawn/start.frames_allocated", frames[0], REPETITIONS);
    count("spawn/wait.frames_allocated", frames[1], REPETITIONS);
    count("spawn/reap.frames_freed", frames[2], REPETITIONS);
}

/// Times, each on its own, pieces of what `spawn` does before the child runs, and prints them
/// as `bench-detail spawn/start.PIECE`: finding the program in the initramfs and parsing its ELF
/// headers, `AddressSpaceCreate`, `EnvironmentCreate` with the capability space a program gets
/// (`initial::SLOT_COUNT` slots), and `FrameAllocate` of its zeroed stack; and, as
/// `spawn/wait.heap_first_growth`, the child's first heap growth.
fn start_building_blocks() {
    const REPETITIONS: u64 = 10;
    let report = |piece: &str, cycles: u64| {
        print_line(format_args!(
            "bench-detail spawn/start.{piece} cycles={cycles} operations={REPETITIONS}"
        ));
    };
    let Ok(archive) = libos::process::initramfs() else {
        return;
    };
    let mut parsed = true;
    let parse = timed_exactly(REPETITIONS, || {
        let entry = initramfs::Archive::new(archive).find(SELF_PATH);
        parsed &= matches!(entry, Ok(Some(entry)) if goblin::elf::Elf::parse(entry.data).is_ok());
    });
    if parsed {
        report("find_and_parse_elf", parse);
    }
    let Some(address_space) = slots::allocate() else {
        return;
    };
    let mut created = true;
    let address_space_create = timed_exactly(REPETITIONS, || {
        created &= call(Call::AddressSpaceCreate {
            quota: initial::MEMORY_QUOTA,
            destination: address_space,
        })
        .is_ok();
        let _ = call(Call::CapabilityDelete {
            slot: address_space,
        });
    });
    if created {
        report("address_space_create", address_space_create);
    }
    let (Some(environment), Some(stack)) = (slots::allocate(), slots::allocate()) else {
        slots::free(address_space);
        return;
    };
    if call(Call::AddressSpaceCreate {
        quota: initial::MEMORY_QUOTA,
        destination: address_space,
    })
    .is_ok()
    {
        let environment_create = timed_exactly(REPETITIONS, || {
            created &= call(Call::EnvironmentCreate {
                quota: initial::MEMORY_QUOTA,
                address_space,
                destination: environment,
                slots: initial::SLOT_COUNT,
            })
            .is_ok();
            let _ = call(Call::CapabilityDelete { slot: environment });
        });
        if created {
            report("environment_create", environment_create);
        }
    }
    let stack_allocate = timed_exactly(REPETITIONS, || {
        created &= call(Call::FrameAllocate {
            quota: initial::MEMORY_QUOTA,
            destination: stack,
            pages: libos::abi::PageCount(initial::STACK_PAGES),
        })
        .is_ok();
        let _ = call(Call::CapabilityDelete { slot: stack });
    });
    if created {
        report("stack_frame_allocate", stack_allocate);
    }
    // The child's first allocation (its arguments) grows its heap by libos's step of 256 KiB:
    // one `allocate_and_map` of 64 fresh pages, part of the wait phase.
    const HEAP_STEP_PAGES: u64 = 64;
    let heap_growth = timed_exactly(REPETITIONS, || {
        match libos::memory::allocate_and_map(
            initial::MEMORY_QUOTA,
            HEAP_PROBE,
            HEAP_STEP_PAGES,
            true,
        ) {
            Ok(frame) => {
                let _ =
                    libos::memory::unmap(initial::SELF_ADDRESS_SPACE, HEAP_PROBE, HEAP_STEP_PAGES);
                release(frame);
            }
            Err(_) => created = false,
        }
    });
    if created {
        print_line(format_args!(
            "bench-detail spawn/wait.heap_first_growth cycles={heap_growth} operations={REPETITIONS}"
        ));
    }
    release(address_space);
    slots::free(environment);
    slots::free(stack);
}

/// Runs `body` `repetitions` times and returns the cycles (no warm-up: each run creates new
/// kernel objects, which is what spawn pays). Includes the untimed-in-spawn deletes, which are
/// the reap phase's and cost little beside creation.
fn timed_exactly(repetitions: u64, mut body: impl FnMut()) -> u64 {
    let start = cycles();
    for _ in 0..repetitions {
        body();
    }
    cycles() - start
}

/// Two environments in different address spaces yielding to each other: each `Yield` of ours
/// switches to the helper, whose `Yield` switches back: two switches per `Yield` of ours.
/// The helper counts its turns in a page both map, which shows the switches happened.
fn context_switch(iterations: u64) -> Measurement {
    let Ok(page) = libos::memory::allocate_and_map(initial::MEMORY_QUOTA, TURN_PAGE, 1, true)
    else {
        return Measurement::Failed("could not map the shared page");
    };
    let turns = turn_counter();
    let outcome = match spawn(
        SELF_PATH,
        "/bin/bench yield-forever",
        &[(page, HELPER_TURN_PAGE)],
    ) {
        Ok(child) => {
            // Let the helper start before timing.
            while turns.load(Ordering::Relaxed) == 0 {
                libos::kernel::yield_now();
            }
            let before = turns.load(Ordering::Relaxed);
            let timing = timed_counting(iterations, |_| libos::kernel::yield_now());
            let counted = turns.load(Ordering::Relaxed) - before;
            child.reap();
            Some((timing, counted))
        }
        Err(_) => None,
    };
    let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, TURN_PAGE, 1);
    release(page);
    match outcome {
        None => Measurement::Failed("could not start the helper"),
        Some((_, counted)) if counted < iterations => {
            Measurement::Failed("the helper process did not run between our yields")
        }
        Some((timing, _)) => measured(timing, 2 * iterations),
    }
}

/// The turn counter in the page at [`TURN_PAGE`].
fn turn_counter() -> &'static AtomicU64 {
    // SAFETY: callers map a page at TURN_PAGE first and keep it mapped while they use the
    // counter; the page is aligned and its first word is only ever used as this atomic.
    unsafe { AtomicU64::from_ptr(TURN_PAGE as *mut u64) }
}

/// The `yield-forever` helper: maps the shared page it was given and counts its turns there.
fn yield_forever() -> i32 {
    if libos::memory::map(
        initial::SELF_ADDRESS_SPACE,
        HELPER_TURN_PAGE,
        TURN_PAGE,
        0,
        1,
        libos::abi::Rights::READ | libos::abi::Rights::WRITE,
    )
    .is_err()
    {
        return 1;
    }
    let turns = turn_counter();
    loop {
        turns.fetch_add(1, Ordering::Relaxed);
        libos::kernel::yield_now();
    }
}

static THREAD_YIELDS: AtomicU64 = AtomicU64::new(0);

extern "C" fn yield_forever_thread(_: u64) -> ! {
    loop {
        THREAD_YIELDS.fetch_add(1, Ordering::Relaxed);
        libos::kernel::yield_now();
    }
}

/// Like [`context_switch`] with the helper a thread in our address space (no address-space
/// switch). The helper counts its turns, which shows the switches really happened.
fn thread_switch(iterations: u64) -> Measurement {
    let Ok(child) = spawn_thread(yield_forever_thread, 0, &[]) else {
        return Measurement::Failed("could not start the helper thread");
    };
    let before = THREAD_YIELDS.load(Ordering::Relaxed);
    let timing = timed_counting(iterations, |_| libos::kernel::yield_now());
    let turns = THREAD_YIELDS.load(Ordering::Relaxed) - before;
    child.reap();
    if turns < iterations {
        return Measurement::Failed("the helper thread did not run between our yields");
    }
    measured(timing, 2 * iterations)
}

/// A fresh slot holding a new kernel object made by `create`.
fn new_object(create: impl FnOnce(Slot) -> Call) -> Option<Slot> {
    let slot = slots::allocate()?;
    if call(create(slot)).is_ok() {
        Some(slot)
    } else {
        slots::free(slot);
        None
    }
}

fn release(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

fn finish_helper(child: Child) {
    let _ = child.wait(1_000_000_000);
    child.reap();
}

/// `IpcCall` with three words to a helper in another address space that `IpcReply`s and
/// `IpcReceive`s again: three kernel entries and two address-space switches per round.
/// One byte each way over an `AF_UNIX` stream socket pair between this process and a forked
/// child that echoes it (`libos::socket`: shared rings, a wake-up notification signalled only
/// when the other side waits).
fn unix_round_trip(iterations: u64) -> Measurement {
    use libos::io::{close, read, write};
    let Ok([ours, theirs]) = libos::socket::socketpair(1, 1, 0) else {
        return Measurement::Failed("socketpair failed");
    };
    let pid = match libos::process::fork() {
        Ok(pid) => pid,
        Err(_) => {
            let _ = close(ours);
            let _ = close(theirs);
            return Measurement::Failed("fork failed");
        }
    };
    if pid == 0 {
        let _ = close(ours);
        let mut byte = [0u8; 1];
        while read(theirs, &mut byte) == Ok(1) {
            if write(theirs, &byte) != Ok(1) {
                break;
            }
        }
        libos::process::identity::_exit(0);
    }
    let _ = close(theirs);
    let mut byte = [0u8; 1];
    let mut wrong = false;
    // One round first, so the child has started and both sides' paths are warm.
    if write(ours, b"w") != Ok(1) || read(ours, &mut byte) != Ok(1) {
        wrong = true;
    }
    let timing = timed_counting(iterations, |iteration| {
        let sent = [iteration as u8];
        if write(ours, &sent) != Ok(1) || read(ours, &mut byte) != Ok(1) || byte != sent {
            wrong = true;
        }
    });
    let _ = close(ours);
    let mut status = 0;
    let _ = libos::process::identity::waitpid(pid, Some(&mut status), 0);
    if wrong {
        return Measurement::Failed("a byte was lost or wrong");
    }
    measured(timing, iterations)
}

/// One byte to a forked child through one pipe and back through another, as the Linux side does
/// (`pipe2` twice, `fork`, `write` + `read` in both): the pipes are rings in pages both processes
/// map, so a round trip costs the kernel calls that wake the other side.
fn pipe_round_trip(iterations: u64) -> Measurement {
    use libos::io::{close, read, write};
    let (Ok(to_child), Ok(to_parent)) = (libos::io::pipe2(0), libos::io::pipe2(0)) else {
        return Measurement::Failed("pipe2 failed");
    };
    let ends = [to_child[0], to_child[1], to_parent[0], to_parent[1]];
    let pid = match libos::process::fork() {
        Ok(pid) => pid,
        Err(_) => {
            for end in ends {
                let _ = close(end);
            }
            return Measurement::Failed("fork failed");
        }
    };
    if pid == 0 {
        let _ = close(to_child[1]);
        let _ = close(to_parent[0]);
        let mut byte = [0u8; 1];
        while read(to_child[0], &mut byte) == Ok(1) {
            if write(to_parent[1], &byte) != Ok(1) {
                break;
            }
        }
        libos::process::identity::_exit(0);
    }
    let _ = close(to_child[0]);
    let _ = close(to_parent[1]);
    let mut byte = [0u8; 1];
    let mut wrong = false;
    // One round first, so the child has started and both sides' paths are warm.
    if write(to_child[1], b"w") != Ok(1) || read(to_parent[0], &mut byte) != Ok(1) {
        wrong = true;
    }
    let timing = timed_counting(iterations, |iteration| {
        let sent = [iteration as u8];
        if write(to_child[1], &sent) != Ok(1)
            || read(to_parent[0], &mut byte) != Ok(1)
            || byte != sent
        {
            wrong = true;
        }
    });
    let _ = close(to_child[1]);
    let _ = close(to_parent[0]);
    let mut status = 0;
    let _ = libos::process::identity::waitpid(pid, Some(&mut status), 0);
    if wrong {
        return Measurement::Failed("a byte was lost or wrong");
    }
    measured(timing, iterations)
}

/// `mmap` + `munmap` of one anonymous private page, as the Linux side does. This LibOS maps
/// anonymous memory at once (a zeroed frame and its mapping), where Linux only records the
/// range: the kernel calls are `FrameAllocate` + `Map`, then `Unmap` + `CapabilityDelete`.
fn mmap_munmap(iterations: u64) -> Measurement {
    use libposix_sys::mman::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
    let mut wrong = false;
    let timing = timed_counting(iterations, |_| {
        match libos::memory::mmap(
            0,
            libos::abi::PAGE_SIZE,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        ) {
            Ok(address) => {
                if libos::memory::munmap(address, libos::abi::PAGE_SIZE).is_err() {
                    wrong = true;
                }
            }
            Err(_) => wrong = true,
        }
    });
    if wrong {
        return Measurement::Failed("mmap or munmap failed");
    }
    measured(timing, iterations)
}

/// The pages one `page_fault_cow` helper writes: each copy takes a slot of the LibOS's
/// copy-on-write pool (256 slots per process, not given back by `munmap`), which the helper's
/// own first writes after its fork share.
const COW_PAGES_PER_HELPER: u64 = 128;

/// `page_fault_cow` in rounds of [`COW_PAGES_PER_HELPER`] pages, each round in a fresh spawned
/// helper (see [`page_fault_cow`]); the figures are the sums over the rounds.
fn page_fault_cow_in_helpers(iterations: u64) -> Measurement {
    let (mut cycles, mut operations, mut calls) = (0, 0, 0);
    while operations < iterations {
        match fork_in_helper(COW_PAGES_PER_HELPER, "cow") {
            Measurement::Cycles {
                cycles: round_cycles,
                operations: round_operations,
                kernel_calls,
            } => {
                cycles += round_cycles;
                operations += round_operations;
                calls += kernel_calls.unwrap_or(0);
            }
            failed => return failed,
        }
    }
    Measurement::Cycles {
        cycles,
        operations,
        kernel_calls: Some(calls),
    }
}

/// One round of `page_fault_cow` in a `fork-measure cow` helper: the first write to each of
/// `pages` pages of a private anonymous area shared copy-on-write with a forked child (which
/// waits on a pipe until the writes are done, then exits), as the Linux side does: only the
/// writes are timed. Each is the LibOS's copy-on-write fault: the exception upcall, one
/// `FrameAllocateCopy` (a fresh frame holding a copy of the page, mapped writable in its place)
/// and `ExceptionResume`.
fn page_fault_cow(pages: u64) -> Measurement {
    use libos::io::{close, read, write};
    use libposix_sys::mman::{MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE};
    let pages = pages.clamp(1, COW_PAGES_PER_HELPER);
    let length = pages * libos::abi::PAGE_SIZE;
    let Ok(area) = libos::memory::mmap(
        0,
        length,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    ) else {
        return Measurement::Failed("mmap failed");
    };
    let touch = |page: u64, value: u8| {
        // SAFETY: `page` is below `pages`, inside the area mapped above.
        unsafe { ((area + page * libos::abi::PAGE_SIZE) as *mut u8).write_volatile(value) };
    };
    (0..pages).for_each(|page| touch(page, 1));
    let Ok(release) = libos::io::pipe2(0) else {
        return Measurement::Failed("pipe2 failed");
    };
    let pid = match libos::process::fork() {
        Ok(0) => {
            let mut byte = [0u8; 1];
            let _ = read(release[0], &mut byte);
            libos::process::identity::_exit(0);
        }
        Ok(pid) => pid,
        Err(_) => return Measurement::Failed("fork failed"),
    };
    // The handler's calls are counted apart (`calls_made` cannot count them: its counter may
    // be in a read-only page while the handler runs).
    let all_calls = || libos::kernel::calls_made() + libos::process::copy_on_write::handler_calls();
    let calls_before = all_calls();
    let start = cycles();
    (0..pages).for_each(|page| touch(page, 2));
    let timing = Timing {
        cycles: cycles() - start,
        kernel_calls: Some(all_calls() - calls_before),
    };
    let _ = write(release[1], &[0]);
    let _ = close(release[0]);
    let _ = close(release[1]);
    let mut status = 0;
    let _ = libos::process::identity::waitpid(pid, Some(&mut status), 0);
    measured(timing, pages)
}

fn ipc_round_trip(iterations: u64) -> Measurement {
    let Some(endpoint) = new_object(|destination| Call::EndpointCreate {
        quota: initial::MEMORY_QUOTA,
        destination,
    }) else {
        return Measurement::Failed("could not create an endpoint");
    };
    let Ok(child) = spawn(
        SELF_PATH,
        "/bin/bench ipc-server",
        &[(endpoint, HELPER_ENDPOINT)],
    ) else {
        release(endpoint);
        return Measurement::Failed("could not start the helper");
    };
    let round = |word0: u64| {
        call(Call::IpcCall {
            endpoint,
            word0,
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(None),
            receive: OptionalSlot(None),
        })
    };
    let mut wrong = false;
    let timing = timed_counting(iterations, |iteration| match round(iteration) {
        Ok(reply) if reply[1] == iteration + 1 => {}
        _ => wrong = true,
    });
    let _ = round(STOP);
    finish_helper(child);
    release(endpoint);
    if wrong {
        return Measurement::Failed("a reply was missing or wrong");
    }
    measured(timing, iterations)
}

fn ipc_server() -> i32 {
    let receive = || {
        call(Call::IpcReceive {
            endpoint: HELPER_ENDPOINT,
            receive: OptionalSlot(None),
            timeout: 0,
        })
    };
    let Ok(mut message) = receive() else {
        return 1;
    };
    loop {
        let stop = message[1] == STOP;
        let reply = call(Call::IpcReply {
            word0: message[1].wrapping_add(1),
            word1: 0,
            word2: 0,
            transfer: OptionalSlot(None),
        });
        if stop {
            return 0;
        }
        if reply.is_err() {
            return 2;
        }
        match receive() {
            Ok(next) => message = next,
            Err(_) => return 3,
        }
    }
}

/// A `NotificationSignal` to a helper in another address space waiting in
/// `NotificationWait`, which signals a second notification we wait on.
fn notification_round_trip(iterations: u64) -> Measurement {
    let create = |destination| Call::NotificationCreate {
        quota: initial::MEMORY_QUOTA,
        destination,
    };
    let (Some(ping), Some(pong)) = (new_object(create), new_object(create)) else {
        return Measurement::Failed("could not create notifications");
    };
    let Ok(child) = spawn(
        SELF_PATH,
        "/bin/bench notification-server",
        &[(ping, HELPER_PING), (pong, HELPER_PONG)],
    ) else {
        release(ping);
        release(pong);
        return Measurement::Failed("could not start the helper");
    };
    let mut wrong = false;
    let timing = timed_counting(iterations, |_| {
        let signalled = call(Call::NotificationSignal {
            notification: ping,
            bits: 1,
        });
        let answered = call(Call::NotificationWait {
            notification: pong,
            timeout: 0,
        });
        if signalled.is_err() || !matches!(answered, Ok(bits) if bits[0] == 1) {
            wrong = true;
        }
    });
    let _ = call(Call::NotificationSignal {
        notification: ping,
        bits: 2,
    });
    finish_helper(child);
    release(ping);
    release(pong);
    if wrong {
        return Measurement::Failed("a notification was missing or wrong");
    }
    measured(timing, iterations)
}

fn notification_server() -> i32 {
    loop {
        match call(Call::NotificationWait {
            notification: HELPER_PING,
            timeout: 0,
        }) {
            Ok(bits) if bits[0] & 2 != 0 => exit(0),
            Ok(_) => {
                if call(Call::NotificationSignal {
                    notification: HELPER_PONG,
                    bits: 1,
                })
                .is_err()
                {
                    return 2;
                }
            }
            Err(_) => return 1,
        }
    }
}

/// Where the page-fault measurement touches fresh pages (never mapped before a round).
const FAULT_AREA: u64 = 0x0000_6000_0000_0000;
/// Pages touched per round; their frames are returned between rounds.
const FAULT_PAGES: usize = 250;
/// Where the exception handler's stack goes, and its size in pages.
const HANDLER_STACK: u64 = 0x0000_6100_0000_0000;
const HANDLER_STACK_PAGES: u64 = 4;
/// The frame capability mapped by each fault of the current round.
static FAULT_FRAMES: [AtomicU32; FAULT_PAGES] = [const { AtomicU32::new(0) }; FAULT_PAGES];
static FAULTS_HANDLED: AtomicU64 = AtomicU64::new(0);
/// The timestamp counter when the handler began, and when it was about to resume, for the
/// current fault; and the handler's kernel calls for it.
static HANDLER_ENTERED: AtomicU64 = AtomicU64::new(0);
static HANDLER_RESUMING: AtomicU64 = AtomicU64::new(0);
static HANDLER_CALLS: AtomicU64 = AtomicU64::new(0);
/// The timestamp counter after the handler's `FrameAllocate`, and its kernel calls until then.
static HANDLER_ALLOCATED: AtomicU64 = AtomicU64::new(0);
static HANDLER_ALLOCATE_CALLS: AtomicU64 = AtomicU64::new(0);
/// The exit status of the program when its fault handler cannot do its job.
const HANDLER_FAILED: u64 = 97;

/// The demand-paging handler a LibOS would install: a page fault in the fault area gets one
/// fresh zeroed frame from the quota, mapped writable (what `allocate_and_map` does:
/// `FrameAllocate` + `Map`, written out to time each), and the faulting access is resumed
/// (`ExceptionResume`).
extern "C" fn demand_page(frame: *mut ExceptionFrame) -> ! {
    HANDLER_ENTERED.store(cycles(), Ordering::Relaxed);
    let calls_at_entry = libos::kernel::calls_made();
    // SAFETY: the kernel passes a pointer to the frame it wrote on our exception stack.
    let exception = unsafe { &*frame };
    let area = FAULT_AREA..FAULT_AREA + (FAULT_PAGES as u64) * libos::abi::PAGE_SIZE;
    let index = FAULTS_HANDLED.load(Ordering::Relaxed) as usize;
    if exception.vector != 14 || !area.contains(&exception.fault_address) || index >= FAULT_PAGES {
        exit(HANDLER_FAILED);
    }
    let page = exception.fault_address & !(libos::abi::PAGE_SIZE - 1);
    // What `libos::memory::allocate_and_map` does, step by step, to time each step.
    let Some(slot) = slots::allocate() else {
        exit(HANDLER_FAILED)
    };
    if call(Call::FrameAllocate {
        quota: initial::MEMORY_QUOTA,
        destination: slot,
        pages: libos::abi::PageCount(1),
    })
    .is_err()
    {
        exit(HANDLER_FAILED);
    }
    HANDLER_ALLOCATED.store(cycles(), Ordering::Relaxed);
    HANDLER_ALLOCATE_CALLS.store(
        libos::kernel::calls_made() - calls_at_entry,
        Ordering::Relaxed,
    );
    let rights = libos::abi::Rights::READ | libos::abi::Rights::WRITE;
    if libos::memory::map(initial::SELF_ADDRESS_SPACE, slot, page, 0, 1, rights).is_err() {
        exit(HANDLER_FAILED);
    }
    FAULT_FRAMES[index].store(slot.0, Ordering::Relaxed);
    FAULTS_HANDLED.store(index as u64 + 1, Ordering::Relaxed);
    HANDLER_CALLS.store(
        libos::kernel::calls_made() - calls_at_entry,
        Ordering::Relaxed,
    );
    HANDLER_RESUMING.store(cycles(), Ordering::Relaxed);
    let _ = call(Call::ExceptionResume {
        frame: UserAddress(frame as u64),
    });
    exit(HANDLER_FAILED)
}

/// First touches of never-mapped pages, each resolved by [`demand_page`]: the kernel's fault
/// path, the upcall, two kernel calls and the resume. Only the touches are timed. Also prints
/// where the time goes, from timestamps taken around each touch and in the handler (three
/// `rdtsc` per fault more than the bare figure would have): `page_fault_anon/delivery` (the touch
/// to the handler's first instruction: the kernel's fault path and the upcall),
/// `page_fault_anon/handler` (its `FrameAllocate` + `Map`, each also on its own as
/// `handler.frame_allocate` and `handler.map`), `page_fault_anon/resume` (from
/// `ExceptionResume` to the resumed write done), and `bench-count page_fault_anon/frames_allocated`
/// (frames taken per fault, page tables included, counted with `MemoryStatus` around each round).
fn page_fault_anon(iterations: u64) -> Measurement {
    let Ok(stack) = libos::memory::allocate_and_map(
        initial::MEMORY_QUOTA,
        HANDLER_STACK,
        HANDLER_STACK_PAGES,
        true,
    ) else {
        return Measurement::Failed("could not map the exception stack");
    };
    let set_handler = |entry: u64, stack_top: u64| {
        call(Call::ExceptionHandlerSet {
            entry: UserAddress(entry),
            stack_top: UserAddress(stack_top),
        })
    };
    if set_handler(
        demand_page as *const () as u64,
        HANDLER_STACK + HANDLER_STACK_PAGES * libos::abi::PAGE_SIZE,
    )
    .is_err()
    {
        release(stack);
        return Measurement::Failed("could not install the exception handler");
    }
    let rounds = iterations.div_ceil(FAULT_PAGES as u64);
    let mut total = 0;
    let mut calls = 0;
    let mut wrong = false;
    let mut pieces = [Timing {
        cycles: 0,
        kernel_calls: Some(0),
    }; 5];
    let mut frames = Some(0);
    for _ in 0..rounds {
        FAULTS_HANDLED.store(0, Ordering::Relaxed);
        let free_before = free_frames();
        let calls_before = libos::kernel::calls_made();
        let start = cycles();
        for page in 0..FAULT_PAGES as u64 {
            let address = (FAULT_AREA + page * libos::abi::PAGE_SIZE) as *mut u8;
            let touched = cycles();
            // SAFETY: the fault area is ours alone; the first write faults and the handler maps
            // a fresh frame there before the write is resumed.
            unsafe { address.write_volatile(1) };
            let resumed = cycles();
            let entered = HANDLER_ENTERED.load(Ordering::Relaxed);
            let resuming = HANDLER_RESUMING.load(Ordering::Relaxed);
            let handler_calls = HANDLER_CALLS.load(Ordering::Relaxed);
            let allocated = HANDLER_ALLOCATED.load(Ordering::Relaxed);
            let allocate_calls = HANDLER_ALLOCATE_CALLS.load(Ordering::Relaxed);
            let split = [
                (entered.wrapping_sub(touched), 0),
                (resuming.wrapping_sub(entered), handler_calls),
                (allocated.wrapping_sub(entered), allocate_calls),
                (
                    resuming.wrapping_sub(allocated),
                    handler_calls - allocate_calls,
                ),
                (resumed.wrapping_sub(resuming), 1),
            ];
            for (piece, (cycles, kernel_calls)) in pieces.iter_mut().zip(split) {
                piece.cycles = piece.cycles.wrapping_add(cycles);
                piece.kernel_calls = piece.kernel_calls.map(|sum| sum + kernel_calls);
            }
        }
        total += cycles() - start;
        calls += libos::kernel::calls_made() - calls_before;
        frames = frames
            .zip(free_before.zip(free_frames()))
            .map(|(sum, (before, after))| sum + before.saturating_sub(after));
        wrong |= FAULTS_HANDLED.load(Ordering::Relaxed) != FAULT_PAGES as u64;
        let _ = libos::memory::unmap(initial::SELF_ADDRESS_SPACE, FAULT_AREA, FAULT_PAGES as u64);
        let handled = FAULTS_HANDLED.load(Ordering::Relaxed) as usize;
        for frame in FAULT_FRAMES.iter().take(handled) {
            release(Slot(frame.load(Ordering::Relaxed)));
        }
    }
    let _ = set_handler(0, 0);
    let _ = libos::memory::unmap(
        initial::SELF_ADDRESS_SPACE,
        HANDLER_STACK,
        HANDLER_STACK_PAGES,
    );
    release(stack);
    if wrong {
        return Measurement::Failed("not every touch faulted exactly once");
    }
    let faults = rounds * FAULT_PAGES as u64;
    let names = [
        "delivery",
        "handler",
        "handler.frame_allocate",
        "handler.map",
        "resume",
    ];
    for (name, piece) in names.iter().zip(pieces) {
        detail(&alloc::format!("page_fault_anon/{name}"), piece, faults);
    }
    if let Some(frames) = frames {
        count("page_fault_anon/frames_allocated", frames, faults);
    }
    Measurement::Cycles {
        cycles: total,
        operations: rounds * FAULT_PAGES as u64,
        kernel_calls: Some(calls),
    }
}

/// Handlers run by [`signal_delivery`].
static SIGNALS_HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_signal(
    _: i32,
    _: *mut libposix_sys::siginfo::Siginfo,
    _: *mut core::ffi::c_void,
) {
    SIGNALS_HANDLED.fetch_add(1, Ordering::Relaxed);
}

/// `kill(getpid(), SIGUSR1)` with a handler, as Linux's side does: one IPC to the process
/// server (which checks the authority and marks the signal pending in the signal page), then
/// the LibOS runs the handler when the reply arrives — no stop, no register rewrite, no
/// kernel entry for the handler or `sigreturn`.
fn signal_delivery(iterations: u64) -> Measurement {
    use libposix_sys::signal::{KernelSigaction, SIG_DFL, SIGUSR1};
    let action = KernelSigaction {
        sa_handler: count_signal as *const () as usize,
        ..KernelSigaction::default()
    };
    let Ok(process) = libos::process::identity::getpid() else {
        return Measurement::Failed("not registered with the process server: no kill");
    };
    if libos::signal::sigaction(SIGUSR1, Some(&action), None).is_err() {
        return Measurement::Failed("sigaction failed");
    }
    let before = SIGNALS_HANDLED.load(Ordering::Relaxed);
    let timing = timed_counting(iterations, |_| {
        let _ = libos::signal::kill(process, SIGUSR1);
    });
    let handled = SIGNALS_HANDLED.load(Ordering::Relaxed) - before;
    let default = KernelSigaction {
        sa_handler: SIG_DFL,
        ..KernelSigaction::default()
    };
    let _ = libos::signal::sigaction(SIGUSR1, Some(&default), None);
    if handled < iterations {
        return Measurement::Failed("not every signal reached the handler");
    }
    measured(timing, iterations)
}
