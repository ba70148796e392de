//! A power-of-two byte alignment, validated once so that every use of it is infallible.

use crate::frame::FRAME_SIZE;

/// A byte alignment that is guaranteed to be a power of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Alignment(u64);

impl Alignment {
    /// The alignment of a 4 KiB frame.
    pub const FRAME: Self = Self(FRAME_SIZE);

    /// An alignment of `bytes`, or `None` when `bytes` is not a power of two.
    #[must_use]
    pub const fn new(bytes: u64) -> Option<Self> {
        if bytes.is_power_of_two() {
            Some(Self(bytes))
        } else {
            None
        }
    }

    /// The alignment in bytes.
    #[must_use]
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// The low bits that must be zero in an aligned value.
    pub(crate) const fn mask(self) -> u64 {
        self.0 - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_powers_of_two() {
        assert_eq!(Alignment::new(0), None);
        assert_eq!(Alignment::new(3), None);
        assert_eq!(Alignment::new(4096 + 4096), Some(Alignment(8192)));
        assert_eq!(Alignment::new(1).map(Alignment::bytes), Some(1));
        assert_eq!(Alignment::new(1 << 63).map(Alignment::bytes), Some(1 << 63));
    }
}
