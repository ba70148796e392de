//! Starting a thread at the kernel level: an environment sharing this process's capability
//! space and address space (made by the process server, which gives it a tid, or with
//! `EnvironmentCreateThread` in a process without one), a stack area from a reusable pool (the
//! exception handler's stack at its top, and for `spawn` the thread's stack below it), its own
//! signal page, its FS and GS bases set before it first runs (a running environment cannot
//! change its own), and for `spawn` an exit notification to wait on.

use alloc::vec::Vec;

use core::sync::atomic::Ordering;

use exokernel_abi::{
    Call, EnvironmentState, KernelError, PAGE_SIZE, RegisterSet, Rights, Slot, UserAddress, initial,
};
use spin::Mutex as SpinMutex;

use super::control_block::ControlBlock;
use crate::kernel::call;
use crate::process::protocol;
use crate::{memory, slots};

/// Where the stack areas of threads started here go (one area per live thread).
pub(crate) const STACK_REGION: u64 = 0x0000_4800_0000_0000;
/// Bytes per stack area: the stack and a guard page below it, never mapped.
pub(crate) const STACK_AREA: u64 = 64 * PAGE_SIZE;
/// How many stack areas there are (so the region is 1 GiB).
const STACK_AREAS: u64 = 4096;
/// Pages of stack a thread started by `spawn` gets (below its handler's stack; the rest of its
/// area is guard).
const STACK_PAGES: u64 = 28;
/// Where threads' own signal pages are mapped: one page per stack area.
const THREAD_SIGNAL_PAGES: u64 = 0x0000_7000_0100_0000;

/// Stack areas free for reuse, and the next never-used one.
static STACK_AREAS_FREE: SpinMutex<(Vec<u64>, u64)> = SpinMutex::new((Vec::new(), 0));

/// Whether `address` lies in a stack area of a thread started here.
pub(crate) fn in_thread_stack(address: u64) -> bool {
    (STACK_REGION..STACK_REGION + STACK_AREAS * STACK_AREA).contains(&address)
}

/// Whether `address` lies in the exception handler's stack of a thread's area: these pages stay
/// shared with a `fork` child (which never uses them) instead of turning copy-on-write, so a
/// thread's fault can always be delivered on them.
#[must_use]
pub(crate) fn is_handler_stack(address: u64) -> bool {
    in_thread_stack(address)
        && (address - STACK_REGION) % STACK_AREA >= STACK_AREA - HANDLER_STACK_PAGES * PAGE_SIZE
}

fn take_area() -> Result<u64, KernelError> {
    let mut areas = STACK_AREAS_FREE.lock();
    if let Some(area) = areas.0.pop() {
        return Ok(area);
    }
    if areas.1 == STACK_AREAS {
        return Err(KernelError::OutOfMemory);
    }
    let area = STACK_REGION + areas.1 * STACK_AREA;
    areas.1 += 1;
    Ok(area)
}

fn take_slot() -> Result<Slot, KernelError> {
    slots::allocate().ok_or(KernelError::OutOfMemory)
}

fn release_slot(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// Pages at the top of a thread's area that are its exception handler's stack
/// (`window_recovery`, copy-on-write faults after a `fork`, fault signals).
const HANDLER_STACK_PAGES: u64 = 4;

/// Top of the stack in `area`, as if `entry` had been called (a return-address slot below a
/// 16-byte-aligned top), below the handler's stack.
fn stack_top(area: u64) -> u64 {
    handler_stack_top(area) - HANDLER_STACK_PAGES * PAGE_SIZE - 8
}

/// Top of the exception handler's stack in `area`.
fn handler_stack_top(area: u64) -> u64 {
    area + STACK_AREA
}

/// Makes a new, unstarted thread environment of this process at `destination`: through the
/// process server (which gives the tid) when we are registered, else with
/// `EnvironmentCreateThread` and a local id.
fn create_environment(destination: Slot) -> Result<i32, KernelError> {
    if crate::process::identity::is_registered() {
        let [tid, _] = crate::process::identity::request(
            protocol::THREAD_CREATE,
            [0, 0],
            Some(initial::MEMORY_QUOTA),
            Some(destination),
        )
        .map_err(|error| match error {
            libposix_sys::Errno::EAGAIN | libposix_sys::Errno::ENOMEM => KernelError::OutOfMemory,
            _ => KernelError::InvalidState,
        })?;
        return i32::try_from(tid).map_err(|_| KernelError::InvalidState);
    }
    call(Call::EnvironmentCreateThread {
        quota: initial::MEMORY_QUOTA,
        process: initial::SELF_ENVIRONMENT,
        destination,
    })?;
    Ok(ControlBlock::local_id())
}

/// Gives the thread `control` its own signal page: the server's page for it, mapped in its
/// area's place, with the mask `blocked` and its handler stack as the range signals are never
/// forced into.
pub(crate) fn map_signal_page(
    control: &ControlBlock,
    area: u64,
    blocked: u64,
) -> Result<(), KernelError> {
    let slot = take_slot()?;
    let tid = control.id();
    if crate::process::identity::request(
        protocol::THREAD_SIGNAL_PAGE,
        [tid as u64, 0],
        None,
        Some(slot),
    )
    .is_err()
    {
        slots::free(slot);
        return Err(KernelError::OutOfMemory);
    }
    let address = THREAD_SIGNAL_PAGES + (area - STACK_REGION) / STACK_AREA * PAGE_SIZE;
    if let Err(error) = memory::map(
        initial::SELF_ADDRESS_SPACE,
        slot,
        address,
        0,
        1,
        Rights::READ | Rights::WRITE,
    ) {
        release_slot(slot);
        return Err(error);
    }
    // SAFETY: just mapped read-write here, until `release_resources` unmaps it after the
    // thread's end; every field is an atomic.
    let page = unsafe { &*(address as *const crate::signal::page::SignalPage) };
    page.blocked.store(blocked, Ordering::Release);
    page.no_entry_base.store(
        handler_stack_top(area) - HANDLER_STACK_PAGES * PAGE_SIZE,
        Ordering::Release,
    );
    page.no_entry_end
        .store(handler_stack_top(area), Ordering::Release);
    control.signal_page_slot.store(slot.0, Ordering::Release);
    control.signal_page.store(address, Ordering::Release);
    Ok(())
}

/// Prepares a thread for `control`: a stack area with its handler's stack mapped, the
/// environment (unstarted) and the thread's id and signal page, all recorded in `control`.
///
/// # Errors
/// The kernel's error (memory, slots, the process server's refusal); nothing is left behind.
pub(crate) fn prepare(control: &ControlBlock) -> Result<(), KernelError> {
    super::registry::reclaim();
    let area = take_area()?;
    control.handler_area.store(area, Ordering::Release);
    let result = (|| {
        let handler = memory::allocate_and_map(
            initial::MEMORY_QUOTA,
            handler_stack_top(area) - HANDLER_STACK_PAGES * PAGE_SIZE,
            HANDLER_STACK_PAGES,
            true,
        )?;
        control.handler_frame.store(handler.0, Ordering::Release);
        let environment = take_slot()?;
        let tid = match create_environment(environment) {
            Ok(tid) => tid,
            Err(error) => {
                slots::free(environment);
                return Err(error);
            }
        };
        control.environment.store(environment.0, Ordering::Release);
        control.set_id(tid);
        // A process using signals gives the thread its page now, with the creator's mask (as
        // POSIX says a new thread starts); others map one when they first touch signals.
        match crate::signal::page::thread_page_if_mapped() {
            Some(creator) => {
                map_signal_page(control, area, creator.blocked.load(Ordering::Acquire))
            }
            None => Ok(()),
        }
    })();
    if let Err(error) = result {
        let environment = control.environment.swap(0, Ordering::AcqRel);
        if environment != 0 {
            let _ = call(Call::CapabilityRevoke {
                slot: Slot(environment),
            });
            release_slot(Slot(environment));
        }
        release_resources(control);
        return Err(error);
    }
    Ok(())
}

/// Starts the prepared thread of `control` with `registers` (its GS base set so that it finds
/// its block; its exception handler on its handler stack) and records it as live.
///
/// # Errors
/// The kernel's error; the caller then gives back what [`prepare`] made.
pub(crate) fn launch(
    control: &ControlBlock,
    mut registers: RegisterSet,
) -> Result<(), KernelError> {
    let environment = Slot(control.environment.load(Ordering::Acquire));
    let area = control.handler_area.load(Ordering::Acquire);
    registers.gs_base = control.gs_base().ok_or(KernelError::InvalidAddress)?;
    control.fs_base.store(registers.fs_base, Ordering::Release);
    call(Call::EnvironmentSetRegisters {
        environment,
        registers: UserAddress(core::ptr::from_ref(&registers) as u64),
    })?;
    call(Call::EnvironmentSetExceptionHandler {
        environment,
        entry: UserAddress(crate::window_recovery::entry()),
        stack_top: UserAddress(handler_stack_top(area)),
        options: 0,
    })?;
    super::registry::add(control.id(), environment);
    if let Err(error) = call(Call::EnvironmentStart { environment }) {
        super::registry::remove(control.id());
        return Err(error);
    }
    Ok(())
}

/// Gives back a thread's handler stack, signal page and stack area (its environment is the
/// caller's business). The thread must have ended, or be past its last use of them.
pub(crate) fn release_resources(control: &ControlBlock) {
    let page = control.signal_page.swap(0, Ordering::AcqRel);
    if page != 0 {
        let _ = memory::unmap(initial::SELF_ADDRESS_SPACE, page, 1);
    }
    let page_slot = control.signal_page_slot.swap(0, Ordering::AcqRel);
    if page_slot != 0 {
        release_slot(Slot(page_slot));
    }
    let area = control.handler_area.swap(0, Ordering::AcqRel);
    let handler = control.handler_frame.swap(0, Ordering::AcqRel);
    if handler != 0 {
        let _ = memory::unmap(
            initial::SELF_ADDRESS_SPACE,
            handler_stack_top(area) - HANDLER_STACK_PAGES * PAGE_SIZE,
            HANDLER_STACK_PAGES,
        );
        release_slot(Slot(handler));
    }
    if area != 0 {
        STACK_AREAS_FREE.lock().0.push(area);
    }
}

/// A thread started by `spawn`: its environment, exit notification and stack.
pub(crate) struct RawThread {
    environment: Slot,
    notification: Option<Slot>,
    stack: Option<Slot>,
    area: u64,
}

/// Starts `entry(argument)` as a thread of this process with FS base `fs_base`, on a stack in
/// the area `prepare` gave `control`.
///
/// # Errors
/// The kernel's error (memory, slots); nothing is left behind.
pub(crate) fn start(
    entry: extern "C" fn(u64) -> !,
    argument: u64,
    fs_base: u64,
    control: &ControlBlock,
) -> Result<RawThread, KernelError> {
    prepare(control)?;
    let area = control.handler_area.load(Ordering::Acquire);
    let mut thread = RawThread {
        environment: Slot(control.environment.load(Ordering::Acquire)),
        notification: None,
        stack: None,
        area,
    };
    let stack_bottom =
        area + STACK_AREA - HANDLER_STACK_PAGES * PAGE_SIZE - STACK_PAGES * PAGE_SIZE;
    let result = (|| {
        thread.stack = Some(memory::allocate_and_map(
            initial::MEMORY_QUOTA,
            stack_bottom,
            STACK_PAGES,
            true,
        )?);
        let notification = take_slot()?;
        thread.notification = Some(notification);
        call(Call::NotificationCreate {
            quota: initial::MEMORY_QUOTA,
            destination: notification,
        })?;
        call(Call::EnvironmentWatch {
            environment: thread.environment,
            notification,
            bits: 1,
        })?;
        let registers = RegisterSet {
            rip: entry as usize as u64,
            rsp: stack_top(area),
            rdi: argument,
            fs_base,
            ..RegisterSet::default()
        };
        launch(control, registers)
    })();
    if let Err(error) = result {
        thread.release(control);
        return Err(error);
    }
    Ok(thread)
}

/// How a thread ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawEnding {
    /// It exited with this status.
    Exited(u64),
    /// An exception ended it.
    Faulted,
}

impl RawThread {
    /// Waits until the thread has ended.
    ///
    /// # Errors
    /// The kernel's error.
    pub(crate) fn wait(&self) -> Result<RawEnding, KernelError> {
        let (environment, Some(notification)) = (self.environment, self.notification) else {
            return Err(KernelError::InvalidState);
        };
        loop {
            let status = call(Call::EnvironmentStatus { environment })?;
            match EnvironmentState::from_code(status[0])? {
                EnvironmentState::Exited => return Ok(RawEnding::Exited(status[1])),
                EnvironmentState::Faulted => return Ok(RawEnding::Faulted),
                _ => {}
            }
            match call(Call::NotificationWait {
                notification,
                timeout: 0,
            }) {
                // A signal's handler ran (or a stop and continue): joining never fails with
                // EINTR, so wait again.
                Err(KernelError::Interrupted) => crate::signal::delivery::deliver_pending(),
                other => {
                    other?;
                }
            }
        }
    }

    /// Stops the thread if it still runs and gives back its environment, notification, stack,
    /// handler stack and signal page (the stack area becomes reusable).
    pub(crate) fn release(self, control: &ControlBlock) {
        let _ = call(Call::EnvironmentStop {
            environment: self.environment,
        });
        super::registry::remove(control.id());
        let _ = call(Call::CapabilityRevoke {
            slot: self.environment,
        });
        release_slot(self.environment);
        control.environment.store(0, Ordering::Release);
        if let Some(notification) = self.notification {
            release_slot(notification);
        }
        if let Some(stack) = self.stack {
            let stack_bottom =
                self.area + STACK_AREA - HANDLER_STACK_PAGES * PAGE_SIZE - STACK_PAGES * PAGE_SIZE;
            let _ = memory::unmap(initial::SELF_ADDRESS_SPACE, stack_bottom, STACK_PAGES);
            release_slot(stack);
        }
        release_resources(control);
    }
}
