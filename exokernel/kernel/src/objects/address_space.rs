//! An address space: a page-table root, the environments running in it, and what it may consume:
//! a bound on page tables, and mapping records paid for as they are made.

use exokernel_capability::Charge;

use crate::arch::user_paging::UserPageTables;

/// Page tables one address space may allocate; beyond it mapping fails with `OutOfMemory`.
/// Creating the address space charges its quota for the root and all of these up front, so
/// page tables never take memory no quota paid for.
pub const MAXIMUM_PAGE_TABLES: u64 = 256;

/// A page-table root and its bookkeeping.
pub struct AddressSpace {
    /// Its page tables.
    pub root: UserPageTables,
    /// Environments bound to it; the tables live while any does or a capability names it.
    pub environment_count: u32,
    /// Whether its last capability is gone (then it dies with its last environment).
    pub unreferenced: bool,
    /// Page-table frames allocated below the root.
    pub page_tables: u64,
    /// Mapping records its charge has paid for so far; the charge grows a page at a time as
    /// records are added (see [`RECORDS_PER_PAGE`]).
    pub record_capacity: u64,
    /// The quota charge that pays for it: its root, page tables and mapping records.
    pub charge: Option<Charge>,
}

/// Mapping records one page of charge pays for.
pub const RECORDS_PER_PAGE: u64 = 4096 / exokernel_capability::KERNEL_BYTES_PER_MAPPING_RECORD;
