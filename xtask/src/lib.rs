//! The build, boot and test machinery behind `cargo xtask`, shared with the system tests.

pub mod accelerator;
pub mod bench_command;
pub mod bench_output;
pub mod bench_plot;
pub mod bench_report;
pub mod bench_results;
pub mod bench_statistics;
pub mod boot;
pub mod cargo_test_output;
pub mod cpio;
pub mod error;
pub mod guest_build;
pub mod guest_suites;
pub mod guest_test_run;
pub mod guest_test_session;
pub mod host_tsc;
pub mod initramfs;
pub mod iso;
pub mod kernel_command_line;
pub mod line_splitter;
pub mod linux_kernel;
pub mod manifest;
pub mod prerequisites;
pub mod qemu;
pub mod test_command;
pub mod test_protocol;
pub mod test_tally;
pub mod workspace;

pub use accelerator::Accelerator;
pub use boot::{BootOutcome, CapturedBoot};
pub use error::{Result, XtaskError};
pub use guest_build::{BuildOptions, GuestImage};
pub use qemu::{Machine, MachineOptions};
pub use test_tally::TestTally;
pub use workspace::Workspace;
