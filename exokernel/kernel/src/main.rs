//! The exokernel: boots, takes over memory and interrupts, and (soon) starts `init`.
#![no_std]
#![no_main]
// Unsafe code lives in the hardware layer (`arch`) and the memory layer (`memory`) only.
#![deny(unsafe_code)]

extern crate alloc;

#[allow(unsafe_code)]
mod arch;
mod console;
mod init_program;
mod kernel_state;
mod log;
mod log_ring;
#[allow(unsafe_code)]
mod memory;
mod objects;
mod panic;
mod reclamation;
mod run_queue;
mod system_calls;
mod testing;
mod time;
mod time_page;
mod timer_queue;
mod trap;
mod user_trap;

mod kernel_tests;

use boot::{BootInformation, KernelOptions};
use spin::Once;

use crate::arch::{descriptor_tables, interrupts, local_apic};

boot::entry_point!(kernel_main);

static OPTIONS: Once<KernelOptions<'static>> = Once::new();
static BOOT_INFORMATION: Once<&'static BootInformation> = Once::new();

/// The parsed kernel command line.
pub fn options() -> KernelOptions<'static> {
    *OPTIONS
        .get()
        .expect("options are parsed before anything asks for them")
}

/// What the loader handed over.
pub fn boot_information() -> &'static BootInformation {
    BOOT_INFORMATION
        .get()
        .expect("set at the start of kernel_main")
}

fn kernel_main(boot: &'static BootInformation) -> ! {
    arch::cpu::enable_protection_features();
    log::initialise();
    console::initialise();
    BOOT_INFORMATION.call_once(|| boot);
    let options = *OPTIONS.call_once(|| KernelOptions::parse(&boot.command_line));
    if let Some(level) = options.value("log").and_then(log::Level::parse) {
        log::set_level(level);
    }
    info!(
        "exokernel {} booting via {:?}",
        env!("CARGO_PKG_VERSION"),
        boot.loader
    );
    info!("command line: {:?}", boot.command_line.as_str());
    let (smep, smap, umip) = arch::cpu::supervisor_protections_enabled();
    info!("cpu protections: SMEP {smep}, SMAP {smap}, UMIP {umip}");
    for region in &boot.memory_map {
        debug!(
            "  memory {:#012x}..{:#012x} {:?}",
            region.start,
            region.end(),
            region.kind
        );
    }
    for module in &boot.modules {
        info!(
            "module {:?} at {:#x}, {} bytes",
            module.name.as_str(),
            module.physical_address,
            module.length
        );
    }

    let selectors = descriptor_tables::initialise();
    interrupts::initialise();
    arch::system_call::initialise(&selectors);
    let floating_point = arch::floating_point::initialise();
    info!(
        "floating point: {:?}, components {:#x}, {}-byte save areas",
        floating_point.instruction, floating_point.components, floating_point.area_size
    );
    if let Err(error) = memory::initialise(boot) {
        panic!("memory set-up failed: {error:?}");
    }
    arch::user_paging::set_kernel_root(arch::paging::active_root());
    local_apic::initialise();
    let calibration = local_apic::start_periodic_timer(time::TICKS_PER_SECOND);
    info!(
        "timer: {} Hz, {} APIC counts/ms ({:?})",
        time::TICKS_PER_SECOND,
        local_apic::counts_per_millisecond(),
        calibration
    );
    if console::enable_input_interrupt(arch::interrupts::CONSOLE_INPUT_VECTOR) {
        info!("console input: interrupt-driven (I/O APIC pin 4)");
    } else {
        info!("console input: no I/O APIC, noticed on timer ticks");
    }
    if time_page::initialise().is_none() {
        warning!("no frame for the time page: programs will read the clock with ClockRead");
    }
    arch::enable_interrupts();

    match options.value("crash") {
        Some("page-fault") => deliberately_page_fault(),
        Some("general-protection") => deliberately_general_protection_fault(),
        Some("stack-overflow") => deliberately_overflow_the_stack(),
        _ => {}
    }
    if options.has_flag("test.hang") {
        info!("test.hang: spinning forever, as asked");
        loop {
            core::hint::spin_loop();
        }
    }
    if options.has_flag("test") {
        let passed = testing::run_all();
        arch::qemu::exit(if passed { 0 } else { 1 });
    }

    start_user_space(boot)
}

/// Loads `/sbin/init` and enters it; the kernel runs only on traps from here on.
fn start_user_space(boot: &'static BootInformation) -> ! {
    let mut guard = kernel_state::KERNEL.lock();
    let kernel = guard.insert(kernel_state::KernelState::new());
    let frame = match init_program::load(kernel, boot) {
        Ok(frame) => frame,
        Err(error) => {
            error!("cannot start /sbin/init: {error:?}");
            log::emergency_write(format_args!("exit-status 127"));
            arch::qemu::exit(127 & 0x7e)
        }
    };
    if let Some(root) = kernel
        .init
        .and_then(|id| kernel.environments.get(id))
        .and_then(|environment| kernel.address_spaces.get(environment.address_space))
        .map(|space| space.root)
    {
        root.activate();
    }
    // init has not used the floating-point unit yet.
    arch::floating_point::run_without_state();
    drop(guard);
    arch::context::enter_user(&frame)
}

/// `crash=page-fault`: reads an unmapped address, to show how a kernel fault is reported.
fn deliberately_page_fault() {
    info!("crash=page-fault: reading an unmapped address");
    let value = arch::deliberate_faults::page_fault();
    info!("unexpectedly read {value:#x}");
}

/// `crash=stack-overflow`: recurses without bound, to show the guard page below the stack
/// turning the overflow into a reported fault.
fn deliberately_overflow_the_stack() {
    info!("crash=stack-overflow: recursing without bound");
    let value = arch::deliberate_faults::stack_overflow();
    info!("unexpectedly returned {value:#x}");
}

/// `crash=general-protection`: reads a non-canonical address, raising #GP.
fn deliberately_general_protection_fault() {
    info!("crash=general-protection: reading a non-canonical address");
    let value = arch::deliberate_faults::general_protection_fault();
    info!("unexpectedly read {value:#x}");
}
