//! Typed kernel-call arguments: each knows how to decode itself from an untrusted register,
//! so validation happens once, in [`crate::Call::decode`].

use crate::error::KernelError;
use crate::rights::Rights;
use crate::types::{PAGE_SIZE, USER_ADDRESS_LIMIT};

/// A value that travels in one register.
pub trait Argument: Sized + Copy {
    /// Validates a raw register value.
    ///
    /// # Errors
    /// The [`KernelError`] that describes why the value is unacceptable.
    fn decode(raw: u64) -> Result<Self, KernelError>;
    /// The register value for this argument.
    fn encode(self) -> u64;
}

impl Argument for u64 {
    fn decode(raw: u64) -> Result<Self, KernelError> {
        Ok(raw)
    }
    fn encode(self) -> u64 {
        self
    }
}

/// An index into the calling environment's capability space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slot(pub u32);

impl Argument for Slot {
    fn decode(raw: u64) -> Result<Self, KernelError> {
        u32::try_from(raw)
            .map(Slot)
            .map_err(|_| KernelError::InvalidSlot)
    }
    fn encode(self) -> u64 {
        u64::from(self.0)
    }
}

/// A slot or none (`u64::MAX`), as in "transfer no capability".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OptionalSlot(pub Option<Slot>);

impl OptionalSlot {
    /// The register value meaning "no slot".
    pub const NONE_VALUE: u64 = u64::MAX;
}

impl Argument for OptionalSlot {
    fn decode(raw: u64) -> Result<Self, KernelError> {
        if raw == Self::NONE_VALUE {
            Ok(Self(None))
        } else {
            Slot::decode(raw).map(|slot| Self(Some(slot)))
        }
    }
    fn encode(self) -> u64 {
        self.0.map_or(Self::NONE_VALUE, Slot::encode)
    }
}

impl Argument for Rights {
    fn decode(raw: u64) -> Result<Self, KernelError> {
        let bits = u32::try_from(raw).map_err(|_| KernelError::InvalidArgument)?;
        Rights::from_bits(bits).ok_or(KernelError::InvalidArgument)
    }
    fn encode(self) -> u64 {
        u64::from(self.bits())
    }
}

/// An address in the user half of the address space (not necessarily mapped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserAddress(pub u64);

impl Argument for UserAddress {
    fn decode(raw: u64) -> Result<Self, KernelError> {
        if raw < USER_ADDRESS_LIMIT {
            Ok(Self(raw))
        } else {
            Err(KernelError::InvalidAddress)
        }
    }
    fn encode(self) -> u64 {
        self.0
    }
}

/// A page-aligned user address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageAddress(pub u64);

impl Argument for PageAddress {
    fn decode(raw: u64) -> Result<Self, KernelError> {
        let address = UserAddress::decode(raw)?;
        if address.0 % PAGE_SIZE == 0 {
            Ok(Self(address.0))
        } else {
            Err(KernelError::InvalidArgument)
        }
    }
    fn encode(self) -> u64 {
        self.0
    }
}

/// A number of pages: at least one, and at most [`PageCount::MAXIMUM`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageCount(pub u64);

impl PageCount {
    /// The most pages one call may work on (4 MiB): mapping, unmapping, protecting, zeroing a
    /// new frame. A kernel call runs with interrupts off, so this is what bounds the longest
    /// such stretch a program can cause; larger ranges take several calls.
    pub const MAXIMUM: u64 = 1024;
}

impl Argument for PageCount {
    fn decode(raw: u64) -> Result<Self, KernelError> {
        if (1..=Self::MAXIMUM).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(KernelError::InvalidArgument)
        }
    }
    fn encode(self) -> u64 {
        self.0
    }
}

/// A number of budget pages moved between quotas: at least one, at most
/// [`QuotaPages::MAXIMUM`]. Moving budget costs the same whatever its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QuotaPages(pub u64);

impl QuotaPages {
    /// The most pages one quota may be given (2^40 pages, 4 EiB): more than any machine has,
    /// and small enough that no page arithmetic on it overflows.
    pub const MAXIMUM: u64 = 1 << 40;
}

impl Argument for QuotaPages {
    fn decode(raw: u64) -> Result<Self, KernelError> {
        if (1..=Self::MAXIMUM).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(KernelError::InvalidArgument)
        }
    }
    fn encode(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_values() {
        assert_eq!(Slot::decode(1 << 32), Err(KernelError::InvalidSlot));
        assert_eq!(Rights::decode(1 << 31), Err(KernelError::InvalidArgument));
        assert_eq!(Rights::decode(1 << 40), Err(KernelError::InvalidArgument));
        assert_eq!(
            UserAddress::decode(USER_ADDRESS_LIMIT),
            Err(KernelError::InvalidAddress)
        );
        assert_eq!(
            UserAddress::decode(u64::MAX),
            Err(KernelError::InvalidAddress)
        );
        assert_eq!(
            PageAddress::decode(0x1001),
            Err(KernelError::InvalidArgument)
        );
        assert_eq!(PageCount::decode(0), Err(KernelError::InvalidArgument));
        assert_eq!(
            PageCount::decode(PageCount::MAXIMUM + 1),
            Err(KernelError::InvalidArgument)
        );
    }

    #[test]
    fn optional_slot_round_trips() {
        for value in [
            OptionalSlot(None),
            OptionalSlot(Some(Slot(0))),
            OptionalSlot(Some(Slot(u32::MAX))),
        ] {
            assert_eq!(OptionalSlot::decode(value.encode()), Ok(value));
        }
    }
}
