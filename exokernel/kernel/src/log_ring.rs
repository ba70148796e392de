//! The kernel log's memory: the newest messages the kernel logged (boot facts, faults, at
//! information level and above), kept in a ring so that `KernelLogRead` (`dmesg`) can show
//! them after they scrolled past on the log port.
//!
//! Bytes are addressed by their position in everything ever logged, so a reader that pages
//! through the ring with the position a read returned never sees a byte twice, and one that
//! fell behind the overwritten part learns where the oldest byte still held starts.

use core::fmt;

use spin::Mutex;

/// Bytes the kernel's ring holds: about two hundred lines.
pub const CAPACITY: usize = 16 * 1024;

/// A ring of the last `N` bytes written.
pub struct LogRing<const N: usize> {
    bytes: [u8; N],
    /// Bytes ever written: the position of the next one.
    written: u64,
}

/// What one read of the ring took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Taken {
    /// Bytes copied out.
    pub count: usize,
    /// Where they started (the position asked for, or the oldest held if that is later).
    pub start: u64,
    /// The oldest position still held.
    pub oldest: u64,
    /// The position after the newest byte.
    pub end: u64,
}

impl<const N: usize> LogRing<N> {
    /// An empty ring.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            bytes: [0; N],
            written: 0,
        }
    }

    /// Appends `bytes`, overwriting the oldest when full.
    pub fn append(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.bytes[(self.written % N as u64) as usize] = byte;
            self.written += 1;
        }
    }

    /// The oldest position still held.
    #[must_use]
    pub fn oldest(&self) -> u64 {
        self.written.saturating_sub(N as u64)
    }

    /// Copies the bytes from `position` (or the oldest held, if that is later; nothing if it is
    /// past the end) into `destination`, as many as fit.
    pub fn take(&self, position: u64, destination: &mut [u8]) -> Taken {
        let oldest = self.oldest();
        let start = position.clamp(oldest, self.written);
        let count = ((self.written - start) as usize).min(destination.len());
        for (offset, slot) in destination[..count].iter_mut().enumerate() {
            *slot = self.bytes[((start + offset as u64) % N as u64) as usize];
        }
        Taken {
            count,
            start,
            oldest,
            end: self.written,
        }
    }
}

impl<const N: usize> fmt::Write for LogRing<N> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.append(text.as_bytes());
        Ok(())
    }
}

impl<const N: usize> Default for LogRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

static RING: Mutex<LogRing<CAPACITY>> = Mutex::new(LogRing::new());

/// Records one log line, stamped with the time since boot (0 before the timer is calibrated)
/// and the level's label.
pub fn record(label: &str, arguments: fmt::Arguments<'_>) {
    use fmt::Write;
    let nanoseconds = crate::time::nanoseconds_since_boot();
    crate::arch::cpu::without_interrupts(|| {
        let _ = writeln!(
            RING.lock(),
            "[{:5}.{:06}] [{label}] {arguments}",
            nanoseconds / 1_000_000_000,
            nanoseconds % 1_000_000_000 / 1000
        );
    });
}

/// [`LogRing::take`] on the kernel's ring.
pub fn take(position: u64, destination: &mut [u8]) -> Taken {
    crate::arch::cpu::without_interrupts(|| RING.lock().take(position, destination))
}

crate::testing::kernel_test!(log_ring_keeps_the_newest_bytes_by_position, || {
    use crate::testing::check;
    let mut ring = LogRing::<8>::new();
    ring.append(b"abcdefghij");
    let mut out = [0u8; 16];
    let whole = ring.take(0, &mut out);
    check!(
        whole
            == Taken {
                count: 8,
                start: 2,
                oldest: 2,
                end: 10
            }
            && &out[..8] == b"cdefghij",
        "after wrapping: {whole:?} {:?}",
        &out[..8]
    );
    let middle = ring.take(5, &mut out[..2]);
    check!(
        middle.count == 2 && middle.start == 5 && &out[..2] == b"fg",
        "from the middle: {middle:?}"
    );
    let past = ring.take(u64::MAX, &mut out);
    check!(
        past.count == 0 && past.start == 10,
        "past the end: {past:?}"
    );
    Ok(())
});
