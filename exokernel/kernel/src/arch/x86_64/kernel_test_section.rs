//! The `.kernel_tests` linker section: where `kernel_test!` places each in-guest kernel test.

use crate::testing::KernelTest;

unsafe extern "C" {
    static __kernel_tests_start: u8;
    static __kernel_tests_end: u8;
}

/// Every test the linker gathered.
pub fn registered() -> &'static [KernelTest] {
    let start = (&raw const __kernel_tests_start).cast::<KernelTest>();
    let end = (&raw const __kernel_tests_end).cast::<KernelTest>();
    let count = (end as usize - start as usize) / core::mem::size_of::<KernelTest>();
    // SAFETY: the linker script places only `KernelTest` statics (all the same size and
    // alignment, so without padding) between these two symbols.
    unsafe { core::slice::from_raw_parts(start, count) }
}
