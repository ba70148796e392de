//! Busy-waiting on the 8254 PIT, the one clock with a known rate, to calibrate the APIC timer.

use x86_64::instructions::port::Port;

/// The PIT's input clock in hertz.
const PIT_FREQUENCY: u64 = 1_193_182;

fn read_channel_zero() -> u16 {
    // SAFETY: ports 0x40/0x43 are the PIT's channel-0 data and command ports; latching and
    // reading the count has no effect beyond the PIT.
    unsafe {
        Port::<u8>::new(0x43).write(0x00);
        let low = Port::<u8>::new(0x40).read();
        let high = Port::<u8>::new(0x40).read();
        u16::from_le_bytes([low, high])
    }
}

/// Waits `milliseconds` (at most 50) on PIT channel 0. Returns false when no PIT counts.
pub fn wait_milliseconds(milliseconds: u64) -> bool {
    let count = (PIT_FREQUENCY * milliseconds.min(50) / 1000) as u16;
    // SAFETY: programs PIT channel 0 for a one-shot count; its interrupt line is masked at the
    // PIC, so nothing but this loop observes it.
    unsafe {
        Port::<u8>::new(0x43).write(0x30); // channel 0, low then high byte, mode 0
        Port::<u8>::new(0x40).write(count as u8);
        Port::<u8>::new(0x40).write((count >> 8) as u8);
    }
    let mut previous = read_channel_zero();
    let mut unchanged = 0u32;
    for _ in 0..50_000_000u32 {
        let current = read_channel_zero();
        // In mode 0 the count wraps past zero: a rise means the wait is over.
        if current == 0 || current > previous {
            return true;
        }
        unchanged = if current == previous {
            unchanged + 1
        } else {
            0
        };
        if unchanged > 1_000_000 {
            return false;
        }
        previous = current;
    }
    false
}
