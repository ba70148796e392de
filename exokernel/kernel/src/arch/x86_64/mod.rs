//! x86_64: serial ports, descriptor tables, interrupts, paging, the local APIC timer.
//!
//! This is the only part of the kernel that touches the hardware directly; the rest of the
//! kernel calls the safe functions re-exported here.

pub mod context;
pub mod cpu;
pub mod deliberate_faults;
pub mod descriptor_tables;
pub mod floating_point;
pub mod interrupts;
pub mod io_apic;
pub mod kernel_stacks;
pub mod kernel_test_section;
pub mod local_apic;
pub mod paging;
pub mod qemu;
pub mod real_time_clock;
pub mod return_path;
pub mod serial;
pub mod system_call;
pub mod timer_calibration;
pub mod user_memory;
pub mod user_paging;

pub use cpu::{
    disable_interrupts, enable_interrupts, halt_forever, timestamp_counter, wait_for_interrupt,
};
pub use interrupts::TrapFrame;
