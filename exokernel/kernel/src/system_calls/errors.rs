//! Translating the capability system's precise errors into the ABI's small error set.

use exokernel_abi::KernelError;
use exokernel_capability::{
    ChargeError, CopyError, CreateFrameError, CreateSpaceError, DestinationError, InsertError,
    LookupError, MintError, MoveError, RangeError, RecordMappingError, SlotError, SplitQuotaError,
};

/// A lookup failure.
#[must_use]
pub fn lookup(error: LookupError) -> KernelError {
    match error {
        LookupError::NoSuchSpace | LookupError::SlotOutOfRange => KernelError::InvalidSlot,
        LookupError::EmptySlot => KernelError::EmptySlot,
        LookupError::WrongKind { .. } => KernelError::WrongKind,
        LookupError::MissingRights { .. } => KernelError::InsufficientRights,
    }
}

/// A slot failure.
#[must_use]
pub fn slot(error: SlotError) -> KernelError {
    match error {
        SlotError::NoSuchSpace | SlotError::SlotOutOfRange => KernelError::InvalidSlot,
        SlotError::EmptySlot => KernelError::EmptySlot,
    }
}

/// A destination-slot failure.
#[must_use]
pub fn destination(error: DestinationError) -> KernelError {
    match error {
        DestinationError::NoSuchSpace | DestinationError::SlotOutOfRange => {
            KernelError::InvalidSlot
        }
        DestinationError::SlotOccupied => KernelError::SlotOccupied,
    }
}

/// A copy failure.
#[must_use]
pub fn copy(error: CopyError) -> KernelError {
    match error {
        CopyError::Source(error) => lookup(error),
        CopyError::Destination(error) => destination(error),
    }
}

/// A mint failure.
#[must_use]
pub fn mint(error: MintError) -> KernelError {
    match error {
        MintError::Source(error) => lookup(error),
        MintError::Destination(error) => destination(error),
        MintError::NotBadgeable(_) => KernelError::WrongKind,
        MintError::AlreadyBadged => KernelError::InvalidArgument,
    }
}

/// A move failure.
#[must_use]
pub fn move_capability(error: MoveError) -> KernelError {
    match error {
        MoveError::Source(error) => lookup(error),
        MoveError::Destination(error) => destination(error),
    }
}

/// An insert failure.
#[must_use]
pub fn insert(error: InsertError) -> KernelError {
    match error {
        InsertError::Destination(error) => destination(error),
        InsertError::AlreadyReferenced | InsertError::NotAnOriginal => KernelError::InvalidState,
        InsertError::QuotaCapabilityGone => KernelError::EmptySlot,
    }
}

/// A quota charge failure.
#[must_use]
pub fn charge(error: ChargeError) -> KernelError {
    match error {
        ChargeError::Quota(error) => lookup(error),
        ChargeError::ZeroPages => KernelError::InvalidArgument,
        ChargeError::Exhausted { .. } => KernelError::QuotaExhausted,
    }
}

/// A frame-creation failure.
#[must_use]
pub fn create_frame(error: CreateFrameError) -> KernelError {
    match error {
        CreateFrameError::Destination(error) => destination(error),
        CreateFrameError::QuotaCapabilityGone => KernelError::EmptySlot,
        CreateFrameError::AlreadyReferenced => KernelError::InvalidState,
    }
}

/// A quota-split failure.
#[must_use]
pub fn split_quota(error: SplitQuotaError) -> KernelError {
    match error {
        SplitQuotaError::Source(error) => lookup(error),
        SplitQuotaError::Destination(error) => destination(error),
        SplitQuotaError::ZeroPages => KernelError::InvalidArgument,
        SplitQuotaError::Exhausted { .. } => KernelError::QuotaExhausted,
    }
}

/// A mapping-record failure.
#[must_use]
pub fn record_mapping(error: RecordMappingError) -> KernelError {
    match error {
        RecordMappingError::Frame(error) => lookup(error),
        RecordMappingError::Range(error) => range(error),
        RecordMappingError::LargerThanFrame => KernelError::InvalidArgument,
        RecordMappingError::Overlaps => KernelError::AlreadyMapped,
    }
}

/// A range failure.
#[must_use]
pub fn range(_error: RangeError) -> KernelError {
    KernelError::InvalidArgument
}

/// A capability-space creation failure.
#[must_use]
pub fn create_space(_error: CreateSpaceError) -> KernelError {
    KernelError::InvalidArgument
}
