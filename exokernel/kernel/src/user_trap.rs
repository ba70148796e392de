//! Entries from user mode: save the environment's registers, handle the system call,
//! exception or interrupt, then choose who runs next and return into it.

use crate::arch::context::set_segment_bases;
use crate::arch::interrupts::{CONSOLE_INPUT_VECTOR, SPURIOUS_VECTOR, TIMER_VECTOR};
use crate::arch::system_call::SYSTEM_CALL_VECTOR;
use crate::arch::{TrapFrame, cpu, floating_point, local_apic};
use crate::kernel_state::{KERNEL, KernelState};
use crate::reclamation::TICK_WORK_BUDGET;
use crate::system_calls;

/// When the kernel last returned to user mode (timestamp counter; 0: never yet): the running
/// environment's user time runs from there to its next trap.
static LAST_RETURN: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Handles a trap taken in ring 3; on return `frame` holds the context to resume.
pub fn handle(frame: &mut TrapFrame) {
    let mut entered = cpu::timestamp_counter();
    let mut guard = KERNEL.lock();
    let Some(kernel) = guard.as_mut() else {
        panic!("trap from user mode before user space exists");
    };
    let previous = kernel.current;
    let returned = LAST_RETURN.load(core::sync::atomic::Ordering::Relaxed);
    if let Some(id) = previous
        && let Some(environment) = kernel.environments.get_mut(id)
    {
        environment.context.copy_from(frame);
        if returned != 0 {
            environment.processor_time.user += entered.saturating_sub(returned);
        }
    }
    match frame.vector {
        SYSTEM_CALL_VECTOR => system_calls::dispatch(kernel),
        vector if vector == u64::from(TIMER_VECTOR) => {
            crate::time::tick();
            local_apic::end_of_interrupt();
            kernel.expire_timeouts(crate::time::nanoseconds_since_boot());
            kernel.deliver_console_input();
            kernel.run_work(TICK_WORK_BUDGET);
            kernel.preempt();
        }
        vector if vector == u64::from(CONSOLE_INPUT_VECTOR) => {
            crate::console::note_input_interrupt();
            local_apic::end_of_interrupt();
            kernel.deliver_console_input();
        }
        vector if vector == u64::from(SPURIOUS_VECTOR) => {}
        // Non-maskable interrupts and machine checks are the machine's, not the program's.
        2 => crate::warning!("non-maskable interrupt while user code ran"),
        18 => crate::trap::machine_check(frame),
        7 if first_floating_point_use(kernel) => {}
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
            switch_floating_point(kernel, previous, id);
            let environment = kernel
                .environments
                .get(id)
                .expect("picked environments exist");
            let root = kernel
                .address_spaces
                .get(environment.address_space)
                .map(|space| space.root);
            frame.copy_from(&environment.context);
            set_segment_bases(environment.fs_base, environment.gs_base);
            if let Some(root) = root {
                root.activate();
            }
            let now = cpu::timestamp_counter();
            // The kernel's work for this trap is the trapping environment's (if it still exists;
            // time spent idle waiting for an interrupt is nobody's: `entered` restarts after it).
            if let Some(environment) = previous.and_then(|id| kernel.environments.get_mut(id)) {
                environment.processor_time.kernel += now.saturating_sub(entered);
            }
            LAST_RETURN.store(now, core::sync::atomic::Ordering::Relaxed);
            crate::time::record_kernel_stretch(now.saturating_sub(entered));
            return;
        }
        // Nothing can run: reclaim while there is reclaiming to do, else wait for an interrupt
        // (the timer wakes sleepers); either way without the lock and with interrupts open in
        // between, so no stretch is longer than one step.
        let idle = kernel.run_work(TICK_WORK_BUDGET);
        drop(guard);
        crate::time::record_kernel_stretch(cpu::timestamp_counter().saturating_sub(entered));
        if idle {
            crate::arch::wait_for_interrupt();
        } else {
            crate::arch::enable_interrupts();
        }
        crate::arch::disable_interrupts();
        entered = cpu::timestamp_counter();
        guard = KERNEL.lock();
        if let Some(kernel) = guard.as_mut() {
            kernel.expire_timeouts(crate::time::nanoseconds_since_boot());
            kernel.deliver_console_input();
        }
    }
}

/// Floating-point switch: unless `next`'s registers are already loaded, saves them for
/// `previous` (the environment that was running when the trap came, whose values the registers
/// hold — unless it was destroyed meanwhile), then loads `next`'s if it has ever used the unit,
/// or else runs it on clean registers with the first-use trap armed.
fn switch_floating_point(kernel: &mut KernelState, previous: Option<u32>, next: u32) {
    let Some(incoming) = kernel.environments.get(next) else {
        return;
    };
    let used = incoming.floating_point.is_used();
    if incoming.floating_point.is_loaded() || (!used && floating_point::is_running_without_state())
    {
        return;
    }
    if let Some(outgoing) = previous.and_then(|id| kernel.environments.get_mut(id)) {
        outgoing.floating_point.save_if_loaded();
    }
    match kernel.environments.get(next) {
        Some(incoming) if used => incoming.floating_point.load(),
        _ => floating_point::run_without_state(),
    }
}

/// #NM from ring 3: the running environment's first x87/SSE/AVX instruction (it continues with
/// the clean registers as its state), or else an ordinary exception for it.
fn first_floating_point_use(kernel: &mut KernelState) -> bool {
    kernel
        .current
        .and_then(|id| kernel.environments.get_mut(id))
        .is_some_and(|environment| environment.floating_point.begin_use())
}
