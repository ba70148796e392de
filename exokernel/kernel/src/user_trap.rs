//! Entries from user mode: save the environment's registers, handle the system call,
//! exception or interrupt, then choose who runs next and return into it.

use crate::arch::context::{set_segment_bases, switch_address_space};
use crate::arch::interrupts::{SPURIOUS_VECTOR, TIMER_VECTOR};
use crate::arch::system_call::SYSTEM_CALL_VECTOR;
use crate::arch::{TrapFrame, cpu, local_apic};
use crate::kernel_state::KERNEL;
use crate::system_calls;

/// Handles a trap taken in ring 3; on return `frame` holds the context to resume.
pub fn handle(frame: &mut TrapFrame) {
    let mut guard = KERNEL.lock();
    let Some(kernel) = guard.as_mut() else {
        panic!("trap from user mode before user space exists");
    };
    if let Some(id) = kernel.current
        && let Some(environment) = kernel.environments.get_mut(id)
    {
        environment.context = *frame;
    }
    match frame.vector {
        SYSTEM_CALL_VECTOR => system_calls::dispatch(kernel),
        vector if vector == u64::from(TIMER_VECTOR) => {
            crate::time::tick();
            local_apic::end_of_interrupt();
            kernel.expire_timeouts(crate::time::nanoseconds_since_boot());
            kernel.preempt();
        }
        vector if vector == u64::from(SPURIOUS_VECTOR) => {}
        // Non-maskable interrupts and machine checks are the machine's, not the program's.
        2 => crate::warning!("non-maskable interrupt while user code ran"),
        18 => crate::trap::machine_check(frame),
        vector => {
            let fault_address = if vector == 14 {
                cpu::page_fault_address()
            } else {
                0
            };
            if let Some(id) = kernel.current {
                crate::debug!(
                    "environment {id}: exception {vector} error {:#x} at {:#x}, address {fault_address:#x}",
                    frame.error_code,
                    frame.rip
                );
                system_calls::deliver_exception(
                    kernel,
                    id,
                    vector,
                    frame.error_code,
                    fault_address,
                );
            }
        }
    }
    loop {
        let kernel = guard
            .as_mut()
            .expect("the kernel state stays set once user space runs");
        if let Some(id) = kernel.pick_next() {
            let environment = kernel
                .environments
                .get(id)
                .expect("picked environments exist");
            let root = kernel
                .address_spaces
                .get(environment.address_space)
                .map(|space| space.root);
            *frame = environment.context;
            set_segment_bases(environment.fs_base, environment.gs_base);
            if let Some(root) = root {
                // SAFETY: a live user root sharing the kernel half.
                unsafe { switch_address_space(root) };
            }
            return;
        }
        // Nothing can run: wait for an interrupt (the timer wakes sleepers) without the lock.
        drop(guard);
        crate::arch::wait_for_interrupt();
        crate::arch::disable_interrupts();
        guard = KERNEL.lock();
        if let Some(kernel) = guard.as_mut() {
            kernel.expire_timeouts(crate::time::nanoseconds_since_boot());
        }
    }
}
