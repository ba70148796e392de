//! Physical memory bookkeeping for the exokernel: addresses, memory-map arithmetic and the frame allocator.
//!
//! The kernel uses this crate once at boot and then on every frame allocation:
//!
//! 1. Describe memory as a [`MemoryMap`]: the firmware's regions (in any order, possibly
//!    overlapping or unaligned) plus the ranges that must never be handed out (the kernel
//!    image, boot modules, the first MiB, the boot page tables).
//! 2. Size the allocator's bookkeeping with [`BookkeepingLayout::for_memory_map`] and ask
//!    [`MemoryMap::find_placement`] where to put it.
//! 3. Build a [`FrameAllocator`] over that storage, naming the placement so that the
//!    bookkeeping's own frames are never handed out.
//!
//! Everything here is plain Rust over borrowed slices, so it is tested on the host.
//!
//! ```
//! use exokernel_memory::{
//!     BookkeepingLayout, FrameAllocator, MemoryKind, MemoryMap, MemoryRegion, PhysicalAddress,
//!     PhysicalRange,
//! };
//!
//! const MEBIBYTE: u64 = 0x10_0000;
//! let regions = [
//!     MemoryRegion::new(PhysicalAddress::new(0), 64 * MEBIBYTE, MemoryKind::Usable),
//!     MemoryRegion::new(PhysicalAddress::new(0xf_0000), 0x1_0000, MemoryKind::Reserved),
//! ];
//! let kernel_image = PhysicalRange::from_start_and_length(PhysicalAddress::new(MEBIBYTE), MEBIBYTE);
//! let first_mebibyte = PhysicalRange::from_start_and_length(PhysicalAddress::ZERO, MEBIBYTE);
//! let exclusions = [first_mebibyte, kernel_image];
//! let map = MemoryMap::new(&regions, &exclusions);
//!
//! let layout = BookkeepingLayout::for_memory_map(&map).expect("some usable memory");
//! let placement = map.find_placement(layout.byte_length()).expect("room for the bookkeeping");
//! assert_eq!(placement.start(), PhysicalAddress::new(2 * MEBIBYTE));
//! // The kernel reaches `placement` through its direct map; a host test borrows a vector.
//! let mut storage = vec![0; layout.word_count()];
//! let mut allocator = FrameAllocator::new(&mut storage, &map, placement)?;
//!
//! let frame = allocator.allocate_frame()?;
//! assert_eq!(frame.start_address(), placement.end());
//! allocator.free_frame(frame)?;
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]

mod address;
mod alignment;
mod bitmap;
mod error;
mod frame;
mod frame_allocator;
mod layout;
mod memory_map;
mod range;
mod region;
mod summarised_bitmap;

pub use address::{PHYSICAL_ADDRESS_LIMIT, PhysicalAddress};
pub use alignment::Alignment;
pub use error::{BuildError, ContiguousAllocationError, FreeError, OutOfFrames};
pub use frame::{FRAME_SIZE, PhysicalFrame};
pub use frame_allocator::{FrameAllocator, FrameState};
pub use layout::BookkeepingLayout;
pub use memory_map::{FreeSpans, MemoryMap};
pub use range::PhysicalRange;
pub use region::{MemoryKind, MemoryRegion};
