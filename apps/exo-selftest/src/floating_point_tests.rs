//! Floating-point state is per environment: x87/SSE/AVX registers survive preemption and
//! switches in three environments at once, and a new environment starts from the clean default
//! state (MXCSR 0x1f80, FCW 0x37f, zeroed vector registers), never another's leftovers.
//!
//! The program is built soft-float, so its Rust code never touches the vector registers: a
//! value loaded by one `asm!` block is still there for the next unless the kernel lost it.

use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};

use libos::kernel::{clock_nanoseconds, exit, yield_now};
use libos::println;
use libos::process::{Ending, spawn_thread};

use crate::ensure;
use crate::support::Outcome;

/// Environments using their registers at the same time.
const KEEPERS: usize = 3;
/// How long each keeper spins with yields, its values loaded.
const SPIN_NANOSECONDS: u64 = 50_000_000;
/// Generous: the keepers take well under a second even on a slow machine.
const WAIT_NANOSECONDS: u64 = 10_000_000_000;

const DEFAULT_MXCSR: u32 = 0x1f80;
const DEFAULT_CONTROL_WORD: u16 = 0x037f;

/// xmm0–15 (or ymm0–15 with AVX), four 64-bit lanes each.
#[repr(C, align(32))]
#[derive(Clone, Copy, PartialEq, Eq)]
struct Bank([[u64; 4]; 16]);

/// Whether AVX is usable in ring 3: CPUID says AVX and OSXSAVE, and XCR0 enables SSE and AVX.
fn has_avx() -> bool {
    let features = core::arch::x86_64::__cpuid(1);
    if features.ecx & (1 << 27) == 0 || features.ecx & (1 << 28) == 0 {
        return false;
    }
    let (low, _high): (u32, u32);
    // SAFETY: `xgetbv` with ECX 0 is allowed in ring 3 once OSXSAVE is on (checked above).
    unsafe {
        asm!("xgetbv", in("ecx") 0, out("eax") low, out("edx") _high, options(nomem, nostack))
    };
    low & 0b110 == 0b110
}

/// Loads the bank into the vector registers (ymm with AVX, else xmm).
fn load(bank: &Bank, avx: bool) {
    let base = bank.0.as_ptr();
    // SAFETY: reads 512 bytes of `bank`. The registers written are not declared as clobbers
    // because this soft-float program never allocates them; holding values in them across
    // calls is the point of the test.
    unsafe {
        if avx {
            asm!(
                "vmovdqu ymm0, [{b}]", "vmovdqu ymm1, [{b} + 32]", "vmovdqu ymm2, [{b} + 64]",
                "vmovdqu ymm3, [{b} + 96]", "vmovdqu ymm4, [{b} + 128]",
                "vmovdqu ymm5, [{b} + 160]", "vmovdqu ymm6, [{b} + 192]",
                "vmovdqu ymm7, [{b} + 224]", "vmovdqu ymm8, [{b} + 256]",
                "vmovdqu ymm9, [{b} + 288]", "vmovdqu ymm10, [{b} + 320]",
                "vmovdqu ymm11, [{b} + 352]", "vmovdqu ymm12, [{b} + 384]",
                "vmovdqu ymm13, [{b} + 416]", "vmovdqu ymm14, [{b} + 448]",
                "vmovdqu ymm15, [{b} + 480]",
                b = in(reg) base, options(nostack, readonly, preserves_flags)
            );
        } else {
            asm!(
                "movdqu xmm0, [{b}]", "movdqu xmm1, [{b} + 32]", "movdqu xmm2, [{b} + 64]",
                "movdqu xmm3, [{b} + 96]", "movdqu xmm4, [{b} + 128]",
                "movdqu xmm5, [{b} + 160]", "movdqu xmm6, [{b} + 192]",
                "movdqu xmm7, [{b} + 224]", "movdqu xmm8, [{b} + 256]",
                "movdqu xmm9, [{b} + 288]", "movdqu xmm10, [{b} + 320]",
                "movdqu xmm11, [{b} + 352]", "movdqu xmm12, [{b} + 384]",
                "movdqu xmm13, [{b} + 416]", "movdqu xmm14, [{b} + 448]",
                "movdqu xmm15, [{b} + 480]",
                b = in(reg) base, options(nostack, readonly, preserves_flags)
            );
        }
    }
}

/// Stores the vector registers into a bank (upper lanes zero without AVX).
fn store(avx: bool) -> Bank {
    let mut bank = Bank([[0; 4]; 16]);
    let base = bank.0.as_mut_ptr();
    // SAFETY: writes 512 bytes of `bank`, which this function owns.
    unsafe {
        if avx {
            asm!(
                "vmovdqu [{b}], ymm0", "vmovdqu [{b} + 32], ymm1", "vmovdqu [{b} + 64], ymm2",
                "vmovdqu [{b} + 96], ymm3", "vmovdqu [{b} + 128], ymm4",
                "vmovdqu [{b} + 160], ymm5", "vmovdqu [{b} + 192], ymm6",
                "vmovdqu [{b} + 224], ymm7", "vmovdqu [{b} + 256], ymm8",
                "vmovdqu [{b} + 288], ymm9", "vmovdqu [{b} + 320], ymm10",
                "vmovdqu [{b} + 352], ymm11", "vmovdqu [{b} + 384], ymm12",
                "vmovdqu [{b} + 416], ymm13", "vmovdqu [{b} + 448], ymm14",
                "vmovdqu [{b} + 480], ymm15",
                b = in(reg) base, options(nostack, preserves_flags)
            );
        } else {
            asm!(
                "movdqu [{b}], xmm0", "movdqu [{b} + 32], xmm1", "movdqu [{b} + 64], xmm2",
                "movdqu [{b} + 96], xmm3", "movdqu [{b} + 128], xmm4",
                "movdqu [{b} + 160], xmm5", "movdqu [{b} + 192], xmm6",
                "movdqu [{b} + 224], xmm7", "movdqu [{b} + 256], xmm8",
                "movdqu [{b} + 288], xmm9", "movdqu [{b} + 320], xmm10",
                "movdqu [{b} + 352], xmm11", "movdqu [{b} + 384], xmm12",
                "movdqu [{b} + 416], xmm13", "movdqu [{b} + 448], xmm14",
                "movdqu [{b} + 480], xmm15",
                b = in(reg) base, options(nostack, preserves_flags)
            );
        }
    }
    bank
}

/// Sets MXCSR and the x87 control word.
fn set_controls(mxcsr: u32, control_word: u16) {
    // SAFETY: both values have no reserved bits set (the callers pass masked-exception
    // settings); the instructions read only the two locals.
    unsafe {
        asm!(
            "ldmxcsr [{m}]", "fldcw [{c}]",
            m = in(reg) &raw const mxcsr, c = in(reg) &raw const control_word,
            options(nostack, readonly, preserves_flags)
        );
    }
}

/// MXCSR and the x87 control word.
fn controls() -> (u32, u16) {
    let mut mxcsr = 0u32;
    let mut control_word = 0u16;
    // SAFETY: the instructions write only the two locals.
    unsafe {
        asm!(
            "stmxcsr [{m}]", "fnstcw [{c}]",
            m = in(reg) &raw mut mxcsr, c = in(reg) &raw mut control_word,
            options(nostack, preserves_flags)
        );
    }
    (mxcsr, control_word)
}

/// A bank no other keeper (and no fresh environment) holds.
fn pattern(keeper: u64, avx: bool) -> Bank {
    let mut bank = Bank([[0; 4]; 16]);
    for (register, lanes) in bank.0.iter_mut().enumerate() {
        for (lane, value) in lanes.iter_mut().enumerate() {
            if avx || lane < 2 {
                *value = 0x5ee0_0000_0000_0000
                    | (keeper + 1) << 40
                    | (register as u64) << 8
                    | lane as u64;
            }
        }
    }
    bank
}

/// Per keeper: 0 still running, 1 kept everything, 2 lost a vector register, 3 lost a control.
static KEEPER_OUTCOMES: [AtomicU64; KEEPERS] = [const { AtomicU64::new(0) }; KEEPERS];
/// Per keeper: the first wrong register (the lost value's register number) or control value.
static KEEPER_DETAILS: [AtomicU64; KEEPERS] = [const { AtomicU64::new(0) }; KEEPERS];
/// Preemptions by the timer observed by the keepers in their call-free phase.
static TIMER_PREEMPTIONS: AtomicU64 = AtomicU64::new(0);
/// Enough to show each keeper's state crossed timer preemptions (~60 ms of 10 ms slices).
const TIMER_PREEMPTIONS_WANTED: u64 = 6;

fn cycles() -> u64 {
    // SAFETY: `rdtsc` only reads the timestamp counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// The keeper that last went round its loop.
static LAST_RUNNER: AtomicU64 = AtomicU64::new(u64::MAX);
/// Per keeper: how often another keeper ran between two of its rounds.
static KEEPER_SWITCHES: [AtomicU64; KEEPERS] = [const { AtomicU64::new(0) }; KEEPERS];

/// Loads a distinctive bank and controls, spins across yields and timer preemptions, checks.
/// Its values stay in the registers throughout: nothing in between is compiled to use them.
extern "C" fn keeper(index: u64) -> ! {
    let slot = (index as usize).min(KEEPERS - 1);
    let avx = has_avx();
    let expected = pattern(index, avx);
    // Distinct rounding modes (bits 13–14) and x87 precisions (bits 8–9), all exceptions masked.
    let mxcsr = DEFAULT_MXCSR | (slot as u32 + 1) << 13;
    let control_word = (DEFAULT_CONTROL_WORD & !0x0300) | [0u16, 2, 3][slot] << 8;
    set_controls(mxcsr, control_word);
    load(&expected, avx);
    let start_cycles = cycles();
    let start = clock_nanoseconds();
    let mut last = start;
    let mut switches = 0;
    let mut round = 0u64;
    while last - start < SPIN_NANOSECONDS {
        round += 1;
        if round.is_multiple_of(64) {
            yield_now();
        }
        // Another keeper ran since our last round: we were switched away from and back.
        if LAST_RUNNER.swap(index, Ordering::Relaxed) != index {
            switches += 1;
        }
        last = clock_nanoseconds();
    }
    // Then without any kernel call, so that only a timer interrupt can switch us away: every
    // change of the last runner seen here is a preemption by the timer.
    // At most about a second, at the counter rate seen so far.
    let cycles_per_second = (cycles() - start_cycles) * 1_000_000_000 / (last - start).max(1);
    let deadline = cycles() + cycles_per_second;
    while TIMER_PREEMPTIONS.load(Ordering::Relaxed) < TIMER_PREEMPTIONS_WANTED
        && cycles() < deadline
    {
        if LAST_RUNNER.swap(index, Ordering::Relaxed) != index {
            TIMER_PREEMPTIONS.fetch_add(1, Ordering::Relaxed);
        }
        core::hint::spin_loop();
    }
    let actual = store(avx);
    let (actual_mxcsr, actual_control_word) = controls();
    KEEPER_SWITCHES[slot].store(switches, Ordering::Relaxed);
    let lost = (0..16).find(|&register| actual.0[register] != expected.0[register]);
    let outcome = if let Some(register) = lost {
        KEEPER_DETAILS[slot].store(register as u64, Ordering::Relaxed);
        2
    } else if actual_mxcsr != mxcsr || actual_control_word != control_word {
        KEEPER_DETAILS[slot].store(
            u64::from(actual_mxcsr) << 16 | u64::from(actual_control_word),
            Ordering::Relaxed,
        );
        3
    } else {
        1
    };
    KEEPER_OUTCOMES[slot].store(outcome, Ordering::Relaxed);
    exit(0)
}

/// Three environments hold distinct vector registers and controls through preemption.
pub fn vector_registers_survive_preemption_in_three_environments() -> Outcome {
    let avx = has_avx();
    TIMER_PREEMPTIONS.store(0, Ordering::Relaxed);
    let mut keepers = alloc::vec::Vec::new();
    for (index, outcome) in KEEPER_OUTCOMES.iter().enumerate() {
        outcome.store(0, Ordering::Relaxed);
        match spawn_thread(keeper, index as u64, &[]) {
            Ok(child) => keepers.push(child),
            Err(error) => {
                keepers.into_iter().for_each(libos::process::Child::reap);
                return Err(alloc::format!("spawn keeper {index}: {error}"));
            }
        }
    }
    let mut endings = alloc::vec::Vec::new();
    for child in keepers {
        endings.push(child.wait(WAIT_NANOSECONDS));
        child.reap();
    }
    for (index, ending) in endings.into_iter().enumerate() {
        ensure!(
            matches!(ending, Ok(Ending::Exited(0))),
            "keeper {index} ended {ending:?}"
        );
        let detail = KEEPER_DETAILS[index].load(Ordering::Relaxed);
        match KEEPER_OUTCOMES[index].load(Ordering::Relaxed) {
            1 => {}
            2 => return Err(alloc::format!("keeper {index} lost register {detail}")),
            3 => return Err(alloc::format!("keeper {index} lost MXCSR/FCW: {detail:#x}")),
            other => return Err(alloc::format!("keeper {index} reported {other}")),
        }
        let switches = KEEPER_SWITCHES[index].load(Ordering::Relaxed);
        ensure!(
            switches > 0,
            "keeper {index} was never switched away from: nothing was tested"
        );
    }
    let timer_preemptions = TIMER_PREEMPTIONS.load(Ordering::Relaxed);
    ensure!(
        timer_preemptions >= TIMER_PREEMPTIONS_WANTED,
        "only {timer_preemptions} timer preemptions seen"
    );
    println!(
        "floating-point: {} checked in {KEEPERS} environments across yields and {timer_preemptions} timer preemptions",
        if avx {
            "ymm0-15 (AVX present)"
        } else {
            "xmm0-15 (no AVX)"
        }
    );
    Ok(())
}

/// What a fresh environment found: its bank, then MXCSR and FCW; `FRESH_DONE` says it wrote.
static FRESH_BANK: [AtomicU64; 64] = [const { AtomicU64::new(u64::MAX) }; 64];
static FRESH_CONTROLS: AtomicU64 = AtomicU64::new(0);
static FRESH_DONE: AtomicU64 = AtomicU64::new(0);

/// Reads its registers before doing anything else and reports them.
extern "C" fn fresh_reader(_: u64) -> ! {
    let avx = has_avx();
    let bank = store(avx);
    let (mxcsr, control_word) = controls();
    for (index, value) in bank.0.iter().flatten().enumerate() {
        FRESH_BANK[index].store(*value, Ordering::Relaxed);
    }
    FRESH_CONTROLS.store(
        u64::from(mxcsr) << 16 | u64::from(control_word),
        Ordering::Relaxed,
    );
    FRESH_DONE.store(1, Ordering::Release);
    exit(0)
}

/// A new environment sees the default MXCSR/FCW and zeroed vector registers, although its
/// creator's registers held other values when it was created and first ran.
pub fn fresh_environment_sees_default_floating_point_state() -> Outcome {
    let avx = has_avx();
    FRESH_DONE.store(0, Ordering::Relaxed);
    // Round toward zero, single precision, all exceptions still masked.
    set_controls(0x7f80, 0x007f);
    load(&pattern(7, avx), avx);
    let reader = spawn_thread(fresh_reader, 0, &[]);
    let ending = match &reader {
        Ok(child) => Ok(child.wait(WAIT_NANOSECONDS)),
        Err(error) => Err(*error),
    };
    let own = store(avx);
    let own_controls = controls();
    set_controls(DEFAULT_MXCSR, DEFAULT_CONTROL_WORD);
    load(&Bank([[0; 4]; 16]), avx);
    if let Ok(child) = reader {
        child.reap();
    }
    ensure!(
        matches!(ending, Ok(Ok(Ending::Exited(0)))),
        "reader ended {ending:?}"
    );
    ensure!(
        FRESH_DONE.load(Ordering::Acquire) == 1,
        "the reader reported nothing"
    );
    ensure!(
        own == pattern(7, avx) && own_controls == (0x7f80, 0x007f),
        "the creator's own state changed while the reader ran"
    );
    let controls = FRESH_CONTROLS.load(Ordering::Relaxed);
    ensure!(
        controls == u64::from(DEFAULT_MXCSR) << 16 | u64::from(DEFAULT_CONTROL_WORD),
        "fresh MXCSR/FCW {:#x}/{:#x}, expected {DEFAULT_MXCSR:#x}/{DEFAULT_CONTROL_WORD:#x}",
        controls >> 16,
        controls & 0xffff
    );
    if let Some(index) = (0..64).find(|&index| FRESH_BANK[index].load(Ordering::Relaxed) != 0) {
        return Err(alloc::format!(
            "fresh register {} lane {} holds {:#x}",
            index / 4,
            index % 4,
            FRESH_BANK[index].load(Ordering::Relaxed)
        ));
    }
    Ok(())
}

/// Divides by zero with the SSE zero-divide exception unmasked (#XM, vector 19).
extern "C" fn simd_divider(_: u64) -> ! {
    let one = 1.0f32.to_bits();
    // SAFETY: only the fault is expected; the program has no handler, so it ends here.
    unsafe {
        asm!(
            "ldmxcsr [{m}]", "movd xmm0, {one:e}", "pxor xmm1, xmm1", "divss xmm0, xmm1",
            m = in(reg) &raw const UNMASKED_ZERO_DIVIDE_MXCSR, one = in(reg) one,
            options(nostack, readonly)
        );
    }
    let (mxcsr, _) = controls();
    exit(u64::from(mxcsr))
}

/// Divides by zero with the x87 zero-divide exception unmasked; `fwait` raises #MF (vector 16).
extern "C" fn x87_divider(_: u64) -> ! {
    // SAFETY: as above.
    unsafe {
        asm!(
            "fninit", "fldcw [{c}]", "fld1", "fldz", "fdivp st(1), st", "fwait",
            c = in(reg) &raw const UNMASKED_ZERO_DIVIDE_CONTROL_WORD,
            options(nostack, readonly)
        );
    }
    exit(0)
}

/// MXCSR with only ZM (bit 9) cleared.
static UNMASKED_ZERO_DIVIDE_MXCSR: u32 = DEFAULT_MXCSR & !(1 << 9);
/// FCW with only ZM (bit 2) cleared.
static UNMASKED_ZERO_DIVIDE_CONTROL_WORD: u16 = DEFAULT_CONTROL_WORD & !(1 << 2);

/// An unmasked x87 or SSE exception in ring 3 reaches the environment as its vector (here: no
/// handler, so it ends `Faulted` with vector 16 or 19) and leaves the kernel and others alone.
///
/// QEMU 7.2's TCG sets MXCSR's flag but never raises #XM; the SSE half then reports that it
/// could not be tested instead of passing silently.
pub fn floating_point_exceptions_reach_the_environment() -> Outcome {
    let x87 =
        spawn_thread(x87_divider, 0, &[]).map_err(|error| alloc::format!("spawn: {error}"))?;
    let ending = x87.wait(WAIT_NANOSECONDS);
    x87.reap();
    ensure!(
        matches!(ending, Ok(Ending::Faulted { vector: 16, .. })),
        "x87 divide by zero: ended {ending:?}, expected a fault with vector 16"
    );
    let simd =
        spawn_thread(simd_divider, 0, &[]).map_err(|error| alloc::format!("spawn: {error}"))?;
    let ending = simd.wait(WAIT_NANOSECONDS);
    simd.reap();
    match ending {
        Ok(Ending::Faulted { vector: 19, .. }) => {}
        // Exited with its MXCSR: zero-divide flagged (bit 2) while unmasked, yet no #XM.
        Ok(Ending::Exited(mxcsr)) if mxcsr & 0x204 == 0x4 => println!(
            "floating-point: this CPU flags but does not raise unmasked SSE exceptions \
             (MXCSR {mxcsr:#x}); #XM delivery not tested"
        ),
        other => {
            return Err(alloc::format!(
                "SSE divide by zero: ended {other:?}, expected a fault with vector 19"
            ));
        }
    }
    Ok(())
}
