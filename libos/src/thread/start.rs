//! Starting a thread at the kernel level: an environment sharing this process's capability
//! space and address space (`EnvironmentCreateThread`), its own stack from a reusable pool of
//! stack areas, its FS base (thread-local storage) set before it first runs, and an exit
//! notification to wait on. [`crate::process::spawn_shared_thread`] does the same without an FS
//! base; this copy exists because the FS base must be in place before the thread's first
//! instruction and a running environment cannot change its own.

use alloc::vec::Vec;

use exokernel_abi::{
    Call, EnvironmentState, KernelError, PAGE_SIZE, RegisterSet, Slot, UserAddress, initial,
};
use spin::Mutex as SpinMutex;

use crate::kernel::call;
use crate::{memory, slots};

/// Where the stack areas of threads started here go (one area per live thread).
pub(crate) const STACK_REGION: u64 = 0x0000_4800_0000_0000;
/// Bytes per stack area: the stack and a guard page below it, never mapped.
pub(crate) const STACK_AREA: u64 = 64 * PAGE_SIZE;
/// How many stack areas there are (so the region is 1 GiB).
const STACK_AREAS: u64 = 4096;
/// Pages of stack a thread gets (the rest of its area is guard).
const STACK_PAGES: u64 = 32;

/// Stack areas free for reuse, and the next never-used one.
static STACK_AREAS_FREE: SpinMutex<(Vec<u64>, u64)> = SpinMutex::new((Vec::new(), 0));

/// Whether `address` lies in a stack area of a thread started here.
pub(crate) fn in_thread_stack(address: u64) -> bool {
    (STACK_REGION..STACK_REGION + STACK_AREAS * STACK_AREA).contains(&address)
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

/// A started thread's kernel resources.
pub(crate) struct RawThread {
    environment: Option<Slot>,
    notification: Option<Slot>,
    stack: Slot,
    area: u64,
}

fn take_slot() -> Result<Slot, KernelError> {
    slots::allocate().ok_or(KernelError::OutOfMemory)
}

fn release_slot(slot: Slot) {
    let _ = call(Call::CapabilityDelete { slot });
    slots::free(slot);
}

/// Pages at the top of a thread's stack that are its exception handler's stack instead
/// (`window_recovery`: a shared window whose frame died is repaired on the faulting thread).
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

/// Starts `entry(argument)` as a thread of this process with FS base `fs_base`.
///
/// # Errors
/// The kernel's error (memory, slots); nothing is left behind.
pub(crate) fn start(
    entry: extern "C" fn(u64) -> !,
    argument: u64,
    fs_base: u64,
) -> Result<RawThread, KernelError> {
    let area = take_area()?;
    let stack_bottom = area + STACK_AREA - STACK_PAGES * PAGE_SIZE;
    let stack =
        match memory::allocate_and_map(initial::MEMORY_QUOTA, stack_bottom, STACK_PAGES, true) {
            Ok(stack) => stack,
            Err(error) => {
                STACK_AREAS_FREE.lock().0.push(area);
                return Err(error);
            }
        };
    let mut thread = RawThread {
        environment: None,
        notification: None,
        stack,
        area,
    };
    let result = (|| {
        let environment = take_slot()?;
        thread.environment = Some(environment);
        let notification = take_slot()?;
        thread.notification = Some(notification);
        call(Call::EnvironmentCreateThread {
            quota: initial::MEMORY_QUOTA,
            process: initial::SELF_ENVIRONMENT,
            destination: environment,
        })?;
        let registers = RegisterSet {
            rip: entry as usize as u64,
            rsp: stack_top(area),
            rdi: argument,
            fs_base,
            ..RegisterSet::default()
        };
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
        call(Call::NotificationCreate {
            quota: initial::MEMORY_QUOTA,
            destination: notification,
        })?;
        call(Call::EnvironmentWatch {
            environment,
            notification,
            bits: 1,
        })?;
        call(Call::EnvironmentStart { environment })
    })();
    if let Err(error) = result {
        thread.release();
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
        let (Some(environment), Some(notification)) = (self.environment, self.notification) else {
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

    /// Stops the thread if it still runs and gives back its environment, notification and
    /// stack (the stack area becomes reusable).
    pub(crate) fn release(self) {
        if let Some(environment) = self.environment {
            let _ = call(Call::EnvironmentStop { environment });
            let _ = call(Call::CapabilityRevoke { slot: environment });
            release_slot(environment);
        }
        if let Some(notification) = self.notification {
            release_slot(notification);
        }
        let stack_bottom = self.area + STACK_AREA - STACK_PAGES * PAGE_SIZE;
        let _ = memory::unmap(initial::SELF_ADDRESS_SPACE, stack_bottom, STACK_PAGES);
        release_slot(self.stack);
        STACK_AREAS_FREE.lock().0.push(self.area);
    }
}
