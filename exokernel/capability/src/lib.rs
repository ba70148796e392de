//! The exokernel's capability logic: spaces, derivation, revocation, memory quotas and mappings.
//!
//! This crate is the kernel's security core in pure Rust, with no hardware in it, so `cargo test`
//! on the host exercises it (unit tests for every operation and error, property tests over random
//! operation sequences). The kernel owns one [`CapabilitySystem`] behind a lock and calls it from
//! its system-call handlers; every slot number may come straight from a user register, and every
//! bad argument is an error, never a panic.
//!
//! # Model
//!
//! **Capabilities.** A [`Capability`] names one kernel [`Object`] (a memory quota, a frame, an
//! address space, an environment, an endpoint, a notification, an interrupt line, a range of I/O
//! ports), carries [`Rights`] saying what its holder may do to it, and, for endpoints and
//! notifications, an optional [`Badge`] identifying the holder to the receiver. A capability never
//! changes; deriving makes a new one. The kernel allocates object ids (indices into its own
//! tables); this crate only compares them.
//!
//! **Capability spaces.** Each environment has a space of numbered slots
//! ([`CapabilitySystem::create_space`]). A slot is addressed by [`SlotAddress`] (space id, slot
//! number); space ids are generation-checked, slot numbers range-checked. Lookups check kind and
//! rights in the same call ([`CapabilitySystem::lookup_kind`]).
//!
//! **Derivation tree.** Every capability is a node. Originals, inserted when the kernel creates an
//! object ([`CapabilitySystem::insert_original`]), are roots. A copy or mint is a child of its
//! source; a frame or child quota is a child of the quota capability it was made from. The rights
//! of a child are always `parent rights & mask`, so authority only shrinks along the tree.
//!
//! **Operations.**
//! - *copy* (source needs [`Rights::GRANT`]): a child with rights `source & mask`, same badge.
//! - *mint* (source needs GRANT): a copy that may also set a badge, only on an unbadged endpoint
//!   or notification capability.
//! - *move*: relocates a capability, keeping its node, children and mappings. Within one space it
//!   needs no right; into another space it passes authority on, so it needs GRANT.
//! - *delete*: removes one capability. Its children stay, re-parented to its parent (or made
//!   roots), so a later revoke of any ancestor still reaches them.
//! - *revoke*: removes every descendant, in every space, and keeps the capability itself.
//! - *identify*: the object, rights and badge in a slot.
//!
//! All of these work across spaces; capability transfer over IPC is a copy, mint or move from
//! the sender's space to the receiver's.
//!
//! **Object lifetime.** The system counts the capabilities naming each object. Removing the last
//! one reports [`Release::ObjectUnreferenced`] so the kernel destroys the object (frees a frame's
//! pages, tears down an environment). Ids must not be reused before that report:
//! [`CapabilitySystem::insert_original`] refuses an object that still has capabilities.
//!
//! **Memory quotas.** A memory quota is a budget of physical pages kept by this crate. The kernel
//! creates one root quota for all usable memory ([`CapabilitySystem::create_quota`]). A frame is
//! made in two steps around the kernel's physical allocator: [`CapabilitySystem::charge`] takes
//! budget (needs [`Rights::ALLOCATE`]; fails with [`ChargeError::Exhausted`] when short), and
//! [`CapabilitySystem::create_frame`] turns the [`Charge`] into a frame capability, or
//! [`CapabilitySystem::refund`] returns it. [`CapabilitySystem::split_quota`] moves budget into a
//! child quota. A frame's pages are credited back to its quota when the frame object dies, and a
//! child quota's budget returns to its parent when the child dies, so for every quota
//! `budget == remaining + live frames' pages + live child quotas' budgets + pending charges`. A
//! quota's ledger outlives its last capability until everything it paid for has come back.
//! READ, WRITE, EXECUTE and MAP on a quota capability bound the rights of the frames made from it.
//!
//! **Mapping database.** The kernel records each mapping it makes ([`Mapping`]: address space,
//! virtual address, page count) against the frame capability that authorised it
//! ([`CapabilitySystem::record_mapping`], needs [`Rights::MAP`]). Deleting or revoking that
//! capability reports [`Release::Unmap`] for each of its records, exactly once.
//! [`CapabilitySystem::find_mapping`] tells which capability mapped a page (to check a change
//! of page rights against it), [`CapabilitySystem::forget_mappings`] drops records when the
//! user unmaps pages and
//! [`CapabilitySystem::forget_address_space`] when an address space is destroyed (the kernel must
//! call it before reusing the address-space id).
//!
//! **Releases.** Every removing operation returns [`Releases`], ordered so applying them front to
//! back is safe: all unmaps first, then the unreferenced objects, so no page is freed while mapped.
//!
//! # Errors
//!
//! Each operation has its own small error enum ([`LookupError`], [`SlotError`],
//! [`DestinationError`], [`CopyError`], [`MintError`], [`MoveError`], [`InsertError`],
//! [`ChargeError`], [`CreateFrameError`], [`SplitQuotaError`], [`RecordMappingError`],
//! [`RangeError`], [`CreateSpaceError`], [`NoSuchSpace`]). An operation that fails changes
//! nothing (a failed [`CapabilitySystem::create_frame`] refunds its charge).
//!
//! # Checking
//!
//! [`CapabilitySystem::audit`] recomputes every invariant from scratch (slots and nodes agree, tree
//! links, rights attenuation, reference counts, quota conservation, mapping indices); the property
//! tests run it after every operation, and in-guest kernel tests can too.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod arena;
mod audit;
mod badge;
mod capability;
mod copy;
mod derivation;
mod insert;
mod lookup;
mod mapping;
mod mapping_database;
mod memory;
mod moving;
mod object;
mod quota;
mod release;
mod removal;
mod space;
mod system;

#[cfg(test)]
mod tests;

pub use audit::AuditError;
pub use badge::Badge;
pub use capability::Capability;
pub use copy::{CopyError, MintError};
pub use derivation::CapabilityHandle;
pub use exokernel_abi::{ObjectKind, PAGE_SIZE, Rights};
pub use insert::InsertError;
pub use lookup::LookupError;
pub use mapping::{RangeError, RecordMappingError};
pub use mapping_database::Mapping;
pub use memory::{ChargeError, CreateFrameError, SplitQuotaError};
pub use moving::MoveError;
pub use object::{ChannelEnd, Frame, IoPortRange, Object};
pub use quota::{Charge, PaidBy, QuotaBalance, QuotaId};
pub use release::{Release, Releases};
pub use space::{
    CreateSpaceError, DestinationError, KERNEL_BYTES_PER_MAPPING_RECORD, KERNEL_BYTES_PER_SLOT,
    MAXIMUM_SLOTS, NoSuchSpace, SlotAddress, SlotError, SpaceId,
};
pub use system::CapabilitySystem;
