//! The kernel's error codes: a small closed set, returned in `rax`. POSIX `errno` values are
//! chosen by the LibOS, never by the kernel.

/// Why a kernel call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum KernelError {
    /// The call number is not in the table.
    UnknownCall = 1,
    /// An argument is out of range (zero or oversized count, unknown flag bits, misalignment).
    InvalidArgument = 2,
    /// A slot index is outside the caller's capability space.
    InvalidSlot = 3,
    /// The slot holds no capability.
    EmptySlot = 4,
    /// The destination slot already holds a capability.
    SlotOccupied = 5,
    /// The capability names an object of the wrong kind for this call.
    WrongKind = 6,
    /// The capability lacks a right the call needs.
    InsufficientRights = 7,
    /// A user address is not canonical, not in user space, or not mapped with the access needed.
    InvalidAddress = 8,
    /// Something is already mapped at that virtual address.
    AlreadyMapped = 9,
    /// Nothing is mapped at that virtual address.
    NotMapped = 10,
    /// The kernel has no physical memory left for this.
    OutOfMemory = 11,
    /// The memory quota named cannot pay for this.
    QuotaExhausted = 12,
    /// A non-blocking call would have blocked (or the futex word did not match).
    WouldBlock = 13,
    /// A blocking call's timeout expired.
    TimedOut = 14,
    /// The peer of an IPC (the caller awaiting a reply, or the server) is gone.
    PeerGone = 15,
    /// The object is not in a state that allows this (starting a running environment, …).
    InvalidState = 16,
    /// A blocking call was cut short because its environment was stopped (`EnvironmentStop`):
    /// nothing it would have done happened (an `IpcCall` was never delivered).
    Interrupted = 17,
}

impl KernelError {
    /// Every error, in code order.
    pub const ALL: [Self; 17] = [
        Self::UnknownCall,
        Self::InvalidArgument,
        Self::InvalidSlot,
        Self::EmptySlot,
        Self::SlotOccupied,
        Self::WrongKind,
        Self::InsufficientRights,
        Self::InvalidAddress,
        Self::AlreadyMapped,
        Self::NotMapped,
        Self::OutOfMemory,
        Self::QuotaExhausted,
        Self::WouldBlock,
        Self::TimedOut,
        Self::PeerGone,
        Self::InvalidState,
        Self::Interrupted,
    ];

    /// The code placed in `rax`.
    #[must_use]
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The error for a nonzero `rax`, or `None` for success or an unknown code.
    #[must_use]
    pub fn from_code(code: u64) -> Option<Self> {
        Self::ALL.iter().copied().find(|error| error.code() == code)
    }

    /// A short description, for logs and the LibOS's messages.
    #[must_use]
    pub const fn description(self) -> &'static str {
        match self {
            Self::UnknownCall => "unknown kernel call",
            Self::InvalidArgument => "invalid argument",
            Self::InvalidSlot => "slot outside the capability space",
            Self::EmptySlot => "empty capability slot",
            Self::SlotOccupied => "capability slot occupied",
            Self::WrongKind => "capability names the wrong kind of object",
            Self::InsufficientRights => "capability lacks the rights needed",
            Self::InvalidAddress => "invalid user address",
            Self::AlreadyMapped => "address already mapped",
            Self::NotMapped => "address not mapped",
            Self::OutOfMemory => "kernel out of memory",
            Self::QuotaExhausted => "memory quota exhausted",
            Self::WouldBlock => "operation would block",
            Self::TimedOut => "timed out",
            Self::PeerGone => "IPC peer is gone",
            Self::InvalidState => "object in the wrong state",
            Self::Interrupted => "interrupted by a stop",
        }
    }
}

impl core::fmt::Display for KernelError {
    fn fmt(&self, formatter: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        formatter.write_str(self.description())
    }
}

#[cfg(test)]
mod tests {
    use super::KernelError;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for (index, error) in KernelError::ALL.iter().enumerate() {
            assert_eq!(error.code(), index as u64 + 1);
            assert_eq!(KernelError::from_code(error.code()), Some(*error));
        }
        assert_eq!(KernelError::from_code(0), None);
        assert_eq!(KernelError::from_code(18), None);
    }
}
