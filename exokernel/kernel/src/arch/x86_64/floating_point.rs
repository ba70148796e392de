//! Per-environment x87/SSE/AVX register state: at boot, turning the units on (CR0, CR4, XCR0)
//! and sizing the save area; on each switch between environments, saving the outgoing one's
//! registers and loading the incoming one's — `xsaveopt`/`xsave` and `xrstor` where the CPU has
//! XSAVE, `fxsave`/`fxrstor` otherwise. Switching is eager for environments that have used the
//! unit; one that never has runs on clean registers with CR0.TS set until its first use
//! (docs/benchmarks.md has the numbers against plain eager and plain lazy switching).
//!
//! The kernel is built soft-float and never touches these registers itself, so between a save
//! and the next load they still hold the last environment's values.

use alloc::alloc::{Layout, alloc_zeroed, dealloc};
use core::arch::asm;
use core::arch::x86_64::{__cpuid, __cpuid_count};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use spin::Once;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::xcontrol::XCr0;

/// The largest save area the kernel uses; state components that would need more stay off, so
/// an environment's one page of record charge covers its area.
pub const MAXIMUM_AREA_SIZE: usize = 3072;
/// `xsave`, `xrstor` and `fxsave` need 64- (resp. 16-) byte aligned areas.
pub const AREA_ALIGNMENT: usize = 64;
/// The `fxsave` area (also the legacy part of the `xsave` area).
const LEGACY_AREA_SIZE: usize = 512;

/// XCR0 state components.
const X87: u64 = 1 << 0;
const SSE: u64 = 1 << 1;
const AVX: u64 = 1 << 2;
/// AVX-512: opmask, upper halves of zmm0–15, zmm16–31 (enabled together or not at all).
const AVX_512: u64 = 0b111 << 5;

/// Byte offsets and values of the clean state every environment starts with.
const CONTROL_WORD_OFFSET: usize = 0;
const DEFAULT_CONTROL_WORD: u16 = 0x037f;
const MXCSR_OFFSET: usize = 24;
const DEFAULT_MXCSR: u32 = 0x1f80;

/// How state is saved and restored on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveInstruction {
    /// `fxsave64`/`fxrstor64`: x87 and SSE only.
    FxSave,
    /// `xsave64`/`xrstor64`.
    XSave,
    /// `xsaveopt64`/`xrstor64` (skips components unmodified since the last restore).
    XSaveOptimised,
}

/// What [`initialise`] turned on.
#[derive(Clone, Copy, Debug)]
pub struct Configuration {
    /// The save instruction in use.
    pub instruction: SaveInstruction,
    /// The state components saved (XCR0; x87 and SSE under `fxsave`).
    pub components: u64,
    /// Bytes of one save area.
    pub area_size: usize,
}

static CONFIGURATION: Once<Configuration> = Once::new();
/// Whose values the registers hold: a state's serial, [`CLEAN`] or [`UNKNOWN`].
static REGISTERS: AtomicU64 = AtomicU64::new(UNKNOWN);
/// The registers hold the clean state, nobody's.
const CLEAN: u64 = 0;
/// The registers hold leftovers (boot, or an environment that is gone).
const UNKNOWN: u64 = u64::MAX;
/// The next serial handed to a new state; serials are never reused, unlike environment ids.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);
/// Mirrors CR0.TS: set while an environment that has never used the unit runs, so its first
/// use raises #NM (vector 7).
static TRAP_ON_USE: AtomicBool = AtomicBool::new(false);

/// The clean state in save-area form, for scrubbing the registers: FCW and MXCSR at their
/// defaults, everything else zero (an `xsave` header of zeros marks every component as in its
/// initial state).
#[repr(C, align(64))]
struct CleanArea([u8; MAXIMUM_AREA_SIZE]);

static CLEAN_AREA: CleanArea = CleanArea(clean_area_bytes());

const fn clean_area_bytes() -> [u8; MAXIMUM_AREA_SIZE] {
    let mut bytes = [0; MAXIMUM_AREA_SIZE];
    let control_word = DEFAULT_CONTROL_WORD.to_le_bytes();
    bytes[CONTROL_WORD_OFFSET] = control_word[0];
    bytes[CONTROL_WORD_OFFSET + 1] = control_word[1];
    let mxcsr = DEFAULT_MXCSR.to_le_bytes();
    let mut index = 0;
    while index < 4 {
        bytes[MXCSR_OFFSET + index] = mxcsr[index];
        index += 1;
    }
    bytes
}

/// Turns on x87/SSE (and XSAVE with every supported component of x87, SSE, AVX and AVX-512
/// that fits [`MAXIMUM_AREA_SIZE`]) for user code; run once at boot, before any environment.
pub fn initialise() -> Configuration {
    *CONFIGURATION.call_once(|| {
        let features = __cpuid(1);
        let has_xsave = features.ecx & (1 << 26) != 0;
        let has_avx = features.ecx & (1 << 28) != 0;
        // SAFETY: x87 present and native error reporting, no emulation, no task-switched trap;
        // OSFXSR/OSXMMEXCPT let ring 3 use SSE with #XM for its exceptions; OSXSAVE only when
        // CPUID reports XSAVE. None of this changes memory or mappings.
        unsafe {
            Cr0::update(|flags| {
                flags.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
                flags.insert(Cr0Flags::MONITOR_COPROCESSOR | Cr0Flags::NUMERIC_ERROR);
            });
            Cr4::update(|flags| {
                flags.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
                if has_xsave {
                    flags.insert(Cr4Flags::OSXSAVE);
                }
            });
        }
        if !has_xsave {
            return Configuration {
                instruction: SaveInstruction::FxSave,
                components: X87 | SSE,
                area_size: LEGACY_AREA_SIZE,
            };
        }
        let leaf = __cpuid_count(0xd, 0);
        let supported = u64::from(leaf.eax) | (u64::from(leaf.edx) << 32);
        let mut components = X87 | SSE;
        if has_avx && supported & AVX != 0 {
            components |= AVX;
            if supported & AVX_512 == AVX_512 {
                components |= AVX_512;
            }
        }
        let area_size = loop {
            // SAFETY: only components CPUID reports as supported, always with x87 and SSE, and
            // AVX-512's three together with AVX, as XSETBV requires.
            unsafe { XCr0::write_raw(components) };
            // EBX: the area size for the components enabled now.
            let size = __cpuid_count(0xd, 0).ebx as usize;
            if size <= MAXIMUM_AREA_SIZE || components == X87 | SSE {
                break size;
            }
            components &= if components & AVX_512 != 0 {
                !AVX_512
            } else {
                !AVX
            };
        };
        let optimised = __cpuid_count(0xd, 1).eax & 1 != 0;
        Configuration {
            instruction: if optimised {
                SaveInstruction::XSaveOptimised
            } else {
                SaveInstruction::XSave
            },
            components,
            area_size: area_size.next_multiple_of(AREA_ALIGNMENT),
        }
    })
}

/// What [`initialise`] turned on.
///
/// # Panics
/// Before [`initialise`] (a boot-order bug).
#[must_use]
pub fn configuration() -> Configuration {
    *CONFIGURATION
        .get()
        .expect("floating point is initialised at boot")
}

/// Sets or clears CR0.TS, writing CR0 only when it changes.
fn set_trap_on_use(trap: bool) {
    // A load and a store, not a swap: one CPU with interrupts masked, and a locked `xchg` is
    // costly under TCG on this path taken by every kernel call.
    if TRAP_ON_USE.load(Ordering::Relaxed) != trap {
        TRAP_ON_USE.store(trap, Ordering::Relaxed);
        // SAFETY: TS only decides whether x87/SSE/AVX instructions raise #NM; the kernel
        // executes none except the saves and restores here, which clear it first.
        unsafe { Cr0::update(|flags| flags.set(Cr0Flags::TASK_SWITCHED, trap)) };
    }
}

/// Restores the registers from a save area.
///
/// # Safety
/// `area` must be 64-byte aligned and hold a valid image for the enabled components (the clean
/// image, or what a save of this configuration wrote), `configuration().area_size` bytes long.
unsafe fn restore_from(area: *const u8) {
    set_trap_on_use(false);
    // SAFETY: forwarded from the caller; CR0.TS is clear so the instruction cannot fault #NM.
    unsafe {
        match configuration().instruction {
            SaveInstruction::FxSave => {
                asm!("fxrstor64 [{}]", in(reg) area, options(nostack, readonly, preserves_flags));
            }
            SaveInstruction::XSave | SaveInstruction::XSaveOptimised => asm!(
                "xrstor64 [{}]", in(reg) area, in("eax") u32::MAX, in("edx") u32::MAX,
                options(nostack, readonly, preserves_flags)
            ),
        }
    }
}

/// Makes the registers hold the clean state, owned by nobody, and arms the first-use trap:
/// for running an environment that has never used the unit. Nothing of anyone else's stays
/// in the registers, even speculatively readable (the LazyFP problem of plain lazy switching).
pub fn run_without_state() {
    if REGISTERS.load(Ordering::Relaxed) != CLEAN {
        // SAFETY: the clean image is static, aligned, at least as large as any area and valid
        // for every configuration.
        unsafe { restore_from(CLEAN_AREA.0.as_ptr()) };
        REGISTERS.store(CLEAN, Ordering::Relaxed);
    }
    set_trap_on_use(true);
}

/// Whether the registers are clean and the first-use trap armed: the situation an environment
/// that has never used the unit runs in, so returning to one needs nothing done.
#[must_use]
pub fn is_running_without_state() -> bool {
    REGISTERS.load(Ordering::Relaxed) == CLEAN && TRAP_ON_USE.load(Ordering::Relaxed)
}

/// One environment's saved x87/SSE/AVX registers, in a 64-byte-aligned kernel-heap area.
///
/// An environment that has never executed an x87/SSE/AVX instruction has no state worth
/// switching: it runs with the clean registers and CR0.TS set ([`run_without_state`]); its first
/// such instruction raises #NM, [`FloatingPointState::begin_use`] adopts the clean registers as
/// its own, and from then on it is switched eagerly.
pub struct FloatingPointState {
    area: NonNull<u8>,
    layout: Layout,
    serial: u64,
    used: bool,
}

// SAFETY: the area is owned by this value alone, like a `Box`.
unsafe impl Send for FloatingPointState {}

impl FloatingPointState {
    /// The clean state: FCW 0x37f (all x87 exceptions masked, 64-bit precision), empty x87
    /// stack, MXCSR 0x1f80 (all SSE exceptions masked, round to nearest), every vector register
    /// zero (in the `xsave` form the header marks every component as in its initial state).
    ///
    /// # Panics
    /// When the kernel heap cannot provide the area: only for the kernel's own environments at
    /// boot; anything a program causes uses [`FloatingPointState::try_new`].
    #[must_use]
    pub fn new() -> Self {
        match Self::try_new() {
            Some(state) => state,
            None => panic!("no kernel heap for a floating-point save area at boot"),
        }
    }

    /// [`FloatingPointState::new`], or `None` when the kernel heap cannot provide the area.
    #[must_use]
    pub fn try_new() -> Option<Self> {
        let size = configuration().area_size;
        let Ok(layout) = Layout::from_size_align(size, AREA_ALIGNMENT) else {
            unreachable!("the area size is a small multiple of its alignment")
        };
        // SAFETY: the layout has a non-zero size.
        let pointer = unsafe { alloc_zeroed(layout) };
        let area = NonNull::new(pointer)?;
        // SAFETY: both words lie inside the fresh, zeroed, suitably aligned area.
        unsafe {
            area.add(CONTROL_WORD_OFFSET)
                .cast::<u16>()
                .write(DEFAULT_CONTROL_WORD);
            area.add(MXCSR_OFFSET).cast::<u32>().write(DEFAULT_MXCSR);
        }
        Some(Self {
            area,
            layout,
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
            used: false,
        })
    }

    /// Whether the registers hold this state's values now.
    #[must_use]
    pub fn is_loaded(&self) -> bool {
        REGISTERS.load(Ordering::Relaxed) == self.serial
    }

    /// Whether its environment has ever used x87/SSE/AVX (then it is switched eagerly).
    #[must_use]
    pub fn is_used(&self) -> bool {
        self.used
    }

    /// Copies the registers into this state if they are its values (else they belong to
    /// someone else, or to nobody, and this state is already current).
    pub fn save_if_loaded(&mut self) {
        if !self.is_loaded() {
            return;
        }
        set_trap_on_use(false);
        let area = self.area.as_ptr();
        // SAFETY: the area is this state's own, aligned and sized for the enabled components;
        // the instruction matches what `initialise` enabled; CR0.TS is clear. `xsaveopt` may
        // skip a component only when the last `xrstor` was from this same address, in which
        // case the area already holds it; after `begin_use` the last restore was of the clean
        // image, a different address, so everything is written.
        unsafe {
            match configuration().instruction {
                SaveInstruction::FxSave => {
                    asm!("fxsave64 [{}]", in(reg) area, options(nostack, preserves_flags));
                }
                SaveInstruction::XSave => asm!(
                    "xsave64 [{}]", in(reg) area, in("eax") u32::MAX, in("edx") u32::MAX,
                    options(nostack, preserves_flags)
                ),
                SaveInstruction::XSaveOptimised => asm!(
                    "xsaveopt64 [{}]", in(reg) area, in("eax") u32::MAX, in("edx") u32::MAX,
                    options(nostack, preserves_flags)
                ),
            }
        }
    }

    /// Loads this state into the registers (its owner is about to run) and disarms the
    /// first-use trap.
    pub fn load(&self) {
        // SAFETY: the area holds either the clean state written by `new` or what a save of
        // the same configuration wrote, so its header and MXCSR are valid for the restore.
        unsafe { restore_from(self.area.as_ptr()) };
        REGISTERS.store(self.serial, Ordering::Relaxed);
    }

    /// Handles #NM for this state's environment: if it was running without state (the trap
    /// armed), the clean registers become its state and it continues; returns whether that was
    /// the case (otherwise the #NM is an ordinary exception).
    pub fn begin_use(&mut self) -> bool {
        if !TRAP_ON_USE.load(Ordering::Relaxed) || self.is_loaded() {
            return false;
        }
        if self.used {
            // Not expected (a used state is loaded before its environment runs), but never
            // hand it the clean registers in place of its own.
            self.load();
            return true;
        }
        // Running without state means the registers are clean, which is also this never-used
        // state's value: adopt them without a restore.
        run_without_state();
        set_trap_on_use(false);
        REGISTERS.store(self.serial, Ordering::Relaxed);
        self.used = true;
        true
    }
}

impl Default for FloatingPointState {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FloatingPointState {
    fn drop(&mut self) {
        // The registers still hold its values: nobody may be handed them as clean.
        let _ =
            REGISTERS.compare_exchange(self.serial, UNKNOWN, Ordering::Relaxed, Ordering::Relaxed);
        // SAFETY: allocated in `new` with this layout and freed only here.
        unsafe { dealloc(self.area.as_ptr(), self.layout) };
    }
}

crate::testing::kernel_test!(floating_point_configuration_is_consistent, || {
    use crate::testing::check;
    let configuration = configuration();
    check!(
        configuration.components & (X87 | SSE) == X87 | SSE,
        "x87 and SSE not both enabled: {:#x}",
        configuration.components
    );
    check!(
        (LEGACY_AREA_SIZE..=MAXIMUM_AREA_SIZE).contains(&configuration.area_size)
            && configuration.area_size.is_multiple_of(AREA_ALIGNMENT),
        "area size {}",
        configuration.area_size
    );
    if configuration.instruction != SaveInstruction::FxSave {
        let enabled = XCr0::read_raw();
        check!(
            enabled == configuration.components,
            "XCR0 {enabled:#x}, configured {:#x}",
            configuration.components
        );
        let needed = __cpuid_count(0xd, 0).ebx as usize;
        check!(
            needed <= configuration.area_size,
            "CPUID wants {needed} bytes for XCR0, areas have {}",
            configuration.area_size
        );
    }
    let flags = Cr4::read();
    check!(
        flags.contains(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE),
        "CR4 {flags:?}"
    );
    let state = FloatingPointState::new();
    // SAFETY: reads two words of the state's own area.
    let (control_word, mxcsr) = unsafe {
        (
            state.area.add(CONTROL_WORD_OFFSET).cast::<u16>().read(),
            state.area.add(MXCSR_OFFSET).cast::<u32>().read(),
        )
    };
    check!(
        control_word == DEFAULT_CONTROL_WORD && mxcsr == DEFAULT_MXCSR && !state.is_loaded(),
        "new state FCW {control_word:#x} MXCSR {mxcsr:#x}"
    );
    Ok(())
});
