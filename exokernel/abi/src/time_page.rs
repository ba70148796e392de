//! The time page: one read-only page the kernel fills at boot with everything `clock_gettime`
//! needs, so that reading the monotonic or the real-time clock is a library call (`rdtsc` and
//! arithmetic) with no kernel entry.
//!
//! Monotonic nanoseconds since boot are `((tsc − boot_timestamp) × multiplier) >> shift`: the
//! same formula, with the same numbers, that `ClockRead` computes in the kernel, so the two
//! clocks agree exactly. Real time adds the wall-clock time the kernel read from the CMOS
//! real-time clock at boot.

/// The page's layout (`repr(C)`, at offset 0 of the frame in the `TIME_PAGE` slot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct TimePage {
    /// [`TimePage::LAYOUT_VERSION`] once the kernel has filled the page; 0 means "no clock".
    pub layout_version: u64,
    /// The timestamp counter at the clock's zero (nanosecond 0 of `ClockRead`).
    pub boot_timestamp: u64,
    /// Timestamp-counter ticks per second (as calibrated against the PIT at boot).
    pub timestamp_frequency: u64,
    /// Nanoseconds = (elapsed ticks × `multiplier`) >> `shift`, computed in 128 bits.
    pub multiplier: u64,
    /// See `multiplier`.
    pub shift: u64,
    /// Seconds since the Unix epoch (UTC) at `boot_timestamp`, from the CMOS real-time clock.
    pub realtime_at_boot_seconds: u64,
    /// The kernel timer's period in nanoseconds: the granularity of timeouts and timers.
    pub tick_nanoseconds: u64,
}

impl TimePage {
    /// The layout described here.
    pub const LAYOUT_VERSION: u64 = 1;
    /// Bits of fraction in `multiplier`.
    pub const SHIFT: u64 = 32;

    /// A page for a counter running at `ticks_per_microsecond` (at least 1) that read
    /// `boot_timestamp` at the clock's zero.
    #[must_use]
    pub const fn new(
        boot_timestamp: u64,
        ticks_per_microsecond: u64,
        realtime_at_boot_seconds: u64,
        tick_nanoseconds: u64,
    ) -> Self {
        let rate = if ticks_per_microsecond == 0 {
            1
        } else {
            ticks_per_microsecond
        };
        Self {
            layout_version: Self::LAYOUT_VERSION,
            boot_timestamp,
            timestamp_frequency: rate * 1_000_000,
            multiplier: (1000u64 << Self::SHIFT) / rate,
            shift: Self::SHIFT,
            realtime_at_boot_seconds,
            tick_nanoseconds,
        }
    }

    /// Monotonic nanoseconds since boot at counter value `timestamp`.
    #[must_use]
    pub const fn nanoseconds_since_boot(&self, timestamp: u64) -> u64 {
        let elapsed = timestamp.saturating_sub(self.boot_timestamp) as u128;
        let shift = if self.shift > 127 { 127 } else { self.shift };
        let nanoseconds = (elapsed * self.multiplier as u128) >> shift;
        if nanoseconds > u64::MAX as u128 {
            u64::MAX
        } else {
            nanoseconds as u64
        }
    }

    /// Nanoseconds since the Unix epoch (UTC) at counter value `timestamp`.
    #[must_use]
    pub const fn realtime_nanoseconds(&self, timestamp: u64) -> u64 {
        self.realtime_at_boot_seconds
            .saturating_mul(1_000_000_000)
            .saturating_add(self.nanoseconds_since_boot(timestamp))
    }
}

#[cfg(test)]
mod tests {
    use super::TimePage;

    #[test]
    fn nanoseconds_match_the_plain_division_within_a_nanosecond_per_second() {
        for rate in [1, 1000, 2394, 3000, 4_000] {
            let page = TimePage::new(5_000, rate, 0, 10_000_000);
            for elapsed in [0, 1, rate, rate * 1_000_000, rate * 3_600_000_000] {
                let exact = u128::from(elapsed) * 1000 / u128::from(rate);
                let computed = u128::from(page.nanoseconds_since_boot(5_000 + elapsed));
                // The multiplier is rounded down: at most one nanosecond early per second.
                assert!(computed <= exact, "rate {rate} elapsed {elapsed}");
                assert!(exact - computed <= exact / 1_000_000_000 + 1, "rate {rate}");
            }
            assert_eq!(page.nanoseconds_since_boot(0), 0, "before boot is 0");
        }
    }

    #[test]
    fn real_time_adds_the_boot_wall_clock() {
        let page = TimePage::new(0, 1000, 1_700_000_000, 10_000_000);
        assert_eq!(page.realtime_nanoseconds(0), 1_700_000_000_000_000_000);
        assert_eq!(
            page.realtime_nanoseconds(1_000_000_000),
            1_700_000_001_000_000_000
        );
        assert_eq!(TimePage::new(0, 0, 0, 0).timestamp_frequency, 1_000_000);
    }
}
