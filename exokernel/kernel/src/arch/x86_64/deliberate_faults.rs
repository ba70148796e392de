//! Deliberate kernel faults for the `crash=` kernel option: they show (and the system tests
//! check) how a fault in the kernel is reported and that the machine then stops cleanly.

/// Reads an unmapped kernel address, raising a page fault in ring 0.
pub fn page_fault() -> u64 {
    // SAFETY: not safe at all, on purpose: the fault is reported and the machine stops.
    unsafe { core::ptr::read_volatile(0x0000_4000_0000_0000 as *const u64) }
}

/// Reads a non-canonical address, raising a general-protection fault in ring 0.
pub fn general_protection_fault() -> u64 {
    // SAFETY: as above, on purpose.
    unsafe { core::ptr::read_volatile(0x8000_0000_0000_0000 as *const u64) }
}

/// Recurses without bound, each level keeping a kilobyte of stack live, until the stack runs
/// into its guard page.
pub fn stack_overflow() -> u64 {
    #[inline(never)]
    fn recurse(depth: u64) -> u64 {
        let mut frame = [depth; 128];
        core::hint::black_box(&mut frame);
        // Always true, but the compiler cannot know: the recursion is unbounded.
        if core::hint::black_box(depth) != u64::MAX {
            return recurse(depth + 1).wrapping_add(frame[7]);
        }
        frame[0]
    }
    recurse(0)
}
