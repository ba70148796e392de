//! The local APIC: enabling it, its periodic timer, end-of-interrupt.
//!
//! The legacy 8259 PIC is masked; every interrupt the kernel takes comes through the local APIC.

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::instructions::port::Port;
use x86_64::registers::model_specific::Msr;

use super::interrupts::{SPURIOUS_VECTOR, TIMER_VECTOR};
use super::paging::physical_to_virtual;
use super::timer_calibration;

const REGISTER_TASK_PRIORITY: u64 = 0x80;
const REGISTER_END_OF_INTERRUPT: u64 = 0xb0;
const REGISTER_SPURIOUS_VECTOR: u64 = 0xf0;
const REGISTER_INTERRUPT_COMMAND_LOW: u64 = 0x300;
const REGISTER_INTERRUPT_COMMAND_HIGH: u64 = 0x310;
const REGISTER_IDENTIFIER: u64 = 0x20;
const REGISTER_TIMER_VECTOR: u64 = 0x320;
const REGISTER_TIMER_INITIAL_COUNT: u64 = 0x380;
const REGISTER_TIMER_CURRENT_COUNT: u64 = 0x390;
const REGISTER_TIMER_DIVIDE: u64 = 0x3e0;

const TIMER_MASKED: u32 = 1 << 16;
const TIMER_PERIODIC: u32 = 1 << 17;
/// Divide the bus clock by 16.
const TIMER_DIVIDE_BY_16: u32 = 0x3;

/// Virtual address of the APIC registers; zero until [`initialise`] ran.
static REGISTERS: AtomicU64 = AtomicU64::new(0);
/// Timer counts per millisecond as calibrated.
static COUNTS_PER_MILLISECOND: AtomicU64 = AtomicU64::new(0);

/// Physical address of this CPU's local APIC registers (from `IA32_APIC_BASE`).
#[must_use]
pub fn physical_base() -> u64 {
    // SAFETY: IA32_APIC_BASE exists on every x86_64 CPU with an APIC, which long mode implies.
    unsafe { Msr::new(0x1b).read() & 0x000f_ffff_f000 }
}

fn write(register: u64, value: u32) {
    let base = REGISTERS.load(Ordering::Relaxed);
    // SAFETY: `base` is the direct-mapped, uncached APIC page set up by `initialise`; the
    // register offsets are architectural.
    unsafe { core::ptr::write_volatile((base + register) as *mut u32, value) }
}

fn read(register: u64) -> u32 {
    let base = REGISTERS.load(Ordering::Relaxed);
    // SAFETY: as in `write`.
    unsafe { core::ptr::read_volatile((base + register) as *const u32) }
}

/// Masks the 8259 PIC and software-enables the local APIC. The APIC page must already be
/// mapped at its direct-map address.
pub fn initialise() {
    // SAFETY: ports 0x21/0xa1 are the 8259 data ports; masking every line is always safe.
    unsafe {
        Port::<u8>::new(0x21).write(0xff);
        Port::<u8>::new(0xa1).write(0xff);
    }
    REGISTERS.store(physical_to_virtual(physical_base()), Ordering::Relaxed);
    write(REGISTER_TASK_PRIORITY, 0);
    write(REGISTER_SPURIOUS_VECTOR, 0x100 | u32::from(SPURIOUS_VECTOR));
}

/// How the timer's rate was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Calibration {
    /// Measured against the 8254 PIT.
    ProgrammableIntervalTimer,
    /// No PIT answered; a 1 GHz bus clock was assumed.
    Assumed,
}

/// Calibrates the timer and starts it firing [`TIMER_VECTOR`] `frequency` times a second.
pub fn start_periodic_timer(frequency: u32) -> Calibration {
    write(REGISTER_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    write(
        REGISTER_TIMER_VECTOR,
        TIMER_MASKED | u32::from(TIMER_VECTOR),
    );
    write(REGISTER_TIMER_INITIAL_COUNT, u32::MAX);
    let timestamp_before = super::timestamp_counter();
    let (per_millisecond, calibration) = match timer_calibration::wait_milliseconds(10) {
        true => {
            let timestamp_after = super::timestamp_counter();
            crate::time::set_timestamp_rate(
                timestamp_after,
                (timestamp_after - timestamp_before) / 10_000,
            );
            let elapsed = u32::MAX - read(REGISTER_TIMER_CURRENT_COUNT);
            (
                u64::from(elapsed) / 10,
                Calibration::ProgrammableIntervalTimer,
            )
        }
        false => {
            crate::time::set_timestamp_rate(super::timestamp_counter(), 1000);
            (1_000_000_000 / 16 / 1000, Calibration::Assumed)
        }
    };
    let per_millisecond = per_millisecond.max(1);
    COUNTS_PER_MILLISECOND.store(per_millisecond, Ordering::Relaxed);
    let period =
        (per_millisecond * 1000 / u64::from(frequency.max(1))).clamp(1, u64::from(u32::MAX));
    write(
        REGISTER_TIMER_VECTOR,
        TIMER_PERIODIC | u32::from(TIMER_VECTOR),
    );
    write(REGISTER_TIMER_INITIAL_COUNT, period as u32);
    calibration
}

/// Timer counts per millisecond as calibrated (0 before the timer started).
#[must_use]
pub fn counts_per_millisecond() -> u64 {
    COUNTS_PER_MILLISECOND.load(Ordering::Relaxed)
}

/// Sends a non-maskable interrupt to this CPU (for the kernel test of NMI handling).
pub fn send_nmi_to_self() {
    // Physical destination: this CPU's APIC id (the "self" shorthand allows only fixed
    // delivery); delivery mode NMI (0b100), edge, assert.
    let identifier = read(REGISTER_IDENTIFIER) >> 24;
    write(REGISTER_INTERRUPT_COMMAND_HIGH, identifier << 24);
    write(REGISTER_INTERRUPT_COMMAND_LOW, (0b100 << 8) | (1 << 14));
}

/// Signals the end of the interrupt being handled.
pub fn end_of_interrupt() {
    write(REGISTER_END_OF_INTERRUPT, 0);
}
