//! An address space: a page-table root, the environments running in it, and a bound on the
//! page-table memory it may consume.

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
    /// The quota charge that pays for it (none for the kernel-made one of `init`).
    pub charge: Option<Charge>,
}
