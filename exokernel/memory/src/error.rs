//! The frame allocator's error types, one per operation.

use core::fmt;

use crate::frame::PhysicalFrame;

/// Why a [`FrameAllocator`](crate::FrameAllocator) could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// The memory map has no available frame at all.
    NoUsableMemory,
    /// The storage slice is shorter than
    /// [`BookkeepingLayout::word_count`](crate::BookkeepingLayout::word_count).
    StorageTooSmall {
        /// Words the memory map needs.
        required_words: usize,
        /// Words the caller provided.
        provided_words: usize,
    },
}

/// Every available frame is allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfFrames;

/// Why a contiguous run of frames could not be allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContiguousAllocationError {
    /// The request was for zero frames.
    EmptyRun,
    /// No run of free frames of that length and alignment exists.
    NoSuitableRun,
}

/// Why frames could not be freed. Nothing is freed when any frame of a run is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The run had zero frames.
    EmptyRun,
    /// This frame was never available for allocation (outside usable memory, excluded, or
    /// holding the allocator's bookkeeping), so it cannot have been allocated.
    NeverUsable {
        /// The lowest such frame in the run.
        frame: PhysicalFrame,
    },
    /// This frame is already free: a double free.
    AlreadyFree {
        /// The lowest such frame in the run.
        frame: PhysicalFrame,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoUsableMemory => formatter.write_str("the memory map has no usable frame"),
            Self::StorageTooSmall {
                required_words,
                provided_words,
            } => write!(
                formatter,
                "frame allocator storage has {provided_words} words but needs {required_words}"
            ),
        }
    }
}

impl fmt::Display for OutOfFrames {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("out of physical frames")
    }
}

impl fmt::Display for ContiguousAllocationError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyRun => formatter.write_str("cannot allocate a run of zero frames"),
            Self::NoSuitableRun => {
                formatter.write_str("no free run of frames with that length and alignment")
            }
        }
    }
}

impl fmt::Display for FreeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyRun => formatter.write_str("cannot free a run of zero frames"),
            Self::NeverUsable { frame } => write!(
                formatter,
                "frame at {} was never available for allocation",
                frame.start_address()
            ),
            Self::AlreadyFree { frame } => {
                write!(
                    formatter,
                    "frame at {} is already free",
                    frame.start_address()
                )
            }
        }
    }
}

impl core::error::Error for BuildError {}
impl core::error::Error for OutOfFrames {}
impl core::error::Error for ContiguousAllocationError {}
impl core::error::Error for FreeError {}
