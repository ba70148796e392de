//! The one seam between the suite and the system it runs on: this exokernel's LibOS or Linux.
//!
//! Each platform provides `measure`, `cycles`, `print_line` and the helper modes its child
//! processes run in; everything above this seam is shared.

#[cfg(target_os = "none")]
mod exokernel;
#[cfg(target_os = "none")]
pub use exokernel::{cycles, kernel_calls, measure, print_line, report_boot, run_helper};

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub use linux::{cycles, finish, kernel_calls, measure, prepare, print_line, run_helper, settle};

/// What measuring one operation gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measurement {
    /// Elapsed timestamp-counter cycles for `operations` operations.
    Cycles {
        /// The elapsed cycles.
        cycles: u64,
        /// How many operations they cover.
        operations: u64,
        /// Kernel calls the measuring process made meanwhile, where the platform counts them.
        kernel_calls: Option<u64>,
    },
    /// This system cannot do the operation yet; the reason says what it needs.
    #[cfg_attr(
        target_os = "linux",
        expect(dead_code, reason = "Linux can do every operation")
    )]
    Unavailable(&'static str),
    /// The system can do it but something went wrong while measuring.
    Failed(&'static str),
}
