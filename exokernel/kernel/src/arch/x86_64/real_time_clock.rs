//! The CMOS real-time clock (the MC146818 behind ports 0x70/0x71): the wall-clock date and time,
//! read once at boot for the time page.

use x86_64::instructions::port::Port;

/// Status register A: bit 7 is set while the clock updates its registers.
const STATUS_A: u8 = 0x0a;
/// Status register B: bit 2 set means binary (else BCD), bit 1 set means 24-hour mode.
const STATUS_B: u8 = 0x0b;

/// A date and time as the real-time clock holds it (taken as UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: u64,
    pub month: u64,
    pub day: u64,
    pub hour: u64,
    pub minute: u64,
    pub second: u64,
}

fn read_register(register: u8) -> u8 {
    // SAFETY: ports 0x70/0x71 are the CMOS index and data ports; selecting a clock register
    // (with NMIs left enabled, bit 7 clear) and reading it has no other effect.
    unsafe {
        Port::<u8>::new(0x70).write(register & 0x7f);
        Port::<u8>::new(0x71).read()
    }
}

fn raw_registers() -> [u8; 7] {
    [0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32].map(read_register)
}

/// Reads the clock: waits out an update in progress and reads until two reads agree.
/// Returns `None` when the clock never settles or holds an impossible date.
#[must_use]
pub fn read() -> Option<DateTime> {
    let mut previous = None;
    for _ in 0..1000 {
        let mut waits = 0u32;
        while read_register(STATUS_A) & 0x80 != 0 {
            waits += 1;
            if waits > 1_000_000 {
                return None;
            }
        }
        let registers = raw_registers();
        if previous == Some(registers) {
            return decode(registers, read_register(STATUS_B));
        }
        previous = Some(registers);
    }
    None
}

fn decode(registers: [u8; 7], status_b: u8) -> Option<DateTime> {
    let binary = status_b & 0x04 != 0;
    let value = |byte: u8| -> u64 {
        if binary {
            u64::from(byte)
        } else {
            u64::from(byte & 0x0f) + u64::from(byte >> 4) * 10
        }
    };
    let [second, minute, hour, day, month, year, century] = registers;
    let pm = hour & 0x80 != 0;
    let mut hour = value(hour & 0x7f);
    if status_b & 0x02 == 0 {
        // 12-hour mode: 12 AM is 0, 12 PM is 12.
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let century = match value(century) {
        19..=21 => value(century),
        _ => 20,
    };
    let date = DateTime {
        year: century * 100 + value(year),
        month: value(month),
        day: value(day),
        hour,
        minute: value(minute),
        second: value(second),
    };
    let valid = (1..=12).contains(&date.month)
        && (1..=31).contains(&date.day)
        && date.hour < 24
        && date.minute < 60
        && date.second < 61
        && date.year >= 1970;
    valid.then_some(date)
}

impl DateTime {
    /// Seconds since 1970-01-01 00:00:00 UTC (Howard Hinnant's days-from-civil).
    #[must_use]
    pub fn unix_seconds(&self) -> u64 {
        let (year, month) = if self.month <= 2 {
            (self.year - 1, self.month + 9)
        } else {
            (self.year, self.month - 3)
        };
        let era = year / 400;
        let year_of_era = year - era * 400;
        let day_of_year = (153 * month + 2) / 5 + self.day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        let days = era * 146_097 + day_of_era - 719_468;
        days * 86_400 + self.hour * 3600 + self.minute * 60 + self.second
    }
}
