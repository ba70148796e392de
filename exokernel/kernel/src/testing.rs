//! In-guest kernel tests: registered at compile time into the `.kernel_tests` section and run
//! by the `test` kernel option, each reporting one machine-readable line on the console.
//!
//! Protocol (parsed by `cargo xtask test`): `test-plan kernel N`, then one
//! `test-result kernel NAME pass` or `test-result kernel NAME fail REASON` per test.

use alloc::string::String;

use crate::console_line;

/// One registered test.
#[repr(C)]
pub struct KernelTest {
    /// The name reported in the result line.
    pub name: &'static str,
    /// Runs the test; `Err` carries the reason for a failure.
    pub run: fn() -> Result<(), String>,
}

/// Registers a kernel test: `kernel_test!(name, || { ...; Ok(()) });`
macro_rules! kernel_test {
    ($name:ident, $function:expr) => {
        const _: () = {
            #[used]
            #[unsafe(link_section = ".kernel_tests")]
            static TEST: $crate::testing::KernelTest = $crate::testing::KernelTest {
                name: stringify!($name),
                run: $function,
            };
        };
    };
}
pub(crate) use kernel_test;

/// Fails the enclosing test with a formatted reason unless `condition` holds.
macro_rules! check {
    ($condition:expr, $($reason:tt)*) => {
        if !$condition {
            return Err(alloc::format!($($reason)*));
        }
    };
}
pub(crate) use check;

unsafe extern "C" {
    static __kernel_tests_start: u8;
    static __kernel_tests_end: u8;
}

/// Every test the linker gathered.
fn registered() -> &'static [KernelTest] {
    let start = (&raw const __kernel_tests_start).cast::<KernelTest>();
    let end = (&raw const __kernel_tests_end).cast::<KernelTest>();
    let count = (end as usize - start as usize) / core::mem::size_of::<KernelTest>();
    // SAFETY: the linker script places only `KernelTest` statics (all the same size and
    // alignment, so without padding) between these two symbols.
    unsafe { core::slice::from_raw_parts(start, count) }
}

/// Runs every registered test and reports whether all passed.
pub fn run_all() -> bool {
    let tests = registered();
    console_line!("test-plan kernel {}", tests.len());
    let mut all_passed = true;
    for test in tests {
        match (test.run)() {
            Ok(()) => console_line!("test-result kernel {} pass", test.name),
            Err(reason) => {
                all_passed = false;
                console_line!(
                    "test-result kernel {} fail {}",
                    test.name,
                    reason.replace('\n', " ")
                );
            }
        }
    }
    all_passed
}
