//! Per-environment x87/SSE/AVX register state: at boot, turning the units on (CR0, CR4, XCR0)
//! and sizing the save area; on each switch between environments, saving the outgoing one's
//! registers and loading the incoming one's — `xsaveopt`/`xsave` and `xrstor` where the CPU has
//! XSAVE, `fxsave`/`fxrstor` otherwise. Switching is eager (docs/benchmarks.md has the numbers
//! that chose it over a lazy CR0.TS/#NM scheme).
//!
//! The kernel is built soft-float and never touches these registers itself, so between a save
//! and the next load they still hold the last environment's values.

use alloc::alloc::{Layout, alloc_zeroed, dealloc, handle_alloc_error};
use core::arch::asm;
use core::arch::x86_64::{__cpuid, __cpuid_count};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

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
/// The serial of the state whose values are in the registers (0: nobody's).
static LOADED: AtomicU64 = AtomicU64::new(0);
/// The next serial handed to a new state; serials are never reused, unlike environment ids.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

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

/// One environment's saved x87/SSE/AVX registers, in a 64-byte-aligned kernel-heap area.
pub struct FloatingPointState {
    area: NonNull<u8>,
    layout: Layout,
    serial: u64,
}

// SAFETY: the area is owned by this value alone, like a `Box`.
unsafe impl Send for FloatingPointState {}

impl FloatingPointState {
    /// The clean state: FCW 0x37f (all x87 exceptions masked, 64-bit precision), empty x87
    /// stack, MXCSR 0x1f80 (all SSE exceptions masked, round to nearest), every vector register
    /// zero (in the `xsave` form the header marks every component as in its initial state).
    #[must_use]
    pub fn new() -> Self {
        let size = configuration().area_size;
        let Ok(layout) = Layout::from_size_align(size, AREA_ALIGNMENT) else {
            unreachable!("the area size is a small multiple of its alignment")
        };
        // SAFETY: the layout has a non-zero size.
        let pointer = unsafe { alloc_zeroed(layout) };
        let Some(area) = NonNull::new(pointer) else {
            handle_alloc_error(layout)
        };
        // SAFETY: both words lie inside the fresh, zeroed, suitably aligned area.
        unsafe {
            area.add(CONTROL_WORD_OFFSET)
                .cast::<u16>()
                .write(DEFAULT_CONTROL_WORD);
            area.add(MXCSR_OFFSET).cast::<u32>().write(DEFAULT_MXCSR);
        }
        Self {
            area,
            layout,
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Whether the registers hold this state's values now.
    #[must_use]
    pub fn is_loaded(&self) -> bool {
        LOADED.load(Ordering::Relaxed) == self.serial
    }

    /// Copies the registers into this state if they are its values (else they belong to
    /// someone else, or to nobody, and this state is already current).
    pub fn save_if_loaded(&mut self) {
        if !self.is_loaded() {
            return;
        }
        let area = self.area.as_ptr();
        // SAFETY: the area is this state's own, aligned and sized for the enabled components;
        // the instruction matches what `initialise` enabled. `xsaveopt` is valid because the
        // last `xrstor` was from this same area (`is_loaded`).
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

    /// Loads this state into the registers (its owner is about to run).
    pub fn load(&self) {
        let area = self.area.as_ptr();
        // SAFETY: the area holds either the clean state written by `new` or what a save of
        // the same configuration wrote, so its header and MXCSR are valid for the restore.
        unsafe {
            match configuration().instruction {
                SaveInstruction::FxSave => {
                    asm!("fxrstor64 [{}]", in(reg) area, options(nostack, preserves_flags));
                }
                SaveInstruction::XSave | SaveInstruction::XSaveOptimised => asm!(
                    "xrstor64 [{}]", in(reg) area, in("eax") u32::MAX, in("edx") u32::MAX,
                    options(nostack, preserves_flags)
                ),
            }
        }
        LOADED.store(self.serial, Ordering::Relaxed);
    }
}

impl Default for FloatingPointState {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FloatingPointState {
    fn drop(&mut self) {
        // A later state can never match a serial that is gone, but keep "nobody" exact.
        let _ = LOADED.compare_exchange(self.serial, 0, Ordering::Relaxed, Ordering::Relaxed);
        // SAFETY: allocated in `new` with this layout and freed only here.
        unsafe { dealloc(self.area.as_ptr(), self.layout) };
    }
}
