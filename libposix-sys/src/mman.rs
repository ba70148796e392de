//! Memory-mapping flags: `PROT_*`, `MAP_*`, `MREMAP_*`, `MADV_*`, `MS_*` and `MCL_*`.

/// Pages may not be accessed.
pub const PROT_NONE: i32 = 0x0;
/// Pages may be read.
pub const PROT_READ: i32 = 0x1;
/// Pages may be written.
pub const PROT_WRITE: i32 = 0x2;
/// Pages may be executed.
pub const PROT_EXEC: i32 = 0x4;
/// Pages may be used for atomic operations (no effect on x86).
pub const PROT_SEM: i32 = 0x8;
/// `mprotect`: extend the change down to the start of a grows-down mapping.
pub const PROT_GROWSDOWN: i32 = 0x0100_0000;
/// `mprotect`: extend the change up to the end of a grows-up mapping.
pub const PROT_GROWSUP: i32 = 0x0200_0000;

/// Share the mapping: writes reach the file and other mappings of it.
pub const MAP_SHARED: i32 = 0x01;
/// Private copy-on-write mapping.
pub const MAP_PRIVATE: i32 = 0x02;
/// `MAP_SHARED` that fails on unknown flags instead of ignoring them.
pub const MAP_SHARED_VALIDATE: i32 = 0x03;
/// Anonymous memory the kernel may drop under memory pressure.
pub const MAP_DROPPABLE: i32 = 0x08;
/// Mask of the mapping type (`MAP_SHARED`, `MAP_PRIVATE`, …).
pub const MAP_TYPE: i32 = 0x0f;
/// Place the mapping exactly at the address, replacing what was there.
pub const MAP_FIXED: i32 = 0x10;
/// Not backed by a file; the memory is zero-filled.
pub const MAP_ANONYMOUS: i32 = 0x20;
/// Old name of `MAP_ANONYMOUS`.
pub const MAP_ANON: i32 = MAP_ANONYMOUS;
/// Place the mapping in the low 2 GiB (x86_64 only).
pub const MAP_32BIT: i32 = 0x40;
/// The mapping grows down, like a stack.
pub const MAP_GROWSDOWN: i32 = 0x0100;
/// Ignored (historically: deny writes to the file).
pub const MAP_DENYWRITE: i32 = 0x0800;
/// Ignored (historically: mark as executable).
pub const MAP_EXECUTABLE: i32 = 0x1000;
/// Lock the pages as `mlock` does.
pub const MAP_LOCKED: i32 = 0x2000;
/// Do not reserve swap space.
pub const MAP_NORESERVE: i32 = 0x4000;
/// Populate (prefault) the page tables.
pub const MAP_POPULATE: i32 = 0x8000;
/// With `MAP_POPULATE`, do not block on I/O.
pub const MAP_NONBLOCK: i32 = 0x1_0000;
/// The mapping is a thread stack.
pub const MAP_STACK: i32 = 0x2_0000;
/// Use huge pages.
pub const MAP_HUGETLB: i32 = 0x4_0000;
/// Synchronous page faults for DAX files (needs `MAP_SHARED_VALIDATE`).
pub const MAP_SYNC: i32 = 0x8_0000;
/// `MAP_FIXED` that fails with `EEXIST` instead of replacing a mapping.
pub const MAP_FIXED_NOREPLACE: i32 = 0x10_0000;
/// Do not clear anonymous pages (only on kernels built for it).
pub const MAP_UNINITIALIZED: i32 = 0x400_0000;
/// With `MAP_HUGETLB`, bits from here hold log2 of the huge-page size.
pub const MAP_HUGE_SHIFT: i32 = 26;
/// Mask of the huge-page size after shifting by `MAP_HUGE_SHIFT`.
pub const MAP_HUGE_MASK: i32 = 0x3f;
/// The value `mmap` returns on failure in C, `(void *)-1`.
pub const MAP_FAILED: usize = usize::MAX;

/// `mremap`: the mapping may move.
pub const MREMAP_MAYMOVE: i32 = 1;
/// `mremap`: move to the given new address (needs `MREMAP_MAYMOVE`).
pub const MREMAP_FIXED: i32 = 2;
/// `mremap`: move the pages but leave the old range mapped.
pub const MREMAP_DONTUNMAP: i32 = 4;

/// No special treatment.
pub const MADV_NORMAL: i32 = 0;
/// Expect random access.
pub const MADV_RANDOM: i32 = 1;
/// Expect sequential access.
pub const MADV_SEQUENTIAL: i32 = 2;
/// Will need these pages soon.
pub const MADV_WILLNEED: i32 = 3;
/// Drop the pages; private anonymous memory reads back as zeros.
pub const MADV_DONTNEED: i32 = 4;
/// The pages may be freed lazily.
pub const MADV_FREE: i32 = 8;
/// Free the pages and their backing store.
pub const MADV_REMOVE: i32 = 9;
/// Do not inherit the range across `fork`.
pub const MADV_DONTFORK: i32 = 10;
/// Undo `MADV_DONTFORK`.
pub const MADV_DOFORK: i32 = 11;
/// Candidate for kernel same-page merging.
pub const MADV_MERGEABLE: i32 = 12;
/// Undo `MADV_MERGEABLE`.
pub const MADV_UNMERGEABLE: i32 = 13;
/// Use transparent huge pages.
pub const MADV_HUGEPAGE: i32 = 14;
/// Do not use transparent huge pages.
pub const MADV_NOHUGEPAGE: i32 = 15;
/// Leave the range out of core dumps.
pub const MADV_DONTDUMP: i32 = 16;
/// Undo `MADV_DONTDUMP`.
pub const MADV_DODUMP: i32 = 17;
/// The child of `fork` sees the range zero-filled.
pub const MADV_WIPEONFORK: i32 = 18;
/// Undo `MADV_WIPEONFORK`.
pub const MADV_KEEPONFORK: i32 = 19;
/// Deactivate the pages (they are cold).
pub const MADV_COLD: i32 = 20;
/// Reclaim the pages.
pub const MADV_PAGEOUT: i32 = 21;
/// Prefault the page tables readable.
pub const MADV_POPULATE_READ: i32 = 22;
/// Prefault the page tables writable.
pub const MADV_POPULATE_WRITE: i32 = 23;
/// `MADV_DONTNEED` that also applies to locked pages.
pub const MADV_DONTNEED_LOCKED: i32 = 24;
/// Collapse the range into transparent huge pages synchronously.
pub const MADV_COLLAPSE: i32 = 25;
/// Simulate a memory error on the pages (needs privilege).
pub const MADV_HWPOISON: i32 = 100;
/// Soft-offline the pages (needs privilege).
pub const MADV_SOFT_OFFLINE: i32 = 101;
/// Install guard regions: touching the pages raises `SIGSEGV`.
pub const MADV_GUARD_INSTALL: i32 = 102;
/// Remove guard regions.
pub const MADV_GUARD_REMOVE: i32 = 103;

/// `msync`: schedule the write-back and return.
pub const MS_ASYNC: i32 = 1;
/// `msync`: invalidate other mappings of the file.
pub const MS_INVALIDATE: i32 = 2;
/// `msync`: write back and wait.
pub const MS_SYNC: i32 = 4;

/// `mlockall`: lock the pages mapped now.
pub const MCL_CURRENT: i32 = 1;
/// `mlockall`: lock pages mapped from now on.
pub const MCL_FUTURE: i32 = 2;
/// `mlockall`: lock pages when they are first faulted in.
pub const MCL_ONFAULT: i32 = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi_check::{assert_every_constant_checked, check_constants};

    #[test]
    fn constants_match_libc() {
        let protection = check_constants!(
            PROT_NONE,
            PROT_READ,
            PROT_WRITE,
            PROT_EXEC,
            PROT_GROWSDOWN,
            PROT_GROWSUP,
            // uapi asm-generic/mman-common.h
            PROT_SEM = 0x8,
        );
        let map = check_constants!(
            MAP_SHARED,
            MAP_PRIVATE,
            MAP_SHARED_VALIDATE,
            MAP_TYPE,
            MAP_FIXED,
            MAP_ANONYMOUS,
            MAP_ANON,
            MAP_32BIT,
            MAP_GROWSDOWN,
            MAP_DENYWRITE,
            MAP_EXECUTABLE,
            MAP_LOCKED,
            MAP_NORESERVE,
            MAP_POPULATE,
            MAP_NONBLOCK,
            MAP_STACK,
            MAP_HUGETLB,
            MAP_SYNC,
            MAP_FIXED_NOREPLACE,
            MAP_HUGE_SHIFT,
            MAP_HUGE_MASK,
            MAP_FAILED = libc::MAP_FAILED as usize,
            // uapi linux/mman.h (Linux 6.11) and asm-generic/mman-common.h
            MAP_DROPPABLE = 0x08,
            MAP_UNINITIALIZED = 0x400_0000,
        );
        let remap = check_constants!(MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP);
        let advice = check_constants!(
            MADV_NORMAL,
            MADV_RANDOM,
            MADV_SEQUENTIAL,
            MADV_WILLNEED,
            MADV_DONTNEED,
            MADV_FREE,
            MADV_REMOVE,
            MADV_DONTFORK,
            MADV_DOFORK,
            MADV_MERGEABLE,
            MADV_UNMERGEABLE,
            MADV_HUGEPAGE,
            MADV_NOHUGEPAGE,
            MADV_DONTDUMP,
            MADV_DODUMP,
            MADV_WIPEONFORK,
            MADV_KEEPONFORK,
            MADV_COLD,
            MADV_PAGEOUT,
            MADV_POPULATE_READ,
            MADV_POPULATE_WRITE,
            MADV_DONTNEED_LOCKED,
            MADV_COLLAPSE,
            MADV_HWPOISON,
            MADV_SOFT_OFFLINE,
            // uapi asm-generic/mman-common.h (Linux 6.13)
            MADV_GUARD_INSTALL = 102,
            MADV_GUARD_REMOVE = 103,
        );
        let sync = check_constants!(
            MS_ASYNC,
            MS_INVALIDATE,
            MS_SYNC,
            MCL_CURRENT,
            MCL_FUTURE,
            MCL_ONFAULT,
        );
        assert_every_constant_checked(
            include_str!("mman.rs"),
            &[protection, map, remap, advice, sync],
        );
    }
}
