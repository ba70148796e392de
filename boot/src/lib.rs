//! Boot-protocol glue: the PVH and Limine entry points, normalised into one [`BootInformation`].
//!
//! The kernel never learns which loader ran. Each protocol module parses what its loader handed
//! over into a [`BootInformation`] and then calls the kernel's entry point, which the kernel
//! declares with [`entry_point!`].
#![no_std]

mod command_line;
mod information;
mod memory_map;

#[cfg(target_os = "none")]
mod limine_protocol;
#[cfg(target_os = "none")]
mod pvh;

pub use command_line::KernelOptions;
pub use information::{
    BootInformation, CommandLine, Framebuffer, Loader, MAXIMUM_MEMORY_REGIONS, MAXIMUM_MODULES,
    MemoryRegion, MemoryRegionKind, Module,
};
pub use memory_map::normalise_memory_map;

/// Virtual address at which the kernel image is linked (the top 2 GiB, code model "kernel").
pub const KERNEL_VIRTUAL_BASE: u64 = 0xffff_ffff_8000_0000;

/// Declares the kernel's entry point, called by whichever boot protocol ran.
///
/// ```ignore
/// boot::entry_point!(kernel_main);
/// fn kernel_main(boot_information: &'static boot::BootInformation) -> ! { loop {} }
/// ```
#[macro_export]
macro_rules! entry_point {
    ($function:path) => {
        #[unsafe(no_mangle)]
        extern "Rust" fn __boot_kernel_main(information: &'static $crate::BootInformation) -> ! {
            let function: fn(&'static $crate::BootInformation) -> ! = $function;
            function(information)
        }
    };
}

#[cfg(target_os = "none")]
unsafe extern "Rust" {
    /// Defined by the kernel through [`entry_point!`].
    fn __boot_kernel_main(information: &'static BootInformation) -> !;
}

/// Hands the parsed boot information to the kernel.
#[cfg(target_os = "none")]
fn enter_kernel(information: &'static BootInformation) -> ! {
    // SAFETY: the kernel defines this symbol with exactly this signature via `entry_point!`.
    unsafe { __boot_kernel_main(information) }
}
