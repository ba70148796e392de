//! The kernel panic handler: print where and why, then leave QEMU with a failure status.

use crate::log;
use crate::trap::KERNEL_FAILURE_STATUS;

#[panic_handler]
fn panic(information: &core::panic::PanicInfo<'_>) -> ! {
    crate::arch::disable_interrupts();
    log::emergency_write(format_args!("KERNEL PANIC: {information}"));
    crate::arch::qemu::exit(KERNEL_FAILURE_STATUS)
}
