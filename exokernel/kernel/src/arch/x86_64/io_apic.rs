//! The I/O APIC: routes the console's receive interrupt (ISA IRQ 4) to the local APIC.
//!
//! Only the one pin the kernel uses is programmed; every other pin keeps the masked state the
//! firmware (or QEMU) left it in. The I/O APIC sits at its architectural default address on
//! both machines the kernel boots on (`microvm` and `q35`), where ISA IRQ 4 is global system
//! interrupt 4 (neither overrides it in its MADT).

use core::sync::atomic::{AtomicU64, Ordering};

use super::paging::physical_to_virtual;

/// Physical address of the I/O APIC's registers.
pub const PHYSICAL_BASE: u64 = 0xfec0_0000;

const REGISTER_SELECT: u64 = 0x00;
const REGISTER_WINDOW: u64 = 0x10;
const REGISTER_VERSION: u32 = 0x01;
const REDIRECTION_TABLE: u32 = 0x10;
const MASKED: u32 = 1 << 16;

/// Virtual address of the registers; zero until [`initialise`] found an I/O APIC.
static REGISTERS: AtomicU64 = AtomicU64::new(0);

fn select_and_read(base: u64, register: u32) -> u32 {
    // SAFETY: `base` is the direct-mapped, uncached I/O APIC page (mapped by
    // `paging::build_kernel_tables`); select and window are its architectural registers.
    unsafe {
        core::ptr::write_volatile((base + REGISTER_SELECT) as *mut u32, register);
        core::ptr::read_volatile((base + REGISTER_WINDOW) as *const u32)
    }
}

fn select_and_write(base: u64, register: u32, value: u32) {
    // SAFETY: as in `select_and_read`.
    unsafe {
        core::ptr::write_volatile((base + REGISTER_SELECT) as *mut u32, register);
        core::ptr::write_volatile((base + REGISTER_WINDOW) as *mut u32, value);
    }
}

/// Looks for the I/O APIC; returns how many pins it has, or `None` when nothing answers.
pub fn initialise() -> Option<u32> {
    let base = physical_to_virtual(PHYSICAL_BASE);
    let version = select_and_read(base, REGISTER_VERSION);
    // Absent hardware reads as all ones; a real version register has bits 8..16 clear.
    if version == u32::MAX || version & 0xff00 != 0 {
        return None;
    }
    REGISTERS.store(base, Ordering::Relaxed);
    Some(((version >> 16) & 0xff) + 1)
}

/// Routes pin `pin` to `vector` on the boot CPU (local APIC id 0), edge-triggered, active high,
/// as ISA interrupts are. Returns whether an I/O APIC was there to program.
pub fn route(pin: u32, vector: u8, pins: u32) -> bool {
    let base = REGISTERS.load(Ordering::Relaxed);
    if base == 0 || pin >= pins {
        return false;
    }
    let register = REDIRECTION_TABLE + pin * 2;
    select_and_write(base, register, MASKED);
    select_and_write(base, register + 1, 0);
    select_and_write(base, register, u32::from(vector));
    true
}
