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
            // The one exception to "no unsafe outside arch/ and memory/": placing a static in
            // a named section. The linker script gathers only `KernelTest`s there and
            // `arch::kernel_test_section` reads them back.
            #[allow(unsafe_code)]
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

/// Runs every registered test and reports whether all passed.
pub fn run_all() -> bool {
    let tests = crate::arch::kernel_test_section::registered();
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
