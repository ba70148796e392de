//! The first user program (not started by the kernel yet: user space is being built).
#![no_std]
#![no_main]

#[unsafe(no_mangle)]
extern "C" fn _start() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

#[panic_handler]
fn panic(_information: &core::panic::PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
